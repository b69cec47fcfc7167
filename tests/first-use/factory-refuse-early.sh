#!/bin/sh
# factorysign refuses bad input before it asks for (or reads) the
# intermediate key's passphrase: a CSR with a bad subject, a CN that is not
# a valid device ID, --id not matching the CSR, a verification code DPS
# would not take. The proof: the same commands with a passphrase file that
# does not exist fail on the input, naming it, and nothing is written; the
# good inputs with that missing file fail on the passphrase file (they got
# that far); with the right file they are issued.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
mkcsr dev-0001
NOPASS="$T/no-such-pass"
esc=$(printf '\033')
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=dev-0009/O=a${esc}b" -out bad-o.csr >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=-dev" -out bad-cn.csr >/dev/null 2>&1
printf 'not a CSR\n' > junk.csr
# early DESC PATTERN CMD...: refused naming the input, and not because of
# the missing passphrase file (it was never read)
early() {
	_e=$1; shift
	check_fails "$_e" "$@"
	check "  ... the passphrase file was not the reason" sh -c "! grep -q no-such-pass '$T/.out'"
}
early "a control character in the CSR's O: refused before the passphrase" \
	"bad-o.csr: O contains a control character U\+001B" \
	"$FS" sign --dir D --csr bad-o.csr --out-dir o1 --pass-file "$NOPASS"
early "a CN that is no device ID: refused before the passphrase" "bad-cn.csr: .*" \
	"$FS" sign --dir D --csr bad-cn.csr --out-dir o1 --pass-file "$NOPASS"
early "a file that is no CSR: refused before the passphrase" "junk.csr: not a certificate signing request" \
	"$FS" sign --dir D --csr junk.csr --out-dir o1 --pass-file "$NOPASS"
early "--id not matching the CSR's CN: refused before the passphrase" \
	"--id 'dev-0002' does not match the CSR's CN 'dev-0001'" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --id dev-0002 --out-dir o1 --pass-file "$NOPASS"
early "a verification code with a dash: refused before the passphrase" "--code" \
	"$FS" verification --dir D --code ABC-123 --out v.pem --pass-file "$NOPASS"
check "  ... nothing was written" sh -c "! ls o1/* v.pem 2>/dev/null | grep -q ."
# positive pair: good input gets as far as the passphrase, and is issued with it
check_fails "a good CSR with a missing passphrase file: fails on the passphrase file" "no-such-pass" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir o1 --pass-file "$NOPASS"
check_fails "a good code with a missing passphrase file: fails on the passphrase file" "no-such-pass" \
	"$FS" verification --dir D --code ABC123 --out v.pem --pass-file "$NOPASS"
check "a good CSR with the passphrase: issued" "$FS" sign --dir D --csr csr/dev-0001.csr --out-dir o1 --pass-file "$PASS"
check "  ... its certificate verifies" openssl verify -x509_strict -CAfile root.pem -untrusted inter.pem o1/dev-0001.cert.pem
check "a good code with the passphrase: a verification certificate" "$FS" verification --dir D --code ABC123 --out v.pem --pass-file "$PASS"
done_testing

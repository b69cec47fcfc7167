#!/bin/sh
# factorysign check: a good credential set passes; each planted fault (wrong
# key, missing intermediate, wrong order, expired, CN mismatch, another
# CA's root, a CA certificate as the leaf) is found, one line with the fix.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
mkcsr dev-0001
mkcsr dev-0002
"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir out --pass-file "$PASS" >/dev/null || bail sign
"$FS" sign --dir D --csr csr/dev-0002.csr --out-dir out --pass-file "$PASS" >/dev/null || bail sign

ck() { "$FS" check --root root.pem "$@"; }
check "a good set passes" ck --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0001
ck --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0001 > "$T/good.out" 2>&1
check "  ... and says why, one finding per line" sh -c "grep -c '^ok:' '$T/good.out' | awk '{exit !(\$1 >= 8)}' && ! grep -q PROBLEM '$T/good.out'"

# each fault: exit 1, a PROBLEM line naming it, with a fix
fault() {
	_d=$1; _re=$2; shift 2
	ck "$@" > "$T/f.out" 2>&1; _rc=$?
	if [ $_rc = 1 ] && grep -Eq "^PROBLEM: .*$_re.*; fix: ." "$T/f.out"; then ok "finds: $_d"
	else not_ok "finds: $_d (rc $_rc)"; sed 's/^/#   /' "$T/f.out"; fi
}
fault "wrong key" "does not match the device certificate" --cert out/dev-0001.chain.pem --key keys/dev-0002.key
fault "missing intermediate (leaf only)" "stops before the root" --cert out/dev-0001.cert.pem --key keys/dev-0001.key
cat inter.pem out/dev-0001.cert.pem > "$T/reversed.pem"
fault "wrong order" "wrong order" --cert "$T/reversed.pem" --key keys/dev-0001.key
fault "CN mismatch" "CN 'dev-0001' is not the ID 'dev-0002'" --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0002
# an expired device certificate, signed by the real intermediate
backdated csr/dev-0001.csr D/intermediate.pem D/intermediate.key "$T/expired.pem" dev -passin "file:$PASS"
cat "$T/expired.pem" inter.pem > "$T/expired-chain.pem"
fault "expired" "device certificate expired" --cert "$T/expired-chain.pem" --key keys/dev-0001.key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem -days 30 \
	-subj "/CN=Other Root" -addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1
fault "another CA's root" "does not verify" --cert out/dev-0001.chain.pem --key keys/dev-0001.key --root other.pem
cat inter.pem > "$T/only-ca.pem"
fault "no device certificate at all" "no device certificate" --cert "$T/only-ca.pem" --key keys/dev-0001.key
# encrypted key without its passphrase, then with it
( umask 077; printf 'kp12345678\n' > kp )
openssl pkey -in keys/dev-0001.key -aes256 -passout file:kp -out "$T/enc.key"
fault "encrypted key, no passphrase" "encrypted" --cert out/dev-0001.chain.pem --key "$T/enc.key"
check "encrypted key with --key-pass-file" ck --cert out/dev-0001.chain.pem --key "$T/enc.key" --key-pass-file kp
check_fails "a missing file is an error naming it" "nope.pem" ck --cert nope.pem --key keys/dev-0001.key
done_testing

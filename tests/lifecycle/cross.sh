#!/bin/sh
# Root rollover (issue 15 item 4): `keyceremony cross sign`. Two roots in
# a SoftHSM token; an intermediate and a device under the NEW root; the
# old root cross-signs the new one. The device chain verifies trusting
# only the old root (through cross.pem) and trusting only the new root
# (openssl -x509_strict, GnuTLS certtool); the cross-certificate carries
# the new root's subject and SubjectPublicKeyInfo byte for byte, its SKI,
# the old root's SKI as AKI, CA:TRUE, keyCertSign+cRLSign, and ends no
# later than the old root. Refused, nothing written: a tampered new root,
# one not self-signed, the old root itself, an --issuer that is not the
# token key's certificate, an existing --out.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
softhsm_setup test
cd "$T" || bail "cd"
S="$T/state"
mkroot() { # LABEL ALG SUBJECT DAYS
	"$KC" root create --token test --pin-file "$T/pin" --state "$S" \
		--label "$1" --algorithm "$2" --subject "$3" --days "$4" \
		--out "$T/$1.pem" >"$T/root.out" 2>&1 ||
		{ cat "$T/root.out"; bail "root create $1"; }
}
mkroot old ec-p384 "/CN=Example Root 2026/O=Example" 3650
mkroot new ec-p256 "/CN=Example Root 2036/O=Example" 7300
mkroot other ec-p256 "/CN=Unrelated Root/O=Example" 365

# the factory under the NEW root
( umask 077; printf 'correct horse battery\n' > "$PASS" )
"$FS" init --dir "$T/D" --subject "/CN=Factory 2036/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null || bail "init"
"$KC" intermediate sign --token test --pin-file "$T/pin" --state "$S" \
	--label new --issuer "$T/new.pem" --csr "$T/D/intermediate.csr" \
	--days 1000 --yes --out "$T/inter.pem" >/dev/null || bail "inter"
"$FS" install --dir "$T/D" --cert "$T/inter.pem" --root "$T/new.pem" \
	>/dev/null || bail "install"
fs_fast_key "$T/D"
mkdir -p "$T/csr" "$T/keys" "$T/out"
mkcsr dev-1
"$FS" sign --dir "$T/D" --csr "$T/csr/dev-1.csr" --out-dir "$T/out" \
	--pass-file "$PASS" >/dev/null || bail "sign dev-1"
DEV=$T/out/dev-1.cert.pem

check_fails "before the cross-certificate, the old root does not accept the device" \
	"error" openssl verify -x509_strict -CAfile "$T/old.pem" \
	-untrusted "$T/inter.pem" "$DEV"

X="--token test --pin-file $T/pin --state $S --label old --yes"
check "cross sign: the old root signs the new root (--days beyond the old root)" \
	"$KC" cross sign $X --issuer "$T/old.pem" --cert "$T/new.pem" \
	--days 9000 --out "$T/cross.pem"
cp "$T/.out" "$T/cross.out"
check "  ... it says the validity was cut short" grep -q "cut short" "$T/cross.out"
check "  ... recorded in the register" sh -c "'$KC' register list \
	--state '$S' | grep -qi \"$(openssl x509 -in "$T/cross.pem" -noout \
	-serial | sed 's/serial=//' | tr A-F a-f)\""
cat "$T/cross.pem" "$T/inter.pem" > "$T/untrusted.pem"
check "device chain verifies trusting only the OLD root (-untrusted cross + intermediate)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$T/old.pem" \
	-untrusted "$T/untrusted.pem" "$DEV"
check "device chain verifies trusting only the NEW root" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$T/new.pem" \
	-untrusted "$T/inter.pem" "$DEV"
check "the cross-certificate itself verifies under the old root" \
	openssl verify -x509_strict -CAfile "$T/old.pem" "$T/cross.pem"
cat "$DEV" "$T/inter.pem" "$T/cross.pem" > "$T/chain-old.pem"
cat "$DEV" "$T/inter.pem" > "$T/chain-new.pem"
check "GnuTLS: the chain through cross.pem verifies with only the old root" \
	certtool --verify --load-ca-certificate "$T/old.pem" --infile "$T/chain-old.pem"
check "GnuTLS: the chain verifies with only the new root" \
	certtool --verify --load-ca-certificate "$T/new.pem" --infile "$T/chain-new.pem"
check_fails "GnuTLS: without the cross-certificate, the old root refuses" \
	"Not verified|not verified|Verification output: Not" \
	certtool --verify --load-ca-certificate "$T/old.pem" --infile "$T/chain-new.pem"

# the contents
der() { openssl x509 -in "$1" -outform DER; }
spki() { python3 - "$1" <<'PY'
import sys, subprocess
d = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-outform", "DER"],
                   capture_output=True, check=True).stdout
def tlv(b, i):
    l = b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], "big"); h = 2 + n
    return i + h, l
i, _ = tlv(d, 0)            # Certificate
i, _ = tlv(d, i)            # tbsCertificate contents
for _ in range(6):          # version, serial, sigalg, issuer, validity, subject
    j, l = tlv(d, i); i = j + l
j, l = tlv(d, i)
sys.stdout.write(d[i:j + l].hex())
PY
}
ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null | sed 1d | tr -d ' '; }
check "SubjectPublicKeyInfo: the new root's, byte for byte" \
	test "$(spki "$T/cross.pem")" = "$(spki "$T/new.pem")"
check "subject: the new root's" test "$(openssl x509 -in "$T/cross.pem" \
	-noout -subject -nameopt RFC2253)" = "$(openssl x509 -in "$T/new.pem" \
	-noout -subject -nameopt RFC2253)"
check "issuer: the old root's subject" test "$(openssl x509 -in "$T/cross.pem" \
	-noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')" = "$(openssl x509 \
	-in "$T/old.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
check "SKI = the new root's SKI" test "$(ext "$T/cross.pem" subjectKeyIdentifier)" = \
	"$(ext "$T/new.pem" subjectKeyIdentifier)"
check "AKI = the old root's SKI" sh -c "test \"\$(openssl x509 -in '$T/cross.pem' \
	-noout -ext authorityKeyIdentifier | sed 1d | tr -d ' ' | sed 's/^keyid://')\" = \
	\"$(ext "$T/old.pem" subjectKeyIdentifier)\""
check "basicConstraints critical, CA:TRUE" sh -c "openssl x509 -in '$T/cross.pem' \
	-noout -ext basicConstraints | grep -q 'critical' && openssl x509 -in \
	'$T/cross.pem' -noout -ext basicConstraints | grep -q 'CA:TRUE'"
check "keyUsage critical, keyCertSign and cRLSign" sh -c "openssl x509 -in \
	'$T/cross.pem' -noout -ext keyUsage | grep -q critical && openssl x509 \
	-in '$T/cross.pem' -noout -ext keyUsage | grep -q 'Certificate Sign, CRL Sign'"
check "notAfter: the old root's (capped)" test "$(openssl x509 -in \
	"$T/cross.pem" -noout -enddate)" = "$(openssl x509 -in "$T/old.pem" \
	-noout -enddate)"

# refusals: nothing written
refuse() { # DESCRIPTION REGEX OUT ARGS...
	_d=$1 _re=$2 _o=$3; shift 3
	check_fails "$_d" "^keyceremony: .*$_re" "$KC" cross sign $X "$@" --out "$_o"
	check "  ... nothing written" test ! -e "$_o"
}
python3 - "$T/new.pem" "$T/new-tampered.pem" <<'PY'
import sys, base64
pem = open(sys.argv[1]).read().split("-----")[2]
d = bytearray(base64.b64decode(pem))
d[-3] ^= 0x01                  # inside the signature
b = base64.encodebytes(bytes(d)).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE-----\n" + b +
                             "-----END CERTIFICATE-----\n")
PY
python3 - "$T/new.pem" "$T/new-subject.pem" <<'PY'
import sys, base64
pem = open(sys.argv[1]).read().split("-----")[2]
d = base64.b64decode(pem)
i = d.find(b"Root 2036")       # in the issuer and the subject: one changed
j = d.rfind(b"Root 2036")
d = d[:j] + b"Root 2037" + d[j + 9:]
b = base64.encodebytes(d).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE-----\n" + b +
                             "-----END CERTIFICATE-----\n")
PY
refuse "a new root with a damaged signature is refused" \
	"new-tampered.pem: the new root's self-signature does not verify" \
	"$T/x1.pem" --issuer "$T/old.pem" --cert "$T/new-tampered.pem" --days 30
refuse "a new root whose subject was altered is refused" \
	"new-subject.pem: not a self-signed root certificate" \
	"$T/x2.pem" --issuer "$T/old.pem" --cert "$T/new-subject.pem" --days 30
refuse "a CA certificate that is not self-signed (the intermediate) is refused" \
	"inter.pem: not a self-signed root certificate" \
	"$T/x3.pem" --issuer "$T/old.pem" --cert "$T/inter.pem" --days 30
refuse "the old root as the new one is refused" \
	"new root has the old root's key" \
	"$T/x4.pem" --issuer "$T/old.pem" --cert "$T/old.pem" --days 30
refuse "--issuer that is not the certificate of the token key is refused" \
	"other.pem: this certificate's key is not the key 'old' in the token" \
	"$T/x5.pem" --issuer "$T/other.pem" --cert "$T/new.pem" --days 30
cp "$T/cross.pem" "$T/cross.keep"
check_fails "an existing --out is refused" "^keyceremony: .*cross.pem already exists; refusing to overwrite it" \
	"$KC" cross sign $X --issuer "$T/old.pem" --cert "$T/new.pem" \
	--days 30 --out "$T/cross.pem"
check "  ... and left as it was" cmp -s "$T/cross.pem" "$T/cross.keep"
check_fails "a file that is not a certificate as --cert is refused" \
	"^keyceremony: .*intermediate.csr: holds a 'CERTIFICATE REQUEST' PEM block" "$KC" cross sign $X --issuer \
	"$T/old.pem" --cert "$T/D/intermediate.csr" --days 30 --out "$T/x6.pem"
check "  ... nothing written" test ! -e "$T/x6.pem"
check "a second cross-certificate with a short --days: not cut short" \
	"$KC" cross sign $X --issuer "$T/old.pem" --cert "$T/new.pem" \
	--days 30 --out "$T/cross2.pem"
cp "$T/.out" "$T/cross2.out"
check "  ... no note" sh -c "! grep -q 'cut short' '$T/cross2.out'"
check "  ... and it verifies" openssl verify -x509_strict -CAfile "$T/old.pem" \
	"$T/cross2.pem"
done_testing

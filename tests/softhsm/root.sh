#!/bin/sh
# keyceremony root create on a fresh SoftHSM token: the certificate, the
# key's attributes, and every refused input (message, exit code, no file,
# no key left behind).
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup rootca
cd "$T" || exit 1

SUBJ="/CN=Test Root CA/O=Example/C=DE"
nkeys() { p11 --login --pin 123456 --list-objects 2>/dev/null | grep -c '^Private Key Object'; }

check "root create ec-p384" "$KC" root create --token rootca --label root --algorithm ec-p384 \
	--subject "$SUBJ" --days 3650 --pin-file pin --state st --out root.pem
cp "$T/.out" create.out
# shown in the one hash form: lower-case hex in groups of eight
fp=$(openssl x509 -in root.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f |
	sed 's/\(........\)/\1 /g; s/ $//')
check "the printed SHA-256 fingerprint is the certificate's ($fp)" grep -q "$fp" create.out
check "openssl verify -x509_strict accepts the root" openssl verify -x509_strict -CAfile root.pem root.pem
check "certtool --verify-chain accepts the root" certtool --verify-chain --infile root.pem
openssl x509 -in root.pem -noout -text > root.txt
check "basicConstraints critical CA:TRUE" grep -A1 'Basic Constraints: critical' root.txt
check "CA:TRUE" grep -q 'CA:TRUE' root.txt
check "keyUsage critical keyCertSign cRLSign" sh -c "grep -A1 'Key Usage: critical' root.txt | grep -q 'Certificate Sign, CRL Sign'"
check "SKI and AKI present" sh -c "grep -q 'Subject Key Identifier' root.txt && grep -q 'Authority Key Identifier' root.txt"
check "signed with SHA-384 for P-384" grep -q 'ecdsa-with-SHA384' root.txt
serial=$(openssl x509 -in root.pem -noout -serial | cut -d= -f2)
check "serial has at least 64 bits (${#serial} hex digits)" test "${#serial}" -ge 16
check "subject as asked" sh -c "openssl x509 -in root.pem -noout -subject -nameopt compat | grep -qx 'subject=/CN=Test Root CA/O=Example/C=DE'"

# The key: sensitive, never extractable, sign only.
p11 --login --pin 123456 --list-objects --type privkey > objs.txt 2>&1
check "pkcs11-tool: sensitive, always sensitive, never extractable, local" \
	grep -q 'Access: *sensitive, always sensitive, never extractable, local' objs.txt
check "pkcs11-tool: usage sign only" sh -c "grep 'Usage:' objs.txt | grep -qx ' *Usage: *sign'"
check "the private key cannot be read out" sh -c "! p11 --login --pin 123456 --read-object --type privkey --label root -o key.der 2>/dev/null && [ ! -s key.der ]"

check "root create rsa-3072" "$KC" root create --token rootca --label root-rsa --algorithm rsa-3072 \
	--subject "/CN=RSA Root" --days 365 --pin-file pin --state st --out root-rsa.pem
check "RSA root verifies" openssl verify -x509_strict -CAfile root-rsa.pem root-rsa.pem
check "RSA root uses sha256WithRSAEncryption" sh -c "openssl x509 -in root-rsa.pem -noout -text | grep -q sha256WithRSAEncryption"

before=$(nkeys)
# refused INPUT...: no output file, no new key.
refused() {
	d=$1; p=$2; shift 2
	rm -f out.pem
	check_fails "$d" "$p" "$@"
	if [ -e out.pem ]; then not_ok "$d: nothing written"; else ok "$d: nothing written"; fi
	n=$(nkeys); if [ "$n" = "$before" ]; then ok "$d: no key left in the token"; else not_ok "$d: $n keys, expected $before"; fi
}
A="--label new --algorithm ec-p256 --days 30 --out out.pem"
refused "unknown token label" "no token labelled 'nosuch'.*rootca" \
	"$KC" root create --token nosuch $A --subject /CN=x --pin-file pin
printf '999999\n' > badpin; chmod 600 badpin
refused "wrong PIN" "CKR_PIN_INCORRECT.*lock" \
	"$KC" root create --token rootca $A --subject /CN=x --pin-file badpin
refused "missing module" "/nonexistent/module.so" \
	"$KC" root create --module /nonexistent/module.so --token rootca $A --subject /CN=x --pin-file pin
refused "not a PKCS#11 module" "not a PKCS#11 module" \
	"$KC" root create --module "$(ls /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1 2>/dev/null | head -1)" \
	--token rootca $A --subject /CN=x --pin-file pin
refused "key label already used" "already exists" \
	"$KC" root create --token rootca --label root --algorithm ec-p256 --days 30 --out out.pem --subject /CN=x --pin-file pin
refused "malformed subject" "must look like" \
	"$KC" root create --token rootca $A --subject "CN=x" --pin-file pin
refused "unknown subject attribute" "unknown attribute" \
	"$KC" root create --token rootca $A --subject "/XX=x" --pin-file pin
refused "--days 0" "--days '0'" \
	"$KC" root create --token rootca --label new --algorithm ec-p256 --days 0 --out out.pem --subject /CN=x --pin-file pin
refused "--days over 30 years" "30 years" \
	"$KC" root create --token rootca --label new --algorithm ec-p256 --days 11000 --out out.pem --subject /CN=x --pin-file pin
refused "unsupported algorithm" "unsupported algorithm 'dsa-2048'" \
	"$KC" root create --token rootca --label new --algorithm dsa-2048 --days 30 --out out.pem --subject /CN=x --pin-file pin
cp root.pem exists.pem
check_fails "output exists" "exists.pem already exists" \
	"$KC" root create --token rootca --label new --algorithm ec-p256 --days 30 --out exists.pem --subject /CN=x --pin-file pin
check "existing output untouched" cmp root.pem exists.pem
refused "output directory unwritable" "cannot write nodir/out.pem" \
	"$KC" root create --token rootca --label new --algorithm ec-p256 --days 30 --out nodir/out.pem --subject /CN=x --pin-file pin
chmod 644 pin
refused "PIN file readable by others" "chmod 600" \
	"$KC" root create --token rootca $A --subject /CN=x --pin-file pin
chmod 600 pin
check_fails "PIN never on the command line: --pin refused" "never taken from the command line" \
	"$KC" root create --token rootca $A --subject /CN=x --pin 123456
cp "$T/.out" pin-refused.out
check "the refused PIN is not echoed back" sh -c "grep -q 'never taken' pin-refused.out && ! grep -q 123456 pin-refused.out"
check_fails "--so-pin=X refused too" "never taken from the command line" "$KC" token init --label x --so-pin=1 --pin-file pin
done_testing

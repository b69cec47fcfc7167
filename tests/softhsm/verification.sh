#!/bin/sh
# keyceremony verification sign: the Azure DPS proof-of-possession
# certificate: CN = the code, verifies against the root, no private key
# file anywhere; bad codes refused with nothing written.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd $T"
S="$T/state"
common="--token test --pin-file $T/pin --state $S"
"$KC" root create $common --label root --algorithm ec-p384 \
	--subject "/CN=Test Root CA/O=Example" --days 3650 --out root.pem >root.out 2>&1 \
	|| { cat root.out; bail "root create failed"; }

mkdir work && cd work || bail "mkdir"
touch "$T/marker"
sleep 1
code=0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6071
check "verification sign" \
	"$KC" verification sign $common --label root --issuer ../root.pem \
	--code "$code" --out verification.pem
"$KC" verification sign $common --label root --issuer ../root.pem \
	--code abc123 --days 7 --out v2.pem > v2.out 2>&1
check "the CN is the code, exactly" \
	sh -c "openssl x509 -in verification.pem -noout -subject -nameopt RFC2253 | grep -qx 'subject=CN=$code'"
check "it verifies against the root (-x509_strict)" \
	openssl verify -x509_strict -CAfile ../root.pem verification.pem
openssl x509 -in verification.pem -noout -text > v.txt
check "end-entity: CA:FALSE" sh -c "grep -A1 'Basic Constraints: critical' v.txt | grep -q 'CA:FALSE'"
check "keyUsage digitalSignature only" sh -c "grep -A1 'Key Usage: critical' v.txt | grep -qx ' *Digital Signature'"
check "extendedKeyUsage clientAuth" sh -c "grep -A1 'Extended Key Usage' v.txt | grep -q 'TLS Web Client Authentication'"
nb=$(date -d "$(openssl x509 -in verification.pem -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in verification.pem -noout -enddate | cut -d= -f2)" +%s)
[ $((na - nb)) -eq $((2 * 86400)) ] && ok "default validity is 2 days" || not_ok "validity $((na - nb)) s"
check "next step printed: az iot dps certificate verify with the file" \
	grep -q "az iot dps certificate verify --dps-name <dps-name> .*" v2.out
check "next step names the file" grep -q -- "--path v2.pem" v2.out
check "the throwaway key is said to be discarded" grep -q "no private key was written" v2.out

# No private key file anywhere: only the two certificates (and the
# register) appeared, and nothing written since the marker holds a key.
new=$(find "$T" -newer "$T/marker" -type f ! -path "$T/softhsm/*" ! -path "$S/*" ! -name '.out' | sort | tr '\n' ' ')
[ "$new" = "$T/work/v.txt $T/work/v2.out $T/work/v2.pem $T/work/verification.pem " ] \
	&& ok "no new files but the certificates" || not_ok "new files: $new"
if grep -rlE "PRIVATE KEY|EC PARAMETERS" "$T/work" "$S" 2>/dev/null; then
	not_ok "a private key was written"
else
	ok "no private key in the output or state"
fi
objs=$(pkcs11-tool --module "$MODULE" --token-label test --login --pin 123456 --list-objects 2>/dev/null | grep -c 'Private Key Object')
[ "$objs" -eq 1 ] && ok "the token holds only the root's private key" || not_ok "token has $objs private keys"
check "register records the verification certificate" \
	sh -c "'$KC' register list --state '$S' | grep -q ' verification .*CN=$code'"

# --- bad codes -----------------------------------------------------------
bad_code() {
	_n=$1; _re=$2; _code=$3
	rm -f bad.pem
	"$KC" verification sign $common --label root --issuer ../root.pem \
		--code "$_code" --out bad.pem > "$T/.bc" 2>&1
	_rc=$?
	if [ $_rc -eq 2 ] && grep -Eq -- "$_re" "$T/.bc"; then ok "$_n (exit 2, message)"
	else not_ok "$_n: exit $_rc"; sed 's/^/#   /' "$T/.bc"; fi
	[ ! -e bad.pem ] && ok "$_n: nothing written" || not_ok "$_n: bad.pem written"
}
bad_code "code with a space" "--code has a space at position 4" "abc def"
bad_code "code over 64 characters" "--code is 65 characters long" \
	"$(printf 'a%.0s' $(seq 65))"
bad_code "empty code" "--code is empty" ""
bad_code "code with punctuation" "--code has a punctuation character" "abc-def"
bad_code "code with a newline" "control" "abc
def"
check "64 characters are fine" \
	"$KC" verification sign $common --label root --issuer ../root.pem \
	--code "$(printf 'Z%.0s' $(seq 64))" --out v64.pem
check_fails "--days past the root's end" "latest allowed end" \
	"$KC" verification sign $common --label root --issuer ../root.pem --code abc --days 5000 --out bad.pem
check_fails "an end-entity certificate as --issuer" "v64.pem: not a CA certificate" \
	"$KC" verification sign $common --label root --issuer v64.pem --code abc --out bad.pem
"$KC" root create $common --label other --algorithm ec-p256 \
	--subject "/CN=Other Root" --days 3650 --out ../other.pem >/dev/null 2>&1 || bail "other root"
check_fails "wrong --issuer (another key's root)" "other.pem: this certificate's key is not the key 'root'" \
	"$KC" verification sign $common --label root --issuer ../other.pem --code abc --out bad.pem
check_fails "output exists" "v64.pem already exists" \
	"$KC" verification sign $common --label root --issuer ../root.pem --code abc --out v64.pem
[ ! -e bad.pem ] && ok "no output after refusals" || not_ok "bad.pem written"
done_testing

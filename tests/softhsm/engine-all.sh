#!/bin/sh
# Every shipped ceremony, in --batch on a fresh SoftHSM token, in the order
# a company runs them: root CA, intermediate for the factory's CSR, Azure
# DPS proof of possession, revocation. Each result is checked with openssl
# and certtool, the media with sha256sum, every transcript with its digest.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
mkdir media usb
demo_site demo.site
runc() {	# runc NAME: runs ceremony NAME and checks its transcript digest
	"$KC" run "$CER/$1.yaml" --site demo.site --batch --role officer="Olga Officer" \
		--role witness="Wim Witness" > "$1.out" 2>&1
	_rc=$?
	_d=$(sed -n '/^Final digest/{n;p;n;p}' "$1.out" | tr -d ' \n')
	_t=$(ls state/transcripts/"$1"-*.log 2>/dev/null | tail -1)
	if [ "$_rc" -eq 0 ] && [ -n "$_t" ] && "$KC" transcript verify "$_t" --digest "$_d" >/dev/null 2>&1; then
		ok "ceremony $1 runs in --batch and its transcript verifies"
	else
		not_ok "ceremony $1 (exit $_rc)"; sed 's/^/#   /' "$1.out"
	fi
}

runc root-ca
check "root verifies" openssl verify -x509_strict -CAfile state/root.pem state/root.pem
check "first CRL verifies against the root" openssl crl -in state/root-0001.crl -CAfile state/root.pem -noout
check "first CRL is empty" sh -c "openssl crl -in state/root-0001.crl -noout -text | grep -q 'No Revoked Certificates'"

# The factory's intermediate CSR arrives on the medium.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout int.key \
	-subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" -out usb/intermediate.csr 2>/dev/null ||
	bail "openssl req"
sum=$(sha256sum usb/intermediate.csr | cut -c1-64)
check "import the CSR with the hash the factory sent" \
	"$KC" import --from usb --state state --expect-sha256 "$sum" intermediate.csr
runc sign-intermediate
check "intermediate verifies under the root (openssl, x509_strict)" \
	openssl verify -x509_strict -CAfile state/root.pem state/intermediate.pem
cat state/intermediate.pem state/root.pem > chain.pem
check "certtool --verify-chain" certtool --verify-chain --infile chain.pem
check "intermediate is a CA with pathlen 0" sh -c \
	"openssl x509 -in state/intermediate.pem -noout -ext basicConstraints | grep -q 'CA:TRUE, pathlen:0'"
check "intermediate key is the CSR's" sh -c \
	"test \"\$(openssl x509 -in state/intermediate.pem -noout -pubkey)\" = \"\$(openssl req -in usb/intermediate.csr -noout -pubkey)\""
check "the step record names the CSR and its hash" grep -q "in=.*intermediate.csr:$sum" state/transcripts/sign-intermediate-*.log
check "the step record names the officer" grep -q 'name="Olga Officer"' state/transcripts/sign-intermediate-*.log

# Azure DPS proof of possession with the code from the portal.
echo 5C7E0A1B2C3D4E5F > usb/dps-verification.code
check "import the verification code" "$KC" import --from usb --state state dps-verification.code
runc dps-proof-of-possession
check "verification certificate CN is the code" sh -c \
	"openssl x509 -in state/dps-verification.pem -noout -subject | grep -q 'CN *= *5C7E0A1B2C3D4E5F'"
check "verification certificate verifies under the root" \
	openssl verify -x509_strict -CAfile state/root.pem state/dps-verification.pem
check "verification certificate is not a CA" sh -c \
	"openssl x509 -in state/dps-verification.pem -noout -ext basicConstraints | grep -q 'CA:FALSE'"

# Revocation.
runc revoke-intermediate
check "new CRL verifies" openssl crl -in state/root-0002.crl -CAfile state/root.pem -noout
check_fails "the intermediate is revoked" "revoked" \
	openssl verify -crl_check -CAfile state/root.pem -CRLfile state/root-0002.crl state/intermediate.pem
check "CRL numbers increase" sh -c \
	"openssl crl -in state/root-0002.crl -noout -crlnumber | grep -q 'crlNumber=0x02\|crlNumber=02'"

# The medium after four ceremonies.
check "sha256sum -c SHA256SUMS on the media" sh -c "cd media && sha256sum -c --strict SHA256SUMS"
check "four transcripts on the media" test "$(ls media/*.log | wc -l)" -eq 4
check "every artefact is on the media" sh -c \
	"for f in root.pem root-0001.crl intermediate.pem dps-verification.pem root-0002.crl intermediate.csr; do test -f media/\$f || exit 1; done"
check "a register dump is on the media" sh -c "grep -l '^intermediate' media/register-*.txt"
check "nothing private on the media" sh -c "! grep -l 'PRIVATE' media/*"
check "every transcript on the media verifies" sh -c \
	"for t in media/*.log; do '$KC' transcript verify \"\$t\" >/dev/null || exit 1; done"
done_testing

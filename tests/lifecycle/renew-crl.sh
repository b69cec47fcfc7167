#!/bin/sh
# ceremony/renew-crl.yaml (issue 15 item 4): after root-ca.yaml (CRL 1),
# sign-intermediate.yaml and revoke-intermediate.yaml (CRL 2, revoking
# the intermediate), renew-crl.yaml, edited to a new file name, re-signs
# the current list: CRL number 3, the same revoked serial with its
# reason, a fresh nextUpdate, verified by the root, exported to the
# medium; run again with the same output name it is refused and nothing
# is signed.
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
runc() {
	"$KC" run "$1" --site demo.site --batch --role officer=Olga \
		--role witness=Wim > run.out 2>&1
}
runc "$CER/root-ca.yaml" || bail "root-ca: $(cat run.out)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
	-keyout /dev/null -subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" \
	-out state/intermediate.csr 2>/dev/null || bail "openssl req"
runc "$CER/sign-intermediate.yaml" || bail "sign-intermediate: $(cat run.out)"
runc "$CER/revoke-intermediate.yaml" || bail "revoke: $(cat run.out)"
sed 's/root-0002\.crl/root-0003.crl/' "$CER/renew-crl.yaml" > renew.yaml
check "renew-crl.yaml runs" runc renew.yaml
crlnum() { openssl crl -in "$1" -noout -crlnumber | sed 's/.*=//'; }
check "the new CRL is number 3" test "$(($(crlnum state/root-0003.crl)))" -eq 3
check "  ... and verifies with the root" sh -c "openssl crl -in \
	state/root-0003.crl -CAfile state/root.pem -noout -verify 2>&1 | \
	grep -q 'verify OK'"
si=$(openssl x509 -in state/intermediate.pem -noout -serial | cut -d= -f2)
check "  ... still revokes the intermediate, keyCompromise" sh -c \
	"openssl crl -in state/root-0003.crl -noout -text | grep -A4 '$si' | \
	grep -q 'Key Compromise'"
check "  ... nextUpdate about 365 days on" sh -c "test \$(( \$(date -d \
	\"\$(openssl crl -in state/root-0003.crl -noout -nextupdate | \
	sed 's/.*=//')\" +%s) - \$(date +%s) )) -gt \$((364 * 86400))"
check "  ... on the medium" cmp -s state/root-0003.crl media/root-0003.crl
runp() { runc "$1"; _r=$?; cat run.out; return $_r; }
check_fails "the same ceremony again (its output exists): refused" \
	"output state/root-0003.crl exists already" runp renew.yaml
check "  ... no CRL number 4 signed" sh -c "! sqlite3 state/register.sqlite \
	\"SELECT crl_number FROM issued WHERE kind = 'crl'\" | grep -qx 4"
done_testing

#!/bin/sh
# ceremony/root-rollover.yaml and the cross-sign action (issue 15 item 4):
# after root-ca.yaml, the rollover ceremony makes the new root in the
# token, the old root's cross-certificate for it and the new root's first
# CRL, and exports them; the cross-certificate verifies under the old
# root and carries the new root's key; the transcript records the step
# and verifies; the paper script names the step; a ceremony file whose
# cross-sign step lacks new-root, or names a missing one, is refused
# before anything is signed.
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
runc() {
	"$KC" run "$1" --site demo.site --batch --role officer=Olga \
		--role witness=Wim > run.out 2>&1; _r=$?; cat run.out; return $_r
}
runc "$CER/root-ca.yaml" > /dev/null || bail "root-ca: $(cat run.out)"

# refusals first: nothing signed
sed '/^    new-root:/d' "$CER/root-rollover.yaml" > no-new-root.yaml
check_fails "a cross-sign step without new-root is refused" \
	"no-new-root.yaml:[0-9]+: .*new-root" runc no-new-root.yaml
sed 's/^    new-root: root-2036.pem/    new-root: elsewhere.pem/' \
	"$CER/root-rollover.yaml" > missing.yaml
check_fails "a cross-sign step whose new root is nowhere is refused" \
	"elsewhere.pem" runc missing.yaml
check "  ... and nothing was made" sh -c "! ls state | grep -q 2036"
check "  ... no key made in the token" sh -c "! pkcs11-tool --module '$MODULE' \
	--token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -q root-2036"

check "root-rollover.yaml runs" runc "$CER/root-rollover.yaml"
check "the cross-certificate verifies under the old root" openssl verify \
	-x509_strict -CAfile state/root.pem state/cross-2036-by-2026.pem
check "  ... and the new root's chain through it" sh -c "openssl verify \
	-x509_strict -partial_chain -CAfile state/root.pem \
	-untrusted state/cross-2036-by-2026.pem state/cross-2036-by-2026.pem"
pk() { openssl x509 -in "$1" -noout -pubkey; }
check "  ... it carries the new root's key" test "$(pk state/cross-2036-by-2026.pem)" = \
	"$(pk state/root-2036.pem)"
check "  ... and its subject" test "$(openssl x509 -in state/cross-2036-by-2026.pem \
	-noout -subject)" = "$(openssl x509 -in state/root-2036.pem -noout -subject)"
check "the new root's CRL verifies with the new root" sh -c "openssl crl \
	-in state/root-2036-0001.crl -CAfile state/root-2036.pem -noout -verify \
	2>&1 | grep -q 'verify OK'"
check "exported to the medium" cmp -s state/cross-2036-by-2026.pem \
	media/cross-2036-by-2026.pem
tr=$(grep -l 'result=completed' state/transcripts/root-rollover-*.log)
check "the transcript verifies" "$KC" transcript verify "$tr"
check "  ... and records the cross-sign step" grep -q "cross-2036-by-2026.pem" "$tr"
check "keyceremony status lists both roots and the cross-certificate" sh -c \
	"'$KC' status --state state --warn-days 1 > st.out; grep -q 'Root CA 2026' st.out && \
	grep -c 'Root CA 2036' st.out | grep -qx 3 && \
	grep -q '^last ceremony: root-rollover (rehearsal), completed' st.out"
check "the paper script of the rollover" "$KC" script "$CER/root-rollover.yaml" \
	--site demo.site --format text --out script.txt
check "  ... names the new root as an input of the cross-sign step" \
	grep -q "new root certificate" script.txt
done_testing

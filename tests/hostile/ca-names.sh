#!/bin/sh
# A CA's subject tells it apart (issue 12 item 8): an intermediate whose
# subject equals the root's (from the CSR, from --subject, from the
# ceremony file; also differing only in case, spaces or string type) or
# that of another valid intermediate of the same root is refused with
# nothing written and the register unchanged. Positive pairs: distinct
# names sign; a revoked or expired namesake frees the name; another root
# may reuse it; a verification (DPS) certificate, a leaf, may carry the
# root's CN.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "cd $T"
S="$T/state"
common="--token keyceremony-demo --pin-file $T/pin --state $S"
ROOT_DN="/CN=Test Root CA/O=Example"
"$KC" root create $common --label root --algorithm ec-p384 \
	--subject "$ROOT_DN" --days 3650 --out root.pem > root.out 2>&1 ||
	bail "root create: $(cat root.out)"

csr() {	# csr FILE DN [openssl req options]: a fresh P-256 key and its CSR
	_f=$1; _dn=$2; shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_f.key" -subj "$_dn" "$@" -out "$_f" 2>/dev/null || bail "openssl req $_dn"
}
regdump() { sqlite3 "$S/register.sqlite" .dump | sha256sum; }
sign() { "$KC" intermediate sign $common --label root --issuer root.pem --days 365 --yes "$@"; }

# refused NAME REGEX ARGS...: intermediate sign refuses with the message;
# no bad.pem, the register and the state directory unchanged.
refused() {
	_n=$1; _re=$2; shift 2
	rm -f bad.pem
	_before=$(regdump); _ls=$(ls -la "$S" | sha256sum)
	check_fails "$_n" "$_re" sign --out bad.pem "$@"
	[ ! -e bad.pem ] && ok "$_n: nothing written" || not_ok "$_n: bad.pem written"
	[ "$(regdump)" = "$_before" ] && [ "$(ls -la "$S" | sha256sum)" = "$_ls" ] &&
		ok "$_n: register and state dir unchanged" || not_ok "$_n: state changed"
}
ROOTMSG="is the root's own subject"
DUPMSG="is already the subject of the intermediate CA serial"

# --- the root's subject -------------------------------------------------
csr same.csr "$ROOT_DN"
refused "CSR subject = the root's" "same.csr\\) $ROOTMSG" --csr same.csr
csr upper.csr "/CN=TEST ROOT CA/O=EXAMPLE"
refused "CSR subject = the root's but for case" "$ROOTMSG" --csr upper.csr
csr spaces.csr "/CN=Test  Root   CA/O=Example"
refused "CSR subject = the root's but for runs of spaces" "$ROOTMSG" --csr spaces.csr
printf '[req]\ndistinguished_name = dn\nstring_mask = default\n[dn]\n' > printable.cnf
csr printable.csr "$ROOT_DN" -config printable.cnf
check "the PrintableString CSR really uses another string type" sh -c \
	"openssl asn1parse -in printable.csr | grep -q PRINTABLESTRING"
refused "CSR subject = the root's as PrintableString" "$ROOTMSG" --csr printable.csr
csr ok.csr "/CN=Factory CA/O=Example"
refused "--subject = the root's" "--subject or the ceremony file\\) $ROOTMSG" \
	--csr ok.csr --subject "$ROOT_DN"
refused "--subject = the root's but for case" "$ROOTMSG" --csr ok.csr --subject "/CN=test root ca/O=example"
refused "--subject = the root's but for spaces" "$ROOTMSG" --csr ok.csr --subject "/CN=Test Root  CA/O=Example"
cp "$T/.out" last.out
check "the refusal names the root's subject" grep -q "subject /CN=Test Root CA/O=Example" last.out
csr reordered.csr "/O=Example/CN=Test Root CA"
check "positive: the same attributes in another order are another name" \
	sign --csr reordered.csr --out reordered.pem
check "positive: a distinct subject signs" sign --csr ok.csr --out factory.pem
check "  ... and verifies" openssl verify -x509_strict -CAfile root.pem factory.pem

# --- another valid intermediate of this root ------------------------------
csr twin.csr "/CN=Factory CA/O=Example"
refused "a second intermediate with the subject of a valid one" "twin.csr\\) $DUPMSG" --csr twin.csr
serial=$(openssl x509 -in factory.pem -noout -serial | cut -d= -f2 | tr A-F a-f)
cp "$T/.out" last.out
check "the refusal names the serial and file of the first" grep -q "serial $serial (factory.pem" last.out
refused "... differing only in case" "$DUPMSG" --csr ok.csr --subject "/CN=FACTORY CA/O=example"
refused "... from --subject" "$DUPMSG" --csr same.csr --subject "/CN=Factory CA/O=Example"
csr other.csr "/CN=Factory CA 2/O=Example"
check "positive: another name signs" sign --csr other.csr --out factory2.pem

# a revoked namesake frees the name
check "revoke the first intermediate" "$KC" crl $common --label root --issuer root.pem \
	--revoke factory.pem --reason superseded --out c1.crl
check "positive: after the revocation the name can be reused" sign --csr twin.csr --out twin.pem
check "  ... and verifies" openssl verify -x509_strict -CAfile root.pem twin.pem
# an expired namesake frees it too (expiry written into the register)
csr twin2.csr "/CN=Factory CA 2/O=Example"
refused "the name of factory2.pem is taken" "$DUPMSG" --csr twin2.csr
sqlite3 "$S/register.sqlite" "UPDATE issued SET not_after = 1000 WHERE path = 'factory2.pem'"
check "positive: once that one has expired the name can be reused" sign --csr twin2.csr --out twin2.pem

# --- another root, and a leaf ----------------------------------------------
"$KC" root create $common --label root2 --algorithm ec-p256 \
	--subject "/CN=ABC123DEF" --days 3650 --out root2.pem > root2.out 2>&1 || bail "root2"
csr other-root.csr "/CN=Factory CA 2/O=Example"
check "positive: another root may use a name this root's CA has" \
	"$KC" intermediate sign $common --label root2 --issuer root2.pem --days 365 --yes \
	--csr other-root.csr --out other-root.pem
check "positive: a verification certificate (a leaf) may have CN = the root's" \
	"$KC" verification sign $common --label root2 --issuer root2.pem --code ABC123DEF --out v.pem

# --- without a register: the issuer rule still holds ----------------------
rm -f bad.pem
check_fails "without --state's register: the root's subject still refused" "$ROOTMSG" \
	"$KC" intermediate sign --token keyceremony-demo --pin-file "$T/pin" --state "$T/empty-state" \
	--label root --issuer root.pem --days 365 --yes --csr same.csr --out bad.pem
[ ! -e bad.pem ] && [ ! -e "$T/empty-state/register.sqlite" ] && ok "  ... nothing written" ||
	not_ok "  ... something written"

# --- the ceremony file -------------------------------------------------------
mkdir -p cer/state cer/media
cp root.pem cer/state/root.pem
demo_site cer/demo.site
cp "$T/pin" cer/pin
cp ok.csr cer/state/intermediate.csr
sed -e 's/issuer-key: root-2026 /issuer-key: root /' \
	-e "s|^    # subject: .*|    subject: $ROOT_DN|" \
	"$KC_TOP_SRCDIR/ceremony/sign-intermediate.yaml" > cer/root-name.yaml
check "the ceremony file names the root's subject" grep -q "^    subject: $ROOT_DN" cer/root-name.yaml
(cd cer && "$KC" run root-name.yaml --site demo.site --batch --role officer=Olga --role witness=Wim) > cer/run.out 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "$ROOTMSG" cer/run.out && ok "a ceremony file with subject = the root's is refused" ||
	{ not_ok "ceremony file with the root's subject (exit $rc)"; sed 's/^/#   /' cer/run.out; }
[ ! -e cer/state/intermediate.pem ] && ok "  ... no intermediate written" || not_ok "  ... intermediate written"
tr=$(ls cer/state/transcripts/*.log 2>/dev/null | tail -1)
check "  ... the transcript records the refusal and verifies" sh -c \
	"grep -q \"root's own subject\" '$tr' && '$KC' transcript verify '$tr'"
cp same.csr cer/state/intermediate.csr
sed -e 's/issuer-key: root-2026 /issuer-key: root /' -e 's/intermediate.pem/intermediate-b.pem/' \
	"$KC_TOP_SRCDIR/ceremony/sign-intermediate.yaml" > cer/csr-name.yaml
(cd cer && "$KC" run csr-name.yaml --site demo.site --batch --role officer=Olga --role witness=Wim) > cer/run2.out 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "$ROOTMSG" cer/run2.out && [ ! -e cer/state/intermediate-b.pem ] &&
	ok "a ceremony with a CSR carrying the root's subject is refused" ||
	{ not_ok "ceremony, CSR with the root's subject (exit $rc)"; sed 's/^/#   /' cer/run2.out; }
cp ok.csr cer/state/intermediate.csr
sed -e 's/issuer-key: root-2026 /issuer-key: root /' -e 's/intermediate.pem/intermediate-c.pem/' \
	-e "s|^    # subject: .*|    subject: /CN=Ceremony Factory CA/O=Example|" \
	"$KC_TOP_SRCDIR/ceremony/sign-intermediate.yaml" > cer/good.yaml
(cd cer && "$KC" run good.yaml --site demo.site --batch --role officer=Olga --role witness=Wim) > cer/run3.out 2>&1 &&
	openssl verify -x509_strict -CAfile root.pem cer/state/intermediate-c.pem >/dev/null 2>&1 &&
	ok "positive: the ceremony with a name of its own signs" ||
	{ not_ok "ceremony with a distinct subject"; sed 's/^/#   /' cer/run3.out; }
done_testing

#!/bin/sh
# A rolled-back or replaced register cannot sign a CRL (issue 12 item 6).
# Before `keyceremony crl` (and a ceremony's crl-issue step) signs, the
# register's next CRL number and revoked list are checked against the CRL
# files of the root (state dir and the directory of --out, each verified
# with the root's key) and the last "crl" record of the transcripts in the
# state dir: the number must be higher, the revoked set a superset with the
# same reasons. Each tampering with sqlite3 is refused naming the source,
# with nothing written and the register unchanged; the untampered register
# goes on numbering (positive pairs).
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "cd $T"
S="$T/state"
common="--token keyceremony-demo --pin-file $T/pin --state $S"
"$KC" root create $common --label root --algorithm ec-p256 \
	--subject "/CN=Rollback Root/O=Example" --days 3650 --out root.pem > root.out 2>&1 ||
	bail "root create: $(cat root.out)"
for i in 1 2 3; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=Factory $i CA/O=Example" -out i$i.csr 2>/dev/null || bail "openssl req"
	"$KC" intermediate sign $common --label root --issuer root.pem --csr i$i.csr \
		--days 365 --yes --out i$i.pem > /dev/null 2>&1 || bail "intermediate $i"
done
crl() { "$KC" crl $common --label root --issuer root.pem "$@"; }
crlnum() { printf '%d' "0x$(openssl crl -in "$1" -noout -crlnumber | sed 's/.*=//;s/^0x//')"; }
check "CRL 1 (empty)" crl --out c1.crl
check "CRL 2 revokes i1 (keyCompromise)" crl --revoke i1.pem --reason keyCompromise --out c2.crl
check "CRL 3 revokes i2 (superseded)" crl --revoke i2.pem --reason superseded --out c3.crl
s1=$(openssl x509 -in i1.pem -noout -serial | cut -d= -f2 | tr A-F a-f)
s2=$(openssl x509 -in i2.pem -noout -serial | cut -d= -f2 | tr A-F a-f)
sqlite3 "$S/register.sqlite" ".backup $T/good.sqlite" || bail "sqlite3 .backup"
regdump() { sqlite3 "$S/register.sqlite" .dump | sha256sum; }
restore() { rm -f "$S"/register.sqlite*; cp good.sqlite "$S/register.sqlite"; chmod 600 "$S/register.sqlite"; }

# attack NAME SQL REGEX [crl args]: the good register, tampered with SQL,
# is refused with REGEX; no bad.crl, the tampered register unchanged.
attack() {
	_n=$1; _sql=$2; _re=$3; shift 3
	restore
	sqlite3 "$S/register.sqlite" "$_sql" || bail "sqlite3 $_sql"
	_before=$(regdump)
	rm -f bad.crl
	check_fails "$_n" "$_re" crl --out bad.crl "$@"
	[ ! -e bad.crl ] && ok "$_n: no CRL written" || not_ok "$_n: bad.crl written"
	[ "$(regdump)" = "$_before" ] && ok "$_n: register unchanged" || not_ok "$_n: register changed"
}
FIX="rolled back or replaced: restore it"
attack "the issue's attack: CRL rows deleted, revoked_at cleared" \
	"DELETE FROM issued WHERE kind = 'crl'; UPDATE issued SET revoked_at = NULL, reason = NULL" \
	"says the next CRL number is 1, but \./c3\.crl is CRL number 3; the register was $FIX"
attack "CRL rows deleted" "DELETE FROM issued WHERE kind = 'crl'" "next CRL number is 1, but \./c3\.crl is CRL number 3"
attack "... and --revoke given" "DELETE FROM issued WHERE kind = 'crl'" "next CRL number is 1, but \./c3\.crl" \
	--revoke i3.pem --reason superseded
check "  ... i3 is not revoked in the register after the refusal" sh -c \
	"! sqlite3 '$S/register.sqlite' \"SELECT revoked_at FROM issued WHERE path = 'i3.pem'\" | grep -q ."
attack "only the newest CRL row deleted" "DELETE FROM issued WHERE kind = 'crl' AND crl_number = 3" \
	"next CRL number is 3, but \./c3\.crl is CRL number 3"
attack "CRL numbers lowered" "UPDATE issued SET crl_number = crl_number - 100 WHERE kind = 'crl'" \
	"next CRL number is -96, but \./c3\.crl is CRL number 3"
attack "revoked_at cleared" "UPDATE issued SET revoked_at = NULL, reason = NULL" \
	"does not list serial ($s1 as revoked, but \./c3\.crl \(CRL number 3\) revokes it \(reason keyCompromise|$s2 as revoked, but \./c3\.crl \(CRL number 3\) revokes it \(reason superseded)\)"
attack "one revocation cleared" "UPDATE issued SET revoked_at = NULL, reason = NULL WHERE serial = '$s2'" \
	"does not list serial $s2 as revoked, but \./c3\.crl"
attack "a reason changed" "UPDATE issued SET reason = 5 WHERE serial = '$s1'" \
	"gives revoked serial $s1 the reason cessationOfOperation, but \./c3\.crl \(CRL number 3\) gives keyCompromise"
attack "the revoked certificate's row deleted" "DELETE FROM issued WHERE serial = '$s1'" \
	"does not list serial $s1 as revoked, but \./c3\.crl \(CRL number 3\)"
attack "every row deleted" "DELETE FROM issued" "next CRL number is 1, but \./c3\.crl is CRL number 3"

# A register replaced by a new, empty one.
rm -f "$S"/register.sqlite* bad.crl
check_fails "a new empty register" "register.sqlite says the next CRL number is 1, but \./c3\.crl is CRL number 3" \
	crl --out bad.crl
[ ! -e bad.crl ] && ok "a new empty register: no CRL written" || not_ok "a new empty register: CRL written"

# A forged CRL file (not signed by the root) proves nothing: it is ignored.
restore
# CRL 99 of a look-alike root (same name, another key), a damaged copy of
# c3.crl, and a CRL of another root.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-subj "/CN=Rollback Root/O=Example" -days 30 -out other.pem 2>/dev/null
mkdir -p fca; : > fca/index.txt; echo 63 > fca/crlnumber
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = fca/index.txt\ncrlnumber = fca/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' > fca.cnf
openssl ca -config fca.cnf -gencrl -keyfile other.key -cert other.pem -out look-alike-99.crl 2>/dev/null ||
	bail "openssl ca -gencrl"
check "the look-alike CRL is number 99 and names this root" sh -c \
	"[ \$(printf '%d' 0x\$(openssl crl -in look-alike-99.crl -noout -crlnumber | sed 's/.*=//;s/^0x//')) -eq 99 ] &&
	 openssl crl -in look-alike-99.crl -noout -issuer | grep -q 'Rollback Root'"
sed '2s/^./A/' c3.crl > damaged.crl
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o2.key \
	-subj "/CN=Another Root" -days 30 -out o2.pem 2>/dev/null
openssl ca -config fca.cnf -gencrl -keyfile o2.key -cert o2.pem -out another-root.crl 2>/dev/null ||
	bail "openssl ca -gencrl (another root)"
check "positive: the good register signs CRL 4 (look-alike, damaged, foreign .crl ignored)" \
	crl --revoke i3.pem --reason cessationOfOperation --out c4.crl
[ "$(crlnum c4.crl)" -eq 4 ] && ok "its number is 4" || not_ok "CRL number $(crlnum c4.crl)"
check "  ... it lists all three revocations" sh -c \
	"[ \$(openssl crl -in c4.crl -noout -text | grep -c 'Serial Number') -eq 3 ]"
check "  ... and verifies" sh -c "openssl crl -in c4.crl -CAfile root.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "positive: a re-issue is number 5" crl --out c5.crl
[ "$(crlnum c5.crl)" -eq 5 ] && ok "its number is 5" || not_ok "CRL number $(crlnum c5.crl)"

# CRLs kept only in the state directory count as well.
mkdir -p out2
mv c*.crl "$S/"
sqlite3 "$S/register.sqlite" "DELETE FROM issued WHERE kind = 'crl'"
check_fails "CRL files in the state directory count" "next CRL number is 1, but .*/state/c5\.crl is CRL number 5" \
	crl --out out2/bad.crl
[ ! -e out2/bad.crl ] && ok "  ... no CRL written" || not_ok "  ... CRL written"

# --- ceremonies: the transcript's crl record -----------------------------
mkdir cer && cd cer || bail "cd cer"
mkdir media
demo_site demo.site
cp "$T/pin" pin
CER=$KC_TOP_SRCDIR/ceremony
runc() {
	"$KC" run "$1" --site demo.site --batch --role officer=Olga --role witness=Wim > run.out 2>&1 ||
		bail "ceremony $1: $(cat run.out)"
}
runc "$CER/root-ca.yaml"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null \
	-subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" -out state/intermediate.csr 2>/dev/null
runc "$CER/sign-intermediate.yaml"
runc "$CER/revoke-intermediate.yaml"
si=$(openssl x509 -in state/intermediate.pem -noout -serial | cut -d= -f2 | tr A-F a-f)
rtr=$(ls state/transcripts/revoke-intermediate-*.log)
check "the revocation's transcript has a crl record: number 2, the serial and reason" \
	grep -Eq " crl ca=[0-9a-f]{64} number=2 revoked-count=1 revoked=$si:keyCompromise file=root-0002.crl sha256=" "$rtr"
check "  ... and verifies" "$KC" transcript verify "$rtr"
check "the root-ca transcript has the crl record of CRL 1" \
	grep -Eq " crl ca=[0-9a-f]{64} number=1 revoked-count=0 revoked=\"\" file=root-0001.crl " state/transcripts/root-ca-*.log
sqlite3 state/register.sqlite ".backup $T/cer-good.sqlite"
cp state/root-0001.crl state/root-0002.crl "$T/"
ccrl() { "$KC" crl --token keyceremony-demo --pin-file pin --state state --label root-2026 \
	--issuer state/root.pem "$@"; }
cattack() {
	_n=$1; _sql=$2; _re=$3
	rm -f state/register.sqlite*; cp "$T/cer-good.sqlite" state/register.sqlite
	rm -f state/root-0001.crl state/root-0002.crl state/bad.crl
	sqlite3 state/register.sqlite "$_sql" || bail "sqlite3 $_sql"
	_before=$(sqlite3 state/register.sqlite .dump | sha256sum)
	check_fails "$_n" "$_re" ccrl --out state/bad.crl
	[ ! -e state/bad.crl ] && [ "$(sqlite3 state/register.sqlite .dump | sha256sum)" = "$_before" ] &&
		ok "$_n: nothing written, register unchanged" || not_ok "$_n: something written"
}
rline=$(grep -n ' crl ca=' "$rtr" | cut -d: -f1)
cattack "CRL files deleted, CRL rows deleted: the transcript says 2" \
	"DELETE FROM issued WHERE kind = 'crl'; UPDATE issued SET revoked_at = NULL, reason = NULL" \
	"next CRL number is 1, but the crl record at state/transcripts/revoke-intermediate-[0-9TZ]*\.log line $rline is CRL number 2"
cattack "CRL files deleted, revoked_at cleared: the transcript lists the serial" \
	"UPDATE issued SET revoked_at = NULL, reason = NULL" \
	"does not list serial $si as revoked, but the crl record at state/transcripts/revoke-intermediate-.* \(CRL number 2\) revokes it \(reason keyCompromise\)"
cattack "CRL files deleted, reason changed: the transcript keeps it" \
	"UPDATE issued SET reason = 4 WHERE revoked_at IS NOT NULL" \
	"gives revoked serial $si the reason superseded, but the crl record at .* gives keyCompromise"
# A line appended to the transcript breaks it; the records before still count.
cp "$rtr" "$T/rtr.log"
echo "# appended" >> "$rtr"
cattack "a damaged transcript still counts up to the damage" \
	"DELETE FROM issued WHERE kind = 'crl'" "but the crl record at .* is CRL number 2"
cp "$T/rtr.log" "$rtr"
# the positive pair: the untampered state goes on to CRL 3
rm -f state/register.sqlite*; cp "$T/cer-good.sqlite" state/register.sqlite
cp "$T/root-0001.crl" "$T/root-0002.crl" state/
check "positive: the untampered state signs CRL 3" ccrl --out state/root-0003.crl
[ "$(crlnum state/root-0003.crl)" -eq 3 ] && ok "its number is 3" || not_ok "CRL number $(crlnum state/root-0003.crl)"
check "  ... with the revoked intermediate" sh -c \
	"openssl crl -in state/root-0003.crl -noout -text | grep -qi 'Serial Number: $si'"
done_testing

#!/bin/sh
# keyceremony status (issue 15 item 5): every date of the state's register
# that keeps the PKI working (roots, intermediates not revoked, the newest
# CRL of each root) with its days left, and the last ceremony with its
# verified digest. Exit 0 when nothing ends within --warn-days (default
# 60), 1 when something does, 2 when something already ended, 3 when the
# status cannot be told. Text and --json agree; hostile subjects do not
# reach the terminal raw.
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
st() { "$KC" status "$@" > st.out 2> st.err; echo $? > st.rc; }
rc() { cat st.rc; }

# no register
st --state nowhere
check "no register: exit 3" test "$(rc)" -eq 3
check "  ... naming the path" grep -q "no register at nowhere/register.sqlite" st.err
st --state nowhere --warn-days abc
check "a bad --warn-days: exit 3" test "$(rc)" -eq 3

# a ceremony: root (20 years), CRL (365 days); then an intermediate (1000)
CER=$KC_TOP_SRCDIR/ceremony
"$KC" run "$CER/root-ca.yaml" --site demo.site --batch --role officer=Olga \
	--role witness=Wim > run.out 2>&1 || bail "root-ca: $(cat run.out)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
	-keyout /dev/null -subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" \
	-out state/intermediate.csr 2>/dev/null || bail "openssl req"
"$KC" run "$CER/sign-intermediate.yaml" --site demo.site --batch \
	--role officer=Olga --role witness=Wim > run.out 2>&1 ||
	bail "sign-intermediate: $(cat run.out)"
days=$(awk '/^ *days:/ {print $2; exit}' "$CER/sign-intermediate.yaml")

st --state state
check "after the ceremonies: exit 0 (nothing within 60 days)" test "$(rc)" -eq 0
check "  ... the root listed, ok" grep -Eq "^  ok +root +[0-9-]+ +[0-9]+ days +\"/CN=Example Fleet Root CA 2026" st.out
check "  ... the intermediate listed, ok" grep -Eq "^  ok +intermediate .*Factory CA 2026" st.out
check "  ... the CRL's next update, 364 or 365 days left" grep -Eq "^  ok +CRL #1 next update +[0-9-]+ +36[45] days" st.out
check "  ... the last ceremony, completed, with its digest" grep -Eq \
	"^last ceremony: sign-intermediate .*completed" st.out
tr=$(ls state/transcripts/sign-intermediate-*.log)
"$KC" transcript verify "$tr" > tv.out 2>&1 || bail "transcript verify"
dg=$(sed -n 's/^final digest: //p' tv.out | tr -d ' ')
[ ${#dg} -eq 64 ] || bail "no final digest in: $(cat tv.out)"
check "  ... the digest is the transcript's" sh -c "tr -d ' :' < st.out | grep -q '$dg'"
st --state state --warn-days 365
check "--warn-days 365: the CRL is due, exit 1" test "$(rc)" -eq 1
check "  ... marked DUE" grep -Eq "^  DUE +CRL #1" st.out
check "  ... the root still ok" grep -Eq "^  ok +root" st.out
st --state state --warn-days 10000
check "--warn-days 10000: everything due, exit 1" test "$(rc)" -eq 1
check "  ... the root DUE" grep -Eq "^  DUE +root" st.out

# JSON agrees
st --state state --warn-days 365 --json
check "--json: exit 1 as well" test "$(rc)" -eq 1
check "--json: one document, the same story" python3 - st.out "$dg" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
kinds = sorted(i["kind"] for i in d["items"])
assert kinds == ["crl", "intermediate", "root"], kinds
crl = [i for i in d["items"] if i["kind"] == "crl"][0]
assert crl["status"] == "due" and crl["days_left"] in (364, 365) and crl["crl_number"] == 1, crl
assert all(i["status"] == "ok" for i in d["items"] if i["kind"] != "crl")
assert d["status"] == "due" and d["exit"] == 1 and d["warn_days"] == 365
lc = d["last_ceremony"]
assert lc["verified"] and lc["completed"] and lc["ceremony"] == "sign-intermediate", lc
assert lc["digest"] == sys.argv[2], lc
PY

# revocation: a revoked intermediate no longer counts, only the newest CRL
"$KC" run "$CER/revoke-intermediate.yaml" --site demo.site --batch \
	--role officer=Olga --role witness=Wim > run.out 2>&1 ||
	bail "revoke: $(cat run.out)"
st --state state --warn-days 20
check "after revoking the intermediate (new CRL: 30 days), --warn-days 20: exit 0" test "$(rc)" -eq 0
check "  ... the revoked intermediate not listed" sh -c "! grep -Eq '^  [A-Za-z]+ +intermediate' st.out"
check "  ... only the newest CRL (#2) counts" sh -c "grep -q 'CRL #2' st.out && ! grep -q 'CRL #1' st.out"
check "  ... the last ceremony is the revocation" grep -q "^last ceremony: revoke-intermediate" st.out

# lapsed: the register says the newest CRL's nextUpdate has passed, 3
# days less ten minutes ago (a whole -3 days for the next ten minutes: on
# the second exactly, one second later would count as -4)
cp state/register.sqlite reg.keep
sqlite3 state/register.sqlite "UPDATE issued SET not_after = strftime('%s','now') - 3 * 86400 + 600 \
	WHERE kind = 'crl' AND crl_number = 2" || bail sqlite3
st --state state
check "a lapsed CRL: exit 2" test "$(rc)" -eq 2
check "  ... marked LAPSED, -3 days" grep -Eq "^  LAPSED +CRL #2 next update +[0-9-]+ +-3 days" st.out
st --state state --json
check "  ... --json says lapsed, exit 2" python3 -c "
import json; d = json.load(open('st.out'))
assert d['status'] == 'lapsed' and d['exit'] == 2
assert [i['days_left'] for i in d['items'] if i['kind'] == 'crl'] == [-3]"
cp reg.keep state/register.sqlite

# hostile text: a subject with an escape sequence in the register
sqlite3 state/register.sqlite "UPDATE issued SET subject = '/CN=Evil' || char(27) || '[2J' \
	|| char(10) || 'ok  root' WHERE kind = 'root'" || bail sqlite3
st --state state
check "a control character in a register subject is escaped in text" sh -c \
	"! grep -q \"\$(printf '\\033')\" st.out && grep -q 'Evil' st.out"
st --state state --json
check "  ... and in JSON (the document still parses)" python3 -c "
import json; d = json.load(open('st.out'))
s = [i['subject'] for i in d['items'] if i['kind'] == 'root'][0]
assert s == '/CN=Evil\x1b[2J\nok  root', repr(s)"
cp reg.keep state/register.sqlite

# a damaged transcript: said, not trusted
sed -i '3s/ceremony=revoke-intermediate/ceremony=revoke-intermediatX/' \
	"$(ls state/transcripts/revoke-intermediate-*.log)"
st --state state --warn-days 20
check "a damaged last transcript: said so" grep -q "^last ceremony: .*does NOT verify" st.out
check "  ... still exit 0 (dates are fine)" test "$(rc)" -eq 0
done_testing

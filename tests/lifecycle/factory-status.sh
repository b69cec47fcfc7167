#!/bin/sh
# factorysign status (issue 15 item 5, the factory side): the installed
# intermediate's and root's notAfter with days left, and the ledger's live
# device certificates ending within --warn-days or already ended (counts
# and the first five IDs). Exit 0 nothing due, 1 due, 2 lapsed, 3 the
# status cannot be told; text and --json agree. A device that ended is
# made by moving its ledger row's notAfter into the past (python3 sqlite3),
# a lapsed intermediate by installing an expired one over the file.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup	# intermediate 1000 days, root 3650 days
st() { "$FS" status "$@" > st.out 2> st.err; echo $? > st.rc; }
rc() { cat st.rc; }

# 3: cannot tell
st --dir nowhere
check "no factory directory: exit 3" test "$(rc)" -eq 3
check "  ... naming the missing file" grep -q "nowhere/intermediate.pem: not installed" st.err
mkdir E; "$FS" init --dir E --subject "/CN=E" --algorithm ec-p256 --pass-file "$PASS" >/dev/null || bail init
st --dir E
check "initialised, nothing installed: exit 3" test "$(rc)" -eq 3
for bad in abc -1 10959 ""; do
	st --dir D --warn-days "$bad"
	check "--warn-days '$bad': exit 3" test "$(rc)" -eq 3
done
st --dir D --bogus
check "an unknown option: exit 3" test "$(rc)" -eq 3
st --dir D extra
check "an extra argument: exit 3" test "$(rc)" -eq 3
cp inter.pem D/intermediate.pem.good
printf 'not a certificate\n' > D/intermediate.pem
st --dir D
check "a damaged intermediate.pem: exit 3" test "$(rc)" -eq 3
cp D/intermediate.pem.good D/intermediate.pem

# 0: nothing issued yet, then a device for 365 days
st --dir D
check "installed, no ledger yet: exit 0" test "$(rc)" -eq 0
check "  ... 0 live devices" grep -Eq "^  ok +devices +0 live" st.out
mkcsr dev-1
"$FS" sign --dir D --csr csr/dev-1.csr --out-dir out --pass-file "$PASS" >/dev/null || bail sign
st --dir D
check "one device for 365 days: exit 0" test "$(rc)" -eq 0
check "  ... the intermediate listed, ok, 999 or 1000 days" grep -Eq "^  ok +intermediate +[0-9-]+ +(999|1000) days +\"/CN=Factory Test/O=Example\"" st.out
check "  ... the root listed, ok" grep -Eq "^  ok +root +[0-9-]+ +(3649|3650) days +\"/CN=Test Root/O=Example\"" st.out
check "  ... 1 live device, none ending" grep -Eq "^  ok +devices +1 live, 0 ending within 60 days, 0 ended" st.out

# 1: due
st --dir D --warn-days 400
check "--warn-days 400: the device is due, exit 1" test "$(rc)" -eq 1
check "  ... counted and named" grep -Eq "^  DUE +devices +1 live, 1 ending within 400 days" st.out
check "  ... its ID listed" grep -q "ending soon: dev-1$" st.out
st --dir D --warn-days 1000
check "--warn-days 1000: the intermediate due too" grep -Eq "^  DUE +intermediate" st.out
check "  ... the root still ok" grep -Eq "^  ok +root" st.out
"$FS" issue --dir D --count 7 --prefix soon- --days 10 --plain-keys --out-dir out --pass-file "$PASS" >/dev/null || bail issue
st --dir D
check "seven devices for 10 days: exit 1 at the default 60 days" test "$(rc)" -eq 1
check "  ... 7 ending, the first five named, the rest counted" \
	grep -Eq "ending soon: soon-0*1 soon-0*2 soon-0*3 soon-0*4 soon-0*5 \(and 2 more\)$" st.out
st --dir D --warn-days 9
check "--warn-days 9: nothing due again, exit 0" test "$(rc)" -eq 0
st --dir D --warn-days 0
check "--warn-days 0: exit 0" test "$(rc)" -eq 0

# 2: a device ended (its ledger row moved into the past)
python3 - D/ledger.sqlite <<'PY' || bail "sqlite"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE certs SET not_after = ? WHERE device_id = 'dev-1' AND kind = 'device'", (int(time.time()) - 86400,)).rowcount
db.commit()
sys.exit(0 if n == 1 else 1)
PY
st --dir D
check "a device ended: exit 2" test "$(rc)" -eq 2
check "  ... LAPSED, counted" grep -Eq "^  LAPSED +devices +8 live, 7 ending within 60 days, 1 ended" st.out
check "  ... its ID listed" grep -q "ended: dev-1$" st.out
st --dir D --json
check "--json: exit 2 as well" test "$(rc)" -eq 2
check "--json: one document, the same story" python3 - st.out <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "lapsed" and d["exit"] == 2, d
k = {i["kind"]: i for i in d["items"]}
assert k["intermediate"]["status"] == "ok" and k["intermediate"]["days_left"] in (999, 1000), k
assert k["root"]["subject"] == "/CN=Test Root/O=Example", k
dv = d["devices"]
assert dv["live"] == 8 and dv["due"] == 7 and dv["lapsed"] == 1, dv
assert dv["lapsed_first"] == ["dev-1"] and len(dv["due_first"]) == 5, dv
assert d["warn_days"] == 60
PY
# a superseded row does not count
mkcsr dev-1b
openssl req -new -key keys/dev-1b.key -subj /CN=dev-1 -out csr/dev-1r.csr 2>/dev/null || bail req
"$FS" sign --dir D --csr csr/dev-1r.csr --reissue --out-dir out --pass-file "$PASS" >/dev/null || bail reissue
st --dir D --warn-days 9
check "dev-1 reissued: its ended row superseded, exit 0" test "$(rc)" -eq 0

# 2: the intermediate ended
mkdir old; cp -r D/. old/
backdated D/intermediate.csr root.pem root.key expired.pem inter
cp expired.pem old/intermediate.pem
st --dir old --warn-days 9
check "an expired intermediate: exit 2" test "$(rc)" -eq 2
check "  ... LAPSED with negative days" grep -Eq "^  LAPSED +intermediate +2021-01-01 +-[0-9]+ days" st.out
check "  ... nothing written by status (the ledger unchanged)" cmp D/ledger.sqlite old/ledger.sqlite

done_testing

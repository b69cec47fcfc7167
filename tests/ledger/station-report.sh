#!/bin/sh
# tests/ledger/station-report.sh: several stations on one PostgreSQL
# ledger (issue 19). A device another station committed is refused with
# "already issued by station NAME at TIME" on every path (batch, sign,
# issue --count/--prefix, keygen), also from the very same input (not a
# rerun here: its files are the other station's), nothing written; the
# TIME is when the server recorded the row, as in the race loser's
# message. factorysign status counts the whole factory and each station
# (text and --json), or one --station; ledger export (csv, json, nrfcloud)
# and ledger verify over the factory or one --station.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
RESP="$KC_TOP_BUILDDIR/tests/nrf-resp"
gen() { mkdir -p "$1" && "$GENCSR" "$@"; }

pg_setup
fs_setup
# st-a (D) and st-b (DB, a copy of D: the same intermediate) on the server
cp -a "$T/D" "$T/DB"
( umask 077
  printf 'ledger = %s\nstation = st-a\n' "$PGURI" > "$T/D/ledger.conf"
  printf 'ledger = %s\nstation = st-b\n' "$PGURI" > "$T/DB/ledger.conf" )
ISO='20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
# recorded ID: when the server recorded ID's live row, as the messages say
recorded() { sql "SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM kc_certs WHERE lower(device_id) = lower('$1') AND status = 'issued'"; }
# said TEXT REGEX: the output of the check before holds REGEX (more than
# one said in a row read that same output)
said() {
	[ "${_said_at:-}" = "$_tap_n" ] || cp "$T/.out" "$T/said"
	check "$1" grep -Eq -- "$2" "$T/said"; _said_at=$_tap_n
}

# --- st-a issues ------------------------------------------------------------
gen ca 12 a- || bail gencsr
check "st-a: batch of 12" "$FS" batch --dir "$T/D" --csr-dir ca --out-dir oa --pass-file "$PASS" --quiet
check "st-a: issue --count 3 --prefix k-" "$FS" issue --dir "$T/D" --count 3 --prefix k- --out-dir ka --plain-keys --pass-file "$PASS"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=m-1" -outform DER -out m1.der >/dev/null 2>&1 || bail "modem csr"
"$RESP" m1.der 17 00112233445566778899aabbccddeeff wrap > m1.txt || bail "nrf-resp"
check "st-a: keygen m-1" "$FS" keygen --dir "$T/D" --input m1.txt --out-dir ma --pass-file "$PASS"
# a short-lived one (due within 60 days) for status
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=short-1" -out short.csr >/dev/null 2>&1 || bail "csr"
check "st-a: sign short-1 --days 20" "$FS" sign --dir "$T/D" --csr short.csr --out-dir oa --days 20 --pass-file "$PASS"

# --- st-b meets st-a's devices ----------------------------------------------
a1=$(ls ca | head -n 1); a1id=${a1%.csr}
# the very same CSR files (what a rerun on st-a is): refused here
check_fails "st-b: batch of st-a's CSRs refused" "device ID 'a-[0-9]+' was already issued by station st-a at $ISO \(serial [0-9a-f]+\); nothing issued" \
	"$FS" batch --dir "$T/DB" --csr-dir ca --out-dir ob --pass-file "$PASS"
said "  ... every one of them" "batch ca: 0 issued, 0 already issued, 0 repaired, 12 failed"
said "  ... the time is the server's record of it" "'$a1id' was already issued by station st-a at $(recorded "$a1id")"
check "  ... nothing written at st-b" test "$(ls ob 2>/dev/null | wc -l)" -eq 0
check "  ... nor repaired at st-a's paths" sh -c "test \$(ls oa | wc -l) -eq 39"
check_fails "st-b: sign of st-a's CSR refused" "device ID '$a1id' was already issued by station st-a at $ISO" \
	"$FS" sign --dir "$T/DB" --csr "ca/$a1" --out-dir ob --pass-file "$PASS"
check "  ... nothing written" test ! -e "ob/$a1id.cert.pem"
# new CSRs for st-a's IDs, in another case too
mkdir cu
for i in 1 2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=A-00000$i" -out "cu/u$i.csr" >/dev/null 2>&1 || bail csr
done
check_fails "st-b: new CSRs for st-a's IDs (other case) refused" "device ID 'A-000001' was already issued by station st-a at $ISO" \
	"$FS" batch --dir "$T/DB" --csr-dir cu --out-dir ou --pass-file "$PASS"
check_fails "st-b: issue --count --prefix k- refused" "device ID 'k-0001' was already issued by station st-a at $ISO" \
	"$FS" issue --dir "$T/DB" --count 3 --prefix k- --out-dir kb --plain-keys --pass-file "$PASS"
said "  ... all three" "issue: 0 issued, 0 already issued, 0 repaired, 3 failed"
check "  ... no key written" test "$(ls kb 2>/dev/null | wc -l)" -eq 0
check_fails "st-b: keygen of st-a's modem refused" "device ID 'm-1' was already issued by station st-a at $ISO" \
	"$FS" keygen --dir "$T/DB" --input m1.txt --out-dir mb --pass-file "$PASS"
check "  ... nothing written" test "$(ls mb 2>/dev/null | wc -l)" -eq 0
check "st-b has no row" test "$(sql "SELECT count(*) FROM kc_certs WHERE station = 'st-b'")" -eq 0
# the same runs at st-a are reruns, as before
check "st-a: its batch again is a rerun" sh -c "'$FS' batch --dir '$T/D' --csr-dir ca --out-dir oa --pass-file '$PASS' --quiet | grep -q 'batch ca: 0 issued, 12 already issued'"
check "st-a: its issue again is a rerun" sh -c "'$FS' issue --dir '$T/D' --count 3 --prefix k- --out-dir ka --plain-keys --pass-file '$PASS' | grep -q 'issue: 0 issued, 3 already issued'"
check "st-a: its keygen again is a rerun" "$FS" keygen --dir "$T/D" --input m1.txt --out-dir ma --pass-file "$PASS"
# st-b's own devices
gen cb 5 b- || bail gencsr
check "st-b: batch of its own 5" "$FS" batch --dir "$T/DB" --csr-dir cb --out-dir ob --pass-file "$PASS" --quiet
check "st-b: issue --count 2 --prefix kb-" "$FS" issue --dir "$T/DB" --count 2 --prefix kb- --out-dir kb --plain-keys --pass-file "$PASS"

# --- status per station ------------------------------------------------------
# st-a: 12 + 3 + 1 + 1 (short-1 due) = 17; st-b: 7
check "status: text" sh -c "'$FS' status --dir '$T/D' > st.txt; test \$? -eq 1"
check "  ... the factory: 24 live, 1 ending soon" grep -Eq 'DUE +devices +24 live, 1 ending within 60 days, 0 ended$' st.txt
check "  ... st-a: 17 live, 1 ending soon" grep -Eq 'DUE +station st-a +17 live, 1 ending within 60 days, 0 ended$' st.txt
check "  ... st-b: 7 live" grep -Eq 'ok +station st-b +7 live, 0 ending within 60 days, 0 ended$' st.txt
check "  ... short-1 named" grep -q 'ending soon: short-1' st.txt
"$FS" status --dir "$T/D" --json > st.json
check "status --json: the factory and each station" python3 -c '
import json, sys
d = json.load(open("st.json"))["devices"]
assert (d["live"], d["due"], d["lapsed"]) == (24, 1, 0), d
assert d["station"] is None, d
st = {s["station"]: (s["live"], s["due"], s["lapsed"]) for s in d["stations"]}
assert st == {"st-a": (17, 1, 0), "st-b": (7, 0, 0)}, st
assert d["stations_more"] == 0
'
check "status --station st-b: its rows only" sh -c "'$FS' status --dir '$T/D' --station st-b > stb.txt"
check "  ... 7 live, nothing due (exit 0)" grep -Eq 'ok +devices +7 live, 0 ending within 60 days, 0 ended, station st-b$' stb.txt
check "  ... no other station" sh -c "! grep -q st-a stb.txt"
"$FS" status --dir "$T/D" --json --station st-a > sta.json
check "status --json --station st-a" python3 -c '
import json
d = json.load(open("sta.json"))["devices"]
assert (d["live"], d["due"], d["station"]) == (17, 1, "st-a"), d
assert [s["station"] for s in d["stations"]] == ["st-a"], d
'
check "status --station nobody: none" sh -c "'$FS' status --dir '$T/D' --station nobody | grep -Eq 'devices +0 live'"
# a hostile station name in a row (written behind the tool's back) is shown escaped
sql "UPDATE kc_certs SET station = E'evil\\033[2J' WHERE device_id = 'b-000001'" >/dev/null
check "status: a station name with an escape is shown escaped" sh -c "'$FS' status --dir '$T/D' > ste.txt; ! grep -q \"\$(printf '\\033')\" ste.txt && grep -q 'station evil' ste.txt"
sql "UPDATE kc_certs SET station = 'st-b' WHERE device_id = 'b-000001'" >/dev/null
# a SQLite factory: no stations
"$FS" init --dir "$T/DS" --subject "/CN=Solo" --algorithm ec-p256 --pass-file "$PASS" >/dev/null
openssl x509 -req -in "$T/DS/intermediate.csr" -CA "$T/root.pem" -CAkey "$T/root.key" -CAcreateserial \
	-days 1000 -extfile "$T/ca.cnf" -extensions inter -out "$T/ds.pem" >/dev/null 2>&1
"$FS" install --dir "$T/DS" --cert "$T/ds.pem" --root "$T/root.pem" >/dev/null
check "status of a SQLite factory: no station lines" sh -c "'$FS' status --dir '$T/DS' > sts.txt && ! grep -q 'station' sts.txt && grep -Eq 'devices +0 live' sts.txt"
check "  ... --json: stations []" sh -c "'$FS' status --dir '$T/DS' --json | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"devices\"]; assert d[\"stations\"] == [] and d[\"station\"] is None'"

# --- export and verify, the factory or one station ----------------------------
check "export csv: the factory" sh -c "test \$('$FS' ledger export --dir '$T/D' --format csv | tail -n +2 | wc -l) -eq 24"
check "export csv --station st-b: 7" sh -c "test \$('$FS' ledger export --dir '$T/D' --format csv --station st-b | tail -n +2 | wc -l) -eq 7"
check "export json --station st-a: 17" sh -c "'$FS' ledger export --dir '$T/D' --format json --station st-a | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"count\"] == 17'"
check "export nrfcloud: the factory" sh -c "'$FS' ledger export --dir '$T/D' --format nrfcloud --out all-nrf.csv > /dev/null && test \$(grep -c 'a-0000' all-nrf.csv) -eq 12 && test \$(grep -c 'b-0000' all-nrf.csv) -eq 5"
check "export nrfcloud --station st-b: its 7 only" sh -c "'$FS' ledger export --dir '$T/D' --format nrfcloud --station st-b --out b-nrf.csv > /dev/null && test \$(grep -c 'b-0000' b-nrf.csv) -eq 5 && test \$(grep -c 'kb-000' b-nrf.csv) -eq 2 && ! grep -q 'a-0000\|k-000' b-nrf.csv"
check "verify: the factory (from st-a)" "$FS" ledger verify --dir "$T/D"
check "verify --station st-b (from st-b)" sh -c "'$FS' ledger verify --dir '$T/DB' --station st-b > vb.txt"
check "  ... 7 rows checked" grep -q '7 ' vb.txt

done_testing

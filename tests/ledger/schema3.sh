#!/bin/sh
# tests/ledger/schema3.sh: ledger schema 3 on both backends (SQLite, and a
# PostgreSQL server of the test's own, tests/ledger/pg.sh): "pending" rows
# held by the unique device-ID index, kc_ledger_set_status, revocations
# and CRL numbers (tests/ledger/ledger3.c drives the calls), the upgrade
# of older ledgers in one transaction (a failing upgrade leaves the old
# schema whole), a newer schema refused unchanged, ledger verify naming
# pending rows and counting, ledger export leaving pending rows out, and
# ledger migrate carrying revocations and CRLs.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
L3="$KC_TOP_BUILDDIR/tests/ledger/ledger3"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"

# unit PREFIX [env...]: the driver's checks, one TAP line each
unit() {
	_p=$1; shift
	env "$@" "$L3" "$T/U/ledger.sqlite" unit "$_p" > "$T/unit.log" 2>&1
	_rc=$?
	while IFS= read -r _l; do
		case $_l in
		"ok "*) ok "$_p: ${_l#ok }" ;;
		"not ok "*) not_ok "$_p: ${_l#not ok }" ;;
		*) echo "#   $_l" ;;
		esac
	done < "$T/unit.log"
	[ $_rc -eq 0 ] || [ -s "$T/unit.log" ] || not_ok "$_p: the driver failed"
}
lsq() { sqlite3 "$T/D/ledger.sqlite" "$1"; }
nwait() {
	_i=0
	until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" -ge "$1" ]; do
		[ $_i -lt 1200 ] || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}

fs_setup
mkdir -p "$T/U"

# --- SQLite: the calls ------------------------------------------------------
unit sq
check "  ... a new SQLite ledger is at version 3" \
	test "$(sqlite3 "$T/U/ledger.sqlite" 'PRAGMA user_version')" = 3

# --- SQLite: a ledger of schema 2 upgraded ---------------------------------
mkdir -p c
"$GENCSR" c 4 s- || bail gencsr
"$FS" batch --dir "$T/D" --csr-dir c --out-dir o --pass-file "$PASS" \
	--quiet > /dev/null || bail batch
S1=$(lsq "SELECT serial FROM certs WHERE device_id = 's-000001'")
S2=$(lsq "SELECT serial FROM certs WHERE device_id = 's-000002'")
"$FS" ledger export --dir "$T/D" --all > v3.csv
# back to what schema 2 was
lsq "DROP TABLE revoked; DROP TABLE crls; DROP INDEX certs_live_id;
CREATE UNIQUE INDEX certs_live_id ON certs (device_id COLLATE NOCASE)
 WHERE status = 'issued' AND kind = 'device'; PRAGMA user_version = 2" ||
	bail "downgrade"
# a v2 ledger may hold a non-issued duplicate the new index refuses:
# the upgrade fails and leaves version 2 whole
lsq "INSERT INTO certs SELECT 'ee' || serial, device_id, cert_sha256,
 csr_sha256, issued_at, not_after, kind, 'pending', cert_path, cert_der
 FROM certs WHERE serial = '$S1'" || bail "insert"
check_fails "a failing upgrade 2 -> 3 is refused" 'UNIQUE constraint failed' \
	"$FS" ledger verify --dir "$T/D"
check "  ... still version 2" test "$(lsq 'PRAGMA user_version')" = 2
check "  ... the old index is whole (one transaction)" \
	sh -c "sqlite3 '$T/D/ledger.sqlite' \"SELECT sql FROM sqlite_master WHERE name = 'certs_live_id'\" | grep -q \"status = 'issued' AND\""
check "  ... no new table" test "$(lsq "SELECT count(*) FROM sqlite_master WHERE name IN ('revoked', 'crls')")" = 0
lsq "DELETE FROM certs WHERE serial = 'ee$S1'"
check "upgrade 2 -> 3 when opened (ledger verify)" "$FS" ledger verify --dir "$T/D"
check "  ... version 3" test "$(lsq 'PRAGMA user_version')" = 3
check "  ... revoked and crls made" test "$(lsq "SELECT count(*) FROM sqlite_master WHERE name IN ('revoked', 'crls')")" = 2
check "  ... the ID index covers pending" \
	sh -c "sqlite3 '$T/D/ledger.sqlite' \"SELECT sql FROM sqlite_master WHERE name = 'certs_live_id'\" | grep -q \"IN ('issued', 'pending')\""
"$FS" ledger export --dir "$T/D" --all > up.csv
check "  ... every row as before" cmp v3.csv up.csv
lsq "PRAGMA user_version = 4"
sha256sum D/ledger.sqlite > before.sum
check_fails "a newer schema (4) is refused" 'schema version 4 is newer than this factorysign knows \(3\)' \
	"$FS" ledger verify --dir "$T/D"
check "  ... and the file is left as it was" sha256sum -c --quiet before.sum
check_fails "  ... by issue too" 'schema version 4 is newer' \
	"$FS" batch --dir "$T/D" --csr-dir c --out-dir o --pass-file "$PASS" --quiet
lsq "PRAGMA user_version = 3"

# --- pending, revoked: ledger verify and export ----------------------------
check "set_status pending (driver)" "$L3" "$T/D/ledger.sqlite" status "$S1" pending
check "ledger verify accepts a pending row" sh -c "'$FS' ledger verify --dir '$T/D' > ver.log"
check "  ... names it" grep -q "^s-000001: serial $S1 is pending: .*rerun factorysign provision" ver.log
check "  ... counts" grep -q "devices: 3 issued, 1 pending, 0 superseded, 0 revoked; 0 CRLs recorded" ver.log
check "  ... no problem" grep -q "3 live device certificates, .* 0 problems" ver.log
"$FS" ledger export --dir "$T/D" > p.csv
"$FS" ledger export --dir "$T/D" --all > pall.csv
"$FS" ledger export --dir "$T/D" --json > p.json
check "export leaves the pending row out" sh -c "! grep -q '\"s-000001\"' p.csv && grep -q '\"s-000002\"' p.csv"
check "  ... with --all too" sh -c "! grep -q '\"s-000001\"' pall.csv && test \$(wc -l < pall.csv) = 4"
check "  ... and in JSON" python3 -c "
import json,sys; d=json.load(open('p.json'))
sys.exit(not (d['count'] == 3 and 's-000001' not in [x['id'] for x in d['devices']]))"
check_fails "a batch of the pending ID is refused" "device ID 's-000001' is pending \\(serial $S1\\): .*rerun factorysign provision" \
	"$FS" batch --dir "$T/D" --csr-dir c --out-dir o2 --pass-file "$PASS" --quiet
check "set_status issued again" "$L3" "$T/D/ledger.sqlite" status "$S1" issued
"$FS" ledger export --dir "$T/D" > i.csv
check "  ... exported again" grep -q '"s-000001"' i.csv
check "revoke (driver)" "$L3" "$T/D/ledger.sqlite" revoke "$S2" 1 1750000000
check "  ... again: the first kept" sh -c "'$L3' '$T/D/ledger.sqlite' revoke '$S2' 4 1760000000 | grep -q 'already revoked'"
check "  ... as recorded" test "$(lsq "SELECT revoked_at || ' ' || reason FROM revoked")" = "1750000000 1"
check_fails "revoke an unknown serial" 'no certificate with serial 00ff to revoke' \
	"$L3" "$T/D/ledger.sqlite" revoke 00ff 1 1750000000
check "CRL 1 and 2 of an issuer (driver)" sh -c "'$L3' '$T/D/ledger.sqlite' crl 0a1b 1 && '$L3' '$T/D/ledger.sqlite' crl 0a1b 2"
check_fails "  ... 2 again is refused" 'CRL number 2 of issuer 0a1b is already recorded' \
	"$L3" "$T/D/ledger.sqlite" crl 0a1b 2
check "  ... crl_last 2" test "$("$L3" "$T/D/ledger.sqlite" crl-last 0a1b)" = 2
check "ledger verify counts revoked and CRLs" sh -c "'$FS' ledger verify --dir '$T/D' | grep -q 'devices: 4 issued, 0 pending, 0 superseded, 1 revoked; 2 CRLs recorded'"

# --- PostgreSQL ------------------------------------------------------------
pg_setup
PG="KC_LEDGER3_URI=$PGURI KC_LEDGER3_STATION=st-u"
unit pg $PG
check "  ... kc_meta schema 3" test "$(sql "SELECT value FROM kc_meta WHERE key = 'schema'")" = 3
# back to schema 1 (what issue 19 wrote), with a pending duplicate the new
# index refuses: the upgrade fails whole
sql "DROP TABLE kc_revoked; DROP TABLE kc_crls; DROP INDEX kc_certs_live_id;
CREATE UNIQUE INDEX kc_certs_live_id ON kc_certs (lower(device_id))
 WHERE status = 'issued' AND kind = 'device';
UPDATE kc_meta SET value = '1' WHERE key = 'schema';
INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after,
 kind, status, cert_path, cert_der, station) SELECT 'ee' || serial,
 device_id, cert_sha256, issued_at, not_after, kind, 'pending', cert_path,
 cert_der, station FROM kc_certs WHERE serial = 'pga1'" > /dev/null || bail "downgrade pg"
check_fails "PostgreSQL: a failing upgrade 1 -> 3 is refused" 'could not create unique index' \
	env $PG "$L3" x crl-last 0a
check "  ... still version 1" test "$(sql "SELECT value FROM kc_meta WHERE key = 'schema'")" = 1
check "  ... no new table" test "$(sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('kc_revoked', 'kc_crls')")" = 0
check "  ... the old index" sh -c "$PSQL '$PGURI' -c \"SELECT indexdef FROM pg_indexes WHERE indexname = 'kc_certs_live_id'\" | grep -q \"status = 'issued'\""
sql "DELETE FROM kc_certs WHERE serial = 'eepga1'" > /dev/null
check "PostgreSQL: upgrade 1 -> 3 when opened" env $PG "$L3" x crl-last 0a
check "  ... version 3, the tables" test "$(sql "SELECT value FROM kc_meta WHERE key = 'schema'") $(sql "SELECT count(*) FROM pg_tables WHERE tablename IN ('kc_revoked', 'kc_crls')")" = "3 2"
check "  ... the ID index covers pending" sh -c "$PSQL '$PGURI' -c \"SELECT indexdef FROM pg_indexes WHERE indexname = 'kc_certs_live_id'\" | grep -q pending"
check "  ... the rows kept" test "$(sql "SELECT count(*) FROM kc_certs")" = 3
unit pg2 $PG

# two stations race for one CRL number: the second loses cleanly
hold "INSERT INTO kc_crls (issuer, number, this_update, next_update, sha256, station) VALUES ('ee01', 5, 0, 0, 'x', 'st-x')" || bail hold
env KC_LEDGER3_URI="$PGURI" KC_LEDGER3_STATION=st-y "$L3" x crl ee01 5 > race.log 2>&1 &
RACE=$!
nwait 1 || bail "nwait"
echo "COMMIT;" >&3; exec 3>&-; wait $HOLD_PID
wait $RACE; RRC=$?
check "CRL race: the second station fails" test $RRC -ne 0
check "  ... naming who has the number" grep -q "CRL number 5 of issuer ee01 was already recorded by station st-x at " race.log
check "  ... one row for the number, st-x's" test "$(sql "SELECT string_agg(station, ',') FROM kc_crls WHERE issuer = 'ee01'")" = st-x
check "  ... the next number is taken" env KC_LEDGER3_URI="$PGURI" KC_LEDGER3_STATION=st-y "$L3" x crl ee01 6

# --- ledger migrate carries revocations and CRLs ----------------------------
$PSQL "postgresql://kc@/postgres?host=$PGT" -c 'CREATE DATABASE ledger2' || bail createdb
URI2="postgresql://kc@/ledger2?host=$PGT"
check "ledger migrate of a ledger with revocations and CRLs" \
	sh -c "'$FS' ledger migrate --dir '$T/D' --to '$URI2' --station st-a > mig.log"
check "  ... 4 rows copied and checked" grep -q "4 rows copied and checked" mig.log
check "  ... the revocation" test "$($PSQL "$URI2" -c "SELECT serial || ' ' || revoked_at || ' ' || reason || ' ' || station FROM kc_revoked")" = "$S2 1750000000 1 st-a"
check "  ... the CRLs" test "$($PSQL "$URI2" -c "SELECT string_agg(number || station, ',' ORDER BY number) FROM kc_crls WHERE issuer = '0a1b'")" = "1st-a,2st-a"
check "  ... ledger verify over the server counts them" sh -c "'$FS' ledger verify --dir '$T/D' | grep -q 'devices: 4 issued, 0 pending, 0 superseded, 1 revoked; 2 CRLs recorded'"
check "  ... export as before" sh -c "'$FS' ledger export --dir '$T/D' > m.csv && cmp i.csv m.csv"

done_testing

#!/bin/sh
# tests/ledger/stations.sh: several factory stations, one PostgreSQL
# ledger (issue 19). A server of the test's own (tests/ledger/pg.sh);
# stations A and B share the intermediate (D, D2), station C has its own
# (D3). Every device ID once across stations, case-insensitively, by the
# server's unique index; serials unique; every row names its station; two
# stations racing for one ID: one wins, the other says who issued it and
# writes nothing; the server stopped mid-batch: a clear error, only rows
# whose files exist, and a rerun completes.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
gen() { mkdir -p "$1" && "$GENCSR" "$@"; }

pg_setup
fs_setup

# nwait N: until N sessions wait for a lock (at most 60 s)
nwait() {
	_i=0
	until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" -ge "$1" ]; do
		[ $_i -lt 1200 ] || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}

batch() {	# batch DIR CSRDIR OUT [options]
	_bd=$1 _bc=$2 _bo=$3; shift 3
	"$FS" batch --dir "$_bd" --csr-dir "$_bc" --out-dir "$_bo" \
		--pass-file "$PASS" "$@"
}

# --- station A: its SQLite ledger migrated to the server -----------------
MN=${LEDGER_MIGRATE_N:-2000}
gen cm $MN m- || bail gencsr
batch "$T/D" cm om --quiet >/dev/null || bail "batch into SQLite"
"$FS" ledger export --dir "$T/D" --format csv --all > before.csv
"$FS" ledger export --dir "$T/D" --format nrfcloud --out before-nrf.csv > /dev/null
check_fails "migrate: a password in --to is refused, not shown" 'holds a password' \
	"$FS" ledger migrate --dir "$T/D" --to "postgresql://kc:Sekr1t@/ledger?host=$PGT"
cp "$T/.out" mpw.log
check "  ... and the secret is not in the message" sh -c "! grep -q Sekr1t mpw.log"
check "  ... nothing copied" test "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'kc_certs'")" -eq 0
check "migrate $MN rows" sh -c "'$FS' ledger migrate --dir '$T/D' --to '$PGURI' --station st-a > mig.log"
check "  ... counts and hashes checked" grep -Eq "$MN rows copied and checked \(SHA-256 [0-9a-f]{64}\)" mig.log
check "  ... D/ledger.conf, mode 0600" test "$(stat -c %a "$T/D/ledger.conf")" = 600
check "  ... the server holds them, as st-a" test "$(sql "SELECT count(*) FROM kc_certs WHERE station = 'st-a'")" -eq $MN
check "  ... and their file hashes" test "$(sql 'SELECT count(*) FROM kc_files')" -eq $((3 * MN))
"$FS" ledger export --dir "$T/D" --format csv --all > after.csv
"$FS" ledger export --dir "$T/D" --format nrfcloud --out after-nrf.csv > /dev/null
check "export (csv) equal before and after" cmp before.csv after.csv
check "export (nrfcloud) equal before and after" sh -c "cmp before-nrf-1.csv after-nrf-1.csv && cmp before-nrf-2.csv after-nrf-2.csv"
check "ledger verify over the server" "$FS" ledger verify --dir "$T/D"
check_fails "migrate again is refused" 'already uses a PostgreSQL ledger' \
	"$FS" ledger migrate --dir "$T/D" --to "$PGURI"
check "the rerun of the migrated batch: all already issued" sh -c "'$FS' batch --dir '$T/D' --csr-dir cm --out-dir om --pass-file '$PASS' --quiet | grep -q '0 issued, $MN already issued'"

# station B shares A's intermediate (a copy of D), on the command line
cp -a "$T/D" "$T/D2"
rm "$T/D2/ledger.conf" "$T/D2/ledger.sqlite"
B="--ledger $PGURI --station st-b"
# station C: a factory of its own, another intermediate under the root,
# the server given to init
check "init --ledger" "$FS" init --dir "$T/D3" --subject "/CN=Factory C/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" --ledger "$PGURI" --station st-c
check "  ... D3/ledger.conf names the server and the station" \
	grep -qx "station = st-c" "$T/D3/ledger.conf"
openssl x509 -req -in "$T/D3/intermediate.csr" -CA "$T/root.pem" \
	-CAkey "$T/root.key" -CAcreateserial -days 1000 -extfile "$T/ca.cnf" \
	-extensions inter -out "$T/inter3.pem" >/dev/null 2>&1 || bail "sign D3"
"$FS" install --dir "$T/D3" --cert "$T/inter3.pem" --root "$T/root.pem" \
	>/dev/null || bail "install D3"
fs_fast_key "$T/D3"
check_fails "init --ledger with a password is refused, not shown" 'holds a password' \
	"$FS" init --dir "$T/D4" --subject "/CN=F4" --algorithm ec-p256 \
	--pass-file "$PASS" --ledger "postgresql://kc:Sekr1t@/ledger?host=$PGT"
check "  ... and nothing made" test ! -e "$T/D4"

# --- two stations at once, disjoint IDs, two intermediates ----------------
N=${LEDGER_N:-400}
gen ca $N a- || bail gencsr
gen cc $N c- || bail gencsr
batch "$T/D" ca oa --quiet > a.log 2>&1 & pa=$!
batch "$T/D3" cc oc --quiet > c.log 2>&1 & pc=$!
wait $pa; ra=$?; wait $pc; rc=$?
check "station A: $N issued at the same time as C" test $ra -eq 0
check "station C: $N issued at the same time as A" test $rc -eq 0
check "the ledger: 2 x $N rows" test "$(sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE 'a-%' OR device_id LIKE 'c-%'")" -eq $((2 * N))
check "every row names its station" test "$(sql "SELECT string_agg(station || '=' || n, ',' ORDER BY station) FROM (SELECT station, count(*) n FROM kc_certs WHERE device_id NOT LIKE 'm-%' GROUP BY station) s")" = "st-a=$N,st-c=$N"
check "serials unique" test "$(sql 'SELECT count(DISTINCT serial) FROM kc_certs')" -eq "$(sql 'SELECT count(*) FROM kc_certs')" -a "$(sql 'SELECT count(*) FROM kc_certs')" -eq $((2 * N + MN))
check "the files agree with the rows (A)" test "$(ls oa | grep -c '\.cert\.pem$')" -eq $N
check "the files agree with the rows (C)" test "$(ls oc | grep -c '\.cert\.pem$')" -eq $N
verify_all() {	# verify_all OUT INTER: every certificate under root + INTER
	# (one openssl call for all of them: it prints "FILE: OK" for each
	# that verifies, an error for each that does not, and fails if any
	# does not)
	_n=$(ls "$1" | grep -c '\.cert\.pem$')
	openssl verify -CAfile "$T/root.pem" -untrusted "$2" "$1"/*.cert.pem \
		> "$T/verify.out" 2>&1 || { grep -v ': OK$' "$T/verify.out" | head -n 5; return 1; }
	[ "$_n" -gt 0 ] && [ "$(grep -c ': OK$' "$T/verify.out")" -eq "$_n" ] &&
		[ "$(grep -vc ': OK$' "$T/verify.out")" -eq 0 ]
}
check "every certificate of A verifies (shared intermediate)" verify_all oa "$T/inter.pem"
check "every certificate of C verifies (its own intermediate)" verify_all oc "$T/inter3.pem"
check "the stored DER is the file (sample)" test "$(sql "SELECT encode(sha256(cert_der), 'hex') FROM kc_certs WHERE device_id = 'a-000001'")" = "$(openssl x509 -in oa/a-000001.cert.pem -outform DER | sha256sum | cut -c1-64)"

# --- the same IDs from another station: none issued, no file --------------
gen cb 20 a- || bail gencsr
check_fails "station B: A's IDs are refused" "device ID 'a-[0-9]+' was already issued" \
	batch "$T/D2" cb ob $B
check "station B wrote no certificate" test "$(ls ob 2>/dev/null | grep -c 'cert\.pem$')" -eq 0
# case-insensitively (DPS registration IDs): A- is a-
gen cu 20 A- || bail gencsr
check_fails "station B: A's IDs in upper case are refused" "device ID 'A-[0-9]+' was already issued" \
	batch "$T/D2" cu ou $B
check "still one row per ID" test "$(sql "SELECT count(*) FROM kc_certs WHERE lower(device_id) LIKE 'a-%'")" -eq $N
check "station B has no row" test "$(sql "SELECT count(*) FROM kc_certs WHERE station = 'st-b'")" -eq 0
# the index itself (not a read-then-write): a second live row is refused by
# the server, whoever inserts it
check_fails "the server refuses a second live row for an ID" 'duplicate key|unique' \
	sql "INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after, kind, status, cert_path, cert_der, station) VALUES ('ff', 'A-000001', '', 0, 0, 'device', 'issued', '', ''::bytea, 'x')"
# and station B issues IDs of its own
gen cb2 20 b- || bail gencsr
check "station B issues its own IDs" batch "$T/D2" cb2 ob2 --quiet $B
check "station B's rows say st-b" test "$(sql "SELECT count(*) FROM kc_certs WHERE station = 'st-b'")" -eq 20

# --- two stations racing for one ID ---------------------------------------
# A session holds the table in SHARE mode (inserts wait, reads do not):
# both stations look the ID up, find nothing, and wait at the insert; when
# the session ends, one inserts and commits, the other's insert meets the
# unique index once the first commits.
mkdir -p race1 race2
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout race1/k -subj "/CN=race-1" -out race1/r.csr >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout race2/k -subj "/CN=RACE-1" -out race2/r.csr >/dev/null 2>&1
hold "LOCK TABLE kc_certs IN SHARE MODE" || bail "hold"
"$FS" sign --dir "$T/D" --csr race1/r.csr --out-dir ra --pass-file "$PASS" > r1.log 2>&1 & p1=$!
"$FS" sign --dir "$T/D2" --csr race2/r.csr --out-dir rb --pass-file "$PASS" $B > r2.log 2>&1 & p2=$!
check "both stations wait at the insert" nwait 2
echo "COMMIT;" >&3
exec 3>&-
wait $HOLD_PID
wait $p1; r1=$?; wait $p2; r2=$?
check "exactly one station issued race-1" test $((r1 == 0 ? 1 : 0)) -ne $((r2 == 0 ? 1 : 0))
if [ $r1 -eq 0 ]; then win=st-a; lose=r2.log; lout=rb; else win=st-b; lose=r1.log; lout=ra; fi
check "the other says who issued it and when" grep -Eq "already issued by station $win at 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z.*nothing issued" $lose
check "the loser wrote no file" test "$(ls $lout 2>/dev/null | wc -l)" -eq 0
check "one row for race-1, the winner's" test "$(sql "SELECT string_agg(station, ',') FROM kc_certs WHERE lower(device_id) = 'race-1'")" = $win

# --- the server stopped mid-batch ----------------------------------------
# A session holds an uncommitted row for the 350th device the batch will
# meet (readdir order): the batch commits 300, then waits there with 99
# uncommitted rows (its rows go to the server together at the commit
# after device 400, which is the one reported failed); the server is
# stopped under it (immediate: as a crash or a cut connection).
M=600
gen cs $M s- || bail gencsr
held=$(python3 -c 'import os,sys; print(os.listdir(sys.argv[1])[349][:-4])' cs)
hold "INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after, kind, status, cert_path, cert_der, station) VALUES ('00', '$held', '', 0, 0, 'device', 'issued', '', ''::bytea, 'holder')" || bail "hold"
batch "$T/D" cs os --quiet --commit-every 100 > s.log 2>&1 & ps=$!
check "the batch waits at device 350 (sent with the commit after 400)" nwait 1
pg_stop immediate
exec 3>&-
wait $HOLD_PID
wait $ps; rs=$?
check "the batch fails when the server goes away" test $rs -ne 0
check "it says the connection was lost" grep -q 'connection to the server was lost' s.log
check "it reports the 99 uncommitted devices as not recorded" grep -q '99 devices reported issued above are not recorded' s.log
check "it counts them failed, not issued" grep -q 'batch cs: 300 issued, 0 already issued, 0 repaired, 100 failed' s.log
check "it stopped (not one error per device)" test "$(grep -c 'skipped:' s.log)" -eq 1
check "no server text on the terminal" sh -c "! grep -q WARNING s.log"
pg_start
committed=$(sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE 's-%'")
check "300 rows committed, none half-recorded" test "$committed" -eq 300 -a "$(sql "SELECT count(*) FROM kc_files f JOIN kc_certs c USING (serial) WHERE c.device_id LIKE 's-%'")" -eq 900
# rows_have_files PREFIX: every committed row of station A with that ID
# prefix has its certificate file, holding its DER
# (one python3 over all the rows, not four processes a row: the DER is the
# base64 between the file's first BEGIN/END CERTIFICATE lines; a missing
# file, no certificate in it or another DER fails)
rows_have_files() {
	sql "SELECT cert_path || ' ' || cert_sha256 FROM kc_certs WHERE station = 'st-a' AND device_id LIKE '$1%'" > "$T/rows.txt" || return 1
	python3 - "$T/rows.txt" <<'PY'
import base64, hashlib, re, sys
bad = 0
for line in open(sys.argv[1]):
    f, h = line.split()
    try:
        data = open(f, "rb").read()
    except OSError as e:
        print(f, e.strerror); bad += 1; continue
    m = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.S)
    der = base64.b64decode(b"".join(m.group(1).split()), validate=True) if m else b""
    if hashlib.sha256(der).hexdigest() != h:
        print(f); bad += 1
sys.exit(1 if bad else 0)
PY
}
check "every committed row has its file" rows_have_files s-
check "the rerun completes" batch "$T/D" cs os --quiet
check "all $M recorded once" test "$(sql "SELECT count(DISTINCT lower(device_id)) FROM kc_certs WHERE device_id LIKE 's-%' AND status = 'issued'")" -eq $M
check "every file is recorded" test "$(ls os | grep -c '\.cert\.pem$')" -eq $M

# --- kill -9 of a station mid-batch, the other station running -----------
# each time the batch waits with uncommitted rows at a held ID, it is
# killed; station C issues meanwhile
gen ck 300 k- || bail gencsr
gen cc2 200 c2- || bail gencsr
batch "$T/D3" cc2 oc2 --quiet --commit-every 10 > c2.log 2>&1 & pc=$!
for k in 1 2 3; do
	held=$(python3 -c 'import os,sys; print(os.listdir(sys.argv[1])[int(sys.argv[2])][:-4])' ck $((k * 80 + 30)))
	check "kill -9 #$k: a session holds $held" hold "INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after, kind, status, cert_path, cert_der, station) VALUES ('00', '$held', '', 0, 0, 'device', 'issued', '', ''::bytea, 'holder')"
	# (the program itself in the background, so that $! is its pid)
	"$FS" batch --dir "$T/D" --csr-dir ck --out-dir ok --pass-file "$PASS" \
		--quiet --commit-every 20 > k.log 2>&1 & pk=$!
	check "kill -9 #$k: the batch waits at a held ID" nwait 1
	kill -9 $pk; wait $pk
	check "kill -9 #$k: killed" test $? -eq 137
	echo "ROLLBACK;" >&3
	exec 3>&-
	wait $HOLD_PID
	check "kill -9 #$k: every committed row has its file" rows_have_files k-
	check "kill -9 #$k: whole commit intervals only" test $(($(sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE 'k-%'") % 20)) -eq 0
done
wait $pc
check "station C ran through the kills" test $? -eq 0
check "station C: 200 rows" test "$(sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE 'c2-%' AND station = 'st-c'")" -eq 200
check "after the kills the rerun completes" batch "$T/D" ck ok --quiet
check "all 300 recorded once" test "$(sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE 'k-%' AND status = 'issued'")" -eq 300
check "every file is recorded" test "$(ls ok | grep -c '\.cert\.pem$')" -eq 300
check "and holds its row's certificate" rows_have_files k-

# --- a URI with a password in it -----------------------------------------
# (the form itself: refused before any connection, and never shown)
pwcase() {	# pwcase URI: refused from D/ledger.conf, the secret not shown
	printf 'ledger = %s\n' "$1" > "$T/D2/ledger.conf"
	if "$FS" batch --dir "$T/D2" --csr-dir cb2 --out-dir ob3 --pass-file "$PASS" > pw.log 2>&1; then
		echo "accepted: $1"; return 1
	fi
	grep -q 'holds a password' pw.log || { cat pw.log; return 1; }
	grep -q 'Sekr1t' pw.log && return 1
	rm "$T/D2/ledger.conf"
	# and on the command line, before anything is opened
	if "$FS" batch --dir "$T/D2" --csr-dir cb2 --out-dir ob3 --pass-file "$PASS" --ledger "$1" > pw.log 2>&1; then
		echo "accepted on argv: $1"; return 1
	fi
	grep -q 'holds a password' pw.log || { cat pw.log; return 1; }
	! grep -q 'Sekr1t' pw.log
}
for u in "postgresql://kc:Sekr1t@/ledger?host=$PGT" \
	"postgres://kc:Sekr1t@/ledger?host=$PGT" \
	"postgresql://kc@/ledger?host=$PGT&password=Sekr1t" \
	"postgresql:///ledger?password=Sekr1t&host=$PGT" \
	"postgresql://kc:Sekr1t@localhost:5432/ledger" \
	"postgresql://kc:@/ledger?host=$PGT&password=Sekr1t" \
	"postgresql://kc:%53ekr1t@/ledger?host=$PGT"; do
	check "a password in the URI is refused, not shown: ${u%%Sekr1t*}..." pwcase "$u"
done
check "no output from the refused runs" test "$(ls ob3 2>/dev/null | wc -l)" -eq 0
rm -f "$T/D2/ledger.conf"
check "the same URI without a password works" batch "$T/D2" cb2 ob2 --quiet $B
check "and not-a-URI is refused" sh -c "printf 'ledger = host=/x password=Sekr1t\n' > '$T/D2/ledger.conf'; ! '$FS' batch --dir '$T/D2' --csr-dir cb2 --out-dir ob3 --pass-file '$PASS' > pw.log 2>&1 && grep -q 'not a PostgreSQL connection URI' pw.log && ! grep -q Sekr1t pw.log"
rm -f "$T/D2/ledger.conf"

# --- the schema is versioned ---------------------------------------------
check "schema version 3" test "$(sql "SELECT value FROM kc_meta WHERE key = 'schema'")" = 3
sql "UPDATE kc_meta SET value = '99' WHERE key = 'schema'" >/dev/null
check_fails "a newer schema is refused" 'schema version 99 is newer' \
	batch "$T/D2" cb2 ob2 $B
sql "UPDATE kc_meta SET value = '3' WHERE key = 'schema'" >/dev/null
check "and version 3 works again" batch "$T/D2" cb2 ob2 --quiet $B

done_testing

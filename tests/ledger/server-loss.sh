#!/bin/sh
# tests/ledger/server-loss.sh: the PostgreSQL ledger's server going away
# mid-batch (issue 19): stopped, restarted, the connection cut, and gone
# during a commit. Each time the batch stops with one clear error; the
# devices not committed are reported as not issued and their files are
# removed (only files that still hold what was written for them); nothing
# is half-recorded (tests/ledger/pgcheck.py, reading the server with psql,
# finds every row's files with their SHA-256 and no file without a row);
# the rerun completes. (A batch's rows go to the server together at each
# commit, kc_ledger_batch: a batch meets a row another session holds
# there, at the device that completes the commit interval, which is then
# the one reported failed; the others since the last commit are the lost
# ones.) A commit the server did not confirm may have
# happened: its files are kept (and the rows are there). The same removal
# with the SQLite ledger, when a write fails mid-batch.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
PGCHECK="$KC_TOP_SRCDIR/tests/ledger/pgcheck.py"
gen() { mkdir -p "$1" && "$GENCSR" "$@"; }

pg_setup
fs_setup

# until the query's count reaches N (at most 60 s)
until_sql() {
	_i=0
	until [ "$(sql "$1")" -ge "$2" ]; do
		[ $_i -lt 1200 ] || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}
nwait() { until_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'" "$1"; }
until_file() {	# until_file PATH: it exists (at most 60 s)
	_i=0
	until [ -e "$1" ]; do
		[ $_i -lt 1200 ] || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}
batch() {	# batch CSRDIR OUT [options]: station st-a (D)
	_bc=$1 _bo=$2; shift 2
	"$FS" batch --dir "$T/D" --csr-dir "$_bc" --out-dir "$_bo" \
		--pass-file "$PASS" "$@"
}
nth() {	# nth DIR I: the ID of the I-th CSR (0-based) in readdir order
	python3 -c 'import os,sys; print(os.listdir(sys.argv[1])[int(sys.argv[2])][:-4])' "$1" "$2"
}
holdid() {	# holdid ID: a session holds an uncommitted row for ID
	hold "INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after, kind, status, cert_path, cert_der, station) VALUES ('00', '$1', '', 0, 0, 'device', 'issued', '', ''::bytea, 'holder')"
}
release() { echo "${1:-ROLLBACK};" >&3 2>/dev/null; exec 3>&-; wait $HOLD_PID; }
ncert() { ls "$1" 2>/dev/null | grep -c '\.cert\.pem$'; }
nall() { ls "$1" 2>/dev/null | wc -l; }
rows() { sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE '$1%'"; }
rows_eq() { [ "$(rows "$1")" -eq "$2" ]; }	# rows_eq PREFIX N
pgcheck() { "$PGCHECK" "$PGURI" "$@"; }
# pgcheck_n N ARGS: pgcheck passes with N rows
pgcheck_n() { case $1 in *" "*) _n=$1 ;; *) _n="$1 rows" ;; esac; shift; pgcheck "$@" > "$T/pgc.out" || { cat "$T/pgc.out"; return 1; }; grep -q "^ok: $_n" "$T/pgc.out" || { cat "$T/pgc.out"; return 1; }; }

# --- SQLite first: a write failing mid-batch -----------------------------
# a file of someone else's (x-chain) where the 70th device's chain goes:
# that device fails, the 19 before it since the last commit (50) are
# rolled back and their files removed; the batch goes on with the rest;
# the foreign file is kept.
gen cq 120 q- || bail gencsr
mkdir oq
qid=$(nth cq 69)
echo "not ours" > "oq/$qid.chain.pem"
check "SQLite: the batch with a foreign file in the way fails" sh -c "! '$FS' batch --dir '$T/D' --csr-dir cq --out-dir oq --pass-file '$PASS' --quiet --commit-every 50 > q.log 2>&1"
check "  ... the device in the way is named" grep -q "$qid" q.log
check "  ... those rolled back are reported, their files removed" grep -Eq '^factorysign: [0-9]+ devices reported issued above are not recorded \(rolled back after the error\); their files are removed' q.log
qrows=$("$FS" ledger export --dir "$T/D" --format csv --all | grep -c 'q-')
check "  ... issued + failed = 120, issued = the rows" sh -c "grep -q 'batch cq: $qrows issued, 0 already issued, 0 repaired, $((120 - qrows)) failed' q.log"
check "  ... the first commit (50) kept, the rolled back ones not" test "$qrows" -ge 50 -a "$qrows" -lt 120
check "  ... the recorded devices' files (3 each) and the foreign file, nothing else" test "$(ncert oq)" -eq "$qrows" -a "$(nall oq)" -eq $((3 * qrows + 1))
check "  ... the foreign file kept as it was" grep -qx "not ours" "oq/$qid.chain.pem"
check "  ... ledger verify" "$FS" ledger verify --dir "$T/D"
rm "oq/$qid.chain.pem"
check "SQLite: the rerun completes" sh -c "'$FS' batch --dir '$T/D' --csr-dir cq --out-dir oq --pass-file '$PASS' --quiet | grep -q 'batch cq: $((120 - qrows)) issued, $qrows already issued'"
check "  ... all files" test "$(ncert oq)" -eq 120 -a "$(nall oq)" -eq 360

# --- station A moves to the server ---------------------------------------
check "migrate D to the server as st-a" sh -c "'$FS' ledger migrate --dir '$T/D' --to '$PGURI' --station st-a > /dev/null"
check "pgcheck after the migrate" pgcheck --dir oq

# --- the server stopped while the batch waits at device 150 ---------------
# commits at 50 and 100; 49 uncommitted rows (devices 101-149) when it
# waits at a row another session holds; the files of device 110 written
gen c1 250 s1- || bail gencsr
holdid "$(nth c1 149)" || bail hold
f110="o1/$(nth c1 109)"
batch c1 o1 --quiet --commit-every 50 > s1.log 2>&1 & p=$!
check "stop: the batch waits at device 150" nwait 1
check "  ... device 110's files are written" until_file "$f110.full-chain.pem"
# one of them replaced by someone meanwhile: not the batch's to remove
mv "$f110.chain.pem" "$f110.chain.orig"; echo "replaced" > "$f110.chain.pem"
pg_stop immediate
release
wait $p; rs=$?
check "stop: the batch fails" test $rs -ne 0
check "  ... the connection lost, said once" sh -c "test \$(grep -c 'connection to the server was lost' s1.log) -eq 1"
check "  ... it stopped (one skipped device)" test "$(grep -c 'skipped:' s1.log)" -eq 1
check "  ... 49 reported not recorded, their files removed" grep -q '49 devices reported issued above are not recorded (rolled back after the error); their files are removed' s1.log
check "  ... counted failed, not issued" grep -q 'batch c1: 100 issued, 0 already issued, 0 repaired, 50 failed' s1.log
check "  ... no server text on the terminal" sh -c "! grep -Eq 'WARNING|FATAL|HINT' s1.log"
check "  ... 100 devices' files left (and the replaced file)" test "$(ncert o1)" -eq 100 -a "$(nall o1)" -eq 302
check "  ... the file replaced meanwhile is kept" grep -qx replaced "$f110.chain.pem"
pg_start
rm "$f110.chain.pem" "$f110.chain.orig"	# (the operator cleans up)
check "  ... 100 rows" rows_eq s1- 100
check "  ... all with their files, no file without a row (pgcheck)" pgcheck_n 100 --prefix s1- --dir o1
check "stop: the rerun completes" sh -c "'$FS' batch --dir '$T/D' --csr-dir c1 --out-dir o1 --pass-file '$PASS' --quiet | grep -q 'batch c1: 150 issued, 100 already issued'"
check "  ... pgcheck: 250 rows, every file" pgcheck_n "250 rows, 750 files" --prefix s1- --dir o1

# --- the connection cut (the batch's server process terminated) -----------
gen c2 120 s2- || bail gencsr
holdid "$(nth c2 80)" || bail hold
batch c2 o2 --quiet --commit-every 30 > s2.log 2>&1 & p=$!
check "cut: the batch waits (device 81, sent at the commit after 90)" nwait 1
check "  ... its connection terminated" test "$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" -eq 1
wait $p; rs=$?
release
check "cut: the batch fails" test $rs -ne 0
check "  ... the connection lost" grep -q 'connection to the server was lost\|terminating connection' s2.log
check "  ... 29 reported not recorded, their files removed" grep -q '29 devices reported issued above are not recorded (rolled back after the error); their files are removed' s2.log
check "  ... 60 rows, 60 devices' files" test "$(rows s2-)" -eq 60 -a "$(ncert o2)" -eq 60
check "  ... pgcheck" pgcheck_n 60 --prefix s2- --dir o2
check "cut: the rerun completes" sh -c "'$FS' batch --dir '$T/D' --csr-dir c2 --out-dir o2 --pass-file '$PASS' --quiet | grep -q 'batch c2: 60 issued, 60 already issued'"
check "  ... pgcheck: 120 rows" pgcheck_n "120 rows, 360 files" --prefix s2- --dir o2

# --- the server restarted under the batch ---------------------------------
gen c3 120 s3- || bail gencsr
holdid "$(nth c3 70)" || bail hold
batch c3 o3 --quiet --commit-every 25 > s3.log 2>&1 & p=$!
check "restart: the batch waits (device 71, sent at the commit after 75)" nwait 1
_pg_as "$PGBIN/pg_ctl" -D "$PGT/data" -w -t 60 -m fast restart -l "$PGT/log" \
	-o "-c listen_addresses='' -c unix_socket_directories=$PGT" >/dev/null 2>&1
wait $p; rs=$?
release
check "restart: the batch fails" test $rs -ne 0
check "  ... 24 reported not recorded, their files removed" grep -q '24 devices reported issued above are not recorded (rolled back after the error); their files are removed' s3.log
check "  ... 50 rows, 50 devices' files" test "$(rows s3-)" -eq 50 -a "$(ncert o3)" -eq 50
check "  ... pgcheck" pgcheck_n 50 --prefix s3- --dir o3
check "restart: the rerun completes at once" sh -c "'$FS' batch --dir '$T/D' --csr-dir c3 --out-dir o3 --pass-file '$PASS' --quiet | grep -q 'batch c3: 70 issued, 50 already issued'"

# --- the server gone during a commit --------------------------------------
# synchronous_standby_names with no standby: COMMIT is durable on the
# server, then waits for a standby that never answers; the server stopped
# then: the batch cannot know whether the commit happened. It says so and
# keeps the files; the rows are there.
sql "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
gen c4 80 s4- || bail gencsr
batch c4 o4 --quiet --commit-every 50 > s4.log 2>&1 & p=$!
check "commit: the batch waits for the commit's confirmation" until_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 1
sql "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
pg_stop immediate
wait $p; rs=$?
check "commit: the batch fails" test $rs -ne 0
check "  ... the commit's outcome said unknown" grep -q 'lost during the commit (.*); whether the rows since the last commit are recorded is not known' s4.log
check "  ... the 49 others said maybe recorded, files kept" grep -q '49 devices reported issued above may not be recorded: the ledger did not confirm the commit; their files are kept' s4.log
check "  ... and not said removed" sh -c "! grep -q 'files are removed' s4.log"
check "  ... 50 devices' files kept" test "$(ncert o4)" -eq 50
pg_start
check "  ... counted failed" grep -q 'batch c4: 0 issued, 0 already issued, 0 repaired, 50 failed' s4.log
check "  ... the commit happened: 50 rows" rows_eq s4- 50
check "  ... with their files (pgcheck)" pgcheck_n 50 --prefix s4- --dir o4
check "commit: the rerun completes" sh -c "'$FS' batch --dir '$T/D' --csr-dir c4 --out-dir o4 --pass-file '$PASS' --quiet | grep -q 'batch c4: 30 issued, 50 already issued'"

# --- one device (sign): the server gone during its commit, and before ------
sql "ALTER SYSTEM SET synchronous_standby_names = 'nobody'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null
gen c5 2 s5- || bail gencsr
one=$(nth c5 0)
"$FS" sign --dir "$T/D" --csr "c5/$one.csr" --out-dir o5 --pass-file "$PASS" > s5.log 2>&1 & p=$!
check "sign: waits for the commit's confirmation" until_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 1
sql "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
pg_stop immediate
wait $p; rs=$?
check "sign: fails" test $rs -ne 0
check "  ... its files kept (the commit may have happened)" test -s "o5/$one.cert.pem"
two=$(nth c5 1)
check_fails "sign with the server down: refused" 'cannot reach the PostgreSQL ledger' \
	"$FS" sign --dir "$T/D" --csr "c5/$two.csr" --out-dir o5 --pass-file "$PASS"
check "  ... nothing written for it" test ! -e "o5/$two.cert.pem"
pg_start
check "sign: the commit happened (pgcheck)" pgcheck_n 1 --prefix s5- --dir o5
check "sign: the other one now" "$FS" sign --dir "$T/D" --csr "c5/$two.csr" --out-dir o5 --pass-file "$PASS"
check "pgcheck over everything" pgcheck --dir oq --dir o1 --dir o2 --dir o3 --dir o4 --dir o5

done_testing

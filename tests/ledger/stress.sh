#!/bin/sh
# tests/ledger/stress.sh: `make stress`, the sizes of issue 19 (not part of
# make check; tests/ledger/stations.sh and server-loss.sh run the same
# cases small). A PostgreSQL server of its own (tests/ledger/pg.sh); after
# every step tests/ledger/pgcheck.py, reading the server with psql, checks
# the ledger against the files: serials and live IDs unique, every row's
# files present with the recorded SHA-256, no file of an unrecorded device.
#   1. two stations batch-signing STRESS_N (5000) CSRs each at the same
#      time, sharing one intermediate; then with two intermediates; every
#      certificate verifies (openssl verify, many per call)
#   2. STRESS_KILLS (20) kill -9 of a station mid-batch while another runs,
#      then the rerun completes
#   3. the server stopped (immediate) and started again mid-batch, and
#      restarted under a batch: a clear error, rerun completes
#   4. ledger migrate of a SQLite ledger of STRESS_MIGRATE (20000) rows:
#      csv and nrfcloud exports equal before and after
# Prints TAP and the timings.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
PGCHECK="$KC_TOP_SRCDIR/tests/ledger/pgcheck.py"
N=${STRESS_N:-5000}
KILLS=${STRESS_KILLS:-20}
MN=${STRESS_MIGRATE:-20000}
gen() { mkdir -p "$1" && "$GENCSR" "$@" >/dev/null; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
rows() { sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE '$1%'"; }
pgcheck() { "$PGCHECK" "$PGURI" "$@" > "$T/pgc.out" || { cat "$T/pgc.out"; return 1; }; cat "$T/pgc.out"; }
until_rows() {	# until_rows PREFIX N [PID]: at most 120 s, or PID gone
	_i=0
	until [ "$(rows "$1")" -ge "$2" ]; do
		[ $_i -lt 2400 ] || return 1
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}
batch() {	# batch DIR CSRDIR OUT [options]
	_bd=$1 _bc=$2 _bo=$3; shift 3
	"$FS" batch --dir "$_bd" --csr-dir "$_bc" --out-dir "$_bo" \
		--pass-file "$PASS" --quiet "$@"
}
# verify_all OUT INTER: every certificate under the root and INTER, 500
# per openssl call
verify_all() {
	ls "$1" | grep '\.cert\.pem$' | sed "s|^|$1/|" |
		xargs -n 500 openssl verify -CAfile "$T/root.pem" -untrusted "$2" |
		grep -v ': OK$' | head -n 5 | grep . && return 1
	[ "$(ls "$1" | grep -c '\.cert\.pem$')" -gt 0 ]
}

pg_setup
fs_setup
cp -a "$T/D" "$T/DB"
( umask 077
  printf 'ledger = %s\nstation = st-a\n' "$PGURI" > "$T/D/ledger.conf"
  printf 'ledger = %s\nstation = st-b\n' "$PGURI" > "$T/DB/ledger.conf" )
"$FS" init --dir "$T/DC" --subject "/CN=Factory C/O=Example" --algorithm ec-p256 \
	--pass-file "$PASS" --ledger "$PGURI" --station st-c >/dev/null || bail "init C"
openssl x509 -req -in "$T/DC/intermediate.csr" -CA "$T/root.pem" -CAkey "$T/root.key" \
	-CAcreateserial -days 1000 -extfile "$T/ca.cnf" -extensions inter \
	-out "$T/interc.pem" >/dev/null 2>&1 || bail "sign C"
"$FS" install --dir "$T/DC" --cert "$T/interc.pem" --root "$T/root.pem" >/dev/null || bail "install C"
fs_fast_key "$T/DC"

t=$(now)
for p in a b c d; do gen c$p "$N" $p- || bail gencsr; done
diag "generated 4 x $N CSRs in $(secs "$t") s"

# --- 1. two stations at once ------------------------------------------------
t=$(now)
batch "$T/D" ca oa > a.log 2>&1 & pa=$!
batch "$T/DB" cb ob > b.log 2>&1 & pb=$!
wait $pa; ra=$?; wait $pb; rb=$?
diag "2 x $N, one intermediate, at once: $(secs "$t") s"
check "shared intermediate: st-a issued $N" sh -c "test $ra -eq 0 && grep -q 'batch ca: $N issued' a.log"
check "shared intermediate: st-b issued $N" sh -c "test $rb -eq 0 && grep -q 'batch cb: $N issued' b.log"
check "  ... pgcheck" pgcheck --dir oa --dir ob
check "  ... 2 x $N rows" test "$(rows a-)" -eq "$N" -a "$(rows b-)" -eq "$N"
check "  ... every certificate of st-a verifies" verify_all oa "$T/inter.pem"
check "  ... every certificate of st-b verifies" verify_all ob "$T/inter.pem"
t=$(now)
batch "$T/D" cc oc > c.log 2>&1 & pa=$!
batch "$T/DC" cd od > d.log 2>&1 & pc=$!
wait $pa; ra=$?; wait $pc; rc=$?
diag "2 x $N, two intermediates, at once: $(secs "$t") s"
check "two intermediates: st-a issued $N" sh -c "test $ra -eq 0 && grep -q 'batch cc: $N issued' c.log"
check "two intermediates: st-c issued $N" sh -c "test $rc -eq 0 && grep -q 'batch cd: $N issued' d.log"
check "  ... pgcheck" pgcheck --dir oc --dir od
check "  ... every certificate of st-a verifies" verify_all oc "$T/inter.pem"
check "  ... every certificate of st-c verifies (its own intermediate)" verify_all od "$T/interc.pem"
check "  ... serials unique over the whole ledger" test "$(sql 'SELECT count(DISTINCT serial) FROM kc_certs')" -eq $((4 * N))

# --- 2. kill -9 mid-batch, the other station running -------------------------
K=$((KILLS * 250 + 500))
gen ck "$K" k- || bail gencsr
gen cm "$N" m- || bail gencsr
t=$(now)
batch "$T/DC" cm om --commit-every 50 > m.log 2>&1 & pm=$!
killed=0
for i in $(seq 1 "$KILLS"); do
	before=$(rows k-)
	"$FS" batch --dir "$T/D" --csr-dir ck --out-dir ok --pass-file "$PASS" \
		--quiet --commit-every 50 > k.log 2>&1 & pk=$!
	# killed once it has committed about 100 more
	until_rows k- $((before + 100)) $pk || true
	if kill -9 $pk 2>/dev/null; then killed=$((killed + 1)); fi
	wait $pk
	pgcheck --killed --prefix k- --dir ok > /dev/null ||
		{ not_ok "kill -9 #$i: pgcheck"; cat "$T/pgc.out"; }
done
wait $pm; rm=$?
diag "$killed kill -9 while st-c signed $N: $(secs "$t") s"
check "$KILLS kills, each followed by a consistent ledger ($killed mid-batch)" test "$killed" -eq "$KILLS"
check "st-c ran through the kills" sh -c "test $rm -eq 0 && grep -q 'batch cm: $N issued' m.log"
check "the rerun after the kills completes" batch "$T/D" ck ok
check "  ... $K rows, pgcheck" sh -c "test $(rows k-) -eq $K" 
check "  ... pgcheck" pgcheck --prefix k- --dir ok
check "  ... pgcheck st-c" pgcheck --prefix m- --dir om

# --- 3. the server stopped and started mid-batch; restarted ------------------
gen cs "$N" s- || bail gencsr
batch "$T/D" cs os --commit-every 100 > s.log 2>&1 & ps=$!
until_rows s- $((N / 4)) $ps || true
pg_stop immediate
wait $ps; rs=$?
check "server stopped mid-batch: the batch fails" test $rs -ne 0
check "  ... saying the connection was lost" grep -q 'connection to the server was lost' s.log
check "  ... counted failed" grep -Eq 'batch cs: [0-9]+ issued, 0 already issued, 0 repaired, [1-9][0-9]* failed' s.log
pg_start
check "  ... pgcheck" pgcheck --prefix s- --dir os
diag "stopped after $(rows s-) of $N"
check "  ... the rerun completes" batch "$T/D" cs os
check "  ... pgcheck: all $N" sh -c "test $(rows s-) -eq $N && '$PGCHECK' '$PGURI' --prefix s- --dir os"
gen cr "$N" r- || bail gencsr
batch "$T/D" cr or --commit-every 100 > r.log 2>&1 & ps=$!
until_rows r- $((N / 3)) $ps || true
_pg_as "$PGBIN/pg_ctl" -D "$PGT/data" -w -t 60 -m fast restart -l "$PGT/log" \
	-o "-c listen_addresses='' -c unix_socket_directories=$PGT" >/dev/null 2>&1
wait $ps; rs=$?
check "server restarted mid-batch: the batch fails" test $rs -ne 0
check "  ... pgcheck" pgcheck --prefix r- --dir or
check "  ... the rerun completes" batch "$T/D" cr or
check "  ... pgcheck: all $N" sh -c "test $(rows r-) -eq $N && '$PGCHECK' '$PGURI' --prefix r- --dir or"

# --- 4. migrate a SQLite ledger of $MN rows ---------------------------------
"$FS" init --dir "$T/DM" --subject "/CN=Factory M/O=Example" --algorithm ec-p256 \
	--pass-file "$PASS" >/dev/null || bail "init M"
openssl x509 -req -in "$T/DM/intermediate.csr" -CA "$T/root.pem" -CAkey "$T/root.key" \
	-CAcreateserial -days 1000 -extfile "$T/ca.cnf" -extensions inter \
	-out "$T/interm.pem" >/dev/null 2>&1 || bail "sign M"
"$FS" install --dir "$T/DM" --cert "$T/interm.pem" --root "$T/root.pem" >/dev/null || bail "install M"
fs_fast_key "$T/DM"
gen cx "$MN" x- || bail gencsr
t=$(now)
check "SQLite: $MN issued" batch "$T/DM" cx ox
diag "SQLite batch of $MN: $(secs "$t") s"
"$FS" ledger export --dir "$T/DM" --format csv --all > before.csv
"$FS" ledger export --dir "$T/DM" --format nrfcloud --out before-nrf.csv > /dev/null
$PSQL "postgresql://kc@/postgres?host=$PGT" -c 'CREATE DATABASE ledger2' || bail createdb
URI2="postgresql://kc@/ledger2?host=$PGT"
t=$(now)
check "migrate $MN rows" sh -c "'$FS' ledger migrate --dir '$T/DM' --to '$URI2' --station st-m > mig.log"
diag "migrate of $MN rows: $(secs "$t") s"
check "  ... counts and hashes checked" grep -Eq "^$MN rows copied and checked|$MN rows copied and checked" mig.log
"$FS" ledger export --dir "$T/DM" --format csv --all > after.csv
"$FS" ledger export --dir "$T/DM" --format nrfcloud --out after-nrf.csv > /dev/null
check "  ... export (csv) equal" cmp before.csv after.csv
check "  ... export (nrfcloud) equal" sh -c "for f in before-nrf*.csv; do cmp \"\$f\" \"after\${f#before}\" || exit 1; done"
check "  ... pgcheck of the migrated ledger" sh -c "'$PGCHECK' '$URI2' --dir ox | grep -q '^ok: $MN rows'"
check "  ... ledger verify" "$FS" ledger verify --dir "$T/DM"

check "pgcheck over the whole first ledger" pgcheck --dir oa --dir ob --dir oc --dir od --dir ok --dir om --dir os --dir or
done_testing

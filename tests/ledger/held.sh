#!/bin/sh
# tests/ledger/held.sh: a batch's rows on the PostgreSQL ledger go to the
# server together at each commit (kc_ledger_batch), and the IDs of the
# next CSRs are looked up together (kc_ledger_prefetch). What the server
# holds stays the truth: an ID another station records after this one
# looked is refused at the insert, that device (reported issued) is then
# reported not issued, with who issued it, and its files removed; the
# others commit. Lookups see the rows held back (the same CSR twice, two
# CSRs of one ID in a batch); a station reading the ledger (status,
# export) sees them once committed; many rows held (past the 4000 sent
# before a commit) take the same path. Independent check: pgcheck.py.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
PGCHECK="$KC_TOP_SRCDIR/tests/ledger/pgcheck.py"
gen() { mkdir -p "$1" && "$GENCSR" "$@"; }

pg_setup
fs_setup

nwait() {	# nwait N: N sessions wait for a lock (at most 60 s)
	_i=0
	until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" -ge "$1" ]; do
		[ $_i -lt 1200 ] || return 1
		sleep 0.05; _i=$((_i + 1))
	done
}
batch() {	# batch CSRDIR OUT [options]: station st-a on the server
	_bc=$1 _bo=$2; shift 2
	"$FS" batch --dir "$T/D" --csr-dir "$_bc" --out-dir "$_bo" \
		--pass-file "$PASS" --ledger "$PGURI" --station st-a "$@"
}
holdid() {	# holdid ID: a session (station "holder") holds an uncommitted row for ID
	hold "INSERT INTO kc_certs (serial, device_id, cert_sha256, issued_at, not_after, kind, status, cert_path, cert_der, station) VALUES ('00${2:-}', '$1', '', 0, 0, 'device', 'issued', '', ''::bytea, 'holder')"
}
release() { echo "${1:-ROLLBACK};" >&3 2>/dev/null; exec 3>&-; wait $HOLD_PID; }
ncert() { ls "$1" 2>/dev/null | grep -c '\.cert\.pem$'; }
rows() { sql "SELECT count(*) FROM kc_certs WHERE device_id LIKE '$1%' AND station = 'st-a'"; }
pgcheck() { "$PGCHECK" "$PGURI" "$@"; }

gen c0 3 z- || bail gencsr
check "a first batch makes the schema" batch c0 o0 --quiet

# --- an ID recorded by another station after the lookup --------------------
# The session's row for h-000005 is uncommitted when the batch looks the IDs
# up (not seen), and commits while the batch's insert waits on it.
gen ch 10 h- || bail gencsr
holdid h-000005 || bail hold
batch ch oh --commit-every 10 > h.log 2>&1 & p=$!
check "the batch waits at its commit (h-000005 held)" nwait 1
check "  ... all ten signed, their files written" sh -c "test \$(ls oh | grep -c '\.cert\.pem$') -eq 10"
release COMMIT
wait $p; rs=$?
check "the batch fails (one device)" test $rs -eq 1
check "  ... h-000005 is reported not issued, with who issued it and when" grep -Eq "^factorysign: h-000005, reported issued above, is not: device ID 'h-000005' was already issued by station holder at 20[0-9-]{8}T[0-9:]{8}Z .*its files are removed$" h.log
check "  ... said once" test "$(grep -c 'reported issued above, is not' h.log)" -eq 1
check "  ... counted failed, not issued" grep -q 'batch ch: 9 issued, 0 already issued, 0 repaired, 1 failed' h.log
check "  ... its files removed" sh -c "test -z \"\$(ls oh | grep '^h-000005')\""
check "  ... the other nine's kept" test "$(ncert oh)" -eq 9
check "  ... nine rows of st-a" test "$(rows h-)" -eq 9
check "  ... h-000005's row is the holder's" test "$(sql "SELECT string_agg(station, ',') FROM kc_certs WHERE device_id = 'h-000005'")" = holder
check "  ... no file hash of the refused row" test "$(sql "SELECT count(*) FROM kc_files f JOIN kc_certs c USING (serial) WHERE c.device_id LIKE 'h-%'")" -eq 27
batch ch oh --quiet > h2.log 2>&1; rs=$?
check "the rerun fails for h-000005 only" test $rs -eq 1
check "  ... nine already issued" grep -q 'batch ch: 0 issued, 9 already issued, 0 repaired, 1 failed' h2.log
check "  ... h-000005 refused at the lookup" grep -q "device ID 'h-000005' was already issued by station holder" h2.log
check "  ... and nothing written for it" sh -c "test -z \"\$(ls oh | grep '^h-000005')\""
sql "DELETE FROM kc_certs WHERE station = 'holder'" >/dev/null	# (no certificate)
check "  ... pgcheck: every row's files, no file without a row" pgcheck --prefix h- --dir oh

# --- the same CSR twice, two CSRs of one ID: lookups see held rows ----------
gen cd 6 d- || bail gencsr
cp cd/d-000002.csr cd/d-000002-again.csr
gen cx 1 d- || bail gencsr
cp cx/d-000001.csr cd/d-000001-other-key.csr
batch cd od --commit-every 100 > d.log 2>&1
check "a batch with a CSR twice and one ID from two CSRs: one failure" test $? -eq 1
check "  ... the second CSR of d-000001 is refused (one CSR per ID in a batch)" grep -q "device ID 'd-000001' was issued earlier in this batch from another CSR" d.log
check "  ... the same CSR again is no second certificate" grep -q 'batch cd: 6 issued, 1 already issued, 0 repaired, 1 failed' d.log
check "  ... six rows, one each" test "$(sql "SELECT count(*), count(DISTINCT lower(device_id)) FROM kc_certs WHERE device_id LIKE 'd-%'")" = "6|6"
check "  ... pgcheck" pgcheck --prefix d- --dir od

# --- issue --count: IDs looked up together, rows held the same way ---------
holdid i-0003 1 || bail hold
"$FS" issue --dir "$T/D" --count 5 --prefix i- --out-dir oi --pass-file "$PASS" \
	--plain-keys --ledger "$PGURI" --station st-a > i.log 2>&1 & p=$!
check "issue --count waits at its commit (i-0003 held)" nwait 1
release COMMIT
wait $p; rs=$?
check "issue --count: fails for one device" test $rs -eq 1
check "  ... i-0003 reported not issued, who issued it" grep -q "i-0003, reported issued above, is not: device ID 'i-0003' was already issued by station holder" i.log
check "  ... the others issued" grep -q '^issue: 4 issued, 0 already issued, 0 repaired, 1 failed' i.log
check "  ... its key and certificate removed" sh -c "test -z \"\$(ls oi | grep '^i-0003')\""
check "  ... the others' kept" test "$(ncert oi)" -eq 4

# --- more rows held than are kept back (4000): sent before the commit -------
# the refused row is met by that early send; its files are removed
# all the same, after the writer has written them
gen cm 4010 m- || bail gencsr
holdid m-000100 2 || bail hold
batch cm om --quiet --commit-every 5000 > m.log 2>&1 & p=$!
check "4010 CSRs, one commit: the batch waits at the early send" nwait 1
release COMMIT
wait $p; rs=$?
check "  ... fails for one device" test $rs -eq 1
check "  ... m-000100 reported not issued" grep -q "m-000100, reported issued above, is not: device ID 'm-000100' was already issued by station holder" m.log
check "  ... 4009 issued" grep -q 'batch cm: 4009 issued, 0 already issued, 0 repaired, 1 failed' m.log
check "  ... 4009 rows of st-a" test "$(rows m-)" -eq 4009
check "  ... 4009 certificates, none of m-000100" sh -c "test \$(ls om | grep -c '\.cert\.pem$') -eq 4009 && test -z \"\$(ls om | grep '^m-000100')\""
sql "DELETE FROM kc_certs WHERE station = 'holder'" >/dev/null
check "  ... pgcheck" pgcheck --prefix m- --dir om

# --- status and export see committed rows only once ------------------------
check "status counts every station's rows" sh -c "'$FS' status --dir '$T/D' --ledger '$PGURI' --station st-a > st.log 2>&1"
check "export: one line per st-a row" test "$("$FS" ledger export --dir "$T/D" --ledger "$PGURI" --station st-a --format csv | grep -c '^[^#]')" -ge "$(sql "SELECT count(*) FROM kc_certs WHERE station = 'st-a' AND status = 'issued'")"
check "ledger verify" "$FS" ledger verify --dir "$T/D" --ledger "$PGURI" --station st-a
done_testing

#!/bin/sh
# factorysign crl on a PostgreSQL ledger shared by two stations with one
# intermediate (issue 15 item 1): the revocations and CRL numbers are the
# ledger's, so station line-2's CRL lists what line-1 revoked and takes the
# next number; two stations racing for one CRL number: the one whose
# transaction commits first wins, the other is refused with nothing
# recorded or written, and its rerun takes the next number. The race is
# made deterministic: a session of its own (hold) records number N for the
# other station and keeps its transaction open until factorysign waits on
# it (pg_stat_activity says so), then commits.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/revocation/setup.sh"
. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
pg_setup
fs_setup
printf 'dev-a\ndev-b\ndev-c\n' > ids
"$FS" issue --dir D --ids ids --plain-keys --out-dir out --pass-file "$PASS" >/dev/null || bail issue
"$FS" ledger migrate --dir D --to "$PGURI" --station line-1 >/dev/null || bail "migrate"
cp -a D D2
mkdir pub1 pub2
root_crl root.crl
crl1() { "$FS" crl --dir D --pass-file "$PASS" --root-crl root.crl --out pub1/intermediate.crl "$@"; }
crl2() { "$FS" crl --dir D2 --station line-2 --pass-file "$PASS" --root-crl root.crl --out pub2/intermediate.crl "$@"; }
ser() { openssl x509 -in "out/$1.cert.pem" -noout -serial | cut -d= -f2; }
ski=$(openssl x509 -in inter.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)

crl1 --revoke dev-a > p1.out 2>&1
check "line-1 revokes dev-a: CRL number 1" grep -q 'CRL number 1, 1 revoked' p1.out
crl2 > p2.out 2>&1
check "line-2 (its own directory, the same intermediate): number 2, dev-a listed" sh -c \
	"grep -q 'CRL number 2, 1 revoked' p2.out && openssl crl -in pub2/intermediate.crl -noout -text | grep -q 'Serial Number: $(ser dev-a)'"
check "the ledger: one revocation, by line-1" test "$(sql 'SELECT station FROM kc_revoked' | tr '\n' ' ')" = 'line-1 '
check "  ... CRLs 1 by line-1 and 2 by line-2" test \
	"$(sql "SELECT number || ':' || station FROM kc_crls WHERE issuer = '$ski' ORDER BY number" | tr '\n' ' ')" = '1:line-1 2:line-2 '

check "openssl -crl_check_all with line-2's crls.pem: dev-a refused, dev-b valid" sh -c \
	"! openssl verify -crl_check_all -CAfile root.pem -untrusted inter.pem -CRLfile pub2/crls.pem out/dev-a.cert.pem >/dev/null 2>&1 && \
	 openssl verify -crl_check_all -CAfile root.pem -untrusted inter.pem -CRLfile pub2/crls.pem out/dev-b.cert.pem"

# --- the race for number 3 -----------------------------------------------------
hold "INSERT INTO kc_crls (issuer, number, this_update, next_update, sha256, station) VALUES ('$ski', 3, 0, 1, 'x', 'line-2')" \
	|| bail "hold"
before=$(snapshot pub1 D/crl out)
crl1 --revoke dev-b > race.out 2>&1 &
RACE=$!
# until line-1's transaction waits for the held one (a lock wait)
python3 - <<'EOF' || bail "factorysign never waited for the other station's transaction"
import os, subprocess, time
q = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
     "AND query LIKE 'INSERT INTO kc_crls%'")
for _ in range(1200):
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", os.environ["PGURI"], "-c", q],
                       capture_output=True, text=True)
    if r.stdout.strip() not in ("", "0"):
        raise SystemExit(0)
    time.sleep(0.05)
raise SystemExit(1)
EOF
echo "COMMIT;" >&3; exec 3>&-; wait "$HOLD_PID"
wait "$RACE"; rc=$?
check "the station that committed second is refused" sh -c "[ $rc -ne 0 ] && grep -q \"another station issued this CRL number first: nothing was written, run the command again\" race.out"
check "  ... in one line" test "$(grep -c '^factorysign' race.out)" -eq 1
check "  ... nothing written" test "$before" = "$(snapshot pub1 D/crl out)"
check "  ... its revocation of dev-b not recorded" test "$(sql 'SELECT count(*) FROM kc_revoked')" -eq 1
crl1 --revoke dev-b > rerun.out 2>&1
check "its rerun takes number 4 and revokes dev-b" sh -c \
	"grep -q 'CRL number 4, 2 revoked' rerun.out && grep -q 'revoked: dev-b' rerun.out"
check "  ... dev-b refused with crls.pem now" sh -c \
	"openssl verify -crl_check_all -CAfile root.pem -untrusted inter.pem -CRLfile pub1/crls.pem out/dev-b.cert.pem 2>&1 | grep -q 'certificate revoked'"
check "  ... the ledger: 2 revocations" test "$(sql 'SELECT count(*) FROM kc_revoked')" -eq 2
check "  ... CRLs 1 to 4" test "$(sql "SELECT string_agg(number::text, ',' ORDER BY number) FROM kc_crls WHERE issuer = '$ski'")" = '1,2,3,4'
crl2 > p3.out 2>&1
check "line-2 next: number 5 with both revocations" grep -q "CRL number 5, 2 revoked" p3.out
done_testing

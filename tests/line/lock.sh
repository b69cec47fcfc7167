#!/bin/sh
# factorysign provision (issue 20): one station per port. While a station
# holds the port (the simulated nRF91 paused at AT%KEYGEN), a second one
# on the same port, by its name or by another link to the same device, is
# refused (exit 2, "in use") and sends nothing; the lock is flock(2) on
# the device, which holds against root too (these tests may run as root),
# plus TIOCEXCL against other programs. Once the first is done, the port
# is free again.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null
diag "running as uid $(id -u)"

sim_start --pause-at 'AT%KEYGEN' --pause-file "$T/paused" \
	--resume-file "$T/resume"
prov > "$T/first.out" 2>&1 &
FIRST=$!
wait_for "$T/paused"
lines=$(wc -l < "$T/modem.log")
check_fails "a second station on the same port: refused" \
	"port $PORT is in use" prov
check "the refused station exits 2 (a port problem)" sh -c \
	"'$FS' provision --dir '$T/D' --port '$PORT' --sec-tag 16 --pass-file '$PASS' --out-dir '$T/out' --timeout 2 >/dev/null 2>&1; test \$? = 2"
ln -s "$(readlink "$PORT")" "$T/other-name"
check_fails "a second station through another link to the device: refused" \
	"is in use" "$FS" provision --dir "$T/D" --port "$T/other-name" \
	--sec-tag 16 --pass-file "$PASS" --out-dir "$T/out" --timeout 2
check "the refused stations sent nothing" test \
	"$(wc -l < "$T/modem.log")" = "$lines"
touch "$T/resume"
wait "$FIRST"; rc=$?
check "the first station completes (exit 0)" test "$rc" = 0
check "the first station's result line" grep -q '^provisioned ' "$T/first.out"
check "one live row" test "$(ledger_rows | grep -c '^issued ')" = 1
# the lock is gone with the first station: the port opens again (and the
# device is known: refused by the ledger, not by the lock)
check_fails "after it, the port is free (the ledger refuses the device)" \
	"already issued" prov
sim_new; sim_start
check "after it, a new device on the port is provisioned" prov
done_testing

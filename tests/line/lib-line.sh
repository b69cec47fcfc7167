# tests/line/lib-line.sh: the line station's tests, sourced after
# tests/lib.sh and tests/factory/setup.sh. sim_start [modemsim options]
# starts the simulated nRF91 (tests/line/modemsim.py) on a pty linked at
# $PORT, its state in $T/modem.json; sim_stop ends it; prov runs
# factorysign provision on $PORT with the test factory.
SIM=$KC_TOP_SRCDIR/tests/line/modemsim.py
PORT=$T/ttyACM0
SIMPID=
command -v python3 >/dev/null || bail "python3 missing"
python3 -c 'import cryptography' 2>/dev/null ||
	bail "python3-cryptography missing (scripts/install-deps)"

# waits (bounded, on a condition) for a path to exist
wait_for() {
	_i=0
	while [ ! -e "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 600 ] || bail "timed out waiting for $1"
		sleep 0.05
	done
}

sim_start() {
	sim_stop
	rm -f "$PORT"
	python3 "$SIM" --link "$PORT" --state "$T/modem.json" \
		--log "$T/modem.log" "$@" 2>>"$T/sim.err" &
	SIMPID=$!
	wait_for "$PORT"
}

sim_stop() {
	if [ -n "$SIMPID" ]; then
		kill "$SIMPID" 2>/dev/null
		wait "$SIMPID" 2>/dev/null
		SIMPID=
	fi
}

# a new device: the simulator's state forgotten
sim_new() { sim_stop; rm -f "$T/modem.json" "$T"/modem.json.*; }

# what the modem holds: "tag,type=SHA" lines
sim_creds() {
	python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))
for k in sorted(s["creds"]): print("%s=%s" % (k, s["creds"][k]))' \
		"$T/modem.json"
}
sim_get() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$T/modem.json" "$1"
}

prov() {
	"$FS" provision --dir "$T/D" --port "$PORT" --sec-tag 16 \
		--pass-file "$PASS" --out-dir "$T/out" --timeout 2 "$@"
}

# ledger rows "status id serial", by sqlite3 through python
ledger_rows() {
	python3 -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1])
for r in c.execute("select status, device_id, serial from certs order by rowid"): print(*r)' \
		"$T/D/ledger.sqlite"
}

trap 'sim_stop; _tap_cleanup' EXIT

#!/bin/sh
# factorysign provision (issue 20): the station killed (SIGKILL) at every
# step, while it waits for the simulated nRF91. After each kill the ledger
# is consistent: an "issued" row only for a certificate the modem holds
# (the row is "pending" from before the AT%CMNG writes until the read-back
# matched, and ledger verify names it), the modem holds nothing or a
# certificate whose SHA-256 is in the ledger, and a rerun on the same
# device completes (a pending row superseded, the device re-keyed).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null

dev_id() {
	python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]
print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' \
		"$T/modem.json"
}
# in_ledger PEM: the ledger has a row of that certificate (serial and
# SHA-256 of the DER)
in_ledger() {
	python3 -c 'import sqlite3,sys,hashlib,ssl
der=ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read().split("-----END CERTIFICATE-----")[0]+"-----END CERTIFICATE-----\n")
c=sqlite3.connect(sys.argv[1])
sys.exit(0 if c.execute("select 1 from certs where cert_sha256=?",(hashlib.sha256(der).hexdigest(),)).fetchone() else 1)' \
		"$T/D/ledger.sqlite" "$1"
}

# live_is_modems ID: the live row of ID is the certificate the modem holds
live_is_modems() {
	[ -s "$T/modem.json.16.1" ] || return 1
	_ms=$(openssl x509 -in "$T/modem.json.16.1" -noout -serial |
		sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
	ledger_rows | sed 's/ 0*\([0-9a-f]*\)$/ \1/' | grep -qx "issued $1 $_ms"
}

# kill_at NAME PREFIX COUNT [provision args]
kill_at() {
	_n=$1; _p=$2; _c=$3; shift 3
	sim_new
	rm -f "$T/paused" "$T/resume"
	sim_start --pause-at "$_p" --pause-count "$_c" \
		--pause-file "$T/paused" --resume-file "$T/resume"
	_id=$(dev_id)
	# (exec: $! is factorysign itself, not a subshell around it)
	( exec "$FS" provision --dir "$T/D" --port "$PORT" --sec-tag 16 \
		--pass-file "$PASS" --out-dir "$T/out" --timeout 2 "$@" \
		> "$T/k.out" 2>&1 ) &
	_pid=$!
	wait_for "$T/paused"
	kill -9 "$_pid"
	wait "$_pid" 2>/dev/null
	touch "$T/resume"
	_live=$(ledger_rows 2>/dev/null | grep -c "^issued $_id ")
	_pend=$(ledger_rows 2>/dev/null | grep -c "^pending $_id ")
	if [ "$_live" = 0 ]; then
		ok "$_n: killed: no issued row"
	elif live_is_modems "$_id"; then
		# complete: the modem holds the issued certificate
		ok "$_n: killed after the read-back: the modem holds the issued certificate"
	else
		not_ok "$_n: killed: an issued row whose certificate the modem does not hold"
	fi
	if [ "$_pend" != 0 ]; then
		_ps=$(ledger_rows | grep "^pending $_id " | cut -d' ' -f3)
		check "$_n: killed: ledger verify names the pending row" sh -c \
			"'$FS' ledger verify --dir '$T/D' | grep -q '^$_id: serial $_ps is pending'"
	fi
	if [ -s "$T/modem.json.16.1" ]; then
		check "$_n: killed: the modem's certificate is in the ledger" in_ledger "$T/modem.json.16.1"
	else
		ok "$_n: killed: the modem holds no certificate"
	fi
	sim_start
	prov "$@" > "$T/k2.out" 2>&1; _rc=$?
	if [ "$_live" != 0 ] && [ ! -e "$T/D/provision/$_id" ] &&
	    grep -q "already issued" "$T/k2.out"; then
		ok "$_n: rerun: the device was complete (already issued)"
	elif [ "$_rc" = 0 ]; then
		ok "$_n: rerun completes"
	else
		not_ok "$_n: rerun exit $_rc"; sed 's/^/#   /' "$T/k2.out"
	fi
	check "$_n: rerun: one issued row, none pending" test \
		"$(ledger_rows | grep -c "^issued $_id ") $(ledger_rows | grep -c "^pending ")" = "1 0"
	check "$_n: rerun: no journal" test ! -e "$T/D/provision/$_id"
	check "$_n: rerun: the modem's chain verifies to the root" \
		openssl verify -CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
		"$T/modem.json.16.1"
	if live_is_modems "$_id"; then
		ok "$_n: rerun: the modem's certificate is the live one"
	else
		not_ok "$_n: rerun: the modem's certificate is not the live one"
	fi
}

kill_at "at AT+CGMR" 'AT+CGMR' 1
kill_at "at AT+CFUN=4" 'AT+CFUN=4' 1
kill_at "during AT%KEYGEN" 'AT%KEYGEN' 1
kill_at "after signing (list before the write)" 'AT%CMNG=1' 1
kill_at "during the chain's AT%CMNG write" 'AT%CMNG=0' 1
kill_at "during the read-back" 'AT%CMNG=1' 2
kill_at "during the CA's write" 'AT%CMNG=0' 1 --ca-file "$T/root.pem"
kill_at "between the CA and the chain" 'AT%CMNG=0' 2 --ca-file "$T/root.pem"
kill_at "at AT+CFUN=1" 'AT+CFUN=1' 1
done_testing

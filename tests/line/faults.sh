#!/bin/sh
# factorysign provision (issue 20): every fault of the issue, one device
# each on the simulated nRF91: no reply, ERROR and +CME ERROR codes by
# name, the modem still online, a %KEYGEN response that fails intake, a
# different UUID or IMEI, a read-back hash that does not match, the cable
# pulled at each step (and in the middle of a credential), a slow reply.
# Each: the exit code (1 refused, 2 device or port), a message naming the
# port and the step, nothing half-recorded (no live ledger row, no
# journal, no file of the device, nothing on the modem that the ledger
# does not know); then a rerun on the same device completes.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null

dev_id() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); u=s["uuid"]
print(s["imei"] if sys.argv[2]=="imei" else "%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' \
		"$T/modem.json" "$1"
}

# nothing_half NAME ID: no live row, no journal, no files, and the modem
# holds no certificate the ledger does not know
nothing_half() {
	check "$1: no live (issued or pending) ledger row" sh -c \
		"! python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute(\"select 1 from certs where device_id=? and status in (\\\"issued\\\", \\\"pending\\\")\",(sys.argv[2],)).fetchone() else 1)' '$T/D/ledger.sqlite' '$2'"
	check "$1: no journal" sh -c \
		"[ ! -d '$T/D/provision' ] || [ -z \"\$(ls -A '$T/D/provision')\" ]"
	check "$1: no file of the device in OUT" sh -c \
		"! ls '$T/out' | grep -qF -- '$2.'"
	if [ -s "$T/modem.json.16.1" ]; then
		_s=$(openssl x509 -in "$T/modem.json.16.1" -noout -serial |
			sed 's/serial=//' | tr 'A-F' 'a-f')
		check "$1: the modem's certificate is in the ledger" \
			sh -c "python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute(\"select 1 from certs where ltrim(serial,\\\"0\\\")=ltrim(?,\\\"0\\\")\",(sys.argv[2],)).fetchone() else 1)' '$T/D/ledger.sqlite' '$_s'"
	else
		ok "$1: the modem holds no certificate"
	fi
}

# rerun NAME ID [args]: the same device without the fault completes
rerun() {
	_n=$1; _rid=$2; shift 2
	sim_start
	check "$_n: a rerun provisions the device" prov "$@"
	check "$_n: rerun: the chain verifies" openssl verify \
		-CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
		"$T/out/$_rid.cert.pem"
	check "$_n: rerun: one live row" test "$(ledger_rows |
		grep -c "^issued $_rid ")" = 1
}

# case EXIT 'FAULT' 'REGEX' [provision args]: one fault on a new device
case_() {
	_rc=$1; _f=$2; _re=$3; shift 3
	sim_new
	if [ "${_f#--}" != "$_f" ]; then sim_start $_f; else sim_start --fault "$_f"; fi
	_from=uuid
	case " $* " in *" imei "*) _from=imei ;; esac
	_id=$(dev_id "$_from")
	prov "$@" > "$T/f.out" 2>&1; _got=$?
	if [ "$_got" = "$_rc" ]; then ok "$_f: exit $_rc"
	else not_ok "$_f: exit $_got, not $_rc"; sed 's/^/#   /' "$T/f.out"; fi
	if grep -Eq -- "$_re" "$T/f.out" && grep -q "port $PORT" "$T/f.out" &&
	    grep -Eq "step [a-z]+:" "$T/f.out"; then
		ok "$_f: the message names the port, the step and /$_re/"
	else
		not_ok "$_f: message"; sed 's/^/#   /' "$T/f.out"
	fi
	check "$_f: one result line on stdout" grep -Eq "^failed .* port $PORT step [a-z]+ after" "$T/f.out"
	nothing_half "$_f" "$_id"
	rerun "$_f" "$_id" "$@"
}

OTHER=0123456789abcdef0123456789abcdef
case_ 2 'AT=silent*' 'no OK to AT after 5 tries'
case_ 2 'AT+CMEE=1=error' 'AT\+CMEE: ERROR'
case_ 2 'AT+CGMR=delay:3' 'no reply to AT\+CGMR within 2\.0 s'
case_ 2 'AT+CGSN=1=garbage' 'a NUL byte in the reply'
case_ 2 'AT+CGSN=1=hangup' 'went away during AT\+CGSN.*cable pulled'
case_ 2 'AT%DEVICEUUID=long' 'a reply line passes 8192 bytes'
case_ 1 "AT%DEVICEUUID=uuid:$OTHER" 'the payload names device .* but the modem said it is 01234567-89ab-cdef-0123-456789abcdef'
case_ 2 'AT+CFUN=4=online' 'the modem is still online after AT\+CFUN=4'
case_ 2 'AT+CFUN=4=cme:518' 'AT\+CFUN: \+CME ERROR: 518 \(not allowed in active state'
case_ 2 'AT+CFUN?=silent' 'no reply to AT\+CFUN\? within 2\.0 s'
case_ 2 'AT%KEYGEN=cme:515' 'AT%KEYGEN: \+CME ERROR: 515 \(memory full\)'
case_ 2 'AT%KEYGEN=cme:514' 'AT%KEYGEN: \+CME ERROR: 514 \(not allowed\)'
case_ 2 'AT%KEYGEN=cme:4242' 'AT%KEYGEN: \+CME ERROR: 4242 \(see Nordic'
case_ 2 'AT%KEYGEN=hangup' 'went away during AT%KEYGEN'
case_ 1 'AT%KEYGEN=badsum' 'port .*: %KEYGEN.*(digest|SHA-256)'
case_ 1 'AT%KEYGEN=cn:someone-else' "CN 'someone-else' is not the device's UUID"
case_ 1 'AT%KEYGEN=cn:11112222-3333-4444-8555-666677778888' '11112222-3333-4444-8555-666677778888'
case_ 1 'AT%KEYGEN=cn:359999999999999' "CN '359999999999999' is not the device's IMEI" --id-from imei
case_ 2 'AT%CMNG=1=flood' 'more than 32 lines without a result code'
case_ 2 'AT%CMNG=0=cme:515' 'AT%CMNG: \+CME ERROR: 515 \(memory full\)'
case_ 2 'AT%CMNG=0=hangup' 'went away during AT%CMNG'
case_ 2 'AT%CMNG=0=silent' 'no reply to AT%CMNG within 4\.0 s'
case_ 2 'AT%CMNG=0=drop' 'read-back: the modem does not list credential 16,1'
case_ 2 'AT%CMNG=1=wronghash*' 'read-back: the modem lists credential 16,1 with SHA-256 [0-9A-F]{64}, not [0-9A-F]{64}'
case_ 2 'AT%CMNG=0=cme:515' 'AT%CMNG: \+CME ERROR: 515' --ca-file "$T/root.pem"
case_ 2 '--hangup-after-bytes 600' 'went away during AT%CMNG'
case_ 2 '--hangup-after-bytes 60' 'went away during AT'

# AT+CFUN=1 failing at the end: provisioned (checked), with a warning
sim_new; sim_start --fault 'AT+CFUN=1=error'
ID=$(dev_id uuid)
prov > "$T/w.out" 2>&1; rc=$?
check "AT+CFUN=1 fails at the end: still exit 0 (the credential is checked)" test "$rc" = 0
check "AT+CFUN=1 fails: a warning says so" grep -q "warning: port $PORT: AT+CFUN: ERROR" "$T/w.out"
check "AT+CFUN=1 fails: the row is live" test "$(ledger_rows | grep -c "^issued $ID ")" = 1

# a --reissue that fails after signing: the old certificate is gone from
# the modem's key anyway (AT%KEYGEN replaced it); no live row is left
sim_new; sim_start
check "reissue fault: first provisioning" prov
ID=$(dev_id uuid)
sim_start --fault 'AT%CMNG=0=cme:515'
prov --reissue > "$T/r.out" 2>&1; rc=$?
check "reissue fault: exit 2" test "$rc" = 2
nothing_half "reissue fault" "$ID"
rerun "reissue fault" "$ID"
done_testing

#!/bin/sh
# factorysign provision (issue 20): every byte from the device is
# untrusted. A corpus generated here (escape sequences, C1 and bidi
# characters, NULs, invalid UTF-8, overlong lines, too many lines, CRLF
# injections, malformed result codes and identities, broken %KEYGEN and
# %CMNG replies) is sent by the simulated nRF91 in place of the real
# replies, each to one station run: every run is refused (exit 1 or 2)
# with one line that names the port, nothing it prints carries a raw
# control, C1 or bidi character, and nothing is recorded (no live row, no
# journal, no files). Then the same device is provisioned cleanly.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null
mkdir "$T/h"

# the corpus, in the order of the dialogue (a run that gets past a
# command does not consume the faults meant for a later one)
python3 - "$T/h" <<'PY' > "$T/h/list" || bail "corpus"
import sys, os
d = sys.argv[1]
OK = b"\r\nOK\r\n"
ESC = b"\x1b]0;owned\x07\x1b[2J\x1b[31m"
BIDI = "\u202e".encode()
C1 = b"\xc2\x9b31m"
cases = []
def add(cmd, body):
    cases.append((cmd, body))
for b in [ESC + b"mfw_nrf9160", b"mfw" + BIDI + b"gnp.exe", b"mfw" + C1,
          b"\xff\xfe\xfd", b"mfw\x7f", b"mfw_nrf9160 1.3.5", b"A" * 9000,
          b"line\r\n" * 40 + b"x", b"a\r\nb", b"", b"mfw\x00x"]:
    add("AT+CGMR", b + OK)
add("AT+CGMR", b"+CME ERROR: " + ESC + b"5\r\n")
add("AT+CGMR", b"+CME ERROR: 99999999999999999999\r\n")
add("AT+CGMR", b"+CME ERROR: -1\r\n")
add("AT+CGMR", b"+CME ERROR:\r\n")
for b in [b'+CGSN: "35000000000000"', b'+CGSN: "3500000000000001"',
          b'+CGSN: "35000000000000a"', b'+CGSN: 350000000000000',
          b'+CGSN: "350000000000000"\r\n+CGSN: "350000000000001"',
          b'+CGSN: "35' + ESC + b'"', b'+CGSN: "35\r\nOK\r\n"',
          b'+CGSN: "' + BIDI + b'35000000000000"', b"+CGSN: ",
          b"350000000000000"]:
    add("AT+CGSN=1", b + OK)
for b in [b"%DEVICEUUID: " + b"z" * 32, b"%DEVICEUUID: " + b"0" * 31,
          b"%DEVICEUUID: 0000000-00000-0000-0000-000000000000",
          b"%DEVICEUUID: " + ESC, b"%DEVICEUUID: ",
          b"%DEVICEUUID: " + b"0" * 32 + b"\r\n%DEVICEUUID: " + b"1" * 32,
          b"%DEVICEUUID: " + b"0" * 32 + BIDI]:
    add("AT%DEVICEUUID", b + OK)
for b in [b'%KEYGEN: "AAAA"', b'%KEYGEN: "' + b"A" * 9000 + b'"',
          b'%KEYGEN: "!!!.!!!"', b'%KEYGEN: "MIIB.0oRD"',
          b'%KEYGEN: "' + ESC + b'.' + BIDI + b'"', b"%KEYGEN: ",
          b'%KEYGEN: "a.b"\r\n%KEYGEN: "c.d"', b'%KEYGEN: "\xff.\xfe"',
          b"%XKEYGEN: nothing"]:
    add("AT%KEYGEN", b + OK)
H = b"A" * 64
for b in [b'%CMNG: 16,1,"XYZ"', b'%CMNG: 16,1,"' + b"A" * 63 + b'"',
          b'%CMNG: 16,1,"' + H + b'" extra', b'%CMNG: 16,1,"' + H,
          b'%CMNG: 16,x,"' + H + b'"', b'%CMNG: 16,1,"' + ESC + b'"',
          b"%CMNG: " + BIDI]:
    add("AT%CMNG=1", b + OK)
for i, (cmd, body) in enumerate(cases):
    p = os.path.join(d, "%02d.bin" % i)
    open(p, "wb").write(body)
    print("%s=file:%s" % (cmd, p))
PY
N=$(wc -l < "$T/h/list")
set --
while IFS= read -r f; do set -- "$@" --fault "$f"; done < "$T/h/list"
sim_start "$@"
ID=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]
print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' "$T/modem.json")

i=0; refused=0; clean=0; named=0; kept=0
while [ "$i" -lt "$N" ]; do
	prov > "$T/h.out" 2>&1; rc=$?
	[ "$rc" = 1 ] || [ "$rc" = 2 ] && refused=$((refused + 1))
	if python3 -c 'import sys
b = open(sys.argv[1], "rb").read()
bad = [x for x in (b"\x1b", b"\x07", b"\x00", b"\x7f", b"\x9b", b"\xe2\x80\xae", b"\xff", b"\xfe") if x in b]
sys.exit(1 if bad or len(b) > 3000 else 0)' "$T/h.out"; then
		clean=$((clean + 1))
	else
		diag "case $i: raw bytes or too much output:"; od -c "$T/h.out" | head -5 | sed 's/^/#   /'
	fi
	grep -q "port $PORT" "$T/h.out" && named=$((named + 1))
	if [ -z "$(ls -A "$T/out")" ] &&
	    [ "$(ledger_rows | grep -c '^issued ')" = 0 ] &&
	    { [ ! -d "$T/D/provision" ] || [ -z "$(ls -A "$T/D/provision")" ]; }; then
		kept=$((kept + 1))
	else
		diag "case $i: something recorded"; ls "$T/out" | sed 's/^/#   /'
	fi
	[ "$rc" = 1 ] || [ "$rc" = 2 ] || { diag "case $i: exit $rc"; sed 's/^/#   /' "$T/h.out"; }
	i=$((i + 1))
done
check "hostile corpus: $N replies, every run refused (exit 1 or 2)" test "$refused" = "$N"
check "hostile corpus: nothing raw reaches the terminal" test "$clean" = "$N"
check "hostile corpus: every message names the port" test "$named" = "$N"
check "hostile corpus: nothing recorded (row, journal, files)" test "$kept" = "$N"
check "the same device, clean replies: provisioned" prov
check "one live row, for the device" test "$(ledger_rows | grep -c "^issued $ID ")" = 1
check "its chain verifies" openssl verify -CAfile "$T/root.pem" \
	-untrusted "$T/inter.pem" "$T/out/$ID.cert.pem"
done_testing

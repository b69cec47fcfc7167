#!/bin/sh
# Issue 14 item 13: sizes. An AT%CMNG credential over the modem's 4 kB
# (4096-byte) limit, or a command over what the nRF Connect SDK at_host
# passes on whole (CONFIG_AT_HOST_CMD_MAX_LEN = 4096: 4093 characters from
# "AT" to the closing quote with CRLF line ends), is a warning naming the
# limit, and with --strict-size a refusal that writes and records nothing
# (sign, batch, issue, keygen). A C output text longer than the 4,095
# characters C99 promises for one string literal is split into parts and
# still compiles with -std=c99 -pedantic -Woverlength-strings -Werror and
# prints back identical. Small outputs: no warning, even with --strict-size.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
fs_setup
umask 022

# an RSA-4096 root and a factory with an RSA-4096 intermediate under it,
# with the long names real organisations give them
ORG="/O=Example Connected Devices Manufacturing Incorporated/OU=Device Identity and Provisioning/L=Eindhoven/ST=Noord-Brabant/C=NL"
openssl req -x509 -newkey rsa:4096 -nodes -keyout root4.key -out root4.pem -days 3650 \
	-subj "/CN=Example Connected Devices RSA-4096 Root CA 2026$ORG" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	>/dev/null 2>&1 || bail "root4"
"$FS" init --dir D4 --subject "/CN=Example Connected Devices RSA-4096 Factory Intermediate$ORG" \
	--algorithm rsa-4096 --pass-file "$PASS" >/dev/null || bail "init D4"
openssl x509 -req -in D4/intermediate.csr -CA root4.pem -CAkey root4.key -CAcreateserial -days 1000 \
	-extfile ca.cnf -extensions inter -out inter4.pem >/dev/null 2>&1 || bail "sign D4"
"$FS" install --dir D4 --cert inter4.pem --root root4.pem >/dev/null || bail "install D4"
fs_fast_key D4
# rsacsr NAME CN: an RSA-4096 device CSR (one key for all: the size is the
# point, and making RSA-4096 keys is slow)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out keys/rsa.key 2>/dev/null || bail "rsa key"
rsacsr() {
	openssl req -new -key keys/rsa.key -subj "/CN=$2" -out "csr/$1.csr" >/dev/null 2>&1 ||
		bail "openssl req $1"
}
CN64=$(python3 -c "print('sensor-' + 'x' * 52 + '-0001')")
[ ${#CN64} -eq 64 ] || bail "CN64 is ${#CN64} characters"
rsacsr big "$CN64"
CN64B=$(python3 -c "print('sensor-' + 'y' * 52 + '-0002')")
rsacsr big2 "$CN64B"
mkcsr small

# sizes OUT ID: "credential command" lengths of the type-1 write in OUT/ID.at
sizes() {
	python3 - "$1/$2.at" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
m = re.search(rb'(AT%CMNG=0,\d+,1,"([^"]*)")\r\n', d)
print(len(m.group(2)), len(m.group(1)))
PY
}

# --- a warning, the files written ---
"$FS" sign --dir D4 --csr csr/big.csr --format pem,at,c --sec-tag 3 --out-dir w --pass-file "$PASS" > w.out 2> w.err
check "an RSA-4096 chain with a 64-character CN: issued (exit 0)" test $? -eq 0
set -- $(sizes w "$CN64")
CRED=$1 CMD=$2
check "  ... the command is over 4093 bytes ($CMD), the credential over 4096 ($CRED)" \
	test "$CMD" -gt 4093 -a "$CRED" -gt 4096
check "  ... warns about the modem's credential limit, with the size" \
	grep -q "warning: the client certificate chain is $CRED bytes, more than the modem's 4096-byte (4 kB) limit" w.err
check "  ... and about at_host's buffer, with the size" \
	grep -q "the AT%CMNG command writing the client certificate chain is $CMD bytes, more than the 4093 .*CONFIG_AT_HOST_CMD_MAX_LEN=4096" w.err
check "  ... says how to refuse instead" grep -q -- "--strict-size refuses this" w.err
check "  ... the script and its sums are written" test -s "w/$CN64.at" -a -s "w/$CN64.at.sha256"

# --- the C output: split literals that compile under strict C99 ---
cat > show.c <<'C'
#include <stdio.h>
#include DEVICE_C
int main(void) { fputs(CERTIFICATE, stdout); return COMMON_NAME[0] == 0; }
C
check "  ... the chain is longer than 4095 characters" test "$(wc -c < "w/$CN64.chain.pem")" -gt 4095
check "  ... the C file compiles: -std=c99 -pedantic -Woverlength-strings -Werror" \
	${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Woverlength-strings -Werror -DDEVICE_C="\"$T/w/$CN64.c\"" -o show show.c
check "  ... CERTIFICATE prints back the chain identical" sh -c "./show | cmp -s - 'w/$CN64.chain.pem'"
check "  ... every literal within 4095 characters" python3 - "w/$CN64.c" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
# adjacent literals (only white space between) form one
for group in re.findall(r'(?:"(?:[^"\\]|\\.)*"\s*)+', src):
    n = sum(len(bytes(s, 'ascii').decode('unicode_escape')) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', group))
    assert n <= 4095, n
PY

# --- --strict-size: refused, nothing written, nothing recorded ---
mkdir st
check_fails "sign --strict-size: refused, naming the limit" \
	"$CN64B: the client certificate chain is [0-9]+ bytes, more than the modem's 4096-byte.*\\(--strict-size\\)" \
	"$FS" sign --dir D4 --csr csr/big2.csr --format at --sec-tag 3 --strict-size --out-dir st --pass-file "$PASS"
check "  ... nothing written" nothing_in st
check "  ... nothing recorded: the same CSR is issued afterwards without it" \
	"$FS" sign --dir D4 --csr csr/big2.csr --format at --sec-tag 3 --out-dir st --pass-file "$PASS"
check "sign --strict-size of a P-256 chain: issued" \
	"$FS" sign --dir D --csr csr/small.csr --format at,c --sec-tag 3 --strict-size --out-dir ok1 --pass-file "$PASS"
cp "$T/.out" "$T/said"
check "  ... without a warning" sh -c "! grep -q warning '$T/said'"

# batch: the big one refused, the small one issued
mkcsr small2
rsacsr big3 "$(python3 -c "print('sensor-' + 'z' * 52 + '-0003')")"
mkdir bin && cp csr/big3.csr csr/small2.csr bin/
"$FS" batch --dir D4 --csr-dir bin --format at --sec-tag 5 --strict-size --out-dir bo --pass-file "$PASS" > b.out 2> b.err
check "batch --strict-size: exit 1 for the refused device" test $? -eq 1
check "  ... the big one refused" grep -q "skipped: .*sensor-z*-0003: the client certificate chain is .*--strict-size" b.err
check "  ... nothing of it written" sh -c "! ls bo | grep -q sensor-z"
check "  ... the small one issued" test -s bo/small2.at -a -s bo/small2.at.sha256
check "batch without --strict-size: the big one issued with a warning" sh -c \
	"'$FS' batch --dir D4 --csr-dir bin --format at --sec-tag 5 --out-dir bo --pass-file '$PASS' 2>&1 | grep -q 'warning: .*sensor-z*-0003\\|sensor-z*-0003: warning'"

# batch on a terminal: each warning on a line of its own, not after the
# progress line
mkdir bin2
for n in 4 5 6; do
	rsacsr big$n "$(python3 -c "print('sensor-' + 'w' * 52 + '-000$n')")"
	cp csr/big$n.csr bin2/
done
python3 "$KC_TOP_SRCDIR/tests/first-use/pty-run.py" -- "$FS" batch --dir D4 --csr-dir bin2 --format at --sec-tag 5 \
	--out-dir bo2 --pass-file "$PASS" > b2.tty 2>&1
check "batch on a terminal: three warnings" test "$(grep -c 'warning: the client certificate chain' b2.tty)" -eq 3
check "  ... each at the start of a line (the progress line cleared first)" python3 - b2.tty <<'PY'
import re, sys
t = open(sys.argv[1], 'rb').read()
for m in re.finditer(rb'factorysign: [^:]*: warning:', t):
    before = t[:m.start()]
    assert before == b'' or before.endswith(b'\n') or before.endswith(b'\x1b[K'), before[-60:]
PY

# issue: keys made here (P-256) under the RSA-4096 intermediate fit
check "issue --strict-size with a P-256 key under RSA-4096: fits" \
	"$FS" issue --dir D4 --count 1 --prefix fit- --format at --sec-tag 9 --plain-keys --strict-size --out-dir io --pass-file "$PASS"
cp "$T/.out" "$T/said"
check "  ... no warning" sh -c "! grep -q warning '$T/said'"

# keygen: a CA bundle of the RSA-4096 root and intermediate is over the
# modem's limit
cat root4.pem inter4.pem > bundle.pem
U=aaaa0000-1111-4222-8333-444455556666
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=$U" -outform DER -out k.der 2>/dev/null || bail "csr k"
"$RESP" k.der 4 "$(echo $U | tr -d -)" > k.txt || bail "nrf-resp"
mkdir ko
check_fails "keygen --strict-size with a CA bundle over 4 kB: refused" \
	"the CA certificate is [0-9]+ bytes, more than the modem's 4096-byte.*\\(--strict-size\\)" \
	"$FS" keygen --dir D --input k.txt --ca-file bundle.pem --strict-size --out-dir ko --pass-file "$PASS"
check "  ... nothing written" nothing_in ko
"$FS" keygen --dir D --input k.txt --ca-file bundle.pem --out-dir ko --pass-file "$PASS" > k.out 2> k.err
check "keygen without it: issued (nothing was recorded before)" test $? -eq 0 -a -s "ko/$U.at"
check "  ... with the warning" grep -q "$U: warning: the CA certificate is [0-9]* bytes, more than the modem's 4096-byte" k.err
U3=bbbb0000-1111-4222-8333-444455556666
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=$U3" -outform DER -out k3.der 2>/dev/null || bail "csr k3"
"$RESP" k3.der 4 "$(echo $U3 | tr -d -)" > k3.txt || bail "nrf-resp"
check "keygen --strict-size with one RSA-4096 CA: fits" \
	"$FS" keygen --dir D --input k3.txt --ca-file root4.pem --strict-size --out-dir ko2 --pass-file "$PASS"
cp "$T/.out" "$T/said"
check "  ... no warning" sh -c "! grep -q warning '$T/said'"
done_testing

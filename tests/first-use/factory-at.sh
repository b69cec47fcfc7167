#!/bin/sh
# Issue 14 item 12: one AT%CMNG writer. keygen and sign|batch|issue
# --format at write the same form: AT+CFUN=4 first (writes need the modem
# offline), each credential's PEM inside the quotes with CRLF line ends,
# the last CRLF before the closing quote (what the modem stores and hashes),
# AT+CFUN=1 at the end, and ID.at.sha256 with one "<sec_tag>,<type>,<SHA-256>"
# line per credential: the upper-case SHA-256 AT%CMNG=1 lists. The form is
# checked by one parser (tests/first-use/at-form.py) for every command and
# against the certificate and key files.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
FORM=$KC_TOP_SRCDIR/tests/first-use/at-form.py
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
fs_setup
umask 022
mkcsr dev-s1
mkcsr dev-b1; mkcsr dev-b2
mkdir in && cp csr/dev-b1.csr csr/dev-b2.csr in/
printf 'dev-i1\ndev-i2\n' > ids

# form OUT ID TAG TYPES [CA]: the script and its sums in the one form;
# the chain (type 1) is OUT/ID.chain.pem, the key (type 2) OUT/ID.key.pem,
# the CA (type 0) the file CA
form() { python3 "$FORM" "$@"; }

# --- sign ---
check "sign --format at --sec-tag 42" "$FS" sign --dir D --csr csr/dev-s1.csr --format pem,at --sec-tag 42 \
	--out-dir s --pass-file "$PASS"
check "  ... the keygen form, with ID.at.sha256" form s dev-s1 42 1
check "  ... ID.at.sha256 is 0644" test "$(stat -c %a s/dev-s1.at.sha256)" = 644
# --- batch ---
check "batch --format at --sec-tag 7" "$FS" batch --dir D --csr-dir in --format at --sec-tag 7 --out-dir b \
	--pass-file "$PASS"
check "  ... dev-b1: the keygen form" form b dev-b1 7 1
check "  ... dev-b2: the keygen form" form b dev-b2 7 1
# --- issue: the key too ---
check "issue --format at --plain-keys" "$FS" issue --dir D --ids ids --format pem,at --sec-tag 2147483647 \
	--plain-keys --out-dir i --pass-file "$PASS"
check "  ... dev-i1: chain and key in the keygen form" form i dev-i1 2147483647 1,2
check "  ... dev-i2: chain and key in the keygen form" form i dev-i2 2147483647 1,2
check "  ... the script holds a key: 0600" test "$(stat -c %a i/dev-i1.at)" = 600
check "  ... its sums hold none: 0644" test "$(stat -c %a i/dev-i1.at.sha256)" = 644
check "  ... no key text in the sums" sh -c "! grep -q PRIVATE i/dev-i1.at.sha256"

# --- keygen: the same form, with and without a CA ---
U1=11112222-3333-4444-8555-666677778888
U2=aaaa0000-1111-4222-8333-444455556666
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=$U1" -outform DER -out k1.der 2>/dev/null || bail "csr k1"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=$U2" -outform DER -out k2.der 2>/dev/null || bail "csr k2"
"$RESP" k1.der 17 "$(echo $U1 | tr -d -)" > k1.txt || bail "nrf-resp"
"$RESP" k2.der 16 "$(echo $U2 | tr -d -)" > k2.txt || bail "nrf-resp"
check "keygen --ca-file" "$FS" keygen --dir D --input k1.txt --ca-file root.pem --out-dir k --pass-file "$PASS"
check "  ... CA and chain in the keygen form" form k "$U1" 17 0,1 root.pem
check "keygen without a CA" sh -c "'$FS' keygen --dir D --input k2.txt --out-dir k --pass-file '$PASS' > k.said 2>&1"
check "  ... the chain alone" form k "$U2" 16 1
check "  ... prints what AT%CMNG=1 will list, as in ID.at.sha256" \
	grep -q "sec_tag 16 .* lists 16,1 with SHA-256 $(cut -d, -f3 "k/$U2.at.sha256")\$" k.said
"$FS" keygen --dir D --input k2.txt --out-dir k --resume --pass-file "$PASS" > k.resume 2>&1
check "keygen --resume writes the script again, in the same form" sh -c "grep -q 'lists 16,1 with SHA-256 ' k.resume && python3 '$FORM' k '$U2' 16 1"

# --- every writer: one form (byte for byte the same shape) ---
check "sign and keygen scripts differ only in sec_tag and PEM text" python3 - s/dev-s1.at "k/$U2.at" <<'PY'
import re, sys
shape = []
for p in sys.argv[1:]:
    d = open(p, 'rb').read()
    d = re.sub(rb'AT%CMNG=0,\d+,', b'AT%CMNG=0,T,', d)
    d = re.sub(rb'"[^"]*"', lambda m: b'"' + re.sub(rb'[A-Za-z0-9+/=]+\r\n', b'B\r\n', m.group(0)[1:-1]) + b'"', d)
    d = re.sub(rb'(B\r\n)+', b'B\r\n', d)
    shape.append(d)
assert shape[0] == shape[1], shape
PY

# --- negative: the form checker catches each fault of the old writer ---
cp s/dev-s1.at old.at
python3 - old.at <<'PY'
import sys
p = sys.argv[1]
d = open(p, 'rb').read()
# the old --format at: no CRLF before the closing quote, a list at the end
d = d.replace(b'-----\r\n"', b'-----"').replace(b'AT+CFUN=1\r\n', b'AT%CMNG=1,42\r\n')
open(p, 'wb').write(d)
PY
mkdir old && cp old.at old/dev-s1.at && cp s/dev-s1.chain.pem s/dev-s1.at.sha256 old/
check_fails "the checker refuses the old form (quote after END, list at the end)" "closing quote|AT\\+CFUN=1" \
	form old dev-s1 42 1
rm old/dev-s1.at.sha256; cp s/dev-s1.at old/
check_fails "the checker refuses a script without its .at.sha256" "at.sha256" form old dev-s1 42 1
cp s/dev-s1.at.sha256 old/ && python3 -c "
import sys; p = sys.argv[1]; t = open(p).read()
open(p, 'w').write(t[:5] + ('1' if t[5] == '0' else '0') + t[6:])" old/dev-s1.at.sha256
check_fails "the checker refuses a wrong SHA-256" "SHA-256" form old dev-s1 42 1
# (the positive pair: the same checker passed every real script above)
done_testing

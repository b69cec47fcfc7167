#!/bin/sh
# Issue 14 item 17: output file names safe on FAT, exFAT and Windows. A
# device ID holding ':' (the one character of the ID rules that those file
# systems refuse) or being a reserved device name (CON, NUL, COM1, LPT9,
# aux.x, any case) gets its files under the mapped name of kc/fnames.h
# (':' -> %3A, first letter of a reserved name as %XX), the ID itself
# unchanged in the certificate, the ledger and the CSV. Every name in the
# output directories is checked against the FAT/Windows rules, decoded back
# to its ID (round trip) and unique case-insensitively; sign, batch, issue,
# keygen, ledger verify and reruns all use the same names. IDs with other
# characters stay refused by the ID rules, nothing written.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
fs_setup
# the output of the last check, kept (check writes the next one there)
# said DESC RE: the output of the last command run by check (not by said)
said() {
	[ "${_said_at:-}" = "$_tap_n" ] || cp "$T/.out" "$T/said"
	check "$1" grep -q -- "$2" "$T/said"; _said_at=$_tap_n
}
# the mapping, reimplemented independently (tests/faults/ledger-check.py)
cat > "$T/names.py" <<PY
import importlib.machinery, os, re, sys
lc = importlib.machinery.SourceFileLoader("lc",
    "$KC_TOP_SRCDIR/tests/faults/ledger-check.py").load_module()
stem = lc.stem
RESERVED = lc.RESERVED
SUFFIXES = (".cert.pem", ".chain.pem", ".full-chain.pem", ".key.pem",
            ".pfx", ".c", ".at.sha256", ".at")

def decode(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "%":
            h = s[i + 1:i + 3]
            assert re.fullmatch(r"[0-9A-F]{2}", h), s
            out.append(int(h, 16))
            i += 3
        else:
            out.append(ord(s[i]))
            i += 1
    return out.decode()

def split(name):
    for suf in SUFFIXES:
        if name.endswith(suf):
            return name[:-len(suf)], suf
    raise SystemExit("unexpected file %s" % name)

def fat_ok(name):
    """what FAT/exFAT/Windows refuse: <>:"/\\\\|?* and control characters,
    a trailing dot or space, a reserved device name before the first dot"""
    if any(c in '<>:"/\\\\|?*' or ord(c) < 32 or ord(c) == 127 for c in name):
        return False
    if name.endswith(".") or name.endswith(" "):
        return False
    return name.split(".", 1)[0].upper() not in RESERVED
PY
python3 - > "$T/ids" <<'PY'
import random
ids = ["Dev.Mixed_Case:b", "a:b", "x::y-", "urn:dev:0001", "1:2:3", "CON",
       "con2", "Nul", "aux.b1", "PRN-", "com1", "COM9", "Lpt1", "lpt9.x",
       "CoN.a:b", "COM10", "CONSOLE", "NULL", "a.CON", "plain-id", "k:-"]
alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:"
r = random.Random(17)
seen = {i.lower() for i in ids}
while len(ids) < 40:
    n = r.randint(1, 64)
    s = r.choice("aZ09") + "".join(r.choice(alpha) for _ in range(n - 1))
    s = s[:64]
    if not (s[-1].isalnum() or s[-1] == "-"):
        s = s[:-1] + "q" if len(s) > 1 else "q"
    if ":" not in s:
        s = s[:len(s) // 2] + ":" + s[len(s) // 2:]
        s = s[:64]
        if not (s[-1].isalnum() or s[-1] == "-"):
            s = s[:-1] + "z"
    if s.lower() not in seen:
        seen.add(s.lower())
        ids.append(s)
for i in ids:
    print(i)
PY
check "the ID corpus was generated (40 IDs)" test "$(wc -l < "$T/ids")" = 40
mkdir in
n=0
while read -r id; do
	n=$((n + 1))
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout /dev/null -subj "/CN=$id" -out "in/$n.csr" >/dev/null 2>&1 ||
		bail "openssl req $id"
done < "$T/ids"

check "batch of the 40 IDs" "$FS" batch --dir D --csr-dir in --out-dir out --pass-file "$PASS"
said "  ... 40 issued" "batch in: 40 issued, 0 already issued, 0 repaired, 0 failed"

# every name in OUT: allowed on FAT/Windows, decodes to an ID of the corpus,
# unique without case; every ID has its three files under stem(ID)
check "every file name is valid on FAT/exFAT/Windows and decodes to its ID" python3 -c "
import os, sys
sys.path.insert(0, '$T'); from names import *
ids = open('$T/ids').read().split('\n')[:-1]
names = os.listdir('out')
bad = [n for n in names if not fat_ok(n)]
assert not bad, bad
lower = [n.lower() for n in names]
assert len(set(lower)) == len(lower), 'two names differ only in case'
got = {}
for n in names:
    s, suf = split(n)
    i = decode(s)
    assert stem(i) == s, (n, stem(i))
    got.setdefault(i, set()).add(suf)
assert set(got) == set(ids), set(ids) ^ set(got)
for i in ids:
    assert got[i] == {'.cert.pem', '.chain.pem', '.full-chain.pem'}, (i, got[i])
print(len(names), 'names')"
check "  ... ':' is %3A and a reserved name's first letter %XX" sh -c \
	"test -f 'out/Dev.Mixed_Case%3Ab.chain.pem' && test -f out/%43ON.cert.pem &&
	 test -f out/%4Eul.cert.pem && test -f out/%61ux.b1.full-chain.pem &&
	 test -f out/%43oN.a%3Ab.cert.pem && test -f out/COM10.cert.pem &&
	 test -f out/a.CON.cert.pem && test -f out/plain-id.cert.pem"
check "  ... no raw name was written" sh -c "! ls out | grep -q ':'"
check "the certificates keep the ID as CN" python3 -c "
import subprocess, sys
sys.path.insert(0, '$T'); from names import stem
for i in open('$T/ids').read().split('\n')[:-1]:
    s = subprocess.run(['openssl', 'x509', '-in', 'out/' + stem(i) + '.cert.pem',
        '-noout', '-subject', '-nameopt', 'RFC2253'], capture_output=True,
        text=True, check=True).stdout.strip()
    assert s == 'subject=CN=' + i, (i, s)"
check "the ledger keeps the ID, and the mapped path" python3 -c "
import sqlite3, os, sys
sys.path.insert(0, '$T'); from names import stem
db = sqlite3.connect('D/ledger.sqlite')
rows = dict(db.execute('SELECT device_id, cert_path FROM certs'))
ids = open('$T/ids').read().split('\n')[:-1]
assert set(rows) == set(ids), set(rows) ^ set(ids)
for i in ids:
    assert os.path.basename(rows[i]) == stem(i) + '.cert.pem', rows[i]"
"$FS" ledger export --dir D --format csv > "$T/l.csv"
check "the CSV lists the IDs unchanged" sh -c "grep -q '^\"Dev.Mixed_Case:b\",' '$T/l.csv' && grep -q '^\"CON\",' '$T/l.csv'"
check "ledger verify finds every mapped file" "$FS" ledger verify --dir D
said "  ... 40 devices, 120 files" "40 live device certificates, 120 output files checked, 0 problems"

# verify and the rerun use the same names
rm 'out/Dev.Mixed_Case%3Ab.chain.pem' out/%4Eul.full-chain.pem
check_fails "ledger verify names the missing mapped files" \
	"Dev.Mixed_Case:b: \"[^\"]*/out/Dev.Mixed_Case%3Ab.chain.pem\" is missing" \
	"$FS" ledger verify --dir D
said "  ... and the reserved one" 'Nul: "[^"]*/out/%4Eul.full-chain.pem" is missing'
check "a rerun rewrites them under the mapped names" "$FS" batch --dir D --csr-dir in --out-dir out --pass-file "$PASS"
said "  ... 38 already issued, 2 repaired" "0 issued, 38 already issued, 2 repaired, 0 failed"
check "  ... the files are back, no raw name" sh -c \
	"test -f 'out/Dev.Mixed_Case%3Ab.chain.pem' && test -f out/%4Eul.full-chain.pem && ! ls out | grep -q ':'"
check "  ... ledger verify: 0 problems" "$FS" ledger verify --dir D

# sign, issue, keygen
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=sign:one" -out "$T/csr/sign1.csr" >/dev/null 2>&1
check "sign an ID with ':'" "$FS" sign --dir D --csr csr/sign1.csr --out-dir out2 --pass-file "$PASS"
said "  ... the printed path is the mapped one" "^sign:one: serial .* -> out2/sign%3Aone.chain.pem$"
check "  ... and it exists" test -f out2/sign%3Aone.chain.pem
printf 'iss:1\nAUX\nLpt3.k:z\n' > ids2
check "issue IDs with ':' and reserved names" "$FS" issue --dir D --ids ids2 --out-dir out3 --plain-keys --format pem,c --pass-file "$PASS"
check "  ... key and C files under the mapped names" sh -c \
	"test -f out3/iss%3A1.key.pem && test -f out3/%41UX.key.pem && test -f out3/%4Cpt3.k%3Az.c &&
	 [ \$(stat -c %a out3/iss%3A1.key.pem) = 600 ] && ! ls out3 | grep -q ':'"
check "  ... the C file names the ID itself" grep -q 'COMMON_NAME = "iss:1"' out3/iss%3A1.c
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=nrf:dev:1" -outform DER -out "$T/nrf1.der" >/dev/null 2>&1
"$RESP" "$T/nrf1.der" 17 0123456789abcdef0123456789abcdef wrap > "$T/nrf1.txt" || bail nrf-resp
check "keygen an ID with ':'" "$FS" keygen --dir D --input "$T/nrf1.txt" --out-dir out4 --pass-file "$PASS"
said "  ... the printed path is the mapped one" "nrf:dev:1: sec_tag 17 -> out4/nrf%3Adev%3A1.at;"
check "  ... its script and checksums under the mapped name" sh -c \
	"test -f out4/nrf%3Adev%3A1.at && test -f out4/nrf%3Adev%3A1.at.sha256 && ! ls out4 | grep -q ':'"
check "every output directory passes the FAT rules" python3 -c "
import os, sys
sys.path.insert(0, '$T'); from names import *
for d in ('out', 'out2', 'out3', 'out4'):
    for n in os.listdir(d):
        assert fat_ok(n), n
        s, _ = split(n)
        assert stem(decode(s)) == s, n"
check "ledger verify of all of them" "$FS" ledger verify --dir D

# the ID rules still refuse the other characters the mapping would encode:
# nothing written
mkdir bad
for id in 'a/b' 'a b' 'a%b' 'a<b' 'a"b' 'a|b' 'a?b' 'a*b' 'a\b' 'a:' 'a.' ':a'; do
	subj=$(printf '%s' "$id" | sed 's/[\\/]/\\&/g')
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=$subj" -out "$T/bad.csr" >/dev/null 2>&1 || { not_ok "openssl req $id"; continue; }
	check_fails "ID '$id' refused by the ID rules" "not a valid DPS registration ID" \
		"$FS" sign --dir D --csr "$T/bad.csr" --out-dir bad --pass-file "$PASS"
done
check "  ... nothing written" nothing_in bad
done_testing

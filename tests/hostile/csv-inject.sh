#!/bin/sh
# Issue 12, item 12: device ID "-2-3" was issued and written unquoted into
# the enrollment CSV, where a spreadsheet runs it as a formula. A device ID
# may not start with anything but a letter or a digit; every entry point
# refuses it with the reason (issue --prefix, issue --ids, sign and batch
# through the CSR's CN, keygen through the modem CSR's CN), and issues
# nothing for it; every CSV field the tool writes is quoted per RFC 4180
# (read back with python's csv module, and the raw text checked); a field a
# spreadsheet would run is refused in the nRF Cloud CSV options too.
# Positive controls: good IDs in the same runs are issued and exported.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
REASON="first character must be a letter or a digit"

# the corpus: leading characters a spreadsheet (or getopt, or ls) takes
# for something else, each in several shapes
python3 - > "$T/bad-ids" <<'EOF'
lead = ['-', '=', '+', '@', '.', '_', ':']
body = ['2-3', '1+1', 'cmd', 'SUM-1', 'x', 'HYPERLINK', 'a.b_c:d', '0']
seen = set()
for c in lead:
    for b in body:
        for s in (c + b, c + c + b, c + b + '-'):
            if s not in seen:
                seen.add(s); print(s)
print('-2-3')
EOF
n=$(wc -l < "$T/bad-ids")
[ "$n" -gt 100 ] && ok "corpus: $n bad device IDs" || not_ok "corpus too small ($n)"

# --- issue --ids: every bad line refused with the reason, the good issued
{ echo good-0001; cat "$T/bad-ids"; echo good-0002; } > "$T/ids"
mkdir "$T/o1"
"$FS" issue --dir D --ids "$T/ids" --plain-keys --pass-file "$PASS" \
	--out-dir "$T/o1" > "$T/issue.out" 2>&1
st=$?
[ $st -eq 1 ] && ok "issue --ids: exit 1 (some refused)" || not_ok "issue --ids: exit $st"
refused=$(grep -c "$REASON" "$T/issue.out")
[ "$refused" -eq "$n" ] && ok "issue --ids: each bad ID refused with the reason ($refused)" ||
	{ not_ok "issue --ids: $refused of $n refused with the reason"; sed 's/^/#   /' "$T/issue.out" | head -20; }
[ "$(ls "$T/o1" | sed 's/\..*//' | sort -u | tr '\n' ' ')" = "good-0001 good-0002 " ] &&
	ok "issue --ids: only the two good IDs have files" ||
	not_ok "issue --ids: files: $(ls "$T/o1" | head)"

# --- issue --prefix: refused before anything, exit 2
for p in - -2- = + @ . _ : =HYPERLINK- @cmd +1 "$(printf '\tx')" "$(printf '\rx')"; do
	mkdir -p "$T/o2"
	"$FS" issue --dir D --count 3 --prefix "$p" --plain-keys \
		--pass-file "$PASS" --out-dir "$T/o2" > "$T/p.out" 2>&1
	st=$?
	if [ $st -eq 2 ] && grep -q "not a valid DPS registration ID" "$T/p.out" &&
	    nothing_in "$T/o2"; then
		ok "issue --prefix '$p': refused (exit 2), nothing written"
	else
		not_ok "issue --prefix '$p': exit $st"; sed 's/^/#   /' "$T/p.out"
	fi
done
check "issue --prefix dev- (positive)" "$FS" issue --dir D --count 2 --prefix dev- \
	--plain-keys --pass-file "$PASS" --out-dir "$T/o2"

# --- sign and batch: the ID is the CSR's CN
mkdir "$T/bcsr" "$T/o3" "$T/o4"
i=0
for id in -2-3 -x @x +1 =1 .x _x :x --help -; do
	i=$((i + 1))
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout /dev/null -subj "/CN=$(printf '%s' "$id" | sed 's/[+=]/\\&/g')" \
		-out "$T/bcsr/bad$i.csr" \
		>/dev/null 2>&1 || bail "openssl req CN=$id"
	check_fails "sign: CSR with CN '$id' refused" "$REASON" \
		"$FS" sign --dir D --csr "$T/bcsr/bad$i.csr" --out-dir "$T/o3" --pass-file "$PASS"
done
check "sign: nothing written for any of them" nothing_in "$T/o3"
mkcsr batch-good
cp "$T/csr/batch-good.csr" "$T/bcsr/"
"$FS" batch --dir D --csr-dir "$T/bcsr" --out-dir "$T/o4" --pass-file "$PASS" \
	> "$T/batch.out" 2>&1
[ "$(grep -c "$REASON" "$T/batch.out")" -eq "$i" ] &&
	ok "batch: the $i bad CNs skipped with the reason" ||
	{ not_ok "batch: bad CNs"; sed 's/^/#   /' "$T/batch.out"; }
[ "$(ls "$T/o4" | sed 's/\..*//' | sort -u)" = batch-good ] &&
	ok "batch: only batch-good issued" || not_ok "batch: $(ls "$T/o4")"

# --- keygen: the modem CSR's CN
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout /dev/null -subj "/CN=-2-3" -outform DER -out "$T/k.der" 2>/dev/null
"$RESP" "$T/k.der" 17 11112222333344448555666677778888 > "$T/k.txt"
mkdir "$T/o5"
check_fails "keygen: CN '-2-3' refused" "$REASON" \
	"$FS" keygen --dir D --input "$T/k.txt" --pass-file "$PASS" --out-dir "$T/o5"
check "keygen: nothing written" nothing_in "$T/o5"

# --- every CSV quoted per RFC 4180, read back with python's csv module
"$FS" ledger export --dir D --format csv > "$T/l.csv" 2> "$T/l.err" ||
	{ not_ok "ledger export"; cat "$T/l.err"; }
"$FS" ledger export --dir D --format csv --all > "$T/la.csv" 2>&1 ||
	not_ok "ledger export --all"
"$FS" ledger export --dir D --format nrfcloud --subtype gw \
	--tags 'a|b' > "$T/n.csv" 2> "$T/n.err" ||
	{ not_ok "nrfcloud export"; cat "$T/n.err"; }
check "CSV files read back: every field quoted" python3 - "$T" <<'EOF'
import csv, sys, re
T = sys.argv[1]
def fields_quoted(path, nf):
    # raw check: every record is "..." separated by commas (RFC 4180)
    text = open(path, newline='').read()
    rows = list(csv.reader(open(path, newline='')))
    assert rows, path
    for r in rows:
        assert len(r) == nf, (path, r)
    rec = re.compile(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*\n', re.S)
    pos = 0
    while pos < len(text):
        m = rec.match(text, pos)
        assert m, (path, text[pos:pos + 80])
        pos = m.end()
    return rows
l = fields_quoted(T + '/l.csv', 4)
assert l[0] == ['id', 'serial', 'sha256', 'not_after'], l[0]
ids = sorted(r[0] for r in l[1:])
assert ids == ['batch-good', 'dev-0001', 'dev-0002', 'good-0001', 'good-0002'], ids
la = fields_quoted(T + '/la.csv', 5)
assert la[0][4] == 'status'
n = fields_quoted(T + '/n.csv', 5)
for r in n:
    assert r[1] == 'gw', r
    assert r[2] == 'a|b' and r[4].startswith('-----BEGIN CERTIFICATE-----'), r[:4]
for path in ('l.csv', 'la.csv', 'n.csv'):
    for r in csv.reader(open(T + '/' + path, newline='')):
        for f in r[:4]:
            assert not f[:1] in ('=', '+', '-', '@', '\t', '\r'), (path, f)
EOF
# a formula in the nRF Cloud options is refused and nothing is written
for v in "=1+1" "+x" "-x" "@x" "$(printf '\tx')"; do
	check_fails "nrfcloud --subtype '$v' refused" "spreadsheet reads as a formula|holds a character" \
		"$FS" ledger export --dir D --format nrfcloud --subtype "$v" --out "$T/bad.csv"
	check_fails "nrfcloud --tags '$v' refused" "spreadsheet reads as a formula|holds a character" \
		"$FS" ledger export --dir D --format nrfcloud --tags "$v" --out "$T/bad.csv"
done
check "  ... nothing written" test ! -e "$T/bad.csv"

# a ledger written before the rule (an ID "-2-3" issued by the old code):
# neither export writes it, and the message names the device
cp -a D "$T/Dold"
sqlite3 "$T/Dold/ledger.sqlite" "UPDATE certs SET device_id = '-2-3' WHERE device_id = 'good-0001'" ||
	bail "sqlite3"
check_fails "csv export of a legacy formula ID is refused, naming it" \
	"device ID '-2-3' starts with a character a spreadsheet reads as a formula" \
	"$FS" ledger export --dir "$T/Dold" --format csv --out "$T/old.csv"
check "  ... nothing written" test ! -e "$T/old.csv"
check_fails "nrfcloud export of it is refused too" "device ID '-2-3' starts with" \
	"$FS" ledger export --dir "$T/Dold" --format nrfcloud --out "$T/old2.csv"
check "  ... nothing written" test ! -e "$T/old2.csv"
sqlite3 "$T/Dold/ledger.sqlite" "UPDATE certs SET device_id = 'good-0001' WHERE device_id = '-2-3'"
check "  ... and exports once the ID is a plain one again (positive)" \
	"$FS" ledger export --dir "$T/Dold" --format csv --out "$T/old.csv"
done_testing

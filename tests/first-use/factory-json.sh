#!/bin/sh
# Issue 14 item 20, factory side: --json on "ledger export" (also
# --format json) and "check", the schema of docs/json.md ("schema": 1).
# Each document is parsed with python3's json and its values are checked
# against the ledger (sqlite3) and the certificates (openssl), beside the
# text output, which does not change. Hostile values (a ledger row whose ID
# holds quotes, backslashes, control and non-ASCII bytes) still give a
# document that parses and is all ASCII. Negative controls: --json with
# --format nrfcloud is a usage error that writes nothing.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
for i in 1 2 3; do mkcsr dev-000$i; done
for i in 1 2 3; do
	"$FS" sign --dir D --csr csr/dev-000$i.csr --out-dir out --pass-file "$PASS" >/dev/null ||
		bail "sign dev-000$i"
done
# dev-0002 again with a new key: the first certificate is superseded
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k2" \
	-subj /CN=dev-0002 -out "$T/dev-0002b.csr" >/dev/null 2>&1 || bail "csr"
"$FS" sign --dir D --csr "$T/dev-0002b.csr" --out-dir out --reissue --pass-file "$PASS" >/dev/null ||
	bail "reissue"

jv="$T/jv.py"
cat > "$jv" <<'EOF'
# jv.py MODE DOC [LEDGER]: parses DOC with json and checks it
import json, sqlite3, subprocess, sys
mode, doc = sys.argv[1], sys.argv[2]
raw = open(doc, "rb").read()
raw.decode("ascii")			# all ASCII
d = json.loads(raw)
def need(c, what):
    if not c:
        sys.exit("bad: " + what)
need(d.get("schema") == 1 and list(d)[0] == "schema", "schema 1, first")
if mode in ("export", "export-all"):
    led = sqlite3.connect(sys.argv[3])
    q = ("select device_id, serial, cert_sha256, not_after, status from certs "
         "where kind = 'device'")
    rows = led.execute(q + ("" if mode == "export-all" else " and status = 'issued'")).fetchall()
    need(set(d) == {"schema", "dir", "all", "devices", "count"}, "keys %s" % sorted(d))
    need(d["all"] is (mode == "export-all"), "all")
    need(isinstance(d["count"], int) and d["count"] == len(d["devices"]) == len(rows),
         "count %d / %d / %d" % (d["count"], len(d["devices"]), len(rows)))
    import datetime
    want = {}
    for r in rows:
        t = datetime.datetime.fromtimestamp(r[3], datetime.timezone.utc)
        want[r[1]] = (r[0], r[1], r[2], t.strftime("%Y-%m-%d %H:%M:%S UTC"), r[4])
    for o in d["devices"]:
        need(set(o) == {"id", "serial", "sha256", "not_after", "status"}, "device keys")
        need(all(isinstance(v, str) for v in o.values()), "strings")
        w = want.get(o["serial"])
        need(w == (o["id"], o["serial"], o["sha256"], o["not_after"], o["status"]),
             "row %s = ledger %s" % (o, w))
    print(len(d["devices"]))
elif mode == "check":
    need(list(d)[0] == "schema", "schema first")
    need(set(d) == {"schema", "cert", "key", "root", "id", "findings", "warnings",
                    "problems", "ok"}, "keys %s" % sorted(d))
    for f in d["findings"]:
        need(set(f) == {"severity", "finding", "fix"}, "finding keys")
        need(f["severity"] in ("ok", "warning", "problem"), "severity")
        need(isinstance(f["finding"], str) and f["finding"], "finding text")
        need((f["fix"] is None) == (f["severity"] == "ok"), "fix null only for ok")
    need(d["problems"] == sum(f["severity"] == "problem" for f in d["findings"]), "problems")
    need(d["warnings"] == sum(f["severity"] == "warning" for f in d["findings"]), "warnings")
    need(d["ok"] is (d["problems"] == 0), "ok")
    print("ok" if d["ok"] else "problem", len(d["findings"]), d["problems"], d["cert"], d["id"])
EOF

# ledger export --json against the ledger
"$FS" ledger export --dir D --json > "$T/e.json" 2> "$T/e.err"
check "ledger export --json: exit 0" test $? -eq 0
n=$(python3 "$jv" export "$T/e.json" D/ledger.sqlite 2>&1)
check "  ... parses, schema 1, every live row as in the ledger ($n)" test "$n" = 3
"$FS" ledger export --dir D --format json > "$T/f.json"
check "--format json is the same document" cmp -s "$T/e.json" "$T/f.json"
"$FS" ledger export --dir D --json --all > "$T/a.json"
n=$(python3 "$jv" export-all "$T/a.json" D/ledger.sqlite 2>&1)
check "  ... --all: the superseded certificate too, with its status ($n)" test "$n" = 4
check "  ... one superseded" test "$(grep -c '"status": "superseded"' "$T/a.json")" -eq 1
# the JSON's sha256 of dev-0001 is the certificate file's DER SHA-256
h=$(openssl x509 -in out/dev-0001.cert.pem -outform DER | sha256sum | cut -d' ' -f1)
check "  ... dev-0001's sha256 is its certificate's" python3 -c "
import json,sys; d=json.load(open('$T/e.json'))
sys.exit(not [o for o in d['devices'] if o['id']=='dev-0001' and o['sha256']=='$h'])"
s=$(openssl x509 -in out/dev-0003.cert.pem -noout -serial | cut -d= -f2 | tr A-F a-f)
check "  ... dev-0003's serial is its certificate's" python3 -c "
import json,sys; d=json.load(open('$T/e.json'))
sys.exit(not [o for o in d['devices'] if o['id']=='dev-0003' and o['serial'].lower().lstrip('0')=='$s'.lstrip('0')])"
"$FS" ledger export --dir D --json --out "$T/out.json" 2> "$T/o.err"
check "--json --out FILE writes the same document" cmp -s "$T/e.json" "$T/out.json"
# the CSV is unchanged
"$FS" ledger export --dir D > "$T/e.csv"
check "the CSV beside it: a header and 3 rows" test "$(wc -l < "$T/e.csv")" -eq 4

# an empty ledger: a document with no devices
mkdir E
cp D/ledger.sqlite E/ && sqlite3 E/ledger.sqlite "update certs set status='superseded'"
"$FS" ledger export --dir E --json > "$T/z.json"
check "no live device: devices [], count 0" python3 -c "
import json,sys; d=json.load(open('$T/z.json')); sys.exit(not (d['devices']==[] and d['count']==0))"

# hostile ledger values: quotes, backslash, controls, bidi, bad UTF-8
cp -r D H
python3 - H/ledger.sqlite <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# raw bytes as TEXT: what an old or tampered ledger may hold
ids = [b'q"uote\\back\\slash\ttab\nnl', b'ctl\x01\x1b[31mred\x7fdel\xc2\x85c1',
       b'bidi\xe2\x80\xaeabc\xff\xfebad']
rows = db.execute("select serial from certs where kind='device' and status='issued'").fetchall()
for raw, (serial,) in zip(ids, rows):
    db.execute("update certs set device_id = cast(? as text) where serial = ?", (raw, serial))
db.commit()
EOF
"$FS" ledger export --dir H --json > "$T/h.json" 2> "$T/h.err"
python3 -c "
import json,sys; raw=open('$T/h.json','rb').read(); raw.decode('ascii'); d=json.loads(raw)
want = {b'q\"uote\\\\back\\\\slash\\ttab\\nnl', b'ctl\\x01\\x1b[31mred\\x7fdel\\xc2\\x85c1',
        b'bidi\\xe2\\x80\\xaeabc\\xff\\xfebad'}
got = {o['id'].encode('latin-1') for o in d['devices']}
sys.exit(not (d['count']==3 and got == want))" 2> "$T/h.py"
check "hostile IDs in the ledger: the document parses, all ASCII, bytes intact" test $? -eq 0
check "  ... no raw escape byte on the terminal" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/h.json'"

# negative controls: usage errors write nothing
check_fails "--json with --format nrfcloud: refused" "--json is --format json; it does not go with --format 'nrfcloud'" \
	"$FS" ledger export --dir D --json --format nrfcloud --out "$T/n.csv"
check "  ... nothing written" test ! -e "$T/n.csv"
check_fails "--format xml: refused, the formats named" "use csv, json or nrfcloud" \
	"$FS" ledger export --dir D --format xml
check_fails "--json=1: takes no value" "option '--json' takes no value" \
	"$FS" ledger export --dir D --json=1

# check --json: a good set, then faults
ck() { "$FS" check --root root.pem --json "$@"; }
ck --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0001 > "$T/c.json" 2> "$T/c.err"
check "check --json, a good set: exit 0" test $? -eq 0
r=$(python3 "$jv" check "$T/c.json" 2>&1)
check "  ... parses: result ok, findings, no problem ($r)" sh -c "echo '$r' | grep -Eq '^ok ([89]|[1-9][0-9]) 0 out/dev-0001.chain.pem dev-0001$'"
"$FS" check --root root.pem --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0001 > "$T/c.txt"
check "  ... the same findings as the text ($(grep -c '^ok:' "$T/c.txt") ok lines)" \
	test "$(grep -c '^ok:' "$T/c.txt")" -eq "$(grep -o '"severity": "ok"' "$T/c.json" | wc -l)"
check "  ... no 'no problem found' line in the JSON" sh -c "! grep -q 'no problem found' '$T/c.json'"
ck --cert out/dev-0001.chain.pem --key keys/dev-0002.key > "$T/w.json" 2> "$T/w.err"; st=$?
check "check --json, wrong key: exit 1" test $st -eq 1
r=$(python3 "$jv" check "$T/w.json" 2>&1)
check "  ... result problem, the fault a problem finding ($r)" sh -c "echo '$r' | grep -q '^problem [0-9]* [1-9]'"
check "  ... names it, with a fix" python3 -c "
import json,sys; d=json.load(open('$T/w.json'))
sys.exit(not [f for f in d['findings'] if f['severity']=='problem' and 'does not match the device certificate' in f['finding'] and f['fix']])"
ck --cert out/dev-0001.chain.pem --key keys/dev-0001.key --id dev-0002 > "$T/i.json" 2>/dev/null
check "  ... CN mismatch: a problem naming both IDs" python3 -c "
import json,sys; d=json.load(open('$T/i.json'))
sys.exit(not (d['ok'] is False and d['id']=='dev-0002' and [f for f in d['findings'] if \"'dev-0001' is not the ID 'dev-0002'\" in f['finding']]))"
ck --cert nope.pem --key keys/dev-0001.key > "$T/n.json" 2> "$T/n.err"; st=$?
check "check --json, a missing file: exit 1" test $st -eq 1
check "  ... no document on stdout, the error on stderr naming the file" \
	sh -c "test ! -s '$T/n.json' && grep -q 'nope.pem' '$T/n.err'"
"$FS" ledger export --dir nowhere --json > "$T/l.json" 2> "$T/l.err"; st=$?
check "ledger export --json, no ledger: exit 1, no document" \
	sh -c "test $st -eq 1 && test ! -s '$T/l.json' && grep -q 'no ledger' '$T/l.err'"
# a hostile file name reaches the document escaped
cp out/dev-0001.chain.pem "$T/a\"b\\c$(printf '\033')[7m.pem"
ck --cert "$T/a\"b\\c$(printf '\033')[7m.pem" --key keys/dev-0001.key > "$T/x.json" 2>/dev/null
check "a file name with quotes, backslash, ESC: the JSON parses, name intact" python3 -c "
import json,sys; d=json.load(open('$T/x.json')); sys.exit(not d['cert'].endswith('a\"b\\\\c\x1b[7m.pem'))"
check "  ... no raw ESC in the output" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/x.json'"
done_testing

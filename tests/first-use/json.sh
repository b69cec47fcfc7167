#!/bin/sh
# Issue 14 item 20, keyceremony side: --json on token list, token keys,
# register list and transcript verify (schema 1, docs/json.md), parsed by
# python3's json module and checked against what they describe: the token
# (softhsm2-util, pkcs11-tool), the register (its SQLite file, the
# certificates and CRLs with openssl), the transcript (its records, the
# digest the run printed). Hostile bytes in a token label come out escaped
# (the document is ASCII, no control byte reaches the terminal). --quiet
# and --verbose, the common options: quiet prints no progress or summary
# (errors still), verbose says what each step does; both at once is a
# usage error; a command without them refuses them.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "cd"
# a second token whose label holds a quote, a backslash, ESC and a byte
# that is not UTF-8
hostile=$(printf 'a"b\\c\033[31m\377z')
softhsm2-util --init-token --free --label "$hostile" --pin 123456 --so-pin 12345678 >/dev/null ||
	bail "second token"
mkdir media
"$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S --media media > run.out 2>&1 ||
	bail "ceremony run failed: $(cat run.out)"
common="--token keyceremony-demo --pin-file $T/pin --state S"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout inter.key -subj "/CN=Factory 1 CA" -out inter.csr 2>/dev/null || bail "csr"
"$KC" intermediate sign $common --label root-2026 --issuer S/root.pem \
	--csr inter.csr --days 365 --yes --out S/inter.pem > /dev/null 2>&1 || bail "intermediate"
"$KC" crl $common --label root-2026 --issuer S/root.pem --revoke S/inter.pem \
	--reason superseded --out S/root-0002.crl > /dev/null 2>&1 || bail "crl"
tr=$(ls S/transcripts/*.log)
digest=$(sed -n '/^Final digest/{n;p;n;p}' run.out | tr -d ' \n')

# json CMD...: the command's stdout in $T/j.json, exit 0, stderr empty
json() {
	"$KC" "$@" > "$T/j.json" 2> "$T/j.err"
	_st=$?
	[ $_st -eq 0 ] && [ ! -s "$T/j.err" ]
}
py() { python3 "$T/check.py" "$@"; }
cat > "$T/check.py" <<'PY'
import json, os, sqlite3, subprocess, sys, hashlib, time

what = sys.argv[1]
raw = open(os.environ["T"] + "/j.json", "rb").read()
# one document, ASCII only, no control byte but the final newline
assert raw.endswith(b"\n") and raw.count(b"\n") == 1, "one line"
assert all(0x20 <= b < 0x7f for b in raw[:-1]), "ASCII only"
d = json.loads(raw)
assert d["schema"] == 1, "schema 1"

def sh(cmd):
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                          check=True).stdout.decode()

def utc(t):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))

if what == "token-list":
    m = d["module"]
    assert m["path"] == os.environ["MODULE"]
    real = os.path.realpath(os.environ["MODULE"])
    assert m["file"] == real
    assert m["size"] == os.path.getsize(real)
    assert m["sha256"] == hashlib.sha256(open(real, "rb").read()).hexdigest()
    assert m["environment"]["SOFTHSM2_CONF"] == os.environ["SOFTHSM2_CONF"]
    assert m["environment"]["LD_PRELOAD"] is None
    slots = [s for s in d["slots"] if s["initialized"]]
    labels = {s["label"]: s for s in slots}
    demo = labels["keyceremony-demo"]
    serial = sh("softhsm2-util --show-slots | awk '/Serial number:/ {s=$3} "
                "/Label: *keyceremony-demo/ {print s}'").strip()
    assert demo["serial"] == serial, (demo["serial"], serial)
    assert demo["flags"]["rng"] is True and demo["flags"]["pin_locked"] is False
    assert "ec-p384" in demo["algorithms"] and demo["rehearsal"] == "SoftHSM"
    assert demo["pin_min"] <= 6 <= demo["pin_max"]
    # the hostile label: its bytes, one character per byte (the token
    # layer already turned the control byte into '?')
    hostile = os.environb[b"HOSTILE"].decode("latin-1").replace("\x1b", "?")
    assert hostile in labels, sorted(labels)
    free = [s for s in d["slots"] if s["present"] and not s["initialized"]]
    assert all("label" not in s for s in free)
    print("slots=%d" % len(d["slots"]))
elif what == "token-keys":
    assert d["token"] == "keyceremony-demo"
    keys = {k["label"]: k for k in d["keys"]}
    k = keys["root-2026"]
    assert k["algorithm"] == "ec-p384" and k["policy_ok"] is True
    assert k["policy"] is None and k["copyable"] is False
    ids = sh("pkcs11-tool --module \"$MODULE\" --login --pin 123456 "
             "--token-label keyceremony-demo -O --type privkey 2>/dev/null | "
             "awk '/ID:/ {print $2}'").split()
    assert k["id"] in ids, (k["id"], ids)
    assert len(d["keys"]) == len(ids)
elif what == "register":
    db = sqlite3.connect("file:S/register.sqlite?mode=ro", uri=True)
    rows = db.execute("SELECT id, kind, ca, serial, crl_number, subject, "
                      "sha256, inputs_sha256, path, time, not_before, "
                      "not_after, revoked_at FROM issued ORDER BY id").fetchall()
    es = d["entries"]
    assert d["state"] == "S" and d["register"] == "S/register.sqlite"
    assert [e["id"] for e in es] == [r[0] for r in rows]
    for e, r in zip(es, rows):
        assert e["kind"] == r[1] and e["ca"] == r[2] and e["subject"] == r[5]
        assert e["sha256"] == r[6] and e["file"] == r[8]
        assert e["inputs_sha256"] == (r[7] or None)
        assert e["signed"] == utc(r[9]) and e["not_after"] == utc(r[11])
        if r[1] == "crl":
            assert e["serial"] is None and e["crl_number"] == r[4]
        else:
            assert e["serial"] == r[3] and e["crl_number"] is None
        assert (e["revoked"] is None) == (r[12] is None)
        # the file it names: its DER's SHA-256 and serial
        kind = "crl" if r[1] == "crl" else "x509"
        der = subprocess.run("openssl %s -in '%s' -outform DER" % (kind, e["file"]),
                             shell=True, stdout=subprocess.PIPE, check=True).stdout
        assert hashlib.sha256(der).hexdigest() == e["sha256"], e["file"]
        if kind == "x509":
            s = sh("openssl x509 -in '%s' -noout -serial" % e["file"])
            assert s.split("=")[1].strip().lower().lstrip("0") == \
                e["serial"].lstrip("0"), (s, e["serial"])
    inter = [e for e in es if e["kind"] == "intermediate"][0]
    assert inter["revoked"]["reason"] == "superseded", inter["revoked"]
    assert inter["subject"] == "/CN=Factory 1 CA"
    assert sorted(e["crl_number"] for e in es if e["kind"] == "crl") == [1, 2]
    print("entries=%d" % len(es))
elif what == "transcript":
    tr, digest, checked = sys.argv[2], sys.argv[3], sys.argv[4]
    lines = [l for l in open(tr, "rb") if l.startswith(b"KC1 ")]
    assert d["file"] == tr and d["records"] == len(lines)
    assert d["chain"] == "intact" and d["ceremony"] == "root-ca"
    assert d["completed"] is True and d["ended"] is True
    assert d["rehearsal"] is True
    assert d["digest"] == digest, (d["digest"], digest)
    assert len(d["pgp_words"].split()) == 32
    fsha = hashlib.sha256(open(os.environ["KC_TOP_SRCDIR"] +
                               "/ceremony/root-ca.yaml", "rb").read()).hexdigest()
    assert d["file_sha256"] == fsha
    assert d["digest_checked"] is (checked == "yes")
else:
    sys.exit("unknown check " + what)
PY
export T MODULE HOSTILE="$hostile"

json token list --json && out=$(py token-list 2>&1) &&
	ok "token list --json: module, slots and the token as softhsm2-util tells ($out)" ||
	not_ok "token list --json: exit $_st: $out $(head -c 300 "$T/j.err")"
grep -q "$(printf '\033')" "$T/j.json" && not_ok "an ESC byte reached stdout" ||
	ok "the hostile label's ESC is escaped"
grep -q 'a\\"b\\\\c?\[31m\\u00ffz' "$T/j.json" &&
	ok "the hostile label: quote, backslash and 0xff escaped byte-wise" ||
	not_ok "hostile label not escaped as expected"
json token keys --token keyceremony-demo --pin-file "$T/pin" --json && out=$(py token-keys 2>&1) &&
	ok "token keys --json: the root key as pkcs11-tool lists it" ||
	not_ok "token keys --json: exit $_st: $out $(head -c 300 "$T/j.err")"
json register list --state S --json && out=$(py register 2>&1) &&
	ok "register list --json: every row of the register, the files agree ($out)" ||
	not_ok "register list --json: exit $_st: $out $(head -c 300 "$T/j.err")"
json transcript verify "$tr" --json && out=$(py transcript "$tr" "$digest" no 2>&1) &&
	ok "transcript verify --json: records, digest, ceremony file hash" ||
	not_ok "transcript verify --json: exit $_st: $out $(head -c 300 "$T/j.err")"
json transcript verify "$tr" --digest "$digest" --json &&
	out=$(py transcript "$tr" "$digest" yes 2>&1) &&
	ok "transcript verify --digest --json: digest_checked" ||
	not_ok "transcript verify --digest --json: $out"

# negative: what does not verify prints no document, the error on stderr
sed '3s/./X/' "$tr" > bad.log
"$KC" transcript verify bad.log --json > bad.out 2> bad.err; st=$?
[ $st -eq 1 ] && [ ! -s bad.out ] && [ -s bad.err ] &&
	ok "a tampered transcript: exit 1, no JSON, the error on stderr" ||
	not_ok "tampered transcript --json: exit $st, $(wc -c < bad.out) bytes"
"$KC" transcript verify "$tr" --digest 00 --json > bad.out 2> bad.err; st=$?
[ $st -ne 0 ] && [ ! -s bad.out ] && ok "a wrong --digest: no JSON" ||
	not_ok "wrong digest --json: exit $st"
check_fails "--json takes no value" "option '--json' takes no value" \
	"$KC" register list --state S --json=1
"$KC" register list --state nowhere --json > bad.out 2> bad.err; st=$?
[ $st -eq 1 ] && [ ! -s bad.out ] && ok "no register: exit 1, no JSON" ||
	not_ok "no register --json: exit $st"

# --quiet / --verbose
"$KC" transcript verify "$tr" --quiet > q.out 2> q.err; st=$?
[ $st -eq 0 ] && [ ! -s q.out ] && [ ! -s q.err ] &&
	ok "transcript verify --quiet: nothing printed, exit 0" ||
	not_ok "transcript verify --quiet: exit $st, $(cat q.out q.err | head -c 200)"
"$KC" transcript verify bad.log --quiet > q.out 2> q.err; st=$?
[ $st -eq 1 ] && [ ! -s q.out ] && [ -s q.err ] &&
	ok "transcript verify --quiet on a tampered file: the error only, exit 1" ||
	not_ok "--quiet tampered: exit $st"
"$KC" transcript verify "$tr" --verbose > v.out 2> v.err; st=$?
[ $st -eq 0 ] && grep -q 'chain to the one before' v.err && grep -q 'records chain' v.err &&
	grep -q '^final digest' v.out &&
	ok "transcript verify --verbose: each step on stderr, the result on stdout" ||
	not_ok "transcript verify --verbose: exit $st"
"$KC" transcript verify "$tr" > n.out 2> n.err
[ ! -s n.err ] && ok "transcript verify (normal): no step lines" ||
	not_ok "normal verbosity printed steps"

mkdir m1 m2
"$KC" export --state S --to m1 --quiet > q.out 2> q.err; st=$?
[ $st -eq 0 ] && [ ! -s q.out ] && [ ! -s q.err ] && [ -s m1/SHA256SUMS ] &&
	ok "export --quiet: the medium written, nothing printed" ||
	not_ok "export --quiet: exit $st"
"$KC" export --state S --to m2 --verbose > v.out 2> v.err; st=$?
[ $st -eq 0 ] && grep -q 'against the whitelist' v.err && grep -q 'read back' v.err &&
	cmp -s m1/SHA256SUMS m2/SHA256SUMS &&
	ok "export --verbose: the steps on stderr, the same medium" ||
	not_ok "export --verbose: exit $st"
"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin" --out-dir sh --quiet > q.out 2> q.err; st=$?
[ $st -eq 0 ] && [ ! -s q.out ] && [ ! -s q.err ] && [ -f sh/share-3-of-3.txt ] &&
	ok "quorum split --quiet: sheets written, no progress line" ||
	not_ok "quorum split --quiet: exit $st $(cat q.err)"
"$KC" quorum combine --share-file sh/share-1-of-3.txt --share-file sh/share-3-of-3.txt \
	--out pin2 --verbose > v.out 2> v.err; st=$?
[ $st -eq 0 ] && cmp -s pin2 "$T/pin" && grep -q 'accepted' v.err &&
	ok "quorum combine --verbose: the PIN rebuilt, each share reported" ||
	not_ok "quorum combine --verbose: exit $st"
"$KC" quorum combine --share-file sh/share-1-of-3.txt --share-file sh/share-2-of-3.txt \
	--quiet > q.out 2> q.err; st=$?
[ $st -eq 0 ] && [ ! -s q.out ] && [ ! -s q.err ] &&
	ok "quorum combine --quiet: exit 0, silent" || not_ok "quorum combine --quiet: exit $st"
"$KC" quorum combine --share-file sh/share-1-of-3.txt --quiet > q.out 2> q.err; st=$?
[ $st -ne 0 ] && [ -s q.err ] && ok "quorum combine --quiet, one share: the error still shown" ||
	not_ok "quorum combine --quiet error: exit $st"
# run: --quiet drops the progress on stderr (warnings stay), the record on
# stdout stays; --verbose adds the engine's step lines
for tok in quiet-tok verbose-tok normal-tok; do
	softhsm2-util --init-token --free --label $tok --pin 123456 --so-pin 12345678 >/dev/null ||
		bail "token $tok"
done
for v in quiet verbose normal; do
	flag=--$v; [ $v = normal ] && flag=
	mkdir media-$v
	# shellcheck disable=SC2086
	"$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --batch --module "$MODULE" \
		--token $v-tok --pin-file "$T/pin" --state S-$v --media media-$v $flag \
		> run-$v.out 2> run-$v.err || bail "run $flag: $(cat run-$v.err)"
done
grep -v ': warning: ' run-quiet.err > quiet.rest
[ ! -s quiet.rest ] && grep -q '^Final digest' run-quiet.out &&
	ok "run --quiet: no progress on stderr, the final digest on stdout" ||
	not_ok "run --quiet printed: $(head -c 300 quiet.rest)"
[ -s run-normal.err ] && ! grep -q ': step 1/' run-normal.err &&
	grep -q ': step 1/' run-verbose.err &&
	[ "$(grep -vc ': warning: ' run-verbose.err)" -gt "$(grep -vc ': warning: ' run-normal.err)" ] &&
	ok "run --verbose: more on stderr than without (the step lines)" ||
	not_ok "run --verbose: no more than normal"
check_fails "--quiet with --verbose is refused" "--quiet and --verbose exclude each other" \
	"$KC" export --state S --to m1 --quiet --verbose
check_fails "a command without them refuses --quiet" "register list: unknown option '--quiet'" \
	"$KC" register list --state S --quiet
for c in "export" "import" "quorum split" "quorum combine" "transcript verify" "run"; do
	# shellcheck disable=SC2086
	"$KC" $c --help > h.out
	grep -q -- '--quiet' h.out && grep -q -- '--verbose' h.out &&
		ok "$c --help lists --quiet and --verbose" || not_ok "$c --help lacks them"
done
done_testing

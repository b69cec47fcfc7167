#!/bin/sh
# Issue 14 item 10: the ledger records the SHA-256 of every output file at
# issue time (table files, schema version 2), `ledger verify` checks every
# file of every live device against it, and a rerun (batch, sign, issue,
# keygen again, with or without --reissue for the same input) rewrites a
# missing or damaged file from the ledger (the certificate it holds, the
# chain rebuilt from the installed intermediate and root) without a new
# signature, saying so per file. A file that cannot be rebuilt (it holds
# a device key made here, or this run would make it with other options)
# is reported, and verify says so too. An old ledger (no files table) is
# migrated on open: its rows are "no recorded hashes", not problems, and a
# rerun records them. The ledger stays consistent after every step
# (tests/faults/ledger-check.py, which checks the recorded files too).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
LCHECK="python3 $KC_TOP_SRCDIR/tests/faults/ledger-check.py"
fs_setup
# said DESC RE: the output of the last command run by check (not by said)
said() {
	[ "${_said_at:-}" = "$_tap_n" ] || cp "$T/.out" "$T/said"
	check "$1" grep -q -- "$2" "$T/said"; _said_at=$_tap_n
}
rows() { sqlite3 D/ledger.sqlite "SELECT count(*) FROM certs"; }
mkdir in
for i in 1 2 3 4 5 6; do mkcsr "dev-000$i"; cp "csr/dev-000$i.csr" in/; done

check "batch of 6 with pem,c,at" "$FS" batch --dir D --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
nf=$(ls out | wc -l)
check "  ... every file's SHA-256 recorded ($nf files)" test "$(sqlite3 D/ledger.sqlite "SELECT count(*) FROM files")" = "$nf"
check "  ... 5 or more a device (pem, c, at)" test "$nf" -ge 30
check "  ... the recorded hashes are those of the files" python3 -c "
import hashlib, sqlite3
db = sqlite3.connect('D/ledger.sqlite')
for dev, suf, sha in db.execute('SELECT device_id, suffix, sha256 FROM certs JOIN files USING (serial)'):
    assert hashlib.sha256(open('out/' + dev + suf, 'rb').read()).hexdigest() == sha, (dev, suf)"
check "  ... schema version 3" test "$(sqlite3 D/ledger.sqlite 'PRAGMA user_version')" = 3
check "ledger verify: all files checked, 0 problems" "$FS" ledger verify --dir D
said "  ... $nf files" "6 live device certificates, $nf output files checked, 0 problems"
check "  ... the independent checker agrees" $LCHECK D/ledger.sqlite out

# the issue's case and more: a deleted chain, an overwritten full chain,
# a truncated C file, an AT script made a symbolic link (to a copy, which
# verify must not follow), an emptied checksum file
cp -a out saved
mkdir elsewhere; cp out/dev-0005.at elsewhere/copy.at
rm out/dev-0003.chain.pem
cp out/dev-0001.full-chain.pem out/dev-0004.full-chain.pem
head -c 100 saved/dev-0002.c > out/dev-0002.c
rm out/dev-0005.at; ln -s "$T/elsewhere/copy.at" out/dev-0005.at
: > out/dev-0006.at.sha256
check_fails "ledger verify finds the missing chain" '^dev-0003: ".*/out/dev-0003.chain.pem" is missing' \
	"$FS" ledger verify --dir D
cp "$T/.out" "$T/v1"
check "  ... the overwritten full chain" grep -q '^dev-0004: ".*/out/dev-0004.full-chain.pem" is damaged: SHA-256 ' "$T/v1"
check "  ... the truncated C file" grep -q '^dev-0002: ".*/out/dev-0002.c" is damaged' "$T/v1"
check "  ... the link (not followed)" grep -q '^dev-0005: ".*/out/dev-0005.at" is unreadable: .*symbolic link' "$T/v1"
check "  ... the emptied checksums" grep -q '^dev-0006: ".*/out/dev-0006.at.sha256" is damaged' "$T/v1"
check "  ... 5 problems" grep -q "6 live device certificates, $nf output files checked, 5 problems" "$T/v1"
check "  ... the independent checker agrees" sh -c "! $LCHECK D/ledger.sqlite out"
n0=$(rows)

# the issue's command: batch --reissue with the same CSRs
check "batch --reissue (same CSRs) repairs, exit 0" "$FS" batch --dir D --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --reissue --pass-file "$PASS"
cp "$T/.out" "$T/r1"
check "  ... 1 already issued, 5 repaired" grep -q "0 issued, 1 already issued, 5 repaired, 0 failed" "$T/r1"
for f in dev-0003.chain.pem dev-0004.full-chain.pem dev-0002.c dev-0005.at dev-0006.at.sha256; do
	check "  ... says it rewrote $f" grep -q "$f was \(missing\|damaged\|unreadable\); rewritten from the ledger (serial [0-9a-f]*, no new signature)" "$T/r1"
	check "  ... $f is the original, byte for byte" cmp "saved/$f" "out/$f"
done
check "  ... the link was replaced, its target untouched" sh -c "[ ! -L out/dev-0005.at ] && cmp elsewhere/copy.at saved/dev-0005.at"
check "  ... no new signature: no new row, nothing superseded" sh -c \
	"[ $(rows) = $n0 ] && [ \$(sqlite3 D/ledger.sqlite \"SELECT count(*) FROM certs WHERE status='superseded'\") = 0 ]"
check "  ... the certificates are the same" sh -c "for f in saved/*.cert.pem; do cmp \"\$f\" out/\${f#saved/} || exit 1; done"
check "  ... ledger verify: 0 problems" "$FS" ledger verify --dir D
check "  ... the independent checker agrees" $LCHECK D/ledger.sqlite out in
check "a second rerun: nothing to repair" "$FS" batch --dir D --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
said "  ... 6 already issued" "0 issued, 6 already issued, 0 repaired, 0 failed"

# a file that this run would make differently is not replaced with
# something else: reported, the others repaired, exit 1
rm out/dev-0001.at out/dev-0001.chain.pem
check_fails "a rerun with another --sec-tag: the script is reported" \
	"dev-0001: already issued .*dev-0001.at is missing and this run would write it differently" \
	"$FS" batch --dir D --csr-dir in --out-dir out --format pem,c,at --sec-tag 43 --pass-file "$PASS"
check "  ... the chain is repaired all the same" cmp saved/dev-0001.chain.pem out/dev-0001.chain.pem
check "  ... no script was made up" test ! -e out/dev-0001.at
check_fails "  ... a rerun without at: the script is reported" \
	"dev-0001.at is missing and this run does not make it" \
	"$FS" batch --dir D --csr-dir in --out-dir out --pass-file "$PASS"
check "  ... the run with the first options repairs it" "$FS" batch --dir D --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
check "  ... byte for byte" cmp saved/dev-0001.at out/dev-0001.at

# sign again: the same CSR is a rerun
rm out/dev-0002.cert.pem
check "sign again (same CSR) rewrites the lost certificate" "$FS" sign --dir D --csr csr/dev-0002.csr --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
said "  ... no new signature" "dev-0002: already issued (serial .*); 1 file rewritten from the ledger, no new signature"
check "  ... the same certificate" cmp saved/dev-0002.cert.pem out/dev-0002.cert.pem
check "  ... still no new row" test "$(rows)" = "$n0"

# issue (keys made here): a key cannot be rewritten; the rest can
printf 'key-1\nkey-2\n' > ids
check "issue 2 (keys here)" "$FS" issue --dir D --ids ids --out-dir kout --plain-keys --pass-file "$PASS"
cp kout/key-2.key.pem "$T/key2.saved"
rm kout/key-1.chain.pem kout/key-2.key.pem
check_fails "issue again: the lost key is reported, exit 1" \
	"key-2: already issued .*key-2.key.pem is missing and cannot be rewritten: it holds the device key, which the factory does not keep" \
	"$FS" issue --dir D --ids ids --out-dir kout --plain-keys --pass-file "$PASS"
cp "$T/.out" "$T/k1"
check "  ... the chain of the other repaired" grep -q "0 issued, 0 already issued, 1 repaired, 1 failed" "$T/k1"
check "  ... no key was made up" test ! -e kout/key-2.key.pem
check_fails "  ... ledger verify reports the key" '^key-2: ".*/kout/key-2.key.pem" is missing' "$FS" ledger verify --dir D
cp "$T/key2.saved" kout/key-2.key.pem
check "  ... the key put back: verify is clean" "$FS" ledger verify --dir D

# keygen: the scripts are recorded and repaired too
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=modem-1" -outform DER -out "$T/m1.der" >/dev/null 2>&1
"$RESP" "$T/m1.der" 16 00112233445566778899aabbccddeeff wrap > "$T/m1.txt" || bail nrf-resp
check "keygen one modem" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --ca-file root.pem --pass-file "$PASS"
cp mout/modem-1.at "$T/m1.at.saved"
printf 'AT%%CMNG=3,16,1\r\n' > mout/modem-1.at
check_fails "ledger verify: the altered script" '^modem-1: ".*/mout/modem-1.at" is damaged' "$FS" ledger verify --dir D
check "keygen again repairs it" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --ca-file root.pem --pass-file "$PASS"
said "  ... says so" "modem-1: already issued (serial .*); 1 file rewritten from the ledger, no new signature"
check "  ... byte for byte" cmp "$T/m1.at.saved" mout/modem-1.at
check "  ... ledger verify: 0 problems" "$FS" ledger verify --dir D

# an old ledger: no files table (schema version 1)
cp -a D Dold
sqlite3 Dold/ledger.sqlite "DROP TABLE files; PRAGMA user_version = 0" || bail sqlite3
cp -a Dold Dold2
check "an old ledger verifies (migrated on open)" "$FS" ledger verify --dir Dold
cp "$T/.out" "$T/v2"
check "  ... its devices reported as 'no recorded hashes', not problems" \
	grep -q "devices with no recorded hashes (issued before they were kept): only the certificate file checked" "$T/v2"
check "  ... 0 problems" grep -q "0 output files checked, 0 problems" "$T/v2"
check "  ... now at schema version 3" test "$(sqlite3 Dold/ledger.sqlite 'PRAGMA user_version')" = 3
rm out/dev-0003.chain.pem
check "  ... a rerun with the same input records them" "$FS" batch --dir Dold --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
said "  ... repairing the lost chain" "dev-0003.chain.pem was missing; rewritten from the ledger"
check "  ... the chain is the original" cmp saved/dev-0003.chain.pem out/dev-0003.chain.pem
check "  ... certificate and chain files now recorded (6 x 3)" test \
	"$(sqlite3 Dold/ledger.sqlite "SELECT count(*) FROM files JOIN certs USING (serial) WHERE device_id LIKE 'dev-%'")" = 18
check "  ... ledger verify checks them" "$FS" ledger verify --dir Dold
said "  ... (18 more files)" "output files checked, 0 problems"

# the same old ledger back-filled without the CSRs or the passphrase:
# only files that hold what the ledger makes of them are recorded
cp out/dev-0005.chain.pem "$T/c5"; cp out/dev-0001.full-chain.pem out/dev-0005.chain.pem
check "ledger verify --backfill" "$FS" ledger verify --dir Dold2 --backfill
cp "$T/.out" "$T/bf"
check "  ... 8 devices recorded, the one with the altered file not" grep -q \
	"recorded 24 hashes of 9 devices issued before hashes were kept; 1 file not recorded" "$T/bf"
check "  ... the altered one named" grep -q \
	"dev-0005: .*/out/dev-0005.chain.pem is not what the ledger and the installed chain make: its files are not recorded" "$T/bf"
check "  ... then verified: 24 files, 0 problems, 1 without hashes" sh -c \
	"grep -q '9 live device certificates, 24 output files checked, 0 problems' '$T/bf' &&
	 grep -q '1 device with no recorded hashes' '$T/bf'"
check "  ... the recorded hashes are those of the files" python3 -c "
import hashlib, os, sqlite3
db = sqlite3.connect('Dold2/ledger.sqlite')
rows = db.execute('SELECT cert_path, device_id, suffix, sha256 FROM certs JOIN files USING (serial)').fetchall()
assert len(rows) == 24, len(rows)
assert not [r for r in rows if r[1] == 'dev-0005'], 'dev-0005 recorded'
for path, dev, suf, sha in rows:
    p = os.path.join(os.path.dirname(path), dev + suf)
    assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == sha, p"
check "  ... a rerun repairs the altered file (the row is an old one)" "$FS" batch --dir Dold2 --csr-dir in --out-dir out --format pem,c,at --sec-tag 42 --pass-file "$PASS"
said "  ... from the ledger" "dev-0005.chain.pem was damaged; rewritten from the ledger"
check "  ... byte for byte" cmp "$T/c5" out/dev-0005.chain.pem
check "  ... a second --backfill has nothing left" "$FS" ledger verify --dir Dold2 --backfill
said "  ... 0 devices" "recorded 0 hashes of 0 devices issued before hashes were kept; 0 files not recorded"
check "  ... the independent checker agrees" $LCHECK Dold2/ledger.sqlite out
done_testing

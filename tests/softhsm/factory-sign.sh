#!/bin/sh
# factorysign init, install, sign: chains verify with openssl (strict, TLS
# client purpose) and certtool; the profile decides the extensions; every
# bad input of sign is refused with a message, exit 1 and no output.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup

# init: key encrypted (scrypt), 0600; CSR carries the subject
check "intermediate key is 0600" test "$(stat -c %a D/intermediate.key)" = 600
check "intermediate key is encrypted PKCS#8" grep -q "BEGIN ENCRYPTED PRIVATE KEY" D/intermediate.key
check "the key uses scrypt + AES-256" sh -c "openssl asn1parse -in D/intermediate.key | grep -q ':scrypt' && openssl asn1parse -in D/intermediate.key | grep -q aes-256-cbc"
check "CSR verifies" openssl req -in D/intermediate.csr -verify -noout
check_fails "init refuses an existing key" "already exists" \
	"$FS" init --dir D --subject "/CN=X" --algorithm ec-p256 --pass-file "$PASS"
( umask 022; printf 'correct horse battery\n' > "$T/pass.open" )
mkdir "$T/D2"
check_fails "init refuses a group-readable pass file" "pass.open" \
	"$FS" init --dir "$T/D2/f" --subject "/CN=X" --algorithm ec-p256 --pass-file "$T/pass.open"
check "  ... and writes nothing" nothing_in "$T/D2"
check_fails "init refuses a bad algorithm" "ec-p256" \
	"$FS" init --dir "$T/D2/f" --subject "/CN=X" --algorithm dsa --pass-file "$PASS"
check "  ... and writes nothing" nothing_in "$T/D2"

# sign
mkcsr dev-0001
check "sign" "$FS" sign --dir D --csr csr/dev-0001.csr --id dev-0001 --out-dir out --pass-file "$PASS"
for f in cert chain full-chain; do
	check "out/dev-0001.$f.pem written" test -s "out/dev-0001.$f.pem"
done
check "chain has 2 certificates" test "$(grep -c BEGIN out/dev-0001.chain.pem)" = 2
check "full chain has 3 certificates" test "$(grep -c BEGIN out/dev-0001.full-chain.pem)" = 3
check "openssl verify -x509_strict -purpose sslclient" \
	openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted out/dev-0001.chain.pem out/dev-0001.cert.pem
check "certtool --verify-chain (leaf, intermediate, root)" \
	sh -c "certtool --verify-chain --infile out/dev-0001.full-chain.pem | grep -q 'Chain verification output: Verified'"
check "certtool --verify of ID.chain.pem against the root only" \
	sh -c "certtool --verify --load-ca-certificate root.pem --infile out/dev-0001.chain.pem | grep -q 'Chain verification output: Verified'"
openssl x509 -in out/dev-0001.cert.pem -noout -text > "$T/leaf.txt"
check "CA:FALSE critical" sh -c "grep -A1 'Basic Constraints: critical' $T/leaf.txt | grep -q CA:FALSE"
check "keyUsage critical digitalSignature only (EC)" sh -c "grep -A1 'Key Usage: critical' $T/leaf.txt | grep -qx '  *Digital Signature'"
check "EKU clientAuth" grep -q "TLS Web Client Authentication" "$T/leaf.txt"
check "SKI and AKI" sh -c "grep -q 'Subject Key Identifier' $T/leaf.txt && grep -q 'Authority Key Identifier' $T/leaf.txt"
check "subject is the CSR's" grep -q "Subject: CN = dev-0001" "$T/leaf.txt"
serial=$(openssl x509 -in out/dev-0001.cert.pem -noout -serial | cut -d= -f2)
check "serial is 16 random bytes (>= 64 bits)" test ${#serial} -ge 31
check "leaf key = CSR key" sh -c "[ \"\$(openssl x509 -in out/dev-0001.cert.pem -noout -pubkey)\" = \"\$(openssl pkey -in keys/dev-0001.key -pubout)\" ]"
check "validity is 365 days" sh -c "openssl x509 -in out/dev-0001.cert.pem -noout -checkend $((364*86400)) && ! openssl x509 -in out/dev-0001.cert.pem -noout -checkend $((366*86400))"

# RSA device key: keyEncipherment too; a DER CSR
openssl req -new -newkey rsa:2048 -nodes -keyout keys/rsa.key -subj "/CN=rsa-dev.1" -outform DER -out csr/rsa.der >/dev/null 2>&1
check "sign an RSA-2048 DER CSR" "$FS" sign --dir D --csr csr/rsa.der --out-dir out --pass-file "$PASS"
check "RSA leaf has digitalSignature + keyEncipherment" sh -c "openssl x509 -in out/rsa-dev.1.cert.pem -noout -ext keyUsage | grep -q 'Digital Signature, Key Encipherment'"
check "RSA chain verifies" openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted inter.pem out/rsa-dev.1.cert.pem

# requested extensions: ignored and reported
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/ext.key -subj "/CN=ext-dev" \
	-addext "keyUsage=critical,digitalSignature,keyEncipherment" -addext "subjectAltName=DNS:evil.example" -out csr/ext.csr >/dev/null 2>&1
"$FS" sign --dir D --csr csr/ext.csr --out-dir out --pass-file "$PASS" > "$T/ext.out" 2>&1
check "requested extensions reported as ignored" grep -q "ignored.*keyUsage.*subjectAltName" "$T/ext.out"
check "  ... and not in the certificate" sh -c "! openssl x509 -in out/ext-dev.cert.pem -noout -text | grep -q evil.example"

# bad inputs: message naming the file and the reason, exit 1, no output
mkdir "$T/bad"
bad() {
	_d=$1; _re=$2; shift 2
	check_fails "$_d" "$_re" "$@"
	_rc=0; "$@" >/dev/null 2>&1 || _rc=$?
	check "  ... exit status ${want:-1}" test "$_rc" = "${want:-1}"
	check "  ... nothing written" nothing_in "$T/bad"
}
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/ca.key -subj "/CN=ca-dev" \
	-addext "basicConstraints=critical,CA:TRUE" -out csr/ca.csr >/dev/null 2>&1
bad "CA:TRUE requested" "csr/ca.csr.*CA:TRUE" "$FS" sign --dir D --csr csr/ca.csr --out-dir bad --pass-file "$PASS"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/x.key -subj "/CN=bad id!" -out csr/badcn.csr >/dev/null 2>&1
bad "CN breaking the DPS rules" "badcn.csr.*registration ID" "$FS" sign --dir D --csr csr/badcn.csr --out-dir bad --pass-file "$PASS"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/x.key -subj "/CN=dev." -out csr/dot.csr >/dev/null 2>&1
bad "CN ending in '.'" "dot.csr.*last character" "$FS" sign --dir D --csr csr/dot.csr --out-dir bad --pass-file "$PASS"
python3 "$KC_TOP_SRCDIR/tests/factory/rawcsr.py" keys/dev-0001.key "$(printf 'a%.0s' $(seq 1 65))" csr/long.csr
bad "CN over 64 characters" "long.csr.*(64|CN)" "$FS" sign --dir D --csr csr/long.csr --out-dir bad --pass-file "$PASS"
openssl req -new -newkey rsa:1024 -nodes -keyout keys/x.key -subj "/CN=weak" -out csr/weak.csr >/dev/null 2>&1
bad "weak key (RSA-1024)" "weak.csr.*(refused|2048)" "$FS" sign --dir D --csr csr/weak.csr --out-dir bad --pass-file "$PASS"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -nodes -keyout keys/x.key -subj "/CN=k1" -out csr/k1.csr >/dev/null 2>&1
bad "weak/unsupported curve" "k1.csr.*(curve|refused)" "$FS" sign --dir D --csr csr/k1.csr --out-dir bad --pass-file "$PASS"
# flip a byte inside the signed part (the CN) of a DER CSR
mkcsr tamper
openssl req -in csr/tamper.csr -outform DER -out "$T/t.der"
python3 - "$T/t.der" "$T/csr/tampered.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'tamper')
d[i] = ord('T')
open(sys.argv[2], 'wb').write(d)
PY
bad "CSR with a bad signature" "tampered.der.*signature" "$FS" sign --dir D --csr csr/tampered.der --out-dir bad --pass-file "$PASS"
bad "--id differs from the CN" "does not match" "$FS" sign --dir D --csr csr/tamper.csr --id other --out-dir bad --pass-file "$PASS"
# the same CSR again is a rerun (already issued, exit 0); another key for
# an issued ID needs --reissue
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/keys/dev-0001-rekey.key" \
	-subj "/CN=dev-0001" -out "$T/csr/dev-0001-rekey.csr" >/dev/null 2>&1
bad "duplicate ID" "dev-0001.*already issued.*--reissue" "$FS" sign --dir D --csr csr/dev-0001-rekey.csr --out-dir bad --pass-file "$PASS"
printf 'hello\n' > "$T/csr/notcsr.txt"
bad "a non-CSR file" "notcsr.txt.*not a (certificate signing request|CSR)" "$FS" sign --dir D --csr csr/notcsr.txt --out-dir bad --pass-file "$PASS"
bad "a certificate instead of a CSR" "not a (certificate signing request|CSR)" "$FS" sign --dir D --csr root.pem --out-dir bad --pass-file "$PASS"
( umask 077; printf 'wrong passphrase\n' > "$T/wrong" )
bad "wrong passphrase" "intermediate.key.*wrong passphrase" "$FS" sign --dir D --csr csr/tamper.csr --out-dir bad --pass-file "$T/wrong"
bad "--days beyond the intermediate" "outlive the intermediate" "$FS" sign --dir D --csr csr/tamper.csr --days 2000 --out-dir bad --pass-file "$PASS"
mkdir "$T/E"; cp D/intermediate.key D/intermediate.csr "$T/E/"
bad "intermediate not installed" "not installed" "$FS" sign --dir "$T/E" --csr csr/tamper.csr --out-dir bad --pass-file "$PASS"
check_fails "OUT not writable" "ro.*(not writable|Permission)" sh -c "mkdir -p '$T/ro' && chmod 555 '$T/ro' && if [ \$(id -u) = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups '$FS' sign --dir '$T/D' --csr '$T/csr/tamper.csr' --out-dir '$T/ro' --pass-file /dev/null; else '$FS' sign --dir '$T/D' --csr '$T/csr/tamper.csr' --out-dir '$T/ro' --pass-file '$PASS'; fi"
check "  ... nothing written" nothing_in "$T/ro"
want=2 bad "--format pfx for a CSR" "pfx.*issue" "$FS" sign --dir D --csr csr/tamper.csr --format pfx --out-dir bad --pass-file "$PASS"
want=2 bad "--format at without --sec-tag" "sec-tag" "$FS" sign --dir D --csr csr/tamper.csr --format at --out-dir bad --pass-file "$PASS"

# disk full: OUT on a 64 KiB file system with one page left (a private
# mount namespace; unshare -r when not root)
mkdir "$T/full"
if [ "$(id -u)" = 0 ]; then NS="unshare -m"; else NS="unshare -rm"; fi
$NS sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
	dd if=/dev/zero of="$1/filler" bs=4k count=15 2>/dev/null
	"$2" sign --dir "$3/D" --csr "$3/csr/tamper.csr" --out-dir "$1" --pass-file "$4" > "$3/full.out" 2>&1
	echo $? > "$3/full.rc"; ls -A "$1" > "$3/full.ls"' sh "$T/full" "$FS" "$T" "$PASS"
[ -s "$T/full.rc" ] || bail "cannot mount a small tmpfs for the disk-full test (unshare/mount)"
check "disk full: exit 1" test "$(cat "$T/full.rc")" = 1
check "  ... message names the file and the reason" grep -q "tamper.*No space left on device" "$T/full.out"
check "  ... nothing half-written (only the filler is left)" test "$(cat "$T/full.ls")" = filler
check "  ... nothing recorded" sh -c "! '$FS' ledger export --dir D --format csv | grep -q '^\"tamper\",'"

# disk full while replacing (--reissue): the old files stay as they were
mkdir "$T/full2"
mkcsr full-dev
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=full-dev" -out "$T/csr/full-dev-rekey.csr" >/dev/null 2>&1
cp -r "$T/D" "$T/D3"	# its ledger will point into the vanished tmpfs
$NS sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
	"$2" sign --dir "$3/D3" --csr "$3/csr/full-dev.csr" --out-dir "$1" --pass-file "$4" >/dev/null 2>&1 || exit 98
	cat "$1"/full-dev.* > "$3/before"
	dd if=/dev/zero of="$1/filler" bs=4k count=16 2>/dev/null
	"$2" sign --dir "$3/D3" --csr "$3/csr/full-dev-rekey.csr" --reissue --out-dir "$1" --pass-file "$4" > "$3/full2.out" 2>&1
	echo $? > "$3/full2.rc"; rm "$1/filler"; cat "$1"/full-dev.* > "$3/after"; ls -A "$1" > "$3/full2.ls"
	"$2" ledger verify --dir "$3/D3" > "$3/full2.verify" 2>&1; echo $? >> "$3/full2.rc"' sh "$T/full2" "$FS" "$T" "$PASS"
check "disk full during --reissue: exit 1" test "$(head -1 "$T/full2.rc")" = 1
check "  ... the old files are intact" cmp -s "$T/before" "$T/after"
check "  ... no temporary file left" test "$(cat "$T/full2.ls" | tr '\n' ' ')" = "full-dev.cert.pem full-dev.chain.pem full-dev.full-chain.pem "
check "  ... the ledger still matches the files" test "$(tail -1 "$T/full2.rc")" = 0

# expired intermediate: install refuses; an expired installed one is refused too
backdated D/intermediate.csr root.pem root.key "$T/old.pem" inter
check_fails "install refuses an expired intermediate" "old.pem expired" "$FS" install --dir D --cert old.pem --root root.pem
cp -r D "$T/X"; cp old.pem "$T/X/intermediate.pem"
bad "intermediate expired" "intermediate certificate expired" "$FS" sign --dir "$T/X" --csr csr/tamper.csr --out-dir bad --pass-file "$PASS"
# install: a certificate for another key, and a root that is not the issuer
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" -out "$T/other.pem" -days 30 \
	-subj "/CN=Other CA" -addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1
check_fails "install refuses a certificate for another key" "other.pem.*not the key" "$FS" install --dir D --cert other.pem --root root.pem
check_fails "install refuses a chain to another root" "does not verify" "$FS" install --dir D --cert inter.pem --root other.pem

# the ledger has one live row per issued device
check "ledger export lists the issued devices" sh -c "'$FS' ledger export --dir D --format csv > '$T/l.csv' && head -1 '$T/l.csv' | grep -qx '\"id\",\"serial\",\"sha256\",\"not_after\"' && grep -qi '^\"dev-0001\",\"$serial\",' '$T/l.csv' && [ \$(wc -l < '$T/l.csv') = 4 ]"
check "ledger verify" "$FS" ledger verify --dir D
check "reissue (a new key) replaces the certificate" "$FS" sign --dir D --csr csr/dev-0001-rekey.csr --reissue --out-dir out --pass-file "$PASS"
check "  ... with a new serial" sh -c "[ \"\$(openssl x509 -in out/dev-0001.cert.pem -noout -serial | cut -d= -f2)\" != '$serial' ]"
check "  ... and one live row" sh -c "[ \$('$FS' ledger export --dir D --format csv | grep -c '^\"dev-0001\",') = 1 ]"
done_testing

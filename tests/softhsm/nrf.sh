#!/bin/sh
# nRF91: factorysign attest | keygen on Nordic's public vectors and on
# responses built here around fresh CSRs (tests/nrf-resp); every refusal
# names its line, writes nothing and makes the exit status non-zero; the
# AT%CMNG script's checksum is the SHA-256 of the text it writes; issued
# certificates verify through the chain (OpenSSL and GnuTLS).
. "$KC_TOP_SRCDIR/tests/lib.sh"

RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
VEC=$KC_TOP_SRCDIR/tests/fixtures/nrf
VUUID=50363154-3931-44f0-8022-121b6401627d
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
command -v certtool >/dev/null || bail "certtool missing: install gnutls-bin"

vec() { grep -v '^#' "$VEC/$1" | head -n 1; }
V_CSR=$(vec nRFCloud-utils_test_modem_credentials_parser_KEYGEN_CSR.txt)
V_PUB=$(vec nRFCloud-utils_ADVANCED_md_KEYGEN_pubkey.txt)
V_ATT=$(vec nRFCloud-utils_test_modem_credentials_parser_ATTESTTOKEN.txt)

# --- a factory: root and intermediate made with openssl ---
( umask 077; printf 'factory pass phrase\n' > "$T/pass" )
F=$T/factory
"$FS" init --dir "$F" --subject "/CN=nRF Factory/O=Example" \
	--algorithm ec-p256 --pass-file "$T/pass" >/dev/null 2>&1 ||
	bail "factorysign init failed"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"	# fs_fast_key: PASS is $T/pass
fs_fast_key "$F"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
	-keyout "$T/root.key" -out "$T/root.pem" -days 3650 -subj "/CN=Test Root" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
	bail "root"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$T/inter.ext"
openssl x509 -req -in "$F/intermediate.csr" -CA "$T/root.pem" \
	-CAkey "$T/root.key" -CAcreateserial -days 1000 -sha384 \
	-extfile "$T/inter.ext" -out "$T/inter.pem" 2>/dev/null || bail "inter"
"$FS" install --dir "$F" --cert "$T/inter.pem" --root "$T/root.pem" \
	>/dev/null 2>&1 || bail "factorysign install failed"

# newcsr NAME CN [curve]: a DER CSR in $T/NAME.der
newcsr() {
	openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:${3:-P-256}" \
		-nodes -keyout /dev/null -subj "/CN=$2" -outform DER \
		-out "$T/$1.der" 2>/dev/null
}
U2=11112222-3333-4444-8555-666677778888
U2HEX=11112222333344448555666677778888
newcsr good "$U2"

# --- attest ---
printf '%%KEYGEN: "%s"\r\nOK\r\n\r\n%s\n%%ATTESTTOKEN: "%s"\n' \
	"$V_CSR" "$V_PUB" "$V_ATT" > "$T/vectors.txt"
check "attest: Nordic's vectors" "$FS" attest --input "$T/vectors.txt"
"$FS" attest --input "$T/vectors.txt" > "$T/attest.txt" 2>&1
for want in "vectors.txt:1: %KEYGEN CSR_msg_v1 (message type 9)" \
	"device UUID:     $VUUID" "sec_tag:         17" "sec_tag:         16" \
	"vectors.txt:4: pubkey_msg_v2" "device type:     3" \
	"CSR subject (from the CSR): \"/CN=$VUUID\"" "legacy ecdsa-with-SHA256 NULL" \
	"CSR key:         ec-p256" "public key:      ec-p256" \
	"COSE signature was NOT verified" "digest:          match"; do
	if grep -qF -- "$want" "$T/attest.txt"; then ok "attest shows '$want'"
	else not_ok "attest shows '$want'"; sed 's/^/#   /' "$T/attest.txt"; fi
done
# hashes a person compares in the one form (issue 14 item 9); JSON plain
check "attest: the key's SHA-256 in the one hash form" \
	grep -Eq '^  key SHA-256:     ([0-9a-f]{8} ){7}[0-9a-f]{8}$' "$T/attest.txt"
check "attest: the digest match in the one hash form" \
	grep -Eq '^  digest:          match: SHA-256 of the (CSR|public key) = ([0-9a-f]{8} ){7}[0-9a-f]{8}$' "$T/attest.txt"
check "attest --json parses" sh -c \
	"'$FS' attest --input '$T/vectors.txt' --json | python3 -m json.tool"
"$FS" attest --input "$T/vectors.txt" --json > "$T/a.json"
check "attest --json fields" python3 -c "
import json,sys
a=json.load(open('$T/a.json'))
assert [x['line'] for x in a]==[1,4,5], a
assert all(x['ok'] and x['uuid']=='$VUUID' for x in a)
assert [x['sec_tag'] for x in a]==[17,16,None]
assert [x['message_type'] for x in a]==[9,8,1]
assert a[2]['device_type']==3 and a[0]['digest_match'] is True
assert a[0]['csr_subject']=='/CN=$VUUID' and a[0]['csr_legacy_sigalg'] is True
assert all(len(x['key_sha256'])==64 for x in a if x.get('key_sha256'))
assert not any(x['cose_signature_verified'] for x in a)
"
W="$T/we\"ir\\d$(printf '\377\001').txt"
cp "$T/vectors.txt" "$W"
check "attest --json: an odd file name still gives valid JSON" sh -c \
	"'$FS' attest --input \"\$1\" --json | python3 -m json.tool" sh "$W"
{ echo "$V_CSR" | cut -c1-200; echo "$V_ATT"; } > "$T/attbad.txt"
check_fails "attest: a truncated line fails the run" \
	"attbad.txt:1: no '\\.'" "$FS" attest --input "$T/attbad.txt"
"$FS" attest --input "$T/attbad.txt" --json > "$T/b.json" 2>/dev/null
check "attest --json with a bad line still parses" python3 -c "
import json
a=json.load(open('$T/b.json'))
assert a[0]['ok'] is False and 'no' in a[0]['error'] and a[1]['ok']"
printf '\nOK\n' > "$T/empty.txt"
check_fails "attest: no responses" "no %KEYGEN or %ATTESTTOKEN response" \
	"$FS" attest --input "$T/empty.txt"

# --- keygen: the legacy vector and a fresh CSR, with a CA ---
"$RESP" "$T/good.der" 17 "$U2HEX" wrap > "$T/good.txt"
{ printf '%%KEYGEN: "%s"\r\nOK\r\n\r\n' "$V_CSR"; cat "$T/good.txt"; } \
	> "$T/in1.txt"
mkdir "$T/out1"
check "keygen: two devices" "$FS" keygen --dir "$F" --input "$T/in1.txt" \
	--ca-file "$T/root.pem" --pass-file "$T/pass" --out-dir "$T/out1"
for id in "$VUUID" "$U2"; do
	at=$T/out1/$id.at
	[ -f "$at" ] && ok "$id.at written" || not_ok "$id.at written"
	# CRLF everywhere, the command sequence
	check "$id.at: every line ends in CRLF" python3 -c "
d=open('$at','rb').read()
assert d.count(b'\n')==d.count(b'\r\n') and d.endswith(b'\r\n')
l=d.split(b'\r\n')
assert l[0]==b'AT+CFUN=4' and l[-2]==b'AT+CFUN=1', l[:1]
assert d.count(b'AT%CMNG=0,17,0,\"-----BEGIN CERTIFICATE-----')==1
assert d.count(b'AT%CMNG=0,17,1,\"-----BEGIN CERTIFICATE-----')==1"
	# the checksums are the SHA-256 of the exact text between the quotes
	check "$id.at: checksums match the credential text" python3 -c "
import hashlib,re
d=open('$at','rb').read()
want=[]
for t in (0,1):
    m=re.search(rb'AT%CMNG=0,17,'+str(t).encode()+rb',\"([^\"]*)\"\r\n',d)
    want.append('17,%d,%s' % (t, hashlib.sha256(m.group(1)).hexdigest().upper()))
got=open('$at.sha256').read().split()
assert got==want, (got,want)"
	# the credential is leaf + intermediate and verifies to the root
	python3 -c "
import re
d=open('$at','rb').read()
m=re.search(rb'AT%CMNG=0,17,1,\"([^\"]*)\"',d)
open('$T/cred.pem','wb').write(m.group(1).replace(b'\r\n',b'\n'))"
	openssl x509 -in "$T/cred.pem" -out "$T/leaf.pem" 2>/dev/null
	check "$id: leaf verifies (openssl -x509_strict)" openssl verify \
		-x509_strict -CAfile "$T/root.pem" -untrusted "$T/cred.pem" \
		"$T/leaf.pem"
	cat "$T/cred.pem" "$T/root.pem" > "$T/full.pem"
	check "$id: chain verifies (certtool)" sh -c \
		"certtool --verify-chain --infile '$T/full.pem' >/dev/null"
	check "$id: CN is the device ID" sh -c "openssl x509 -in '$T/leaf.pem' \
		-noout -subject | grep -q 'CN *= *$id'"
done
check "keygen: the same file again is a rerun: already issued, exit 0" \
	sh -c "'$FS' keygen --dir '$F' --input '$T/in1.txt' --ca-file \
	'$T/root.pem' --pass-file '$T/pass' --out-dir '$T/out1' 2>&1 |
	grep -q '0 issued, 2 already issued, 0 repaired, 0 failed, of 2'"
cp "$T/out1/$U2.at" "$T/u2.at.saved"
rm "$T/out1/$U2.at"
check "keygen --resume after an interruption" "$FS" keygen --dir "$F" \
	--input "$T/in1.txt" --ca-file "$T/root.pem" --pass-file "$T/pass" \
	--out-dir "$T/out1" --resume
check "  ... wrote the same script again" cmp "$T/u2.at.saved" \
	"$T/out1/$U2.at"
check "keygen: ledger has both" sh -c "'$FS' ledger export --dir '$F' \
	--format csv | grep -c -e '$VUUID' -e '$U2' | grep -qx 2"

# --- keygen: every bad line refused on its own, the good one issued ---
U3=aaaa0000-1111-4222-8333-444455556666
newcsr g3 "$U3"
newcsr p521 "cccc0000-1111-4222-8333-444455556666" P-521
newcsr other "$U3"
{
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 | cut -c1-150
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 | sed 's/^M/M*/'
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 | tr -d .
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 digest-bad
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 tag=17
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 elems=5
	echo "$V_PUB"
	"$RESP" "$T/g3.der" 2147483648 aaaa0000111142228333444455556666
	"$RESP" "$T/p521.der" 17 cccc0000111142228333444455556666
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666
	"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 plelems=4
	"$RESP" "$T/other.der" 17 aaaa0000111142228333444455556666
} > "$T/in2.txt"
# a flipped character in the CSR part, and in the COSE digest
"$RESP" "$T/g3.der" 17 aaaa0000111142228333444455556666 > "$T/g3.txt"
python3 -c "
import sys
l=open('$T/g3.txt').read().strip()
a,b=l.split('.')
def flip(s,i): return s[:i]+('A' if s[i]!='A' else 'B')+s[i+1:]
print(flip(a,100)+'.'+b)
print(a+'.'+flip(b,60))
" > "$T/flip.txt"
check_fails "attest: a flipped character in the CSR part" \
	"flip.txt:1: digest mismatch" "$FS" attest --input "$T/flip.txt"
check_fails "attest: a flipped character in the COSE digest" \
	"flip.txt:2: digest mismatch" "$FS" attest --input "$T/flip.txt"
mkdir "$T/out2"
"$FS" keygen --dir "$F" --input "$T/in2.txt" --pass-file "$T/pass" \
	--out-dir "$T/out2" > "$T/k2.out" 2> "$T/k2.err"
rc=$?
[ $rc -eq 1 ] && ok "keygen with bad lines exits 1" ||
	not_ok "keygen with bad lines exits $rc"
n=0
for pat in "in2.txt:1: .*(truncated|impossible length|not valid CBOR)" \
	"in2.txt:2: bad base64url in the first part" \
	"in2.txt:3: no '\\.'" \
	"in2.txt:4: digest mismatch" \
	"in2.txt:5: COSE part has CBOR tag 17, expected 18" \
	"in2.txt:6: COSE_Sign1 array has 5 elements, expected 4" \
	"in2.txt:7: a public-key response" \
	"in2.txt:8: sec_tag 2147483648 outside 0\\.\\.2147483647" \
	"in2.txt:9: .*(key|curve)" \
	"in2.txt:11: COSE payload array has 4 elements" \
	"in2.txt:12: device $U3 already on line 10"; do
	n=$((n + 1))
	if grep -Eq -- "$pat" "$T/k2.err"; then ok "refusal $n: /$pat/"
	else not_ok "refusal $n: /$pat/"; sed 's/^/#   /' "$T/k2.err"; fi
done
check "one line per refusal, then the summary" sh -c \
	"[ \$(grep -c 'in2.txt:' '$T/k2.err') -eq 11 ] &&
	 grep -q '1 issued, 0 already issued, 0 repaired, 11 failed, of 12 responses' '$T/k2.err'"
check "only the good device was written" sh -c \
	"[ \"\$(ls '$T/out2' | sort | tr '\n' ' ')\" = \
	 '$U3.at $U3.at.sha256 $U3.cert.pem $U3.chain.pem $U3.full-chain.pem ' ]"
check "the COSE signature is said to be unverified" \
	grep -q "NOT verified" "$T/k2.err"

# --- keygen: --id, --sec-tag, options ---
newcsr g4 "dev-0004"
"$RESP" "$T/g4.der" 17 bbbb0000111142228333444455556666 > "$T/in4.txt"
mkdir "$T/out4"
check_fails "keygen: CN mismatch with --id" \
	"in4.txt:1: --id 'dev-0005' does not match the CSR's CN 'dev-0004'" \
	"$FS" keygen --dir "$F" --input "$T/in4.txt" --id dev-0005 \
	--pass-file "$T/pass" --out-dir "$T/out4"
check_fails "keygen: --sec-tag other than the key's" \
	"in4.txt:1: the key was generated in sec_tag 17, not --sec-tag 16" \
	"$FS" keygen --dir "$F" --input "$T/in4.txt" --sec-tag 16 \
	--pass-file "$T/pass" --out-dir "$T/out4"
check_fails "keygen: --sec-tag out of range" "2147483648.*0 to 2147483647" \
	"$FS" keygen --dir "$F" --input "$T/in4.txt" --sec-tag 2147483648 \
	--pass-file "$T/pass" --out-dir "$T/out4"
check_fails "keygen: --ca-file not a certificate" "in4.txt.*not a PEM file" \
	"$FS" keygen --dir "$F" --input "$T/in4.txt" --ca-file "$T/in4.txt" \
	--pass-file "$T/pass" --out-dir "$T/out4"
check_fails "keygen: --ca-file holding a leaf" "is not a CA certificate" \
	"$FS" keygen --dir "$F" --input "$T/in4.txt" --ca-file "$T/leaf.pem" \
	--pass-file "$T/pass" --out-dir "$T/out4"
check "nothing written by refused runs" sh -c "[ -z \"\$(ls '$T/out4')\" ]"
check "keygen: --id matching, --sec-tag matching, no CA" "$FS" keygen \
	--dir "$F" --input "$T/in4.txt" --id dev-0004 --sec-tag 17 --days 30 \
	--pass-file "$T/pass" --out-dir "$T/out4"
check "no CA: one credential, one checksum" sh -c \
	"! grep -q 'AT%CMNG=0,17,0,' '$T/out4/dev-0004.at' &&
	 [ \$(wc -l < '$T/out4/dev-0004.at.sha256') -eq 1 ]"
check "keygen: the same device again: already issued (exit 0)" sh -c \
	"'$FS' keygen --dir '$F' --input '$T/in4.txt' --sec-tag 17 \
	--pass-file '$T/pass' --out-dir '$T/out4' 2>&1 | grep -q \
	'dev-0004: already issued'"
mkdir "$T/out5"
check "keygen: a device already in the ledger, another --out-dir: already issued" \
	sh -c "'$FS' keygen --dir '$F' --input '$T/in4.txt' --sec-tag 17 \
	--pass-file '$T/pass' --out-dir '$T/out5' 2>&1 | grep -q \
	'dev-0004: already issued'"
check "nothing written for it" sh -c "[ -z \"\$(ls '$T/out5')\" ]"

# --- Nordic's installer test strings: a UUID CN and an IMEI-based CN ---
mkdir "$T/out6"
check "keygen: Nordic's installer responses (sec_tag 52, IMEI CN)" \
	"$FS" keygen --dir "$F" --pass-file "$T/pass" --out-dir "$T/out6" \
	--input "$VEC/nRFCloud-utils_test_device_credentials_installer_KEYGEN.txt"
check "  ... nrf-355025930000000.at writes sec_tag 52" grep -q \
	'AT%CMNG=0,52,1,"-----BEGIN CERTIFICATE-----' \
	"$T/out6/nrf-355025930000000.at"
check "  ... and the UUID-named one" test -s \
	"$T/out6/50363953-3234-4723-80b9-1503d88271bf.at.sha256"

# --- nRF Cloud onboarding CSV ---
check "ledger export --format nrfcloud" sh -c "'$FS' ledger export \
	--dir '$F' --format nrfcloud > '$T/cloud.csv'"
check "nrfcloud rows: no header, 5 fields, default fw_types, the certs" \
	python3 -c "
import csv,subprocess
rows=list(csv.reader(open('$T/cloud.csv',newline='')))
ids=[r[0] for r in rows]
assert ids==['$VUUID','$U2','$U3','dev-0004',
    '50363953-3234-4723-80b9-1503d88271bf','nrf-355025930000000'], ids
for r in rows:
    assert len(r)==5 and r[1]=='' and r[2]=='' and r[3]=='APP|MODEM', r[:4]
    assert r[4].startswith('-----BEGIN CERTIFICATE-----\n')
    assert r[4].endswith('-----END CERTIFICATE-----\n')
    open('$T/c.pem','w').write(r[4])
    subj=subprocess.run(['openssl','x509','-in','$T/c.pem','-noout','-subject'],
        capture_output=True,text=True,check=True).stdout
    assert r[0] in subj, subj
    subprocess.run(['openssl','verify','-x509_strict','-CAfile','$T/root.pem',
        '-untrusted','$T/inter.pem','$T/c.pem'],check=True,capture_output=True)
"
check "nrfcloud: --subtype, --tags, --fw-types, --out" "$FS" ledger export \
	--dir "$F" --format nrfcloud --subtype gw --tags "line-3|batch-7" \
	--fw-types APP --out "$T/cloud2.csv"
check "nrfcloud: the options are in the rows" sh -c \
	"head -n 1 '$T/cloud2.csv' | grep -qx '\"$VUUID\",\"gw\",\"line-3|batch-7\",\"APP\",\"-----BEGIN CERTIFICATE-----'"
check_fails "nrfcloud: --out exists" "cloud2.csv.*exists" "$FS" ledger export \
	--dir "$F" --format nrfcloud --out "$T/cloud2.csv"
check_fails "nrfcloud: a comma in --tags" "tags \"a,b\" holds a character" \
	"$FS" ledger export --dir "$F" --format nrfcloud --tags "a,b" \
	--out "$T/cloud3.csv"
check "  ... nothing written" test ! -e "$T/cloud3.csv"
check_fails "csv format refuses --tags" "go with --format nrfcloud" \
	"$FS" ledger export --dir "$F" --format csv --tags x
# more than 1000 devices: files of 1000 rows
mkdir "$T/many"
check "issue 1000 more devices" sh -c "'$FS' issue --dir '$F' --count 1000 \
	--prefix n- --plain-keys --pass-file '$T/pass' --out-dir '$T/many' \
	>/dev/null 2>&1"
check_fails "nrfcloud: over 1000 rows need --out" "1006 devices.*--out" \
	"$FS" ledger export --dir "$F" --format nrfcloud
check "nrfcloud: 1006 devices in two files" "$FS" ledger export --dir "$F" \
	--format nrfcloud --out "$T/onboard.csv"
check "  ... onboard-1.csv has 1000 rows, onboard-2.csv 6" python3 -c "
import csv,os
a=list(csv.reader(open('$T/onboard-1.csv',newline='')))
b=list(csv.reader(open('$T/onboard-2.csv',newline='')))
assert len(a)==1000 and len(b)==6, (len(a),len(b))
assert not os.path.exists('$T/onboard.csv')
assert len(set(r[0] for r in a+b))==1006"

done_testing

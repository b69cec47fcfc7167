#!/bin/sh
# factorysign issue (keys made here) and the output formats: PKCS#12 opens
# with openssl pkcs12 (AES-256, PBKDF2); the C literals compile and print
# back identical; the AT%CMNG script has CRLF line ends; key files 0600 and
# encrypted unless --plain-keys. verification: a DPS proof-of-possession
# certificate signed by the intermediate.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
( umask 077; printf 'pfx password\n' > pfxpass; printf 'key passphrase\n' > keypass )

check "issue --count 3 --prefix with all formats" \
	"$FS" issue --dir D --count 3 --prefix dev- --out-dir out --format pem,pfx,c,at --sec-tag 42 \
	--plain-keys --pfx-pass-file pfxpass --pass-file "$PASS"
for f in cert.pem chain.pem full-chain.pem key.pem pfx c at; do
	check "out/dev-0002.$f written" test -s "out/dev-0002.$f"
done
check "key file is 0600" test "$(stat -c %a out/dev-0002.key.pem)" = 600
check "pfx file is 0600" test "$(stat -c %a out/dev-0002.pfx)" = 600
check "c file with a key is 0600" test "$(stat -c %a out/dev-0002.c)" = 600
check "key matches the certificate" sh -c "[ \"\$(openssl x509 -in out/dev-0002.cert.pem -noout -pubkey)\" = \"\$(openssl pkey -in out/dev-0002.key.pem -pubout)\" ]"
check "chain verifies" openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted out/dev-0002.chain.pem out/dev-0002.cert.pem

# PKCS#12
check "PKCS#12 opens with openssl pkcs12" sh -c "openssl pkcs12 -in out/dev-0002.pfx -passin file:pfxpass -nodes -out '$T/p12.pem' 2>/dev/null"
check "  ... holds the key, the leaf and the intermediate" sh -c "grep -c 'BEGIN CERTIFICATE' '$T/p12.pem' | grep -qx 2 && grep -q 'BEGIN PRIVATE KEY' '$T/p12.pem'"
openssl pkcs12 -in out/dev-0002.pfx -passin file:pfxpass -info -noout > "$T/p12.info" 2>&1
check "  ... encrypted with AES-256-CBC under PBKDF2" sh -c "grep -q 'PBES2, PBKDF2, AES-256-CBC' '$T/p12.info'"
check "  ... MAC with SHA-256" grep -q "MAC: sha256" "$T/p12.info"
check_fails "  ... and refuses a wrong password" "." sh -c "printf 'nope\n' > '$T/nope'; openssl pkcs12 -in out/dev-0002.pfx -passin file:'$T/nope' -noout"

# C literals: compile and print back identical
cat > "$T/show.c" <<'C'
#include <stdio.h>
#include <string.h>
#include DEVICE_C
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "key") == 0)
		fputs(PRIVATE_KEY, stdout);
	else if (argc > 1 && strcmp(argv[1], "cn") == 0)
		puts(COMMON_NAME);
	else
		fputs(CERTIFICATE, stdout);
	return 0;
}
C
check "the c output compiles (-Wall -Werror)" ${CC:-cc} -std=c99 -Wall -Wextra -Werror -Wno-unused-variable \
	-DDEVICE_C="\"$T/out/dev-0002.c\"" -o "$T/show" "$T/show.c"
check "  ... CERTIFICATE prints back the chain identical" sh -c "'$T/show' | cmp -s - out/dev-0002.chain.pem"
check "  ... PRIVATE_KEY prints back the key identical" sh -c "'$T/show' key | cmp -s - out/dev-0002.key.pem"
check "  ... COMMON_NAME is the ID" sh -c "[ \"\$('$T/show' cn)\" = dev-0002 ]"

# AT%CMNG script
check "the at output has CRLF line ends only" python3 -c "import sys; d = open(sys.argv[1], 'rb').read(); sys.exit(not (d.endswith(b'\\r\\n') and d.count(b'\\n') == d.count(b'\\r\\n') > 5))" out/dev-0002.at
check "  ... writes the chain to sec tag 42 as client certificate" grep -q '^AT%CMNG=0,42,1,"-----BEGIN CERTIFICATE-----' out/dev-0002.at
check "  ... and the key as type 2" grep -q '^AT%CMNG=0,42,2,"-----BEGIN PRIVATE KEY-----' out/dev-0002.at
check "  ... with the modem offline first" sh -c "head -1 out/dev-0002.at | grep -q '^AT+CFUN=4'"
python3 - "$T/out/dev-0002.at" "$T/at-chain.pem" <<'PY'
import sys
t = open(sys.argv[1], 'rb').read().decode()
start = t.index('AT%CMNG=0,42,1,"') + len('AT%CMNG=0,42,1,"')
end = t.index('"', start)
# the text ends in CRLF inside the quotes, as the modem stores it
open(sys.argv[2], 'w').write(t[start:end].replace('\r\n', '\n'))
PY
check "  ... the certificate text in it is the chain" cmp -s "$T/at-chain.pem" out/dev-0002.chain.pem

# encrypted keys by default
mkdir enc
check "issue --ids with encrypted keys" "$FS" issue --dir D --ids /dev/stdin --out-dir enc --key-pass-file keypass --pass-file "$PASS" <<IDS
# a comment
sensor-a

sensor-b
IDS
check "key is encrypted PKCS#8" grep -q "BEGIN ENCRYPTED PRIVATE KEY" enc/sensor-a.key.pem
check "  ... 0600" test "$(stat -c %a enc/sensor-a.key.pem)" = 600
check "  ... opens with the passphrase" openssl pkey -in enc/sensor-a.key.pem -passin file:keypass -noout
check "  ... PBKDF2 + AES-256" sh -c "openssl asn1parse -in enc/sensor-a.key.pem | grep -q PBKDF2 && openssl asn1parse -in enc/sensor-a.key.pem | grep -q aes-256-cbc"
check "both IDs issued" test -s enc/sensor-b.chain.pem
mkdir bad
check_fails "--format c without --plain-keys is refused" "plain-keys" \
	"$FS" issue --dir D --count 1 --prefix x- --out-dir bad --format c --key-pass-file keypass --pass-file "$PASS"
check "  ... nothing written" nothing_in bad
check_fails "an invalid ID in --ids is reported" "bad id.*registration ID" \
	sh -c "printf 'bad id\n' | '$FS' issue --dir D --ids /dev/stdin --out-dir bad --plain-keys --pass-file '$PASS'"
check "  ... nothing written" nothing_in bad
check "an ID issued before is a rerun: already issued, exit 0" sh -c \
	"'$FS' issue --dir D --count 1 --prefix dev- --out-dir bad --plain-keys --pass-file '$PASS' | grep -q 'dev-0001: already issued'"
check "  ... nothing written" nothing_in bad
check_fails "unknown format" "unknown format 'zip'" "$FS" sign --dir D --csr x --format pem,zip --out-dir bad --pass-file "$PASS"

# sign with c and at: the chain only
mkcsr dev-c
check "sign --format c,at --sec-tag 7" "$FS" sign --dir D --csr csr/dev-c.csr --format c,at --sec-tag 7 --out-dir out --pass-file "$PASS"
check "  ... no key in the c file" sh -c "! grep -q PRIVATE_KEY out/dev-c.c"
check "  ... no key in the at file" sh -c "! grep -q 'AT%CMNG=0,7,2' out/dev-c.at && grep -q 'AT%CMNG=0,7,1' out/dev-c.at"

# verification (DPS proof of possession)
check "verification --code" "$FS" verification --dir D --code 1A2B3C4D5E6F7A8B --out v.pem --pass-file "$PASS"
check "  ... subject CN is the code" sh -c "openssl x509 -in v.pem -noout -subject | grep -q 'CN = 1A2B3C4D5E6F7A8B'"
check "  ... signed by the intermediate" openssl verify -partial_chain -CAfile inter.pem v.pem
check "  ... chains to the root" openssl verify -CAfile root.pem -untrusted inter.pem v.pem
check "  ... is not a CA" sh -c "openssl x509 -in v.pem -noout -ext basicConstraints | grep -q CA:FALSE"
check_fails "verification refuses an existing output" "v.pem already exists" \
	"$FS" verification --dir D --code 1A2B --out v.pem --pass-file "$PASS"
check_fails "verification refuses a bad code" "verification code" \
	"$FS" verification --dir D --code 'a b' --out v2.pem --pass-file "$PASS"
check "  ... nothing written" test ! -e v2.pem
done_testing

#!/bin/sh
# Issue 14 item 18: device keys made by `issue` for mbedTLS 2.28. The
# default stays PKCS#8 PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, which
# mbedTLS 2.28 cannot decrypt (checked here with mbedTLS 2.28 itself:
# tests/first-use/mbedkey); --key-format mbedtls2 writes PBES2 with
# PBKDF2-HMAC-SHA256 and DES-EDE3-CBC, the strongest it reads, with a
# warning that 3DES is weaker; mbedTLS 2.28 and OpenSSL both read it with
# the passphrase and refuse a wrong one. The option goes only with keys made
# here and encrypted: refused otherwise, before any passphrase is asked.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
MBED=$KC_TOP_BUILDDIR/tests/first-use/mbedkey
PTY="python3 $KC_TOP_SRCDIR/tests/first-use/pty-run.py"
[ -x "$MBED" ] || bail "tests/first-use/mbedkey not built (libmbedtls-dev: scripts/install-deps)"
fs_setup
umask 022
( umask 077; printf 'device key words\n' > keypass; printf 'other key words\n' > wrongpass )
printf 'dev-m1\ndev-m2\n' > ids-m
printf 'dev-d1\n' > ids-d

# --- the default, unchanged: AES-256-CBC, which mbedTLS 2.28 refuses ---
check "issue (default key format)" "$FS" issue --dir D --ids ids-d --key-pass-file keypass --out-dir d --pass-file "$PASS"
openssl asn1parse -in d/dev-d1.key.pem > d.asn1 2>&1
check "  ... PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC" sh -c \
	"grep -q PBES2 d.asn1 && grep -q PBKDF2 d.asn1 && grep -q hmacWithSHA256 d.asn1 && grep -q aes-256-cbc d.asn1"
check "  ... OpenSSL reads it with the passphrase" openssl pkey -in d/dev-d1.key.pem -passin file:keypass -noout
check_fails "  ... mbedTLS 2.28 cannot read it (the reason for item 18)" "^error -0x2e80 PKCS5 - Requested encryption or digest alg not available" "$MBED" d/dev-d1.key.pem keypass

# --- --key-format mbedtls2 ---
"$FS" issue --dir D --ids ids-m --key-format mbedtls2 --key-pass-file keypass --out-dir m --pass-file "$PASS" \
	> m.out 2> m.err
check "issue --key-format mbedtls2" test $? -eq 0 -a -s m/dev-m1.key.pem -a -s m/dev-m2.key.pem
check "  ... warns that 3DES is weaker than the default" \
	grep -q "warning: --key-format mbedtls2 encrypts the device keys with 3DES (DES-EDE3-CBC, 112-bit strength).*weaker than the default AES-256-CBC" m.err
check "  ... the summary names the format" grep -q "encrypted (PKCS#8, 3DES, PBKDF2-HMAC-SHA256: --key-format mbedtls2)" m.out
openssl asn1parse -in m/dev-m1.key.pem > m.asn1 2>&1
check "  ... PBES2, PBKDF2 with HMAC-SHA256, DES-EDE3-CBC" sh -c \
	"grep -q PBES2 m.asn1 && grep -q PBKDF2 m.asn1 && grep -q hmacWithSHA256 m.asn1 && grep -q des-ede3-cbc m.asn1 && ! grep -q aes m.asn1"
check "  ... 100000 PBKDF2 iterations, as the default" sh -c "grep -q 'INTEGER *:0186A0' m.asn1"
check "  ... the key file is 0600" test "$(stat -c %a m/dev-m1.key.pem)" = 600
check "  ... mbedTLS 2.28 reads it with the passphrase" sh -c "'$MBED' m/dev-m1.key.pem keypass | grep -q '^ok EC (mbedTLS 2\\.28'"
check "  ... and the second device's" "$MBED" m/dev-m2.key.pem keypass
check_fails "  ... mbedTLS refuses a wrong passphrase" "^error -0x" "$MBED" m/dev-m1.key.pem wrongpass
check "  ... OpenSSL reads it too" openssl pkey -in m/dev-m1.key.pem -passin file:keypass -noout
check "  ... it is the certificate's key" sh -c \
	"[ \"\$(openssl x509 -in m/dev-m1.cert.pem -noout -pubkey)\" = \"\$(openssl pkey -in m/dev-m1.key.pem -passin file:keypass -pubout)\" ]"
check "  ... factorysign check opens it with the passphrase" "$FS" check --cert m/dev-m1.chain.pem \
	--key m/dev-m1.key.pem --key-pass-file keypass --root root.pem
check "--key-format default is the default" sh -c "printf 'dev-d2\\n' | '$FS' issue --dir D --ids /dev/stdin --key-format default --key-pass-file keypass --out-dir d --pass-file '$PASS' >/dev/null && openssl asn1parse -in d/dev-d2.key.pem | grep -q aes-256-cbc"

# --- refusals, before any passphrase; nothing written ---
mkdir r
check_fails "--key-format mbedtls2 with --plain-keys: refused" \
	"--key-format sets how the device keys made here \\(factorysign issue\\) are encrypted; it does not go with --plain-keys" \
	$PTY -- "$FS" issue --dir D --ids ids-m --key-format mbedtls2 --plain-keys --out-dir r
cp "$T/.out" said
check "  ... no passphrase asked" sh -c "! grep -qi 'passphrase' said"
check "  ... nothing written" nothing_in r
for bad in mbedtls aes des 3des "" MBEDTLS2 "mbedtls2 "; do
	check_fails "--key-format '$bad': refused, naming the choices" "--key-format '.*': use default .* or mbedtls2" \
		"$FS" issue --dir D --ids ids-m --key-format "$bad" --key-pass-file keypass --out-dir r --pass-file "$PASS"
done
check "  ... nothing written" nothing_in r
for cmd in sign batch keygen; do
	check_fails "$cmd --key-format: not an option of $cmd (keys made on the device)" "unknown option '--key-format'" \
		"$FS" "$cmd" --key-format mbedtls2 --dir D --out-dir r
done
done_testing

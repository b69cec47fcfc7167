#!/bin/sh
# Issue 14 item 14 (first part): `sign --format pfx`, in the README, works
# when the device's own key is given (--key, in clear or encrypted with
# --key-pass-file or a typed passphrase) and is the CSR's key: the PKCS#12
# file opens with openssl, holds that key, the leaf and the intermediate.
# Without --key, with another device's key or with --key but no pfx it is
# refused before any passphrase is asked, writing and recording nothing.
# `issue --format c` (or at) without --plain-keys is refused before any
# passphrase is asked (on a terminal: no prompt at all).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
PTY="python3 $KC_TOP_SRCDIR/tests/first-use/pty-run.py"
fs_setup
umask 022
( umask 077; printf 'pfx password 42\n' > pfxpass; printf 'device key words\n' > keypass )
mkcsr dev-p1; mkcsr dev-p2; mkcsr dev-p3; mkcsr dev-p4

# --- positive: a clear key ---
check "sign --format pem,pfx --key (clear PEM)" "$FS" sign --dir D --csr csr/dev-p1.csr --format pem,pfx \
	--key keys/dev-p1.key --pfx-pass-file pfxpass --out-dir o --pass-file "$PASS"
check "  ... dev-p1.pfx is 0600" test "$(stat -c %a o/dev-p1.pfx)" = 600
check "  ... opens with openssl pkcs12 and the password" sh -c \
	"openssl pkcs12 -in o/dev-p1.pfx -passin file:pfxpass -nodes -out '$T/p1.pem' 2>/dev/null"
check "  ... holds the leaf and the intermediate" sh -c "[ \$(grep -c 'BEGIN CERTIFICATE' '$T/p1.pem') = 2 ]"
check "  ... its key is the device's key" sh -c \
	"[ \"\$(openssl pkey -in '$T/p1.pem' -pubout)\" = \"\$(openssl pkey -in keys/dev-p1.key -pubout)\" ]"
check "  ... its leaf is the issued certificate" sh -c \
	"[ \"\$(openssl x509 -in '$T/p1.pem' -noout -fingerprint -sha256)\" = \"\$(openssl x509 -in o/dev-p1.cert.pem -noout -fingerprint -sha256)\" ]"
check "  ... AES-256-CBC under PBKDF2, MAC SHA-256" sh -c \
	"openssl pkcs12 -in o/dev-p1.pfx -passin file:pfxpass -info -noout 2>&1 | grep -q 'PBES2, PBKDF2, AES-256-CBC'"
check "  ... the chain verifies to the root" openssl verify -CAfile root.pem -untrusted o/dev-p1.chain.pem o/dev-p1.cert.pem

# --- positive: an encrypted key, from a file and typed ---
openssl pkcs8 -topk8 -in keys/dev-p2.key -v2 aes-256-cbc -passout file:keypass -out keys/dev-p2.enc.pem 2>/dev/null ||
	bail "encrypt key"
check "sign --format pfx --key (encrypted) --key-pass-file" "$FS" sign --dir D --csr csr/dev-p2.csr --format pfx \
	--key keys/dev-p2.enc.pem --key-pass-file keypass --pfx-pass-file pfxpass --out-dir o --pass-file "$PASS"
check "  ... the pfx holds that key" sh -c \
	"openssl pkcs12 -in o/dev-p2.pfx -passin file:pfxpass -nodes 2>/dev/null | openssl pkey -pubout | cmp -s - \"\$(openssl pkey -in keys/dev-p2.key -pubout > '$T/p2.pub'; echo '$T/p2.pub')\""
openssl pkcs8 -topk8 -in keys/dev-p3.key -v2 aes-256-cbc -passout file:keypass -out keys/dev-p3.enc.pem 2>/dev/null ||
	bail "encrypt key"
$PTY -a "device key words" -- "$FS" sign --dir D --csr csr/dev-p3.csr --format pfx --key keys/dev-p3.enc.pem \
	--pfx-pass-file pfxpass --out-dir o --pass-file "$PASS" > p3.tty 2>&1
check "an encrypted key without --key-pass-file: asked for on the terminal, issued" test -s o/dev-p3.pfx
check "  ... the prompt names the key file" grep -q "^device key passphrase for keys/dev-p3.enc.pem: " p3.tty

# --- refusals, before any passphrase, nothing written or recorded ---
mkdir r
check_fails "sign --format pfx without --key: refused, saying what is needed" \
	"--format pfx needs the device's private key: give it with --key" \
	$PTY -- "$FS" sign --dir D --csr csr/dev-p4.csr --format pfx --pfx-pass-file pfxpass --out-dir r
cp "$T/.out" "$T/said"
check "  ... no passphrase or password asked" sh -c "! grep -qi 'passphrase\\|password' '$T/said'"
check "  ... nothing written" nothing_in r
check_fails "sign --format pfx with another device's key: refused" \
	"--key keys/dev-p1.key is not the key of the CSR csr/dev-p4.csr \\(their public keys differ\\)" \
	$PTY -- "$FS" sign --dir D --csr csr/dev-p4.csr --format pfx --key keys/dev-p1.key --pfx-pass-file pfxpass --out-dir r
cp "$T/.out" "$T/said"
check "  ... before the intermediate's passphrase was asked" sh -c "! grep -qi 'passphrase\\|password' '$T/said'"
check "  ... nothing written" nothing_in r
printf 'wrong words here\n' > badpass; chmod 600 badpass
check_fails "sign --format pfx with a wrong key passphrase: refused" "wrong passphrase" \
	"$FS" sign --dir D --csr csr/dev-p4.csr --format pfx --key keys/dev-p2.enc.pem --key-pass-file badpass \
	--pfx-pass-file pfxpass --out-dir r --pass-file "$PASS"
check "  ... nothing written" nothing_in r
check_fails "--key without --format pfx: refused" "--key, --key-pass-file and --pfx-pass-file go with --format pfx" \
	"$FS" sign --dir D --csr csr/dev-p4.csr --key keys/dev-p4.key --out-dir r --pass-file "$PASS"
check_fails "--format pfx without a PKCS#12 password and no terminal: refused" "PKCS#12 password" \
	setsid -w "$FS" sign --dir D --csr csr/dev-p4.csr --format pfx --key keys/dev-p4.key --out-dir r --pass-file "$PASS" </dev/null
check "  ... nothing written" nothing_in r
check "nothing of dev-p4 recorded: it is issued now" "$FS" sign --dir D --csr csr/dev-p4.csr --format pfx \
	--key keys/dev-p4.key --pfx-pass-file pfxpass --out-dir r --pass-file "$PASS"

# --- issue --format c / at without --plain-keys: refused before any prompt ---
printf 'dev-i1\n' > ids
for fmt in c at c,pem; do
	mkdir "ri-$fmt"
	check_fails "issue --format $fmt without --plain-keys on a terminal: refused at once" \
		"--format c and at put the device key in clear text into the file; add --plain-keys" \
		$PTY -- "$FS" issue --dir D --ids ids --format "$fmt" --sec-tag 1 --out-dir "ri-$fmt"
	cp "$T/.out" "$T/said"
	check "  ... no passphrase asked (no prompt on the terminal)" sh -c "! grep -qi 'passphrase\\|password' '$T/said'"
	check "  ... nothing written" nothing_in "ri-$fmt"
done
check_fails "issue --format c with --key-pass-file and no --plain-keys: refused too" "add --plain-keys" \
	"$FS" issue --dir D --ids ids --format c --key-pass-file keypass --out-dir ri-c --pass-file "$PASS"
check "issue --format c --plain-keys on a terminal: asks only the intermediate's passphrase" \
	$PTY -a "correct horse battery" -- "$FS" issue --dir D --ids ids --format c --plain-keys --out-dir ri-c
check "  ... and issues" test -s ri-c/dev-i1.c
done_testing

#!/bin/sh
# Issue 12 item 10 (token parts).
#  - A PIN longer than the token's ulMaxPinLen or shorter than its
#    ulMinPinLen is refused BEFORE C_Login (no try spent), the message
#    naming the PIN file, the length and the token's limits: on SoftHSM
#    (4 to 255) and through tests/faults/p11shim.so reporting a real HSM's
#    small limits and counting every C_Login; for the user PIN (token keys,
#    root create, a ceremony run) and the SO PIN (token init: checked before
#    C_InitToken sends it).
#  - The root key pair is made CKA_MODIFIABLE=FALSE (private half also
#    CKA_COPYABLE=FALSE) and read back: pkcs11-tool cannot change it, while
#    it can change a key it made itself; a module that drops MODIFIABLE is
#    caught by the read-back (key destroyed, no certificate); a module that
#    does not know CKA_COPYABLE still gets a root key.
# Every refusal is paired with the same case made right.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "cd"
shim_setup
CER=$KC_TOP_SRCDIR/ceremony
logins() { cat "$T/shim.logins" 2>/dev/null || echo 0; }
nkeys() { p11 --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object'; }
# pinfile NAME LENGTH [CHAR]: a PIN file of LENGTH bytes (mode 0600).
pinfile() { ( umask 077; python3 -c "import sys; sys.stdout.write(sys.argv[2] * int(sys.argv[1]) + '\n')" "$2" "${3:-7}" > "$1" ); }
keys() { "$KC" token keys --token keyceremony-demo --module "$@"; }

# --- SoftHSM: 4 to 255 bytes --------------------------------------------------
for n in 256 300 1000 1024; do
	pinfile "long$n" "$n"
	check_fails "SoftHSM, a $n-byte PIN file: refused before C_Login, naming the file and the limits" \
		"PIN file long$n: the PIN is $n bytes but token 'keyceremony-demo' accepts 4 to 255; nothing was sent to the token" \
		keys "$MODULE" --pin-file "long$n"
	check "  ... the PIN is not echoed" sh -c "! grep -q 7777777777 '$T/.out'"
done
for n in 1 2 3; do
	pinfile "short$n" "$n"
	check_fails "SoftHSM, a $n-byte PIN file: refused (shorter than 4)" \
		"PIN file short$n: the PIN is $n bytes but token 'keyceremony-demo' accepts 4 to 255" \
		keys "$MODULE" --pin-file "short$n"
done
pinfile p255 255
check_fails "SoftHSM, a 255-byte PIN (within the limits): sent, and wrong" "wrong PIN.*CKR_PIN_INCORRECT" \
	keys "$MODULE" --pin-file p255
check "SoftHSM, the right 6-byte PIN: accepted" keys "$MODULE" --pin-file pin

# --- a real HSM's limits through the shim: 4 to 8 (openCryptoki), 6 to 16 ---
export KC_SHIM_MINPIN=4 KC_SHIM_MAXPIN=8
for n in 9 12 32 40 255; do
	pinfile "s$n" "$n"
	rm -f "$T/shim.logins"
	check_fails "shim (4 to 8), a $n-byte PIN: refused" \
		"PIN file s$n: the PIN is $n bytes but token 'keyceremony-demo' accepts 4 to 8; nothing was sent to the token" \
		keys "$SHIM" --pin-file "s$n"
	check "  ... the shim saw no C_Login, no try spent" test "$(logins)" = 0
	check "  ... the wrong-PIN counter is untouched" test ! -s "$T/shim"
done
rm -f "$T/shim.logins"
check "shim (4 to 8), the right 6-byte PIN: accepted with one C_Login" keys "$SHIM" --pin-file pin
check "  ... one C_Login" test "$(logins)" = 1
pinfile s8 8
check_fails "shim (4 to 8), an 8-byte wrong PIN: sent (one C_Login), refused by the token" \
	"wrong PIN.*CKR_PIN_INCORRECT" keys "$SHIM" --pin-file s8
check "  ... exactly one more C_Login" test "$(logins)" = 2
rm -f "$T/shim"
export KC_SHIM_MINPIN=8 KC_SHIM_MAXPIN=16
rm -f "$T/shim.logins"
check_fails "shim (8 to 16), the 6-byte PIN: refused as too short, no C_Login" \
	"PIN file pin: the PIN is 6 bytes but token 'keyceremony-demo' accepts 8 to 16" keys "$SHIM" --pin-file pin
check "  ... no C_Login" test "$(logins)" = 0
export KC_SHIM_MINPIN=4 KC_SHIM_MAXPIN=0
check "shim with ulMaxPinLen 0 (unknown): only the minimum is checked; the PIN works" keys "$SHIM" --pin-file pin
check_fails "  ... a 2-byte PIN: refused as shorter than 4" "accepts at least 4; nothing was sent" \
	keys "$SHIM" --pin-file short2
export KC_SHIM_MINPIN=4 KC_SHIM_MAXPIN=8
# root create (the subcommands' login)
rm -f "$T/shim.logins"
check_fails "root create with a 40-byte PIN file: refused before login, nothing made" \
	"PIN file s40: the PIN is 40 bytes but token 'keyceremony-demo' accepts 4 to 8" \
	"$KC" root create --module "$SHIM" --token keyceremony-demo --pin-file s40 --state st \
	--label r --algorithm ec-p256 --subject /CN=x --days 30 --out r.pem
check "  ... no C_Login, no certificate, no key" sh -c "test ! -e '$T/shim.logins' && test ! -e r.pem && test \"\$(pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key')\" = 0"
# a ceremony run (the engine's login, the site profile's PIN file)
mkdir media
site() {
	cat > "$1" <<EOS
keyceremony-site: 1
name: rehearsal
module: $SHIM
token:
  label: keyceremony-demo
pin-file: $2
state: $3
media: media
network: warn
removable-media: warn
EOS
}
site long.site s40 S1
"$KC" run "$CER/root-ca.yaml" --site long.site --batch > run1.out 2>&1
check "run with the site's 40-byte PIN file: exit 1" test $? = 1
check "  ... the message names the PIN file and the limits" \
	grep -q "PIN file s40: the PIN is 40 bytes but token 'keyceremony-demo' accepts 4 to 8; nothing was sent to the token" run1.out
check "  ... no C_Login, no root" sh -c "test ! -e '$T/shim.logins' && test ! -e S1/root.pem"
tr=$(ls S1/transcripts/*.log)
check "  ... the transcript records the refused login and the token's PIN length" sh -c \
	"grep -q 'login result=failed detail=\"PIN file s40: the PIN is 40 bytes' '$tr' && grep -q 'pin-length=4-8 ' '$tr'"
check "  ... no PIN byte in the transcript or on the terminal" sh -c "! grep -q 77777 '$tr' run1.out"
site good.site pin S2
check "the same run with the 6-byte PIN file completes" "$KC" run "$CER/root-ca.yaml" --site good.site --batch
check "  ... one C_Login" test "$(logins)" = 1
unset KC_SHIM_MINPIN KC_SHIM_MAXPIN

# --- the SO PIN: token init ---------------------------------------------------
pinfile so300 300
pinfile up6 6 1
check_fails "token init, a 300-byte SO PIN: refused before C_InitToken, naming the file" \
	"SO PIN file so300: the SO PIN is 300 bytes but the token in slot [0-9]+ accepts 4 to 255; nothing was sent to the token" \
	"$KC" token init --module "$SHIM" --label fresh --so-pin-file so300 --pin-file up6
check "  ... no C_InitToken, no SO login, no token" sh -c \
	"test ! -e '$T/shim.inittoken' && test ! -e '$T/shim.so-logins' && ! softhsm2-util --show-slots | grep -q 'Label: *fresh'"
check_fails "token init, a 256-byte user PIN: refused before the SO PIN is sent" \
	"user PIN file long256: the user PIN is 256 bytes but the token in slot [0-9]+ accepts 4 to 255" \
	"$KC" token init --module "$SHIM" --label fresh --so-pin-file "$T/sopin" --pin-file long256
check "  ... no C_InitToken, no SO login" sh -c "test ! -e '$T/shim.inittoken' && test ! -e '$T/shim.so-logins'"
export KC_SHIM_MINPIN=6 KC_SHIM_MAXPIN=8
check_fails "token init on a token accepting 6 to 8, a 3-byte SO PIN: refused" \
	"SO PIN file short3: the SO PIN is 3 bytes but the token in slot [0-9]+ accepts 6 to 8" \
	"$KC" token init --module "$SHIM" --label fresh --so-pin-file short3 --pin-file up6
check "  ... no C_InitToken" test ! -e "$T/shim.inittoken"
check "token init with an 8-byte SO PIN and a 6-byte user PIN: done" \
	"$KC" token init --module "$SHIM" --label fresh --so-pin-file "$T/sopin" --pin-file up6
check "  ... one C_InitToken, one SO login" sh -c "test \"\$(cat '$T/shim.inittoken')\" = 1 && test \"\$(cat '$T/shim.so-logins')\" = 1"
check "  ... the new token takes its user PIN" "$KC" token keys --token fresh --module "$SHIM" --pin-file up6
unset KC_SHIM_MINPIN KC_SHIM_MAXPIN

# --- CKA_MODIFIABLE / CKA_COPYABLE of the root key ----------------------------
check "root create on SoftHSM" "$KC" root create --module "$MODULE" --token keyceremony-demo --pin-file pin \
	--state st2 --label rk --algorithm ec-p384 --subject /CN=Root --days 30 --out rk.pem
"$KC" token keys --token keyceremony-demo --pin-file pin > keys.out 2>&1
check "  ... token keys reads the root key back: modifiable FALSE, copyable FALSE" \
	sh -c "sed -n \"/^key 'rk'/,/^key /p\" keys.out | grep -q '^  attributes: modifiable FALSE, copyable FALSE\$'"
id=$(sed -n "/^key 'rk'/,/^key /s/^  id: *//p" keys.out)
check_fails "  ... pkcs11-tool cannot change the private key's CKA_ID" "CKR_ACTION_PROHIBITED|error|failed" \
	p11 --token-label keyceremony-demo --login --pin 123456 --type privkey --id "$id" --set-id 0102
check_fails "  ... nor the public key's" "CKR_ACTION_PROHIBITED|error|failed" \
	p11 --token-label keyceremony-demo --login --pin 123456 --type pubkey --id "$id" --set-id 0102
check "  ... both halves still carry their CKA_ID and pass the policy" sh -c \
	"'$KC' token keys --token keyceremony-demo --pin-file pin | sed -n \"/^key 'rk'/,/^key /p\" |
	 grep -q '^  id: *$id\$' && pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'ID: *$id' | grep -qx 2"
p11 --token-label keyceremony-demo --login --pin 123456 --keypairgen --key-type EC:prime256v1 \
	--label plain --id 0a0b > /dev/null 2>&1 || bail "pkcs11-tool --keypairgen failed"
check "a key pkcs11-tool made (modifiable): its CKA_ID can be changed (the positive pair)" \
	p11 --token-label keyceremony-demo --login --pin 123456 --type privkey --id 0a0b --set-id 0c0d
"$KC" token keys --token keyceremony-demo --pin-file pin > keys2.out 2>&1
check "  ... token keys shows it modifiable" sh -c \
	"sed -n \"/^key 'plain'/,/^key /p\" keys2.out | grep -q '^  attributes: modifiable TRUE, copyable TRUE\$'"
# A module that drops CKA_MODIFIABLE from the template: caught by the read-back.
n0=$(nkeys)
check_fails "a module that ignores CKA_MODIFIABLE=FALSE: root create refused by the read-back" \
	"key 'rk2' in token 'keyceremony-demo': CKA_MODIFIABLE is TRUE, must be FALSE; refusing to use it; the new key pair was destroyed" \
	env KC_SHIM_IGNORE_MODIFIABLE=1 "$KC" root create --module "$SHIM" --token keyceremony-demo --pin-file pin \
	--state st3 --label rk2 --algorithm ec-p256 --subject /CN=Root2 --days 30 --out rk2.pem
check "  ... no certificate, no key left" sh -c "test ! -e rk2.pem && test \"\$(pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object')\" = $n0"
check "  ... the same through the shim without the fault: done" "$KC" root create --module "$SHIM" \
	--token keyceremony-demo --pin-file pin --state st3 --label rk2 --algorithm ec-p256 \
	--subject /CN=Root2 --days 30 --out rk2.pem
# A module that does not know CKA_COPYABLE.
check "a module that does not know CKA_COPYABLE: root create still works" \
	env KC_SHIM_NO_COPYABLE=1 "$KC" root create --module "$SHIM" --token keyceremony-demo --pin-file pin \
	--state st4 --label rk3 --algorithm ec-p256 --subject /CN=Root3 --days 30 --out rk3.pem
env KC_SHIM_NO_COPYABLE=1 "$KC" token keys --token keyceremony-demo --module "$SHIM" --pin-file pin > keys3.out 2>&1
check "  ... read back: modifiable FALSE, copyable unknown to the module" sh -c \
	"sed -n \"/^key 'rk3'/,/^key /p\" keys3.out | grep -q '^  attributes: modifiable FALSE, copyable unknown (not known to the module)\$'"
check "  ... the key is CKA_COPYABLE=TRUE (SoftHSM's default: the attribute was left out)" sh -c \
	"\"$KC\" token keys --token keyceremony-demo --pin-file pin | sed -n \"/^key 'rk3'/,/^key /p\" | grep -q 'modifiable FALSE, copyable TRUE'"
check "  ... its certificate verifies" openssl verify -CAfile rk3.pem rk3.pem
done_testing

#!/bin/sh
# Issue 14 item 21: a prompt names what the secret unlocks, on both
# programs. factorysign: "passphrase for intermediate key D/intermediate.key: "
# (sign, batch, issue, keygen, verification), "passphrase for the new
# intermediate key ..." twice at init, "device key passphrase for
# OUT/ID.key.pem: " and "PKCS#12 password for OUT/ID.pfx: " at issue.
# keyceremony: "PIN for token 'LABEL': " (root, intermediate, crl,
# verification, run, token keys), "SO PIN for the new token 'LABEL': " and
# "user PIN for the new token 'LABEL': " (token init, twice each). Driven on a real pseudo terminal (pty-run.py); the typed
# secrets appear nowhere in what the terminal shows. A path with terminal
# escapes is shown escaped in the prompt.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
PTY="python3 $KC_TOP_SRCDIR/tests/first-use/pty-run.py"
fs_setup
umask 022
mkcsr dev-q1; mkcsr dev-q2
P='correct horse battery'

# prompt DESC PATTERN FILE: FILE (a terminal transcript) shows PATTERN as a
# prompt line (grep -E, anchored at a line start)
prompt() { check "$1" grep -Eq -- "^$2" "$3"; }
no_secret() { check "  ... the typed secret is not echoed" sh -c "! grep -qF -- '$1' '$2'"; }

$PTY -a "$P" -- "$FS" sign --dir D --csr csr/dev-q1.csr --out-dir o > sign.tty 2>&1
check "sign on a terminal: issued" test -s o/dev-q1.chain.pem
prompt "  ... asked: passphrase for intermediate key D/intermediate.key" \
	"passphrase for intermediate key D/intermediate\\.key: " sign.tty
no_secret "$P" sign.tty
$PTY -a "$P" -- "$FS" sign --dir "$T/D" --csr csr/dev-q2.csr --out-dir o > sign2.tty 2>&1
prompt "an absolute --dir: the prompt names that path" \
	"passphrase for intermediate key $T/D/intermediate\\.key: " sign2.tty

$PTY -a "new factory words 1" -a "new factory words 1" -- "$FS" init --dir N --subject /CN=New \
	--algorithm ec-p256 > init.tty 2>&1
check "init on a terminal: the key is made" test -s N/intermediate.key
prompt "  ... asked: passphrase for the new intermediate key N/intermediate.key" \
	"passphrase for the new intermediate key N/intermediate\\.key: " init.tty
prompt "  ... and again, naming it too" \
	"passphrase for the new intermediate key N/intermediate\\.key \\(again\\): " init.tty
no_secret "new factory words 1" init.tty

printf 'dev-q3\n' > ids
( umask 077; printf 'pfx password 42\n' > pfxpass )
$PTY -a "device key words" -a "device key words" -a "$P" -- "$FS" issue --dir D --ids ids --format pem,pfx \
	--pfx-pass-file pfxpass --out-dir i > issue.tty 2>&1
check "issue on a terminal: issued" test -s i/dev-q3.key.pem
prompt "  ... asked: device key passphrase for i/ID.key.pem" "device key passphrase for i/ID\\.key\\.pem: " issue.tty
prompt "  ... then the intermediate key's passphrase" "passphrase for intermediate key D/intermediate\\.key: " issue.tty
no_secret "device key words" issue.tty
printf 'dev-q4\n' > ids4
$PTY -a "pfx words 12345" -a "pfx words 12345" -- "$FS" issue --dir D --ids ids4 --format pfx --plain-keys \
	--out-dir i --pass-file "$PASS" > pfx.tty 2>&1
check "issue --format pfx: the PKCS#12 password typed" test -s i/dev-q4.pfx
prompt "  ... asked: PKCS#12 password for i/ID.pfx" "PKCS#12 password for i/ID\\.pfx: " pfx.tty

# a directory name with an escape sequence is shown escaped
ESC=$(printf 'E\033[2Jx')
mkdir "$ESC" && cp -r D/. "$ESC/"
$PTY -a "wrong" -- "$FS" verification --dir "$ESC" --code 1A2B --out v.pem > esc.tty 2>&1
check "a --dir with ESC [2J: the prompt shows it escaped" sh -c "grep -q 'passphrase for intermediate key E' esc.tty && ! grep -q \"\$(printf '\\033')\" esc.tty"

# keyceremony: the PIN prompt names the token
softhsm_setup rootca
$PTY -a 123456 -- "$KC" root create --token rootca --label r1 --algorithm ec-p384 --subject "/CN=Prompt Root" \
	--days 30 --state st1 --out root1.pem > kc.tty 2>&1
check "keyceremony root create on a terminal: made" test -s root1.pem
prompt "  ... asked: PIN for token 'rootca'" "PIN for token 'rootca': " kc.tty
no_secret 123456 kc.tty
$PTY -a 000000 -- "$KC" root create --token rootca --label r2 --algorithm ec-p384 --subject "/CN=Prompt Root 2" \
	--days 30 --state st2 --out root2.pem > kc2.tty 2>&1
check "a wrong PIN typed: refused, the prompt named the token" sh -c \
	"grep -q \"^PIN for token 'rootca': \" kc2.tty && [ ! -e root2.pem ]"
mkdir rs rm
$PTY -a Alice -a Bob -a y -a 000000 -- "$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --module "$MODULE" \
	--token rootca --state rs --media rm > run.tty 2>&1
prompt "keyceremony run on a terminal: asked PIN for token 'rootca'" "PIN for token 'rootca': " run.tty
check "  ... the wrong PIN typed: refused, nothing made" sh -c "grep -q 'wrong PIN' run.tty && [ ! -e rs/root.pem ]"
no_secret 000000 run.tty
$PTY -a 123456 -- "$KC" token keys --token rootca > keys.tty 2>&1
check "keyceremony token keys on a terminal: listed" grep -q "token 'rootca'" keys.tty
prompt "  ... asked: PIN for token 'rootca'" "PIN for token 'rootca': " keys.tty
$PTY -a 87654321 -a 87654321 -a 654321 -a 654321 -- "$KC" token init --label fresh > init2.tty 2>&1
check "keyceremony token init on a terminal: the token is made" grep -q "^initialised token 'fresh'" init2.tty
prompt "  ... asked: SO PIN for the new token 'fresh'" "SO PIN for the new token 'fresh': " init2.tty
prompt "  ... and again" "SO PIN for the new token 'fresh' \\(again\\): " init2.tty
prompt "  ... then: user PIN for the new token 'fresh'" "user PIN for the new token 'fresh': " init2.tty
no_secret 87654321 init2.tty
done_testing

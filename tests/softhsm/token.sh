#!/bin/sh
# keyceremony token list / token init against SoftHSM, and the module and
# PIN-file errors.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test

# --- token list ---------------------------------------------------------
check "token list runs" "$KC" token list
"$KC" token list > "$T/list" 2>&1
check "token list shows the test token" grep -q '^  label: *test$' "$T/list"
check "token list shows the serial" grep -Eq '^  serial: *[0-9a-f]{16}$' "$T/list"
check "token list shows manufacturer and model" \
	sh -c "grep -q '^  manufacturer: *SoftHSM project' '$T/list' && grep -q '^  model: *SoftHSM v2' '$T/list'"
check "token list shows the flags" \
	grep -q '^  flags: *initialized user-pin-set login-required rng$' "$T/list"
check "token list shows the ceremony mechanisms" \
	grep -q '^  mechanisms: *EC-keygen yes, ECDSA yes, RSA-keygen yes, RSA-PKCS yes$' "$T/list"
check "token list shows the free slot" grep -q 'not initialised' "$T/list"
check "--module given explicitly" "$KC" token list --module "$MODULE"
check "token list --help" sh -c '"$KC" token list --help | grep -q -- --module'

# --- token init ---------------------------------------------------------
( umask 077; printf '87654321\n' > "$T/sopin2"; printf '246810\n' > "$T/pin2" )
check "token init a second token" \
	"$KC" token init --label second --so-pin-file "$T/sopin2" --pin-file "$T/pin2" --module "$MODULE"
"$KC" token list > "$T/list2" 2>&1
check "token list shows the new token" grep -q '^  label: *second$' "$T/list2"
check "token list still shows the first token" grep -q '^  label: *test$' "$T/list2"
softhsm2-util --show-slots > "$T/slots" 2>&1
check "softhsm2-util sees the new token" grep -Eq 'Label: *second *$' "$T/slots"
check "the new user PIN works (pkcs11-tool)" \
	pkcs11-tool --module "$MODULE" --token-label second --login --pin 246810 --list-objects
check_fails "the same label again is refused" "a token labelled 'second' already exists" \
	"$KC" token init --label second --so-pin-file "$T/sopin2" --pin-file "$T/pin2"
n=$(softhsm2-util --show-slots | grep -c 'Label: *second *$')
[ "$n" -eq 1 ] && ok "no second token labelled 'second'" || not_ok "duplicate token created ($n)"
check_fails "a label over 32 bytes is refused" "must be 1 to 32 bytes" \
	"$KC" token init --label 0123456789abcdef0123456789abcdefX --so-pin-file "$T/sopin2" --pin-file "$T/pin2"
check_fails "--label is required" "--label is required" \
	"$KC" token init --so-pin-file "$T/sopin2" --pin-file "$T/pin2"
"$KC" token init --bogus > "$T/err" 2>&1; rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown option '--bogus'" "$T/err" && ok "bad option exits 2" || not_ok "bad option exits $rc"
"$KC" token list --module > "$T/err" 2>&1; rc=$?
[ "$rc" -eq 2 ] && grep -q "option '--module' needs a value" "$T/err" && ok "missing option value exits 2" || not_ok "missing option value exits $rc"
check_fails "unexpected argument" "unexpected argument 'extra'" "$KC" token list extra
check "token init --help shows every option" sh -c \
	'"$KC" token init --help > "$T/h" && for o in --label --so-pin-file --pin-file --module --help; do grep -q -- "$o" "$T/h" || exit 1; done'

# PIN files that group or others can read are refused, nothing initialised
cp "$T/pin2" "$T/pin-loose"; chmod 644 "$T/pin-loose"
check_fails "PIN file with mode 0644 refused" "pin-loose is accessible by group or others \\(mode 644\\)" \
	"$KC" token init --label third --so-pin-file "$T/sopin2" --pin-file "$T/pin-loose"
cp "$T/sopin2" "$T/sopin-loose"; chmod 640 "$T/sopin-loose"
check_fails "SO PIN file with mode 0640 refused" "sopin-loose is accessible by group or others" \
	"$KC" token init --label third --so-pin-file "$T/sopin-loose" --pin-file "$T/pin2"
check "no token 'third' was made" sh -c "! softhsm2-util --show-slots | grep -q 'Label: *third'"
check_fails "missing PIN file" "nope" \
	"$KC" token init --label third --so-pin-file "$T/sopin2" --pin-file "$T/nope"
# no terminal and no file: refused, never read from stdin
check_fails "no PIN file and no terminal" "no terminal to ask for the SO PIN" \
	setsid "$KC" token init --label third --pin-file "$T/pin2" </dev/null

# --- modules --------------------------------------------------------------
check_fails "missing module file" "PKCS#11 module $T/none.so: No such file or directory" \
	"$KC" token list --module "$T/none.so"
check_fails "missing module via KEYCEREMONY_MODULE" "PKCS#11 module $T/env.so: No such file" \
	env KEYCEREMONY_MODULE="$T/env.so" "$KC" token list
libz=$(for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
	[ -f "$d/libz.so.1" ] && { echo "$d/libz.so.1"; break; }; done)
[ -n "$libz" ] || bail "libz.so.1 not found"
check_fails "a shared library that is not a PKCS#11 module" \
	"$libz is not a PKCS#11 module \\(it has no C_GetFunctionList\\)" \
	"$KC" token list --module "$libz"
safe_dir	# modules under /tmp ($T) are refused: tests/hostile/token-module.sh
printf 'not an ELF file\n' > "$SAFE/text.so"
check_fails "a file that is no shared library" "PKCS#11 module $SAFE/text.so: cannot be loaded" \
	"$KC" token list --module "$SAFE/text.so"
check_fails "a directory as module" "not a regular file" \
	"$KC" token list --module "$T"
check_fails "token init with a missing module" "No such file" \
	"$KC" token init --label x --so-pin-file "$T/sopin2" --pin-file "$T/pin2" --module "$T/none.so"
# --- token keys: login, wrong PIN, unknown and ambiguous labels ------------
"$KC" token keys --token test --pin-file "$T/pin" > "$T/keys" 2>&1
check "token keys on an empty token" grep -q "^token 'test' (serial [0-9a-f]*): 0 private keys$" "$T/keys"
p11 --token-label test --login --pin 123456 --keypairgen --key-type EC:prime256v1 \
	--label weak --id 01 > /dev/null 2>&1 || bail "pkcs11-tool --keypairgen failed"
"$KC" token keys --token test --pin-file "$T/pin" > "$T/keys" 2>&1
check "token keys lists a key made elsewhere" grep -q "^key 'weak'$" "$T/keys"
check "token keys shows its algorithm and public half" \
	sh -c "grep -q '^  algorithm:  ec-p256$' '$T/keys' && grep -q '^  public key: yes (CKA_VERIFY=TRUE CKA_ENCRYPT=TRUE CKA_WRAP=TRUE; shown, not enforced)$' '$T/keys'"
check "token keys refuses a key with decrypt/derive rights" \
	grep -q "^  policy:     REFUSED: key 'weak' in token 'test': CKA_[A-Z_]* is" "$T/keys"
( umask 077; printf '999999\n' > "$T/badpin" )
check_fails "wrong PIN names CKR_PIN_INCORRECT and warns" \
	"^keyceremony: wrong PIN for token 'test' \\(CKR_PIN_INCORRECT\\); the token may lock after more wrong tries" \
	"$KC" token keys --token test --pin-file "$T/badpin"
"$KC" token list > "$T/list3" 2>&1
check "token list shows PIN-COUNT-LOW after a wrong PIN" grep -q 'PIN-COUNT-LOW' "$T/list3"
check_fails "the second wrong PIN reports the token's warning" "the token reports few tries left" \
	"$KC" token keys --token test --pin-file "$T/badpin"
check "the right PIN still works" "$KC" token keys --token test --pin-file "$T/pin"
check_fails "unknown token label lists the tokens there" \
	"no token labelled 'nosuch' in $MODULE; tokens there: .*'second' \\(serial [0-9a-f]+\\).*'test' \\(serial [0-9a-f]+\\)|no token labelled 'nosuch' in $MODULE; tokens there: .*'test' \\(serial [0-9a-f]+\\).*'second'" \
	"$KC" token keys --token nosuch --pin-file "$T/pin"
check_fails "--token is required" "--token is required" "$KC" token keys --pin-file "$T/pin"
softhsm2-util --init-token --free --label test --pin 123456 --so-pin 12345678 >/dev/null \
	|| bail "softhsm2-util --init-token failed"
check_fails "an ambiguous token label is refused" "token label 'test' is ambiguous: 2 tokens" \
	"$KC" token keys --token test --pin-file "$T/pin"
done_testing

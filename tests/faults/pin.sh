#!/bin/sh
# Wrong PINs never lock the token: keyceremony logs in once per run (never
# retries by itself) and refuses to spend the last try. SoftHSM has no
# wrong-PIN counter, so tests/faults/p11shim.so (forwarding to SoftHSM)
# adds a real HSM's: locked after 3 wrong PINs, with the token flags
# COUNT_LOW after 1 and FINAL_TRY after 2.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd"
shim_setup	# SHIM: tests/faults/p11shim.so, copied where modules are accepted
( umask 077; printf '999999\n' > wrong )
keys() { "$KC" token keys --token test --module "$SHIM" --pin-file "$1"; }
logins() { cat "$T/shim.logins" 2>/dev/null || echo 0; }
count() { cat "$T/shim" 2>/dev/null || echo 0; }

check "the right PIN through the shim works" keys "$T/pin"
check "  ... one C_Login" test "$(logins)" = 1
check_fails "wrong PIN 1: refused" "wrong PIN for token 'test' \(CKR_PIN_INCORRECT\)" keys wrong
check "  ... exactly one more C_Login (no retry)" test "$(logins)" = 2
check_fails "wrong PIN 2: refused, and the next wrong PIN would lock" \
	"NEXT wrong PIN locks it" keys wrong
check "  ... exactly one more C_Login" test "$(logins)" = 3
check_fails "wrong PIN 3: refused before logging in" \
	"next wrong user PIN locks it \(CKF_USER_PIN_FINAL_TRY\).*security officer" keys wrong
check "  ... no C_Login was made" test "$(logins)" = 3
check "  ... the token is not locked (2 wrong tries of 3)" test "$(count)" = 2
check_fails "a 4th run, even with the right PIN, refused (the SO must reset)" \
	"FINAL_TRY" keys "$T/pin"
check "  ... still no C_Login" test "$(logins)" = 3
check_fails "root create refuses too, with the same reason" "FINAL_TRY" \
	"$KC" root create --token test --module "$SHIM" --pin-file "$T/pin" \
	--state "$T/state" --label root --algorithm ec-p384 --subject "/CN=Pin Test" \
	--days 30 --out x.pem
check "  ... no output, no C_Login" sh -c "test ! -e x.pem && test \"\$(cat '$T/shim.logins')\" = 3"
rm -f "$T/shim"	# what the security officer's C_InitPIN does on a real HSM
check "after the SO's reset the right PIN works" keys "$T/pin"
check "  ... and the counter is back to 0" test "$(count)" = 0
done_testing

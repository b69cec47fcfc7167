#!/bin/sh
# The PKCS#11 module missing, not a module, or the token gone, before or in
# the middle of a run: a clear one-line error, exit 1, nothing written,
# nothing recorded, no key left behind.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd"
shim_setup	# SHIM: tests/faults/p11shim.so, copied where modules are accepted
root() { "$KC" root create --token test --pin-file "$T/pin" --state "$T/state" \
	--label root --algorithm ec-p384 --subject "/CN=Module Test" --days 30 "$@"; }

check_fails "module file missing" "/nonexistent/libpkcs11\.so" \
	root --module /nonexistent/libpkcs11.so --out a.pem
check "  ... no output" test ! -e a.pem
printf 'not a library\n' > "$SAFE/notalib.so"
check_fails "module is not a shared library" "notalib\.so: cannot be loaded" \
	root --module "$SAFE/notalib.so" --out a.pem
libc=$(ldd "$(command -v sh)" | sed -n 's/.*libc\.so\.6 => \([^ ]*\).*/\1/p')
check_fails "module is a library without C_GetFunctionList" "C_GetFunctionList|not a PKCS#11" \
	root --module "$libc" --out a.pem
check "  ... no output" test ! -e a.pem
check "  ... no message spans lines" sh -c "test \$(grep -c . '$T/.out') -le 2"

# The token's store gone (a token that is not there).
mv "$T/softhsm/tokens" "$T/softhsm/tokens.away"
mkdir "$T/softhsm/tokens"
check_fails "token not present" "test" root --out a.pem
check "  ... no output" test ! -e a.pem
rm -rf "$T/softhsm/tokens"; mv "$T/softhsm/tokens.away" "$T/softhsm/tokens"

# Pulled out mid-run: after login and key generation, signing fails.
KC_SHIM_REMOVED=1 root --module "$SHIM" --out b.pem >"$T/rm.out" 2>&1
rc=$?
check "token removed before the self-signature: exit 1" test "$rc" = 1
check "  ... the error (last line) names the token, the key and the reason" \
	sh -c "tail -1 '$T/rm.out' | grep -Eqi \"^keyceremony: .*'root'.*'test'.*device.?removed\""
check "  ... no root.pem" test ! -e b.pem
"$KC" token keys --token test --pin-file "$T/pin" >"$T/keys.out" 2>&1
check "  ... the half-made root key was removed from the token" sh -c "! grep -q root '$T/keys.out'"
check "  ... nothing in the register" sh -c "! \"$KC\" register list --state '$T/state' 2>/dev/null | grep -q ' root '"
check "with the token back, root create works" root --module "$SHIM" --out b.pem
done_testing

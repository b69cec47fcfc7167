#!/bin/sh
# Key generation inside the token: tests/unit/test_token (libkc against
# SoftHSM, checked with raw PKCS#11), then pkcs11-tool's view of the keys.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test

prog=$KC_TOP_BUILDDIR/tests/unit/test_token
[ -x "$prog" ] || bail "$prog not built (make check builds it)"
KC_TEST_TOKEN=test KC_TEST_PIN_FILE=$T/pin CMOCKA_MESSAGE_OUTPUT=TAP \
	${KC_WRAPPER:-} "$prog" > "$T/unit.out" 2>&1
rc=$?
# Re-number cmocka's TAP lines into this script's plan.
n=0
while IFS= read -r line; do
	case $line in
	"ok "*) n=$((n + 1)); ok "test_token: ${line#ok * - }" ;;
	"not ok "*) n=$((n + 1)); not_ok "test_token: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$T/unit.out"
if [ "$rc" -ne 0 ] || [ "$n" -lt 12 ]; then
	not_ok "test_token ran all its tests (exit $rc, $n results)"
	sed 's/^/#   /' "$T/unit.out"
fi

# pkcs11-tool (OpenSC) agrees: sign-only, sensitive, never extractable.
p11 --token-label test --login --pin 123456 --list-objects --type privkey > "$T/objs" 2>&1
for k in k-p256 k-p384 k-rsa3072; do
	sed -n "/label: *$k\$/,/^[A-Z]/p" "$T/objs" > "$T/$k.obj"
	if grep -q 'Usage: *sign$' "$T/$k.obj" &&
	    grep -q 'Access: *sensitive, always sensitive, never extractable, local$' "$T/$k.obj"; then
		ok "pkcs11-tool -O: $k is sign-only, sensitive, never extractable, local"
	else
		not_ok "pkcs11-tool -O: $k attributes"; sed 's/^/#   /' "$T/objs"
	fi
done
# both halves of the destroyed and refused keys are gone
p11 --token-label test --login --pin 123456 --list-objects > "$T/all" 2>&1
check_gone() { ! grep -Eq "label: *$1\$" "$T/all"; }
check "destroyed key k-gone has no objects left" check_gone k-gone
check "refused key k-weak has no objects left" check_gone k-weak
check "unsupported algorithm left no key" check_gone k-2048
check "mismatched halves were removed" sh -c "! grep -Eq 'label: *k-(swap|other)\$' '$T/all'"
done_testing

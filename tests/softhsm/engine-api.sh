#!/bin/sh
# The engine API driven step by step on a SoftHSM token (what the TUI does):
# tests/unit/test_engine_run with a fresh token.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
prog=$KC_TOP_BUILDDIR/tests/unit/test_engine_run
[ -x "$prog" ] || bail "$prog not built"
KC_TEST_DIR=$T KC_TEST_PIN_FILE=$T/pin CMOCKA_MESSAGE_OUTPUT=TAP \
	${KC_WRAPPER:-} "$prog" > "$T/api.out" 2>&1
rc=$?
# Renumber cmocka's TAP lines into this script's plan.
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$T/api.out"
check "test_engine_run exited 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/api.out"
done_testing

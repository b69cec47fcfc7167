#!/bin/sh
# The TUI's revoke step shows the revocation actions (issue 15 item 2):
# revoke-intermediate.yaml in keyceremony tui after root-ca and
# sign-intermediate (run --batch); once SIGN is typed the step's screen
# names root-0002.revocation-actions.txt and shows its lines (the
# enrollment-group command, the intermediate's subject, escaped as every
# screen text), and the export step puts it on the medium.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
runc() {
	"$KC" run "$1" --site demo.site --batch --role officer=Olga \
		--role witness=Wim > run.out 2>&1
}
runc "$CER/root-ca.yaml" || bail "root-ca: $(cat run.out)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null \
	-subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" \
	-out state/intermediate.csr 2>/dev/null || bail "openssl req"
runc "$CER/sign-intermediate.yaml" || bail "sign-intermediate: $(cat run.out)"
cp "$CER/revoke-intermediate.yaml" .
TUI_ROWS=40 TUI_COLS=100
tui_start "$KC tui revoke-intermediate.yaml --site demo.site --role officer=Olga --role witness=Wim > stdout.txt"
wait_for "Ceremony files in" 20 && keys Enter
wait_for "Who is in the room?" 20 && keys Enter
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
_i=0
while [ $_i -lt 200 ]; do
	case $(screen) in
	*"types the user PIN"*) type_text 123456; keys Enter; sleep 0.3 ;;
	*"Press Enter to log in"*) keys Enter; sleep 0.3 ;;
	*"Step 1 of 2: crl-issue"*) break ;;
	esac
	sleep 0.1; _i=$((_i + 1))
done
expect "the revoke step is shown" "Step 1 of 2: crl-issue" 20
tui_step SIGN && ok "SIGN typed: the step is done" || not_ok "the step is done"
expect "the step's screen names the revocation actions" "REVOCATION ACTIONS" 10
capture actions-1
expect "  ... and the file" "root-0002.revocation-actions.txt" 5
: > seen.txt
for _p in 1 2 3 4 5 6; do screen >> seen.txt; keys PageDown; sleep 0.2; done
tr -s ' ' < seen.txt > seen1.txt
check "  ... its lines: the CA's header" grep -q "## 1 of 1: CA (intermediate) certificate" seen1.txt
check "  ... the subject" grep -q "subject: /CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" seen1.txt
check "  ... the enrollment group command" grep -q "az iot dps enrollment-group update --dps-name <DPS-NAME>" seen1.txt
check "  ... the IoT Hub command" grep -q "az iot hub device-identity update --hub-name <HUB-NAME>" seen1.txt
check "  ... no control reached the screen" sh -c "! grep -q \"\$(printf '\\033')\" seen.txt"
check "the file is in the state directory" test -s state/root-0002.revocation-actions.txt
keys Enter
expect "the export step" "Step 2 of 2: export" 20
tui_step EXPORT && ok "export done" || not_ok "export done"
check "  ... the revocation actions on the medium" \
	cmp -s state/root-0002.revocation-actions.txt media/root-0002.revocation-actions.txt
keys Enter
done_testing

#!/bin/sh
# A complete root ceremony through the TUI on SoftHSM: names, preflight
# (clock confirmed), PIN, key generation with a typed GENERATE, the
# fingerprint on screen equal to the certificate's, export, the final
# digest on screen equal to the transcript's. The root certificate has the
# same profile as the one `keyceremony run --batch` makes from the same
# ceremony file. Set KC_CAPTURE_DIR to keep the screens (docs/runbook.md).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
softhsm2-util --init-token --free --label batch --pin 123456 --so-pin 12345678 >/dev/null ||
	bail "second token"
mkdir -p "$T/state" "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
site_file "$T/site.yaml" root

tui_start "$KC tui root.yaml --site site.yaml > stdout.txt"
expect "home lists the ceremony" "Root CA key generation (TUI test)"
if screen | grep -Eq "^   [> ] site.yaml"; then not_ok "a site profile is not offered as a ceremony"; else ok "a site profile is not offered as a ceremony"; fi
capture home
keys Enter
wait_for "Who is in the room?"
keys Enter
expect "a name is required" "a name is needed for every role"
tui_roles "Alice Admin" "Oscar Officer"
type_text "Wendy Witness"
expect "the names are on the Roles screen" "Wendy Witness"
capture roles
keys Enter
wait_for "Preflight checks"
keys Enter
expect "the clock is shown for confirmation" "Is the date and time above correct (UTC)?"
capture preflight-clock
type_text "yes please"; keys Enter
expect "a wrong word is not taken" "That was not YES"
type_text YES; keys Enter
expect "preflight passed" "press Enter to log in" 20
capture preflight
keys Enter
expect "PIN screen" "The officer types the user PIN"
type_text 123456
expect "the PIN shows as six stars" "******"
if screen | grep -q 123456; then not_ok "the PIN is not shown"; else ok "the PIN is not shown"; fi
capture pin
keys Enter
expect "step 1 shown" "Step 1 of 2: root-create" 20
expect "what will be made" "subject: /CN=Example IoT Root CA 2026/O=Example GmbH/C=DE"
capture operation
keys Enter
expect "GENERATE is asked for" "Type GENERATE and press Enter" 20
capture confirm-generate
keys Escape
expect "Esc asks first (as Ctrl-C does)" "Decline this step? The ceremony stops"
keys y
expect "y: the step is declined" "step declined" 20
# a declined step ends the ceremony: abort, then start again
keys Enter
expect "the declined ceremony ends aborted" "CEREMONY ABORTED" 20
keys q
[ "$(wait_exit 10)" = 1 ] && ok "an aborted ceremony exits 1" || not_ok "an aborted ceremony exits 1"
check "no key was made by the declined step" sh -c "! pkcs11-tool --module '$MODULE' --token-label root --login --pin 123456 -O 2>/dev/null | grep -q 'Private Key Object'"
rm -f "$T/state/root.pem"

tui_start "$KC tui root.yaml --site site.yaml --role officer='Oscar Officer' > stdout.txt"
wait_for "Ceremony files in"; keys Enter
wait_for "Who is in the room?"
expect "--role fills in a name" "Oscar Officer"
tui_roles "Alice Admin" "Wendy Witness"
tui_preflight && ok "preflight passed again" || not_ok "preflight passed again"
keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
wait_for "Step 1 of 2" 20
# a resize in the middle of the ceremony: the step waits, then comes back
tmx resize-window -t kc -x 72 -y 20
expect "shrunk mid-ceremony: asked to enlarge" "Enlarge it to at least 80x24 to continue."
keys Enter
tmx resize-window -t kc -x 80 -y 24
expect "enlarged: the step is back" "Step 1 of 2: root-create"
if [ -e "$T/state/root.pem" ]; then not_ok "Enter while too small did nothing"; else ok "Enter while too small did nothing"; fi
keys Enter
expect "the question" "Type GENERATE and press Enter" 20
tmx resize-window -t kc -x 100 -y 30
expect "resized during the question: it is still there" "Type GENERATE and press Enter"
tmx resize-window -t kc -x 80 -y 24
keys C-c
expect "Ctrl-C at a question asks" "Abort the ceremony? This question is declined"
keys n
expect "n: back to the question" "Type GENERATE and press Enter"
type_text GENERATE; keys Enter
expect "root key generated after a typed GENERATE" "done; press Enter to go on" 60
capture operation-done
check "root.pem written" test -s "$T/state/root.pem"
fp=$(fp_groups "$T/state/root.pem")
fp1=$(echo "$fp" | cut -d' ' -f1-4); fp2=$(echo "$fp" | cut -d' ' -f5-8)
expect "the screen shows the fingerprint (first row)" "$fp1"
expect "the screen shows the fingerprint (second row)" "$fp2"
check "openssl verify -x509_strict" openssl verify -x509_strict -CAfile "$T/state/root.pem" "$T/state/root.pem"
keys Enter
expect "step 2 shown" "Step 2 of 2: export"
tui_step EXPORT && ok "export after a typed EXPORT" || not_ok "export after a typed EXPORT"
keys Enter
expect "end screen" "CEREMONY COMPLETED (REHEARSAL)" 20
capture end
keys q
[ "$(wait_exit 10)" = 0 ] && ok "a completed ceremony exits 0" || not_ok "a completed ceremony exits 0"

tr=$(ls -t "$T"/state/transcripts/*.log | head -1)
digest=$(sed -n 's/^final digest //p' "$T/stdout.txt")
check "the digest is printed after the screens, in the one hash form" sh -c "echo '$digest' | grep -Eq '^([0-9a-f]{8} ){7}[0-9a-f]{8}$'"
# the End screen: two rows of four groups of eight, three spaces apart
g=$(hash_form "$digest" | sed 's/ /   /g')
row1=$(echo "$g" | cut -c1-41); row2=$(echo "$g" | cut -c45-85)
grep -Fq "$row1" "$T/end.txt" && grep -Fq "$row2" "$T/end.txt" && ok "the End screen shows the final digest" \
	|| { not_ok "the End screen shows the final digest"; diag "$row1 / $row2"; }
check "transcript verify with the digest from the screen" "$KC" transcript verify "$tr" --digest "$digest"
words=$(sed -n '/^final digest/{n;p}' "$T/stdout.txt" | tr '\n' ' ')
check "transcript verify with the PGP words" "$KC" transcript verify "$tr" --digest "$words"
w1=$(echo "$words" | cut -d' ' -f1); w32=$(echo "$words" | cut -d' ' -f32)
grep -q " 1 $w1 " "$T/end.txt" && grep -q "32 $w32" "$T/end.txt" && ok "the End screen shows the PGP words" || not_ok "the End screen shows the PGP words"
check "the names are in the transcript" sh -c "grep -q 'name=\"Alice Admin\"' '$tr' && grep -q 'name=\"Wendy Witness\"' '$tr'"
check "SHA256SUMS on the media checks" sh -c "cd '$T/media' && sha256sum -c --strict SHA256SUMS"
check "the media has the root and the transcript" sh -c "cmp '$T/media/root.pem' '$T/state/root.pem' && cmp '$T/media/$(basename "$tr")' '$tr'"

# the same ceremony file in batch mode on another token: same profile
mkdir -p "$T/bmedia"
check "run --batch on the other token" "$KC" run "$T/root.yaml" --batch --module "$MODULE" \
	--token batch --pin-file "$T/pin" --state "$T/bstate" --media "$T/bmedia" --network warn
cert_profile "$T/state/root.pem" > "$T/p-tui"
cert_profile "$T/bstate/root.pem" > "$T/p-batch"
if [ -s "$T/p-tui" ] && cmp -s "$T/p-tui" "$T/p-batch"; then ok "TUI and batch roots have the same profile"
else not_ok "TUI and batch roots have the same profile"; diff "$T/p-tui" "$T/p-batch" | sed 's/^/# /'; fi
grep -q "CA:TRUE" "$T/p-tui" && grep -q "Certificate Sign" "$T/p-tui" && ok "the profile compared is a CA's" || not_ok "the profile compared is a CA's"
done_testing

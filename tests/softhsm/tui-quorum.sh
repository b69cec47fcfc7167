#!/bin/sh
# A 2-of-3 PIN quorum through the TUI: the PIN is split with `keyceremony
# quorum split`, custodians type shares on the PIN screen. A mistyped share,
# the same share twice and a share of another split are refused with a clear
# message and NO login attempt (SoftHSM sets PIN-COUNT-LOW after any wrong
# login: it must stay clear; a deliberately wrong typed PIN shows that the
# probe works). Two good shares log in and the first step appears.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
mkdir -p "$T/state" "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
site_file "$T/site.yaml" root

"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin" --label root > "$T/sheets" 2>/dev/null
grep -E '^    [0-9A-Z]{4}-' "$T/sheets" | sed 's/^ *//' > "$T/shares"
( umask 077; printf '999999\n' > "$T/otherpin" )
"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/otherpin" 2>/dev/null |
	grep -E '^    [0-9A-Z]{4}-' | sed -n '1s/^ *//p' > "$T/foreign"
[ "$(wc -l < "$T/shares")" = 3 ] && [ -s "$T/foreign" ] && ok "shares made" || not_ok "shares made"
share() { sed -n "${1}p" "$T/shares"; }
pin_low() { "$KC" token list --module "$MODULE" 2>&1 | grep -q PIN-COUNT-LOW; }

tui_start "$KC tui root.yaml --site site.yaml --quorum"
expect "home" "Ceremony files in"
keys Enter
tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
expect "--quorum: the PIN screen asks for shares" "Custodian 1, type your share"

# a mistyped share: one character changed (the 3rd group's first)
bad=$(share 1 | awk -F- '{ c = substr($3, 1, 1); r = (c == "7") ? "8" : "7"; $3 = r substr($3, 2); print }' OFS=-)
type_text "$bad"; keys Enter
expect "a mistyped share is refused" "share does not check out (checksum mismatch)"
expect "... and nothing reached the token" "was sent to the token"
capture quorum-mistyped
if pin_low; then not_ok "no login attempt after the mistyped share"; else ok "no login attempt after the mistyped share"; fi
expect "still waiting for custodian 1" "Custodian 1, type your share"

# share 2, lower case without dashes: accepted
type_text "$(share 2 | tr -d - | tr 'A-Z' 'a-z')"
expect "a share is masked in groups of four" "****-****-****-****-****-****-****-****-****-****-****"
if screen | grep -qi "$(share 2 | cut -c1-9)"; then not_ok "the share is not shown"; else ok "the share is not shown"; fi
keys Enter
expect "share 2 accepted" "accepted share 2; 1 more needed"
capture quorum-one-share
# the same share again
type_text "$(share 2)"; keys Enter
expect "a duplicate share is refused" "share 2 of 3 was already given"
# a share of another split
type_text "$(cat "$T/foreign")"; keys Enter
expect "a foreign share is refused" "they come from different splits"
if pin_low; then not_ok "no login attempt after refused shares"; else ok "no login attempt after refused shares"; fi

# positive control: a wrong typed PIN IS a login attempt and shows
keys Tab
expect "back to the typed PIN" "The officer types the user PIN"
type_text 000000; keys Enter
expect "a wrong PIN is reported" "CKR_PIN_INCORRECT"
if pin_low; then ok "the probe sees a real wrong login"; else not_ok "the probe sees a real wrong login"; fi

# two good shares log in
keys Tab
expect "shares again" "Custodian 1, type your share"
type_text "$(share 3)"; keys Enter
expect "share 3 accepted" "accepted share 3; 1 more needed"
type_text "$(share 1)"; keys Enter
expect "two shares log in: first step shown" "Step 1 of 2" 30
if pin_low; then not_ok "the good login cleared PIN-COUNT-LOW"; else ok "the good login cleared PIN-COUNT-LOW"; fi
if screen | grep -q "$(share 1 | cut -c1-9)"; then not_ok "no share text on the screen"; else ok "no share text on the screen"; fi

keys C-c
expect "abort asks" "Abort the ceremony?"
keys y
expect "the aborted ceremony is closed with its digest" "CEREMONY ABORTED" 20
keys q
[ "$(wait_exit 15)" = 1 ] && ok "aborted run exits 1" || not_ok "aborted run exits 1"
tr=$(ls -t "$T"/state/transcripts/*.log | head -1)
check "the transcript says aborted" grep -q "result=aborted" "$tr"
done_testing

#!/bin/sh
# Root key backup (issue 17) in the TUI: ceremony/root-ca-with-backup.yaml
# run in `keyceremony tui`: the step screen says in plain words, before
# GENERATE is typed, that the key is extractable only wrapped under a
# trusted key and that K of N custodians restore it; the key the TUI made
# is backup-capable (token keys) and `backup create` wraps it (the sheets
# are written by the command, outside the ceremony: see keyceremony(1)).
# The control: root-ca.yaml's step says never extractable. One tmux
# session.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
mkdir media
demo_site demo.site
sed -e "s|^state: state|state: $T/state|" -e "s|^media: media|media: $T/media|" -e "s|^pin-file: pin|pin-file: $T/pin|" \
	demo.site >tui.site
printf 'removable-media: warn\n' >>tui.site
cp "$CER/root-ca-with-backup.yaml" .

tui_start "$KC tui root-ca-with-backup.yaml --site tui.site"
expect "home" "Ceremony files in"
keys Enter
tui_roles "Olga Officer" "Wim Witness"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
expect "the PIN from the site's file" "Press Enter to log in."
keys Enter
expect "the key generation step" "Generate the root key in the HSM" 30
expect "  ... says before GENERATE: extractable only wrapped under a trusted key" "wrapped under a trusted key, for its backup"
expect "  ... and K of N custodians" "any 2 of whom restore"
if screen | grep -q "never extractable"; then not_ok "  ... does not say never extractable"; else ok "  ... does not say never extractable"; fi
tui_step GENERATE && ok "the root key generated (GENERATE typed)" || not_ok "the root key generated"
keys Enter
wait_for "Step 2 of 3" 20 || not_ok "step 2 shown"
tui_step SIGN && ok "the first CRL" || not_ok "the first CRL"
keys Enter
wait_for "Step 3 of 3" 20 || not_ok "step 3 shown"
tui_step EXPORT && ok "the export" || not_ok "the export"
keys Enter
expect "the ceremony is closed with its digest" "CEREMONY COMPLETE" 30
keys q
[ "$(wait_exit 15)" = 0 ] && ok "a completed run exits 0" || not_ok "exit status"
tr=$(ls -t state/transcripts/root-ca-with-backup-*.log | head -1)
check "the transcript verifies" "$KC" transcript verify "$tr"
grep -q "check=backup result=ok" "$tr" && ok "  ... with the backup check before the key" || not_ok "  ... no backup check"
"$KC" token keys --token keyceremony-demo --pin-file pin >keys.out 2>&1
grep -q "backup:     extractable only wrapped under a trusted key (backup)" keys.out &&
	ok "token keys: the TUI's root key is backup-capable" || { not_ok "token keys"; sed 's/^/#   /' keys.out; }
mkdir bk shares
check "backup create wraps it" "$KC" backup create --token keyceremony-demo --label root-2026 --out-dir bk \
	--threshold 2 --custodians 3 --share-dir shares --issuer state/root.pem --pin-file pin --so-pin-file sopin
done_testing

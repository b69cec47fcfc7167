#!/bin/sh
# Root key backup (issue 17) in the TUI: ceremony/restore-root.yaml run
# with `keyceremony tui --backup-medium DIR`; the custodians type their
# shares of the wrap key on the Shares screen, as the PIN quorum's shares
# are typed: masked in groups of four, never shown; a mistyped share, a
# share of another backup and the same share twice are refused with
# nothing sent to the token (the spare token counted); two good shares,
# then the step (typed RESTORE) restores the key, and the export step
# closes the ceremony. The restored key is in the token, the transcript
# verifies and holds no share. One tmux session.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
softhsm2-util --init-token --free --label spare --pin 123456 --so-pin 12345678 >/dev/null || bail "init spare"
nkeys() { pkcs11-tool --module "$MODULE" --token-label spare --login --pin 123456 -O 2>/dev/null |
	grep -cE '^(Private Key|Secret Key) Object'; }
mkdir media bk shares bk2 shares2 sstate smedia
demo_site demo.site
"$KC" run "$CER/root-ca-with-backup.yaml" --site demo.site --batch >orig.out 2>&1 || { cat orig.out; bail "root ceremony"; }
for b in bk bk2; do
	s=shares; [ $b = bk2 ] && s=shares2
	"$KC" backup create --token keyceremony-demo --label root-2026 --out-dir $b --threshold 2 --custodians 3 \
		--share-dir $s --issuer state/root.pem --pin-file pin --so-pin-file sopin >/dev/null 2>&1 || bail "backup create $b"
done
cp state/root.pem sstate/root.pem
sed -e 's/label: keyceremony-demo/label: spare/' -e "s|^state: state|state: $T/sstate|" \
	-e "s|^media: media|media: $T/smedia|" -e "s|^pin-file: pin|pin-file: $T/pin|" demo.site >spare.site
printf 'removable-media: warn\n' >>spare.site
cp "$CER/restore-root.yaml" .
share() { grep -Eo '[0-9A-Z]{4}(-[0-9A-Z]{4}){3,}' "$1"; }

tui_start "$KC tui restore-root.yaml --site spare.site --backup-medium bk"
expect "home" "Ceremony files in"
keys Enter
tui_roles "Olga Officer" "Carla Custodian" "Wim Witness"
tui_preflight && ok "preflight passed (the medium read and checked)" || not_ok "preflight passed"
keys Enter
expect "the PIN from the site's file" "Press Enter to log in."
keys Enter
expect "the restore step" "Restore the root key from the backup medium" 30
keys Enter
expect "the Shares screen" "Custodian 1, type your backup share:"
expect "  ... names the key and K of N" "shares (set"
# a mistyped share (one character of its 3rd group changed)
bad=$(share shares/share-1-of-3.txt | awk -F- '{ c = substr($3, 1, 1); r = (c == "7") ? "8" : "7"; $3 = r substr($3, 2); print }' OFS=-)
type_text "$bad"; keys Enter
expect "a mistyped share is refused, nothing sent to the token" "nothing was sent to the token"
type_text "$(share shares2/share-1-of-3.txt)"; keys Enter
expect "a share of another backup is refused" "not of this backup"
type_text "$(share shares/share-2-of-3.txt | tr -d - | tr 'A-Z' 'a-z')"
expect "a share is masked in groups of four" "****-****-****-****-****-****-****-****"
if screen | grep -qi "$(share shares/share-2-of-3.txt | cut -c1-9)"; then not_ok "the share is not shown"; else ok "the share is not shown"; fi
keys Enter
expect "share 2 accepted" "Accepted share 2; 1 more needed"
type_text "$(share shares/share-2-of-3.txt)"; keys Enter
expect "the same share twice is refused" "was already given"
[ "$(nkeys)" = 0 ] && ok "  ... the spare token untouched so far" || not_ok "  ... spare token changed"
type_text "$(share shares/share-3-of-3.txt)"; keys Enter
expect "two shares: back to the step" "shares accepted: press Enter to restore the key"
tui_step RESTORE && ok "the restore step, confirmed with RESTORE" || not_ok "the restore step"
if screen | grep -q "$(share shares/share-3-of-3.txt | cut -c1-9)"; then not_ok "no share text on the screen"; else ok "no share text on the screen"; fi
keys Enter
wait_for "Step 2 of 2" 20 || not_ok "step 2 shown"
tui_step EXPORT && ok "the export step" || not_ok "the export step"
keys Enter
expect "the ceremony is closed with its digest" "CEREMONY COMPLETE" 30
keys q
[ "$(wait_exit 15)" = 0 ] && ok "a completed run exits 0" || not_ok "exit status"
[ "$(nkeys)" = 1 ] && ok "the spare token holds the restored key, no wrap key" || not_ok "spare: $(nkeys) keys"
tr=$(ls -t sstate/transcripts/restore-root-*.log | head -1)
check "the transcript verifies" "$KC" transcript verify "$tr"
grep -q "step=restore-root .*result=ok" "$tr" && ok "  ... the restore recorded ok" || not_ok "  ... step record"
check "the sheets rebuild the wrap key (for the scan)" \
	"$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --out wk.hex
check "no wrap-key byte, no share line in the state or the medium" \
	python3 "$KC_TOP_SRCDIR/tests/backup/scan-wrap.py" wk.hex shares sstate smedia
rm -f wk.hex
done_testing

#!/bin/sh
# Root key backup (issue 17): `token probe --backup` reports whether the
# module can take part in a backup ceremony (kc_token_backup_check, the
# check a backup ceremony's preflight makes), or the reason; text and
# --json; nothing left in the token. SoftHSM can; a module in front of it
# that hides CKM_AES_KEY_WRAP_PAD (killshim.so, KC_KILL_NO_WRAP) cannot, and the
# probe fails naming why. Without --backup the probe is as it was.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

backup_setup ec-p256
n1=$(nobj r1)
probe() { "$KC" token probe --token r1 --algorithm ec-p256 --pin-file "$T/pin" "$@"; }

check "token probe --backup on SoftHSM" probe --backup --so-pin-file "$T/sopin"
cp "$T/.out" p.out
grep -q '^backup:         supported: ' p.out && ok "  ... backup: supported" || { not_ok "  ... backup line"; sed 's/^/#   /' p.out; }
grep -q '^probe: ok (1 algorithm)$' p.out && ok "  ... and the key probe ran: ok" || not_ok "  ... probe: ok"
[ "$(nobj r1)" = "$n1" ] && ok "  ... no object left in the token ($n1)" || not_ok "  ... objects: $(nobj r1), was $n1"
grep -qF "$(head -1 sopin)" p.out && not_ok "  ... the SO PIN is on the terminal" || ok "  ... the SO PIN is not on the terminal"

probe --backup --so-pin-file "$T/sopin" --json >p.json 2>p.err
check "  ... --json: backup.supported true, every capability true, why null" python3 -c '
import json; d = json.load(open("p.json")); b = d["backup"]
assert b["supported"] is True and b["why"] is None, b
for k in ("aes_key_wrap_pad", "trusted", "wrap_with_trusted", "wrap_private", "unwrap_private"):
    assert b[k] is True, (k, b)
assert d["ok"] is True'
grep -q '^backup:' p.json p.err && not_ok "  ... --json: the text report is printed too" ||
	ok "  ... --json: the text report is left out"

# negative controls: without --backup nothing about backup, and the JSON says null
check "token probe without --backup" probe
! grep -q '^backup:' "$T/.out" && ok "  ... no backup line" || not_ok "  ... a backup line"
probe --json >q.json 2>/dev/null
check "  ... --json: backup null" python3 -c 'import json; assert json.load(open("q.json"))["backup"] is None'
check_fails "--so-pin-file without --backup is a usage error" "--so-pin-file is for --backup" \
	probe --so-pin-file "$T/sopin"
printf '87654321\n' >badso; chmod 600 badso
check_fails "--backup with a wrong SO PIN fails, naming the SO login" "security officer login failed" \
	probe --backup --so-pin-file badso
[ "$(nobj r1)" = "$n1" ] && ok "  ... no object left" || not_ok "  ... objects: $(nobj r1)"

# a module that cannot: killshim.so with KC_KILL_NO_WRAP hides
# CKM_AES_KEY_WRAP_PAD (and kills nothing: KC_KILL_AT unset)
[ -f "$KC_TOP_BUILDDIR/tests/backup/killshim.so" ] || bail "tests/backup/killshim.so missing (make check builds it)"
safe_dir
NOWRAP=$SAFE/killshim.so
cp "$KC_TOP_BUILDDIR/tests/backup/killshim.so" "$NOWRAP" && chmod 755 "$NOWRAP" || bail "cp killshim.so"
nwprobe() { KC_KILL_MODULE="$MODULE" KC_KILL_NO_WRAP=1 "$KC" token probe --module "$NOWRAP" --token r1 \
	--algorithm ec-p256 --pin-file "$T/pin" "$@"; }
check_fails "a module without CKM_AES_KEY_WRAP_PAD: --backup fails with the reason" \
	"token 'r1' cannot take part in a root key backup ceremony: the module does not offer CKM_AES_KEY_WRAP_PAD" \
	nwprobe --backup --so-pin-file "$T/sopin"
grep -q '^backup:         NOT SUPPORTED: the module does not offer CKM_AES_KEY_WRAP_PAD' "$T/.out" &&
	ok "  ... the report says NOT SUPPORTED and why" || { not_ok "  ... report"; sed 's/^/#   /' "$T/.out"; }
grep -q '^  signature:' "$T/.out" && ok "  ... the key probe still ran and reported" || not_ok "  ... key probe"
[ "$(nobj r1)" = "$n1" ] && ok "  ... no object left" || not_ok "  ... objects: $(nobj r1)"
nwprobe --backup --so-pin-file "$T/sopin" --json >n.json 2>n.err
check "  ... --json: supported false, aes_key_wrap_pad false, why, ok false" python3 -c '
import json; d = json.load(open("n.json")); b = d["backup"]
assert b["supported"] is False and b["aes_key_wrap_pad"] is False, b
assert "CKM_AES_KEY_WRAP_PAD" in b["why"], b
assert d["ok"] is False'
check "  ... the same module passes the probe without --backup" nwprobe
done_testing

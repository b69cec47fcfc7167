#!/bin/sh
# Root key backup (issue 17), the ceremony file's opt-in: root-create with
# `backup: {threshold: K, custodians: N}` (ceremony/root-ca-with-backup.yaml)
# says so in plain words in --check's review and in the step's summary in
# the transcript before the key is generated, and makes the root key
# backup-capable: `token keys` reads it so, and `backup create` wraps it
# and a second token restores it. Without `backup:` (root-ca.yaml) the key
# is never extractable and backup create refuses it. Bad backup fields are
# refused by name before anything runs.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
softhsm2-util --init-token --free --label r2 --pin 123456 --so-pin 12345678 >/dev/null || bail "init r2"
mkdir media
demo_site demo.site
run() { "$KC" run "$1" --site demo.site --batch --role officer="Olga Officer" --role witness="Wim Witness"; }

check "root-ca-with-backup.yaml passes --check" "$KC" run "$CER/root-ca-with-backup.yaml" --check
cp "$T/.out" check.out
grep -q "extractable only wrapped under a trusted key, for its backup" check.out &&
	ok "  ... the review says the key is extractable only wrapped, for its backup" || { not_ok "  ... review"; sed 's/^/#   /' check.out; }
grep -q "split among 3 custodians, any 2 of whom restore it" check.out &&
	ok "  ... and names K of N in plain words" || not_ok "  ... K of N"
! grep -q "never extractable" check.out && ok "  ... and does not say never extractable" || not_ok "  ... says never extractable"
check "root-ca.yaml --check (control) says never extractable, no backup" sh -c \
	"\"$KC\" run \"$CER/root-ca.yaml\" --check | grep -q 'generated inside the token: sign-only, sensitive, never extractable' && ! \"$KC\" run \"$CER/root-ca.yaml\" --check | grep -q 'backup:'"

check "the printed script of root-ca-with-backup.yaml" "$KC" script "$CER/root-ca-with-backup.yaml" --format text --out script.txt
grep -q "split among 3 custodians, any 2 of whom restore it" script.txt &&
	grep -q "extractable only wrapped under a trusted key, for its backup" script.txt &&
	ok "  ... says so in plain words" || not_ok "  ... the script does not say so"
check "root-ca-with-backup.yaml runs in --batch" run "$CER/root-ca-with-backup.yaml"
cp "$T/.out" run.out
t=$(ls state/transcripts/root-ca-with-backup-*.log | tail -1)
check "  ... its transcript verifies" "$KC" transcript verify "$t"
# the plain words are in the transcript before the key generation's record
bl=$(grep -n "check=backup.*split among 3 custodians" "$t" | head -1 | cut -d: -f1)
gl=$(grep -n "step=create-root" "$t" | head -1 | cut -d: -f1)
[ -n "$bl" ] && [ -n "$gl" ] && [ "$bl" -lt "$gl" ] && ok "  ... the transcript says backup (line $bl) before the key is made (line $gl)" ||
	not_ok "  ... transcript: backup at '$bl', generation at '$gl'"
"$KC" token keys --token keyceremony-demo --pin-file pin >keys.out 2>&1
grep -q "backup:     extractable only wrapped under a trusted key (backup)" keys.out &&
	ok "  ... token keys: the root key is backup-capable" || { not_ok "  ... token keys"; sed 's/^/#   /' keys.out; }
grep -q "never extractable FALSE" keys.out && grep -q "local TRUE" keys.out &&
	ok "  ... never extractable FALSE, local TRUE" || not_ok "  ... read back"
printf '12345678\n' >sopin; chmod 600 sopin
mkdir bkmedium shares
check "backup create of the ceremony's root key" "$KC" backup create --token keyceremony-demo --label root-2026 \
	--out-dir bkmedium --threshold 2 --custodians 3 --share-dir shares --issuer state/root.pem \
	--pin-file pin --so-pin-file sopin
( umask 077; printf '123456\n' >pin2 )
check "  ... restored into a second token from 2 of 3 sheets" "$KC" backup restore --token r2 --from bkmedium \
	--share-file shares/share-1-of-3.txt --share-file shares/share-3-of-3.txt --pin-file pin2
check_fails "  ... the public export medium of the run is not a backup target" "is a state directory or a public export medium" \
	"$KC" backup create --token keyceremony-demo --label root-2026 --out-dir media --threshold 2 --custodians 3 \
	--share-dir shares --pin-file pin --so-pin-file sopin
[ -z "$(find media -name 'backup.*')" ] && ok "  ... no backup file on the public medium" || not_ok "  ... backup file on the medium"

# control: the same ceremony without backup: makes a key backup create refuses
rm -rf state media; mkdir media
sed -e '/^    backup:/,/^      custodians:/d' -e 's/^name: root-ca-with-backup/name: root-ca-nobackup/' \
	-e 's/root-2026/root-plain/g' "$CER/root-ca-with-backup.yaml" >nobackup.yaml
check "the same ceremony without backup: runs" run nobackup.yaml
mkdir bk2 sh2
check_fails "  ... and backup create refuses its key" "was not generated for backup" \
	"$KC" backup create --token keyceremony-demo --label root-plain --out-dir bk2 --threshold 2 --custodians 3 \
	--share-dir sh2 --pin-file pin --so-pin-file sopin
[ -z "$(ls -A bk2)" ] && ok "  ... nothing on the backup medium" || not_ok "  ... written"

# a module without CKM_AES_KEY_WRAP_PAD (killshim.so, KC_KILL_NO_WRAP) is
# refused at the preflight of the backup ceremony, before any key is made;
# the ceremony without backup: runs on it (control)
safe_dir
cp "$KC_TOP_BUILDDIR/tests/backup/killshim.so" "$SAFE/killshim.so" && chmod 755 "$SAFE/killshim.so" || bail "cp killshim.so"
sed "s|^module: .*|module: $SAFE/killshim.so|" demo.site >nowrap.site
nwrun() { KC_KILL_MODULE="$MODULE" KC_KILL_NO_WRAP=1 "$KC" run "$1" --site nowrap.site --batch \
	--role officer="Olga Officer" --role witness="Wim Witness"; }
sed 's/root-2026/root-nw/g' "$CER/root-ca-with-backup.yaml" >nw.yaml
rm -rf state media; mkdir media
nk=$(pkcs11-tool --module "$MODULE" --token-label keyceremony-demo --login --pin "$(cat pin)" -O 2>/dev/null | grep -c 'Private Key Object')
check_fails "the backup ceremony on a module without CKM_AES_KEY_WRAP_PAD is refused at preflight" \
	"step create-root: token 'keyceremony-demo' cannot take part in a root key backup ceremony: the module does not offer CKM_AES_KEY_WRAP_PAD" \
	nwrun nw.yaml
[ ! -e state/root.pem ] && ok "  ... no root certificate" || not_ok "  ... a root was made"
[ "$(pkcs11-tool --module "$MODULE" --token-label keyceremony-demo --login --pin "$(cat pin)" -O 2>/dev/null | grep -c 'Private Key Object')" = "$nk" ] &&
	ok "  ... no key generated ($nk private keys, as before)" || not_ok "  ... a key was generated"
t=$(ls state/transcripts/root-ca-with-backup-*.log 2>/dev/null | tail -1)
[ -n "$t" ] && grep -q "check=backup.*result=failed" "$t" && ok "  ... the transcript records the failed backup check" ||
	not_ok "  ... transcript: $(cat "$t" 2>/dev/null | grep check=backup)"
sed -e 's/root-plain/root-plain2/g' -e 's/^name: root-ca-nobackup/name: root-ca-nobackup2/' nobackup.yaml >nobackup2.yaml
rm -rf state media; mkdir media
check "  ... the ceremony without backup: runs on that module" nwrun nobackup2.yaml

# bad backup fields, refused by name before anything runs (generated)
python3 - "$CER/root-ca-with-backup.yaml" <<'PY'
import sys, re
src = open(sys.argv[1]).read()
blk = re.compile(r"    backup:.*\n      threshold: 2.*\n      custodians: 3.*\n")
assert blk.search(src)
cases = {
 "k-gt-n": ("    backup:\n      threshold: 4\n      custodians: 3\n", "threshold 4 is more than custodians 3"),
 "k1": ("    backup:\n      threshold: 1\n      custodians: 3\n", "threshold"),
 "k0": ("    backup:\n      threshold: 0\n      custodians: 3\n", "threshold"),
 "n-big": ("    backup:\n      threshold: 2\n      custodians: 256\n", "custodians"),
 "no-k": ("    backup:\n      custodians: 3\n", "threshold"),
 "no-n": ("    backup:\n      threshold: 2\n", "custodians"),
 "extra": ("    backup:\n      threshold: 2\n      custodians: 3\n      keep-wrap-key: yes\n", "keep-wrap-key"),
 "scalar": ("    backup: yes\n", "backup"),
 "seq": ("    backup: [2, 3]\n", "backup"),
 "text-k": ("    backup:\n      threshold: two\n      custodians: 3\n", "threshold"),
 "neg-k": ("    backup:\n      threshold: -2\n      custodians: 3\n", "threshold"),
}
for name, (b, pat) in cases.items():
    open("bad-%s.yaml" % name, "w").write(blk.sub(b, src))
    open("bad-%s.pat" % name, "w").write(pat)
# backup: on a step that is not root-create
open("bad-onsign.yaml", "w").write(src.replace("    next-update-days: 365", "    next-update-days: 365\n    backup:\n      threshold: 2\n      custodians: 3", 1))
open("bad-onsign.pat", "w").write("backup")
PY
for f in bad-*.yaml; do
	b=${f%.yaml}
	rm -rf state
	check_fails "ceremony with $b is refused" "$(cat "$b.pat")" "$KC" run "$f" --check
	check_fails "  ... also by run (nothing generated)" "$(cat "$b.pat")" run "$f"
	[ ! -e state/root.pem ] && ok "  ... $b: no root made" || not_ok "  ... $b: a root was made"
done
done_testing

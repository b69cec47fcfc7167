#!/bin/sh
# Root key backup (issue 17), the restore as a ceremony:
# ceremony/restore-root.yaml's root-restore step on a second token from
# the backup medium and K custodians' sheets. --check and the script say
# what will happen in plain words; the --batch run restores the key,
# checks it against the root certificate with a test signature, records
# the medium's files in the hash-chained transcript and the restore in the
# register; the restored key signs an intermediate that verifies under the
# original root. Refused before anything is sent to the token: no medium,
# K-1 sheets, a mistyped sheet, a sheet of another backup, a medium whose
# blob or public key was altered, a root certificate that is not the
# backed-up key's, a key-label already used. No share or wrap-key byte in
# the transcript, the register or the output (the wrap key rebuilt from
# the sheets is scanned for, with a planted control).
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
softhsm2-util --init-token --free --label spare --pin 123456 --so-pin 12345678 >/dev/null || bail "init spare"
nkeys() { pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O 2>/dev/null |
	grep -cE '^(Private Key|Secret Key) Object'; }

# the original ceremony, its backup (2 of 3), a second backup (foreign sheets)
mkdir media bk shares bk2 shares2
demo_site demo.site
"$KC" run "$CER/root-ca-with-backup.yaml" --site demo.site --batch --role officer=Olga --role witness=Wim \
	>orig.out 2>&1 || { cat orig.out; bail "root-ca-with-backup.yaml"; }
"$KC" backup create --token keyceremony-demo --label root-2026 --out-dir bk --threshold 2 --custodians 3 \
	--share-dir shares --issuer state/root.pem --pin-file pin --so-pin-file sopin >/dev/null 2>&1 || bail "backup create"
"$KC" backup create --token keyceremony-demo --label root-2026 --out-dir bk2 --threshold 2 --custodians 3 \
	--share-dir shares2 --issuer state/root.pem --pin-file pin --so-pin-file sopin >/dev/null 2>&1 || bail "backup create 2"

# the spare site: its own state (holding root.pem) and media
sed -e 's/label: keyceremony-demo/label: spare/' -e 's/^state: state/state: sstate/' \
	-e 's/^media: media/media: smedia/' -e 's/^name: rehearsal/name: spare/' demo.site >spare.site
fresh() { rm -rf sstate smedia; mkdir -p sstate smedia; cp state/root.pem sstate/root.pem; }
rrun() { "$KC" run "${CF:-$CER/restore-root.yaml}" --site spare.site --batch --role officer=Olga \
	--role custodian="Carla, Ciro" --role witness=Wim "$@"; }

check "restore-root.yaml passes --check" "$KC" run "$CER/restore-root.yaml" --check
for w in "restores: the root key from a backup medium" "checked (checksum, set, count) before anything is sent to the token" \
	"a session object, destroyed at its end" "public key must be the root certificate's and a test signature must verify" \
	"never a share or a byte of the wrap key"; do
	grep -qF "$w" "$T/.out" && ok "  ... the review says: $w" || not_ok "  ... review lacks: $w"
done
check "the printed script of restore-root.yaml" "$KC" script "$CER/restore-root.yaml" --format text --out script.txt
grep -qF "K of the N custodians each give their share sheet" script.txt && grep -q "RESTORE" script.txt &&
	ok "  ... says what will happen and the confirmation word" || not_ok "  ... script"

# refusals at preflight, before the token is touched
fresh
check_fails "no --backup-medium: refused at preflight" "restores the root key from a backup medium: give it" rrun
[ "$(nkeys spare)" = 0 ] && ok "  ... nothing in the spare token" || not_ok "  ... spare token changed"
fresh
check_fails "one sheet of 2 needed: refused at preflight" "1 share sheet given, this backup needs 2 of its 3" \
	rrun --backup-medium bk --share-file shares/share-1-of-3.txt
fresh
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout other.key -subj /CN=Other \
	-days 10 -out sstate/root.pem 2>/dev/null || bail "openssl other root"
check_fails "a root certificate that is not the backed-up key's" "not the root certificate the backup was made for" \
	rrun --backup-medium bk --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
t=$(ls sstate/transcripts/restore-root-*.log | tail -1)
grep -q "check=files result=failed" "$t" && ok "  ... the transcript records the failed check" || not_ok "  ... transcript: $(grep check=files "$t")"
# an altered medium (python: copies with one byte changed)
python3 - <<'PY'
import shutil
for name, f in (("bkblob", "backup.wrapped"), ("bkpub", "backup.pub.pem")):
    shutil.copytree("bk", name)
    p = "%s/%s" % (name, f)
    b = bytearray(open(p, "rb").read())
    b[len(b) // 2] ^= 1
    open(p, "wb").write(bytes(b))
PY
chmod 600 bkblob/backup.wrapped bkpub/backup.wrapped
fresh
check_fails "a medium whose wrapped key was altered" "not the wrapped key the manifest names" \
	rrun --backup-medium bkblob --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
fresh
check_fails "a medium whose public key was altered" "backup.pub.pem" \
	rrun --backup-medium bkpub --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
[ "$(nkeys spare)" = 0 ] && ok "  ... nothing in the spare token after the preflight refusals" || not_ok "  ... spare token changed"

# refusals of the shares at the step, before anything is sent to the token
python3 - <<'PY'
src = open("shares/share-2-of-3.txt").read().splitlines(True)
# the share line: the longest line of hex groups; change one character
i = max(range(len(src)), key=lambda k: len(src[k]) if "-" in src[k] else 0)
line = src[i]
j = next(k for k in range(len(line) - 1, 0, -1) if line[k].isalnum())
src[i] = line[:j] + ("0" if line[j] != "0" else "1") + line[j + 1:]
open("typo.txt", "w").write("".join(src))
PY
chmod 600 typo.txt
for c in "typo:typo.txt" "foreign:shares2/share-2-of-3.txt" "twice:shares/share-1-of-3.txt"; do
	fresh
	check_fails "share sheet refused at the step (${c%%:*}), before any token call" "nothing was sent to the token" \
		rrun --backup-medium bk --share-file shares/share-1-of-3.txt --share-file "${c#*:}"
	[ "$(nkeys spare)" = 0 ] && ok "  ... no key, no wrap key in the spare token" || not_ok "  ... spare token changed"
done

# the restore
fresh
check "restore-root.yaml --batch restores the root into the spare token" rrun --backup-medium bk \
	--share-file shares/share-3-of-3.txt --share-file shares/share-1-of-3.txt
cp "$T/.out" run.out
grep -q "key 'root-2026' restored into token 'spare'" run.out && grep -q "a test signature verifies" run.out &&
	ok "  ... says restored, test signature verifies" || { not_ok "  ... output"; sed 's/^/#   /' run.out; }
grep -q "backup medium bk holds key 'root-2026'" run.out && grep -q "any 2 of the 3 custodians' sheets" run.out &&
	ok "  ... the preflight says what the medium holds" || not_ok "  ... preflight"
t=$(ls sstate/transcripts/restore-root-*.log | tail -1)
check "  ... its transcript verifies" "$KC" transcript verify "$t"
grep "step=restore-root" "$t" >step.rec
grep -q "result=ok" step.rec && grep -q "backup:backup.wrapped:$(sha256sum bk/backup.wrapped | cut -c1-64)" step.rec &&
	grep -q "root.pem:$(sha256sum sstate/root.pem | cut -c1-64)" step.rec &&
	ok "  ... the step record names the medium's files and the root with their SHA-256" || { not_ok "  ... step record"; cat step.rec; }
grep -q "wrap-key:destroyed" step.rec && ok "  ... and that the wrap key was destroyed" || not_ok "  ... wrap key"
[ "$(pkcs11-tool --module "$MODULE" --token-label spare --login --pin 123456 -O 2>/dev/null | grep -c 'Secret Key Object')" = 0 ] &&
	ok "  ... no wrap key left in the spare token" || not_ok "  ... a secret key left"
sqlite3 sstate/register.sqlite "select kind, token, key_label, k, n, medium from backups" >reg.rows 2>&1
grep -qx "restore|spare|root-2026|2|3|bk" reg.rows && ok "  ... the register records the restore" || { not_ok "  ... register"; cat reg.rows; }
"$KC" token keys --token spare --pin-file pin >keys.out 2>&1
grep -q "restored from a backup: not generated in this token" keys.out && ok "  ... token keys: restored" || not_ok "  ... token keys"
ls smedia/restore-root-*.log >/dev/null 2>&1 && ok "  ... the transcript is on the medium" || not_ok "  ... medium"

# the restored key signs an intermediate that verifies under the original root
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -subj "/CN=Spare Issuing CA" \
	-out int.csr 2>/dev/null || bail "openssl csr"
check "  ... the restored key signs an intermediate" "$KC" intermediate sign --token spare --label root-2026 \
	--issuer sstate/root.pem --csr int.csr --out int.pem --days 365 --pin-file pin --state sstate --yes
check "  ... which verifies under the original root certificate" openssl verify -CAfile state/root.pem int.pem

# a second restore into the same token: the label is taken
fresh
check_fails "the same restore again: key-label already used, refused before the step (after login)" "key-label 'root-2026'.*already used in token 'spare'" \
	rrun --backup-medium bk --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
[ "$(nkeys spare)" = 1 ] && ok "  ... the spare token holds the one restored key" || not_ok "  ... $(nkeys spare) keys"

# no share, no wrap-key byte anywhere: the wrap key rebuilt from the sheets
check "the sheets rebuild the wrap key (quorum combine, for the scan)" \
	"$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --out wk.hex
sqlite3 sstate/register.sqlite .dump >dump.sql 2>/dev/null || bail "sqlite3 dump"
SCAN=$KC_TOP_SRCDIR/tests/backup/scan-wrap.py
check "no wrap-key byte, no share line in the transcripts, the register, the media or the output" \
	python3 "$SCAN" wk.hex shares sstate smedia dump.sql run.out
cp run.out planted.out; cat wk.hex >>planted.out
check_fails "  ... (control: the wrap key planted in the output is found)" "FOUND planted.out: wrap key hex" \
	python3 "$SCAN" wk.hex shares planted.out
head -12 shares/share-2-of-3.txt >planted2.out
check_fails "  ... (control: a share sheet planted is found)" "FOUND planted2.out: share line" \
	python3 "$SCAN" wk.hex shares planted2.out
rm -f wk.hex
# kill -9 during the restore ceremony (tests/backup/killshim.so at the Nth
# PKCS#11 call): before the unwrap no key is left and the next run works;
# after it the key is complete; never a wrap key
[ -f "$KC_TOP_BUILDDIR/tests/backup/killshim.so" ] || bail "tests/backup/killshim.so missing"
safe_dir
cp "$KC_TOP_BUILDDIR/tests/backup/killshim.so" "$SAFE/killshim.so" && chmod 755 "$SAFE/killshim.so" || bail "cp killshim.so"
sed "s|^module: .*|module: $SAFE/killshim.so|" spare.site >kill.site
nobj() { pkcs11-tool --module "$MODULE" --token-label spare --login --pin 123456 -O 2>/dev/null |
	grep -cE '^(Private Key|Public Key|Secret Key|Certificate) Object|^Data object'; }
for point in "C_UnwrapKey before 1:0" "C_UnwrapKey after 1:3"; do
	p=${point%:*}; want=${point#*:}; set -- $p
	softhsm2-util --init-token --token spare --label spare --pin 123456 --so-pin 12345678 >/dev/null 2>&1 || bail "re-init spare"
	fresh
	KC_KILL_MODULE="$MODULE" KC_KILL_AT=$1 KC_KILL_WHEN=$2 KC_KILL_NTH=$3 "$KC" run "$CER/restore-root.yaml" \
		--site kill.site --batch --backup-medium bk --share-file shares/share-1-of-3.txt \
		--share-file shares/share-2-of-3.txt >k.out 2>&1
	[ $? -eq 137 ] && ok "the restore ceremony killed at $p" || { not_ok "killed at $p (not reached)"; sed 's/^/#   /' k.out; }
	[ -z "$(ls smedia)" ] && ok "  ... nothing on the medium" || not_ok "  ... medium: $(ls smedia)"
	if [ "$want" = 0 ]; then
		[ "$(nkeys spare)" = 0 ] && ok "  ... no private key, no wrap key in the spare token" ||
			not_ok "  ... spare: $(nkeys spare) keys"
		fresh
		check "  ... the next restore ceremony works (what was left before the unwrap is cleaned up)" \
			rrun --backup-medium bk --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
		[ "$(nobj)" = 3 ] && ok "  ... exactly the key, its public key and the record" || not_ok "  ... spare: $(nobj) objects"
	else
		[ "$(nobj)" = 3 ] && [ "$(nkeys spare)" = 1 ] && ok "  ... the complete restored key (3 objects), no wrap key" ||
			not_ok "  ... spare: $(nobj) objects, $(nkeys spare) keys"
	fi
done

done_testing

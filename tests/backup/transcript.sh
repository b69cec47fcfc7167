#!/bin/sh
# Root key backup (issue 17): with --state, `backup create` and `backup
# restore` outside a ceremony file write their own hash-chained transcript
# in STATE/transcripts (backup-create-*.log, backup-restore-*.log: begin,
# one step record, end) that `transcript verify` accepts: what was backed
# up or restored, the medium's files with their SHA-256, the shares' set,
# what became of the wrap key; a refused restore is recorded as failed
# (aborted). Never a byte of the wrap key or a share line (scan-wrap.py,
# with planted controls). Without --state no transcript anywhere.
# restore --keep-wrap-key LABEL keeps the wrap key as a token object with
# a plain warning (counted in the token); a label taken or the key's own
# label is refused before anything is restored; the default leaves none.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"
backup_setup ec-p256
softhsm2-util --init-token --free --label r3 --pin 123456 --so-pin 12345678 >/dev/null || bail "init r3"
SCAN=$KC_TOP_SRCDIR/tests/backup/scan-wrap.py
mkdir medium shares medium0 shares0 medium2 shares2
nsec() { pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O 2>/dev/null | grep -c 'Secret Key Object'; }
rs() { _t=$1 _m=$2; shift 2
	"$KC" backup restore --token "$_t" --from "$_m" --pin-file "$T/pin" "$@"; }

# control: without --state no transcript
check "backup create without --state" bk_create medium0 shares0
[ -z "$(find . -name 'backup-*.log')" ] && ok "  ... no transcript anywhere" || not_ok "  ... a transcript appeared"

check "backup create --state st" bk_create medium shares --custodian "Ann A" --custodian "Bo B" --custodian "Cy C" --state st
cp "$T/.out" create.out
t=$(ls st/transcripts/backup-create-*.log 2>/dev/null)
[ -n "$t" ] && ok "  ... its transcript $t" || not_ok "  ... no transcript"
check "  ... verifies" "$KC" transcript verify "$t"
grep -q '^KC1 1 .* begin ceremony=backup-create .*token=r1 .*media=medium mode=command' "$t" &&
	ok "  ... begin: backup-create, token, medium, command mode" || { not_ok "  ... begin"; sed 's/^/#   /' "$t"; }
grep ' step step=backup-create ' "$t" >step.rec
for h in backup.manifest backup.wrapped backup.pub.pem backup.root.pem; do
	grep -q "backup:$h:$(sha256sum medium/$h | cut -c1-64)" step.rec || not_ok "  ... $h not in the step record"
done && ok "  ... the step names the medium's four files with their SHA-256"
grep -q 'result=ok' step.rec && grep -q 'custodians="Ann A, Bo B, Cy C"' step.rec &&
	grep -q 'any 2 of 3 rebuild the wrap key' step.rec && grep -q 'destroyed before the sheets were given out' step.rec &&
	ok "  ... result ok, the custodians, K of N, the wrap key destroyed" || { not_ok "  ... step record"; cat step.rec; }
grep -q ' end records=3 result=completed steps=1/1 rehearsal=yes' "$t" && ok "  ... end: completed, a rehearsal (SoftHSM)" ||
	not_ok "  ... end: $(tail -1 "$t")"

check "backup restore --state st2 into r2" rs r2 medium --share-file shares/share-1-of-3.txt \
	--share-file shares/share-3-of-3.txt --state st2
cp "$T/.out" restore.out
t2=$(ls st2/transcripts/backup-restore-*.log 2>/dev/null)
check "  ... its transcript verifies" "$KC" transcript verify "$t2"
grep -q 'result=ok' "$t2" && grep -q "backup:backup.wrapped:$(sha256sum medium/backup.wrapped | cut -c1-64)" "$t2" &&
	grep -q 'wrap-key="a session object of this command, destroyed"' "$t2" && grep -q 'backed-up-from=r1' "$t2" &&
	ok "  ... restored from r1, the medium's hashes, the wrap key destroyed" || { not_ok "  ... record"; sed 's/^/#   /' "$t2"; }
[ "$(nsec r2)" = 0 ] && ok "  ... no wrap key left in r2" || not_ok "  ... $(nsec r2) secret keys in r2"

# refused restores are in the transcript too (failed, aborted), and verify
i=0
for c in "foreign:shares0/share-2-of-3.txt:not of this backup" "one:-:1 share sheet given" "typo:typo.txt:"; do
	i=$((i + 1)); name=${c%%:*}; rest=${c#*:}; f=${rest%%:*}; pat=${rest#*:}
	[ "$name" = typo ] && { python3 -c "
import re; s = open('shares/share-2-of-3.txt').read(); m = re.search(r'[0-9A-Z]{4}(-[0-9A-Z]{4}){3,}', s)
i = m.start() + 5; open('typo.txt', 'w').write(s[:i] + ('R' if s[i] != 'R' else 'S') + s[i + 1:])"; chmod 600 typo.txt; }
	if [ "$f" = - ]; then set -- --share-file shares/share-1-of-3.txt; else set -- --share-file shares/share-1-of-3.txt --share-file "$f"; fi
	check_fails "a refused restore ($name) with --state" "${pat:-nothing was sent to the token}" rs r3 medium --label r$i "$@" --state st3
	t3=$(ls -t st3/transcripts/backup-restore-*.log | head -1)
	"$KC" transcript verify "$t3" >/dev/null 2>&1 && grep -q 'result=failed' "$t3" && grep -q 'result=aborted' "$t3" &&
		ok "  ... recorded as failed, aborted; the transcript verifies" || { not_ok "  ... $t3"; sed 's/^/#   /' "$t3"; }
	# distinct names: a new transcript each run within the same second
done
[ "$(ls st3/transcripts/ | wc -l)" = 3 ] && ok "  ... three transcripts, one per refused run" || not_ok "  ... $(ls st3/transcripts)"
[ "$(nobj r3)" = 0 ] && ok "  ... nothing in r3" || not_ok "  ... r3 changed"

# --keep-wrap-key
check_fails "--keep-wrap-key with the restored key's own label: refused" "is the label of the restored key" \
	rs r3 medium --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --keep-wrap-key root
[ "$(nobj r3)" = 0 ] && ok "  ... nothing restored" || not_ok "  ... r3 changed"
check "--keep-wrap-key wk1: restored, the wrap key kept" rs r3 medium --share-file shares/share-1-of-3.txt \
	--share-file shares/share-2-of-3.txt --keep-wrap-key wk1 --state st4
grep -q "wrap key *KEPT in token 'r3' as 'wk1' (a token object): with the user PIN and this backup medium it restores the key into this token again WITHOUT the custodians" "$T/.out" &&
	ok "  ... says plainly what a kept wrap key allows" || { not_ok "  ... warning"; sed 's/^/#   /' "$T/.out"; }
pkcs11-tool --module "$MODULE" --token-label r3 --login --pin 123456 -O 2>/dev/null >r3.obj
[ "$(nsec r3)" = 1 ] && grep -A3 'Secret Key Object' r3.obj | grep -q 'label: *wk1' &&
	ok "  ... r3 holds one secret key, labelled wk1" || { not_ok "  ... r3 objects"; sed 's/^/#   /' r3.obj; }
grep -q 'wrap-key="KEPT in the token as a token object" wrap-key-label=wk1' st4/transcripts/backup-restore-*.log &&
	ok "  ... the transcript records it kept, with its label" || not_ok "  ... transcript"
n3=$(nobj r3)
check_fails "--keep-wrap-key with a label taken: refused before anything is restored" "has a secret key of that label already" \
	rs r3 medium --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --label root-b --keep-wrap-key wk1
[ "$(nobj r3)" = "$n3" ] && ok "  ... r3 unchanged ($n3 objects)" || not_ok "  ... r3 changed"
check_fails "--keep-wrap-key with a control character: refused" "a label of 1 to 64 printable characters" \
	rs r3 medium --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --label root-c --keep-wrap-key "$(printf 'w\033k')"

# no wrap-key byte, no share line in any transcript, state or output
check "the sheets rebuild the wrap key (quorum combine, for the scan)" \
	"$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --out wk.hex
check "no wrap-key byte, no share line in the transcripts, states or outputs" \
	python3 "$SCAN" wk.hex shares st st2 st3 st4 create.out restore.out
cp "$t" planted.log; cat wk.hex >>planted.log
check_fails "  ... (control: the wrap key planted in a transcript is found)" "FOUND planted.log: wrap key hex" \
	python3 "$SCAN" wk.hex shares planted.log
rm -f wk.hex
done_testing

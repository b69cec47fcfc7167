#!/bin/sh
# Root key backup (issue 17): `token keys` says what is true of a
# backup-capable key and of a restored one, and what it means, in plain
# words; --json carries the same fields (backup, restored,
# never_extractable, always_sensitive, local). An ordinary key reads as it
# did, with none of the backup lines.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

backup_setup ec-p256
"$BK" root "$MODULE" r1 "$T/pin" plain ec-p256 "/CN=Plain Root/O=Example" "$T/plain.pem" plain \
	>bk.out 2>&1 || { cat bk.out; bail "bkhelper root plain"; }
mkdir medium shares
bk_create medium shares >create.out 2>&1 || { cat create.out; bail "backup create"; }
bk_restore medium shares/share-1-of-3.txt shares/share-2-of-3.txt >restore.out 2>&1 ||
	{ cat restore.out; bail "backup restore"; }

# key TOKEN LABEL FILE: the lines of key LABEL in `token keys` of TOKEN
keys() { "$KC" token keys --token "$1" --pin-file "$T/pin" >"$2" 2>&1; }
key() { sed -n "/^key '$2'/,/^key /p" "$1" | sed '1!{/^key /d}'; }
has() { key "$1" "$2" | grep -qF -- "$3"; }

check "token keys of r1 (a backup-capable and an ordinary key)" keys r1 k1.out
check "token keys of r2 (the restored key)" keys r2 k2.out

# the backup-capable key in r1
has k1.out root "policy:     ok (sign only, sensitive; extractable only wrapped under a trusted key, for its backup)" &&
	ok "backup key: policy ok, and says why it is extractable" || { not_ok "backup key policy line"; key k1.out root | sed 's/^/#   /'; }
! has k1.out root "never extractable, local)" && ok "  ... not claimed never extractable" ||
	not_ok "  ... still claims never extractable, local"
has k1.out root "backup:     extractable only wrapped under a trusted key (backup)" &&
	ok "  ... backup: extractable only wrapped under a trusted key" || not_ok "  ... backup line"
has k1.out root "read back:  never extractable FALSE, always sensitive TRUE, local TRUE" &&
	ok "  ... read back: never extractable FALSE, always sensitive TRUE, local TRUE" || not_ok "  ... read back"
has k1.out root "never extractable FALSE: the key can leave the token, wrapped" &&
	ok "  ... never extractable FALSE explained" || not_ok "  ... never extractable FALSE explained"
has k1.out root "local TRUE: generated in this token" && ok "  ... local TRUE explained" ||
	not_ok "  ... local TRUE explained"
! has k1.out root "restored" && ok "  ... not called restored" || not_ok "  ... called restored"

# the restored key in r2
has k2.out root "policy:     ok (sign only, sensitive; restored from a backup)" &&
	ok "restored key: policy ok, restored from a backup" || { not_ok "restored key policy line"; key k2.out root | sed 's/^/#   /'; }
has k2.out root "restored:   restored from a backup: not generated in this token" &&
	ok "  ... restored: not generated in this token" || not_ok "  ... restored line"
has k2.out root "read back:  never extractable FALSE, always sensitive FALSE, local FALSE" &&
	ok "  ... read back: never extractable FALSE, always sensitive FALSE, local FALSE" || not_ok "  ... read back"
has k2.out root "always sensitive FALSE: it came into this token from outside" &&
	ok "  ... always sensitive FALSE explained" || not_ok "  ... always sensitive FALSE explained"
has k2.out root "local FALSE: not generated in this token" && ok "  ... local FALSE explained" ||
	not_ok "  ... local FALSE explained"
has k2.out root "backup:     extractable only wrapped under a trusted key" &&
	ok "  ... and still backup-capable (CKA_WRAP_WITH_TRUSTED)" || not_ok "  ... backup line on the restored key"

# negative control: the ordinary key reads exactly as before
key k1.out plain >plain.txt
for w in backup: restored: "read back:" "for its backup"; do
	! grep -qF -- "$w" plain.txt && ok "ordinary key: no '$w'" || not_ok "ordinary key shows '$w'"
done
grep -qxF "  policy:     ok (sign only, sensitive, never extractable, local)" plain.txt &&
	ok "  ... ordinary key: policy ok (sign only, sensitive, never extractable, local)" ||
	{ not_ok "  ... ordinary key policy"; sed 's/^/#   /' plain.txt; }
[ "$(wc -l <plain.txt)" = 6 ] && ok "  ... six lines, as before" || not_ok "  ... $(wc -l <plain.txt) lines"

# --json: the same fields, per key
for tok in r1 r2; do
	"$KC" token keys --token $tok --pin-file "$T/pin" --json >j-$tok.json 2>j-$tok.err
	check "token keys --json of $tok parses" python3 -c "import json,sys; json.load(open('j-$tok.json'))"
	[ ! -s j-$tok.err ] && ok "  ... stderr empty" || not_ok "  ... stderr: $(cat j-$tok.err)"
done
cat >jcheck.py <<'PY'
import json, sys
tok, label = sys.argv[1], sys.argv[2]
want = json.loads(sys.argv[3])
d = json.load(open("j-%s.json" % tok))
k = [k for k in d["keys"] if k["label"] == label]
assert len(k) == 1, k
k = k[0]
for f, v in want.items():
    assert k[f] is v, (f, k[f], v)
for f in ("modifiable", "copyable", "policy_ok", "policy", "id", "algorithm"):
    assert f in k, f
PY
check "--json r1 root: backup true, restored false, never_extractable false, always_sensitive true, local true" \
	python3 jcheck.py r1 root '{"backup":true,"restored":false,"never_extractable":false,"always_sensitive":true,"local":true,"policy_ok":true}'
check "--json r2 root: restored true, backup true, never_extractable false, always_sensitive false, local false" \
	python3 jcheck.py r2 root '{"backup":true,"restored":true,"never_extractable":false,"always_sensitive":false,"local":false,"policy_ok":true}'
check "--json r1 plain: backup false, restored false, never_extractable true, always_sensitive true, local true" \
	python3 jcheck.py r1 plain '{"backup":false,"restored":false,"never_extractable":true,"always_sensitive":true,"local":true,"policy_ok":true}'
check_fails "  ... (the checker fails on a wrong value)" "AssertionError" \
	python3 jcheck.py r1 plain '{"backup":true}'
done_testing

#!/bin/sh
# Root key backup (issue 17), the refusals: every one names the reason,
# writes nothing, and leaves both tokens as they were (objects counted).
# Each is paired with the positive run it differs from. Shares and media
# are checked before the module is loaded: the refusals still come with
# --module pointing at no module at all.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

backup_setup ec-p256
mkdir medium shares medium2 shares2 empty
bk_create medium shares >create.out 2>&1 || { cat create.out; bail "backup create"; }
bk_create medium2 shares2 >create2.out 2>&1 || { cat create2.out; bail "second backup create"; }
n1=$(nobj r1); n2=$(nobj r2)
s1=shares/share-1-of-3.txt s2=shares/share-2-of-3.txt s3=shares/share-3-of-3.txt

# tokens_unchanged WHAT: both tokens hold what they held
tokens_unchanged() {
	if [ "$(nobj r1)" = "$n1" ] && [ "$(nobj r2)" = "$n2" ]; then ok "  ... $1: no object added or left in r1 or r2"
	else not_ok "  ... $1: r1 $(nobj r1) (was $n1), r2 $(nobj r2) (was $n2)"; fi
}
# nothing_in DIR WHAT
nothing_in() {
	[ -z "$(ls -A "$1")" ] && ok "  ... $2: nothing written to $1" ||
		{ not_ok "  ... $2: $1 holds $(ls -A "$1" | tr '\n' ' ')"; }
}
# restore_nomod ARGS: restore with a module path that does not exist, to
# prove the refusal came before any token call
restore_nomod() {
	"$KC" backup restore --token r2 --module "$T/no-such-module.so" --pin-file "$T/pin" "$@"
}

# --- backup create refusals ----------------------------------------------
"$BK" root "$MODULE" r1 "$T/pin" plain ec-p256 "/CN=Plain Root/O=Example" "$T/plain.pem" plain \
	>bk.out 2>&1 || { cat bk.out; bail "bkhelper root plain"; }
n1=$(nobj r1)
mkdir -p empty2
check_fails "a root key generated without backup cannot be backed up" "key 'plain' in token 'r1' was not generated for backup" \
	"$KC" backup create --token r1 --label plain --out-dir empty --threshold 2 --custodians 3 \
	--share-dir empty2 --pin-file "$T/pin" --so-pin-file "$T/sopin"
nothing_in empty "a key without backup"
nothing_in empty2 "a key without backup"
tokens_unchanged "a key without backup"
check_fails "--share-dir on the backup medium is refused" \
	"--share-dir is the backup medium" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 2 --custodians 3 \
	--share-dir empty --pin-file "$T/pin" --so-pin-file "$T/sopin"
check_fails "  ... also through another path to it" "--share-dir is the backup medium" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 2 --custodians 3 \
	--share-dir ./empty/. --pin-file "$T/pin" --so-pin-file "$T/sopin"
nothing_in empty "share dir = medium"
check_fails "a medium that already holds a backup is refused" "backup.manifest.*exists|exists.*backup.manifest" \
	bk_create medium empty2
nothing_in empty2 "medium in use"
# the public export medium and the state directory are not backup media
mkdir pubmedia st0
printf 'x\n' > pubmedia/SHA256SUMS
: > st0/register.sqlite
check_fails "--out-dir on a public export medium (SHA256SUMS) is refused" \
	"holds SHA256SUMS: it is a state directory or a public export medium" \
	bk_create pubmedia empty2
check_fails "--out-dir on a state directory (register.sqlite) is refused" \
	"holds register.sqlite: it is a state directory or a public export medium" \
	bk_create st0 empty2
[ "$(ls pubmedia)" = SHA256SUMS ] && [ "$(ls st0)" = register.sqlite ] && ok "  ... nothing written there" ||
	not_ok "  ... files written: $(ls pubmedia st0 | tr '\n' ' ')"
nothing_in empty2 "public medium"
tokens_unchanged "public medium"
check_fails "export refuses a wrapped key in the state directory" "backup.wrapped: not a file export knows" \
	sh -c 'mkdir -p st1 exp1 && cp medium/backup.wrapped st1/ && "$KC" export --state st1 --to exp1'
[ -z "$(ls -A exp1)" ] && ok "  ... nothing exported" || not_ok "  ... exported: $(ls exp1)"
check_fails "--threshold above --custodians" "--threshold 3 is more than --custodians 2" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 3 --custodians 2 \
	--share-dir empty2 --pin-file "$T/pin" --so-pin-file "$T/sopin"
check_fails "--threshold 1 is refused" "threshold" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 1 --custodians 2 \
	--share-dir empty2 --pin-file "$T/pin" --so-pin-file "$T/sopin"
check_fails "two --custodian names for three custodians" "2 --custodian names for 3 custodians" \
	bk_create empty empty2 --custodian A --custodian B
( umask 077; printf '87654321\n' > badso )
check_fails "a wrong SO PIN: refused, nothing written" "security officer login failed \(CKR_PIN_INCORRECT\)" \
	bk_create empty empty2 --so-pin-file "$T/badso"
nothing_in empty "wrong SO PIN"
nothing_in empty2 "wrong SO PIN"
tokens_unchanged "wrong SO PIN"
printf '12345678\n' > loose-so; chmod 644 loose-so
check_fails "an SO PIN file readable by others is refused before the module is loaded" "SO PIN" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 2 --custodians 3 \
	--share-dir empty2 --pin-file "$T/pin" --so-pin-file "$T/loose-so" --module "$T/no-such-module.so"
check_fails "--issuer of another root is refused" "its public key is not the one of key 'root'" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 2 --custodians 3 \
	--share-dir empty2 --pin-file "$T/pin" --so-pin-file "$T/sopin" --issuer "$T/plain.pem"
nothing_in empty "foreign issuer"
nothing_in empty2 "foreign issuer"
tokens_unchanged "foreign issuer"
check_fails "no --share-dir and no terminal: refused before the token is touched" "give --share-dir" \
	"$KC" backup create --token r1 --label root --out-dir empty --threshold 2 --custodians 3 \
	--pin-file "$T/pin" --so-pin-file "$T/sopin" --module "$T/no-such-module.so"

# --- restore refusals: shares ------------------------------------------------
check "the positive run: sheets 1 and 2 check out (quorum combine)" \
	"$KC" quorum combine --share-file "$s1" --share-file "$s2"
check_fails "one sheet of a 2-of-3 backup (K-1): refused before any token call" \
	"1 share sheet given, this backup needs 2 of its 3; nothing was sent to the token" \
	restore_nomod --from medium --share-file "$s1"
check_fails "the same sheet twice: refused before any token call" \
	"already|twice|duplicate" restore_nomod --from medium --share-file "$s1" --share-file "$s1"
check_fails "a sheet of another backup (foreign set): refused before any token call" \
	"not of this backup" restore_nomod --from medium --share-file "$s1" --share-file shares2/share-2-of-3.txt
"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin" --out-dir pinshares >/dev/null 2>&1 ||
	bail "quorum split"
check_fails "a PIN share sheet: refused before any token call" \
	"not of this backup" restore_nomod --from medium --share-file "$s1" --share-file pinshares/share-2-of-3.txt
check_fails "the blob alone, no sheet and no terminal: nothing unwraps" \
	"PIN|terminal|share" restore_nomod --from medium </dev/null
tokens_unchanged "share refusals"

# mistyped sheets: every position of the share, a neighbouring character
python3 - "$s2" <<'PY'
import os, sys
src = sys.argv[1]
lines = open(src).read().split("\n")
i = next(k for k, l in enumerate(lines) if l.startswith("    ") and "-" in l)
share = lines[i].strip()
alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
os.makedirs("typo", exist_ok=True)
n = 0
for pos in range(0, len(share), 3):
    c = share[pos]
    if c == "-":
        continue
    r = alpha[(alpha.index(c.upper()) + 1) % len(alpha)]
    l2 = list(lines)
    l2[i] = "    " + share[:pos] + r + share[pos + 1:]
    p = os.path.join("typo", "t%03d.txt" % n)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, "\n".join(l2).encode())
    os.close(fd)
    n += 1
# swapped neighbours, a dropped and a doubled character
sw = next(j for j in range(len(share) - 1) if "-" not in share[j:j + 2] and share[j] != share[j + 1])
for k, f in enumerate((lambda s: s[:sw] + s[sw + 1] + s[sw] + s[sw + 2:], lambda s: s[:10] + s[11:],
                       lambda s: s[:10] + s[10] + s[10:])):
    l2 = list(lines)
    l2[i] = "    " + f(share)
    p = os.path.join("typo", "x%d.txt" % k)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, "\n".join(l2).encode())
    os.close(fd)
PY
bad=0 total=0
for f in typo/*.txt; do
	total=$((total + 1))
	if restore_nomod --from medium --share-file "$s1" --share-file "$f" >typo.out 2>&1 ||
	    ! grep -q "nothing was sent to the token" typo.out || grep -q "no-such-module" typo.out; then
		bad=$((bad + 1)); diag "accepted or refused too late: $f: $(cat typo.out)"
	fi
done
[ "$bad" -eq 0 ] && [ "$total" -gt 20 ] && ok "$total mistyped sheets refused before any token call" ||
	not_ok "$bad of $total mistyped sheets not refused in time"
grep -rh 'share\|checksum' typo.out >/dev/null && ok "  ... with the reason" || not_ok "  ... reason"
tokens_unchanged "mistyped sheets"
chmod 644 "$s3"
check_fails "a sheet readable by others is refused" "group or others|PIN" \
	restore_nomod --from medium --share-file "$s1" --share-file "$s3"
chmod 600 "$s3"
ln -s "$T/$s3" link-sheet
check_fails "a sheet that is a symbolic link is refused" "symbolic link" \
	restore_nomod --from medium --share-file "$s1" --share-file link-sheet

# --- restore refusals: the medium ----------------------------------------------
# mutated copies of the medium: manifest fields, the blob, the public key
openssl x509 -in plain.pem -noout -pubkey > other.pub.pem || bail "openssl x509 -pubkey"
python3 - <<'PY'
import os, shutil
src = "medium"
man = open(os.path.join(src, "backup.manifest")).read()
lines = man.split("\n")[:-1]
cases = {}
for k, l in enumerate(lines):
    name, v = l.split(": ", 1)
    cases["drop-%s" % name] = "\n".join(lines[:k] + lines[k + 1:]) + "\n"
    cases["dup-%s" % name] = "\n".join(lines[:k + 1] + lines[k:]) + "\n"
    alt = {"keyceremony-backup": "2", "mechanism": "CKM_AES_KEY_WRAP", "wrapped-bytes": "99999",
           "threshold": "17", "custodians": "1", "share-set": "abcdef",
           "wrapped-sha256": "0" * 63, "public-key-sha256": "Z" * 64}.get(name)
    if alt is not None:
        l2 = list(lines); l2[k] = "%s: %s" % (name, alt)
        cases["bad-%s" % name] = "\n".join(l2) + "\n"
cases["extra-field"] = man + "restored: yes\n"
cases["no-final-newline"] = man[:-1]
cases["crlf"] = man.replace("\n", "\r\n")
cases["nul"] = man.replace("key-label: ", "key-label: \0")
cases["control-char"] = man.replace("key-label: root", "key-label: ro\x1b[2Jot")
cases["threshold-above-n"] = man.replace("threshold: 2", "threshold: 3").replace("custodians: 3", "custodians: 2")
cases["empty"] = ""
os.makedirs("bad", exist_ok=True)
for name, text in cases.items():
    d = os.path.join("bad", name)
    shutil.copytree(src, d)
    os.chmod(os.path.join(d, "backup.manifest"), 0o644)
    with open(os.path.join(d, "backup.manifest"), "wb") as f:
        f.write(text.encode())
# the blob, the public key, the certificate
for name, fn in (("blob-flip", "backup.wrapped"), ("blob-cut", "backup.wrapped"),
                 ("pub-other", "backup.pub.pem"), ("root-other", "backup.root.pem")):
    d = os.path.join("bad", name)
    shutil.copytree(src, d)
    p = os.path.join(d, fn)
    data = bytearray(open(p, "rb").read())
    if name == "blob-flip":
        data[len(data) // 2] ^= 1
    elif name == "blob-cut":
        data = data[:-8]
    elif name == "pub-other":
        data = open("other.pub.pem", "rb").read()
    else:
        data = open("plain.pem", "rb").read()
    os.chmod(p, 0o600)
    with open(p, "wb") as f:
        f.write(data)
PY
bad=0 total=0
for d in bad/*; do
	total=$((total + 1))
	if restore_nomod --from "$d" --share-file "$s1" --share-file "$s2" >bad.out 2>&1 ||
	    grep -q "no-such-module" bad.out ||
	    ! grep -qE "manifest|medium|backup|public key|certificate|field|NUL" bad.out; then
		bad=$((bad + 1)); diag "$d: accepted or refused too late: $(cat bad.out)"
	fi
done
[ "$bad" -eq 0 ] && [ "$total" -gt 40 ] && ok "$total altered media refused before any token call" ||
	not_ok "$bad of $total altered media not refused in time"
tokens_unchanged "altered media"
mkdir fifo-medium && cp medium/backup.pub.pem medium/backup.root.pem medium/backup.manifest fifo-medium/ &&
	mkfifo fifo-medium/backup.wrapped
check_fails "a FIFO in place of the wrapped key is refused (no hang)" "FIFO" \
	restore_nomod --from fifo-medium --share-file "$s1" --share-file "$s2"
mkdir link-medium && cp medium/backup.pub.pem medium/backup.root.pem medium/backup.manifest link-medium/ &&
	ln -s "$T/medium/backup.wrapped" link-medium/backup.wrapped
check_fails "a symbolic link in place of the wrapped key is refused" "symbolic link" \
	restore_nomod --from link-medium --share-file "$s1" --share-file "$s2"
check_fails "--issuer of another root is refused before any token call" "not the root certificate|not the one of the backed-up key" \
	restore_nomod --from medium --issuer "$T/plain.pem" --share-file "$s1" --share-file "$s2"

# --- restore refusals at the token -------------------------------------------
# the wrap key of another backup, the manifest pointed at its shares: the
# token refuses to unwrap, and no half-made key stays behind
mkdir wrongkey && cp medium/* wrongkey/ && chmod 644 wrongkey/backup.manifest &&
	set2=$(sed -n 's/^share-set: //p' medium2/backup.manifest) &&
	sed -i "s/^share-set: .*/share-set: $set2/" wrongkey/backup.manifest
check_fails "the blob under another backup's wrap key: the token refuses to unwrap" \
	"unwrapping the backup failed \(CKR_[A-Z_]*\)" \
	bk_restore wrongkey shares2/share-1-of-3.txt shares2/share-3-of-3.txt
tokens_unchanged "wrong wrap key"
check "the positive run: restore into r2" bk_restore medium "$s1" "$s3"
n2=$(nobj r2)
check_fails "a second restore under the same label is refused" "already holds an object labelled 'root' \\((private key|public key|data)\\)" \
	bk_restore medium "$s2" "$s3"
tokens_unchanged "label in use"
check "  ... under another --label it works" \
	"$KC" backup restore --token r2 --from medium --label root-b --pin-file "$T/pin" \
	--share-file "$s2" --share-file "$s3"
n2=$(nobj r2)
( umask 077; printf '000000\n' > badpin )
check_fails "a wrong user PIN at restore: refused, nothing added" "wrong PIN" \
	"$KC" backup restore --token r2 --from medium --label root-c --pin-file "$T/badpin" \
	--share-file "$s1" --share-file "$s2"
tokens_unchanged "wrong user PIN"

# a restored key without its restore record is refused by the key policy
# (an imported key cannot pass for a restored one)
pkcs11-tool --module "$MODULE" --token-label r2 --login --pin 123456 --delete-object --type data \
	--label root-b >/dev/null 2>&1 || bail "pkcs11-tool --delete-object"
check_fails "a CKA_LOCAL=FALSE key without the restore record is refused for signing" \
	"key 'root-b' in token 'r2': CKA_ALWAYS_SENSITIVE is FALSE, must be TRUE|CKA_LOCAL is FALSE, must be TRUE" \
	"$KC" crl --token r2 --label root-b --issuer root.pem --out root.crl --pin-file "$T/pin" --state "$T/st"
[ -e root.crl ] && not_ok "  ... a CRL was written" || ok "  ... no CRL written"
check "  ... while the restored key with its record signs a CRL" \
	"$KC" crl --token r2 --label root --issuer root.pem --out root2.crl --pin-file "$T/pin" --state "$T/st"

done_testing

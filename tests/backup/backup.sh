#!/bin/sh
# Root key backup and restore (issue 17) on two SoftHSM tokens: a
# backup-capable root key in r1 is wrapped under an SO-trusted wrap key
# split 2-of-3; restored into r2 from two sheets, it signs an intermediate
# that verifies under the original root certificate. No byte of the wrap
# key reaches the medium or the terminal; the module refuses to wrap the
# key under a key that is not CKA_TRUSTED; the wrap key is left in neither
# token.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

backup_setup ec-p384
mkdir medium shares

# --- what the module does ----------------------------------------------
n1=$(nobj r1)
check "probe: SoftHSM honours CKA_TRUSTED and CKA_WRAP_WITH_TRUSTED, wraps and unwraps a private key with CKM_AES_KEY_WRAP_PAD" \
	"$BK" probe "$MODULE" r1 "$T/sopin"
grep -q 'ok=1' .out && ok "  ... every capability" || not_ok "  ... every capability"
[ "$(nobj r1)" = "$n1" ] && ok "  ... the probe left no object in the token ($n1)" ||
	not_ok "  ... the probe left objects ($(nobj r1), was $n1)"
check_fails "C_WrapKey of the root key under a wrap key that is not CKA_TRUSTED: refused by the module" \
	'CKR_KEY_NOT_WRAPPABLE' "$BK" wrap-untrusted "$MODULE" r1 "$T/pin" root
[ "$(nobj r1)" = "$n1" ] && ok "  ... the untrusted wrap key is gone with its session" ||
	not_ok "  ... objects left: $(nobj r1), was $n1"
pkcs11 r1
grep -A4 'Private Key Object' p11.out | grep -q 'Access: *sensitive, always sensitive, extractable, local$' &&
	ok "the backup-capable key reads sensitive, always sensitive, extractable, local (not never-extractable)" ||
	{ not_ok "backup-capable key attributes"; sed 's/^/#   /' p11.out; }

# --- backup create ---------------------------------------------------------
check "backup create: 2 of 3, sheets to their own directory" \
	bk_create medium shares --custodian Alice --custodian Bob --custodian Carol
cp .out create.out
for f in backup.manifest backup.wrapped backup.pub.pem backup.root.pem; do
	[ -f "medium/$f" ] && ok "medium has $f" || not_ok "medium lacks $f"
done
[ "$(stat -c %a medium/backup.wrapped)" = 600 ] && ok "the wrapped key is 0600" || not_ok "wrapped key mode"
[ "$(ls shares)" = "share-1-of-3.txt
share-2-of-3.txt
share-3-of-3.txt" ] && ok "three sheets" || { not_ok "sheets"; ls shares | sed 's/^/#   /'; }
[ "$(stat -c %a shares/share-2-of-3.txt)" = 600 ] && ok "sheets are 0600" || not_ok "sheet mode"
ls medium | grep -q share && not_ok "a sheet on the backup medium" || ok "no sheet on the backup medium"
grep -q '^custodian: Bob$' shares/share-2-of-3.txt && ok "sheet 2 names its custodian" || not_ok "custodian name"
grep -q '^mechanism: CKM_AES_KEY_WRAP_PAD$' medium/backup.manifest && ok "manifest names the mechanism" ||
	not_ok "manifest mechanism"
set_id=$(sed -n 's/^share-set: //p' medium/backup.manifest)
grep -q "set $set_id" shares/share-1-of-3.txt && ok "sheets carry the manifest's share set ($set_id)" ||
	not_ok "share set"
[ "$(nobj r1)" = "$n1" ] && ok "backup create left no wrap key in r1 ($n1 objects)" ||
	not_ok "r1 holds $(nobj r1) objects, was $n1"
openssl pkey -pubin -in medium/backup.pub.pem -noout 2>/dev/null && ok "the public key parses" || not_ok "pub"
openssl x509 -in root.pem -noout -pubkey | cmp -s - medium/backup.pub.pem &&
	ok "the medium's public key is the root certificate's" || not_ok "public key differs from root.pem"
pkcs11 r1
grep -A4 'Private Key Object' p11.out | grep -q 'never extractable' &&
	not_ok "r1's key claims never-extractable after a backup" ||
	ok "after backup r1's key honestly does not read CKA_NEVER_EXTRACTABLE"

# --- restore ---------------------------------------------------------------
n2=$(nobj r2)
check "backup restore into r2 from sheets 1 and 3" \
	bk_restore medium shares/share-1-of-3.txt shares/share-3-of-3.txt
cp .out restore.out
grep -q "a test signature verifies" restore.out && ok "  ... the restored key signed a test value that verifies" ||
	not_ok "  ... self-test not reported"
[ "$(nobj r2)" = $((n2 + 3)) ] && ok "  ... r2 gained the key, its public key and the restore record, no wrap key" ||
	not_ok "  ... r2 holds $(nobj r2) objects, was $n2 (+3 expected)"
pkcs11 r2
grep -A4 'Private Key Object' p11.out | grep -q 'Access: *sensitive, extractable$' &&
	ok "  ... restored key: sensitive, extractable only under trusted keys, not local, not always sensitive" ||
	{ not_ok "  ... restored key attributes"; sed 's/^/#   /' p11.out; }
grep -A3 'Private Key Object' p11.out | grep -q 'Usage: *sign$' && ok "  ... sign-only" || not_ok "  ... usage"

# the restored key signs an intermediate that verifies under the original root
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key \
	-subj "/CN=Restored Root Intermediate/O=Example" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=keyCertSign" \
	-out inter.csr 2>/dev/null || bail "openssl req"
check "intermediate sign with the restored key in r2" \
	"$KC" intermediate sign --token r2 --pin-file "$T/pin" --state "$T/state" --label root \
	--issuer root.pem --csr inter.csr --days 365 --path-len 0 --yes --out inter.pem
check "  ... the intermediate verifies under the ORIGINAL root certificate" \
	openssl verify -x509_strict -CAfile root.pem inter.pem
check "the original key in r1 still signs too" \
	"$KC" intermediate sign --token r1 --pin-file "$T/pin" --state "$T/state1" --label root \
	--issuer root.pem --csr inter.csr --days 365 --path-len 0 --yes --out inter1.pem

# a second restore with the other pair of sheets works the same (any 2 of 3)
softhsm2-util --init-token --free --label r3 --pin 123456 --so-pin 12345678 >/dev/null || bail "init r3"
check "restore into r3 from sheets 3 and 2 (any 2 of 3)" \
	"$KC" backup restore --token r3 --from medium --pin-file "$T/pin" \
	--share-file shares/share-3-of-3.txt --share-file shares/share-2-of-3.txt

# --- an RSA root the same way ----------------------------------------------
"$BK" root "$MODULE" r1 "$T/pin" rsa-root rsa-3072 "/CN=Backup Test RSA Root/O=Example" \
	"$T/rsa-root.pem" >bk.out 2>&1 || { cat bk.out; bail "bkhelper root rsa-3072"; }
mkdir rsa-medium rsa-shares
check "backup create of an RSA-3072 root, 3 of 5" \
	"$KC" backup create --token r1 --label rsa-root --out-dir rsa-medium --threshold 3 --custodians 5 \
	--share-dir rsa-shares --issuer rsa-root.pem --pin-file "$T/pin" --so-pin-file "$T/sopin"
grep -q '^algorithm: rsa-3072$' rsa-medium/backup.manifest && ok "  ... the manifest says rsa-3072" ||
	not_ok "  ... algorithm"
check_fails "  ... two of its five sheets are not enough" "2 share sheets given, this backup needs 3 of its 5" \
	"$KC" backup restore --token r2 --from rsa-medium --pin-file "$T/pin" \
	--share-file rsa-shares/share-1-of-5.txt --share-file rsa-shares/share-5-of-5.txt
check "  ... restored into r2 from sheets 5, 1 and 4" \
	"$KC" backup restore --token r2 --from rsa-medium --pin-file "$T/pin" \
	--share-file rsa-shares/share-5-of-5.txt --share-file rsa-shares/share-1-of-5.txt \
	--share-file rsa-shares/share-4-of-5.txt
check "  ... the restored RSA key signs an intermediate" \
	"$KC" intermediate sign --token r2 --pin-file "$T/pin" --state "$T/state-rsa" --label rsa-root \
	--issuer rsa-root.pem --csr inter.csr --days 365 --path-len 0 --yes --out inter-rsa.pem
check "  ... that verifies under the original RSA root" \
	openssl verify -x509_strict -CAfile rsa-root.pem inter-rsa.pem

# --- no wrap-key byte anywhere ---------------------------------------------
check "the sheets rebuild the wrap key (quorum combine, for the scan)" \
	"$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --out wk.hex
python3 - "$T" <<'PY' && ok "no byte of the wrap key (hex, upper-case hex or raw) on the medium, in the outputs or in either token's files" || not_ok "the wrap key leaked (see above)"
import os, sys
t = sys.argv[1]
hx = open(os.path.join(t, "wk.hex")).read().strip()
assert len(hx) == 64, hx
raw = bytes.fromhex(hx)
needles = [hx.encode(), hx.upper().encode(), raw, raw[:16], raw[16:]]
bad = []
roots = [os.path.join(t, "medium"), os.path.join(t, "softhsm"), os.path.join(t, "state")]
files = [os.path.join(t, f) for f in ("create.out", "restore.out", "inter.pem")]
for r in roots:
    for d, _, fs in os.walk(r):
        files += [os.path.join(d, f) for f in fs]
for f in files:
    data = open(f, "rb").read()
    for n in needles:
        if n in data:
            bad.append(f)
print("# scanned %d files" % len(files))
for b in sorted(set(bad)):
    print("# wrap key found in", b)
sys.exit(1 if bad else 0)
PY
grep -q "$set_id" create.out && ok "the share set is named on the terminal" || not_ok "set id not shown"
grep -Eq '[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}' create.out restore.out &&
	not_ok "a share was printed although --share-dir was given" || ok "no share printed with --share-dir"
rm -f wk.hex

done_testing

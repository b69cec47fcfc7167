#!/bin/sh
# Root key backup (issue 17): with --state, `backup create` and `backup
# restore` record what they did in the state directory's register (table
# backups: kind, token, key, SHA-256 of the wrapped key, public key and
# root certificate, the shares' set, K, N, the medium), never a byte of
# the wrap key (scan of the register, hex, upper-case hex, raw bytes and
# halves). Without --state nothing is recorded and no register is made. A
# --state that is the backup medium is refused before the token is touched.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"
command -v sqlite3 >/dev/null || bail "sqlite3 missing"

backup_setup ec-p256
mkdir medium shares medium0 shares0 medium3 shares3
n1=$(nobj r1)
q() { sqlite3 -separator ' ' state/register.sqlite "$1"; }

# negative control: without --state no register anywhere
check "backup create without --state" bk_create medium0 shares0
[ ! -e state ] && [ -z "$(find . -name 'register.sqlite*' ! -path './softhsm/*')" ] &&
	ok "  ... no register made" || not_ok "  ... a register appeared"

check "backup create --state state" bk_create medium shares --state "$T/state"
[ -f state/register.sqlite ] && ok "  ... the register is made" || not_ok "  ... no register"
wsha=$(sha256sum medium/backup.wrapped | cut -c1-64)
set_id=$(sed -n 's/^set \([^ ]*\).*/\1/p;s/^set: *//p' medium/backup.manifest | head -1)
row=$(q "SELECT kind, token, key_label, alg, k, n, wrapped_sha256, medium FROM backups")
[ "$row" = "create r1 root ec-p256 2 3 $wsha medium" ] && ok "  ... one row: create r1 root ec-p256 2 of 3, the wrapped key's SHA-256, the medium" ||
	not_ok "  ... row: '$row'"
mp=$(sed -n 's/^pub-sha256[:=] *//p;s/^pub_sha256[:=] *//p' medium/backup.manifest | head -1)
[ -n "$mp" ] || mp=$(grep -o '[0-9a-f]\{64\}' medium/backup.manifest | sed -n 2p)
[ "$(q "SELECT pub_sha256 FROM backups")" != "" ] && q "SELECT pub_sha256, cert_sha256 FROM backups" | tr ' ' '\n' |
	while read -r h; do grep -q "$h" medium/backup.manifest || exit 1; done &&
	ok "  ... its public key and certificate hashes are the manifest's" || not_ok "  ... hashes not the manifest's"
[ "$(q "SELECT count(*) FROM issued")" = 0 ] && ok "  ... nothing added to the certificates' table" || not_ok "  ... issued rows"

# rs MEDIUM SHEET1 SHEET2 [args]: backup restore into r2
rs() { _m=$1 _a=$2 _b=$3; shift 3
	"$KC" backup restore --token r2 --from "$_m" --pin-file "$T/pin" --share-file "$_a" --share-file "$_b" "$@"; }
check "backup restore --state state" rs medium shares/share-1-of-3.txt shares/share-3-of-3.txt --state "$T/state"
cp "$T/.out" restore.out
row=$(q "SELECT kind, token, key_label, wrapped_sha256 FROM backups WHERE kind = 'restore'")
[ "$row" = "restore r2 root $wsha" ] && ok "  ... a restore row: r2, root, the same wrapped key" || not_ok "  ... row: '$row'"
[ "$(q "SELECT count(*) FROM backups")" = 2 ] && ok "  ... two rows in all" || not_ok "  ... $(q "SELECT count(*) FROM backups") rows"
q "SELECT set_id FROM backups" | sort -u | wc -l | grep -qx 1 && ok "  ... both name the same share set" || not_ok "  ... set ids differ"

# --- refusals, nothing recorded, tokens unchanged ---------------------------
n2=$(nobj r2)
check_fails "backup create --state on the backup medium itself is refused" \
	"--state .* is the backup medium" bk_create medium3 shares3 --state "$T/medium3"
[ -z "$(ls -A medium3)" ] && [ -z "$(ls -A shares3)" ] && ok "  ... nothing on the medium or the sheets" ||
	not_ok "  ... written: $(ls -A medium3 shares3 | tr '\n' ' ')"
[ "$(nobj r1)" = "$n1" ] && ok "  ... r1 unchanged" || not_ok "  ... r1 $(nobj r1), was $n1"
check_fails "backup restore --state on the backup medium is refused" "--state .* is the backup medium" \
	rs medium shares/share-1-of-3.txt shares/share-2-of-3.txt --label root2 --state "$T/medium"
[ "$(nobj r2)" = "$n2" ] && ok "  ... r2 unchanged" || not_ok "  ... r2 $(nobj r2), was $n2"
[ ! -e medium/register.sqlite ] && ok "  ... no register on the medium" || not_ok "  ... a register on the medium"
[ "$(q "SELECT count(*) FROM backups")" = 2 ] && ok "  ... still two rows" || not_ok "  ... rows changed"
# a failed restore (a sheet of another backup) records nothing
check_fails "a restore refused for a foreign sheet records nothing" "not of this backup.*a sheet of another" \
	rs medium shares/share-1-of-3.txt shares0/share-2-of-3.txt --label root3 --state "$T/state"
[ "$(q "SELECT count(*) FROM backups")" = 2 ] && ok "  ... still two rows" || not_ok "  ... rows changed"

# --- no wrap-key byte in the register ----------------------------------------
check "the sheets rebuild the wrap key (quorum combine, for the scan)" \
	"$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt --out wk.hex
sqlite3 state/register.sqlite .dump >dump.sql
python3 - "$T" <<'PY' && ok "no byte of the wrap key (hex, upper-case hex, raw, halves) in the register, its dump or the outputs" || not_ok "the wrap key leaked"
import os, sys
t = sys.argv[1]
hx = open(os.path.join(t, "wk.hex")).read().strip()
assert len(hx) == 64, hx
raw = bytes.fromhex(hx)
needles = [hx.encode(), hx.upper().encode(), hx[:32].encode(), hx[32:].encode(), raw, raw[:16], raw[16:]]
files = [os.path.join(t, f) for f in ("dump.sql", "restore.out")]
for d, _, fs in os.walk(os.path.join(t, "state")):
    files += [os.path.join(d, f) for f in fs]
bad = [f for f in files for n in needles if n in open(f, "rb").read()]
print("# scanned %d files" % len(files))
sys.exit(1 if bad else 0)
PY
# and no share either: no share sheet line in the register
for s in shares/share-*-of-3.txt; do
	grep -Eo '[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3,}' "$s" | head -1
done >share-lines.txt
if [ -s share-lines.txt ] && grep -qFf share-lines.txt dump.sql; then not_ok "a share is in the register"
else ok "no share of the sheets in the register"; fi
# the scanner finds the key when it is there (positive control)
cp dump.sql dump2.sql; cat wk.hex >>dump2.sql
python3 -c "import sys; sys.exit(0 if open('$T/wk.hex').read().strip().encode() in open('$T/dump2.sql','rb').read() else 1)" &&
	ok "  ... (the scan finds the wrap key when it is planted)" || not_ok "  ... scan control"
rm -f wk.hex dump2.sql
done_testing

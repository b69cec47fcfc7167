# lib-backup.sh: sourced by tests/backup/*.sh after tests/lib.sh. Two
# SoftHSM tokens, r1 holding a backup-capable root key 'root' (root.pem)
# made by tests/backup/bkhelper, r2 empty; user PIN $T/pin, SO PIN
# $T/sopin on both.
BK="$KC_TOP_BUILDDIR/tests/backup/bkhelper"
[ -x "$BK" ] || bail "tests/backup/bkhelper missing (make check builds it)"
command -v pkcs11-tool >/dev/null || bail "pkcs11-tool missing: install opensc"

# backup_setup [ALG]
backup_setup() {
	softhsm_setup r1
	softhsm2-util --init-token --free --label r2 --pin 123456 --so-pin 12345678 >/dev/null \
		|| bail "softhsm2-util --init-token r2"
	"$BK" root "$MODULE" r1 "$T/pin" root "${1:-ec-p384}" "/CN=Backup Test Root/O=Example" \
		"$T/root.pem" >"$T/bk.out" 2>&1 || { cat "$T/bk.out"; bail "bkhelper root"; }
}

# nobj TOKEN: the objects a logged-in user sees in TOKEN
nobj() {
	pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O 2>/dev/null |
		grep -cE '^(Private Key|Public Key|Secret Key|Certificate) Object|^Data object'
}

# pkcs11 TOKEN: pkcs11-tool -O of TOKEN into $T/p11.out
pkcs11() {
	pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O >"$T/p11.out" 2>/dev/null
}

# bk_create MEDIUM SHARES [extra args]: backup create of r1's root
bk_create() {
	_m=$1 _s=$2; shift 2
	"$KC" backup create --token r1 --label root --out-dir "$_m" --threshold 2 \
		--custodians 3 --share-dir "$_s" --issuer "$T/root.pem" \
		--pin-file "$T/pin" --so-pin-file "$T/sopin" "$@"
}

# bk_restore MEDIUM SHEET... : backup restore into r2
bk_restore() {
	_m=$1; shift
	_a=""
	for _f in "$@"; do _a="$_a --share-file $_f"; done
	# shellcheck disable=SC2086
	"$KC" backup restore --token r2 --from "$_m" --pin-file "$T/pin" $_a
}

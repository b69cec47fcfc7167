#!/bin/sh
# ENOSPC during issuance: outputs on a tiny tmpfs that fills up at
# different points (0, 1, 2, 3 free pages). Each failure: exit 1 with the
# reason, no partial or temporary file, no ledger or register entry; once
# there is room again the same command succeeds. Covers factorysign sign
# (outputs, and the factory directory with its ledger on the full disk),
# factorysign batch, keyceremony intermediate sign and root create (no key
# left behind in the token). Needs a tmpfs mount: root, or an unprivileged
# user namespace (the test re-runs itself under `unshare -rm`).
if [ "$(id -u)" != 0 ] && [ -z "${KC_UNSHARED:-}" ]; then
	KC_UNSHARED=1 exec unshare -rm sh "$0" "$@"
fi
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
CHECK="python3 $KC_TOP_SRCDIR/tests/faults/ledger-check.py"
fs_setup
cp -a "$T/D" "$T/D0"
# M: 64 kB for single outputs; B: 4 MB for a factory directory and a batch.
M=$T/mnt B=$T/big
mkdir "$M" "$B"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$M" || bail "cannot mount a tmpfs on $M (run as root)"
trap 'umount "$M" "$B" 2>/dev/null; _tap_cleanup' EXIT
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$B" || bail "cannot mount a tmpfs on $B"

# fill N [MNT]: the tmpfs full but for N pages.
fill() {
	_m=${2:-$M}
	rm -f "$_m/fill"
	dd if=/dev/zero of="$_m/fill" bs=4096 2>/dev/null
	[ "$1" -gt 0 ] && truncate -s "-$(( $1 * 4096 ))" "$_m/fill"
	return 0
}
rows() { sqlite3 "$1" "SELECT count(*) FROM certs" 2>/dev/null || echo 0; }
no_temp() { ! find "$M" -name '.*' -o -name '*.tmp*' | grep -q .; }

# --- factorysign sign, outputs on the full disk ----------------------------
mkdir "$M/out"
for free in 0 1 2; do
	mkcsr "dev-$free"
	fill "$free"
	before=$(rows "$T/D/ledger.sqlite")
	check_fails "sign with $free free pages: refused" "[Nn]o space left" \
		"$FS" sign --dir "$T/D" --csr "$T/csr/dev-$free.csr" --out-dir "$M/out" \
		--pass-file "$PASS"
	check "  ... no file of dev-$free, no temporary file" \
		sh -c "! ls '$M/out' | grep -q dev-$free && ! ls -A '$M/out' | grep -q '^\.'"
	check "  ... no ledger row" test "$(rows "$T/D/ledger.sqlite")" = "$before"
	rm -f "$M/fill"
	check "  ... with room again the same CSR is signed" "$FS" sign --dir "$T/D" \
		--csr "$T/csr/dev-$free.csr" --out-dir "$M/out" --pass-file "$PASS"
done
check "ledger consistent" $CHECK "$T/D/ledger.sqlite" "$M/out"
rm -rf "$M/out"

# --- the factory directory (ledger) on the full disk -----------------------
cp -a "$T/D0" "$B/D"
mkdir "$T/out2"
mkcsr ledger-full
"$FS" sign --dir "$B/D" --csr "$T/csr/dev-0.csr" --out-dir "$T/out2" \
	--pass-file "$PASS" >/dev/null 2>&1 || bail "sign with D on tmpfs"
fill 0 "$B"
"$FS" sign --dir "$B/D" --csr "$T/csr/ledger-full.csr" --out-dir "$T/out2" \
	--pass-file "$PASS" >"$T/full.out" 2>&1
rc=$?
check "sign with the ledger on a full disk: exit 1" test "$rc" = 1
check "  ... says why" grep -Eq "[Nn]o space left|disk is full|disk I/O" "$T/full.out"
check "  ... no output of that device written" test ! -e "$T/out2/ledger-full.cert.pem"
rm -f "$B/fill"
check "  ... ledger consistent" $CHECK "$B/D/ledger.sqlite" "$T/out2"
check "  ... with room again it is signed" "$FS" sign --dir "$B/D" \
	--csr "$T/csr/ledger-full.csr" --out-dir "$T/out2" --pass-file "$PASS"
rm -rf "$B/D" "$T/D"
cp -a "$T/D0" "$T/D"

# --- factorysign batch into a disk that fills up ---------------------------
mkdir "$T/in" "$B/out"
"$KC_TOP_BUILDDIR/tests/faults/mkcsrs" "$T/in" 60 bat || bail "mkcsrs"
fill 100 "$B"
"$FS" batch --dir "$T/D" --csr-dir "$T/in" --out-dir "$B/out" --pass-file "$PASS" \
	--quiet --commit-every 10 >"$T/batch.out" 2>&1
rc=$?
check "batch into a filling disk: exit 1" test "$rc" = 1
check "  ... says why" grep -q "[Nn]o space left" "$T/batch.out"
check "  ... naming the CSR once (the message does not repeat itself)" \
	sh -c "grep -q 'in/bat-[0-9]*\.csr' '$T/batch.out' && ! grep -Eq '(in/bat-[0-9]+\.csr).*\1' '$T/batch.out'"
check "  ... ledger consistent, every recorded certificate complete" \
	$CHECK "$T/D/ledger.sqlite" "$B/out"
# the files are written by a second thread: a device reported issued and
# then rolled back with the failed commit must not be counted as issued
check "  ... the summary's issued count is the ledger's" sh -c '
	n=$(sed -n "s/.*: \([0-9]*\) issued.*/\1/p" "$1")
	rows=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from certs\").fetchone()[0])" "$2")
	[ -n "$n" ] && [ "$n" = "$rows" ]' sh "$T/batch.out" "$T/D/ledger.sqlite"
check "  ... no temporary file" sh -c "! ls -A '$B/out' | grep -q '^\.'"
rm -f "$B/fill"
check "  ... rerun with room completes" "$FS" batch --dir "$T/D" --csr-dir "$T/in" \
	--out-dir "$B/out" --pass-file "$PASS" --quiet
check "  ... every CSR issued once" $CHECK "$T/D/ledger.sqlite" "$B/out" "$T/in"

# --- keyceremony: root create and intermediate sign ------------------------
softhsm_setup test
S=$T/state
common="--token test --pin-file $T/pin --state $S"
fill 0
check_fails "root create with --out on a full disk: refused" "[Nn]o space left" \
	"$KC" root create $common --label root --algorithm ec-p384 \
	--subject "/CN=Full Disk Root" --days 3650 --out "$M/root.pem"
check "  ... no root.pem" test ! -e "$M/root.pem"
"$KC" token keys --token test --pin-file "$T/pin" >"$T/keys.out" 2>&1
check "  ... no key left in the token" sh -c "! grep -q 'root' '$T/keys.out'"
rm -f "$M/fill"
check "root create (room again)" "$KC" root create $common --label root \
	--algorithm ec-p384 --subject "/CN=Full Disk Root" --days 3650 --out "$T/root-kc.pem"
nreg() { "$KC" register list --state "$S" 2>/dev/null | grep -c intermediate; }
before=$(nreg)
fill 0
check_fails "intermediate sign with --out on a full disk: refused" "[Nn]o space left" \
	"$KC" intermediate sign $common --label root --issuer "$T/root-kc.pem" \
	--csr "$T/D/intermediate.csr" --days 30 --yes --out "$M/inter.pem"
check "  ... no inter.pem, no temporary file" sh -c "test ! -e '$M/inter.pem' && ! ls -A '$M' | grep -q '^\.'"
check "  ... nothing in the register" test "$(nreg)" = "$before"
rm -f "$M/fill"
done_testing

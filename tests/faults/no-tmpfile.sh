#!/bin/sh
# Where an unnamed file (O_TMPFILE) cannot be linked in, ID.cert.pem falls
# back to a temporary name and rename(2). Here factorysign's /proc/self/fd
# is hidden (a tmpfs over it, in its own mount namespace: unshare -rm; only
# that directory, as the sanitizers need the rest of /proc), so linkat from
# /proc/self/fd fails: the batch must still complete, every chain verify,
# the ledger be consistent with nothing else in OUT, and a temporary file
# left by a killed run be removed by the rerun.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
CHECK="python3 $KC_TOP_SRCDIR/tests/faults/ledger-check.py"
fs_setup

# hide CMD...: runs CMD with an empty /proc/self/fd (exec keeps the pid)
hide() {
	unshare -rm sh -c 'mount -t tmpfs none "/proc/$$/fd" && exec "$@"' sh "$@"
}
hide sh -c 'test -d /proc/self/task && test ! -e /proc/self/fd/0' ||
	bail "cannot hide /proc/self/fd in a mount namespace (unshare -rm)"

mkdir in
"$KC_TOP_BUILDDIR/tests/factory/gencsr" in 30 fb- || bail gencsr
check "batch with /proc/self/fd hidden (rename fallback)" \
	hide "$FS" batch --dir D --csr-dir in --out-dir out --pass-file "$PASS" --quiet
check "  ... 30 x 3 files" test "$(ls out | wc -l)" = 90
ok_chains=0
for c in out/*.chain.pem; do
	openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted "$c" "$c" \
		>/dev/null 2>&1 && ok_chains=$((ok_chains + 1))
done
check "  ... all 30 chains verify" test "$ok_chains" = 30
check "  ... ledger consistent, every CSR once, nothing else in OUT" \
	$CHECK D/ledger.sqlite out in

# what a run killed between write and rename leaves behind
"$KC_TOP_BUILDDIR/tests/factory/gencsr" in 1 late- || bail gencsr
printf 'partial' > out/late-000001.cert.pem.tmp-00001234000000ff
hide "$FS" batch --dir D --csr-dir in --out-dir out --pass-file "$PASS" --quiet \
	> "$T/rerun.out" 2>&1
check "rerun: the temporary file is reported removed" grep -q "removed 1 temporary file" "$T/rerun.out"
check "  ... and the new device issued, the rest already done" \
	grep -q "1 issued, 30 already issued, 0 repaired, 0 failed" "$T/rerun.out"
check "  ... ledger consistent, nothing else in OUT" $CHECK D/ledger.sqlite out in
done_testing

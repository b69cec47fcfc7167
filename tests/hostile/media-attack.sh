#!/bin/sh
# The medium under a second attacker (issue 12 review of items 1, 2, 7, 11):
# what tests/hostile/media.sh and its corpus did not try, at exact moments
# instead of in races (tests/hostile/mediaswap.so, an LD_PRELOAD shim):
#   - the medium directory swapped for a link to another directory after
#     it was checked (at the probe, at the first file, at SHA256SUMS, and
#     during a rollback): nothing is written through the link, the checked
#     directory holds a complete export or what it held; before, the files
#     and the probe went through the link and a "rolled back" export left a
#     full copy outside the medium;
#   - an export killed with SIGKILL half way (a temporary file written, not
#     renamed; every file written, no SHA256SUMS): the next export refuses
#     the leftover by name instead of keeping it silently, and succeeds
#     once it is removed;
#   - a ceremony file naming the PIN file of the state directory as its
#     'code-file': refused (an input has the extension of its kind); before,
#     a DPS certificate with CN = the PIN was signed;
#   - a transcript swapped for a valid one while export verified it through
#     its path: the bytes read are verified; before, the PIN left as t.log;
#   - positives beside each: names that differ from the medium's in more
#     than case, a temporary-looking name that is not ours, a .code input.
. "$KC_TOP_SRCDIR/tests/lib.sh"
CER=$KC_TOP_SRCDIR/ceremony
SHIM=$KC_TOP_BUILDDIR/tests/hostile/mediaswap.so
[ -f "$SHIM" ] || bail "tests/hostile/mediaswap.so missing (make check builds it)"
# The shim comes before the sanitizer runtime in the library list.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
cd "$T" || bail "no temp dir"

PIN=kcAttackPin0815zq
demo_token "$PIN"
mkdir media usb
runc() {
	"$KC" run "$1" --site "${2:-demo.site}" --batch --role officer="Olga Officer" \
		--role witness="Wim Witness" > run.out 2>&1
}
runc "$CER/root-ca.yaml" || { sed 's/^/#   /' run.out; bail "ceremony root-ca"; }
echo 5C7E0A1B2C3D4E5F > usb/dps-verification.code
"$KC" import --from usb --state state dps-verification.code >/dev/null 2>&1 || bail "import code"
runc "$CER/dps-proof-of-possession.yaml" || { sed 's/^/#   /' run.out; bail "ceremony dps"; }
cp -a state golden
# what an export of golden writes: its top-level files but the register
# and transcripts/, the two transcripts and the register dump
nfiles=$(( $(cd golden && ls -A | grep -vc '^register.sqlite') - 1 + 2 + 1 ))

# listing DIR: what is under DIR, links shown as links, hashes of files.
listing() { (cd "$1" && find . -printf '%p %y %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
no_temp() { ! find "$@" -name '*.tmp-*' -o -name '.kc-probe-*' | grep -q .; }
swapx() { # ON EXTRA-ENV...: export golden to R/M/sub, swapping it at ON
	_on=$1; shift
	rm -rf R; mkdir -p R/M/sub R/else
	(cd R && env "$@" KC_SWAP_ON="$_on" KC_SWAP_DIR=M/sub KC_SWAP_TO=../else \
		LD_PRELOAD="$SHIM" "$KC" export --state ../golden --to M/sub) > swap.out 2>&1
}

# ---- 1. the medium directory swapped for a link after the check ----
for on in .kc-probe- root.pem.tmp- SHA256SUMS.tmp-; do
	swapx "$on"
	rc=$?
	check "swap at $on: the export completes (exit $rc)" test "$rc" = 0
	check "... the swap happened (M/sub is now a link)" test -L R/M/sub
	check "... nothing was written through the link" sh -c "test -z \"\$(ls -A R/else)\""
	check "... the checked directory holds the whole export, SHA256SUMS checks" sh -c \
		"cd R/M/sub.real && sha256sum -c --strict --quiet SHA256SUMS && test \$(wc -l < SHA256SUMS) = $nfiles"
	check "... no temporary or probe file left anywhere" no_temp R
done
# and while it rolls back
swapx root.pem.tmp- KC_TEST_MEDIA_FAIL_AFTER=2
rc=$?
check "swap, then a failed write: exit 1 (exit $rc)" test "$rc" = 1
check "... rolled back" grep -q "rolled back" swap.out
check "... nothing outside the checked directory" sh -c "test -z \"\$(ls -A R/else)\""
check "... the checked directory is empty again" sh -c "test -z \"\$(ls -A R/M/sub.real)\""
check "... the PIN is on no terminal" sh -c "! grep -q '$PIN' swap.out"

# ---- 2. an export killed half way ----
kill_export() { # ON [fsync]: export golden to K, SIGKILL at ON
	rm -rf K; mkdir K
	env KC_KILL_ON="$1" ${2:+KC_KILL_FSYNC=1} LD_PRELOAD="$SHIM" \
		"$KC" export --state golden --to K > kill.out 2>&1
}
kill_export root.pem.tmp- fsync
rc=$?
check "export killed after writing root.pem's temporary file (signal 9: exit $rc)" test "$rc" = 137
check "... which is left on the medium" sh -c "ls K | grep -q '^root.pem.tmp-'"
leftover=$(ls K | grep '^root.pem.tmp-')
listing K > k.before
check_fails "the next export refuses the leftover by name" \
	"K/$leftover: a temporary file left by an export that did not finish" \
	"$KC" export --state golden --to K
listing K > k.after
check "... the medium is unchanged" cmp -s k.before k.after
rm -f "K/$leftover"
check "once it is removed, the export completes" "$KC" export --state golden --to K
check "... SHA256SUMS checks, every file listed" sh -c \
	"cd K && sha256sum -c --strict --quiet SHA256SUMS && test \$(wc -l < SHA256SUMS) = \$(ls | grep -vc '^SHA256SUMS\$')"
check "... the PIN is not on the medium" sh -c "! grep -rq '$PIN' K"
check "... no key on the medium" sh "$KC_TOP_SRCDIR/tests/scan-secrets.sh" K
kill_export SHA256SUMS.tmp- fsync
rc=$?
check "export killed while writing SHA256SUMS (exit $rc)" test "$rc" = 137
check_fails "the next export refuses the leftover SHA256SUMS" \
	"K/SHA256SUMS.tmp-[0-9a-f]{12}: a temporary file left by an export that did not finish" \
	"$KC" export --state golden --to K
rm -f K/SHA256SUMS.tmp-*
check "once it is removed, the files already there are kept and listed" "$KC" export --state golden --to K
check "... SHA256SUMS checks" sh -c "cd K && sha256sum -c --strict --quiet SHA256SUMS"
kill_export .kc-probe-
check "export killed at the probe: nothing on the medium" sh -c "test -z \"\$(ls -A K)\""

# positives: names that only look alike
rm -rf P1; mkdir P1; echo notes > P1/notes.tmp-1; echo other > P1/ROOT2.PEM; echo x > P1/root.pem.tmp-0123
check "a medium with look-alike names (notes.tmp-1, ROOT2.PEM, root.pem.tmp-0123) is exported to" \
	"$KC" export --state golden --to P1
check "... SHA256SUMS checks" sh -c "cd P1 && sha256sum -c --strict --quiet SHA256SUMS"
rm -rf P2; mkdir P2
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout p2.key \
	-subj "/CN=Case Positive" -out P2/ROOT2.CSR 2>/dev/null || bail "openssl req"
cp -a golden S2
check "a CSR named ROOT2.CSR beside root.pem is imported" "$KC" import --from P2 --state S2
check "... unchanged" cmp P2/ROOT2.CSR S2/ROOT2.CSR

# ---- 3. a ceremony input that is the PIN file ----
rm -rf C; mkdir C; cp -a golden C/state; mkdir C/media
cp pin C/pin; cp pin C/state/pin
sed 's|^pin-file: pin|pin-file: state/pin|' demo.site > C/demo.site
vcer() { # CODEFILE OUTPUT
	cat <<EOF
keyceremony: 1
name: code-file-test
title: A verification certificate from a code file
roles:
  - id: officer
    title: Officer
steps:
  - id: verify
    title: Proof of possession
    action: verification-sign
    role: officer
    issuer-key: root-2026
    issuer-cert: root.pem
    code-file: $1
    days: 30
    output: $2
EOF
}
vcer pin pin-code.pem > C/pin.yaml
(cd C && listing state) > c.before
(cd C && "$KC" run pin.yaml --site demo.site --batch --role officer="Olga Officer") > c.out 2>&1
rc=$?
check "code-file naming the PIN file of the state directory: refused (exit $rc)" test "$rc" = 1
check "... with the reason" grep -q "pin.yaml:[0-9]*: 'code-file: pin': a verification code is read from a file whose name ends in .code" c.out
(cd C && listing state) > c.after
check "... nothing signed, the state unchanged" sh -c "test ! -e C/state/pin-code.pem && cmp -s c.before c.after"
check "... the PIN is not on the terminal" sh -c "! grep -q '$PIN' c.out"
check_fails "... also for run --check" "'code-file: pin'" sh -c "cd C && '$KC' run pin.yaml --check --site demo.site"
vcer dps-verification.code again.pem > C/code.yaml
check "code-file naming the imported .code: signed" sh -c \
	"cd C && '$KC' run code.yaml --site demo.site --batch --role officer='Olga Officer' >/dev/null 2>&1"
check "... its subject is the code" sh -c "openssl x509 -in C/state/again.pem -noout -subject | grep -q 5C7E0A1B2C3D4E5F"

# ---- 4. a transcript verified through its path again ----
# The state directory's transcripts/t.log holds the PIN; when export opens
# the path a second time to verify it, it finds a valid transcript there,
# and the original is back (same inode, size, times) right after.
rm -rf S4 M4; cp -a golden S4; mkdir M4
printf '%s\n' "$PIN" > S4/transcripts/t.log
cp golden/transcripts/root-ca-*.log valid.log
listing S4 > s4.before
KC_REPLACE_ON=transcripts/t.log KC_REPLACE_WITH="$T/valid.log" LD_PRELOAD="$SHIM" \
	"$KC" export --state S4 --to M4 > t4.out 2>&1
rc=$?
check "a transcript swapped while it is verified: refused (exit $rc)" test "$rc" = 1
check "... because the bytes read do not verify" grep -q "S4/transcripts/t.log: does not verify as a transcript" t4.out
check "... nothing on the medium" sh -c "test -z \"\$(ls -A M4)\""
check "... the PIN is not on the terminal" sh -c "! grep -q '$PIN' t4.out"
listing S4 > s4.after
check "... the state directory is unchanged" cmp -s s4.before s4.after
rm -f S4/transcripts/t.log
check "without the planted file the same state is exported" "$KC" export --state S4 --to M4
check "... SHA256SUMS checks" sh -c "cd M4 && sha256sum -c --strict --quiet SHA256SUMS"
done_testing

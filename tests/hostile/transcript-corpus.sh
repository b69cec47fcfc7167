#!/bin/sh
# Transcript strictness (issue 12 item 5): a real transcript from a SoftHSM
# ceremony, and well over 100 mutated copies of it (planted comments and
# blank lines, CRLF, BOM, NUL, duplicated/reordered/deleted records,
# trailing spaces, a second header, overlong lines, bad escapes, bidi and
# C1 characters, re-chained forgeries) made by transcript-mutate.py. Each
# copy must be refused, naming the line and the reason, with and without
# the paper digest; the untouched transcript verifies (the positive pair),
# and so does a copy in another place.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "no temp dir"
mkdir media
"$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S --media media \
	--role officer="Olga \"O\" Officer" --role witness='Wim\Witness' > run.out 2>&1 ||
	bail "ceremony run failed: $(cat run.out)"
tr=$(ls S/transcripts/*.log)
cp "$tr" good.log
digest=$(sed -n '/^Final digest/{n;p;n;p}' run.out | tr -d ' \n')
[ ${#digest} -eq 64 ] || bail "no digest in run.out"

check "the real transcript verifies with the paper digest" \
	"$KC" transcript verify good.log --digest "$digest"
check "its copy on the media verifies too" \
	"$KC" transcript verify "media/$(basename "$tr")" --digest "$digest"
check "the writer quoted the role names with escapes" grep -q 'Olga \\"O\\" Officer' good.log

# The attack of the issue: a '#' line planted between records used to
# verify and match the paper digest.
awk 'NR == 6 { print "# the witness confirms the key was destroyed" } { print }' good.log > planted.log
check_fails "a planted comment between records is refused, naming line 6" \
	"planted.log:6: a comment line after the header" \
	"$KC" transcript verify planted.log --digest "$digest"

n=$(python3 "$KC_TOP_SRCDIR/tests/hostile/transcript-mutate.py" good.log corpus) ||
	bail "transcript-mutate.py failed"
[ "$n" -ge 100 ] && ok "$n mutated transcripts generated (at least 100)" ||
	not_ok "only $n mutated transcripts"

tab=$(printf '\t')
while IFS="$tab" read -r f line re; do
	"$KC" transcript verify "corpus/$f" > "corpus/$f.out" 2>&1
	rc=$?
	"$KC" transcript verify "corpus/$f" --digest "$digest" > "corpus/$f.dout" 2>&1
	drc=$?
	if [ "$rc" -eq 0 ] || [ "$drc" -eq 0 ]; then
		not_ok "$f: accepted (exit $rc / $drc)"
		continue
	fi
	if ! grep -Eq "corpus/$f:$line: .*($re)" "corpus/$f.out"; then
		not_ok "$f: refused, but not at line $line for /$re/"
		sed 's/^/#   /' "corpus/$f.out"
		continue
	fi
	if ! cmp -s "corpus/$f.out" "corpus/$f.dout"; then
		not_ok "$f: another reason with --digest"
		sed 's/^/#   /' "corpus/$f.dout"
		continue
	fi
	# One line on stderr, nothing raw from the file on the terminal.
	if [ "$(wc -l < "corpus/$f.out")" -ne 1 ] ||
	    LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "corpus/$f.out"; then
		not_ok "$f: the message is not one clean line"
		continue
	fi
	ok "$f refused: line $line, /$re/"
done < corpus/MANIFEST

check "the untouched transcript still verifies after the corpus run" \
	"$KC" transcript verify good.log --digest "$digest"
cmp -s good.log "$tr" && ok "the state dir's transcript is unchanged" ||
	not_ok "the state dir's transcript changed"
done_testing

#!/bin/sh
# keyceremony transcript verify: every kind of tampering with a real
# ceremony transcript is detected (edited byte, dropped, swapped, inserted
# or appended record, truncation, wrong paper digest in hex or PGP words).
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "no temp dir"
mkdir media
"$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S --media media > run.out 2>&1 ||
	bail "ceremony run failed: $(cat run.out)"
tr=$(ls S/transcripts/*.log)
cp "$tr" good.log
digest=$(sed -n '/^Final digest/{n;p;n;p}' run.out | tr -d ' \n')
words=$(sed -n '/^PGP words/,/^REHEARSAL/p' run.out | sed '1d;$d' | tr '\n' ' ' | tr -s ' ' | sed 's/^ //;s/ $//')
nrec=$(grep -c '^KC1 ' good.log)

check "the untouched transcript verifies with the hex digest" "$KC" transcript verify good.log --digest "$digest"
check "... with the digest in upper case, grouped" "$KC" transcript verify good.log \
	--digest "$(echo "$digest" | tr a-f A-F | sed 's/..../& /g')"
check "... with the PGP words" "$KC" transcript verify good.log --digest "$words"

# Edit one byte: every record line, a byte in the middle of it.
fail=0
i=0
for ln in $(grep -n '^KC1 ' good.log | cut -d: -f1); do
	len=$(sed -n "${ln}p" good.log | wc -c)
	for pos in 5 $((len / 2)) $((len - 2)); do
		i=$((i + 1))
		awk -v L="$ln" -v P="$pos" 'NR == L {
			c = substr($0, P, 1); r = (c == "7") ? "8" : "7";
			$0 = substr($0, 1, P - 1) r substr($0, P + 1) } { print }' good.log > t.log
		cmp -s t.log good.log && continue
		if "$KC" transcript verify t.log --digest "$digest" >/dev/null 2>&1; then
			fail=$((fail + 1)); diag "edit at line $ln byte $pos not detected"
		fi
	done
done
check "each of $i one-byte edits is detected" test "$fail" -eq 0
# Without the paper digest, an edit anywhere but the last record breaks the chain.
sed '5s/result=passed/result=failed/;5s/result=warned/result=failed/' good.log > t.log
check_fails "an edited check result breaks the chain" "does not chain" "$KC" transcript verify t.log

# Drop each record in turn.
fail=0
for ln in $(grep -n '^KC1 ' good.log | cut -d: -f1); do
	sed "${ln}d" good.log > t.log
	"$KC" transcript verify t.log --digest "$digest" >/dev/null 2>&1 && fail=$((fail + 1))
done
check "dropping any one of $nrec records is detected" test "$fail" -eq 0
sed '6d' good.log > t.log
check_fails "a dropped record is named" "record number [0-9]+ where [0-9]+ was expected" "$KC" transcript verify t.log

# Swap each pair of neighbouring records.
fail=0
for ln in $(grep -n '^KC1 ' good.log | cut -d: -f1 | sed '$d'); do
	awk -v L="$ln" 'NR == L { hold = $0; next } NR == L + 1 { print; print hold; next } { print }' good.log > t.log
	"$KC" transcript verify t.log --digest "$digest" >/dev/null 2>&1 && fail=$((fail + 1))
done
check "swapping any two neighbouring records is detected" test "$fail" -eq 0

# Append a record, even one that chains correctly.
last=$(grep '^KC1 ' good.log | tail -1)
prev=$(printf '%s' "$last" | sha256sum | cut -c1-64)
cp good.log t.log
echo "KC1 $((nrec + 1)) $prev 2026-11-25T23:00:00Z step step=extra result=ok" >> t.log
check_fails "an appended, chained record after the end" "after the end record" "$KC" transcript verify t.log

# Insert a record that chains, renumbering and re-chaining everything after
# it (the attacker rewrites the whole tail): only the paper digest tells.
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
seq=0; prev=0000000000000000000000000000000000000000000000000000000000000000
: > t.log
while IFS= read -r line; do
	case $line in
	KC1\ *) ;;
	*) printf '%s\n' "$line" >> t.log; continue ;;
	esac
	seq=$((seq + 1))
	if [ "$seq" -eq 4 ]; then
		fake="KC1 4 $prev 2026-11-25T20:00:00Z check check=extra result=passed"
		printf '%s\n' "$fake" >> t.log; prev=$(sha "$fake"); seq=5
	fi
	rest=${line#KC1 * * }
	case $rest in
	*" end records="*) rest=$(printf '%s' "$rest" | sed "s/ end records=[0-9]*/ end records=$((nrec + 1))/") ;;
	esac
	new="KC1 $seq $prev $rest"
	printf '%s\n' "$new" >> t.log; prev=$(sha "$new")
done < good.log
check "the rewritten transcript is internally consistent" "$KC" transcript verify t.log
check_fails "but not the one on paper" "not the .* written on paper" "$KC" transcript verify t.log --digest "$digest"

# Truncation: the end record removed, or the last line cut short.
sed '$d' good.log > t.log
check_fails "a missing end record" "no end record" "$KC" transcript verify t.log
head -c -10 good.log > t.log
check_fails "a record cut short" "cut short" "$KC" transcript verify t.log

# Wrong paper digests.
bad=$(echo "$digest" | sed 's/^./x/;s/^x/0/'); [ "$bad" = "$digest" ] && bad=$(echo "$digest" | sed 's/^./1/')
check_fails "a wrong hex digest" "written on paper" "$KC" transcript verify good.log --digest "$bad"
check_fails "a digest with 63 digits" "63 hex digits" "$KC" transcript verify good.log --digest "${digest%?}"
wbad=$(echo "$words" | awk '{ t = $3; $3 = $4; $4 = t; print }')
check_fails "PGP words with two neighbouring words swapped" "swapped|PGP|paper" "$KC" transcript verify good.log --digest "$wbad"
wdrop=$(echo "$words" | cut -d' ' -f2-)
check_fails "PGP words with the first word left out" "left out|PGP" "$KC" transcript verify good.log --digest "$wdrop"
check_fails "not a transcript" "not a transcript" "$KC" transcript verify S/root.pem
check_fails "no such file" "nosuch.log" "$KC" transcript verify nosuch.log
done_testing

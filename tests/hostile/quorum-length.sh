#!/bin/sh
# Issue 12, item 10: a quorum share's length told the PIN's length class
# (11 groups for a PIN of <= 15 bytes, 18 up to 31, 30 up to 63). Now every
# share has 31 groups whatever the PIN: splits of PINs of many lengths
# (1..64 bytes, generated) give shares of exactly the same length, each
# combines back to its PIN; a PIN of 65 bytes is refused without being
# printed; no share sheet holds the PIN.
. "$KC_TOP_SRCDIR/tests/lib.sh"

lens="1 4 6 8 12 15 16 17 24 31 32 33 40 48 63 64"
: > "$T/all-lengths"
for n in $lens; do
	( umask 077; python3 -c "import sys; sys.stdout.write('Q' + 'x7' * 40)" |
		cut -c1-"$n" > "$T/pin$n" )
	[ "$(head -n1 "$T/pin$n" | tr -d '\n' | wc -c)" -eq "$n" ] || bail "pin$n"
	if ! "$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin$n" \
	    > "$T/sheet$n" 2> "$T/err$n"; then
		not_ok "split of a $n-byte PIN"; sed 's/^/#   /' "$T/err$n"; continue
	fi
	grep -E '^    [0-9A-Z]{4}-' "$T/sheet$n" | sed 's/^ *//' > "$T/shares$n"
	awk '{ print length($0) }' "$T/shares$n" >> "$T/all-lengths"
	[ "$(wc -l < "$T/shares$n")" -eq 3 ] && ok "$n-byte PIN: three shares" ||
		not_ok "$n-byte PIN: three shares"
	# (a PIN shorter than 6 bytes may occur in base32 text by chance)
	if [ "$n" -ge 6 ]; then
		grep -q "$(head -n1 "$T/pin$n")" "$T/sheet$n" "$T/err$n" &&
			not_ok "$n-byte PIN: not on the sheet" ||
			ok "$n-byte PIN: not on the sheet"
	fi
	# the sheets as printed, one file each (combine reads whole sheets)
	( umask 077; awk -v a="$T/a$n" -v b="$T/b$n" '/^-----/ { k++; next }
		k == 0 { print > a } k == 2 { print > b }' "$T/sheet$n" )
	check "$n-byte PIN: sheets 1 and 3 combine" \
		"$KC" quorum combine --share-file "$T/a$n" --share-file "$T/b$n" --out "$T/re$n"
	cmp -s "$T/pin$n" "$T/re$n" && ok "$n-byte PIN: rebuilt exactly" ||
		not_ok "$n-byte PIN: rebuilt exactly"
done
[ "$(sort -u "$T/all-lengths")" = 154 ] &&
	ok "every share of every PIN length is 154 characters (31 groups)" ||
	not_ok "share lengths differ: $(sort -u "$T/all-lengths" | tr '\n' ' ')"

( umask 077; python3 -c "print('Z' * 65)" > "$T/pin65" )
check_fails "a 65-byte PIN is refused" "PIN of 65 bytes: a quorum splits at most 64" \
	"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin65"
grep -q ZZZZ "$T/.out" && not_ok "... and not printed" || ok "... and not printed"

# a share that lost a group is refused as such, before any checksum
( umask 077; sed -n 1p "$T/shares4" | cut -d- -f1-10,12- > "$T/short" )
check_fails "a share missing a group is refused" "a group is missing" \
	"$KC" quorum combine --share-file "$T/short" --share-file "$T/b4"
done_testing

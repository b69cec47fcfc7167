#!/bin/sh
# keyceremony quorum split|combine: a PIN split 2-of-3 and rebuilt from any
# two shares; mistyped, duplicate and foreign shares are refused and nothing
# is written.
. "$KC_TOP_SRCDIR/tests/lib.sh"

export T
( umask 077; printf '654321\n' > "$T/pin" )

check "split 2 of 3 to stdout" sh -c '"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin" --label root > "$T/shares.txt"'
grep -E '^    [0-9A-Z]{4}(-[0-9A-Z]{4}){30}$' "$T/shares.txt" | sed 's/^ *//' > "$T/lines"
if [ "$(wc -l < "$T/lines")" -eq 3 ]; then ok "three shares of 31 groups printed"; else not_ok "three shares printed"; cat "$T/shares.txt"; fi
if grep -q 654321 "$T/shares.txt"; then not_ok "PIN not printed"; else ok "PIN not printed"; fi
grep -q "share 2 of 3 .*any 2 of 3" "$T/shares.txt" && grep -q "token: root" "$T/shares.txt" \
	&& ok "shares say their number, threshold and token" || not_ok "share headers"
# the sheets as printed, one file each: combine reads whole sheets
( umask 077; awk -v d="$T" '/^-----/ { n++; next } { print > (d "/s" n + 1) }' "$T/shares.txt" )
grep -q "^keyceremony PIN share 3 of 3 " "$T/s3" && ok "three sheets saved" || not_ok "three sheets saved"

check "shares 3 and 1 combine" "$KC" quorum combine --share-file "$T/s3" --share-file "$T/s1" --out "$T/rebuilt"
cmp -s "$T/pin" "$T/rebuilt" && ok "rebuilt PIN equals the original" || not_ok "rebuilt PIN equals the original"
[ "$(stat -c %a "$T/rebuilt")" = 600 ] && ok "rebuilt PIN file is 0600" || not_ok "rebuilt PIN file mode"
check "shares 2 and 3 check out without --out" "$KC" quorum combine --share-file "$T/s2" --share-file "$T/s3"

# a mistyped share: one character changed, on its sheet
( umask 077; sed -n 2p "$T/lines" | sed 's/^\(.......\)\(.\)/\1\n\2/' | {
	read -r head; read -r rest; c=${rest%"${rest#?}"}; r=${rest#?}
	if [ "$c" = 7 ]; then c=8; else c=7; fi
	printf '%s%s%s\n' "$head" "$c" "$r"; } > "$T/badline"
  awk -v b="$(cat "$T/badline")" '/^    0/ { print "    " b; next } { print }' "$T/s2" > "$T/bad" )
check_fails "a mistyped share is refused" "bad: share does not check out \(checksum mismatch\)" \
	"$KC" quorum combine --share-file "$T/s1" --share-file "$T/bad" --out "$T/out1"
[ ! -e "$T/out1" ] && ok "nothing written for a mistyped share" || not_ok "nothing written for a mistyped share"
check_fails "the same share twice is refused" "share 1 of 3 was already given" \
	"$KC" quorum combine --share-file "$T/s1" --share-file "$T/s1" --out "$T/out2"
[ ! -e "$T/out2" ] && ok "nothing written for a duplicate" || not_ok "nothing written for a duplicate"
check_fails "one share is not enough" "1 share file given, 2 shares needed" \
	"$KC" quorum combine --share-file "$T/s1" --out "$T/out3"
[ ! -e "$T/out3" ] && ok "nothing written for one share" || not_ok "nothing written for one share"

( umask 077; printf '111111\n' > "$T/pin2" )
"$KC" quorum split --threshold 2 --shares 3 --pin-file "$T/pin2" --out-dir "$T/od" 2>/dev/null
cp -p "$T/od/share-1-of-3.txt" "$T/other"
check_fails "a share of another split is refused" "different splits" \
	"$KC" quorum combine --share-file "$T/s1" --share-file "$T/other" --out "$T/out4"
[ ! -e "$T/out4" ] && ok "nothing written for a foreign share" || not_ok "nothing written for a foreign share"
chmod 644 "$T/s2"
check_fails "a share file readable by others is refused" "s2 is accessible by group or others" \
	"$KC" quorum combine --share-file "$T/s1" --share-file "$T/s2" --out "$T/out5"
[ ! -e "$T/out5" ] && ok "nothing written for a readable share file" || not_ok "nothing written (mode)"
chmod 600 "$T/s2"
check_fails "an existing --out is refused" "rebuilt" \
	"$KC" quorum combine --share-file "$T/s1" --share-file "$T/s2" --out "$T/rebuilt"

# --out-dir: one 0600 file per custodian, refused when one exists
mkdir "$T/d"
check "split to --out-dir" "$KC" quorum split --threshold 3 --shares 5 --pin-file "$T/pin" --out-dir "$T/d"
[ "$(ls "$T/d" | wc -l)" -eq 5 ] && [ "$(stat -c %a "$T/d/share-4-of-5.txt")" = 600 ] \
	&& ok "five share files, 0600" || not_ok "five share files, 0600"
check_fails "an existing share file is refused" "share-1-of-5.txt" \
	"$KC" quorum split --threshold 3 --shares 5 --pin-file "$T/pin" --out-dir "$T/d"

# custodians typing their shares on the terminal (no echo)
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
tui_start "$KC quorum combine --out typed-pin"
expect "asks for the first share" "share 1:"
type_text "$(cat "$T/badline")"; keys Enter
expect "a mistyped share is refused at once" "checksum mismatch"
type_text "$(sed -n 3p "$T/lines")"; keys Enter
expect "the share is accepted" "share 3 of 3"
expect "then asks for the next" "share 2:"
if screen | grep -q "$(sed -n 3p "$T/lines" | cut -c1-9)"; then not_ok "typed shares are not echoed"; else ok "typed shares are not echoed"; fi
type_text "$(sed -n 2p "$T/lines")"; keys Enter
[ "$(wait_exit 10)" = 0 ] && ok "typed shares combine" || not_ok "typed shares combine"
cmp -s "$T/pin" "$T/typed-pin" && ok "the typed shares rebuild the PIN" || not_ok "the typed shares rebuild the PIN"

check_fails "threshold above shares is a usage error" "threshold 4 is more than --shares 3" \
	"$KC" quorum split --threshold 4 --shares 3 --pin-file "$T/pin"
"$KC" quorum split --threshold 1 --shares 3 --pin-file "$T/pin" >/dev/null 2>&1
[ $? -eq 2 ] && ok "threshold 1 exits 2" || not_ok "threshold 1 exits 2"
done_testing

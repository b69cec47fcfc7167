#!/bin/sh
# Issue 14 item 16: one rule for DPS verification codes in both programs
# (1 to 64 letters and digits). A generated corpus goes to factorysign
# verification and to keyceremony verification sign (which checks the code
# before it needs its token): the same verdict and the same message for
# each code; refused codes write nothing; accepted ones make a certificate
# with the code as CN.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
python3 - > "$T/codes" <<'PY'
import string
bad = ["ABC-123", "abc-def", "a.b", "a_b", "a:b", "a b", " ab", "ab ", "a\tb",
       "a+b", "a/b", "a=b", "-ab", "ab-", "a,b", "a;b", "a'b", 'a"b', "a\\b",
       "\u00e9t\u00e9", "ab\u200b", "ab\u202e", "Z" * 65, "0" * 100]
good = ["ABC123", "abc", "0", "Z" * 64, "1A2B3C4D5E6F7A8B",
        string.ascii_letters[:40] + string.digits]
for c in bad:
    print("bad\t" + c.replace("\t", "\\t"))
for c in good:
    print("good\t" + c)
PY
check "the corpus was generated" test -s "$T/codes"
n=0
while IFS="$(printf '\t')" read -r verdict code; do
	n=$((n + 1))
	code=$(printf '%b' "$code")
	rm -f "$T/v.pem" "$T/k.pem"
	"$FS" verification --dir D --code "$code" --out "$T/v.pem" --pass-file "$PASS" > "$T/fs.out" 2>&1; frc=$?
	"$KC" verification sign --token none --label root --issuer "$T/root.pem" \
		--code "$code" --out "$T/k.pem" > "$T/kc.out" 2>&1; krc=$?
	fmsg=$(grep -o -- '--code .*' "$T/fs.out" | head -1)
	kmsg=$(grep -o -- '--code .*' "$T/kc.out" | head -1)
	if [ "$verdict" = bad ]; then
		if [ $frc = 2 ] && [ $krc = 2 ] && [ -n "$fmsg" ] && [ "$fmsg" = "$kmsg" ] &&
		   [ ! -e "$T/v.pem" ] && [ ! -e "$T/k.pem" ]; then ok "code $n refused by both, same message: $fmsg"
		else not_ok "code $n: factorysign rc $frc, keyceremony rc $krc"; sed 's/^/#   /' "$T/fs.out" "$T/kc.out"; fi
	else
		# keyceremony goes on to its token (none here): past the code rule
		if [ $frc = 0 ] && openssl x509 -in "$T/v.pem" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=$code" &&
		   ! grep -q -- '--code' "$T/kc.out"; then ok "code $n accepted by both"
		else not_ok "code $n: factorysign rc $frc, keyceremony rc $krc"; sed 's/^/#   /' "$T/fs.out" "$T/kc.out"; fi
	fi
done < "$T/codes"
rm -f "$T/v.pem"
check_fails "the issue's example, ABC-123, refused naming the '-'" \
	"--code has a punctuation character at position 4; a DPS verification code has only letters and digits" \
	"$FS" verification --dir D --code ABC-123 --out "$T/v.pem" --pass-file "$PASS"
check "  ... nothing written" test ! -e "$T/v.pem"
done_testing

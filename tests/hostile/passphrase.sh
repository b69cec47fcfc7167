#!/bin/sh
# Issue 12, item 10: the factory key's passphrase "aaaaaaaa" was accepted
# (scrypt N=2^14, r=8, p=1), and device-key and PKCS#12 passphrases had no
# minimum ("x" worked). Now: the factory key passphrase has at least 12
# characters, device key and PKCS#12 passphrases at least 8, and none may
# be one character repeated, fewer than 5 different characters, one short
# unit repeated, one or two runs of the alphabet, digits or a keyboard row,
# or a common word with a run after it (a generated corpus of each). A
# refused passphrase is never printed and nothing is written. The key is
# written under scrypt N=2^14, r=8, p=10 (read back from the PKCS#8); a key
# written the old way (p=1) still opens. Positive controls throughout.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup

python3 - "$T" <<'EOF'
import sys, os
T = sys.argv[1]
weak = []
for c in "a1Z!x":                                  # one character repeated
    weak += [c * 12, c * 20]
for s in ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789",
          "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb",
          "azertyuiopqsdfghjklm", "qwertzuiopasdfghjkly"):
    weak += [s[:12], s[3:17], s[:12][::-1], s[:14].upper()]
weak += ["abcabcabcabc", "ab12ab12ab12", "Xy9Xy9Xy9Xy9Xy9", "hello!hello!",
         "aaaaaaaaaaab", "aabbccaabbcc", "1212121212121",
         "qwerty123456", "abcdef654321", "123456qwerty", "abcdefghzyxw",
         "password1234", "Password123456", "passphrase!!", "letmein12345",
         "changeme1234", "factory12345", "Secret123456", "welcome12345",
         "admin1234567", "keyceremony1", "passw0rd1234", "trustno11234"]
short = ["x", "1234567", "Tr0ub4dor&3", "correct ho"]   # under 12
good = ["correct horse battery staple", "Tr0ub4dor&3 plus", "my dog eats kale",
        "seven-blue-otters", "k9#Vq2!mZp7@"]
dev_weak = ["x", "aaaaaaaa", "12345678", "abcdefgh", "qwertyui", "87654321",
            "abababab", "password", "Password1", "zxcvbnm1"]
dev_good = ["blue otter", "Kp7!v2Qz", "pfx password"]
def w(name, items):
    with open(os.path.join(T, name), "w") as f:
        f.write("\n".join(items) + "\n")
w("weak", weak); w("short", short); w("good", good)
w("dev-weak", dev_weak); w("dev-good", dev_good)
EOF
n=$(($(wc -l < "$T/weak") + $(wc -l < "$T/short")))
[ "$n" -gt 50 ] && ok "corpus: $n weak factory passphrases" || not_ok "corpus too small"

# try_init KIND: each line of $T/KIND as the passphrase of a new factory
i=0
refused=0 total=0 leaked="" made=""
while IFS= read -r p; do
	i=$((i + 1)); total=$((total + 1))
	( umask 077; printf '%s\n' "$p" > "$T/p.$i" )
	"$FS" init --dir "$T/w$i" --subject "/CN=weak $i" --algorithm ec-p256 \
		--pass-file "$T/p.$i" > "$T/o.$i" 2>&1
	st=$?
	if [ $st -eq 1 ] && grep -Eq "passphrase of the intermediate key is too (weak|short)" "$T/o.$i"; then
		refused=$((refused + 1))
	else
		diag "accepted or wrong message: line $i (exit $st): $(cat "$T/o.$i")"
	fi
	[ ${#p} -ge 4 ] && grep -qF -- "$p" "$T/o.$i" && leaked="$leaked $i"
	[ -e "$T/w$i" ] && made="$made $i"
done < "$T/weak"
while IFS= read -r p; do
	i=$((i + 1)); total=$((total + 1))
	( umask 077; printf '%s\n' "$p" > "$T/p.$i" )
	"$FS" init --dir "$T/w$i" --subject "/CN=short $i" --algorithm ec-p256 \
		--pass-file "$T/p.$i" > "$T/o.$i" 2>&1
	grep -q "too short: at least 12 characters" "$T/o.$i" && refused=$((refused + 1)) ||
		diag "short passphrase accepted: line $i: $(cat "$T/o.$i")"
	[ -e "$T/w$i" ] && made="$made $i"
done < "$T/short"
[ "$refused" -eq "$total" ] && ok "init: all $total weak or short passphrases refused with the reason" ||
	not_ok "init: only $refused of $total refused"
[ -z "$leaked" ] && ok "init: no refused passphrase is printed" || not_ok "init: printed:$leaked"
[ -z "$made" ] && ok "init: nothing created for them" || not_ok "init: created:$made"

# positive: good passphrases make a factory, under the new scrypt cost
j=0
while IFS= read -r p; do
	j=$((j + 1))
	( umask 077; printf '%s\n' "$p" > "$T/g.$j" )
	check "init accepts a good passphrase ($j)" "$FS" init --dir "$T/g$j" \
		--subject "/CN=good $j" --algorithm ec-p256 --pass-file "$T/g.$j"
done < "$T/good"
openssl asn1parse -in "$T/g1/intermediate.key" > "$T/asn1" 2>&1
check "the key is PBES2 scrypt + AES-256-CBC" sh -c \
	"grep -q ':scrypt' '$T/asn1' && grep -q ':aes-256-cbc' '$T/asn1'"
check "scrypt N=2^14 (0x4000), r=8, p=10 (0x0A): 16 MiB, under OpenSSL's 32 MiB limit" \
	sh -c "grep -A5 ':scrypt' '$T/asn1' | grep INTEGER | sed 's/.*://' | tr '\n' ' ' | grep -qx '4000 08 0A '"
check "openssl decrypts it with its default limits" \
	openssl pkey -in "$T/g1/intermediate.key" -passin "file:$T/g.1" -noout

# a key written with the old parameters (p=1, fs_setup's D) still opens
openssl asn1parse -in D/intermediate.key | grep -A5 ':scrypt' | grep INTEGER |
	sed 's/.*://' | tr '\n' ' ' > "$T/oldp"
check "D's key has the old parameters (N=2^14, r=8, p=1)" grep -qx '4000 08 01 ' "$T/oldp"
mkcsr dev-old
check "a factory whose key has the old parameters still signs" \
	"$FS" sign --dir D --csr csr/dev-old.csr --out-dir out --pass-file "$PASS"
( umask 077; printf 'wrong horse battery\n' > "$T/wrong" )
mkcsr dev-wrong
check_fails "... and a wrong passphrase is still refused" "wrong passphrase" \
	"$FS" sign --dir D --csr csr/dev-wrong.csr --out-dir out --pass-file "$T/wrong"

# device key and PKCS#12 passphrases: at least 8, same rules
k=0 refused=0 total=0 leaked=""
while IFS= read -r p; do
	k=$((k + 1)); total=$((total + 2))
	( umask 077; printf '%s\n' "$p" > "$T/d.$k" )
	mkdir "$T/dk$k" "$T/dp$k"
	"$FS" issue --dir D --count 1 --prefix "dk$k-" --key-pass-file "$T/d.$k" \
		--pass-file "$PASS" --out-dir "$T/dk$k" > "$T/dko.$k" 2>&1
	grep -Eq "device key passphrase is too (weak|short)" "$T/dko.$k" && nothing_in "$T/dk$k" &&
		refused=$((refused + 1)) || diag "device key passphrase $k: $(cat "$T/dko.$k")"
	"$FS" issue --dir D --count 1 --prefix "dp$k-" --plain-keys --format pem,pfx \
		--pfx-pass-file "$T/d.$k" --pass-file "$PASS" --out-dir "$T/dp$k" > "$T/dpo.$k" 2>&1
	grep -Eq "PKCS#12 password is too (weak|short)" "$T/dpo.$k" && nothing_in "$T/dp$k" &&
		refused=$((refused + 1)) || diag "PKCS#12 password $k: $(cat "$T/dpo.$k")"
	# (a bare lower-case word such as "password" is in the message itself)
	case $p in *[!a-z]*)
		[ ${#p} -ge 4 ] && grep -qF -- "$p" "$T/dko.$k" "$T/dpo.$k" &&
			leaked="$leaked $k" ;;
	esac
done < "$T/dev-weak"
[ "$refused" -eq "$total" ] && ok "issue: all $total weak device-key/PKCS#12 passphrases refused, nothing written" ||
	not_ok "issue: only $refused of $total refused"
[ -z "$leaked" ] && ok "issue: no refused passphrase is printed" || not_ok "issue: printed:$leaked"
k=0
while IFS= read -r p; do
	k=$((k + 1))
	( umask 077; printf '%s\n' "$p" > "$T/e.$k" )
	mkdir "$T/ek$k"
	check "issue accepts a good device key and PKCS#12 passphrase ($k)" \
		"$FS" issue --dir D --count 1 --prefix "ek$k-" --key-pass-file "$T/e.$k" \
		--format pem,pfx --pfx-pass-file "$T/e.$k" --pass-file "$PASS" --out-dir "$T/ek$k"
done < "$T/dev-good"
check "  ... the PKCS#12 opens with it" openssl pkcs12 -in "$T/ek1/ek1-0001.pfx" \
	-passin "file:$T/e.1" -noout
done_testing

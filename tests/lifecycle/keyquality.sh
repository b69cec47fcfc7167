#!/bin/sh
# Key quality (issue 15 item 6): RSA keys with an exponent other than
# 65537, a factor <= 751, primes close enough for Fermat's method within
# 100 rounds, or the ROCA fingerprint (CVE-2017-15361) are refused by
# `keyceremony intermediate sign`, `factorysign sign` and `factorysign
# batch`, each with a one-line message naming the file and the check, and
# nothing written; the boundary cases next to each (factor 757, primes
# 2^517 apart, one RSALib-form prime only), an ordinary RSA key and an
# OpenSSL RSA-3072 key are accepted and their chains verify. The corpus,
# tests/fixtures/keyquality/, is the output of tests/lifecycle/badkeys.py
# (fixed seeds, valid CSRs; 20 s of prime search, so it is kept rather than
# made per run; regenerate with: python3 tests/lifecycle/badkeys.py
# tests/fixtures/keyquality).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
softhsm_setup test
S="$T/state"
"$KC" root create --token test --pin-file "$T/pin" --state "$S" --label root \
	--algorithm ec-p384 --subject "/CN=Key Quality Root/O=Example" \
	--days 3650 --out "$T/kcroot.pem" >"$T/root.out" 2>&1 \
	|| { cat "$T/root.out"; bail "keyceremony root create failed"; }
C=$T/kq
mkdir -p "$C" && cp "$KC_TOP_SRCDIR"/tests/fixtures/keyquality/* "$C/" && chmod u+w "$C"/* \
	|| bail "tests/fixtures/keyquality"
test "$(wc -l < "$C/MANIFEST")" -ge 20 || bail "tests/fixtures/keyquality/MANIFEST is short"
openssl req -new -newkey rsa:3072 -nodes -keyout "$T/keys/ossl.key" \
	-subj "/CN=lc-openssl-rsa3072" -out "$C/openssl-rsa3072.csr" \
	>/dev/null 2>&1 || bail "openssl req"
printf 'openssl-rsa3072.csr\taccept\t\n' >> "$C/MANIFEST"
mkcsr lc-ec-p256 && cp "$T/csr/lc-ec-p256.csr" "$C/ec-p256.csr"
printf 'ec-p256.csr\taccept\t\n' >> "$C/MANIFEST"

# refused PROG FILE REGEX OUTCHECK CMD...: exit 1, one message naming the
# file and matching REGEX, nothing written.
refused() {
	_prog=$1 _f=$2 _re=$3 _out=$4; shift 4
	"$@" >"$T/.o" 2>&1
	_rc=$?
	_msg=$(grep -E "^$_prog: " "$T/.o" | tail -1)
	if [ "$_rc" -ne 1 ]; then
		not_ok "$_prog refuses $_f (exit $_rc, want 1)"; sed 's/^/#   /' "$T/.o"
	elif ! printf '%s' "$_msg" | grep -qF "$_f"; then
		not_ok "$_prog refuses $_f (message does not name the file)"; sed 's/^/#   /' "$T/.o"
	elif ! printf '%s' "$_msg" | grep -Eq -- "$_re.*; refused"; then
		not_ok "$_prog refuses $_f (message does not match /$_re/)"; sed 's/^/#   /' "$T/.o"
	elif ! $_out; then
		not_ok "$_prog refuses $_f (an output was written)"
	else
		ok "$_prog refuses $_f: ${_msg#"$_prog": }"
	fi
}
nothing_in() { [ -z "$(ls -A "$1")" ]; }

n=0
while IFS='	' read -r f outcome re; do
	n=$((n + 1))
	out=$T/fs-out/$n; mkdir -p "$out"
	kcout=$T/kc-out/$n.pem; mkdir -p "$T/kc-out"
	case $outcome in
	accept)
		check "factorysign sign accepts $f" "$FS" sign --dir "$T/D" \
			--csr "$C/$f" --out-dir "$out" --pass-file "$PASS"
		check "  ... and its chain verifies" openssl verify -x509_strict \
			-CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
			"$out/lc-${f%.csr}.cert.pem"
		check "keyceremony intermediate sign accepts $f" "$KC" intermediate \
			sign --token test --pin-file "$T/pin" --state "$S-$n" \
			--label root --issuer "$T/kcroot.pem" --csr "$C/$f" --days 30 \
			--yes --out "$kcout"
		check "  ... and it verifies" openssl verify -x509_strict \
			-CAfile "$T/kcroot.pem" "$kcout"
		;;
	refuse)
		refused factorysign "$f" "$re" "nothing_in $out" \
			"$FS" sign --dir "$T/D" --csr "$C/$f" --out-dir "$out" \
			--pass-file "$PASS"
		refused keyceremony "$f" "$re" "test ! -e $kcout" \
			"$KC" intermediate sign --token test --pin-file "$T/pin" \
			--state "$S" --label root --issuer "$T/kcroot.pem" \
			--csr "$C/$f" --days 30 --yes --out "$kcout"
		;;
	esac
	echo "$_tap_n $_tap_fail" > "$T/.count"
done < "$C/MANIFEST"
read -r _tap_n _tap_fail < "$T/.count"

# factorysign batch over the whole corpus, in a second factory (in the
# first the good ones are already issued): every weak key named with its
# check, the good ones issued.
"$FS" init --dir "$T/D2" --subject "/CN=Factory Two/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null || bail "init D2"
openssl x509 -req -in "$T/D2/intermediate.csr" -CA "$T/root.pem" \
	-CAkey "$T/root.key" -CAcreateserial -days 1000 -extfile "$T/ca.cnf" \
	-extensions inter -out "$T/inter2.pem" >/dev/null 2>&1 || bail "sign D2"
"$FS" install --dir "$T/D2" --cert "$T/inter2.pem" --root "$T/root.pem" \
	>/dev/null || bail "install D2"
fs_fast_key "$T/D2"
mkdir -p "$T/bin" "$T/bout"
cp "$C"/*.csr "$T/bin/"
"$FS" batch --dir "$T/D2" --csr-dir "$T/bin" --out-dir "$T/bout" \
	--pass-file "$PASS" >"$T/batch.out" 2>&1
rc=$?
check "batch: exit status 1 (some CSRs refused)" test "$rc" -eq 1
while IFS='	' read -r f outcome re; do
	id=lc-${f%.csr}
	case $outcome in
	refuse)
		check "batch names $f: $re" grep -Eq -- "$f.*$re.*; refused" \
			"$T/batch.out"
		check "  ... and writes nothing for it" sh -c \
			"! ls '$T/bout' | grep -qF '$id.'" ;;
	accept)
		check "batch issues $f, and the chain verifies" openssl verify \
			-x509_strict -CAfile "$T/root.pem" -untrusted "$T/inter2.pem" \
			"$T/bout/$id.cert.pem" ;;
	esac
done < "$C/MANIFEST"
# A key in the token: the public key read back from it is checked too
# (every command that uses a token key). An RSA root made in the token
# passes; for the weak keys, a root is made in the token the same way and
# its public key object replaced (pkcs11-tool, same label and CKA_ID) by
# the weak public key: the read-back refuses it before any use.
check "token: an RSA-2048 root made in the token passes" "$KC" root create \
	--token test --pin-file "$T/pin" --state "$S-rsa" --label rsaroot \
	--algorithm rsa-3072 --subject "/CN=Key Quality RSA Root/O=Example" \
	--days 3650 --out "$T/rsaroot.pem"
check "  ... and signs an intermediate" "$KC" intermediate sign --token test \
	--pin-file "$T/pin" --state "$S-rsa" --label rsaroot \
	--issuer "$T/rsaroot.pem" --csr "$C/ec-p256.csr" --days 30 --yes \
	--out "$T/rsa-int.pem"
check "  ... which verifies" openssl verify -x509_strict \
	-CAfile "$T/rsaroot.pem" "$T/rsa-int.pem"
P11="pkcs11-tool --module $MODULE --token-label test --login --pin 123456"
for k in roca-both:"ROCA fingerprint" small-751:"factor below 752 \\(751\\)" \
	fermat-adjacent:"primes are too close"; do
	re=${k#*:} k=${k%%:*}
	"$KC" root create --token test --pin-file "$T/pin" --state "$S-tok-$k" \
		--label "tok-$k" --algorithm rsa-3072 --subject "/CN=Token $k" \
		--days 365 --out "$T/tok-$k.pem" >"$T/p11.out" 2>&1 ||
		{ cat "$T/p11.out"; bail "root create tok-$k"; }
	id=$(p11tool --provider "$MODULE" --list-all "pkcs11:token=test;object=tok-$k;type=public" 2>/dev/null | sed -n 's/.*;id=\([^;]*\);.*/\1/p' | head -1)
	{ $P11 --delete-object --type pubkey --label "tok-$k" &&
	  openssl pkey -in "$C/$k.key" -pubout -outform DER -out "$T/$k.pub" &&
	  $P11 --write-object "$T/$k.pub" --type pubkey --label "tok-$k" \
		--id "$(printf '%s' "$id" | sed 's/%//g')"; } >"$T/p11.out" 2>&1 ||
		{ cat "$T/p11.out"; bail "pkcs11-tool $k"; }
	check_fails "token key tok-$k refused: $re" \
		"key 'tok-$k' in token 'test': RSA key.*$re.*; refused" \
		"$KC" intermediate sign --token test --pin-file "$T/pin" \
		--state "$S-tok-$k" --label "tok-$k" --issuer "$T/tok-$k.pem" \
		--csr "$C/ec-p256.csr" --days 30 --yes --out "$T/tok-$k.out.pem"
	check "  ... nothing written" test ! -e "$T/tok-$k.out.pem"
done
done_testing

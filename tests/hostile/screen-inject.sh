#!/bin/sh
# Terminal and bidi injection (issue 12, item 4): a generated corpus of
# hostile strings (every C0, DEL, raw and UTF-8 C1, bidirectional, format,
# zero-width, tag characters, overlong and truncated UTF-8, surrogates, ESC
# sequences) through --subject, CSR subjects (UTF8String, BMPString,
# T61String), nRF91 %KEYGEN responses (factorysign attest), ceremony files,
# forged but correctly chained transcripts and the factory's CA subject.
# Each is refused with a reason naming the character where it would be
# signed; whatever is printed holds no control, C1, bidi or format
# character (tests/hostile/screen-corpus.py checks every byte). Positive
# pairs: "Müller GmbH" and a Japanese subject are signed and shown as they
# are.
. "$KC_TOP_SRCDIR/tests/lib.sh"
C="$KC_TOP_SRCDIR/tests/hostile/screen-corpus.py"
softhsm_setup root
n=$(python3 "$C" count)
[ "$n" -ge 100 ] && ok "the corpus has $n hostile strings" || not_ok "the corpus has $n hostile strings"

# a root in the token (the positive pairs sign with it)
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
mkdir -p "$T/rstate" "$T/rmedia" "$T/state" "$T/media"
check "root made with run --batch" "$KC" run "$T/root.yaml" --batch --module "$MODULE" \
	--token root --pin-file "$T/pin" --state "$T/rstate" --media "$T/rmedia" --network warn
cp "$T/rstate/root.pem" "$T/root.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/g.key" \
	-subj "/CN=Good Factory CA" -out "$T/good.csr" 2>/dev/null
cat > "$T/site.yaml" <<SITE
keyceremony-site: 1
name: test
module: $MODULE
token:
  label: root
state: $T/state
media: $T/media
network: warn
removable-media: warn
SITE
( umask 077; printf 'vR7#kq2!Lm9@xZ4pQ-screen\n' > "$T/pass" )

check "--subject: every hostile string refused, naming it; output clean" \
	python3 "$C" subject-arg "$KC" "$T"
check "CSR subjects (UTF8, BMP, T61): refused, naming the character; output clean" \
	python3 "$C" csr "$KC" "$T"
check "factorysign attest (text and --json): refused, naming it; output clean" \
	python3 "$C" attest "$FS" "$T"
check "ceremony files: hostile subjects refused; output clean" \
	python3 "$C" ceremony "$KC" "$T"
check "forged chained transcripts: fields printed escaped, one real final digest" \
	python3 "$C" transcript "$KC" "$T"
check "factorysign init --subject: refused, naming it; no key written" \
	python3 "$C" factory "$FS" "$T"
check "hostile words on the command line of both programs: messages clean" \
	python3 "$C" argv "$KC:$FS" "$T"
check "site profiles (name, token label, state): refused; messages clean" \
	python3 "$C" site "$KC" "$T"

# the report of the old bug, exactly: U+009B and U+202E in --subject
check_fails "--subject with U+009B (CSI) refused, named" 'C1 control character U\+009B' \
	"$KC" intermediate sign --token root --label root-2026 --issuer "$T/root.pem" \
	--csr "$T/good.csr" --days 30 --yes --out "$T/x.pem" --pin-file "$T/pin" \
	--state "$T/rstate" --subject "$(printf '/CN=Factory \302\2332J CA')"
check_fails "--subject with U+202E refused, named" 'bidirectional control character U\+202E' \
	"$KC" intermediate sign --token root --label root-2026 --issuer "$T/root.pem" \
	--csr "$T/good.csr" --days 30 --yes --out "$T/x.pem" --pin-file "$T/pin" \
	--state "$T/rstate" --subject "$(printf '/CN=Factory \342\200\256AC 1')"
check "nothing was signed" test ! -e "$T/x.pem"

# positive pairs: legitimate UTF-8 is signed and shown unchanged
check "--subject 'Müller GmbH' is signed" sh -c "'$KC' intermediate sign --token root \
	--label root-2026 --issuer '$T/root.pem' --csr '$T/good.csr' --days 30 --yes \
	--out '$T/de.pem' --pin-file '$T/pin' --state '$T/rstate' \
	--subject '/CN=Müller GmbH Factory CA/O=Müller GmbH/C=DE' > '$T/de.out' 2>&1"
check "... the summary and result show it unchanged" grep -q '"/CN=Müller GmbH Factory CA/O=Müller GmbH/C=DE"' "$T/de.out"
check "... the output is clean" python3 "$C" check "$T/de.out"
check "... the certificate carries it" sh -c "openssl x509 -in '$T/de.pem' -noout -subject \
	-nameopt utf8,sep_comma_plus | grep -q 'CN=Müller GmbH Factory CA'"
openssl req -new -utf8 -key "$T/g.key" -subj "/CN=日本認証局 工場 CA/O=株式会社例" \
	-out "$T/jp.csr" 2>/dev/null
check "a Japanese CSR subject is signed" sh -c "'$KC' intermediate sign --token root \
	--label root-2026 --issuer '$T/root.pem' --csr '$T/jp.csr' --days 30 --yes \
	--out '$T/jp.pem' --pin-file '$T/pin' --state '$T/rstate' > '$T/jp.out' 2>&1"
check "... shown unchanged, quoted and labelled" grep -q 'subject (from the CSR): "/CN=日本認証局 工場 CA/O=株式会社例"' "$T/jp.out"
check "... the CSR SHA-256 comes first" sh -c "sed '/will sign this intermediate/q' '$T/jp.out' | grep -A1 \"CSR SHA-256 (of the CSR file's bytes):\" | grep -q \"^ *\$(sha256sum '$T/jp.csr' | cut -c1-64 | sed 's/\(........\)/\1 /g; s/ \$//')\\\$\""
check "... the output is clean" python3 "$C" check "$T/jp.out"

# a register rewritten by hand (its text columns hold ESC, RLO and CSI):
# listed escaped, or refused, never raw
cp -r "$T/rstate" "$T/tstate"
check "the register is tampered with" python3 "$C" tamper "$T/tstate/register.sqlite" issued \
	subject,path,sha256,inputs_sha256,serial,ca
"$KC" register list --state "$T/tstate" > "$T/reg.out" 2>&1
check "register list of a tampered register: output clean" python3 "$C" check "$T/reg.out"
check "... the rewritten fields shown escaped" grep -qF '\x1b[2J\u{202E}\x9b' "$T/reg.out"
"$KC" register list --state "$T/rstate" > "$T/reg-good.out" 2>&1
check "positive: the real register lists the Japanese subject unchanged" grep -q '日本認証局' "$T/reg-good.out"
check "positive: and is clean" python3 "$C" check "$T/reg-good.out"
done_testing

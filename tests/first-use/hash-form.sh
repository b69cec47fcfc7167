#!/bin/sh
# Issue 14, item 9: one way to show a hash. Every SHA-256 a person compares
# is printed in the one form (kc_hash_show: lower-case hex in groups of
# eight, one space between) by keyceremony run, root create, transcript
# verify, export and import, and factorysign attest; a hash typed or
# pasted back is accepted with any spacing, case or colons
# (import --expect-sha256, transcript verify --digest), and anything that
# is not 64 hex digits is refused with the reason, nothing imported.
# Machine formats (SHA256SUMS, the transcript's fields) stay plain hex.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
mkdir media
form() { echo "$1" | tr -d ': ' | tr A-F a-f | sed 's/\(........\)/\1 /g; s/ $//'; }
is_form='([0-9a-f]{8} ){7}[0-9a-f]{8}'

check "run root-ca.yaml --batch" "$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S --media media
cp "$T/.out" run.out
fsha=$(sha256sum "$CER/root-ca.yaml" | cut -c1-64)
check "run: the file's SHA-256 in the one form" grep -q "^  SHA-256 $(form "$fsha")$" run.out
fp=$(openssl x509 -in S/root.pem -noout -fingerprint -sha256 | cut -d= -f2)
check "run: the root's fingerprint in the one form, not AB:CD" sh -c \
	"grep -q 'SHA-256 fingerprint $(form "$fp")' run.out && ! grep -q '$fp' run.out"
check "run: the final digest as two lines of four groups" sh -c \
	"sed -n '/^Final digest/{n;p;n;p}' run.out | grep -Eqc '^  ([0-9a-f]{8} ){3}[0-9a-f]{8}$'"
tr=$(ls S/transcripts/root-ca-*.log)
check "machine formats stay plain: SHA256SUMS" grep -Eq '^[0-9a-f]{64}  root.pem$' media/SHA256SUMS
check "  ... and the transcript's fields" grep -q "file-sha256=$fsha " "$tr"

# transcript verify: the digest and the file's SHA-256 in the one form;
# --digest read back in every spelling
check "transcript verify" "$KC" transcript verify "$tr"
cp "$T/.out" tv.out
check "  ... prints the final digest in the one form" grep -Eq "^final digest: $is_form$" tv.out
check "  ... and the ceremony file's SHA-256 (the begin record's)" grep -q "^ceremony file SHA-256: $(form "$fsha")$" tv.out
dg=$(sed -n 's/^final digest: //p' tv.out)
dhex=$(echo "$dg" | tr -d ' ')
check "--digest as shown (groups of eight)" "$KC" transcript verify "$tr" --digest "$dg"
check "--digest upper case with colons" "$KC" transcript verify "$tr" \
	--digest "$(echo "$dhex" | tr a-f A-F | sed 's/\(..\)/\1:/g; s/:$//')"
check "--digest plain" "$KC" transcript verify "$tr" --digest "$dhex"
check_fails "--digest one digit short is refused" "digest|64|hex" "$KC" transcript verify "$tr" --digest "$(echo "$dhex" | cut -c2-)"

# root create prints the fingerprint in the one form
check "root create" "$KC" root create --module "$MODULE" --token keyceremony-demo --label r2 \
	--algorithm ec-p384 --subject "/CN=Hash Form Root/O=Example" --days 365 --pin-file "$T/pin" \
	--state S2 --out r2.pem
cp "$T/.out" rc.out
fp2=$(openssl x509 -in r2.pem -noout -fingerprint -sha256 | cut -d= -f2)
check "  ... its SHA-256 fingerprint in the one form" grep -q "^  $(form "$fp2")$" rc.out

# export lists each file with its SHA-256 in the one form
mkdir m2
check "export" "$KC" export --state S --to m2
cp "$T/.out" ex.out
check "  ... root.pem with its SHA-256 in the one form" sh -c \
	"grep -A1 '^root.pem ' ex.out | grep -q '^  SHA-256 $(form "$(sha256sum S/root.pem | cut -c1-64)")$'"

# import --expect-sha256: any spelling of the right hash; wrong or
# malformed ones refused, nothing imported
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout int.key \
	-subj "/CN=Hash Form Factory CA/O=Example" -out int.csr 2>/dev/null || bail "openssl req"
mkdir usb; cp int.csr usb/
sum=$(sha256sum usb/int.csr | cut -c1-64)
python3 - "$sum" > spellings <<'PY'
import sys
h = sys.argv[1]
up = h.upper()
print(h)
print(up)
print(":".join(up[i:i + 2] for i in range(0, 64, 2)))
print(" ".join(h[i:i + 8] for i in range(0, 64, 8)))
print(" ".join(up[i:i + 4] for i in range(0, 64, 4)))
print("  " + "\t".join(h[i:i + 16] for i in range(0, 64, 16)) + " ")
print("-".join(h[i:i + 8] for i in range(0, 64, 8)))
PY
n=0
while IFS= read -r s; do
	n=$((n + 1)); rm -rf st
	check "import --expect-sha256 spelling $n accepted" "$KC" import --from usb --state st --expect-sha256 "$s"
	cp "$T/.out" im.out
	check "  ... the CSR imported" cmp st/int.csr usb/int.csr
done < spellings
check "import lists the SHA-256 in the one form" grep -q "^  SHA-256 $(form "$sum")$" im.out
bad=$(echo "$sum" | sed 's/^./0/'); [ "$bad" = "$sum" ] && bad=$(echo "$sum" | sed 's/^./1/')
python3 - "$sum" "$bad" > badspell <<'PY'
import sys
h, bad = sys.argv[1], sys.argv[2]
print(bad + "\tnot the CSR")
print(h[:-1] + "\t63 hex digits")
print(h + "0\t65 hex digits")
print(h[:-1] + "g\tonly hex digits")
print(h[:32] + "." + h[32:] + "\tonly hex digits")
print("sha256:" + h + "\tonly hex digits")
print("\t0 hex digits")
PY
while IFS="$(printf '\t')" read -r s why; do
	rm -rf st
	check_fails "import --expect-sha256 '$s' refused ($why)" "$why|not the expected" \
		"$KC" import --from usb --state st --expect-sha256 "$s"
	check "  ... nothing imported" test ! -e st/int.csr
done < badspell
check_fails "the mismatch names both hashes in the one form" "has SHA-256 $(form "$sum"), not the expected $(form "$bad")" \
	"$KC" import --from usb --state st --expect-sha256 "$bad"
done_testing

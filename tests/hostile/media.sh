#!/bin/sh
# The removable medium and the state directory are hostile (issue 12,
# items 1, 2, 7, 11). A golden state directory is made by the shipped
# ceremonies on SoftHSM (root, first CRL, a DPS verification code and its
# certificate, transcripts, register); then:
#   - positives: a clean export and a clean import round trip, the re-encoded
#     files, SHA256SUMS regenerated and checked, the recorded .code exported;
#   - the corpus of tests/hostile/make-media.py (links of every kind, FIFOs,
#     sockets, devices, hard links to the PIN, other owners, oversized
#     files, one-object-per-file violations, keys disguised as codes,
#     certificates and transcripts, bad SHA256SUMS lines, odd and reserved
#     names, ceremony outputs with reserved names or the wrong extension):
#     each refused by name, exit 1 or 2, medium and state unchanged, no key
#     on the medium, the PIN nowhere;
#   - import memory: a medium of ten 16 MB "transcripts" keeps the peak RSS
#     of keyceremony import under 40 MB (/usr/bin/time -v; the code before
#     issue 12 held them all: 171 MB).
. "$KC_TOP_SRCDIR/tests/lib.sh"
H=$KC_TOP_SRCDIR/tests/hostile
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"

# A token whose PIN is a string that cannot appear by chance.
PIN=kcMediaPin4711qz
demo_token "$PIN"
mkdir media usb
runc() {
	"$KC" run "$CER/$1.yaml" --site demo.site --batch --role officer="Olga Officer" \
		--role witness="Wim Witness" > "$1.out" 2>&1 || { sed 's/^/#   /' "$1.out"; bail "ceremony $1"; }
}
runc root-ca
echo 5C7E0A1B2C3D4E5F > usb/dps-verification.code
"$KC" import --from usb --state state dps-verification.code >/dev/null 2>&1 || bail "import code"
runc dps-proof-of-possession
cp -a state golden

# ---- positives ----
rm -rf m1; mkdir m1
check "a clean export of the golden state" "$KC" export --state golden --to m1
cp .out export.out
check "SHA256SUMS checks" sh -c "cd m1 && sha256sum -c --strict SHA256SUMS"
check "the recorded verification code is exported" cmp golden/dps-verification.code m1/dps-verification.code
check "certificates and CRLs are exported byte for byte (already canonical PEM)" sh -c \
	"cmp golden/root.pem m1/root.pem && cmp golden/root-0001.crl m1/root-0001.crl && cmp golden/dps-verification.pem m1/dps-verification.pem"
check "the transcripts and the register dump are exported" sh -c \
	"ls m1/root-ca-*.log m1/dps-proof-of-possession-*.log m1/register-*.txt"
check "the exported medium holds no key" sh "$KC_TOP_SRCDIR/tests/scan-secrets.sh" m1
check "the PIN is not on the medium" sh -c "! grep -rq '$PIN' m1"
check "export again onto the same medium: identical files kept" "$KC" export --state golden --to m1
check "SHA256SUMS still checks" sh -c "cd m1 && sha256sum -c --strict SHA256SUMS"
cp m1/SHA256SUMS sums.before
check "export onto a medium with an earlier export: old entries kept, regenerated" sh -c \
	"rm -rf m2 && mkdir m2 && cp golden/root.pem m2/old.pem && (cd m2 && sha256sum old.pem > SHA256SUMS) &&
	 '$KC' export --state golden --to m2 >/dev/null && cd m2 && sha256sum -c --strict SHA256SUMS &&
	 grep -q '  old.pem\$' SHA256SUMS && test \$(wc -l < SHA256SUMS) = \$(ls | grep -vc SHA256SUMS)"
# A certificate written by hand (CRLF, no final newline) is re-encoded, not copied.
rm -rf S3 m3; cp -a golden S3; mkdir m3
sed 's/$/\r/' golden/root.pem | head -c -2 > S3/hand.pem
check "a CRLF certificate without its final newline is exported" "$KC" export --state S3 --to m3
check "... re-encoded to canonical PEM" cmp golden/root.pem m3/hand.pem
openssl x509 -in golden/root.pem -outform DER -out S3/root.der
rm -rf m3; mkdir m3
check "a DER certificate is exported as its DER" sh -c "'$KC' export --state S3 --to m3 >/dev/null && cmp S3/root.der m3/root.der"

check_fails "the state directory is not a medium" "is the state directory itself" \
	"$KC" export --state golden --to golden

# A killed ceremony's transcript (no end record) is still evidence: exported.
rm -rf S5 m5; cp -a golden S5; mkdir m5
tr=$(ls S5/transcripts/root-ca-*.log)
sed '$d' "$tr" > S5/transcripts/killed.log
check "a transcript without its end record (a killed ceremony) is exported" \
	sh -c "'$KC' export --state S5 --to m5 >/dev/null && cmp S5/transcripts/killed.log m5/killed.log"

# Rollback of a medium with an earlier export: SHA256SUMS as before.
rm -rf m4; mkdir m4; cp golden/root.pem m4/old.pem; (cd m4 && sha256sum old.pem > SHA256SUMS)
cp m4/SHA256SUMS m4.sums
check_fails "a failed write is rolled back" "rolled back" env KC_TEST_MEDIA_FAIL_AFTER=2 "$KC" export --state golden --to m4
check "... SHA256SUMS regenerated as it was, nothing else left" sh -c \
	"cmp m4.sums m4/SHA256SUMS && test \"\$(ls m4 | tr '\n' ' ')\" = 'SHA256SUMS old.pem '"

# Import round trip: a CSR and a code come in, unchanged, with their hash.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout csr.key \
	-subj "/CN=Media Round Trip" -out usb/factory.csr 2>/dev/null || bail "openssl req"
cp golden/root.pem usb/root.pem; cp golden/root-0001.crl usb/root.crl
truncate -s 16M usb/big-transcript.log
rm -rf st; mkdir st
check "import by directory scan (certificates and other files left alone)" "$KC" import --from usb --state st
check "the CSR and the code are in the state, unchanged" sh -c \
	"cmp usb/factory.csr st/factory.csr && cmp usb/dps-verification.code st/dps-verification.code && test ! -e st/root.pem"
mkdir fat; cp usb/factory.csr fat/FACTORY.CSR; mkdir fat/SYSTEM~1; echo x > fat/SYSTEM~1/IndexerVolumeGuid
check "a FAT medium: FACTORY.CSR is found (extensions without regard to case)" sh -c \
	"'$KC' import --from fat --state stfat >/dev/null && cmp fat/FACTORY.CSR stfat/FACTORY.CSR"
rm -rf mfat; mkdir mfat
check "... and exported again" sh -c "'$KC' export --state stfat --to mfat >/dev/null && cmp stfat/FACTORY.CSR mfat/FACTORY.CSR"
check_fails "an imported code the register never recorded is not exported" \
	"st/dps-verification.code: no verification certificate in the register" "$KC" export --state st --to mfat
check "import again: already there" "$KC" import --from usb --state st factory.csr
cp .out again.out
check "... said so" grep -q "already there" again.out
check_fails "a named certificate is not a CSR" "usb/root.pem" "$KC" import --from usb --state st root.pem

# FIFOs given on the command line do not hang either (timeout only guards
# against a hang; a correct run answers at once).
mkfifo fifo.pin fifo.csr
check_fails "--pin-file naming a FIFO is refused at once" "fifo.pin.*FIFO" \
	timeout 60 "$KC" root create --token keyceremony-demo --label fifo-test --algorithm ec-p256 \
	--subject /CN=Fifo --days 30 --out fifo-root.pem --pin-file fifo.pin --state fifo-state
check "... nothing written" sh -c "test ! -e fifo-root.pem && test ! -e fifo-state"
check_fails "--csr naming a FIFO is refused at once" "fifo.csr.*FIFO" \
	timeout 60 "$KC" intermediate sign --token keyceremony-demo --label root-2026 --issuer golden/root.pem \
	--csr fifo.csr --days 30 --out fifo-int.pem --pin-file pin --state fifo-state --yes
check "... nothing written" sh -c "test ! -e fifo-int.pem"
rm -f fifo.pin fifo.csr

# Reserved output names on the command line too (item 7): refused before the
# token is touched, the register untouched.
rm -rf S7; cp -a golden S7
for out in register.sqlite-journal register.sqlite-wal register.sqlite SHA256SUMS \
	register-dump.crl transcripts root.pem.tmp-0123456789ab; do
	cp -a S7 S7.before
	check_fails "crl --out S7/$out is refused" "$out.*keeps for itself" \
		"$KC" crl --token keyceremony-demo --label root-2026 --issuer S7/root.pem \
		--out "S7/$out" --pin-file pin --state S7
	check_fails "root create --out S7/$out is refused" "$out.*keeps for itself" \
		"$KC" root create --token keyceremony-demo --label r7 --algorithm ec-p256 \
		--subject /CN=R7 --days 30 --out "S7/$out" --pin-file pin --state S7
	check "... the state directory is unchanged ($out)" diff -r S7.before S7
	rm -rf S7.before
done
check "a CRL with a plain name is still signed" "$KC" crl --token keyceremony-demo --label root-2026 \
	--issuer S7/root.pem --out S7/root-0002.crl --pin-file pin --state S7

# ---- the corpus ----
mkdir w
python3 "$H/make-media.py" "$KC" "$T/golden" "$T/w" "$T/pin" "$KC_TOP_SRCDIR/tests/scan-secrets.sh" \
	"$T/corpus.tap" || bail "make-media.py failed"
n=0
while IFS='	' read -r res what detail; do
	n=$((n + 1))
	if [ "$res" = ok ]; then
		ok "$what"
	else
		not_ok "$what"; diag "  $detail"
	fi
done < corpus.tap
check "the corpus has at least 200 cases ($n)" test "$n" -ge 200

# ---- import memory (item 11) ----
rm -rf big st2; mkdir big st2
for i in 0 1 2 3 4 5 6 7 8 9; do
	{ printf '# keyceremony transcript, format 1\n'; head -c 16777100 /dev/zero; } > "big/transcript-$i.log"
done
cp usb/factory.csr big/
rss() { sed -n 's/.*Maximum resident set size (kbytes): *//p' "$1"; }
check "import from a medium of ten 16 MB files" /usr/bin/time -v -o time1.txt \
	"$KC" import --from big --state st2
r1=$(rss time1.txt); diag "peak RSS, directory scan over 10 x 16 MB: $r1 kB"
check "... peak RSS under 40 MB ($r1 kB)" test "${r1:-999999}" -lt 40960
for i in 0 1 2 3 4 5 6 7 8 9; do mv "big/transcript-$i.log" "big/x$i.csr"; done
/usr/bin/time -v -o time2.txt "$KC" import --from big --state st2 > imp2.out 2>&1
rc=$?
r2=$(rss time2.txt); diag "peak RSS, ten 16 MB files named *.csr: $r2 kB"
check "ten 16 MB *.csr: refused by name as too large" sh -c \
	"test $rc = 1 && grep -q 'big/x0.csr.*too large' imp2.out"
check "... peak RSS under 40 MB ($r2 kB)" test "${r2:-999999}" -lt 40960
/usr/bin/time -v -o time3.txt "$KC" import --from big --state st2 x5.csr > imp3.out 2>&1
r3=$(rss time3.txt); diag "peak RSS, one named 16 MB file: $r3 kB"
check "a named 16 MB file: refused, RSS under 40 MB ($r3 kB)" sh -c \
	"grep -q 'x5.csr.*too large' imp3.out && test ${r3:-999999} -lt 40960"
done_testing

#!/bin/sh
# keyceremony export / import: only public artefacts leave, every kind of
# private key is refused, SHA256SUMS checks, a full or read-only medium
# leaves nothing behind, CSRs come in with their SHA-256.
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "no temp dir"

# A state directory with public artefacts made by openssl.
mkdir -p S/transcripts keys
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/ca.key \
	-subj /CN=Test-CA -days 30 -out S/root.pem 2>/dev/null || bail "openssl req"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/int.key \
	-subj /CN=Test-Intermediate -out S/intermediate.csr 2>/dev/null || bail "openssl csr"
openssl x509 -in S/root.pem -outform DER -out S/root.der
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\ncrlnumber = %s/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n' "$T" "$T" > ca.cnf
: > index.txt; echo 01 > crlnumber
openssl ca -config ca.cnf -gencrl -keyfile keys/ca.key -cert S/root.pem -out S/root.crl 2>/dev/null || bail "openssl crl"
printf 'notes\n' > S/notes.txt
mkdir media
check_fails "a file that is no artefact is refused by name" \
	"S/notes.txt: not a file export knows.*refusing to export anything" \
	"$KC" export --state S --to media
check "nothing written for notes.txt" test -z "$(ls -A media)"
rm S/notes.txt
check "export a state directory" "$KC" export --state S --to media
cp "$T/.out" export.out
check "sha256sum -c SHA256SUMS on the media" sh -c "cd media && sha256sum -c --strict SHA256SUMS"
check "certificate, DER certificate, CRL and CSR exported" sh -c \
	"test -f media/root.pem && test -f media/root.der && test -f media/root.crl && test -f media/intermediate.csr"
check "exported certificate verifies" openssl verify -x509_strict -CAfile media/root.pem media/root.pem
check "exported CRL verifies" openssl crl -in media/root.crl -CAfile media/root.pem -noout
check "no temp files left" sh -c "! ls -A media | grep -q tmp"
check "export again: identical files are kept" "$KC" export --state S --to media
check "SHA256SUMS still checks" sh -c "cd media && sha256sum -c --strict SHA256SUMS"

# Every private key format, planted under an innocent name: refused, nothing written.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out keys/rsa8.pem 2>/dev/null
openssl pkey -in keys/rsa8.pem -traditional -out keys/rsa1.pem 2>/dev/null
openssl pkey -in keys/ca.key -out keys/ec8.pem
openssl ec -in keys/ca.key -out keys/ecraw.pem 2>/dev/null
openssl pkcs8 -topk8 -in keys/ca.key -v2 aes-256-cbc -passout pass:secret -out keys/enc8.pem
openssl pkcs8 -topk8 -nocrypt -in keys/ca.key -outform DER -out keys/ec8.der
openssl pkcs8 -topk8 -in keys/ca.key -v2 aes-256-cbc -passout pass:secret -outform DER -out keys/enc8.der
openssl pkey -in keys/rsa8.pem -traditional -outform DER -out keys/rsa1.der 2>/dev/null
openssl ec -in keys/ca.key -outform DER -out keys/ecraw.der 2>/dev/null
openssl pkcs12 -export -in S/root.pem -inkey keys/ca.key -passout pass:secret -out keys/bundle.p12 2>/dev/null
openssl pkcs12 -export -nokeys -in S/root.pem -passout pass:secret -out keys/certs.p12 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -f keys/ssh >/dev/null
cat S/root.pem keys/ca.key > keys/chain-with-key.pem
# a key DER hidden under a CERTIFICATE label
{ echo '-----BEGIN CERTIFICATE-----'; base64 -w 64 keys/ec8.der; echo '-----END CERTIFICATE-----'; } > keys/disguised.pem
# a raw key appended to a DER certificate
cat S/root.der keys/ecraw.der > keys/cert-plus-key.der
for f in rsa8.pem:PRIVATE.KEY rsa1.pem:RSA.PRIVATE.KEY ec8.pem:PRIVATE.KEY ecraw.pem:EC.PRIVATE.KEY \
	 enc8.pem:ENCRYPTED.PRIVATE.KEY ec8.der:PKCS#8 enc8.der:encrypted.PKCS#8 rsa1.der:RSA.private \
	 ecraw.der:EC.private bundle.p12:PKCS#12 certs.p12:PKCS#12 ssh:OPENSSH \
	 chain-with-key.pem:PRIVATE.KEY disguised.pem:PKCS#8 cert-plus-key.der:EC.private; do
	name=${f%%:*}; what=${f#*:}
	rm -rf m2; mkdir m2
	cp "keys/$name" "S/backup-$name"
	check_fails "export refuses $name" "backup-$name holds .*$what.*refusing to export" \
		"$KC" export --state S --to m2
	check "nothing written for $name" test -z "$(ls -A m2)"
	rm -f "S/backup-$name"
done
cp keys/ec8.pem S/transcripts/late.log
check_fails "a key in transcripts/ is refused too" "late.log holds" "$KC" export --state S --to m2
rm S/transcripts/late.log

# Media missing, read-only, or holding another file of the same name.
check_fails "media missing" "nosuch.*insert and mount" "$KC" export --state S --to nosuch
mkdir m3; echo other > m3/root.pem
check_fails "a different file of the same name" "m3/root.pem already exists.*other content" \
	"$KC" export --state S --to m3
check "nothing else written" test "$(ls -A m3)" = root.pem

can_mount=no
if [ "$(id -u)" = 0 ] && mkdir mnt && mount -t tmpfs -o size=48k tmpfs mnt 2>/dev/null; then
	can_mount=yes
	trap 'umount "$T/mnt" 2>/dev/null; _tap_cleanup' EXIT
fi
if [ "$can_mount" = yes ]; then
	mkdir S2; cp S/root.pem S2/
	check "export to a small tmpfs" "$KC" export --state S2 --to mnt
	# A big artefact that does not fit (one certificate of 60 kB).
	big=$(head -c 45000 /dev/zero | tr '\0' a)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/big.key \
		-subj /CN=Big -days 3 -addext "nsComment=$big" -out S2/big-bundle.pem 2>/dev/null || bail "big cert"
	check_fails "media full (ENOSPC on tmpfs)" "No space left on device.*rolled back" \
		"$KC" export --state S2 --to mnt
	check "no partial file after ENOSPC" test ! -e mnt/big-bundle.pem
	check "no temp file after ENOSPC" sh -c "! ls -A mnt | grep -q tmp"
	check "manifest consistent after ENOSPC" sh -c "cd mnt && sha256sum -c --strict SHA256SUMS && test \$(wc -l < SHA256SUMS) = 1"
	rm S2/big-bundle.pem
	mount -o remount,ro mnt
	cp S/root.crl S2/
	check_fails "read-only media" "not writable.*Read-only" "$KC" export --state S2 --to mnt
	umount mnt
else
	diag "not root or no tmpfs: ENOSPC via the test fault-injection point only"
fi
# The same rollback through the fault-injection point (works anywhere).
rm -rf m4 S4; mkdir m4 S4; cp S/root.pem S4/
"$KC" export --state S4 --to m4 >/dev/null || bail "first export to m4"
cp S/root.crl S/intermediate.csr S4/
check_fails "write failure after one file" "No space left on device.*rolled back" \
	env KC_TEST_MEDIA_FAIL_AFTER=1 "$KC" export --state S4 --to m4
check "rollback removed the file already written" sh -c "test ! -e m4/root.crl && test ! -e m4/intermediate.csr"
check "manifest as before" sh -c "cd m4 && sha256sum -c --strict SHA256SUMS && test \$(wc -l < SHA256SUMS) = 1"
if [ "$(id -u)" != 0 ]; then
	chmod 555 m4
	check_fails "read-only media (permissions)" "not writable" "$KC" export --state S4 --to m4
	chmod 755 m4
fi

# Import: CSRs with their SHA-256.
mkdir usb st
cp S/intermediate.csr usb/factory-int.csr
sum=$(sha256sum usb/factory-int.csr | cut -c1-64)
bad=$(echo "$sum" | sed 's/^./0/'); [ "$bad" = "$sum" ] && bad=$(echo "$sum" | sed 's/^./1/')
# hashes in messages: the one form (groups of eight)
hf() { echo "$1" | sed 's/\(........\)/\1 /g; s/ $//'; }
check_fails "import with the wrong --expect-sha256" "has SHA-256 $(hf "$sum"), not the expected $(hf "$bad")" \
	"$KC" import --from usb --state st --expect-sha256 "$bad"
check "nothing imported on a mismatch" test ! -e st/factory-int.csr
check "import with the right --expect-sha256" "$KC" import --from usb --state st --expect-sha256 "$sum"
cp "$T/.out" import.out
check "import shows the SHA-256" sh -c "tr -d ' \n' < import.out | grep -q '$sum'"
check "the CSR is in the state directory, unchanged" cmp usb/factory-int.csr st/factory-int.csr
cp keys/ec8.pem usb/evil.csr
check_fails "a private key posing as a CSR is refused" "evil.csr holds" "$KC" import --from usb --state st
rm usb/evil.csr
echo garbage > usb/broken.csr
check_fails "a broken CSR is refused" "broken.csr" "$KC" import --from usb --state st broken.csr
check_fails "import from missing media" "nosuch.*insert and mount" "$KC" import --from nosuch --state st
check_fails "--expect-sha256 must be hex" "not a SHA-256: only hex digits" "$KC" import --from usb --state st --expect-sha256 xyz
done_testing

#!/bin/sh
# keyceremony run: the shipped root ceremony end to end on fresh SoftHSM
# tokens, preflight refusals, and the same ceremony file under two site
# profiles giving the same certificate profile.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"
mkdir media

# The contract command line, on a fresh token.
check "run root-ca.yaml --batch with all overrides" \
	"$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" --token keyceremony-demo \
	--pin-file "$T/pin" --state S --media media
cp "$T/.out" run.out
check "root certificate written" test -s S/root.pem
check "openssl verify -x509_strict" openssl verify -x509_strict -CAfile S/root.pem S/root.pem
check "certtool --verify-chain" certtool --verify-chain --infile S/root.pem
check "root is a CA with keyCertSign" sh -c \
	"openssl x509 -in S/root.pem -noout -ext basicConstraints,keyUsage | grep -q 'CA:TRUE' &&
	 openssl x509 -in S/root.pem -noout -ext keyUsage | grep -q 'Certificate Sign'"
check "subject from the ceremony file" sh -c \
	"openssl x509 -in S/root.pem -noout -subject | grep -q 'CN = Example Fleet Root CA 2026'"
check "the key is in the token, never extractable" sh -c \
	"pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null |
	 grep -A8 'Private Key Object' | grep -q 'never extractable'"
check "run says REHEARSAL on SoftHSM" grep -q REHEARSAL run.out
check "SHA256SUMS on the media checks" sh -c "cd media && sha256sum -c --strict SHA256SUMS"
check "media has the root and the transcript" sh -c \
	"test -f media/root.pem && ls media/root-ca-*.log >/dev/null"
check "media holds no private key block" sh -c "! grep -l PRIVATE media/*"
tr=$(ls S/transcripts/root-ca-*.log)
digest=$(sed -n '/^Final digest/{n;p;n;p}' run.out | tr -d ' \n')
check "the printed digest is 64 hex digits" sh -c "echo '$digest' | grep -Eq '^[0-9a-f]{64}$'"
check "transcript verify with the paper digest" "$KC" transcript verify "$tr" --digest "$digest"
check "transcript on the media is the same" cmp "$tr" "media/$(basename "$tr")"
check "transcript marks the rehearsal" grep -q 'rehearsal=yes' "$tr"
check "transcript records each preflight check" sh -c \
	"for c in network clock token media files; do grep -q \"check check=\$c result=\" '$tr' || exit 1; done"
check "transcript records the clock as confirmed by batch" grep -q 'confirmed-by-batch at' "$tr"
check "transcript has the output hash" grep -q "out=root.pem:$(sha256sum S/root.pem | cut -c1-64)" "$tr"
check "transcript has the ceremony file hash" grep -q "file-sha256=$(sha256sum "$CER/root-ca.yaml" | cut -c1-64)" "$tr"

# A second run: outputs exist, preflight fails, nothing is touched.
nkeys=$(pkcs11-tool --module "$MODULE" --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object')
# (its key-label is taken on the token too: the token check fails first)
check_fails "second run refused: output exists" "preflight check 'token' failed.*key-label 'root-2026'" \
	"$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" --token keyceremony-demo \
	--pin-file "$T/pin" --state S --media media
check "  ... and the files check says the output exists" sh -c \
	"grep -q 'check=files result=failed detail=\"output .*root.pem exists' \$(ls -t S/transcripts/*.log | head -1)"
# A fresh key-label for the refusals below, which must come from later checks.
sed 's/root-2026/root-2026-b/' "$CER/root-ca.yaml" > fresh.yaml
n2=$(pkcs11-tool --module "$MODULE" --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object')
check "no new key after the refused run" test "$nkeys" = "$n2"
last=$(ls -t S/transcripts/*.log | head -1)
check "the refused run left an aborted transcript" grep -q 'result=aborted' "$last"
check "the aborted transcript verifies" "$KC" transcript verify "$last"

# Network refusal through a fake /sys (KC_SYSFS is for tests only).
mkdir -p sys/class/net/lo sys/class/net/eth7 sys/class/net/wlan0
echo unknown > sys/class/net/lo/operstate; echo 0x9 > sys/class/net/lo/flags
echo up > sys/class/net/eth7/operstate; echo 0x1003 > sys/class/net/eth7/flags
echo down > sys/class/net/wlan0/operstate; echo 0x1002 > sys/class/net/wlan0/flags
mkdir media2
check_fails "an interface up with network refuse" "preflight check 'network' failed.*eth7" \
	env KC_SYSFS="$T/sys" "$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S2 --media media2 --network refuse
check "nothing signed after the network refusal" test ! -e S2/root.pem
check "the refusal is in the transcript" sh -c "grep -q 'check=network result=failed' S2/transcripts/*.log"

# Media missing: preflight fails before login.
check_fails "media directory missing" "preflight check 'media' failed: media directory nomedia: No such file" \
	"$KC" run fresh.yaml --batch --module "$MODULE" --token keyceremony-demo \
	--pin-file "$T/pin" --state S7 --media nomedia
check "nothing signed without media" test ! -e S7/root.pem

# Wrong token label: preflight names the tokens present.
check_fails "unknown token label" "no token labelled 'nosuch'.*keyceremony-demo" \
	"$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" --token nosuch \
	--pin-file "$T/pin" --state S3 --media media2
check_fails "token with the wrong serial" "no token labelled 'keyceremony-demo' with serial 0000000000000000" \
	"$KC" run "$CER/root-ca.yaml" --batch --module "$MODULE" --token keyceremony-demo \
	--serial 0000000000000000 --pin-file "$T/pin" --state S3 --media media2
serial=$(softhsm2-util --show-slots | awk '/Serial number:/ { s = $3 } /Label: *keyceremony-demo/ { print s; exit }')
[ -n "$serial" ] || serial=$(softhsm2-util --show-slots | grep -B8 'keyceremony-demo' | awk '/Serial number/ {print $3}' | head -1)
check "the token check shows the serial" sh -c "grep -q 'serial $serial' run.out"
# Wrong PIN: the login fails after preflight, recorded, no key.
( umask 077; echo 999999 > badpin )
check_fails "wrong PIN" "PIN" \
	"$KC" run fresh.yaml --batch --module "$MODULE" --token keyceremony-demo \
	--pin-file badpin --state S4 --media media2
check "wrong PIN recorded" sh -c "grep -q 'login result=failed' S4/transcripts/*.log"
check "nothing written after the wrong PIN" test ! -e S4/root.pem

# The same ceremony file under two site profiles, on two tokens.
softhsm2-util --init-token --free --label production-sim --pin 123456 --so-pin 12345678 >/dev/null
# two fresh tokens: the first one already holds root-2026
softhsm2-util --init-token --free --label rehearsal-sim --pin 123456 --so-pin 12345678 >/dev/null
mkdir ma mb
cat > a.site <<EOS
keyceremony-site: 1
name: rehearsal-a
module: $MODULE
token:
  label: rehearsal-sim
pin-file: pin
state: sa
media: ma
network: refuse
EOS
cat > b.site <<EOS
keyceremony-site: 1
name: production-b
token:
  label: production-sim
pin-file: pin
state: sb
media: mb
network: warn
removable-media: warn
EOS
echo down > sys/class/net/eth7/operstate
check "site profile A (all interfaces down, network: refuse)" \
	env KC_SYSFS="$T/sys" "$KC" run "$CER/root-ca.yaml" --site a.site --batch
cp "$T/.out" a.out
check "network check passed with every interface down" grep -q "passed. Network" a.out
check "site profile B" "$KC" run "$CER/root-ca.yaml" --site b.site --batch
profile() {
	openssl x509 -in "$1" -noout -text -certopt no_serial,no_validity,no_pubkey,no_sigdump,no_signame |
	sed '/Key Identifier/{n;d}'
}
profile sa/root.pem > pa.txt; profile sb/root.pem > pb.txt
check "same subject and extensions from both sites" cmp pa.txt pb.txt
check "the profile is not empty" grep -q "Basic Constraints: critical" pa.txt
check "but different keys" sh -c "! cmp -s sa/root.pem sb/root.pem"
check "transcripts name their sites" sh -c \
	"grep -q 'site=rehearsal-a' sa/transcripts/*.log && grep -q 'site=production-b' sb/transcripts/*.log"
done_testing

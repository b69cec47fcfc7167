#!/bin/sh
# keyceremony intermediate sign: root (in SoftHSM) -> intermediate (EC and
# RSA CSRs made by openssl) -> a device certificate signed by the
# intermediate with the openssl CLI; every bad input refused with nothing
# written and nothing recorded.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd $T"
S="$T/state"
common="--token test --pin-file $T/pin --state $S"

"$KC" root create $common --label root --algorithm ec-p384 \
	--subject "/CN=Test Root CA/O=Example" --days 3650 --out root.pem >root.out 2>&1 \
	|| { cat root.out; bail "root create failed"; }

# Register rows for this state (all kinds), via the command itself.
nreg() { "$KC" register list --state "$S" 2>/dev/null | grep -cE '^  [0-9-]+ [0-9:]+ +(root|intermediate|verification|crl) '; }

# --- EC intermediate --------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout inter.key -subj "/CN=Factory 1 Intermediate CA/O=Example" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:3" \
	-addext "keyUsage=keyEncipherment,keyCertSign" -out inter.csr 2>/dev/null \
	|| bail "openssl req failed"
csr_sha=$(sha256sum inter.csr | cut -d' ' -f1)
check "intermediate sign (EC P-256 CSR, PEM)" \
	"$KC" intermediate sign $common --label root --issuer root.pem \
	--csr inter.csr --days 1825 --path-len 0 --yes --out inter.pem
# The same CSR again needs a name of its own (the first is still valid).
"$KC" intermediate sign $common --label root --issuer root.pem \
	--csr inter.csr --days 30 --subject "/CN=Factory 1b Intermediate CA/O=Example" \
	--yes --out inter-b.pem > sign.out 2>&1
check "summary shows the CSR's SHA-256 (the one hash form)" grep -q "CSR SHA-256 *$(echo "$csr_sha" | sed 's/\(........\)/\1 /g; s/ $//')" sign.out
check "summary lists the ignored CSR extensions" grep -q "IGNORED" sign.out
check "summary shows the requested keyEncipherment" grep -q "Key Encipherment" sign.out
check "summary shows the issued pathLen" grep -q "CA:TRUE, pathLen 0" sign.out
check "openssl verify -x509_strict root -> intermediate" \
	openssl verify -x509_strict -CAfile root.pem inter.pem
openssl x509 -in inter.pem -noout -text > inter.txt
check "basicConstraints critical CA:TRUE pathlen:0 (not the CSR's 3)" \
	sh -c "grep -A1 'Basic Constraints: critical' inter.txt | grep -q 'CA:TRUE, pathlen:0'"
check "keyUsage from the profile, not the CSR" \
	sh -c "grep -A1 'Key Usage: critical' inter.txt | grep -q 'Digital Signature, Certificate Sign, CRL Sign' && ! grep -q 'Key Encipherment' inter.txt"
root_ski=$(openssl x509 -in root.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
inter_aki=$(openssl x509 -in inter.pem -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')
[ -n "$root_ski" ] && [ "$root_ski" = "$inter_aki" ] && ok "AKI = the root's SKI" || not_ok "AKI $inter_aki != root SKI $root_ski"
check "subject from the CSR" \
	sh -c "openssl x509 -in inter.pem -noout -subject | grep -q 'CN = Factory 1 Intermediate CA, O = Example'"
check "certtool --verify-chain (GnuTLS) accepts it" \
	sh -c "cat inter.pem root.pem > chain.pem && certtool --verify-chain --infile chain.pem"

# A device certificate signed by the intermediate with the openssl CLI.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout dev.key -subj "/CN=device-0001" -out dev.csr 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > dev.ext
openssl x509 -req -in dev.csr -CA inter.pem -CAkey inter.key -CAcreateserial \
	-days 30 -extfile dev.ext -out dev.pem 2>/dev/null
check "device cert verifies through the chain (openssl -x509_strict)" \
	openssl verify -x509_strict -CAfile root.pem -untrusted inter.pem dev.pem
check "device chain verifies with certtool" \
	sh -c "cat dev.pem inter.pem root.pem > devchain.pem && certtool --verify-chain --infile devchain.pem"
check_fails "device cert does not verify without the intermediate" "unable to get local issuer" \
	openssl verify -x509_strict -CAfile root.pem dev.pem

# --- RSA intermediate, DER CSR, --subject override ----------------------
"$KC" root create $common --label root-rsa --algorithm rsa-3072 \
	--subject "/CN=Test RSA Root/O=Example" --days 3650 --out root-rsa.pem >/dev/null 2>&1 \
	|| bail "RSA root create failed"
openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=ignored" \
	-outform DER -out rsa.der 2>/dev/null
check "intermediate sign (RSA-2048 CSR, DER, --subject)" \
	"$KC" intermediate sign $common --label root-rsa --issuer root-rsa.pem \
	--csr rsa.der --days 365 --subject "/CN=Factory 2 CA/O=Example" --yes --out inter-rsa.pem
check "openssl verify -x509_strict RSA root -> intermediate" \
	openssl verify -x509_strict -CAfile root-rsa.pem inter-rsa.pem
check "--subject replaced the CSR's" \
	sh -c "openssl x509 -in inter-rsa.pem -noout -subject | grep -q 'CN = Factory 2 CA'"
check "signed with sha256WithRSAEncryption" \
	sh -c "openssl x509 -in inter-rsa.pem -noout -text | grep -q 'Signature Algorithm: sha256WithRSAEncryption'"

"$KC" register list --state "$S" > reg.out 2>&1
check "register lists the roots and intermediates" \
	sh -c "[ \$(grep -c ' root ' reg.out) -eq 2 ] && [ \$(grep -c ' intermediate ' reg.out) -eq 3 ]"
# shown in the one hash form (groups of eight)
hf() { echo "$1" | sed 's/\(........\)/\1 /g; s/ $//'; }
check "register records the CSR's SHA-256" grep -q "input sha256 $(hf "$csr_sha")" reg.out
fpr=$(openssl x509 -in inter.pem -outform DER | sha256sum | cut -d' ' -f1)
check "register records the certificate's SHA-256" grep -q "sha256 $(hf "$fpr")" reg.out

# --- bad input: message, exit status, no output, no register entry ------
before=$(nreg)
# refused NAME REGEX [extra args...]: intermediate sign must fail with the
# message, exit non-zero, write no bad.pem and record nothing.
refused() {
	_n=$1; _re=$2; shift 2
	rm -f bad.pem
	check_fails "$_n" "$_re" "$KC" intermediate sign $common --label root \
		--issuer root.pem --days 30 --yes --out bad.pem "$@"
	[ ! -e bad.pem ] && ok "$_n: no output file" || not_ok "$_n: bad.pem written"
	[ "$(nreg)" -eq "$before" ] && ok "$_n: nothing recorded" || not_ok "$_n: register changed"
}
openssl req -in inter.csr -outform DER -out good.der
cp good.der badsig.der
# flip the last byte (inside the signature value)
python3 -c "import sys; b=bytearray(open('badsig.der','rb').read()); b[-1]^=1; open('badsig.der','wb').write(b)"
refused "CSR with a bad signature" "badsig.der: the CSR's self-signature does not verify" --csr badsig.der
head -n 4 inter.csr > trunc.csr
refused "truncated PEM" "trunc.csr: truncated or damaged PEM" --csr trunc.csr
printf 'this is not a CSR\n' > garbage.csr
refused "garbage" "garbage.csr: not a CSR" --csr garbage.csr
openssl req -new -newkey rsa:1024 -nodes -keyout /dev/null -subj "/CN=weak" -out rsa1024.csr 2>/dev/null
refused "RSA-1024 key" "rsa1024.csr: key refused: RSA-1024" --csr rsa1024.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-192 -nodes -keyout /dev/null -subj "/CN=weak" -out p192.csr 2>/dev/null
refused "P-192 key" "p192.csr: key refused: EC curve" --csr p192.csr
refused "a certificate instead of a CSR" "root.pem: is a certificate, not a CSR" --csr root.pem
refused "a private key instead of a CSR" "inter.key: is a private key, not a CSR" --csr inter.key
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=bad$(printf '\001')name" -out ctrl.csr 2>/dev/null
refused "control character in the subject" "ctrl.csr: .*control" --csr ctrl.csr
H="$KC_TOP_SRCDIR/tests/hostile/csr"
refused "NUL byte in the subject" "subject-embedded-nul.der: .*NUL" --csr "$H/subject-embedded-nul.der"
refused "empty subject" "subject-empty.der: the CSR has an empty subject; give one with --subject" \
	--csr "$H/subject-empty.der"
refused "--days past the root's end" "--days 4000 would end on .*latest allowed end is .*\\(--days 36[0-9][0-9]\\)" \
	--csr inter.csr --days 4000
"$KC" root create $common --label other --algorithm ec-p256 \
	--subject "/CN=Other Root" --days 3650 --out other.pem >/dev/null 2>&1 || bail "other root"
before=$(nreg)
refused "wrong --issuer (another key's certificate)" "other.pem: this certificate's key is not the key 'root'" \
	--csr inter.csr --issuer other.pem
echo keep > exists.pem
check_fails "output exists" "exists.pem already exists" \
	"$KC" intermediate sign $common --label root --issuer root.pem --csr inter.csr --days 30 --yes --out exists.pem
check "existing output untouched" grep -q '^keep$' exists.pem
check_fails "no --yes and no terminal" "no terminal .*add --yes" \
	setsid "$KC" intermediate sign $common --label root --issuer root.pem --csr inter.csr --days 30 --out bad.pem </dev/null
[ ! -e bad.pem ] && ok "no --yes: nothing written" || not_ok "no --yes: bad.pem written"
"$KC" intermediate sign $common --label root --issuer root.pem --csr inter.csr --days 30 --yes --path-len 9 --out bad.pem >/dev/null 2>&1
[ $? -eq 2 ] && ok "--path-len 9 is a usage error (exit 2)" || not_ok "--path-len 9 not exit 2"
check_fails "--subject with a control character" "control" \
	"$KC" intermediate sign $common --label root --issuer root.pem --csr inter.csr --days 30 --yes \
	--subject "/CN=a$(printf '\002')b" --out bad.pem
# Confirmation on a terminal (a pty from script(1)): "n" declines.
printf 'n\n' | script -qec "'$KC' intermediate sign $common --label root --issuer root.pem --csr inter.csr --subject /CN=Declined --days 30 --out declined.pem" /dev/null > confirm.out 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "not confirmed; nothing was signed" confirm.out && grep -q "Sign this intermediate CA certificate" confirm.out \
	&& ok "answering n declines (exit 1)" || { not_ok "declining: exit $rc"; sed 's/^/#   /' confirm.out; }
[ ! -e declined.pem ] && ok "declined: nothing written" || not_ok "declined: file written"
[ "$(nreg)" -eq "$before" ] && ok "register unchanged after all refusals" || not_ok "register changed"
printf 'y\n' | script -qec "'$KC' intermediate sign $common --label root --issuer root.pem --csr inter.csr --subject /CN=Confirmed --days 30 --out confirmed.pem" /dev/null > confirm.out 2>&1
check "answering y signs" openssl verify -x509_strict -CAfile root.pem confirmed.pem
done_testing

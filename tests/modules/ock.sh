#!/bin/sh
# tests/modules/ock.sh (issue 13): the command matrix on openCryptoki's
# soft token (pkcsslotd, private namespace: mods_run): token list (RSA only,
# REHEARSAL), token probe, root create rsa-3072 and rsa-4096 with the key's
# attributes checked by pkcs11-tool -O, ec-p256/ec-p384 refused cleanly
# before any key is generated, token keys, intermediate sign (openssl CSR),
# verification sign, crl, and the shipped root ceremony with algorithm
# rsa-3072 (run --batch); every chain checked with openssl verify
# -x509_strict. openCryptoki has no CKM_SHA256/384_RSA_PKCS: RSA signs with
# CKM_RSA_PKCS over a DigestInfo.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
# The modules' own leaks (tests/lsan.supp) are only seen through their
# frames with the slow unwinder; LD_PRELOAD tests need the link-order check off.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:verify_asan_link_order=0"
cd "$T" || bail "no temp dir"
ock_setup kc-ock
R() { mods_run "$@"; }
S=$T/state
common="--module $MODULE --token kc-ock --pin-file $PIN_FILE --state $S"
keys() { R pkcs11-tool --module "$MODULE" --token-label kc-ock --login --pin 123456 -O 2>/dev/null; }
nobj() { keys | grep -c 'Key Object'; }

# --- token list, token probe --------------------------------------------------
R "$KC" token list > list.out 2>&1
check "token list: the token, its serial and PIN limits" sh -c \
	"grep -q '^  label: *kc-ock$' list.out && grep -q '^  serial: ' list.out && grep -q '^  PIN length: *4 to 8 bytes$' list.out"
check "token list: REHEARSAL (the openCryptoki soft token)" grep -q '^  REHEARSAL: *the openCryptoki soft token' list.out
check "token list: only RSA offered" grep -q '^  ceremony: *rsa-3072 rsa-4096$' list.out
check "token list: no EC, with the reason" sh -c \
	"grep -q '^  not offered: *ec-p384 not offered: the token has no CKM_EC_KEY_PAIR_GEN$' list.out &&
	 grep -q '^  not offered: *ec-p256 not offered: the token has no CKM_EC_KEY_PAIR_GEN$' list.out"
check "token list: RSA sizes as the token states them" grep -q 'RSA-keygen 512..4096 (bits)' list.out
check "token probe --algorithm rsa-3072" R "$KC" token probe --token kc-ock --algorithm rsa-3072 --pin-file "$PIN_FILE"
cp "$T/.out" probe.out
check "  ... objects the same before and after" grep -Eq '^objects after: +0 \(the same as before\)$' probe.out
check "  ... signed with CKM_RSA_PKCS (no SHA256-RSA-PKCS here) and verified by OpenSSL" sh -c \
	"grep -q '^  signature: .*verified by OpenSSL' probe.out && grep -q '^  signed with: *CKM_RSA_PKCS$' probe.out"

# --- every login path checks the PIN against 4..8 before C_Login ---------------
( umask 077; echo 123456789 > long.pin )
check_fails "root create: a 9-character PIN refused before login" \
	"PIN file long.pin: the PIN is 9 bytes but token 'kc-ock' accepts 4 to 8; nothing was sent to the token" \
	R "$KC" root create --module "$MODULE" --token kc-ock --pin-file long.pin --state "$S" --label root-x \
	--algorithm rsa-3072 --subject "/CN=X" --days 30 --out x.pem
check_fails "token keys: the same" "accepts 4 to 8; nothing was sent to the token" \
	R "$KC" token keys --token kc-ock --pin-file long.pin
sed 's/algorithm: ec-p384 /algorithm: rsa-3072 /; s/root-2026/root-long/' "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" > long.yaml
mkdir long-media
check_fails "run --batch (the engine's login, as the TUI's and the quorum's): the same" \
	"PIN file long.pin: the PIN is 9 bytes but token 'kc-ock' accepts 4 to 8; nothing was sent to the token" \
	R "$KC" run long.yaml --batch --module "$MODULE" --token kc-ock --pin-file long.pin --state LS --media long-media
check "  ... recorded as a failed login, no step" sh -c \
	"grep -q 'login result=failed' LS/transcripts/*.log && ! grep -q ' step ' LS/transcripts/*.log"
R pkcs11-tool --module "$MODULE" -T > T.txt 2>&1
check "  ... the token counted no wrong try" sh -c "! grep -Eqi 'count low|final try|locked' T.txt"

# --- root create ---------------------------------------------------------------
for a in ec-p256 ec-p384; do
	n0=$(nobj)
	check_fails "root create $a refused before any key is generated" \
		"token 'kc-ock'(: $a not offered: the token has no CKM_EC_KEY_PAIR_GEN| does not offer CKM_EC_KEY_PAIR_GEN)" \
		R "$KC" root create $common --label "root-$a" --algorithm "$a" \
		--subject "/CN=OCK $a Root/O=Example" --days 3650 --out "root-$a.pem"
	check "  ... no object made, no output" sh -c "[ $(nobj) = $n0 ] && [ ! -e root-$a.pem ]"
done
for a in rsa-3072 rsa-4096; do
	check "root create $a" R "$KC" root create $common --label "root-$a" --algorithm "$a" \
		--subject "/CN=OCK $a Root/O=Example" --days 3650 --out "root-$a.pem"
	check "  ... self-signed root verifies (-x509_strict)" openssl verify -x509_strict -CAfile "root-$a.pem" "root-$a.pem"
	check "  ... an RSA key of ${a#rsa-} bits" sh -c \
		"openssl x509 -in root-$a.pem -noout -text | grep -q 'Public-Key: (${a#rsa-} bit)'"
done
check "  ... SHA-384 for rsa-4096, SHA-256 for rsa-3072" sh -c \
	"openssl x509 -in root-rsa-4096.pem -noout -text | grep -q 'sha384WithRSAEncryption' &&
	 openssl x509 -in root-rsa-3072.pem -noout -text | grep -q 'sha256WithRSAEncryption'"
keys > O.txt
for a in rsa-3072 rsa-4096; do
	awk -v l="root-$a" 'BEGIN{RS="";} $0 ~ "Private Key Object" && $0 ~ ("label: +" l "\n") { print }' O.txt > "priv-$a.txt"
	check "pkcs11-tool -O: root-$a private key is sign-only" sh -c \
		"grep -Eq 'Usage: +sign$' priv-$a.txt"
	check "pkcs11-tool -O: root-$a is sensitive, always sensitive, never extractable, local" sh -c \
		"grep -q 'Access: *sensitive, always sensitive, never extractable, local' priv-$a.txt"
done

# --- token keys ----------------------------------------------------------------
R "$KC" token keys --token kc-ock --pin-file "$PIN_FILE" > keys.out 2>&1
check "token keys lists both roots" sh -c "grep -q \"^key 'root-rsa-3072'\" keys.out && grep -q \"^key 'root-rsa-4096'\" keys.out"
check "token keys: the policy holds" sh -c "[ \$(grep -c '^  policy: *ok' keys.out) = 2 ]"
check "token keys: algorithms" sh -c "grep -q 'algorithm: *rsa-3072' keys.out && grep -q 'algorithm: *rsa-4096' keys.out"

# --- intermediate sign, verification sign, crl -------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key \
	-subj "/CN=Factory 1 CA/O=Example" -out int.csr 2>/dev/null || bail "openssl req"
check "intermediate sign with the rsa-3072 root" R "$KC" intermediate sign $common --label root-rsa-3072 \
	--issuer root-rsa-3072.pem --csr int.csr --days 365 --yes --out int.pem
check "  ... the chain verifies (-x509_strict)" openssl verify -x509_strict -CAfile root-rsa-3072.pem int.pem
openssl req -new -newkey rsa:2048 -nodes -keyout int2.key -subj "/CN=Factory 2 CA/O=Example" -out int2.csr 2>/dev/null \
	|| bail "openssl req rsa"
check "intermediate sign with the rsa-4096 root" R "$KC" intermediate sign $common --label root-rsa-4096 \
	--issuer root-rsa-4096.pem --csr int2.csr --days 365 --yes --out int2.pem
check "  ... the chain verifies (-x509_strict)" openssl verify -x509_strict -CAfile root-rsa-4096.pem int2.pem
check_fails "intermediate sign with the wrong root's key refused" "." \
	R "$KC" intermediate sign $common --label root-rsa-4096 --issuer root-rsa-3072.pem --csr int.csr --days 365 --yes --out bad.pem
check "  ... nothing written" test ! -e bad.pem
code=0A1B2C3D4E5F6071
check "verification sign" R "$KC" verification sign $common --label root-rsa-3072 --issuer root-rsa-3072.pem \
	--code "$code" --out verification.pem
check "  ... CN is the code and it verifies (-x509_strict)" sh -c \
	"openssl x509 -in verification.pem -noout -subject -nameopt RFC2253 | grep -qx 'subject=CN=$code' &&
	 openssl verify -x509_strict -CAfile root-rsa-3072.pem verification.pem"
check "crl (empty)" R "$KC" crl $common --label root-rsa-3072 --issuer root-rsa-3072.pem --out c1.crl
check "  ... openssl crl -verify" sh -c "openssl crl -in c1.crl -CAfile root-rsa-3072.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "  ... the intermediate passes -crl_check" openssl verify -x509_strict -crl_check -CAfile root-rsa-3072.pem -CRLfile c1.crl int.pem
check "crl --revoke the intermediate" R "$KC" crl $common --label root-rsa-3072 --issuer root-rsa-3072.pem \
	--revoke int.pem --reason keyCompromise --out c2.crl
check_fails "  ... the revoked intermediate fails -crl_check" "revoked" \
	openssl verify -x509_strict -crl_check -CAfile root-rsa-3072.pem -CRLfile c2.crl int.pem

# --- the shipped root ceremony with rsa-3072 -----------------------------------------
sed 's/algorithm: ec-p384 /algorithm: rsa-3072 /' "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" > root-ca.yaml
mkdir media
check "run root-ca.yaml --batch (rsa-3072)" R "$KC" run root-ca.yaml --batch --module "$MODULE" --token kc-ock \
	--pin-file "$PIN_FILE" --state RS --media media
cp "$T/.out" run.out
check "  ... the root verifies (-x509_strict) and is rsa-3072" sh -c \
	"openssl verify -x509_strict -CAfile RS/root.pem RS/root.pem && openssl x509 -in RS/root.pem -noout -text | grep -q 'Public-Key: (3072 bit)'"
check "  ... its first CRL verifies" sh -c "openssl crl -in RS/root-0001.crl -CAfile RS/root.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "  ... REHEARSAL" grep -q REHEARSAL run.out
check "  ... the transcript verifies" sh -c "'$KC' transcript verify RS/transcripts/root-ca-*.log"
check "  ... SHA256SUMS on the media" sh -c "cd media && sha256sum -c --strict SHA256SUMS"
keys > O2.txt
awk 'BEGIN{RS="";} $0 ~ "Private Key Object" && $0 ~ "label: +root-2026\n" { print }' O2.txt > priv-cer.txt
check "  ... pkcs11-tool -O: the ceremony's key is sign-only, never extractable" sh -c \
	"grep -Eq 'Usage: +sign$' priv-cer.txt && grep -q 'never extractable, local' priv-cer.txt"
# A second run on the same token: the key-label is taken.
check_fails "a second rsa-3072 root ceremony fails at preflight (key-label taken)" \
	"key-label 'root-2026' of ceremony file root-ca.yaml is already used in token 'kc-ock'" \
	R "$KC" run root-ca.yaml --batch --module "$MODULE" --token kc-ock --pin-file "$PIN_FILE" --state RS2 --media media
sed 's/root-2026/root-ec/' "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" > ec.yaml
check_fails "the shipped ec-p384 ceremony refused at preflight" \
	"step create-root: token 'kc-ock': ec-p384 not offered: the token has no CKM_EC_KEY_PAIR_GEN" \
	R "$KC" run ec.yaml --batch --module "$MODULE" --token kc-ock --pin-file "$PIN_FILE" --state RS3 --media media
check "  ... no login, no step" sh -c "! grep -Eq ' (login|step) ' RS3/transcripts/*.log"
# The pair of "no wrong try counted": a wrong PIN of a valid length is sent,
# and openCryptoki counts it.
( umask 077; echo 654321 > wrong.pin )
check_fails "a wrong 6-character PIN reaches the token and is refused" "wrong PIN for token 'kc-ock' \(CKR_PIN_INCORRECT\)" \
	R "$KC" token keys --token kc-ock --pin-file wrong.pin
R pkcs11-tool --module "$MODULE" -T > T2.txt 2>&1
check "  ... and the token counts it (user PIN count low)" grep -qi 'user PIN count low' T2.txt
check "all module daemons stop" _mods_cleanup
done_testing

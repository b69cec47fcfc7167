#!/bin/sh
# tests/modules/softhsm.sh: the issue-13 command round on SoftHSM itself,
# plus what SoftHSM can show best:
#  - every algorithm (RSA signs with CKM_SHA256/384_RSA_PKCS per digest, EC
#    with CKM_ECDSA; shown, and recorded in the ceremony transcript); with
#    the hash-and-sign mechanisms hidden (p11shim, as on openCryptoki) RSA
#    signs with CKM_RSA_PKCS over the DigestInfo, SHA-256 and SHA-384;
#  - a key without its public object (pkcs11-tool --delete-object --type
#    pubkey): RSA from the private object's CKA_MODULUS, EC from the root
#    certificate; the wrong certificate refused, nothing written;
#  - removal of a half-made or unusable new key reports its CKR, and a
#    failed removal names the label (tests/faults/p11shim.so);
#  - the site profile's key-template: a generated corpus of entries that
#    would weaken the private key or change what keyceremony sets, each
#    refused at load with one line naming the site file and the attribute,
#    nothing made; a public-template addition that works; an omission the
#    read-back still catches.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
. "$KC_TOP_SRCDIR/tests/modules/matrix-lib.sh"
NAME=softhsm; RUN=""
_t_start=$(_mods_ms)
softhsm_setup kc-softhsm
TOKEN_LABEL=kc-softhsm; PIN_FILE=$T/pin
cd "$T" || bail "no temp dir"

mx_token_list
mx_root ec-p256 CKM_ECDSA
mx_root ec-p384 CKM_ECDSA
mx_root rsa-3072 CKM_SHA256_RSA_PKCS
mx_root rsa-4096 CKM_SHA384_RSA_PKCS
mx_issue ec-p256 CKM_ECDSA
mx_issue rsa-3072 CKM_SHA256_RSA_PKCS
mx_ceremony rsa-3072 CKM_SHA256_RSA_PKCS

# --- no public key object ------------------------------------------------
for k in ec-p256 rsa-3072; do
	check "softhsm: delete the public object of root-$k" \
		mx_p11 --delete-object --type pubkey --label "root-$k"
	check "softhsm: root-$k has no public object left" sh -c \
		'! pkcs11-tool --module "$1" --token-label kc-softhsm --login --pin 123456 -O --type pubkey 2>/dev/null | grep -q "label: *root-$2\$"' \
		- "$MODULE" "$k"
done
check "softhsm: token keys says root-ec-p256 has no public object" sh -c \
	'"$KC" token keys --token kc-softhsm --pin-file "$1" | sed -n "/^key .root-ec-p256.\$/,/^key /p" | grep -q "public key: no public key object"' - "$PIN_FILE"
check "softhsm: intermediate sign with root-ec-p256, public key from the certificate" \
	"$KC" intermediate sign --token kc-softhsm --label root-ec-p256 --issuer root-ec-p256.pem \
	--csr inter.csr --days 300 --out nopub-ec.pem --yes --pin-file "$PIN_FILE" --state st-ec-p256
cp "$T/.out" nopub-ec.out
check "softhsm: ... says the public key came from the certificate" \
	grep -q "its public key comes from the certificate (the token has no public key object" nopub-ec.out
check "softhsm: ... the chain verifies -x509_strict" \
	openssl verify -x509_strict -CAfile root-ec-p256.pem nopub-ec.pem
check_fails "softhsm: root-ec-p256 with another root's certificate refused" \
	"does not verify with the public key" \
	"$KC" verification sign --token kc-softhsm --label root-ec-p256 --issuer root-ec-p384.pem \
	--code WRONG1 --out wrong.pem --pin-file "$PIN_FILE" --state st-ec-p256
check "softhsm: ... nothing written" test ! -e wrong.pem
check "softhsm: crl with root-rsa-3072, public key from the private object" \
	"$KC" crl --token kc-softhsm --label root-rsa-3072 --issuer root-rsa-3072.pem \
	--out nopub-rsa.crl --pin-file "$PIN_FILE" --state st-rsa-3072
cp "$T/.out" nopub-rsa.out
check "softhsm: ... says CKA_MODULUS and CKA_PUBLIC_EXPONENT of the private object" \
	grep -q "public key comes from the private key object's CKA_MODULUS and CKA_PUBLIC_EXPONENT" nopub-rsa.out
check "softhsm: ... signed with CKM_SHA256_RSA_PKCS" grep -q "signs with CKM_SHA256_RSA_PKCS;" nopub-rsa.out
check "softhsm: ... the CRL verifies" sh -c \
	'openssl crl -in nopub-rsa.crl -CAfile root-rsa-3072.pem -verify -noout 2>&1 | grep -q "verify OK"'

# --- removal of a new key that failed, through the shim ------------------
shim_setup
# shim_root LABEL VAR=VALUE...: root create LABEL on the shim, with the
# shim's fault variables.
shim_root() {
	_l=$1; shift
	env "$@" "$KC" root create --module "$SHIM" --token kc-softhsm --label "$_l" \
		--algorithm ec-p256 --subject "/CN=Shim/O=Example/C=DE" --days 30 \
		--out "$T/$_l.pem" --pin-file "$PIN_FILE" --state "$T/st-shim"
}
check_fails "softhsm: generation fails but leaves a key: the half-made objects removed" \
	"generating EC key 'half1' failed \(CKR_GENERAL_ERROR\); the 2 half-made objects it left were removed$" \
	shim_root half1 KC_SHIM_GEN_HALF=1
check "softhsm: ... no half1 object left" test "$(mx_objects half1)" -eq 0
check_fails "softhsm: ... and when their removal fails too: the CKR and the label" \
	"generating EC key 'half2' failed \(CKR_GENERAL_ERROR\); the half-made (private|public) key 'half2' it left could not be removed \(CKR_FUNCTION_FAILED\): delete the objects labelled 'half2' by hand" \
	shim_root half2 KC_SHIM_GEN_HALF=1 KC_SHIM_DESTROY_FAILS=1
check "softhsm: ... half2 is really still there (the message was true)" test "$(mx_objects half2)" -eq 2
check "softhsm: ... removed by hand" sh -c \
	'pkcs11-tool --module "$1" --token-label kc-softhsm --login --pin 123456 --delete-object --type privkey --label half2 &&
	 pkcs11-tool --module "$1" --token-label kc-softhsm --login --pin 123456 --delete-object --type pubkey --label half2' - "$MODULE"
check_fails "softhsm: a new key that cannot sign is removed, the signing CKR named" \
	"C_SignInit with CKM_ECDSA failed \(CKR_DEVICE_REMOVED\).*\(the new key 'unsig1' was removed from the token\)" \
	shim_root unsig1 KC_SHIM_REMOVED=1
check "softhsm: ... no unsig1 object left" test "$(mx_objects unsig1)" -eq 0
check_fails "softhsm: ... its failed removal names the CKR and the label" \
	"removing the new key 'unsig2' FAILED too \(token 'kc-softhsm': destroying key 'unsig2' failed \(CKR_FUNCTION_FAILED\)\): delete the objects labelled 'unsig2' by hand" \
	shim_root unsig2 KC_SHIM_REMOVED=1 KC_SHIM_DESTROY_FAILS=1
check "softhsm: ... unsig2 is still there" test "$(mx_objects unsig2)" -eq 2
# A module without hash-and-sign mechanisms (openCryptoki): CKM_RSA_PKCS
# over the DigestInfo of the digest, SHA-256 and SHA-384.
check "softhsm: without CKM_SHA*_RSA_PKCS: intermediate sign with root-rsa-3072" \
	env KC_SHIM_NO_HASH_SIGN=1 "$KC" intermediate sign --module "$SHIM" --token kc-softhsm \
	--label root-rsa-3072 --issuer root-rsa-3072.pem --csr inter.csr --days 200 \
	--out nohash-3072.pem --yes --pin-file "$PIN_FILE" --state st-rsa-3072
cp "$T/.out" nohash-3072.out
check "softhsm: ... signed with CKM_RSA_PKCS (shown)" grep -q "signs with CKM_RSA_PKCS;" nohash-3072.out
check "softhsm: ... sha256WithRSAEncryption, chain verifies -x509_strict" sh -c \
	'openssl x509 -in nohash-3072.pem -noout -text | grep -q "Signature Algorithm: sha256WithRSAEncryption" &&
	 openssl verify -x509_strict -CAfile root-rsa-3072.pem nohash-3072.pem'
check "softhsm: without CKM_SHA*_RSA_PKCS: crl with root-rsa-4096 (SHA-384)" \
	env KC_SHIM_NO_HASH_SIGN=1 "$KC" crl --module "$SHIM" --token kc-softhsm \
	--label root-rsa-4096 --issuer root-rsa-4096.pem --out nohash-4096.crl \
	--pin-file "$PIN_FILE" --state st-rsa-4096
cp "$T/.out" nohash-4096.out
check "softhsm: ... signed with CKM_RSA_PKCS (shown)" grep -q "signs with CKM_RSA_PKCS;" nohash-4096.out
check "softhsm: ... sha384WithRSAEncryption, openssl crl -verify" sh -c \
	'openssl crl -in nohash-4096.crl -noout -text | grep -q "Signature Algorithm: sha384WithRSAEncryption" &&
	 openssl crl -in nohash-4096.crl -CAfile root-rsa-4096.pem -verify -noout 2>&1 | grep -q "verify OK"'
check "softhsm: with them (same shim): CKM_SHA384_RSA_PKCS" sh -c \
	'"$1" crl --module "$2" --token kc-softhsm --label root-rsa-4096 --issuer root-rsa-4096.pem \
	 --out hash-4096.crl --pin-file "$3" --state st-rsa-4096 2>&1 | grep -q "signs with CKM_SHA384_RSA_PKCS;"' \
	- "$KC" "$SHIM" "$PIN_FILE"
check "softhsm: the shim without faults makes a root (positive pair)" shim_root shimok
check "softhsm: ... shimok verifies" openssl verify -x509_strict -CAfile shimok.pem shimok.pem

# --- key-template in the site profile -------------------------------------
mkdir -p kt/media
site() {	# site FILE: a site profile for this token, then stdin appended
	{ printf 'keyceremony-site: 1\nname: kt\ntoken:\n  label: kc-softhsm\npin-file: %s\nstate: S\nmedia: media\nnetwork: warn\nremovable-media: warn\n' "$PIN_FILE"; cat; } > "$1"
}
# The refusal corpus: HALF, add|omit, YAML entry, what the message says.
python3 - > kt/corpus <<'PY'
bad_private_true = {
    "CKA_EXTRACTABLE": "extractable", "CKA_DECRYPT": "able to decrypt",
    "CKA_UNWRAP": "able to unwrap keys", "CKA_DERIVE": "able to derive keys",
    "CKA_ENCRYPT": "able to encrypt", "CKA_WRAP": "able to wrap keys",
    "CKA_SIGN_RECOVER": "able to sign with recovery",
}
rows = []
for a, why in bad_private_true.items():
    rows.append(("private", "add", "%s: true" % a, "%s true would make the root key %s" % (a, why)))
rows.append(("private", "add", "CKA_SENSITIVE: false", "CKA_SENSITIVE false would make the root key non-sensitive"))
for a, why in (("CKA_SENSITIVE", "non-sensitive"), ("CKA_EXTRACTABLE", "extractable"),
               ("CKA_DECRYPT", "able to decrypt"), ("CKA_UNWRAP", "able to unwrap keys"),
               ("CKA_DERIVE", "able to derive keys")):
    rows.append(("private", "omit", a, "leaving %s out of the private template could make the root key %s" % (a, why)))
for a in ("CKA_SIGN", "CKA_TOKEN", "CKA_LABEL", "CKA_ID", "CKA_PRIVATE"):
    rows.append(("private", "omit", a, "keyceremony needs %s in the private template" % a))
for a in ("CKA_TOKEN", "CKA_LABEL", "CKA_ID", "CKA_EC_PARAMS", "CKA_MODULUS_BITS", "CKA_PUBLIC_EXPONENT"):
    rows.append(("public", "omit", a, "keyceremony needs %s in the public template" % a))
for h in ("private", "public"):
    for a in ("CKA_LOCAL", "CKA_ALWAYS_SENSITIVE", "CKA_NEVER_EXTRACTABLE"):
        rows.append((h, "add", "%s: true" % a, "%s is set by the token itself" % a))
for a in ("CKA_SENSITIVE: true", "CKA_EXTRACTABLE: false", "CKA_DECRYPT: false", "CKA_SIGN: true",
          "CKA_TOKEN: false", "CKA_MODIFIABLE: true", "CKA_COPYABLE: true"):
    rows.append(("private", "add", a, "keyceremony sets %s in the private template itself" % a.split(":")[0]))
for a in ("CKA_TOKEN: false", "CKA_PRIVATE: true", "CKA_MODIFIABLE: true"):
    rows.append(("public", "add", a, "keyceremony sets %s in the public template itself" % a.split(":")[0]))
for h in ("private", "public"):
    for a in ("cka_verify: true", "CKA_FOO: true", "0x1234: true", "0x100000000: true", "CKA_VERIFY_: true"):
        name = a.split(":")[0].strip()
        rows.append((h, "add", a, "%s is not a PKCS#11 attribute keyceremony knows" % name))
    rows.append((h, "add", "CKA_VERIFY: yes", "CKA_VERIFY takes true or false, not 'yes'"))
    rows.append((h, "add", "CKA_VERIFY: 1", "CKA_VERIFY takes true or false, not '1'"))
    rows.append((h, "add", "0x80000001: hex:zz", "0x80000001: 'hex:zz' is not hex:BYTES"))
    rows.append((h, "add", "0x80000001: -1", "0x80000001 takes true, false, a decimal number or hex:BYTES"))
rows.append(("public", "omit", "CKA_VERIFY", "keyceremony does not put CKA_VERIFY in the public template"))
rows.append(("private", "omit", "CKA_WRAP", "keyceremony does not put CKA_WRAP in the private template"))
for r in rows:
    print("\t".join(r))
PY
n=0
while IFS='	' read -r half op entry why; do
	n=$((n + 1))
	if [ "$op" = add ]; then
		printf 'key-template:\n  %s:\n    add:\n      %s\n' "$half" "$entry"
	else
		printf 'key-template:\n  %s:\n    omit: [%s]\n' "$half" "$entry"
	fi | site "kt/bad$n.site"
	( cd kt && "$KC" run "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" --site "bad$n.site" --batch ) > "kt/bad$n.out" 2>&1
	rc=$?
	pat="^keyceremony: bad$n\\.site:1[0-9]: key-template $half $op: "
	if [ "$rc" -ne 0 ] && [ "$(wc -l < "kt/bad$n.out")" -eq 1 ] &&
	   grep -Eq "$pat" "kt/bad$n.out" && grep -qF "$why" "kt/bad$n.out" &&
	   [ ! -e kt/S ]; then
		ok "softhsm: key-template $half $op '$entry' refused at load"
	else
		not_ok "softhsm: key-template $half $op '$entry' refused at load (rc $rc)"
		sed 's/^/#   /' "kt/bad$n.out"
	fi
done < kt/corpus
check "softhsm: the corpus has at least 60 entries" test "$n" -ge 60
for extra in "  secret: {}" "  private:
    remove: [CKA_SENSITIVE]" "  private:
    add: [CKA_SIGN]" "  private:
    add:
      0x80000001: true
      0x80000002: true
      0x80000003: true
      0x80000004: true
      0x80000005: true
      0x80000006: true
      0x80000007: true
      0x80000008: true
      0x80000009: true"; do
	n=$((n + 1))
	printf 'key-template:\n%s\n' "$extra" | site "kt/bad$n.site"
	check_fails "softhsm: key-template shape refused: $(echo "$extra" | tr '\n' ' ')" \
		"^keyceremony: bad$n\\.site:[0-9]+: " \
		sh -c 'cd kt && "$1" run "$2" --site "$3" --batch' - "$KC" "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" "bad$n.site"
done
check "softhsm: no refused site made a state directory" test ! -e kt/S
check "softhsm: no refused site made a key (root-2026 is the ceremony's pair)" \
	test "$(mx_objects root-2026)" -eq 2

# The positive pair: the public template may say what the module should
# show; a vendor's module might need exactly this.
site kt/good.site <<'EOS'
key-template:
  public:
    add: {CKA_VERIFY: true, CKA_ENCRYPT: false, CKA_WRAP: false}
  private:
    add: {CKA_SIGN_RECOVER: false}
EOS
sed 's/root-2026/kt-root/g' "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" > kt/root-ca.yaml
check "softhsm: run with a key-template" sh -c 'cd kt && "$1" run root-ca.yaml --site good.site --batch' - "$KC"
cp "$T/.out" kt/good.out
check "softhsm: ... the template is shown" grep -q "key template of the site profile: public +CKA_VERIFY=TRUE, public +CKA_ENCRYPT=FALSE, public +CKA_WRAP=FALSE, private +CKA_SIGN_RECOVER=FALSE" kt/good.out
check "softhsm: ... and recorded in the transcript" sh -c \
	'grep -q "begin .*key-template=\"public +CKA_VERIFY=TRUE, public +CKA_ENCRYPT=FALSE, public +CKA_WRAP=FALSE, private +CKA_SIGN_RECOVER=FALSE\"" kt/S/transcripts/root-ca-*.log'
mx_p11 -O --label kt-root > kt/good.O 2>&1
check "softhsm: ... the public object is verify-only" sh -c \
	'sed -n "/Public Key Object/,/Access/p" kt/good.O | grep -Eq "^ *Usage: +verify$"'
check "softhsm: ... the private key is still sensitive, never extractable, sign only" sh -c \
	'sed -n "/Private Key Object/,/Access/p" kt/good.O > kt/good.priv &&
	 grep -Eq "^ *Usage: +sign$" kt/good.priv &&
	 grep -Eq "^ *Access: +sensitive, always sensitive, never extractable, local$" kt/good.priv'
check "softhsm: ... root verifies" openssl verify -x509_strict -CAfile kt/S/root.pem kt/S/root.pem
# An omission the module answers with a weaker default: the read-back
# after generation refuses the key and destroys the pair.
rm -rf kt/S
site kt/omit.site <<'EOS'
key-template:
  private:
    omit: [CKA_COPYABLE]
EOS
sed 's/root-2026/kt-omit/g' "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" > kt/root-ca.yaml
check_fails "softhsm: private omit CKA_COPYABLE: SoftHSM's default TRUE refused by the read-back" \
	"key 'kt-omit' in token 'kc-softhsm': CKA_COPYABLE is TRUE, must be FALSE; refusing to use it; the new key pair was destroyed" \
	sh -c 'cd kt && "$1" run root-ca.yaml --site omit.site --batch' - "$KC"
check "softhsm: ... no kt-omit object left" test "$(mx_objects kt-omit)" -eq 0

diag "softhsm.sh: $(( $(_mods_ms) - _t_start )) ms"
done_testing

#!/bin/sh
# tests/modules/p11kit.sh: the issue-13 command round through
# p11-kit-proxy.so in front of SoftHSM (in the private namespace of
# tests/lib-modules.sh).  The proxy hands a new, uninitialised instance to
# every C_GetFunctionList: keyceremony's raw function list gets its own
# C_Initialize (before: every command failed C_GetSlotList with
# CKR_CRYPTOKI_NOT_INITIALIZED) and finalizes only that.  token list; root
# create for every algorithm SoftHSM makes (RSA signs with
# CKM_SHA256/384_RSA_PKCS, EC with CKM_ECDSA); token keys; intermediate
# sign, verification sign, crl; run ceremony/root-ca.yaml --batch; a root
# key without its public object, through the proxy.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
. "$KC_TOP_SRCDIR/tests/modules/matrix-lib.sh"
NAME=p11kit; RUN=mods_run
_t_start=$(_mods_ms)
p11kit_setup kc-p11kit
cd "$T" || bail "no temp dir"

mx_token_list
check "p11kit: the token is seen through the proxy, not SoftHSM directly" \
	grep -q "p11-kit-proxy.so" "$T/p11kit.list"
mx_root ec-p256 CKM_ECDSA
mx_root ec-p384 CKM_ECDSA
mx_root rsa-3072 CKM_SHA256_RSA_PKCS
mx_root rsa-4096 CKM_SHA384_RSA_PKCS
mx_issue ec-p384 CKM_ECDSA
mx_issue rsa-4096 CKM_SHA384_RSA_PKCS
mx_ceremony ec-p256 CKM_ECDSA

# A root key whose public object is gone: RSA from the private object.
check "p11kit: delete the public object of root-rsa-3072" \
	mx_p11 --delete-object --type pubkey --label root-rsa-3072
check "p11kit: crl with root-rsa-3072 and no public object" mx_run "$KC" crl \
	--module "$MODULE" --token "$TOKEN_LABEL" --label root-rsa-3072 \
	--issuer "$T/root-rsa-3072.pem" --out "$T/nopub.crl" --pin-file "$PIN_FILE" \
	--state "$T/st-rsa-3072"
cp "$T/.out" "$T/nopub.out"
check "p11kit: its public key came from the private object" \
	grep -q "public key comes from the private key object's CKA_MODULUS and CKA_PUBLIC_EXPONENT" "$T/nopub.out"
check "p11kit: that CRL verifies" sh -c \
	'openssl crl -in "$1" -CAfile "$2" -verify -noout 2>&1 | grep -q "verify OK"' \
	- "$T/nopub.crl" "$T/root-rsa-3072.pem"

check "p11kit: the namespace stops" _mods_cleanup
diag "p11kit.sh: $(( $(_mods_ms) - _t_start )) ms"
done_testing

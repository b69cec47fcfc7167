#!/bin/sh
# tests/modules/tpm2.sh: the issue-13 command round on tpm2-pkcs11 1.9 on
# swtpm (through tpm2-abrmd): token list; root create ec-p256, ec-p384 and
# rsa-3072 (the public template sets no usage attribute tpm2 ties to the
# private key's forbidden ones; the private key still reads back sensitive,
# never extractable, sign-only; RSA signs with CKM_SHA256_RSA_PKCS, which
# needs no CKA_DECRYPT) and rsa-4096 cleanly refused with nothing left;
# token keys; intermediate sign, verification sign and crl with every root;
# keyceremony run ceremony/root-ca.yaml --batch.  Public objects of tpm2
# read CKA_VERIFY=FALSE: shown, not enforced.  One RSA key generation
# only (about 2 s on swtpm).
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
. "$KC_TOP_SRCDIR/tests/modules/matrix-lib.sh"
# tpm2-pkcs11's own ERROR lines would land in the asserted output.
export TPM2_PKCS11_LOG_LEVEL=0
# Sanitizer builds: tpm2-pkcs11 leaks in C_SignInit of EC keys (suppressed
# in tests/lsan.supp by its library name, which a fast-unwound stack ending
# in libcrypto does not show).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
NAME=tpm2; RUN=""
_t_start=$(_mods_ms)
tpm2_setup kc-tpm2
cd "$T" || bail "no temp dir"

mx_token_list
mx_root ec-p256 CKM_ECDSA
mx_root ec-p384 CKM_ECDSA
mx_root rsa-3072 CKM_SHA256_RSA_PKCS
check "tpm2: its public objects read CKA_VERIFY=FALSE (shown, not enforced)" \
	grep -q "public key object (CKA_VERIFY=FALSE" "$T/root-ec-p256.out"
mx_refused rsa-4096 'rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024\.\.3072'
for a in ec-p256 ec-p384; do mx_issue "$a" CKM_ECDSA; done
mx_issue rsa-3072 CKM_SHA256_RSA_PKCS
mx_ceremony ec-p384 CKM_ECDSA

check "tpm2: swtpm, dbus-daemon and tpm2-abrmd stop" _mods_cleanup
diag "tpm2.sh: $(( $(_mods_ms) - _t_start )) ms"
done_testing

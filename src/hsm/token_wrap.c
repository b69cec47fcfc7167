/*
 * token_wrap.c: root key backup through the token (kc/hsm/wrap.h, issue
 * 17). Owns the wrap key's import (an AES-256 CKO_SECRET_KEY that only
 * wraps and unwraps, CKA_TRUSTED set by the security officer where the
 * backup needs it) and its read-back, C_WrapKey and C_UnwrapKey with
 * CKM_AES_KEY_WRAP_PAD, the restore template, the public key object and
 * the restore record of a restored key, the interrupted-restore cleanup
 * (the probe of what a module does: token_wrap_probe.c). The wrap key's
 * clear bytes are the caller's
 * (struct kc_secret, locked memory); here they go only into the
 * CKA_VALUE of C_CreateObject.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "token_int.h"

#define KC_RESTORE_ID_LEN 16

#define A(t, ty, v, l) do { (t).type = (ty); (t).pValue = (void *)(v); \
	(t).ulValueLen = (CK_ULONG)(l); } while (0)

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

int
kc_token_wrapkey_random(struct kc_token *tok, struct kc_secret *key)
{
	int rc;

	if (key == NULL || key->cap < KC_WRAP_KEY_LEN)
		return kc_err(KC_ERR_INTERNAL, "wrap key buffer too small");
	if ((rc = kc_token_random(tok, (unsigned char *)key->buf,
	    KC_WRAP_KEY_LEN)) != KC_OK)
		return rc;
	key->len = KC_WRAP_KEY_LEN;
	return KC_OK;
}

/* The wrap key as it must read back: 1 TRUE, 0 FALSE. */
static const struct {
	CK_ATTRIBUTE_TYPE	 type;
	const char		*name;
	int			 want;
} wrapkey_attrs[] = {
	{ CKA_SENSITIVE, "CKA_SENSITIVE", 1 },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE", 0 },
	{ CKA_WRAP, "CKA_WRAP", 1 },
	{ CKA_UNWRAP, "CKA_UNWRAP", 1 },
	{ CKA_ENCRYPT, "CKA_ENCRYPT", 0 },
	{ CKA_DECRYPT, "CKA_DECRYPT", 0 },
	{ CKA_SIGN, "CKA_SIGN", 0 },
	{ CKA_VERIFY, "CKA_VERIFY", 0 },
	{ CKA_DERIVE, "CKA_DERIVE", 0 },
};

/* Reads the wrap key h back; trusted: CKA_TRUSTED must read TRUE. */
static int
wrapkey_check(struct kc_token *tok, CK_OBJECT_HANDLE h, int trusted)
{
	CK_OBJECT_CLASS cls = 0;
	CK_KEY_TYPE kt = 0;
	CK_ULONG vlen = 0, len;
	size_t i;
	int v;

	len = sizeof(cls);
	if (kc_tok_get_attr(tok, h, CKA_CLASS, &cls, &len) != CKR_OK ||
	    cls != CKO_SECRET_KEY)
		return kc_err(KC_ERR_POLICY, "token '%s': the wrap key does "
		    "not read back as a secret key", tok->info.label);
	len = sizeof(kt);
	if (kc_tok_get_attr(tok, h, CKA_KEY_TYPE, &kt, &len) != CKR_OK ||
	    kt != CKK_AES)
		return kc_err(KC_ERR_POLICY, "token '%s': the wrap key does "
		    "not read back as an AES key", tok->info.label);
	len = sizeof(vlen);
	if (kc_tok_get_attr(tok, h, CKA_VALUE_LEN, &vlen, &len) == CKR_OK &&
	    vlen != KC_WRAP_KEY_LEN)
		return kc_err(KC_ERR_POLICY, "token '%s': the wrap key reads "
		    "back %lu bytes long, not %d", tok->info.label,
		    (unsigned long)vlen, KC_WRAP_KEY_LEN);
	for (i = 0; i < sizeof(wrapkey_attrs) / sizeof(wrapkey_attrs[0]);
	    i++) {
		v = kc_tok_bool_attr(tok, h, wrapkey_attrs[i].type);
		if (v != wrapkey_attrs[i].want)
			return kc_err(KC_ERR_POLICY, "token '%s': the wrap key "
			    "reads %s %s, must be %s", tok->info.label,
			    wrapkey_attrs[i].name, v < 0 ? "unreadable" :
			    v ? "TRUE" : "FALSE",
			    wrapkey_attrs[i].want ? "TRUE" : "FALSE");
	}
	if (trusted && (v = kc_tok_bool_attr(tok, h, CKA_TRUSTED)) != 1)
		return kc_err(KC_ERR_POLICY, "token '%s': the wrap key reads "
		    "CKA_TRUSTED %s although the security officer set it: "
		    "this module does not honour CKA_TRUSTED, so it cannot "
		    "take part in a backup", tok->info.label, v < 0 ?
		    "unreadable" : "FALSE");
	return KC_OK;
}

/* C_CreateObject of the wrap key in the current session state. */
CK_RV
kc_tok_wrapkey_create(struct kc_token *tok, const struct kc_secret *key,
    int trusted, int priv, const char *keep_label, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE t[20];
	CK_ULONG n = 0;

	A(t[n], CKA_CLASS, &cls, sizeof(cls)); n++;
	A(t[n], CKA_KEY_TYPE, &kt, sizeof(kt)); n++;
	A(t[n], CKA_TOKEN, keep_label != NULL ? &yes : &no, sizeof(yes)); n++;
	A(t[n], CKA_PRIVATE, priv ? &yes : &no, sizeof(yes)); n++;
	A(t[n], CKA_VALUE, key->buf, key->len); n++;
	A(t[n], CKA_SENSITIVE, &yes, sizeof(yes)); n++;
	A(t[n], CKA_EXTRACTABLE, &no, sizeof(no)); n++;
	A(t[n], CKA_WRAP, &yes, sizeof(yes)); n++;
	A(t[n], CKA_UNWRAP, &yes, sizeof(yes)); n++;
	A(t[n], CKA_ENCRYPT, &no, sizeof(no)); n++;
	A(t[n], CKA_DECRYPT, &no, sizeof(no)); n++;
	A(t[n], CKA_SIGN, &no, sizeof(no)); n++;
	A(t[n], CKA_VERIFY, &no, sizeof(no)); n++;
	A(t[n], CKA_DERIVE, &no, sizeof(no)); n++;
	if (trusted) {
		A(t[n], CKA_TRUSTED, &yes, sizeof(yes));
		n++;
	}
	if (keep_label != NULL) {
		A(t[n], CKA_LABEL, (uintptr_t)keep_label, strlen(keep_label));
		n++;
	}
	*h = CK_INVALID_HANDLE;
	return tok->ctx->f->C_CreateObject(tok->session, t, n, h);
}

int
kc_token_wrapkey_import(struct kc_token *tok, const struct kc_secret *key,
    const struct kc_secret *so_pin, const char *keep_label, unsigned long *h)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_HANDLE oh = CK_INVALID_HANDLE;
	CK_RV rv;
	int rc, trusted = so_pin != NULL;

	*h = 0;
	if (key == NULL || key->len != KC_WRAP_KEY_LEN)
		return kc_err(KC_ERR_INTERNAL, "a wrap key is %d bytes",
		    KC_WRAP_KEY_LEN);
	if (trusted && tok->logged_in)
		return kc_err(KC_ERR_INTERNAL, "token '%s': the security "
		    "officer's part needs the token logged out",
		    tok->info.label);
	if (!trusted && (rc = kc_tok_need_login(tok)) != KC_OK)
		return rc;
	if (trusted) {
		rv = f->C_Login(tok->session, CKU_SO,
		    (CK_UTF8CHAR_PTR)so_pin->buf, (CK_ULONG)so_pin->len);
		if (rv != CKR_OK)
			return kc_err(rv == CKR_PIN_INCORRECT ||
			    rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE ?
			    KC_ERR_PIN : KC_ERR_PKCS11, "token '%s': security "
			    "officer login failed (%s)", tok->info.label,
			    kc_tok_ckr(rv));
	}
	/* The SO may make public objects only (PKCS#11 2.40, 6.7.3). */
	rv = kc_tok_wrapkey_create(tok, key, trusted, !trusted, keep_label,
	    &oh);
	if (rv != CKR_OK)
		rc = kc_err(KC_ERR_PKCS11, "token '%s': importing the wrap key "
		    "failed (%s)%s", tok->info.label, kc_tok_ckr(rv),
		    trusted && (rv == CKR_ATTRIBUTE_READ_ONLY ||
		    rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_ATTRIBUTE_VALUE_INVALID) ? "; this module does "
		    "not let the security officer set CKA_TRUSTED, so it "
		    "cannot take part in a backup" : "");
	else if ((rc = wrapkey_check(tok, oh, trusted)) != KC_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		rv = f->C_DestroyObject(tok->session, oh);
		rc = kc_err(rc, "%s; %s", msg, rv == CKR_OK ? "it was "
		    "destroyed" : "destroying it FAILED too");
		oh = CK_INVALID_HANDLE;
	}
	if (trusted)
		f->C_Logout(tok->session);
	if (rc == KC_OK)
		*h = (unsigned long)oh;
	return rc;
}

int
kc_token_wrapkey_destroy(struct kc_token *tok, unsigned long h)
{
	CK_RV rv;

	if (h == 0)
		return KC_OK;
	rv = tok->ctx->f->C_DestroyObject(tok->session, (CK_OBJECT_HANDLE)h);
	if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
		return kc_err(KC_ERR_PKCS11, "token '%s': destroying the wrap "
		    "key failed (%s)", tok->info.label, kc_tok_ckr(rv));
	return KC_OK;
}

/* C_WrapKey of hkey under hwrap into a malloc'd *blob. */
CK_RV
kc_tok_wrap_raw(struct kc_token *tok, CK_OBJECT_HANDLE hwrap,
    CK_OBJECT_HANDLE hkey, unsigned char **blob, size_t *len)
{
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_ULONG n = 0;
	CK_RV rv;

	*blob = NULL;
	*len = 0;
	rv = tok->ctx->f->C_WrapKey(tok->session, &mech, hwrap, hkey, NULL,
	    &n);
	if (rv != CKR_OK)
		return rv;
	if (n == 0 || n > KC_WRAP_BLOB_MAX)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	if ((*blob = malloc(n)) == NULL)
		return CKR_HOST_MEMORY;
	rv = tok->ctx->f->C_WrapKey(tok->session, &mech, hwrap, hkey, *blob,
	    &n);
	if (rv != CKR_OK) {
		free(*blob);
		*blob = NULL;
		return rv;
	}
	*len = (size_t)n;
	return CKR_OK;
}

int
kc_token_wrap(struct kc_token *tok, unsigned long h, const char *key_label,
    unsigned char **blob, size_t *len)
{
	CK_OBJECT_HANDLE hk;
	CK_RV rv;
	int rc;

	*blob = NULL;
	*len = 0;
	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(key_label)) != KC_OK ||
	    (rc = kc_tok_find_priv(tok, key_label, &hk)) != KC_OK)
		return rc;
	if (kc_tok_bool_attr(tok, hk, CKA_SENSITIVE) != 1 ||
	    kc_tok_bool_attr(tok, hk, CKA_EXTRACTABLE) != 1 ||
	    kc_tok_bool_attr(tok, hk, CKA_WRAP_WITH_TRUSTED) != 1)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s' was not "
		    "generated for backup (it must read CKA_SENSITIVE, "
		    "CKA_EXTRACTABLE and CKA_WRAP_WITH_TRUSTED TRUE); it "
		    "cannot be backed up: a root key made without backup "
		    "never leaves its token", key_label, tok->info.label);
	if ((rc = kc_tok_check_priv(tok, hk, key_label, NULL)) != KC_OK)
		return rc;
	rv = kc_tok_wrap_raw(tok, (CK_OBJECT_HANDLE)h, hk, blob, len);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': wrapping key '%s' "
		    "with " KC_WRAP_MECH_NAME " failed (%s)%s", tok->info.label,
		    key_label, kc_tok_ckr(rv), rv == CKR_KEY_NOT_WRAPPABLE ?
		    ": the wrap key is not CKA_TRUSTED" :
		    rv == CKR_MECHANISM_INVALID ? ": the module cannot wrap "
		    "with " KC_WRAP_MECH_NAME : "");
	return KC_OK;
}

/* The public key object of pub with CKA_ID id, label (EC or RSA). */
static int
pub_create(struct kc_token *tok, EVP_PKEY *pub, const char *label,
    const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE t[12];
	CK_ULONG n = 0;
	unsigned char pt[2 + 133], *nb = NULL, *eb = NULL;
	size_t ptlen = 0;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	const unsigned char *oid = NULL;
	size_t oidlen = 0;
	char group[32];
	CK_RV rv;
	int rc = KC_OK, nlen = 0, elen = 0;

	*h = CK_INVALID_HANDLE;
	A(t[n], CKA_CLASS, &cls, sizeof(cls)); n++;
	A(t[n], CKA_TOKEN, &yes, sizeof(yes)); n++;
	A(t[n], CKA_PRIVATE, &no, sizeof(no)); n++;
	A(t[n], CKA_LABEL, (uintptr_t)label, strlen(label)); n++;
	A(t[n], CKA_ID, (uintptr_t)id, idlen); n++;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC) {
		kt = CKK_EC;
		if (!EVP_PKEY_get_utf8_string_param(pub,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
			return kc_err_ssl(KC_ERR_CRYPTO, "the backed-up public "
			    "key has no curve");
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0) {
			oid = kc_tok_oid_p256;
			oidlen = sizeof(kc_tok_oid_p256);
		} else if (strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0) {
			oid = kc_tok_oid_p384;
			oidlen = sizeof(kc_tok_oid_p384);
		} else
			return kc_err(KC_ERR_POLICY, "the backed-up public key "
			    "is on %s, neither P-256 nor P-384", group);
		/* CKA_EC_POINT: DER OCTET STRING of the uncompressed point */
		if (!EVP_PKEY_get_octet_string_param(pub,
		    OSSL_PKEY_PARAM_PUB_KEY, pt + 2, sizeof(pt) - 2, &ptlen) ||
		    ptlen > 127)
			return kc_err_ssl(KC_ERR_CRYPTO, "the backed-up public "
			    "key's point is not usable");
		pt[0] = 0x04;
		pt[1] = (unsigned char)ptlen;
		A(t[n], CKA_KEY_TYPE, &kt, sizeof(kt)); n++;
		A(t[n], CKA_EC_PARAMS, (uintptr_t)oid, oidlen); n++;
		A(t[n], CKA_EC_POINT, pt, ptlen + 2); n++;
	} else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		kt = CKK_RSA;
		if (!EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &bn_n) ||
		    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &bn_e) ||
		    (nlen = BN_num_bytes(bn_n)) <= 0 ||
		    (elen = BN_num_bytes(bn_e)) <= 0 ||
		    (nb = malloc((size_t)nlen)) == NULL ||
		    (eb = malloc((size_t)elen)) == NULL) {
			rc = kc_err_ssl(KC_ERR_CRYPTO, "the backed-up RSA public "
			    "key is not usable");
			goto out;
		}
		BN_bn2bin(bn_n, nb);
		BN_bn2bin(bn_e, eb);
		A(t[n], CKA_KEY_TYPE, &kt, sizeof(kt)); n++;
		A(t[n], CKA_MODULUS, nb, nlen); n++;
		A(t[n], CKA_PUBLIC_EXPONENT, eb, elen); n++;
	} else
		return kc_err(KC_ERR_POLICY, "the backed-up public key is "
		    "neither EC nor RSA");
	/* last: SoftHSM applies the template in order, and refuses what
	 * follows CKA_MODIFIABLE=FALSE (CKR_ATTRIBUTE_READ_ONLY) */
	A(t[n], CKA_MODIFIABLE, &no, sizeof(no)); n++;
	rv = tok->ctx->f->C_CreateObject(tok->session, t, n, h);
	if (rv != CKR_OK)
		rc = kc_err(KC_ERR_PKCS11, "token '%s': creating the public key "
		    "object of '%s' failed (%s)", tok->info.label, label,
		    kc_tok_ckr(rv));
out:
	BN_free(bn_n);
	BN_free(bn_e);
	free(nb);
	free(eb);
	return rc;
}

/* The restore record of the key with CKA_ID id (kc/hsm/wrap.h). */
static int
record_create(struct kc_token *tok, const char *label,
    const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[8];
	CK_ULONG n = 0;
	CK_RV rv;

	A(t[n], CKA_CLASS, &cls, sizeof(cls)); n++;
	A(t[n], CKA_TOKEN, &yes, sizeof(yes)); n++;
	A(t[n], CKA_PRIVATE, &yes, sizeof(yes)); n++;
	A(t[n], CKA_LABEL, (uintptr_t)label, strlen(label)); n++;
	A(t[n], CKA_APPLICATION, (uintptr_t)KC_RESTORE_APP,
	    strlen(KC_RESTORE_APP)); n++;
	A(t[n], CKA_VALUE, (uintptr_t)id, idlen); n++;
	A(t[n], CKA_MODIFIABLE, &no, sizeof(no)); n++;	/* last */
	*h = CK_INVALID_HANDLE;
	rv = tok->ctx->f->C_CreateObject(tok->session, t, n, h);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': recording the restore "
		    "of '%s' failed (%s)", tok->info.label, label,
		    kc_tok_ckr(rv));
	return KC_OK;
}

/* C_UnwrapKey of blob under hwrap with the restore template. */
CK_RV
kc_tok_unwrap_raw(struct kc_token *tok, CK_OBJECT_HANDLE hwrap,
    const unsigned char *blob, size_t len, CK_KEY_TYPE kt, int token,
    int priv, const char *label, const unsigned char *id, size_t idlen,
    CK_OBJECT_HANDLE *h)
{
	CK_MECHANISM mech = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[20];
	CK_ULONG n = 0;
	CK_RV rv;

	A(t[n], CKA_CLASS, &cls, sizeof(cls)); n++;
	A(t[n], CKA_KEY_TYPE, &kt, sizeof(kt)); n++;
	A(t[n], CKA_TOKEN, token ? &yes : &no, sizeof(yes)); n++;
	A(t[n], CKA_PRIVATE, priv ? &yes : &no, sizeof(yes)); n++;
	A(t[n], CKA_SENSITIVE, &yes, sizeof(yes)); n++;
	A(t[n], CKA_EXTRACTABLE, &yes, sizeof(yes)); n++;
	A(t[n], CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes)); n++;
	A(t[n], CKA_SIGN, &yes, sizeof(yes)); n++;
	A(t[n], CKA_DECRYPT, &no, sizeof(no)); n++;
	A(t[n], CKA_UNWRAP, &no, sizeof(no)); n++;
	A(t[n], CKA_DERIVE, &no, sizeof(no)); n++;
	A(t[n], CKA_SIGN_RECOVER, &no, sizeof(no)); n++;
	if (label != NULL) {
		A(t[n], CKA_LABEL, (uintptr_t)label, strlen(label));
		n++;
	}
	if (id != NULL) {
		A(t[n], CKA_ID, (uintptr_t)id, idlen);
		n++;
	}
	/* not copyable, as a generated root key (token_keygen.c), unless the
	 * module does not know the attribute */
	A(t[n], CKA_COPYABLE, &no, sizeof(no)); n++;
	A(t[n], CKA_MODIFIABLE, &no, sizeof(no)); n++;	/* last */
	*h = CK_INVALID_HANDLE;
	rv = tok->ctx->f->C_UnwrapKey(tok->session, &mech, hwrap,
	    (CK_BYTE_PTR)(uintptr_t)blob, (CK_ULONG)len, t, n, h);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID && *h == CK_INVALID_HANDLE) {
		t[n - 2] = t[n - 1];	/* drop CKA_COPYABLE */
		rv = tok->ctx->f->C_UnwrapKey(tok->session, &mech, hwrap,
		    (CK_BYTE_PTR)(uintptr_t)blob, (CK_ULONG)len, t, n - 1, h);
	}
	return rv;
}

/* Every private key handle the session sees, into *hs (malloc'd). */
static int
priv_handles(struct kc_token *tok, CK_OBJECT_HANDLE **hs, size_t *n)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *nh;
	CK_ULONG got = 0;
	size_t cap = 0;
	CK_RV rv;

	*hs = NULL;
	*n = 0;
	if ((rv = f->C_FindObjectsInit(tok->session, &t, 1)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjectsInit "
		    "failed (%s)", tok->info.label, kc_tok_ckr(rv));
	do {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > 65536 || (nh = realloc(*hs, cap *
			    sizeof(**hs))) == NULL) {
				f->C_FindObjectsFinal(tok->session);
				free(*hs);
				*hs = NULL;
				return kc_err(KC_ERR_NOMEM, "out of memory");
			}
			*hs = nh;
		}
		rv = f->C_FindObjects(tok->session, *hs + *n,
		    (CK_ULONG)(cap - *n), &got);
		*n += rv == CKR_OK ? (size_t)got : 0;
	} while (rv == CKR_OK && got > 0);
	f->C_FindObjectsFinal(tok->session);
	if (rv != CKR_OK) {
		free(*hs);
		*hs = NULL;
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects failed "
		    "(%s)", tok->info.label, kc_tok_ckr(rv));
	}
	return KC_OK;
}

/* After a failed C_UnwrapKey: destroys the private keys that were not
 * there before (SoftHSM 2.6 leaves a half-made object behind); what
 * became of them, for the message. */
static const char *
unwrap_orphans(struct kc_token *tok, const CK_OBJECT_HANDLE *before,
    size_t nbefore)
{
	CK_OBJECT_HANDLE *now = NULL;
	size_t n = 0, i, j, found = 0, failed = 0;

	if (priv_handles(tok, &now, &n) != KC_OK) {
		kc_err_clear();
		return "; whether it left a half-made key could not be checked: "
		    "count the token's private keys";
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nbefore && before[j] != now[i]; j++)
			;
		if (j < nbefore)
			continue;
		found++;
		if (tok->ctx->f->C_DestroyObject(tok->session, now[i]) !=
		    CKR_OK)
			failed++;
	}
	free(now);
	if (failed > 0)
		return "; the half-made key it left could NOT be removed: "
		    "delete the private key without a label by hand";
	return found > 0 ? "; the half-made key it left was removed" : "";
}

/* What a restore killed before its C_UnwrapKey leaves under label: its
 * restore record, perhaps the public key of the same CKA_ID, and no
 * private key. Removes such a set (nothing secret: both are public halves) and
 * returns 1; 0 when label holds anything else (or nothing). */
static int
stale_restore(struct kc_token *tok, const char *label)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_HANDLE hr[2], hp[2], hk[1];
	unsigned char *id = NULL;
	size_t nr = 0, np = 0, nk = 0, idlen = 0;
	int stale = 0;

	if (kc_tok_find_objects(tok, CKO_DATA, label, NULL, 0, hr, 2, &nr) !=
	    KC_OK || nr != 1 ||
	    kc_tok_find_objects(tok, CKO_PRIVATE_KEY, label, NULL, 0, hk, 1,
	    &nk) != KC_OK || nk != 0 ||
	    kc_tok_get_attr_alloc(tok, hr[0], CKA_VALUE, "CKA_VALUE", &id,
	    &idlen) != KC_OK ||
	    kc_tok_find_objects(tok, CKO_PUBLIC_KEY, label, NULL, 0, hp, 2,
	    &np) != KC_OK || np > 1)
		goto out;
	{
		unsigned char *app = NULL;
		size_t alen = 0;

		if (kc_tok_get_attr_alloc(tok, hr[0], CKA_APPLICATION,
		    "CKA_APPLICATION", &app, &alen) != KC_OK)
			goto out;
		stale = alen == strlen(KC_RESTORE_APP) &&
		    memcmp(app, KC_RESTORE_APP, alen) == 0;
		free(app);
	}
	if (stale && np == 1) {
		size_t n = 0;
		CK_OBJECT_HANDLE same[1];

		/* the public key must be the record's (same CKA_ID) */
		if (kc_tok_find_objects(tok, CKO_PUBLIC_KEY, label, id, idlen,
		    same, 1, &n) != KC_OK || n != 1)
			stale = 0;
	}
	if (stale) {
		if (np == 1 &&
		    f->C_DestroyObject(tok->session, hp[0]) != CKR_OK)
			stale = 0;
		else if (f->C_DestroyObject(tok->session, hr[0]) != CKR_OK)
			stale = 0;
	}
	if (stale)
		kc_log(KC_LOG_WARN, "token '%s': removed the public key and the "
		    "restore record of '%s' that an interrupted restore left "
		    "(it had not unwrapped the key yet)", tok->info.label,
		    label);
out:
	free(id);
	kc_err_clear();
	return stale;
}

int
kc_token_restore_stale(struct kc_token *tok, const char *label)
{
	int rc;

	if ((rc = kc_tok_need_login(tok)) != KC_OK)
		return rc;
	return stale_restore(tok, label);
}

/* Destroys what a failed restore made; returns rc with msg and how it
 * went. */
static int
restore_undo(struct kc_token *tok, CK_OBJECT_HANDLE hk, CK_OBJECT_HANDLE hp,
    CK_OBJECT_HANDLE hr, const char *label, int rc, const char *msg)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_RV r1 = hk == CK_INVALID_HANDLE ? CKR_OK :
	    f->C_DestroyObject(tok->session, hk);
	CK_RV r2 = hp == CK_INVALID_HANDLE ? CKR_OK :
	    f->C_DestroyObject(tok->session, hp);
	CK_RV r3 = hr == CK_INVALID_HANDLE ? CKR_OK :
	    f->C_DestroyObject(tok->session, hr);

	if (r1 == CKR_OK && r2 == CKR_OK && r3 == CKR_OK)
		return kc_err(rc, "%s; nothing of the restore was left in the "
		    "token", msg);
	return kc_err(rc, "%s; removing the restored objects '%s' FAILED: "
	    "delete the objects labelled '%s' by hand", msg, label, label);
}

/*
 * The order makes an interrupted restore (power, kill -9) leave no private
 * key that is not complete: the restore record first, the public key
 * object next, then C_UnwrapKey, the last object made. A set left by a restore
 * killed before its unwrap is removed by the next one (stale_restore).
 */
int
kc_token_unwrap(struct kc_token *tok, unsigned long h,
    const unsigned char *blob, size_t len, const char *label, EVP_PKEY *pub)
{
	CK_OBJECT_HANDLE hk = CK_INVALID_HANDLE, hp = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE hr = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE *before = NULL;
	size_t nbefore = 0;
	unsigned char id[KC_RESTORE_ID_LEN];
	char what[64], msg[1024];
	const char *orphans = "";
	CK_KEY_TYPE kt;
	CK_RV rv;
	int rc;

	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(label)) != KC_OK)
		return rc;
	if (len == 0 || len > KC_WRAP_BLOB_MAX)
		return kc_err(KC_ERR_INPUT, "a wrapped key of %zu bytes: not "
		    "a backup", len);
	if ((rc = kc_token_label_used(tok, label, what, sizeof(what))) < 0)
		return rc;
	if (rc == 1 && stale_restore(tok, label) &&
	    (rc = kc_token_label_used(tok, label, what, sizeof(what))) < 0)
		return rc;
	if (rc == 1)
		return kc_err(KC_ERR_EXISTS, "token '%s' already holds an "
		    "object labelled '%s' (%s); restore under another --label "
		    "or into another token", tok->info.label, label, what);
	kt = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA ? CKK_RSA : CKK_EC;
	if ((rc = kc_token_random(tok, id, sizeof(id))) != KC_OK)
		return rc;
	/* the record first: what an interrupted restore leaves starts with
	 * it, so the next one can tell that set from anything else */
	if ((rc = record_create(tok, label, id, sizeof(id), &hr)) != KC_OK ||
	    (rc = pub_create(tok, pub, label, id, sizeof(id), &hp)) != KC_OK ||
	    (rc = priv_handles(tok, &before, &nbefore)) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return restore_undo(tok, hk, hp, hr, label, rc, msg);
	}
	rv = kc_tok_unwrap_raw(tok, (CK_OBJECT_HANDLE)h, blob, len, kt, 1, 1,
	    label, id, sizeof(id), &hk);
	if (rv != CKR_OK)
		orphans = unwrap_orphans(tok, before, nbefore);
	free(before);
	if (rv != CKR_OK) {
		int bad = rv == CKR_WRAPPED_KEY_INVALID ||
		    rv == CKR_ENCRYPTED_DATA_INVALID;

		snprintf(msg, sizeof(msg), "token '%s': unwrapping the backup "
		    "failed (%s)%s%s", tok->info.label, kc_tok_ckr(rv), bad ?
		    ": the wrap key rebuilt from the shares is not the one of "
		    "this backup" : "", orphans);
		return restore_undo(tok, CK_INVALID_HANDLE, hp, hr, label,
		    bad ? KC_ERR_INPUT : KC_ERR_PKCS11, msg);
	}
	if ((rc = kc_tok_check_priv(tok, hk, label, NULL)) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return restore_undo(tok, hk, hp, hr, label, rc, msg);
	}
	kc_log(KC_LOG_INFO, "restored key '%s' into token '%s' (unwrapped "
	    "with " KC_WRAP_MECH_NAME ")", label, tok->info.label);
	return KC_OK;
}

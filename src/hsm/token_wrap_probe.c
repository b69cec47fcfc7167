/*
 * token_wrap_probe.c: what a module does for a root key backup
 * (kc_token_wrap_probe, kc/hsm/wrap.h): whether the security officer can
 * make a CKA_TRUSTED AES key, whether the module refuses to wrap a
 * CKA_WRAP_WITH_TRUSTED key under an untrusted one, and whether it wraps
 * and unwraps a private key with CKM_AES_KEY_WRAP_PAD; with session objects
 * only, so nothing stays in the token. The wrap key's template and the raw
 * wrap/unwrap calls are token_wrap.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "token_int.h"

#define A(t, ty, v, l) do { (t).type = (ty); (t).pValue = (void *)(v); \
	(t).ulValueLen = (CK_ULONG)(l); } while (0)

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* A backup-capable EC P-256 pair as session objects of the SO. */
static CK_RV
probe_pair(struct kc_token *tok, CK_OBJECT_HANDLE *hpub,
    CK_OBJECT_HANDLE *hpriv)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[3], priv[8];
	CK_ULONG np = 0, nv = 0;

	A(pub[np], CKA_TOKEN, &no, sizeof(no)); np++;
	A(pub[np], CKA_PRIVATE, &no, sizeof(no)); np++;
	A(pub[np], CKA_EC_PARAMS, (uintptr_t)kc_tok_oid_p256,
	    sizeof(kc_tok_oid_p256)); np++;
	A(priv[nv], CKA_TOKEN, &no, sizeof(no)); nv++;
	A(priv[nv], CKA_PRIVATE, &no, sizeof(no)); nv++;
	A(priv[nv], CKA_SENSITIVE, &yes, sizeof(yes)); nv++;
	A(priv[nv], CKA_EXTRACTABLE, &yes, sizeof(yes)); nv++;
	A(priv[nv], CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes)); nv++;
	A(priv[nv], CKA_SIGN, &yes, sizeof(yes)); nv++;
	*hpub = *hpriv = CK_INVALID_HANDLE;
	return tok->ctx->f->C_GenerateKeyPair(tok->session, &mech, pub, np,
	    priv, nv, hpub, hpriv);
}

/* The probe's steps, once the SO is logged in; the first failure is
 * written to caps->why. h[] collects every object made. */
static int
probe_steps(struct kc_token *tok, const struct kc_secret *key,
    struct kc_wrap_caps *caps, CK_OBJECT_HANDLE h[5])
{
	unsigned char *blob = NULL;
	size_t blen = 0;
	CK_RV rv;

	if (kc_tok_wrapkey_create(tok, key, 1, 0, NULL, &h[0]) != CKR_OK ||
	    kc_tok_bool_attr(tok, h[0], CKA_TRUSTED) != 1) {
		snprintf(caps->why, sizeof(caps->why), "the security officer "
		    "cannot make a CKA_TRUSTED AES key");
		return 0;
	}
	caps->trusted = 1;
	rv = kc_tok_wrapkey_create(tok, key, 0, 0, NULL, &h[1]);
	if (rv != CKR_OK) {
		snprintf(caps->why, sizeof(caps->why), "an AES wrap key "
		    "cannot be imported (%s)", kc_tok_ckr(rv));
		return 0;
	}
	if ((rv = probe_pair(tok, &h[2], &h[3])) != CKR_OK ||
	    kc_tok_bool_attr(tok, h[3], CKA_WRAP_WITH_TRUSTED) != 1) {
		snprintf(caps->why, sizeof(caps->why), "no EC key with "
		    "CKA_WRAP_WITH_TRUSTED=TRUE can be generated (%s)",
		    kc_tok_ckr(rv));
		return 0;
	}
	rv = kc_tok_wrap_raw(tok, h[1], h[3], &blob, &blen);
	free(blob);
	blob = NULL;
	if (rv == CKR_OK) {
		snprintf(caps->why, sizeof(caps->why), "the module wraps a "
		    "CKA_WRAP_WITH_TRUSTED key under a key that is not "
		    "CKA_TRUSTED: it does not honour CKA_WRAP_WITH_TRUSTED");
		return 0;
	}
	caps->wrap_with_trusted = 1;
	if ((rv = kc_tok_wrap_raw(tok, h[0], h[3], &blob, &blen)) != CKR_OK) {
		snprintf(caps->why, sizeof(caps->why), "a private key cannot "
		    "be wrapped with " KC_WRAP_MECH_NAME " (%s)",
		    kc_tok_ckr(rv));
		return 0;
	}
	caps->wrap_private = 1;
	rv = kc_tok_unwrap_raw(tok, h[0], blob, blen, CKK_EC, 0, 0, NULL, NULL,
	    0, &h[4]);
	free(blob);
	if (rv != CKR_OK) {
		snprintf(caps->why, sizeof(caps->why), "a wrapped private key "
		    "cannot be unwrapped with " KC_WRAP_MECH_NAME " (%s)",
		    kc_tok_ckr(rv));
		return 0;
	}
	caps->unwrap_private = 1;
	return 1;
}

int
kc_token_wrap_probe(struct kc_token *tok, const struct kc_secret *so_pin,
    struct kc_wrap_caps *caps)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_HANDLE h[5];
	CK_MECHANISM_INFO mi;
	struct kc_secret *key = NULL;
	size_t i;
	CK_RV rv;
	int rc;

	memset(caps, 0, sizeof(*caps));
	for (i = 0; i < 5; i++)
		h[i] = CK_INVALID_HANDLE;
	if (tok->logged_in)
		return kc_err(KC_ERR_INTERNAL, "token '%s': the wrap probe "
		    "needs the token logged out", tok->info.label);
	if (f->C_GetMechanismInfo(tok->slot_id, CKM_AES_KEY_WRAP_PAD, &mi) !=
	    CKR_OK || !(mi.flags & CKF_WRAP) || !(mi.flags & CKF_UNWRAP)) {
		snprintf(caps->why, sizeof(caps->why), "the module does not "
		    "offer " KC_WRAP_MECH_NAME " for wrapping and unwrapping");
		return KC_OK;
	}
	caps->aes_wrap_pad = 1;
	if ((rc = kc_secret_new(KC_WRAP_KEY_LEN, &key)) != KC_OK ||
	    (rc = kc_token_wrapkey_random(tok, key)) != KC_OK) {
		kc_secret_free(key);
		return rc;
	}
	rv = f->C_Login(tok->session, CKU_SO, (CK_UTF8CHAR_PTR)so_pin->buf,
	    (CK_ULONG)so_pin->len);
	if (rv != CKR_OK) {
		kc_secret_free(key);
		return kc_err(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ?
		    KC_ERR_PIN : KC_ERR_PKCS11, "token '%s': security officer "
		    "login failed (%s)", tok->info.label, kc_tok_ckr(rv));
	}
	caps->ok = probe_steps(tok, key, caps, h);
	for (i = 0; i < 5; i++)
		if (h[i] != CK_INVALID_HANDLE)
			f->C_DestroyObject(tok->session, h[i]);
	f->C_Logout(tok->session);
	kc_secret_free(key);
	return KC_OK;
}

int
kc_token_backup_check(struct kc_token *tok, const struct kc_secret *so_pin,
    struct kc_wrap_caps *caps)
{
	struct kc_wrap_caps c;
	int rc;

	if (caps == NULL)
		caps = &c;
	if ((rc = kc_token_wrap_probe(tok, so_pin, caps)) != KC_OK)
		return rc;
	if (caps->ok)
		return KC_OK;
	return kc_err(KC_ERR_POLICY, "token '%s' cannot take part in a root "
	    "key backup ceremony: %s", tok->info.label, caps->why[0] ?
	    caps->why : "the module failed the backup probe");
}

int
kc_token_backup_mech_check(struct kc_token *tok)
{
	CK_MECHANISM_INFO mi;

	if (tok->ctx->f->C_GetMechanismInfo(tok->slot_id,
	    CKM_AES_KEY_WRAP_PAD, &mi) == CKR_OK && (mi.flags & CKF_WRAP) &&
	    (mi.flags & CKF_UNWRAP))
		return KC_OK;
	return kc_err(KC_ERR_POLICY, "token '%s' cannot take part in a root "
	    "key backup ceremony: the module does not offer "
	    KC_WRAP_MECH_NAME " for wrapping and unwrapping", tok->info.label);
}

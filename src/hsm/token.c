/*
 * token.c: the token layer's shared PKCS#11 plumbing (token_int.h): the
 * names of CK_RV values, the CK_RV libp11 left on the OpenSSL error queue,
 * blank-padded PKCS#11 strings, object search and attribute reads on an
 * open token's raw session, the key-label and login checks every key
 * operation starts with, the DER OIDs of the two curves, and the raw
 * accessors token_mech.c and token_probe.c use. It owns no state.
 *
 * The token layer (kc/hsm/token.h) is the only code of the project that
 * includes the PKCS#11 headers, and token_load.c and token_slot.c the only
 * files that include libp11.h. Its files, one job each:
 *   token_load.c    loading a module: the trust check of its file and
 *                   directories, dlopen, libp11's context, C_GetInfo, the
 *                   raw function list's C_Initialize/C_Finalize
 *                   (p11-kit-proxy), the loader-environment record;
 *   token_slot.c    slots, tokens and login: slot listing, token info, PIN
 *                   length limits, token init, open/close, login, the RNG;
 *   token_keys.c    key objects: the attribute policy, lookup, listing,
 *                   removal;
 *   token_keygen.c  key generation: templates, the site's key template,
 *                   read-back of the new pair, removal of a failed one;
 *   token_pkey.c    keys as EVP_PKEYs: the public key, the self-test, the
 *                   entry points that hand the key to token_sign.c;
 *   token_wrap.c    root key backup: the wrap key, C_WrapKey/C_UnwrapKey,
 *                   the restore template (kc/hsm/wrap.h);
 *   token_wrap_probe.c  what a module does for a backup;
 *   token_sign.c    signatures by our own C_Sign;
 *   token_tmpl.c    the site's key-template section;
 *   token_mech.c    mechanism sizes and flags;
 *   token_probe.c   the read-only probe of a token.
 *
 * Two views of one module share this process:
 *  - libp11 (PKCS11_CTX_load) for slots and login;
 *  - the raw function list (our own dlopen of the same path + its own
 *    C_GetFunctionList) for what libp11 0.4.12 cannot do or does wrong:
 *    slot listing, C_GenerateKeyPair, C_GenerateRandom,
 *    C_GetAttributeValue, C_GetMechanismList, C_InitToken/C_InitPIN, and
 *    every signature (C_Sign through token_sign.c's EVP_PKEY: libp11 signs
 *    RSA only with CKM_RSA_PKCS).
 * libp11 initialises and finalizes its instance; the raw list gets its own
 * C_Initialize: CKR_CRYPTOKI_ALREADY_INITIALIZED means it is the same
 * instance as libp11's (SoftHSM, tpm2-pkcs11, openCryptoki), CKR_OK a
 * separate one (p11-kit-proxy hands out a new instance per
 * C_GetFunctionList) that we finalize ourselves; we finalize only what we
 * initialised. Login state is per application in PKCS#11 (the proxy's
 * instances share the module behind them), so the raw session shares
 * libp11's login. The module is dlopen'ed RTLD_NODELETE: some modules
 * (openCryptoki) leak at dlclose.
 *
 * libp11 traps avoided: PKCS11_update_slots is never called (use-after-free
 * in 0.4.12); every kc_token_open() enumerates its own slot array and
 * kc_token_close() logs out and releases it, which also wipes libp11's copy
 * of the PIN; labels are matched by walking the slot list.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "token_int.h"

/* ------------------------------------------------------------------ */
/* CK_RV names */

static const struct {
	CK_RV		 rv;
	const char	*name;
} ckr_names[] = {
	{ CKR_OK, "CKR_OK" },
	{ CKR_CANCEL, "CKR_CANCEL" },
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY" },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
	{ CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY" },
	{ CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE" },
	{ CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID" },
	{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
	{ CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED" },
	{ CKR_DATA_INVALID, "CKR_DATA_INVALID" },
	{ CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
	{ CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE" },
	{ CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT" },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
	{ CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE" },
	{ CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_INVALID, "CKR_PIN_INVALID" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
	{ CKR_SESSION_COUNT, "CKR_SESSION_COUNT" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
	{ CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY" },
	{ CKR_SESSION_EXISTS, "CKR_SESSION_EXISTS" },
	{ CKR_SESSION_READ_ONLY_EXISTS, "CKR_SESSION_READ_ONLY_EXISTS" },
	{ CKR_SESSION_READ_WRITE_SO_EXISTS, "CKR_SESSION_READ_WRITE_SO_EXISTS" },
	{ CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID" },
	{ CKR_SIGNATURE_LEN_RANGE, "CKR_SIGNATURE_LEN_RANGE" },
	{ CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
	{ CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED" },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
	{ CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID" },
	{ CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
	  "CKR_USER_ANOTHER_ALREADY_LOGGED_IN" },
	{ CKR_USER_TOO_MANY_TYPES, "CKR_USER_TOO_MANY_TYPES" },
	{ CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID" },
	{ CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED" },
	{ CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL" },
	{ CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED,
	  "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
	/* wrapping (token_wrap.c) */
	{ CKR_KEY_NOT_WRAPPABLE, "CKR_KEY_NOT_WRAPPABLE" },
	{ CKR_KEY_UNEXTRACTABLE, "CKR_KEY_UNEXTRACTABLE" },
	{ CKR_KEY_NEEDED, "CKR_KEY_NEEDED" },
	{ CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID" },
	{ CKR_ENCRYPTED_DATA_LEN_RANGE, "CKR_ENCRYPTED_DATA_LEN_RANGE" },
	{ CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID" },
	{ CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE" },
	{ CKR_WRAPPING_KEY_HANDLE_INVALID, "CKR_WRAPPING_KEY_HANDLE_INVALID" },
	{ CKR_WRAPPING_KEY_SIZE_RANGE, "CKR_WRAPPING_KEY_SIZE_RANGE" },
	{ CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
	  "CKR_WRAPPING_KEY_TYPE_INCONSISTENT" },
	{ CKR_UNWRAPPING_KEY_HANDLE_INVALID,
	  "CKR_UNWRAPPING_KEY_HANDLE_INVALID" },
	{ CKR_UNWRAPPING_KEY_SIZE_RANGE, "CKR_UNWRAPPING_KEY_SIZE_RANGE" },
	{ CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
	  "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT" },
};

/* Name of a CK_RV; unknown values as hex in a static buffer per thread. */
const char *
kc_tok_ckr(CK_RV rv)
{
	static _Thread_local char buf[32];
	size_t i;

	for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++)
		if (ckr_names[i].rv == rv)
			return ckr_names[i].name;
	snprintf(buf, sizeof(buf), "CK_RV 0x%lx", (unsigned long)rv);
	return buf;
}

/* The CK_RV libp11 queued on the OpenSSL error stack (its reason code), or
 * CKR_GENERAL_ERROR when there is none; empties the queue. */
CK_RV
kc_tok_p11_last_rv(void)
{
	unsigned long e = ERR_peek_last_error();
	CK_RV rv = e != 0 ? (CK_RV)ERR_GET_REASON(e) : CKR_GENERAL_ERROR;

	ERR_clear_error();
	return rv == 0 ? CKR_GENERAL_ERROR : rv;
}

/* Copies a blank-padded PKCS#11 string into a NUL-terminated one. */
void
kc_tok_padded_copy(char *dst, size_t dstlen, const unsigned char *src, size_t n)
{
	size_t i;

	if (n >= dstlen)
		n = dstlen - 1;
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	for (i = 0; i < n; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	dst[n] = '\0';
}

/* Finds up to max objects of class cls with the label and/or ID given. */
int
kc_tok_find_objects(struct kc_token *tok, CK_OBJECT_CLASS cls,
    const char *label, const unsigned char *id, size_t idlen,
    CK_OBJECT_HANDLE *h, size_t max, size_t *n)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_ATTRIBUTE t[3];
	CK_ULONG nt = 0, got = 0;
	CK_RV rv;

	*n = 0;
	t[nt].type = CKA_CLASS;
	t[nt].pValue = &cls;
	t[nt++].ulValueLen = sizeof(cls);
	if (label != NULL) {
		t[nt].type = CKA_LABEL;
		t[nt].pValue = (void *)(uintptr_t)label;
		t[nt++].ulValueLen = (CK_ULONG)strlen(label);
	}
	if (id != NULL) {
		t[nt].type = CKA_ID;
		t[nt].pValue = (void *)(uintptr_t)id;
		t[nt++].ulValueLen = (CK_ULONG)idlen;
	}
	if ((rv = f->C_FindObjectsInit(tok->session, t, nt)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjectsInit "
		    "failed (%s)", tok->info.label, kc_tok_ckr(rv));
	rv = f->C_FindObjects(tok->session, h, (CK_ULONG)max, &got);
	f->C_FindObjectsFinal(tok->session);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects failed "
		    "(%s)", tok->info.label, kc_tok_ckr(rv));
	*n = (size_t)got;
	return KC_OK;
}

int
kc_tok_need_login(struct kc_token *tok)
{
	if (!tok->logged_in)
		return kc_err(KC_ERR_INTERNAL, "token '%s': not logged in",
		    tok->info.label);
	return KC_OK;
}

int
kc_tok_check_key_label(const char *label)
{
	size_t i, n;

	if (label == NULL || (n = strlen(label)) == 0)
		return kc_err(KC_ERR_USAGE, "empty key label");
	if (n > 64)
		return kc_err(KC_ERR_USAGE, "key label '%.20s...': longer than "
		    "64 bytes", label);
	for (i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return kc_err(KC_ERR_USAGE, "key label: control "
			    "characters are not allowed");
	return KC_OK;
}

/* Reads one attribute into buf; *len in/out. */
CK_RV
kc_tok_get_attr(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG *len)
{
	CK_ATTRIBUTE a;
	CK_RV rv;

	a.type = type;
	a.pValue = buf;
	a.ulValueLen = *len;
	rv = tok->ctx->f->C_GetAttributeValue(tok->session, h, &a, 1);
	*len = a.ulValueLen;
	return rv;
}

/* Reads a variable-length attribute into a malloc'd buffer. */
int
kc_tok_get_attr_alloc(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, const char *name, unsigned char **out,
    size_t *outlen)
{
	CK_ULONG len = 0;
	CK_RV rv;

	*out = NULL;
	*outlen = 0;
	rv = kc_tok_get_attr(tok, h, type, NULL, &len);
	if (rv != CKR_OK || len == CK_UNAVAILABLE_INFORMATION || len == 0 ||
	    len > 65536)
		return kc_err(KC_ERR_PKCS11, "token '%s': cannot read %s (%s)",
		    tok->info.label, name, kc_tok_ckr(rv));
	if ((*out = malloc(len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rv = kc_tok_get_attr(tok, h, type, *out, &len)) != CKR_OK) {
		free(*out);
		*out = NULL;
		return kc_err(KC_ERR_PKCS11, "token '%s': cannot read %s (%s)",
		    tok->info.label, name, kc_tok_ckr(rv));
	}
	*outlen = len;
	return KC_OK;
}

/* A CK_BBOOL attribute: 1 TRUE, 0 FALSE, -1 when it cannot be read
 * (CKR_ATTRIBUTE_TYPE_INVALID: a module that does not know it). */
int
kc_tok_bool_attr(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ULONG len = sizeof(v);

	if (kc_tok_get_attr(tok, h, type, &v, &len) != CKR_OK ||
	    len != sizeof(v))
		return -1;
	return v == CK_TRUE;
}

/* DER OIDs of the named curves, as CKA_EC_PARAMS. */
const unsigned char kc_tok_oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
const unsigned char kc_tok_oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

/* ------------------------------------------------------------------ */
/* For the token layer's other files (token_int.h) */

CK_FUNCTION_LIST_PTR
kc_tok_funcs(const struct kc_token *tok)
{
	return tok->ctx->f;
}

CK_SESSION_HANDLE
kc_tok_session(const struct kc_token *tok)
{
	return tok->session;
}

int
kc_tok_logged_in(const struct kc_token *tok)
{
	return tok->logged_in;
}

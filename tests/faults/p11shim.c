/*
 * p11shim.c: a PKCS#11 module for the PIN fault tests that forwards every
 * call to a real module (KC_SHIM_MODULE, SoftHSM in the tests) and adds
 * what SoftHSM lacks: a real HSM's wrong-PIN counter. SoftHSM never locks a
 * PIN; many HSMs lock after 3 wrong tries. The shim keeps the count in the
 * file KC_SHIM_STATE (it must survive across processes), reports it through
 * C_GetTokenInfo (CKF_USER_PIN_COUNT_LOW after 1, CKF_USER_PIN_FINAL_TRY
 * after 2, CKF_USER_PIN_LOCKED after 3, when C_Login then fails with
 * CKR_PIN_LOCKED) and counts every C_Login it sees (KC_SHIM_STATE.logins).
 * With KC_SHIM_REMOVED set, C_SignInit fails with CKR_DEVICE_REMOVED: the
 * token pulled out in the middle of a run, after login.
 * Other real-HSM traits, for the token tests (tests/hostile/token-*.sh):
 *  KC_SHIM_MINPIN / KC_SHIM_MAXPIN   ulMinPinLen / ulMaxPinLen reported;
 *  KC_SHIM_MANUFACTURER / _MODEL     manufacturerID / model reported (a
 *                                    production HSM instead of SoftHSM);
 *  KC_SHIM_NO_COPYABLE               a module that does not know
 *                                    CKA_COPYABLE (CKR_ATTRIBUTE_TYPE_INVALID
 *                                    in templates and reads);
 *  KC_SHIM_IGNORE_MODIFIABLE         a module that drops CKA_MODIFIABLE from
 *                                    key templates (the key stays modifiable);
 *  KC_SHIM_GEN_HALF                  C_GenerateKeyPair makes the pair, then
 *                                    fails (CKR_GENERAL_ERROR): a half-made
 *                                    key left behind (issue 13);
 *  KC_SHIM_DESTROY_FAILS             C_DestroyObject fails with
 *                                    CKR_FUNCTION_FAILED, as tpm2-pkcs11 does
 *                                    on an object a failed C_Sign left busy;
 *  KC_SHIM_NO_HASH_SIGN              no CKM_SHA256/384/512_RSA_PKCS (not
 *                                    listed, C_SignInit refuses them with
 *                                    CKR_MECHANISM_INVALID), as openCryptoki.
 * SO logins are counted in KC_SHIM_STATE.so-logins, C_InitToken calls in
 * KC_SHIM_STATE.inittoken, C_GetFunctionList calls (the module was loaded
 * and used) in KC_SHIM_STATE.loaded.
 * Not a mock: keys, signatures and PIN checks are SoftHSM's.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST real_copy, shim;
static CK_FUNCTION_LIST_PTR real;

static long
get(const char *suffix)
{
	char path[4096];
	const char *s = getenv("KC_SHIM_STATE");
	long v = 0;
	FILE *f;

	if (s == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s%s", s, suffix);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void
put(const char *suffix, long v)
{
	char path[4096];
	const char *s = getenv("KC_SHIM_STATE");
	FILE *f;

	if (s == NULL)
		return;
	snprintf(path, sizeof(path), "%s%s", s, suffix);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

/* Copies the value of environment variable name, blank-padded, into a
 * PKCS#11 string field of n bytes. */
static void
pad_env(const char *name, unsigned char *field, size_t n)
{
	const char *v = getenv(name);
	size_t l;

	if (v == NULL)
		return;
	l = strlen(v);
	memset(field, ' ', n);
	memcpy(field, v, l < n ? l : n);
}

static CK_RV
shim_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = real->C_GetTokenInfo(slot, info);
	long wrong = get("");
	const char *v;

	if (rv == CKR_OK) {
		if ((v = getenv("KC_SHIM_MINPIN")) != NULL)
			info->ulMinPinLen = strtoul(v, NULL, 10);
		if ((v = getenv("KC_SHIM_MAXPIN")) != NULL)
			info->ulMaxPinLen = strtoul(v, NULL, 10);
		pad_env("KC_SHIM_MANUFACTURER", info->manufacturerID,
		    sizeof(info->manufacturerID));
		pad_env("KC_SHIM_MODEL", info->model, sizeof(info->model));
	}

	if (rv == CKR_OK && (info->flags & CKF_TOKEN_INITIALIZED)) {
		info->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW |
		    CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
		if (wrong >= 3)
			info->flags |= CKF_USER_PIN_LOCKED;
		else if (wrong == 2)
			info->flags |= CKF_USER_PIN_FINAL_TRY;
		else if (wrong == 1)
			info->flags |= CKF_USER_PIN_COUNT_LOW;
	}
	return rv;
}

static CK_RV
shim_Login(CK_SESSION_HANDLE s, CK_USER_TYPE type, CK_UTF8CHAR_PTR pin,
    CK_ULONG len)
{
	long wrong = get("");
	CK_RV rv;

	if (type != CKU_USER) {
		put(".so-logins", get(".so-logins") + 1);
		return real->C_Login(s, type, pin, len);
	}
	put(".logins", get(".logins") + 1);
	if (wrong >= 3)
		return CKR_PIN_LOCKED;
	rv = real->C_Login(s, type, pin, len);
	if (rv == CKR_PIN_INCORRECT)
		put("", wrong + 1);
	else if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		put("", 0);
	return rv;
}

/* A hash-and-sign RSA mechanism (KC_SHIM_NO_HASH_SIGN). */
static int
hash_sign(CK_MECHANISM_TYPE m)
{
	return m == CKM_SHA256_RSA_PKCS || m == CKM_SHA384_RSA_PKCS ||
	    m == CKM_SHA512_RSA_PKCS;
}

static CK_RV
shim_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	if (getenv("KC_SHIM_REMOVED") != NULL)
		return CKR_DEVICE_REMOVED;
	if (getenv("KC_SHIM_NO_HASH_SIGN") != NULL && m != NULL &&
	    hash_sign(m->mechanism))
		return CKR_MECHANISM_INVALID;
	return real->C_SignInit(s, m, k);
}

static CK_RV
shim_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len,
    CK_UTF8CHAR_PTR label)
{
	put(".inittoken", get(".inittoken") + 1);
	return real->C_InitToken(slot, pin, len, label);
}

/* Drops attributes of type t from a template copy; the new count. */
static CK_ULONG
drop(CK_ATTRIBUTE_PTR out, CK_ATTRIBUTE_PTR in, CK_ULONG n,
    CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG i, k = 0;

	for (i = 0; i < n && k < 64; i++)
		if (in[i].type != t)
			out[k++] = in[i];
	return k;
}

static CK_RV
shim_GenerateKeyPair(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pub, CK_ULONG npub, CK_ATTRIBUTE_PTR priv,
    CK_ULONG npriv, CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv)
{
	CK_ATTRIBUTE p2[64], v2[64];
	CK_ULONG i;

	if (npub > 64 || npriv > 64)
		return CKR_ARGUMENTS_BAD;
	if (getenv("KC_SHIM_NO_COPYABLE") != NULL)
		for (i = 0; i < npriv; i++)
			if (priv[i].type == CKA_COPYABLE)
				return CKR_ATTRIBUTE_TYPE_INVALID;
	if (getenv("KC_SHIM_IGNORE_MODIFIABLE") != NULL) {
		npub = drop(p2, pub, npub, CKA_MODIFIABLE);
		npriv = drop(v2, priv, npriv, CKA_MODIFIABLE);
		pub = p2;
		priv = v2;
	}
	if (getenv("KC_SHIM_GEN_HALF") != NULL) {
		CK_RV rv = real->C_GenerateKeyPair(s, m, pub, npub, priv, npriv,
		    hpub, hpriv);
		return rv == CKR_OK ? CKR_GENERAL_ERROR : rv;
	}
	return real->C_GenerateKeyPair(s, m, pub, npub, priv, npriv, hpub,
	    hpriv);
}

static CK_RV
shim_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
    CK_ULONG_PTR n)
{
	CK_MECHANISM_TYPE all[512];
	CK_ULONG na = 512, i, k = 0;
	CK_RV rv;

	if (getenv("KC_SHIM_NO_HASH_SIGN") == NULL)
		return real->C_GetMechanismList(slot, list, n);
	if ((rv = real->C_GetMechanismList(slot, all, &na)) != CKR_OK)
		return rv;
	for (i = 0; i < na; i++)
		if (!hash_sign(all[i])) {
			if (list != NULL && k < *n)
				list[k] = all[i];
			k++;
		}
	rv = list != NULL && k > *n ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	*n = k;
	return rv;
}

static CK_RV
shim_DestroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	if (getenv("KC_SHIM_DESTROY_FAILS") != NULL)
		return CKR_FUNCTION_FAILED;
	return real->C_DestroyObject(s, o);
}

static CK_RV
shim_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_ULONG i;

	if (getenv("KC_SHIM_NO_COPYABLE") != NULL)
		for (i = 0; i < n; i++)
			if (t[i].type == CKA_COPYABLE) {
				if (n == 1) {
					t[i].ulValueLen =
					    CK_UNAVAILABLE_INFORMATION;
					return CKR_ATTRIBUTE_TYPE_INVALID;
				}
				return CKR_ARGUMENTS_BAD;
			}
	return real->C_GetAttributeValue(s, o, t, n);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_RV (*gfl)(CK_FUNCTION_LIST_PTR_PTR);
	const char *path = getenv("KC_SHIM_MODULE");
	void *h;
	CK_RV rv;

	put(".loaded", get(".loaded") + 1);
	if (real == NULL) {
		if (path == NULL || (h = dlopen(path, RTLD_NOW)) == NULL ||
		    (gfl = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(h,
		    "C_GetFunctionList")) == NULL)
			return CKR_GENERAL_ERROR;
		if ((rv = gfl(&real)) != CKR_OK)
			return rv;
		real_copy = *real;
		shim = real_copy;
		shim.C_GetFunctionList = C_GetFunctionList;
		shim.C_GetTokenInfo = shim_GetTokenInfo;
		shim.C_Login = shim_Login;
		shim.C_SignInit = shim_SignInit;
		shim.C_InitToken = shim_InitToken;
		shim.C_GenerateKeyPair = shim_GenerateKeyPair;
		shim.C_GetAttributeValue = shim_GetAttributeValue;
		shim.C_DestroyObject = shim_DestroyObject;
		shim.C_GetMechanismList = shim_GetMechanismList;
	}
	*list = &shim;
	return CKR_OK;
}

/*
 * killshim.c: a PKCS#11 module for the kill -9 tests of root key backup
 * (tests/backup/kill.sh). It forwards every call to the real module
 * KC_KILL_MODULE (SoftHSM) and, when the function named by KC_KILL_AT
 * (C_WrapKey, C_UnwrapKey, C_CreateObject, C_DestroyObject, C_Sign,
 * C_Login) is called for the KC_KILL_NTH time (default 1), kills its own
 * process with SIGKILL before the call reaches the module ("before") or
 * right after it returned ("after", KC_KILL_WHEN): a power cut at a chosen
 * point, without timing. Nothing else is changed, but with KC_KILL_NO_WRAP
 * set the module does not offer CKM_AES_KEY_WRAP_PAD (C_GetMechanismInfo
 * answers CKR_MECHANISM_INVALID): a module that cannot take part in a
 * backup ceremony (tests/backup/probe-backup.sh).
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST_PTR real;
static int calls;

/* Kills the process when fn is the chosen function, at its chosen call
 * and moment. */
static void
point(const char *fn, const char *when)
{
	const char *at = getenv("KC_KILL_AT"), *w = getenv("KC_KILL_WHEN");
	const char *nth = getenv("KC_KILL_NTH");

	if (at == NULL || strcmp(at, fn) != 0)
		return;
	if (strcmp(when, "before") == 0)
		calls++;	/* counted once per call */
	if (strcmp(w != NULL ? w : "before", when) != 0)
		return;
	if (calls == (nth != NULL ? atoi(nth) : 1))
		kill(getpid(), SIGKILL);
}

#define WRAP(name, params, args) \
static CK_RV shim_##name params { \
	CK_RV rv; \
	point(#name, "before"); \
	rv = real->name args; \
	point(#name, "after"); \
	return rv; \
}

WRAP(C_WrapKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,
    CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR n), (s, m, w, k, out, n))
WRAP(C_UnwrapKey, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,
    CK_BYTE_PTR in, CK_ULONG n, CK_ATTRIBUTE_PTR t, CK_ULONG nt,
    CK_OBJECT_HANDLE_PTR h), (s, m, w, in, n, t, nt, h))
WRAP(C_CreateObject, (CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR h), (s, t, n, h))
WRAP(C_DestroyObject, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h), (s, h))
WRAP(C_Sign, (CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR sig,
    CK_ULONG_PTR sn), (s, d, n, sig, sn))
WRAP(C_Login, (CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR p,
    CK_ULONG n), (s, u, p, n))

static CK_RV
shim_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE m,
    CK_MECHANISM_INFO_PTR mi)
{
	if (getenv("KC_KILL_NO_WRAP") != NULL && m == CKM_AES_KEY_WRAP_PAD)
		return CKR_MECHANISM_INVALID;
	return real->C_GetMechanismInfo(slot, m, mi);
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_C_GetFunctionList get;
	const char *path = getenv("KC_KILL_MODULE");
	void *dl;
	CK_RV rv;

	if (real == NULL) {
		if (path == NULL || (dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) ==
		    NULL)
			return CKR_GENERAL_ERROR;
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
		if (get == NULL || (rv = get(&real)) != CKR_OK)
			return CKR_GENERAL_ERROR;
		shim = *real;
		shim.C_WrapKey = shim_C_WrapKey;
		shim.C_UnwrapKey = shim_C_UnwrapKey;
		shim.C_CreateObject = shim_C_CreateObject;
		shim.C_DestroyObject = shim_C_DestroyObject;
		shim.C_Sign = shim_C_Sign;
		shim.C_Login = shim_C_Login;
		shim.C_GetMechanismInfo = shim_C_GetMechanismInfo;
	}
	*out = &shim;
	return CKR_OK;
}

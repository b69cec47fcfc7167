/*
 * token.c: the token layer (kc/token.h), the only file of the project that
 * includes libp11.h; with the other src/hsm/token*.c files the only ones
 * that include the PKCS#11 headers.
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

#include <sys/stat.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/keyquality.h"
#include "kc/hsm/token.h"
#include "token_int.h"
#include "token_sign.h"

struct kc_token_ctx {
	char			*module;
	struct kc_module_info	 info;
	void			*dl;		/* our dlopen handle */
	CK_FUNCTION_LIST_PTR	 f;		/* raw function list */
	PKCS11_CTX		*p11;
	int			 open_tokens;
	int			 raw_init;	/* we C_Initialize'd f: finalize it */
};

struct kc_token {
	struct kc_token_ctx	*ctx;
	PKCS11_SLOT		*slots;		/* this handle's libp11 slots */
	unsigned int		 nslots;
	PKCS11_SLOT		*slot;
	CK_SLOT_ID		 slot_id;
	CK_SESSION_HANDLE	 session;	/* raw R/W session */
	int			 have_session;
	int			 logged_in;
	struct kc_token_info	 info;
	char			 sign_mech[32];	/* of the last signature */
	char			 pub_src[192];	/* last kc_token_key_get's */
};

#define KC_KEY_ID_LEN 16

/* Contexts loaded in this process. Two at once would share one module
 * instance and the first unload would C_Finalize it under the other. */
static int loaded;

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
};

/* Name of a CK_RV; unknown values as hex in a static buffer per thread. */
static const char *
ckr_name(CK_RV rv)
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
static CK_RV
p11_last_rv(void)
{
	unsigned long e = ERR_peek_last_error();
	CK_RV rv = e != 0 ? (CK_RV)ERR_GET_REASON(e) : CKR_GENERAL_ERROR;

	ERR_clear_error();
	return rv == 0 ? CKR_GENERAL_ERROR : rv;
}

/* ------------------------------------------------------------------ */
/* Loading */

const char *
kc_token_default_module(void)
{
	const char *m = getenv("KEYCEREMONY_MODULE");

	if (m != NULL && *m != '\0')
		return m;
	return KC_DEFAULT_MODULE;
}

const char *
kc_token_module(const struct kc_token_ctx *ctx)
{
	return ctx->module;
}

const struct kc_module_info *
kc_token_module_info(const struct kc_token_ctx *ctx)
{
	return &ctx->info;
}

static void padded_copy(char *dst, size_t dstlen, const unsigned char *src,
    size_t n);

/* "group and others", "group" or "others" for the write bits of mode. */
static const char *
writers(mode_t mode)
{
	if ((mode & S_IWGRP) && (mode & S_IWOTH))
		return "group and others";
	return (mode & S_IWGRP) ? "group" : "others";
}

/* Refuses a directory on the module's real path that a user other than
 * root and the caller could change. */
static int
module_check_dir(const char *module, const char *dir)
{
	struct stat st;
	uid_t me = geteuid();

	if (lstat(dir, &st) == -1)
		return kc_err(KC_ERR_IO, "PKCS#11 module %s: directory %s: %s",
		    module, dir, strerror(errno));
	if (st.st_uid != 0 && st.st_uid != me)
		return kc_err(KC_ERR_POLICY, "PKCS#11 module %s: directory %s "
		    "is owned by uid %lu, not by root or you (uid %lu): that "
		    "user could replace the module; install the module in a "
		    "directory owned by root (e.g. /usr/local/lib)", module,
		    dir, (unsigned long)st.st_uid, (unsigned long)me);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return kc_err(KC_ERR_POLICY, "PKCS#11 module %s: directory %s "
		    "is writable by %s (mode %04o%s): anyone who can write "
		    "there could replace the module; move the module to a "
		    "directory only root can write (e.g. /usr/local/lib)%s",
		    module, dir, writers(st.st_mode),
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & S_ISVTX) ? ", sticky like /tmp: a module "
		    "must not live there" : "",
		    (st.st_mode & S_ISVTX) ? "" : " or chmod go-w that "
		    "directory");
	return KC_OK;
}

/* Resolves module to its real path and checks every directory on it, from
 * the root down. */
static int
module_check_path(const char *module, char *real, size_t realsz)
{
	char buf[PATH_MAX], dir[PATH_MAX];
	size_t i, n;
	int rc;

	if (realpath(module, buf) == NULL)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "PKCS#11 module %s: %s", module, strerror(errno));
	if ((n = strlen(buf)) >= realsz || buf[0] != '/')
		return kc_err(KC_ERR_USAGE, "PKCS#11 module %s: path too long",
		    module);
	memcpy(real, buf, n + 1);
	if ((rc = module_check_dir(module, "/")) != KC_OK)
		return rc;
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		memcpy(dir, buf, i);
		dir[i] = '\0';
		if ((rc = module_check_dir(module, dir)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* Opens the module file (its real path) and checks its owner and mode. */
static int
module_open(const char *module, const char *real, int *fdp, struct stat *st)
{
	char shown[2 * PATH_MAX + 8];
	uid_t me = geteuid();
	int fd;

	/* "module" or "module -> real path" in the messages. */
	snprintf(shown, sizeof(shown), "%s%s%s", module,
	    strcmp(module, real) ? " -> " : "",
	    strcmp(module, real) ? real : "");

	*fdp = -1;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return kc_err(KC_ERR_IO, "PKCS#11 module %s: %s", module,
		    strerror(errno));
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: not a regular "
		    "file", module);
	}
	if (st->st_uid != 0 && st->st_uid != me) {
		close(fd);
		return kc_err(KC_ERR_POLICY, "PKCS#11 module %s is owned by "
		    "uid %lu, not by root or you (uid %lu): that user could "
		    "change the code that handles the PIN and the keys; have "
		    "root install the module (chown root)", shown,
		    (unsigned long)st->st_uid, (unsigned long)me);
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return kc_err(KC_ERR_POLICY, "PKCS#11 module %s is writable "
		    "by %s (mode %04o): anyone could change the code that "
		    "handles the PIN and the keys; chmod go-w it, or reinstall "
		    "the vendor's module", shown, writers(st->st_mode),
		    (unsigned)(st->st_mode & 07777));
	}
	*fdp = fd;
	return KC_OK;
}

/* Checks the module file and fills ctx->info (path, size, SHA-256);
 * *fdp stays open on it so the caller can check that the file loaded is
 * the one hashed. */
static int
module_inspect(struct kc_token_ctx *ctx, const char *module, int *fdp,
    struct stat *st)
{
	char what[PATH_MAX + 32];
	int rc;

	*fdp = -1;
	if ((rc = module_check_path(module, ctx->info.realpath,
	    sizeof(ctx->info.realpath))) != KC_OK ||
	    (rc = module_open(module, ctx->info.realpath, fdp, st)) != KC_OK)
		return rc;
	snprintf(what, sizeof(what), "PKCS#11 module %s", module);
	if ((rc = kc_sha256_fd(*fdp, what, st->st_size,
	    ctx->info.sha256)) != KC_OK) {
		close(*fdp);
		*fdp = -1;
		return rc;
	}
	ctx->info.size = (unsigned long long)st->st_size;
	return KC_OK;
}

/* C_GetInfo into ctx->info (best effort: a module that fails it is shown
 * as "?"). */
static void
module_getinfo(struct kc_token_ctx *ctx)
{
	CK_INFO in;

	snprintf(ctx->info.manufacturer, sizeof(ctx->info.manufacturer),
	    "?");
	if (ctx->f->C_GetInfo == NULL || ctx->f->C_GetInfo(&in) != CKR_OK)
		return;
	padded_copy(ctx->info.manufacturer, sizeof(ctx->info.manufacturer),
	    in.manufacturerID, sizeof(in.manufacturerID));
	padded_copy(ctx->info.description, sizeof(ctx->info.description),
	    in.libraryDescription, sizeof(in.libraryDescription));
	snprintf(ctx->info.version, sizeof(ctx->info.version), "%u.%u",
	    in.libraryVersion.major, in.libraryVersion.minor);
	snprintf(ctx->info.cryptoki, sizeof(ctx->info.cryptoki), "%u.%u",
	    in.cryptokiVersion.major, in.cryptokiVersion.minor);
}

static const char *const env_names[] = {
	"LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "OPENSSL_CONF",
	"OPENSSL_MODULES", "OPENSSL_ENGINES", "SOFTHSM2_CONF", NULL
};

const char *
kc_token_env_name(size_t i)
{
	if (i >= sizeof(env_names) / sizeof(env_names[0]))
		return NULL;
	return env_names[i];
}

int
kc_token_preloaded(char *why, size_t whysz)
{
	const char *v;
	char line[256];
	FILE *f;
	int any = 0;

	if (whysz > 0)
		why[0] = '\0';
	if ((v = getenv("LD_PRELOAD")) != NULL && *v != '\0') {
		snprintf(why, whysz, "LD_PRELOAD is set");
		return 1;
	}
	if ((v = getenv("LD_AUDIT")) != NULL && *v != '\0') {
		snprintf(why, whysz, "LD_AUDIT is set");
		return 1;
	}
	/* Anything but white space counts: the dynamic linker's own parser
	 * decides what it loads, not ours. */
	if ((f = fopen("/etc/ld.so.preload", "re")) != NULL) {
		while (!any && fgets(line, sizeof(line), f) != NULL)
			for (char *p = line; *p; p++)
				if (*p != ' ' && *p != '\t' && *p != '\n' &&
				    *p != '\r' && *p != ':') {
					any = 1;
					break;
				}
		fclose(f);
	}
	if (any) {
		snprintf(why, whysz, "/etc/ld.so.preload names a library");
		return 1;
	}
	return 0;
}

int
kc_token_is_rehearsal(const struct kc_token_info *ti)
{
	return kc_token_rehearsal_kind(ti) != NULL;
}

int
kc_token_load(const char *module, struct kc_token_ctx **out)
{
	struct kc_token_ctx *ctx = NULL;
	CK_C_GetFunctionList getfl;
	struct stat st, fst, lst;
	CK_RV rv;
	int rc = KC_OK, fd = -1;

	*out = NULL;
	if (loaded > 0)
		return kc_err(KC_ERR_INTERNAL, "a PKCS#11 module is already "
		    "loaded in this process; unload it first");
	if (module == NULL)
		module = kc_token_default_module();
	if (module == NULL || *module == '\0')
		return kc_err(KC_ERR_USAGE, "no PKCS#11 module configured: "
		    "give --module PATH or set KEYCEREMONY_MODULE");
	if (stat(module, &st) == -1)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "PKCS#11 module %s: %s; give the path of the HSM "
		    "vendor's module with --module (SoftHSM: install softhsm2)",
		    module, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: not a "
		    "regular file", module);
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL ||
	    (ctx->module = strdup(module)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Who could have replaced it, and what exactly is loaded. */
	if ((rc = module_inspect(ctx, module, &fd, &fst)) != KC_OK)
		goto out;
	dlerror();
	if ((ctx->dl = dlopen(ctx->info.realpath, RTLD_NOW | RTLD_LOCAL |
	    RTLD_NODELETE)) == NULL) {
		const char *e = dlerror();
		rc = kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: cannot be "
		    "loaded (%s)", module, e != NULL ? e : "dlopen failed");
		goto out;
	}
	if (stat(ctx->info.realpath, &lst) == -1 ||
	    lst.st_dev != fst.st_dev || lst.st_ino != fst.st_ino) {
		rc = kc_err(KC_ERR_POLICY, "PKCS#11 module %s was replaced "
		    "while it was being loaded; refusing it", module);
		goto out;
	}
	*(void **)&getfl = dlsym(ctx->dl, "C_GetFunctionList");
	if (getfl == NULL) {
		rc = kc_err(KC_ERR_PKCS11, "%s is not a PKCS#11 module (it "
		    "has no C_GetFunctionList); give the HSM vendor's "
		    "PKCS#11 library with --module", module);
		goto out;
	}
	if ((rv = getfl(&ctx->f)) != CKR_OK || ctx->f == NULL) {
		rc = kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: "
		    "C_GetFunctionList failed (%s)", module, ckr_name(rv));
		goto out;
	}
	if ((ctx->p11 = PKCS11_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (PKCS11_CTX_load(ctx->p11, ctx->info.realpath) != 0) {
		rv = p11_last_rv();
		PKCS11_CTX_free(ctx->p11);
		ctx->p11 = NULL;
		rc = kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: initialisation "
		    "failed (%s)%s", module, ckr_name(rv),
		    getenv("SOFTHSM2_CONF") == NULL &&
		    strstr(module, "softhsm") != NULL ?
		    "; check /etc/softhsm/softhsm2.conf or set SOFTHSM2_CONF"
		    : "");
		goto out;
	}
	loaded++;
	/* Our own instance, or libp11's (see the header comment). */
	rv = ctx->f->C_Initialize(NULL);
	if (rv == CKR_OK)
		ctx->raw_init = 1;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		rc = kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: C_Initialize "
		    "failed (%s)", module, ckr_name(rv));
		goto out;
	}
	module_getinfo(ctx);
	*out = ctx;
	ctx = NULL;
out:
	if (fd != -1)
		close(fd);
	kc_token_unload(ctx);
	return rc;
}

void
kc_token_unload(struct kc_token_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->raw_init)
		ctx->f->C_Finalize(NULL);
	if (ctx->p11 != NULL) {
		/* Finalizes libp11's instance (the raw side's too when they
		 * are the same). */
		PKCS11_CTX_unload(ctx->p11);
		PKCS11_CTX_free(ctx->p11);
		loaded--;
	}
	if (ctx->dl != NULL)
		dlclose(ctx->dl);
	free(ctx->module);
	free(ctx);
}

/* ------------------------------------------------------------------ */
/* Slots and tokens */

/* Copies a blank-padded PKCS#11 string into a NUL-terminated one. */
static void
padded_copy(char *dst, size_t dstlen, const unsigned char *src, size_t n)
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

static int
mech_list(struct kc_token_ctx *ctx, CK_SLOT_ID id, struct kc_token_info *ti)
{
	CK_MECHANISM_TYPE *m = NULL;
	CK_ULONG n = 0, i;
	CK_RV rv;

	if ((rv = ctx->f->C_GetMechanismList(id, NULL, &n)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetMechanismList "
		    "failed (%s)", (unsigned long)id, ckr_name(rv));
	if (n == 0)
		return KC_OK;
	if ((m = calloc(n, sizeof(*m))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rv = ctx->f->C_GetMechanismList(id, m, &n)) != CKR_OK) {
		free(m);
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetMechanismList "
		    "failed (%s)", (unsigned long)id, ckr_name(rv));
	}
	for (i = 0; i < n; i++) {
		switch (m[i]) {
		case CKM_EC_KEY_PAIR_GEN:	ti->mech_ec_keygen = 1; break;
		case CKM_ECDSA:			ti->mech_ecdsa = 1; break;
		case CKM_RSA_PKCS_KEY_PAIR_GEN:	ti->mech_rsa_keygen = 1; break;
		case CKM_RSA_PKCS:		ti->mech_rsa_pkcs = 1; break;
		default:			break;
		}
	}
	free(m);
	return KC_OK;
}

/* Fills ti for one slot from raw C_GetSlotInfo / C_GetTokenInfo. */
static int
slot_info(struct kc_token_ctx *ctx, CK_SLOT_ID id, struct kc_token_info *ti)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO tk;
	CK_RV rv;

	memset(ti, 0, sizeof(*ti));
	ti->slot_id = (unsigned long)id;
	if ((rv = ctx->f->C_GetSlotInfo(id, &si)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetSlotInfo failed "
		    "(%s)", (unsigned long)id, ckr_name(rv));
	padded_copy(ti->slot_desc, sizeof(ti->slot_desc),
	    si.slotDescription, sizeof(si.slotDescription));
	if (!(si.flags & CKF_TOKEN_PRESENT))
		return KC_OK;
	rv = ctx->f->C_GetTokenInfo(id, &tk);
	if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
		return KC_OK;
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetTokenInfo failed "
		    "(%s)", (unsigned long)id, ckr_name(rv));
	ti->present = 1;
	padded_copy(ti->label, sizeof(ti->label), tk.label,
	    sizeof(tk.label));
	padded_copy(ti->serial, sizeof(ti->serial), tk.serialNumber,
	    sizeof(tk.serialNumber));
	padded_copy(ti->manufacturer, sizeof(ti->manufacturer),
	    tk.manufacturerID, sizeof(tk.manufacturerID));
	padded_copy(ti->model, sizeof(ti->model), tk.model,
	    sizeof(tk.model));
	snprintf(ti->hw_version, sizeof(ti->hw_version), "%u.%u",
	    tk.hardwareVersion.major, tk.hardwareVersion.minor);
	snprintf(ti->fw_version, sizeof(ti->fw_version), "%u.%u",
	    tk.firmwareVersion.major, tk.firmwareVersion.minor);
	ti->min_pin = tk.ulMinPinLen == CK_UNAVAILABLE_INFORMATION ? 0 :
	    (unsigned long)tk.ulMinPinLen;
	ti->max_pin = tk.ulMaxPinLen == CK_UNAVAILABLE_INFORMATION ? 0 :
	    (unsigned long)tk.ulMaxPinLen;
	ti->initialized = !!(tk.flags & CKF_TOKEN_INITIALIZED);
	ti->user_pin_initialized = !!(tk.flags & CKF_USER_PIN_INITIALIZED);
	ti->login_required = !!(tk.flags & CKF_LOGIN_REQUIRED);
	ti->has_rng = !!(tk.flags & CKF_RNG);
	ti->pin_count_low = !!(tk.flags & CKF_USER_PIN_COUNT_LOW);
	ti->pin_final_try = !!(tk.flags & CKF_USER_PIN_FINAL_TRY);
	ti->pin_locked = !!(tk.flags & CKF_USER_PIN_LOCKED);
	if (mech_list(ctx, id, ti) != KC_OK) {
		/* Listed as missing; the token itself is still shown. */
		kc_log(KC_LOG_WARN, "%s", kc_errmsg());
		kc_err_clear();
	}
	kc_tok_mech_info(ctx->f, id, ti);	/* sizes, CKF_EC_* */
	return KC_OK;
}

/* KC_OK when a PIN of len bytes is within the token's ulMinPinLen ..
 * ulMaxPinLen (a bound of 0 is unknown and not checked); else KC_ERR_PIN
 * naming the PIN file (or "the <what>" when it was typed). Called before
 * the PIN is sent anywhere, so no try is spent. */
static int
pin_length_check(unsigned long min, unsigned long max, size_t len,
    const char *what, const char *file, const char *token)
{
	char pre[PATH_MAX + 64] = "";

	if ((min == 0 || len >= min) && (max == 0 || max < min || len <= max))
		return KC_OK;
	if (file != NULL)
		snprintf(pre, sizeof(pre), "%s file %s: ", what, file);
	if (max != 0 && max >= min)
		return kc_err(KC_ERR_PIN, "%sthe %s is %zu bytes but %s "
		    "accepts %lu to %lu; nothing was sent to the token", pre,
		    what, len, token, min, max);
	return kc_err(KC_ERR_PIN, "%sthe %s is %zu bytes but %s accepts at "
	    "least %lu; nothing was sent to the token", pre, what, len, token,
	    min);
}

int
kc_token_list(struct kc_token_ctx *ctx, struct kc_token_info **infos,
    size_t *n)
{
	CK_SLOT_ID *ids = NULL;
	struct kc_token_info *ti = NULL;
	CK_ULONG count = 0, i;
	CK_RV rv;
	int rc = KC_OK;

	*infos = NULL;
	*n = 0;
	/* The size query first: SoftHSM refreshes its slot list here. */
	if ((rv = ctx->f->C_GetSlotList(CK_FALSE, NULL, &count)) != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "%s: C_GetSlotList failed (%s)",
		    ctx->module, ckr_name(rv));
		goto out;
	}
	if (count == 0)
		goto out;
	if ((ids = calloc(count, sizeof(*ids))) == NULL ||
	    (ti = calloc(count, sizeof(*ti))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rv = ctx->f->C_GetSlotList(CK_FALSE, ids, &count)) != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "%s: C_GetSlotList failed (%s)",
		    ctx->module, ckr_name(rv));
		goto out;
	}
	for (i = 0; i < count; i++)
		if ((rc = slot_info(ctx, ids[i], &ti[i])) != KC_OK)
			goto out;
	*infos = ti;
	*n = count;
	ti = NULL;
out:
	free(ids);
	free(ti);
	return rc;
}

/* "'a' (serial 1), 'b' (serial 2)" for messages. */
static void
labels_string(const struct kc_token_info *ti, size_t n, char *buf,
    size_t len)
{
	size_t i, o = 0;
	int k = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++) {
		int w;
		if (!ti[i].present || !ti[i].initialized)
			continue;
		w = snprintf(buf + o, len - o, "%s'%s' (serial %s)",
		    k++ ? ", " : "", ti[i].label, ti[i].serial);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (k == 0)
		snprintf(buf, len, "none");
}

int
kc_token_init(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const struct kc_secret *user_pin)
{
	return kc_token_init_named(ctx, label, so_pin, NULL, user_pin, NULL);
}

int
kc_token_init_named(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const char *so_file,
    const struct kc_secret *user_pin, const char *user_file)
{
	struct kc_token_info *ti = NULL;
	unsigned char padded[32];
	char where[64];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	size_t n = 0, i, llen, pick = (size_t)-1;
	CK_SLOT_ID id;
	CK_RV rv;
	int rc, so_in = 0;

	if (label == NULL || (llen = strlen(label)) == 0 || llen > 32)
		return kc_err(KC_ERR_USAGE, "token label '%s': must be 1 to 32 "
		    "bytes", label != NULL ? label : "");
	for (i = 0; i < llen; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return kc_err(KC_ERR_USAGE, "token label: control "
			    "characters are not allowed");
	if (label[llen - 1] == ' ')
		return kc_err(KC_ERR_USAGE, "token label '%s': trailing "
		    "blanks are lost in PKCS#11 labels", label);
	if (ctx->open_tokens > 0)
		return kc_err(KC_ERR_INTERNAL, "kc_token_init called with a "
		    "token open");
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (!ti[i].present)
			continue;
		if (ti[i].initialized && strcmp(ti[i].label, label) == 0) {
			rc = kc_err(KC_ERR_EXISTS, "a token labelled '%s' "
			    "already exists (serial %s, slot %lu); choose "
			    "another --label", label, ti[i].serial,
			    ti[i].slot_id);
			goto out;
		}
		if (!ti[i].initialized && pick == (size_t)-1)
			pick = i;
	}
	if (pick == (size_t)-1) {
		rc = kc_err(KC_ERR_NOTFOUND, "%s offers no uninitialised token "
		    "(SoftHSM always has one; on a real HSM use the vendor's "
		    "tool)", ctx->module);
		goto out;
	}
	id = (CK_SLOT_ID)ti[pick].slot_id;
	/* Both PINs, before C_InitToken sends the SO PIN. */
	snprintf(where, sizeof(where), "the token in slot %lu",
	    (unsigned long)id);
	if ((rc = pin_length_check(ti[pick].min_pin, ti[pick].max_pin,
	    so_pin->len, "SO PIN", so_file, where)) != KC_OK ||
	    (rc = pin_length_check(ti[pick].min_pin, ti[pick].max_pin,
	    user_pin->len, "user PIN", user_file, where)) != KC_OK)
		goto out;
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, llen);
	rv = ctx->f->C_InitToken(id, (CK_UTF8CHAR_PTR)so_pin->buf,
	    (CK_ULONG)so_pin->len, padded);
	if (rv != CKR_OK) {
		rc = kc_err(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE
		    ? KC_ERR_PIN : KC_ERR_PKCS11, "slot %lu: C_InitToken "
		    "failed (%s)", (unsigned long)id, ckr_name(rv));
		goto out;
	}
	rv = ctx->f->C_OpenSession(id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s': C_OpenSession failed "
		    "(%s)", label, ckr_name(rv));
		goto out;
	}
	rv = ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin->buf,
	    (CK_ULONG)so_pin->len);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PIN, "token '%s': SO login failed (%s)",
		    label, ckr_name(rv));
		goto out;
	}
	so_in = 1;
	rv = ctx->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)user_pin->buf,
	    (CK_ULONG)user_pin->len);
	if (rv != CKR_OK) {
		rc = kc_err(rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID ?
		    KC_ERR_PIN : KC_ERR_PKCS11, "token '%s': C_InitPIN failed "
		    "(%s); the token is initialised but has no user PIN",
		    label, ckr_name(rv));
		goto out;
	}
	rc = KC_OK;
out:
	if (so_in)
		ctx->f->C_Logout(s);
	if (s != CK_INVALID_HANDLE)
		ctx->f->C_CloseSession(s);
	OPENSSL_cleanse(padded, sizeof(padded));
	free(ti);
	return rc;
}

int
kc_token_open(struct kc_token_ctx *ctx, const char *label,
    const char *serial, struct kc_token **out)
{
	struct kc_token_info *ti = NULL;
	struct kc_token *tok = NULL;
	size_t n = 0, i, match = 0, pick = 0;
	unsigned int k;
	char names[512];
	CK_RV rv;
	int rc;

	*out = NULL;
	if (label == NULL || *label == '\0')
		return kc_err(KC_ERR_USAGE, "no token label given (--token)");
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (!ti[i].present || !ti[i].initialized ||
		    strcmp(ti[i].label, label) != 0)
			continue;
		if (serial != NULL && strcmp(ti[i].serial, serial) != 0)
			continue;
		if (match++ == 0)
			pick = i;
	}
	if (match == 0) {
		labels_string(ti, n, names, sizeof(names));
		rc = kc_err(KC_ERR_NOTFOUND, "no token labelled '%s'%s%s%s in "
		    "%s; tokens there: %s", label,
		    serial != NULL ? " with serial '" : "",
		    serial != NULL ? serial : "", serial != NULL ? "'" : "",
		    ctx->module, names);
		goto out;
	}
	if (match > 1) {
		rc = kc_err(KC_ERR_POLICY, "token label '%s' is ambiguous: %zu "
		    "tokens in %s carry it; relabel one of them", label, match,
		    ctx->module);
		goto out;
	}
	if (kc_token_preloaded(names, sizeof(names)) &&
	    !kc_token_is_rehearsal(&ti[pick])) {
		rc = kc_err(KC_ERR_POLICY, "%s: code that is neither the module "
		    "nor keyceremony would run beside the PIN and the keys of "
		    "token '%s' (%s %s), which is not a rehearsal token; "
		    "refusing it: unset it (env -u LD_PRELOAD -u LD_AUDIT) or "
		    "empty /etc/ld.so.preload and run again", names, label,
		    ti[pick].manufacturer, ti[pick].model);
		goto out;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	tok->ctx = ctx;
	tok->info = ti[pick];
	tok->slot_id = (CK_SLOT_ID)ti[pick].slot_id;
	tok->session = CK_INVALID_HANDLE;
	ctx->open_tokens++;
	tok->nslots = 0;
	if (PKCS11_enumerate_slots(ctx->p11, &tok->slots, &tok->nslots) != 0) {
		rc = kc_err(KC_ERR_PKCS11, "%s: listing slots failed (%s)",
		    ctx->module, ckr_name(p11_last_rv()));
		goto out;
	}
	for (k = 0; k < tok->nslots; k++) {
		PKCS11_SLOT *sl = &tok->slots[k];
		if (sl->token != NULL &&
		    PKCS11_get_slotid_from_slot(sl) == tok->slot_id) {
			tok->slot = sl;
			break;
		}
	}
	if (tok->slot == NULL) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s' (slot %lu) vanished "
		    "while it was being opened", label, ti[pick].slot_id);
		goto out;
	}
	rv = ctx->f->C_OpenSession(tok->slot_id,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &tok->session);
	if (rv == CKR_TOKEN_WRITE_PROTECTED)
		rv = ctx->f->C_OpenSession(tok->slot_id, CKF_SERIAL_SESSION,
		    NULL, NULL, &tok->session);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s': C_OpenSession failed "
		    "(%s)", label, ckr_name(rv));
		goto out;
	}
	tok->have_session = 1;
	*out = tok;
	tok = NULL;
	rc = KC_OK;
out:
	kc_token_close(tok);
	free(ti);
	return rc;
}

void
kc_token_close(struct kc_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->have_session)
		tok->ctx->f->C_CloseSession(tok->session);
	if (tok->logged_in && tok->slot != NULL)
		PKCS11_logout(tok->slot);
	/* Releasing the slots wipes libp11's copy of the PIN and closes
	 * every session it had on them. */
	if (tok->slots != NULL)
		PKCS11_release_all_slots(tok->ctx->p11, tok->slots,
		    tok->nslots);
	ERR_clear_error();
	tok->ctx->open_tokens--;
	OPENSSL_cleanse(tok, sizeof(*tok));
	free(tok);
}

const struct kc_token_info *
kc_token_get_info(const struct kc_token *tok)
{
	return &tok->info;
}

/* Re-reads the token flags (PIN counters) into tok->info. */
static void
refresh_info(struct kc_token *tok)
{
	struct kc_token_info ti;

	if (slot_info(tok->ctx, tok->slot_id, &ti) == KC_OK)
		tok->info = ti;
	else
		kc_err_clear();
}

int
kc_token_login(struct kc_token *tok, const struct kc_secret *pin)
{
	return kc_token_login_file(tok, pin, NULL);
}

int
kc_token_login_file(struct kc_token *tok, const struct kc_secret *pin,
    const char *pin_file)
{
	const char *l = tok->info.label;
	char where[64];
	CK_RV rv;
	int rc;

	if (tok->logged_in)
		return KC_OK;
	refresh_info(tok);
	if (tok->info.pin_locked)
		return kc_err(KC_ERR_PIN, "the user PIN of token '%s' is locked "
		    "(CKR_PIN_LOCKED); the security officer must unblock it",
		    l);
	/* keyceremony never retries a PIN by itself, and it does not spend
	 * a token's last try: with one wrong PIN left before the lock, an
	 * officer's typo would lock the root key's token. */
	if (tok->info.pin_final_try)
		return kc_err(KC_ERR_PIN, "token '%s' reports that the next "
		    "wrong user PIN locks it (CKF_USER_PIN_FINAL_TRY); "
		    "keyceremony will not risk the last try: have the "
		    "security officer reset the user PIN first", l);
	if (!tok->info.user_pin_initialized)
		return kc_err(KC_ERR_PIN, "token '%s' has no user PIN "
		    "(CKR_USER_PIN_NOT_INITIALIZED); initialise it first", l);
	if (pin == NULL || pin->buf == NULL || pin->len == 0)
		return kc_err(KC_ERR_PIN, "empty PIN for token '%s'", l);
	snprintf(where, sizeof(where), "token '%s'", l);
	if ((rc = pin_length_check(tok->info.min_pin, tok->info.max_pin,
	    pin->len, "PIN", pin_file, where)) != KC_OK)
		return rc;
	if (PKCS11_login(tok->slot, 0, pin->buf) == 0) {
		tok->logged_in = 1;
		return KC_OK;
	}
	rv = p11_last_rv();
	refresh_info(tok);
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
		return kc_err(KC_ERR_PIN, "wrong PIN for token '%s' (%s); the "
		    "token may lock after more wrong tries%s", l, ckr_name(rv),
		    tok->info.pin_locked ? "; it is now LOCKED" :
		    tok->info.pin_final_try ? "; the token reports that the "
		    "NEXT wrong PIN locks it" :
		    tok->info.pin_count_low ? "; the token reports few tries "
		    "left" : "");
	case CKR_PIN_LOCKED:
		return kc_err(KC_ERR_PIN, "the user PIN of token '%s' is locked "
		    "(CKR_PIN_LOCKED); the security officer must unblock it; "
		    "do not retry", l);
	case CKR_PIN_LEN_RANGE:
		return kc_err(KC_ERR_PIN, "PIN for token '%s' has a length the "
		    "token refuses (CKR_PIN_LEN_RANGE)", l);
	case CKR_PIN_EXPIRED:
		return kc_err(KC_ERR_PIN, "PIN of token '%s' has expired "
		    "(CKR_PIN_EXPIRED); change it first", l);
	default:
		return kc_err(KC_ERR_PKCS11, "login to token '%s' failed (%s)",
		    l, ckr_name(rv));
	}
}

int
kc_token_random(struct kc_token *tok, unsigned char *buf, size_t len)
{
	CK_RV rv;

	if (len == 0)
		return KC_OK;
	rv = tok->ctx->f->C_GenerateRandom(tok->session, buf, (CK_ULONG)len);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_GenerateRandom "
		    "failed (%s)", tok->info.label, ckr_name(rv));
	return KC_OK;
}

/* ------------------------------------------------------------------ */
/* Objects */

/* Finds up to max objects of class cls with the label and/or ID given. */
static int
find_objects(struct kc_token *tok, CK_OBJECT_CLASS cls, const char *label,
    const unsigned char *id, size_t idlen, CK_OBJECT_HANDLE *h, size_t max,
    size_t *n)
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
		    "failed (%s)", tok->info.label, ckr_name(rv));
	rv = f->C_FindObjects(tok->session, h, (CK_ULONG)max, &got);
	f->C_FindObjectsFinal(tok->session);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects failed "
		    "(%s)", tok->info.label, ckr_name(rv));
	*n = (size_t)got;
	return KC_OK;
}

static int
need_login(struct kc_token *tok)
{
	if (!tok->logged_in)
		return kc_err(KC_ERR_INTERNAL, "token '%s': not logged in",
		    tok->info.label);
	return KC_OK;
}

static int
check_key_label(const char *label)
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

int
kc_token_key_exists(struct kc_token *tok, const char *label)
{
	CK_OBJECT_HANDLE h[1];
	size_t n;
	int rc;

	if ((rc = need_login(tok)) != KC_OK)
		return rc;
	if ((rc = find_objects(tok, CKO_PRIVATE_KEY, label, NULL, 0, h, 1,
	    &n)) != KC_OK)
		return rc;
	if (n > 0)
		return 1;
	if ((rc = find_objects(tok, CKO_PUBLIC_KEY, label, NULL, 0, h, 1,
	    &n)) != KC_OK)
		return rc;
	return n > 0;
}

/* Reads one attribute into buf; *len in/out. */
static CK_RV
get_attr(struct kc_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    void *buf, CK_ULONG *len)
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
static int
get_attr_alloc(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, const char *name, unsigned char **out,
    size_t *outlen)
{
	CK_ULONG len = 0;
	CK_RV rv;

	*out = NULL;
	*outlen = 0;
	rv = get_attr(tok, h, type, NULL, &len);
	if (rv != CKR_OK || len == CK_UNAVAILABLE_INFORMATION || len == 0 ||
	    len > 65536)
		return kc_err(KC_ERR_PKCS11, "token '%s': cannot read %s (%s)",
		    tok->info.label, name, ckr_name(rv));
	if ((*out = malloc(len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rv = get_attr(tok, h, type, *out, &len)) != CKR_OK) {
		free(*out);
		*out = NULL;
		return kc_err(KC_ERR_PKCS11, "token '%s': cannot read %s (%s)",
		    tok->info.label, name, ckr_name(rv));
	}
	*outlen = len;
	return KC_OK;
}

/* The checked attributes: which field of kc_key_attrs, the value policy
 * wants (-1: read, not checked). */
static const struct {
	CK_ATTRIBUTE_TYPE	 type;
	const char		*name;
	size_t			 off;
	int			 want;
} key_attrs[] = {
	{ CKA_SENSITIVE, "CKA_SENSITIVE",
	  offsetof(struct kc_key_attrs, sensitive), 1 },
	{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE",
	  offsetof(struct kc_key_attrs, always_sensitive), 1 },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE",
	  offsetof(struct kc_key_attrs, never_extractable), 1 },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE",
	  offsetof(struct kc_key_attrs, extractable), 0 },
	{ CKA_LOCAL, "CKA_LOCAL", offsetof(struct kc_key_attrs, local), 1 },
	{ CKA_SIGN, "CKA_SIGN", offsetof(struct kc_key_attrs, sign), 1 },
	{ CKA_DECRYPT, "CKA_DECRYPT",
	  offsetof(struct kc_key_attrs, decrypt), 0 },
	{ CKA_UNWRAP, "CKA_UNWRAP", offsetof(struct kc_key_attrs, unwrap), 0 },
	{ CKA_DERIVE, "CKA_DERIVE", offsetof(struct kc_key_attrs, derive), 0 },
	{ CKA_TOKEN, "CKA_TOKEN", offsetof(struct kc_key_attrs, token), 1 },
	{ CKA_PRIVATE, "CKA_PRIVATE",
	  offsetof(struct kc_key_attrs, private_), 1 },
};

/* A CK_BBOOL attribute: 1 TRUE, 0 FALSE, -1 when it cannot be read
 * (CKR_ATTRIBUTE_TYPE_INVALID: a module that does not know it). */
static int
bool_attr(struct kc_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ULONG len = sizeof(v);

	if (get_attr(tok, h, type, &v, &len) != CKR_OK || len != sizeof(v))
		return -1;
	return v == CK_TRUE;
}

/* Reads and checks the private key h; what names it in messages. */
static int
check_priv(struct kc_token *tok, CK_OBJECT_HANDLE h, const char *what,
    struct kc_key_attrs *attrs)
{
	struct kc_key_attrs a;
	size_t i;
	int rc = KC_OK;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < sizeof(key_attrs) / sizeof(key_attrs[0]); i++) {
		CK_BBOOL v = CK_FALSE;
		CK_ULONG len = sizeof(v);
		CK_RV rv = get_attr(tok, h, key_attrs[i].type, &v, &len);
		int *field = (int *)(void *)((char *)&a + key_attrs[i].off);

		if (rv != CKR_OK || len != sizeof(v)) {
			if (rc == KC_OK)
				rc = kc_err(KC_ERR_POLICY, "key '%s' in token "
				    "'%s': %s cannot be read (%s); refusing "
				    "to use it", what, tok->info.label,
				    key_attrs[i].name, ckr_name(rv));
			*field = -1;
			continue;
		}
		*field = v == CK_TRUE;
		if (rc == KC_OK && *field != key_attrs[i].want)
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': %s "
			    "is %s, must be %s; refusing to use it", what,
			    tok->info.label, key_attrs[i].name,
			    *field ? "TRUE" : "FALSE",
			    key_attrs[i].want ? "TRUE" : "FALSE");
	}
	a.modifiable = bool_attr(tok, h, CKA_MODIFIABLE);
	a.copyable = bool_attr(tok, h, CKA_COPYABLE);
	if (attrs != NULL)
		*attrs = a;
	return rc;
}

/* What a freshly generated pair must also show: both halves
 * CKA_MODIFIABLE=FALSE, the private one CKA_COPYABLE=FALSE unless the
 * module does not know the attribute. Not required of older keys. */
static int
check_new_pair(struct kc_token *tok, CK_OBJECT_HANDLE hpriv,
    CK_OBJECT_HANDLE hpub, const char *label)
{
	int m = bool_attr(tok, hpriv, CKA_MODIFIABLE);
	int pm = bool_attr(tok, hpub, CKA_MODIFIABLE);
	int c = bool_attr(tok, hpriv, CKA_COPYABLE);

	if (m != 0)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
		    "CKA_MODIFIABLE %s, must be FALSE; refusing to use it",
		    label, tok->info.label, m < 0 ? "cannot be read" :
		    "is TRUE");
	if (pm != 0)
		return kc_err(KC_ERR_POLICY, "public key '%s' in token '%s': "
		    "CKA_MODIFIABLE %s, must be FALSE", label, tok->info.label,
		    pm < 0 ? "cannot be read" : "is TRUE");
	if (c == 1)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
		    "CKA_COPYABLE is TRUE, must be FALSE; refusing to use it",
		    label, tok->info.label);
	return KC_OK;
}

/* The public object's usage flags as read, for display ("CKA_VERIFY=TRUE
 * CKA_ENCRYPT=FALSE CKA_WRAP=FALSE", "?" for one it does not show). They
 * are shown, not enforced: a public key verifies and encrypts in anyone's
 * software, and tpm2-pkcs11 ties them to the private key's DECRYPT/SIGN
 * (its public objects read CKA_VERIFY=FALSE). */
static void
pub_usage(struct kc_token *tok, CK_OBJECT_HANDLE h, char *buf, size_t sz)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *name;
	} pa[] = {
		{ CKA_VERIFY, "CKA_VERIFY" },
		{ CKA_ENCRYPT, "CKA_ENCRYPT" },
		{ CKA_WRAP, "CKA_WRAP" },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(pa) / sizeof(pa[0]) && o < sz; i++) {
		int v = bool_attr(tok, h, pa[i].type);
		int w = snprintf(buf + o, sz - o, "%s%s=%s", i ? " " : "",
		    pa[i].name, v < 0 ? "?" : v ? "TRUE" : "FALSE");
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* The one private key with this label. */
static int
find_priv(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_HANDLE hs[2];
	size_t n;
	int rc;

	if ((rc = find_objects(tok, CKO_PRIVATE_KEY, label, NULL, 0, hs, 2,
	    &n)) != KC_OK)
		return rc;
	if (n == 0)
		return kc_err(KC_ERR_NOTFOUND, "no private key labelled '%s' in "
		    "token '%s'", label, tok->info.label);
	if (n > 1)
		return kc_err(KC_ERR_POLICY, "key label '%s' is ambiguous in "
		    "token '%s': more than one private key carries it", label,
		    tok->info.label);
	*h = hs[0];
	return KC_OK;
}

int
kc_token_key_check(struct kc_token *tok, const char *label,
    struct kc_key_attrs *attrs)
{
	CK_OBJECT_HANDLE h;
	int rc;

	if ((rc = need_login(tok)) != KC_OK ||
	    (rc = check_key_label(label)) != KC_OK ||
	    (rc = find_priv(tok, label, &h)) != KC_OK)
		return rc;
	return check_priv(tok, h, label, attrs);
}

int
kc_token_key_destroy(struct kc_token *tok, const char *label)
{
	static const CK_OBJECT_CLASS classes[] = {
		CKO_PRIVATE_KEY, CKO_PUBLIC_KEY
	};
	CK_OBJECT_HANDLE h[16];
	size_t n, i, c, total = 0;
	CK_RV rv;
	int rc;

	if ((rc = need_login(tok)) != KC_OK ||
	    (rc = check_key_label(label)) != KC_OK)
		return rc;
	for (c = 0; c < 2; c++) {
		if ((rc = find_objects(tok, classes[c], label, NULL, 0, h, 16,
		    &n)) != KC_OK)
			return rc;
		for (i = 0; i < n; i++) {
			rv = tok->ctx->f->C_DestroyObject(tok->session, h[i]);
			if (rv != CKR_OK)
				return kc_err(KC_ERR_PKCS11, "token '%s': "
				    "destroying key '%s' failed (%s)",
				    tok->info.label, label, ckr_name(rv));
			total++;
		}
	}
	if (total == 0)
		return kc_err(KC_ERR_NOTFOUND, "no key labelled '%s' in token "
		    "'%s'", label, tok->info.label);
	kc_log(KC_LOG_INFO, "destroyed key '%s' in token '%s' (%zu objects)",
	    label, tok->info.label, total);
	return KC_OK;
}

/* Destroys a pair just made whose read-back failed (rc, msg) and returns
 * rc with msg, saying what became of each half: a failed removal names
 * the label and its CKR. */
static int
destroy_new_pair(struct kc_token *tok, CK_OBJECT_HANDLE hpriv,
    CK_OBJECT_HANDLE hpub, const char *label, int rc, const char *msg)
{
	CK_RV r1 = CKR_OK, r2 = CKR_OK;

	if (hpriv != CK_INVALID_HANDLE)
		r1 = tok->ctx->f->C_DestroyObject(tok->session, hpriv);
	if (hpub != CK_INVALID_HANDLE)
		r2 = tok->ctx->f->C_DestroyObject(tok->session, hpub);
	if (r1 == CKR_OK && r2 == CKR_OK)
		return kc_err(rc, "%s; the new key pair was destroyed", msg);
	return kc_err(rc, "%s; removing the new key pair '%s' FAILED "
	    "(private key: %s, public key: %s): delete the objects labelled "
	    "'%s' by hand (pkcs11-tool --delete-object)", msg, label,
	    r1 == CKR_OK ? "removed" : ckr_name(r1),
	    r2 == CKR_OK ? "removed" : ckr_name(r2), label);
}

/* DER OIDs of the named curves, as CKA_EC_PARAMS. */
static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

/* Leaves attribute type out of a[0..*n). */
static void
tmpl_drop(CK_ATTRIBUTE *a, CK_ULONG *n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i, o = 0;

	for (i = 0; i < *n; i++)
		if (a[i].type != type)
			a[o++] = a[i];
	*n = o;
}

/* The site's key template on one half (a has room for KC_TMPL_MAX more). */
static void
tmpl_apply(CK_ATTRIBUTE *a, CK_ULONG *n, const struct kc_key_template *t,
    size_t h)
{
	size_t i;

	for (i = 0; i < t->nomit[h]; i++)
		tmpl_drop(a, n, t->omit[h][i]);
	for (i = 0; i < t->nadd[h]; i++) {
		a[*n].type = t->add[h][i].type;
		a[*n].pValue = (void *)(uintptr_t)t->add[h][i].val;
		a[*n].ulValueLen = (CK_ULONG)t->add[h][i].len;
		(*n)++;
	}
}

/* After a failed C_GenerateKeyPair: removes whatever the module left with
 * the new CKA_ID, and returns rc with msg and what became of it. */
static int
keygen_failed(struct kc_token *tok, const unsigned char *id, size_t idlen,
    const char *label, int rc, const char *msg)
{
	static const CK_OBJECT_CLASS cls[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	CK_OBJECT_HANDLE h[4];
	size_t c, i, n, found = 0;
	CK_RV rv;

	for (c = 0; c < 2; c++) {
		if (find_objects(tok, cls[c], NULL, id, idlen, h, 4, &n) !=
		    KC_OK) {
			kc_err_clear();
			continue;
		}
		for (i = 0; i < n; i++, found++)
			if ((rv = tok->ctx->f->C_DestroyObject(tok->session,
			    h[i])) != CKR_OK)
				return kc_err(rc, "%s; the half-made %s key "
				    "'%s' it left could not be removed (%s): "
				    "delete the objects labelled '%s' by hand",
				    msg, c == 0 ? "private" : "public", label,
				    ckr_name(rv), label);
	}
	if (found > 0)
		return kc_err(rc, "%s; the %zu half-made object%s it left %s "
		    "removed", msg, found, found == 1 ? "" : "s",
		    found == 1 ? "was" : "were");
	return kc_err(rc, "%s", msg);
}

int
kc_token_keygen(struct kc_token *tok, const char *label, enum kc_alg alg)
{
	return kc_token_keygen_tmpl(tok, label, alg, NULL);
}

int
kc_token_keygen_tmpl(struct kc_token *tok, const char *label,
    enum kc_alg alg, const struct kc_key_template *t)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE tmp[1];
	unsigned char id[KC_KEY_ID_LEN];
	const unsigned char *oid = NULL;
	size_t oidlen = 0, n, tries;
	CK_ULONG label_len;
	CK_RV rv;
	int rc;
	char msg[1024];

	if ((rc = need_login(tok)) != KC_OK ||
	    (rc = check_key_label(label)) != KC_OK)
		return rc;
	if (t != NULL && kc_key_template_check(t, msg, sizeof(msg)) != 0)
		return kc_err(KC_ERR_POLICY, "key template: %s", msg);
	label_len = (CK_ULONG)strlen(label);
	switch (alg) {
	case KC_ALG_EC_P256:
		oid = oid_p256;
		oidlen = sizeof(oid_p256);
		break;
	case KC_ALG_EC_P384:
		oid = oid_p384;
		oidlen = sizeof(oid_p384);
		break;
	case KC_ALG_RSA_3072:
		bits = 3072;
		break;
	case KC_ALG_RSA_4096:
		bits = 4096;
		break;
	default:
		return kc_err(KC_ERR_USAGE, "unsupported key algorithm for "
		    "generation (use ec-p384, ec-p256, rsa-3072 or rsa-4096)");
	}
	if (oid != NULL) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		if (!tok->info.mech_ec_keygen || !tok->info.mech_ecdsa)
			return kc_err(KC_ERR_PKCS11, "token '%s' does not offer "
			    "CKM_EC_KEY_PAIR_GEN and CKM_ECDSA; choose an RSA "
			    "algorithm", tok->info.label);
	} else {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		if (!tok->info.mech_rsa_keygen || !tok->info.mech_rsa_pkcs)
			return kc_err(KC_ERR_PKCS11, "token '%s' does not offer "
			    "CKM_RSA_PKCS_KEY_PAIR_GEN and CKM_RSA_PKCS; choose "
			    "an EC algorithm", tok->info.label);
	}
	if (!kc_token_alg_offered(&tok->info, alg, msg, sizeof(msg)))
		return kc_err(KC_ERR_PKCS11, "token '%s': %s", tok->info.label,
		    msg);
	if ((rc = kc_token_key_exists(tok, label)) < 0)
		return rc;
	if (rc == 1)
		return kc_err(KC_ERR_EXISTS, "key label '%s' is already used in "
		    "token '%s'; choose another --label", label,
		    tok->info.label);
	/* A fresh random CKA_ID that no object carries yet. */
	for (tries = 0;; tries++) {
		if (tries == 4)
			return kc_err(KC_ERR_PKCS11, "token '%s': the RNG keeps "
			    "returning CKA_IDs already in use", tok->info.label);
		if ((rc = kc_token_random(tok, id, sizeof(id))) != KC_OK)
			return rc;
		if ((rc = find_objects(tok, CKO_PRIVATE_KEY, NULL, id,
		    sizeof(id), tmp, 1, &n)) != KC_OK)
			return rc;
		if (n > 0)
			continue;
		if ((rc = find_objects(tok, CKO_PUBLIC_KEY, NULL, id,
		    sizeof(id), tmp, 1, &n)) != KC_OK)
			return rc;
		if (n == 0)
			break;
	}
	{
		CK_ATTRIBUTE pub[12 + KC_TMPL_MAX], priv[14 + KC_TMPL_MAX];
		CK_ULONG np = 0, nv = 0;

#define A(t, ty, v, l) do { (t).type = (ty); (t).pValue = (void *)(v); \
	(t).ulValueLen = (CK_ULONG)(l); } while (0)
		A(pub[np], CKA_TOKEN, &yes, sizeof(yes)); np++;
		A(pub[np], CKA_PRIVATE, &no, sizeof(no)); np++;
		/* No CKA_VERIFY/ENCRYPT/WRAP: tpm2-pkcs11 maps VERIFY and
		 * DECRYPT, SIGN and ENCRYPT, to one TPM bit each, so a public
		 * VERIFY=TRUE beside a private DECRYPT=FALSE is refused.
		 * The module's defaults are shown, not enforced. */
		A(pub[np], CKA_MODIFIABLE, &no, sizeof(no)); np++;
		A(pub[np], CKA_LABEL, (uintptr_t)label, label_len); np++;
		A(pub[np], CKA_ID, id, sizeof(id)); np++;
		if (oid != NULL) {
			A(pub[np], CKA_EC_PARAMS, (uintptr_t)oid, oidlen);
			np++;
		} else {
			A(pub[np], CKA_MODULUS_BITS, &bits, sizeof(bits));
			np++;
			A(pub[np], CKA_PUBLIC_EXPONENT, e65537,
			    sizeof(e65537));
			np++;
		}
		A(priv[nv], CKA_TOKEN, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_PRIVATE, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_SENSITIVE, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_EXTRACTABLE, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_SIGN, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_DECRYPT, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_UNWRAP, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_DERIVE, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_LABEL, (uintptr_t)label, label_len); nv++;
		A(priv[nv], CKA_ID, id, sizeof(id)); nv++;
		A(priv[nv], CKA_MODIFIABLE, &no, sizeof(no)); nv++;
		/* left out for a module that does not know it */
		A(priv[nv], CKA_COPYABLE, &no, sizeof(no)); nv++;
#undef A
		if (t != NULL) {
			tmpl_apply(pub, &np, t, 0);
			tmpl_apply(priv, &nv, t, 1);
			kc_key_template_text(t, msg, sizeof(msg));
			kc_log(KC_LOG_INFO, "key template of the site profile: "
			    "%s", msg);
		}
		rv = f->C_GenerateKeyPair(tok->session, &mech, pub, np, priv,
		    nv, &hpub, &hpriv);
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID) {
			CK_ULONG before = nv;
			tmpl_drop(priv, &nv, CKA_COPYABLE);
			if (nv != before) {
				kc_log(KC_LOG_INFO, "token '%s' does not know "
				    "CKA_COPYABLE: generating without it",
				    tok->info.label);
				hpub = hpriv = CK_INVALID_HANDLE;
				rv = f->C_GenerateKeyPair(tok->session, &mech,
				    pub, np, priv, nv, &hpub, &hpriv);
			}
		}
	}
	if (rv != CKR_OK) {
		snprintf(msg, sizeof(msg), "token '%s': generating %s key '%s' "
		    "failed (%s)", tok->info.label, oid != NULL ? "EC" : "RSA",
		    label, ckr_name(rv));
		return keygen_failed(tok, id, sizeof(id), label, rv ==
		    CKR_PIN_EXPIRED || rv == CKR_USER_NOT_LOGGED_IN ?
		    KC_ERR_PIN : KC_ERR_PKCS11, msg);
	}
	if ((rc = check_priv(tok, hpriv, label, NULL)) != KC_OK ||
	    (rc = check_new_pair(tok, hpriv, hpub, label)) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return destroy_new_pair(tok, hpriv, hpub, label, rc, msg);
	}
	pub_usage(tok, hpub, msg, sizeof(msg));
	kc_log(KC_LOG_INFO, "generated key '%s' inside token '%s' (public "
	    "key object: %s)", label, tok->info.label, msg);
	return KC_OK;
}

/* ------------------------------------------------------------------ */
/* Keys as EVP_PKEYs */

/* The public key object with CKA_ID id as an EVP_PKEY built by OpenSSL
 * from its attributes (independent of libp11), and its algorithm. */
static int
pub_from_object(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE h0,
    EVP_PKEY **out, enum kc_alg *alg)
{
	CK_KEY_TYPE kt = 0;
	CK_ULONG len = sizeof(kt);
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	CK_RV rv;
	int rc;

	*out = NULL;
	if ((rv = get_attr(tok, h0, CKA_KEY_TYPE, &kt, &len)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "key '%s': cannot read "
		    "CKA_KEY_TYPE (%s)", label, ckr_name(rv));
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (kt == CKK_EC) {
		const char *group;
		size_t plen;
		const unsigned char *pt;

		if ((rc = get_attr_alloc(tok, h0, CKA_EC_PARAMS,
		    "CKA_EC_PARAMS", &a, &alen)) != KC_OK)
			goto out;
		if (alen == sizeof(oid_p256) &&
		    memcmp(a, oid_p256, alen) == 0) {
			group = "P-256";
			plen = 65;
			*alg = KC_ALG_EC_P256;
		} else if (alen == sizeof(oid_p384) &&
		    memcmp(a, oid_p384, alen) == 0) {
			group = "P-384";
			plen = 97;
			*alg = KC_ALG_EC_P384;
		} else {
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
			    "curve is neither P-256 nor P-384", label,
			    tok->info.label);
			goto out;
		}
		if ((rc = get_attr_alloc(tok, h0, CKA_EC_POINT,
		    "CKA_EC_POINT", &b, &blen)) != KC_OK)
			goto out;
		/* DER OCTET STRING around the point (PKCS#11), or raw. */
		if (blen == plen + 2 && b[0] == 0x04 && b[1] == plen)
			pt = b + 2;
		else if (blen == plen)
			pt = b;
		else {
			rc = kc_err(KC_ERR_PKCS11, "key '%s' in token '%s': "
			    "malformed CKA_EC_POINT", label, tok->info.label);
			goto out;
		}
		if (pt[0] != 0x04 ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, plen)) {
			rc = kc_err(KC_ERR_PKCS11, "key '%s' in token '%s': "
			    "unusable CKA_EC_POINT", label, tok->info.label);
			goto out;
		}
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else if (kt == CKK_RSA) {
		int bits;

		if ((rc = get_attr_alloc(tok, h0, CKA_MODULUS,
		    "CKA_MODULUS", &a, &alen)) != KC_OK ||
		    (rc = get_attr_alloc(tok, h0, CKA_PUBLIC_EXPONENT,
		    "CKA_PUBLIC_EXPONENT", &b, &blen)) != KC_OK)
			goto out;
		if ((bn_n = BN_bin2bn(a, (int)alen, NULL)) == NULL ||
		    (bn_e = BN_bin2bn(b, (int)blen, NULL)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		bits = BN_num_bits(bn_n);
		if (!BN_is_word(bn_e, 65537) || (bits != 2048 &&
		    bits != 3072 && bits != 4096)) {
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': RSA "
			    "key of %d bits or exponent other than 65537",
			    label, tok->info.label, bits);
			goto out;
		}
		{
			char what[256];

			snprintf(what, sizeof(what), "key '%s' in token '%s'",
			    label, (const char *)tok->info.label);
			if ((rc = kc_key_quality_rsa(bn_n, bn_e, what)) != KC_OK)
				goto out;
		}
		*alg = bits == 4096 ? KC_ALG_RSA_4096 : bits == 3072 ?
		    KC_ALG_RSA_3072 : KC_ALG_RSA_2048;
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': key type "
		    "0x%lx is neither EC nor RSA", label, tok->info.label,
		    (unsigned long)kt);
		goto out;
	}
	if (pctx == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key '%s' in token '%s': the "
		    "public key is not usable", label, tok->info.label);
		goto out;
	}
	rc = KC_OK;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(a);
	free(b);
	return rc;
}

/* The public key of the private key hpriv (label, CKA_ID id): from the
 * one public key object with its CKA_ID; for a token that has none, from
 * the private object's own CKA_EC_POINT + CKA_EC_PARAMS or CKA_MODULUS +
 * CKA_PUBLIC_EXPONENT where it shows them, else from cert (the key's
 * certificate, may be NULL; the self-test then proves they match).
 * tok->pub_src says which, with the public object's usage flags. */
static int
pub_for_key(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE hpriv,
    const unsigned char *id, size_t idlen, const X509 *cert, EVP_PKEY **out,
    enum kc_alg *alg)
{
	CK_OBJECT_HANDLE h[2];
	char usage[96], why[512];
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = find_objects(tok, CKO_PUBLIC_KEY, NULL, id, idlen, h, 2,
	    &n)) != KC_OK)
		return rc;
	if (n > 1)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': more than "
		    "one public key with its CKA_ID", label, tok->info.label);
	if (n == 1) {
		if ((rc = pub_from_object(tok, label, h[0], out, alg)) != KC_OK)
			return rc;
		pub_usage(tok, h[0], usage, sizeof(usage));
		snprintf(tok->pub_src, sizeof(tok->pub_src), "the public key "
		    "object (%s)", usage);
		return KC_OK;
	}
	if (pub_from_object(tok, label, hpriv, out, alg) == KC_OK) {
		snprintf(tok->pub_src, sizeof(tok->pub_src), "the private key "
		    "object's %s (the token has no public key object)",
		    EVP_PKEY_get_base_id(*out) == EVP_PKEY_RSA ?
		    "CKA_MODULUS and CKA_PUBLIC_EXPONENT" :
		    "CKA_EC_POINT and CKA_EC_PARAMS");
		return KC_OK;
	}
	snprintf(why, sizeof(why), "%s", kc_errmsg());
	kc_err_clear();
	if (cert == NULL)
		return kc_err(KC_ERR_NOTFOUND, "key '%s' in token '%s': no public "
		    "key object with its CKA_ID, and the private key object does "
		    "not show its public key (%s); the certificate of this key "
		    "is needed", label, tok->info.label, why);
	if ((*out = X509_get_pubkey((X509 *)(uintptr_t)cert)) == NULL)
		return kc_err_ssl(KC_ERR_INPUT, "key '%s': the certificate's "
		    "public key is not usable", label);
	if ((rc = kc_alg_of_key(*out, alg)) != KC_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return rc;
	}
	snprintf(tok->pub_src, sizeof(tok->pub_src), "the certificate (the "
	    "token has no public key object, and the private one does not "
	    "show the public key)");
	return KC_OK;
}

/* Signs random data with priv (through the token) and verifies it with
 * pub (computed by OpenSSL). */
static int
self_test(struct kc_token *tok, const char *label, EVP_PKEY *priv,
    EVP_PKEY *pub, enum kc_alg alg)
{
	const EVP_MD *md = (alg == KC_ALG_EC_P384 || alg == KC_ALG_RSA_4096)
	    ? EVP_sha384() : EVP_sha256();
	EVP_MD_CTX *mctx = NULL;
	unsigned char data[48], *sig = NULL;
	size_t siglen = 0;
	int rc = KC_OK;

	if ((rc = kc_token_random(tok, data, sizeof(data))) != KC_OK)
		return rc;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(mctx, NULL, md, NULL, priv) <= 0 ||
	    EVP_DigestSign(mctx, NULL, &siglen, data, sizeof(data)) <= 0 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, data, sizeof(data)) <= 0) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "self-test of key '%s' in "
		    "token '%s': signing through the token failed (OpenSSL "
		    "%s)", label, tok->info.label, OpenSSL_version(
		    OPENSSL_VERSION_STRING));
		goto out;
	}
	EVP_MD_CTX_free(mctx);
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pub) <= 0 ||
	    EVP_DigestVerify(mctx, sig, siglen, data, sizeof(data)) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_INTERNAL, "self-test of key '%s' in token "
		    "'%s': the token's signature does not verify with the "
		    "public key of the same CKA_ID (the halves do not match, "
		    "or OpenSSL %s is broken: 3.0.12 and 3.0.13 break HSM "
		    "keys); refusing to sign", label,
		    tok->info.label, OpenSSL_version(OPENSSL_VERSION_STRING));
		goto out;
	}
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(sig);
	OPENSSL_cleanse(data, sizeof(data));
	return rc;
}

int
kc_token_key_get(struct kc_token *tok, const char *label, EVP_PKEY **priv,
    EVP_PKEY **pub)
{
	return kc_token_key_get_cert(tok, label, NULL, priv, pub);
}

int
kc_token_key_get_cert(struct kc_token *tok, const char *label,
    const X509 *cert, EVP_PKEY **priv, EVP_PKEY **pub)
{
	struct kc_tsign_key k;
	CK_OBJECT_HANDLE h;
	EVP_PKEY *sk = NULL, *pk = NULL;
	unsigned char *id = NULL;
	size_t idlen = 0;
	enum kc_alg alg = KC_ALG_NONE;
	int rc;

	if (priv != NULL)
		*priv = NULL;
	if (pub != NULL)
		*pub = NULL;
	tok->sign_mech[0] = '\0';
	tok->pub_src[0] = '\0';
	if ((rc = need_login(tok)) != KC_OK ||
	    (rc = check_key_label(label)) != KC_OK ||
	    (rc = find_priv(tok, label, &h)) != KC_OK ||
	    (rc = check_priv(tok, h, label, NULL)) != KC_OK)
		return rc;
	if ((rc = get_attr_alloc(tok, h, CKA_ID, "CKA_ID", &id, &idlen))
	    != KC_OK) {
		rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s' has no "
		    "CKA_ID; its public half cannot be found", label,
		    tok->info.label);
		goto out;
	}
	if ((rc = pub_for_key(tok, label, h, id, idlen, cert, &pk, &alg))
	    != KC_OK)
		goto out;
	/* Signatures by our own C_Sign (token_sign.c), not libp11's. */
	memset(&k, 0, sizeof(k));
	k.f = tok->ctx->f;
	k.session = tok->session;
	k.key = h;
	k.rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	kc_tsign_mechs(tok->ctx->f, tok->slot_id, &k);
	snprintf(k.label, sizeof(k.label), "%s", label);
	snprintf(k.token, sizeof(k.token), "%s", tok->info.label);
	k.used = tok->sign_mech;
	k.usedsz = sizeof(tok->sign_mech);
	k.ckr = ckr_name;
	if ((rc = kc_tsign_pkey(&k, pk, &sk)) != KC_OK ||
	    (rc = self_test(tok, label, sk, pk, alg)) != KC_OK)
		goto out;
	kc_log(KC_LOG_INFO, "key '%s' in token '%s' signs with %s; its public "
	    "key comes from %s", label, tok->info.label, tok->sign_mech,
	    tok->pub_src);
	if (priv != NULL) {
		*priv = sk;
		sk = NULL;
	}
	if (pub != NULL) {
		*pub = pk;
		pk = NULL;
	}
	rc = KC_OK;
out:
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	free(id);
	ERR_clear_error();
	return rc;
}

const char *
kc_token_sign_mech(const struct kc_token *tok)
{
	return tok->sign_mech;
}

const char *
kc_token_pub_source(const struct kc_token *tok)
{
	return tok->pub_src;
}

/* The algorithm of the private key h from its public attributes. */
static enum kc_alg
priv_alg(struct kc_token *tok, CK_OBJECT_HANDLE h)
{
	CK_KEY_TYPE kt = 0;
	CK_ULONG len = sizeof(kt);
	unsigned char *a = NULL;
	size_t alen = 0;
	enum kc_alg alg = KC_ALG_NONE;

	if (get_attr(tok, h, CKA_KEY_TYPE, &kt, &len) != CKR_OK)
		return KC_ALG_NONE;
	if (kt == CKK_EC && get_attr_alloc(tok, h, CKA_EC_PARAMS,
	    "CKA_EC_PARAMS", &a, &alen) == KC_OK) {
		if (alen == sizeof(oid_p256) && memcmp(a, oid_p256, alen) == 0)
			alg = KC_ALG_EC_P256;
		else if (alen == sizeof(oid_p384) &&
		    memcmp(a, oid_p384, alen) == 0)
			alg = KC_ALG_EC_P384;
	} else if (kt == CKK_RSA && get_attr_alloc(tok, h, CKA_MODULUS,
	    "CKA_MODULUS", &a, &alen) == KC_OK) {
		size_t i = 0;
		while (i < alen && a[i] == 0)
			i++;
		alen -= i;
		alg = alen == 512 ? KC_ALG_RSA_4096 : alen == 384 ?
		    KC_ALG_RSA_3072 : alen == 256 ? KC_ALG_RSA_2048 :
		    KC_ALG_NONE;
	}
	free(a);
	kc_err_clear();
	return alg;
}

int
kc_token_key_list(struct kc_token *tok, struct kc_key_info **keys,
    size_t *n)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL, *nh;
	CK_ULONG got;
	size_t nhs = 0, cap = 0, i, j;
	struct kc_key_info *ki = NULL;
	CK_RV rv;
	int rc;

	*keys = NULL;
	*n = 0;
	if ((rc = need_login(tok)) != KC_OK)
		return rc;
	if ((rv = f->C_FindObjectsInit(tok->session, &t, 1)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjectsInit "
		    "failed (%s)", tok->info.label, ckr_name(rv));
	for (;;) {
		if (nhs == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > 65536 || (nh = realloc(hs, cap *
			    sizeof(*hs))) == NULL) {
				f->C_FindObjectsFinal(tok->session);
				rc = kc_err(KC_ERR_NOMEM, "out of memory");
				goto out;
			}
			hs = nh;
		}
		rv = f->C_FindObjects(tok->session, hs + nhs,
		    (CK_ULONG)(cap - nhs), &got);
		if (rv != CKR_OK) {
			f->C_FindObjectsFinal(tok->session);
			rc = kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects "
			    "failed (%s)", tok->info.label, ckr_name(rv));
			goto out;
		}
		if (got == 0)
			break;
		nhs += got;
	}
	f->C_FindObjectsFinal(tok->session);
	if (nhs > 0 && (ki = calloc(nhs, sizeof(*ki))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nhs; i++) {
		unsigned char *v = NULL;
		size_t vlen = 0, m;
		CK_OBJECT_HANDLE ph[1];

		if (get_attr_alloc(tok, hs[i], CKA_LABEL, "CKA_LABEL", &v,
		    &vlen) == KC_OK) {
			padded_copy(ki[i].label, sizeof(ki[i].label), v, vlen);
			free(v);
		}
		if (get_attr_alloc(tok, hs[i], CKA_ID, "CKA_ID", &v, &vlen)
		    == KC_OK) {
			for (j = 0; j < vlen && 2 * j + 2 < sizeof(ki[i].id_hex);
			    j++)
				snprintf(ki[i].id_hex + 2 * j, 3, "%02x", v[j]);
			if (find_objects(tok, CKO_PUBLIC_KEY, NULL, v, vlen,
			    ph, 1, &m) == KC_OK && m == 1) {
				ki[i].has_public = 1;
				pub_usage(tok, ph[0], ki[i].pub_usage,
				    sizeof(ki[i].pub_usage));
			}
			free(v);
		}
		ki[i].alg = priv_alg(tok, hs[i]);
		ki[i].modifiable = bool_attr(tok, hs[i], CKA_MODIFIABLE);
		ki[i].copyable = bool_attr(tok, hs[i], CKA_COPYABLE);
		if (check_priv(tok, hs[i], ki[i].label, NULL) == KC_OK)
			ki[i].policy_ok = 1;
		else
			snprintf(ki[i].policy, sizeof(ki[i].policy), "%s",
			    kc_errmsg());
		kc_err_clear();
	}
	*keys = ki;
	*n = nhs;
	ki = NULL;
	rc = KC_OK;
out:
	free(hs);
	free(ki);
	return rc;
}

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

const char *
kc_tok_ckr(CK_RV rv)
{
	return ckr_name(rv);
}

/*
 * token_load.c: loading a PKCS#11 module (kc_token_load/kc_token_unload).
 * Owns the module trust check (the file and every directory on its real
 * path owned by root or the caller and writable by no one else; the file
 * loaded is the one hashed), our dlopen and the raw function list,
 * libp11's PKCS11_CTX, the raw list's own C_Initialize/C_Finalize (a
 * separate instance under p11-kit-proxy, libp11's otherwise: see token.c),
 * C_GetInfo into struct kc_module_info, the count of loaded contexts, and
 * the loader-environment record (kc_token_env_name, kc_token_preloaded).
 */
#include "config.h"

#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/hsm/token.h"
#include "token_int.h"

/* Contexts loaded in this process. Two at once would share one module
 * instance and the first unload would C_Finalize it under the other. */
static int loaded;

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
	kc_tok_padded_copy(ctx->info.manufacturer,
	    sizeof(ctx->info.manufacturer), in.manufacturerID,
	    sizeof(in.manufacturerID));
	kc_tok_padded_copy(ctx->info.description,
	    sizeof(ctx->info.description), in.libraryDescription,
	    sizeof(in.libraryDescription));
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
		    "C_GetFunctionList failed (%s)", module, kc_tok_ckr(rv));
		goto out;
	}
	if ((ctx->p11 = PKCS11_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (PKCS11_CTX_load(ctx->p11, ctx->info.realpath) != 0) {
		rv = kc_tok_p11_last_rv();
		PKCS11_CTX_free(ctx->p11);
		ctx->p11 = NULL;
		rc = kc_err(KC_ERR_PKCS11, "PKCS#11 module %s: initialisation "
		    "failed (%s)%s", module, kc_tok_ckr(rv),
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
		    "failed (%s)", module, kc_tok_ckr(rv));
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

/*
 * factory_rotate.c: the second intermediate of a factory directory (issue
 * 15, renewal and rekey). factorysign init --rekey makes a new key and
 * CSR in D/rekey/, beside the active ones, which stay in use until the
 * new certificate is installed. factorysign install then changes the
 * active certificate one of two ways: a renewal (a certificate for D's
 * own key) keeps the certificate it replaces, with its root, in
 * D/previous/SERIAL/; the certificate of the pending rekey's key switches
 * D to that key and retires the old key (still encrypted), CSR,
 * certificate and root to D/previous/SERIAL/ (SERIAL: the old
 * certificate's, lower-case hex). The active paths of D never change
 * name. See kc/factory/factory.h. Called by factory.c (the key and CSR
 * of a rekey are made there, by kc_factory_init); kc_factory_own_dir also
 * by factory_crl_issuer.c (crl --intermediate reads D/previous/SERIAL).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "factory_int.h"

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* A directory of D's own: made (0700) when missing and make is set; an
 * existing one must be a directory (not a symbolic link: nothing is
 * written through one) owned by this user or root. */
int
kc_factory_own_dir(const char *path, int make)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return kc_err(KC_ERR_IO, "%s: %s", path,
			    strerror(errno));
		return make ? kc_dir_ensure(path, 0700) : KC_OK;
	}
	if (S_ISLNK(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s is a symbolic link; refusing "
		    "to follow it", path);
	if (!S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s is not a directory", path);
	if (st.st_uid != getuid() && st.st_uid != 0)
		return kc_err(KC_ERR_POLICY, "%s is owned by uid %u, not by "
		    "this user; refusing it", path, (unsigned)st.st_uid);
	return KC_OK;
}

/* D/previous/SERIAL for certificate x, made (0700) when missing. */
static int
previous_dir(const char *dir, const X509 *x, char *out, size_t outsz)
{
	char base[PATH_MAX], *s;
	int rc;

	if ((s = kc_cert_serial_hex(x)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rc = kc_fname_join(base, sizeof(base), dir, KC_FACTORY_PREVIOUS)) ==
	    KC_OK)
		rc = kc_fname_join(out, outsz, base, s);
	free(s);
	if (rc == KC_OK && (rc = kc_factory_own_dir(base, 1)) == KC_OK)
		rc = kc_factory_own_dir(out, 1);
	return rc;
}

/* Copies src to dst (mode); a dst already holding the same bytes is
 * fine, other bytes are refused. */
static int
copy_keep(const char *src, const char *dst, mode_t mode)
{
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rc;

	if ((rc = kc_file_read(src, KC_FILE_MAX, &a, &alen)) != KC_OK)
		return rc;
	if (exists(dst)) {
		if ((rc = kc_file_read(dst, KC_FILE_MAX, &b, &blen)) == KC_OK &&
		    (blen != alen || memcmp(a, b, alen) != 0))
			rc = kc_err(KC_ERR_EXISTS, "%s already exists and is "
			    "not %s; refusing to replace a kept certificate",
			    dst, src);
	} else
		rc = kc_file_write(dst, a, alen, mode, KC_WRITE_EXCL);
	free(a);
	free(b);
	return rc;
}

int
kc_factory_retire_cert(const char *dir, const X509 *cert, char *retired,
    size_t n)
{
	char ipath[PATH_MAX], rpath[PATH_MAX], pd[PATH_MAX], dst[PATH_MAX];
	X509 *cur = NULL;
	int rc;

	retired[0] = '\0';
	if ((rc = kc_fname_join(ipath, sizeof(ipath), dir, "intermediate.pem")) ||
	    (rc = kc_fname_join(rpath, sizeof(rpath), dir, "root.pem")))
		return rc;
	if (!exists(ipath))
		return KC_OK;		/* the first install */
	if ((rc = kc_cert_load(ipath, &cur)) != KC_OK)
		return rc;
	if (X509_cmp(cur, cert) == 0)
		goto out;		/* the same certificate again */
	if ((rc = previous_dir(dir, cur, pd, sizeof(pd))) ||
	    (rc = kc_fname_join(dst, sizeof(dst), pd, "intermediate.pem")) ||
	    (rc = copy_keep(ipath, dst, 0644)))
		goto out;
	if (exists(rpath) &&
	    ((rc = kc_fname_join(dst, sizeof(dst), pd, "root.pem")) ||
	    (rc = copy_keep(rpath, dst, 0644))))
		goto out;
	snprintf(retired, n, "%s", pd);
out:
	X509_free(cur);
	return rc;
}

int
kc_factory_rekey_switch(const char *dir, char *retired, size_t n)
{
	static const char *const names[] = { "intermediate.key",
	    "intermediate.csr", "intermediate.pem", "root.pem" };
	char src[PATH_MAX], dst[PATH_MAX], pd[PATH_MAX], rk[PATH_MAX];
	X509 *cur = NULL;
	int rc;

	retired[0] = '\0';
	if ((rc = kc_fname_join(rk, sizeof(rk), dir, KC_FACTORY_REKEY)) ||
	    (rc = kc_fname_join(src, sizeof(src), dir, "intermediate.pem")))
		return rc;
	if (!exists(src))
		return kc_err(KC_ERR_NOTFOUND, "%s: no installed intermediate "
		    "to retire; a rekey needs the active one installed", src);
	if ((rc = kc_cert_load(src, &cur)) != KC_OK)
		return rc;
	rc = previous_dir(dir, cur, pd, sizeof(pd));
	X509_free(cur);
	if (rc != KC_OK || (rc = kc_fname_join(dst, sizeof(dst), pd,
	    "intermediate.key")) != KC_OK)
		return rc;
	if (exists(dst))
		return kc_err(KC_ERR_EXISTS, "%s already exists: that "
		    "intermediate was retired once; refusing to replace its "
		    "key", dst);
	/* the old set out, then the new key and CSR in; a name missing
	 * (root.pem of a damaged D) is left out */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((rc = kc_fname_join(src, sizeof(src), dir, names[i])) ||
		    (rc = kc_fname_join(dst, sizeof(dst), pd, names[i])))
			return rc;
		if (exists(src) && rename(src, dst) != 0)
			return kc_err(KC_ERR_IO, "cannot move %s to %s: %s",
			    src, dst, strerror(errno));
	}
	for (size_t i = 0; i < 2; i++) {
		if ((rc = kc_fname_join(src, sizeof(src), rk, names[i])) ||
		    (rc = kc_fname_join(dst, sizeof(dst), dir, names[i])))
			return rc;
		if (rename(src, dst) != 0)
			return kc_err(KC_ERR_IO, "cannot move %s to %s: %s (the "
			    "old key is in %s)", src, dst, strerror(errno), pd);
	}
	(void)rmdir(rk);
	snprintf(retired, n, "%s", pd);
	return KC_OK;
}

int
kc_factory_rekey_prepare(const char *dir, const char *subject, char *rk,
    size_t rksz)
{
	char path[PATH_MAX];
	X509 *cur = NULL;
	X509_NAME *name = NULL;
	int rc, same;

	if ((rc = kc_fname_join(rk, rksz, dir, KC_FACTORY_REKEY)) ||
	    (rc = kc_fname_join(path, sizeof(path), dir, "intermediate.key")))
		return rc;
	if (!exists(path))
		return kc_err(KC_ERR_NOTFOUND, "%s: no intermediate key to "
		    "replace; run factorysign init --dir %s without --rekey",
		    path, dir);
	if ((rc = kc_fname_join(path, sizeof(path), dir, "intermediate.pem")))
		return rc;
	if (!exists(path))
		return kc_err(KC_ERR_NOTFOUND, "%s: the active intermediate is "
		    "not installed yet; install it before a rekey", path);
	if ((rc = kc_fname_join(path, sizeof(path), rk, "intermediate.key")))
		return rc;
	if ((rc = kc_factory_own_dir(rk, 0)) != KC_OK)
		return rc;
	if (exists(path) || (kc_fname_join(path, sizeof(path), rk,
	    "intermediate.csr") == KC_OK && exists(path)))
		return kc_err(KC_ERR_EXISTS, "%s: a rekey is already pending; "
		    "install its certificate (factorysign install), or remove "
		    "%s to abandon it", path, rk);
	if ((rc = kc_fname_join(path, sizeof(path), dir, "intermediate.pem")) ||
	    (rc = kc_cert_load(path, &cur)) ||
	    (rc = kc_name_parse(subject, &name)))
		goto out;
	same = kc_name_der_equal(name, X509_get_subject_name(cur)) ||
	    X509_NAME_cmp(name, X509_get_subject_name(cur)) == 0;
	if (same) {
		rc = kc_err(KC_ERR_POLICY, "--subject %s is the subject of the "
		    "active intermediate %s; the new one needs a name of its "
		    "own (both are valid at once, and the root refuses two "
		    "valid CAs with one name)", subject, path);
		goto out;
	}
	rc = kc_factory_own_dir(rk, 1);
out:
	X509_free(cur);
	X509_NAME_free(name);
	return rc;
}

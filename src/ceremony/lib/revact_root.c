/*
 * revact_root.c: the root's revocation-actions.txt (kc/ceremony/crl.h):
 * built from a signed root CRL, the certificates in the CRL's directory
 * and the register, the same way when keyceremony crl writes it and when
 * the export checks the one in the state directory, so that the export
 * takes only the bytes it regenerates itself. The text is the core's
 * (src/core/revactions.c).
 *
 * What goes in, for every serial the CRL revokes (in the CRL's order,
 * with its revocation date and reason): the certificate itself when a
 * certificate file in the directory has that serial, the root's issuer
 * name and a signature that verifies under the root (then its subject,
 * issuer, dates and both thumbprints); otherwise what the register
 * recorded (subject, SHA-256, notAfter); otherwise the serial alone.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/ceremony/crl.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "kc/core/x509.h"

#define DIR_MAX_FILES 20000
#define DIR_MAX_CERTS 20000

struct certs {
	X509	**v;
	size_t	  n;
};

static void
certs_free(struct certs *c)
{
	for (size_t i = 0; i < c->n; i++)
		X509_free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static int
certs_push(struct certs *c, X509 *x)
{
	X509 **nv;

	if (c->n >= DIR_MAX_CERTS || (nv = realloc(c->v, (c->n + 1) *
	    sizeof(*nv))) == NULL) {
		X509_free(x);
		return c->n >= DIR_MAX_CERTS ? KC_OK : kc_err(KC_ERR_NOMEM,
		    "out of memory");
	}
	c->v = nv;
	c->v[c->n++] = x;
	return KC_OK;
}

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcasecmp(s + n - m, suf) == 0;
}

/* Every certificate in the file's bytes: PEM (each CERTIFICATE block) or
 * one DER certificate. Anything else adds nothing. */
static int
certs_from(struct certs *c, const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x;
	int rc = KC_OK;

	if (len > 0 && buf[0] == 0x30) {
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    p == buf + len)
			return certs_push(c, x);
		X509_free(x);
		ERR_clear_error();
		return KC_OK;
	}
	{
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		if (b == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		while (rc == KC_OK && (x = PEM_read_bio_X509(b, NULL, NULL,
		    NULL)) != NULL)
			rc = certs_push(c, x);
		BIO_free(b);
		ERR_clear_error();
	}
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The certificates of dir's *.pem, *.crt, *.cer, *.der files, in name
 * order. A file that is not a regular file of ours (a link, a FIFO, a
 * foreign owner, too large) or holds no certificate adds nothing: this
 * is a search, and the export refuses such files on its own. */
static int
certs_of_dir(const char *dir, struct certs *c)
{
	DIR *dp;
	struct dirent *d;
	char **names = NULL;
	size_t n = 0;
	int rc = KC_OK;

	if ((dp = opendir(dir)) == NULL)
		return kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
	while ((d = readdir(dp)) != NULL && rc == KC_OK) {
		char **nv;
		if (d->d_name[0] == '.' || !(ends_with(d->d_name, ".pem") ||
		    ends_with(d->d_name, ".crt") ||
		    ends_with(d->d_name, ".cer") ||
		    ends_with(d->d_name, ".der")))
			continue;
		if (n >= DIR_MAX_FILES)
			break;
		if ((nv = realloc(names, (n + 1) * sizeof(*nv))) == NULL ||
		    (nv[n] = strdup(d->d_name)) == NULL) {
			if (nv != NULL)
				names = nv;
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			break;
		}
		names = nv;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		unsigned char *buf = NULL;
		struct stat st;
		int fd = openat(dirfd(dp), names[i], O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);

		if (fd == -1)
			continue;
		if (kc_file_check_fd(fd, names[i], "certificate",
		    KC_FILE_MAX, &st) == KC_OK &&
		    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
			ssize_t got = read(fd, buf, (size_t)st.st_size);
			if (got == st.st_size)
				rc = certs_from(c, buf, (size_t)got);
		}
		kc_err_clear();
		free(buf);
		close(fd);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return rc;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* The certificate of dir with this serial that the root issued. */
static const X509 *
find_issued(const struct certs *c, const X509 *root, const char *serial)
{
	for (size_t i = 0; i < c->n; i++) {
		char *s = kc_cert_serial_hex(c->v[i]);
		int same = s != NULL && strcmp(s, serial) == 0;

		free(s);
		if (!same || X509_cmp(c->v[i], root) == 0 ||
		    X509_NAME_cmp(X509_get_issuer_name(c->v[i]),
		    X509_get_subject_name(root)) != 0)
			continue;
		if (X509_verify(c->v[i], X509_get0_pubkey(root)) == 1)
			return c->v[i];
		ERR_clear_error();
	}
	return NULL;
}

static int
parse_crl(const unsigned char *buf, size_t len, const char *disp,
    X509_CRL **out)
{
	const unsigned char *p = buf;
	BIO *b;

	*out = NULL;
	if (len > 0 && buf[0] == 0x30) {
		*out = d2i_X509_CRL(NULL, &p, (long)len);
	} else if ((b = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		*out = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (*out == NULL)
		return kc_err_ssl(KC_ERR_INPUT, "%s: not a CRL", disp);
	return KC_OK;
}

/* One revoked entry of the CRL as the core wants it. */
static int
entry_of(const X509_REVOKED *r, const struct certs *dirc, const X509 *root,
    struct kc_register *reg, const char *ca, struct kc_revact_cert *c,
    struct kc_reg_entry *e, char **serial)
{
	ASN1_ENUMERATED *reason;
	const X509 *x;
	int crit = 0;

	memset(c, 0, sizeof(*c));
	if ((*serial = kc_serial_hex(X509_REVOKED_get0_serialNumber(r))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	c->revoked_at = asn1_time(X509_REVOKED_get0_revocationDate(r));
	c->reason = KC_REASON_NONE;
	if ((reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit,
	    NULL)) != NULL) {
		c->reason = (int)ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
	}
	ERR_clear_error();
	c->serial = *serial;
	memset(e, 0, sizeof(*e));
	if (reg != NULL && kc_register_find(reg, ca, *serial, e) != KC_OK) {
		kc_err_clear();
		memset(e, 0, sizeof(*e));
	}
	if ((x = find_issued(dirc, root, *serial)) != NULL) {
		c->cert = x;
		c->kind = X509_check_ca((X509 *)x) ? KC_REVACT_CA :
		    KC_REVACT_OTHER;
		return KC_OK;
	}
	if (e->serial[0] != '\0') {
		c->subject = e->subject;
		c->sha256 = e->sha256[0] ? e->sha256 : NULL;
		c->not_after = e->not_after;
		c->kind = e->kind == KC_REG_INTERMEDIATE ? KC_REVACT_CA :
		    KC_REVACT_OTHER;
	} else {
		/* a root issues CA certificates; say what is needed for one */
		c->kind = KC_REVACT_CA;
	}
	return KC_OK;
}

int
kc_revact_root_text(const char *dir, const char *crl_name,
    const unsigned char *crl_buf, size_t crl_len, const X509 *root,
    struct kc_register *reg, char **text, size_t *len)
{
	STACK_OF(X509_REVOKED) *rev;
	struct kc_revact_cert *items = NULL;
	struct kc_reg_entry *ents = NULL;
	struct kc_revact_req req;
	struct certs dirc = { NULL, 0 };
	X509_CRL *crl = NULL;
	ASN1_INTEGER *num = NULL;
	char **serials = NULL, ca[65], sha[65], disp[PATH_MAX];
	size_t n = 0;
	int rc;

	*text = NULL;
	*len = 0;
	snprintf(disp, sizeof(disp), "%s/%s", dir, crl_name);
	if ((rc = parse_crl(crl_buf, crl_len, disp, &crl)) != KC_OK)
		return rc;
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(root)) != 0 ||
	    X509_CRL_verify(crl, X509_get0_pubkey(root)) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_CRYPTO, "%s: not a CRL of the root", disp);
		goto out;
	}
	if ((num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL)) ==
	    NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: the CRL has no CRL number", disp);
		goto out;
	}
	if ((rc = kc_cert_fingerprint(root, NULL, ca)) != KC_OK ||
	    (rc = certs_of_dir(dir, &dirc)) != KC_OK)
		goto out;
	kc_sha256_hex(crl_buf, crl_len, sha);
	rev = X509_CRL_get_REVOKED(crl);
	n = rev != NULL ? (size_t)sk_X509_REVOKED_num(rev) : 0;
	if (n > 0 && ((items = calloc(n, sizeof(*items))) == NULL ||
	    (ents = calloc(n, sizeof(*ents))) == NULL ||
	    (serials = calloc(n, sizeof(*serials))) == NULL)) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = entry_of(sk_X509_REVOKED_value(rev, (int)i), &dirc,
		    root, reg, ca, &items[i], &ents[i], &serials[i])) != KC_OK)
			goto out;
	memset(&req, 0, sizeof(req));
	req.writer = "keyceremony crl";
	req.issuer = root;
	req.crl_file = crl_name;
	req.crl_number = (long long)ASN1_INTEGER_get(num);
	req.crl_sha256 = sha;
	req.written = asn1_time(X509_CRL_get0_lastUpdate(crl));
	req.certs = items;
	req.n = n;
	rc = kc_revact_text(&req, text, len);
out:
	for (size_t i = 0; serials != NULL && i < n; i++)
		free(serials[i]);
	free(serials);
	free(items);
	free(ents);
	certs_free(&dirc);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	return rc;
}

/* The root that signed crl among the certificates of dir: a CA whose
 * subject is the CRL's issuer and whose key verifies it. */
static const X509 *
find_root(const struct certs *c, X509_CRL *crl)
{
	for (size_t i = 0; i < c->n; i++) {
		if (X509_NAME_cmp(X509_get_subject_name(c->v[i]),
		    X509_CRL_get_issuer(crl)) != 0 || !X509_check_ca(c->v[i]))
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(c->v[i])) == 1)
			return c->v[i];
		ERR_clear_error();
	}
	return NULL;
}

int
kc_revact_root_check(const char *dir, const char *disp,
    const unsigned char *buf, size_t len)
{
	struct kc_register *reg = NULL;
	struct certs dirc = { NULL, 0 };
	X509_CRL *crl = NULL;
	unsigned char *cbuf = NULL;
	char crl_name[256], sha[65], got[65], path[PATH_MAX], *text = NULL;
	char regpath[PATH_MAX];
	const X509 *root;
	struct stat st;
	long long number;
	size_t clen = 0, tlen = 0;
	int rc;

	if ((rc = kc_revact_header((const char *)buf, len, disp, crl_name,
	    &number, sha)) != KC_OK)
		return rc;
	if (crl_name[0] == '.' || strchr(crl_name, '/') != NULL ||
	    strchr(crl_name, '\\') != NULL)
		return kc_err(KC_ERR_INPUT, "%s: names the CRL %s, not a file "
		    "of the state directory", disp, crl_name);
	snprintf(path, sizeof(path), "%s/%s", dir, crl_name);
	if ((rc = kc_file_read(path, KC_FILE_MAX, &cbuf, &clen)) != KC_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return kc_err(KC_ERR_POLICY, "%s: the CRL it goes with cannot "
		    "be read (%s)", disp, msg);
	}
	kc_sha256_hex(cbuf, clen, got);
	if (strcmp(got, sha) != 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: says its CRL %s has SHA-256 "
		    "%s, but that file has %s", disp, crl_name, sha, got);
		goto out;
	}
	if ((rc = parse_crl(cbuf, clen, path, &crl)) != KC_OK ||
	    (rc = certs_of_dir(dir, &dirc)) != KC_OK)
		goto out;
	if ((root = find_root(&dirc, crl)) == NULL) {
		rc = kc_err(KC_ERR_POLICY, "%s: no root certificate in %s "
		    "verifies its CRL %s", disp, dir, crl_name);
		goto out;
	}
	snprintf(regpath, sizeof(regpath), "%s/%s", dir, KC_REGISTER_FILE);
	if (lstat(regpath, &st) == 0 &&
	    (rc = kc_register_open(dir, 0, &reg)) != KC_OK)
		goto out;
	if ((rc = kc_revact_root_text(dir, crl_name, cbuf, clen, root, reg,
	    &text, &tlen)) != KC_OK)
		goto out;
	if (tlen != len || memcmp(text, buf, len) != 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: is not what keyceremony writes "
		    "for the CRL %s (number %lld) and the certificates and "
		    "register of %s: it was changed", disp, crl_name, number,
		    dir);
		goto out;
	}
	rc = KC_OK;
out:
	kc_register_close(reg);
	certs_free(&dirc);
	X509_CRL_free(crl);
	free(cbuf);
	free(text);
	return rc;
}

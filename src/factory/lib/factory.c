/*
 * factory.c: factorysign's state directory, intermediate key, install,
 * and the issue path (checks, ledger, outputs, durability). See
 * kc/factory.h for the contract; the DER work is in factory_fast.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "kc/core/dps.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

struct kc_factory {
	char		*dir;
	EVP_PKEY	*key;
	X509		*inter, *root;
	struct kc_signer sg;
	struct kc_ledger *ledger;
	struct kc_buf	 inter_pem, root_pem;
	int		 checked;	/* bit 1 << keyenc: the first certificate
					   of each shape was re-checked */
	int		 batch, commit_every, pending;
	char		*pending_dir;	/* out dir with unsynced files */
	struct kc_fwriter *writer;	/* batch: writes the files */
	long		 lost;		/* issued, then rolled back */
	long long	 batch_rowid;	/* ledger rows after it: this batch */
	char		*abs_src, *abs_dir;	/* realpath(abs_src) cached */
};

static int
path_join(char *out, size_t outsz, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", dir, name) >= outsz)
		return kc_err(KC_ERR_USAGE, "%s/%s: path too long", dir, name);
	return KC_OK;
}

int
kc_format_parse(const char *list, unsigned *out)
{
	char word[16];
	const char *p = list;

	*out = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(word))
			return kc_err(KC_ERR_USAGE, "--format '%s': expected a "
			    "comma list of pem, pfx, c, at", list);
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcmp(word, "pem") == 0)
			*out |= KC_FMT_PEM;
		else if (strcmp(word, "pfx") == 0)
			*out |= KC_FMT_PFX;
		else if (strcmp(word, "c") == 0)
			*out |= KC_FMT_C;
		else if (strcmp(word, "at") == 0)
			*out |= KC_FMT_AT;
		else
			return kc_err(KC_ERR_USAGE, "--format: unknown format "
			    "'%s' (use pem, pfx, c, at)", word);
		p += n + (p[n] == ',');
	}
	if (*out == 0)
		return kc_err(KC_ERR_USAGE, "--format: empty list");
	return KC_OK;
}

static int
der_pem(struct kc_buf *b, const X509 *x)
{
	unsigned char *der = NULL;
	int n, rc;

	if ((n = i2d_X509(x, &der)) <= 0)
		return kc_err_ssl(KC_ERR_CRYPTO, "certificate encoding");
	rc = kc_buf_pem(b, "CERTIFICATE", der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return (time_t)-1;
	return timegm(&tm);
}

static void
fmt_date(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* --- init ------------------------------------------------------------------ */

int
kc_factory_init(const char *dir, const char *subject, enum kc_alg alg,
    const struct kc_secret *pass, char **csr_path)
{
	char kpath[PATH_MAX], cpath[PATH_MAX];
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	struct kc_buf kb = { 0 }, cb = { 0 };
	unsigned char *der = NULL;
	int n, rc;

	if (csr_path != NULL)
		*csr_path = NULL;
	/* only when the key is made: factories made with a weaker one still
	 * open */
	if ((rc = kc_secret_check_strength(pass, KC_PASS_MIN_FACTORY,
	    "passphrase of the intermediate key")) != KC_OK)
		return rc;
	if ((rc = kc_name_parse(subject, &name)) != KC_OK)
		return rc;
	if ((rc = path_join(kpath, sizeof(kpath), dir, "intermediate.key")) ||
	    (rc = path_join(cpath, sizeof(cpath), dir, "intermediate.csr")))
		goto out;
	if ((rc = kc_dir_ensure(dir, 0700)) != KC_OK ||
	    (rc = kc_file_check_absent(kpath)) != KC_OK ||
	    (rc = kc_file_check_absent(cpath)) != KC_OK)
		goto out;
	switch (alg) {
	case KC_ALG_EC_P256:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case KC_ALG_EC_P384:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case KC_ALG_RSA_3072:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case KC_ALG_RSA_4096:
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	default:
		rc = kc_err(KC_ERR_USAGE, "--algorithm %s cannot be generated "
		    "(use ec-p256, ec-p384, rsa-3072 or rsa-4096)",
		    kc_alg_name(alg));
		goto out;
	}
	if (key == NULL) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key generation failed");
		goto out;
	}
	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    X509_REQ_sign(req, key, kc_alg_digest(alg)) <= 0 ||
	    X509_REQ_verify(req, key) != 1) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot make the intermediate "
		    "CSR");
		goto out;
	}
	if ((n = i2d_X509_REQ(req, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "CSR encoding");
		goto out;
	}
	if ((rc = kc_buf_pem(&cb, "CERTIFICATE REQUEST", der, (size_t)n)) ||
	    (rc = kc_key_pem(key, pass, KC_KEYENC_SCRYPT, &kb)) != KC_OK)
		goto out;
	if ((rc = kc_file_write(kpath, kb.p, kb.len, 0600, KC_WRITE_EXCL)))
		goto out;
	if ((rc = kc_file_write(cpath, cb.p, cb.len, 0644, KC_WRITE_EXCL))) {
		unlink(kpath);
		goto out;
	}
	if (csr_path != NULL && (*csr_path = strdup(cpath)) == NULL)
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
out:
	OPENSSL_free(der);
	kc_buf_free(&kb);
	kc_buf_free(&cb);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}

/* --- install --------------------------------------------------------------- */

static int
load_csr_key(const char *dir, EVP_PKEY **out)
{
	char path[PATH_MAX];
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	if ((rc = path_join(path, sizeof(path), dir, "intermediate.csr")))
		return rc;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		return kc_err(KC_ERR_NOTFOUND, "%s: %s (run factorysign init "
		    "first)", path, strerror(errno));
	}
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (req == NULL || (*out = X509_REQ_get_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, *out) != 1) {
		ERR_clear_error();
		EVP_PKEY_free(*out);
		*out = NULL;
		X509_REQ_free(req);
		return kc_err(KC_ERR_INPUT, "%s: not a valid CSR", path);
	}
	X509_REQ_free(req);
	return KC_OK;
}

static int
check_current(const X509 *x, const char *what, time_t now)
{
	char d[40];
	time_t nb = asn1_time(X509_get0_notBefore(x));
	time_t na = asn1_time(X509_get0_notAfter(x));

	if (nb == (time_t)-1 || na == (time_t)-1)
		return kc_err(KC_ERR_INPUT, "%s: unreadable validity", what);
	if (now < nb) {
		fmt_date(nb, d, sizeof(d));
		return kc_err(KC_ERR_POLICY, "%s is not valid yet (from %s); "
		    "check the clock", what, d);
	}
	if (now >= na) {
		fmt_date(na, d, sizeof(d));
		return kc_err(KC_ERR_POLICY, "%s expired on %s; install a "
		    "renewed certificate", what, d);
	}
	return KC_OK;
}

int
kc_factory_install(const char *dir, const char *cert_path,
    const char *root_path, struct kc_factory_install_info *info)
{
	char ipath[PATH_MAX], rpath[PATH_MAX], hex[65];
	EVP_PKEY *mine = NULL;
	X509 *cert = NULL, *root = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *none = NULL;
	struct kc_buf ib = { 0 }, rb = { 0 };
	char *s;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = path_join(ipath, sizeof(ipath), dir, "intermediate.pem")) ||
	    (rc = path_join(rpath, sizeof(rpath), dir, "root.pem")) ||
	    (rc = load_csr_key(dir, &mine)) ||
	    (rc = kc_cert_load(cert_path, &cert)) ||
	    (rc = kc_cert_load(root_path, &root)))
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), mine) != 1) {
		rc = kc_err(KC_ERR_POLICY, "%s: its public key is not the key "
		    "of %s (wrong certificate, or signed for another factory)",
		    cert_path, dir);
		goto out;
	}
	if (X509_check_ca(cert) < 1) {
		rc = kc_err(KC_ERR_POLICY, "%s is not a CA certificate; it "
		    "cannot sign devices", cert_path);
		goto out;
	}
	if (X509_check_issued(root, root) != X509_V_OK ||
	    X509_check_ca(root) < 1) {
		rc = kc_err(KC_ERR_POLICY, "%s is not a self-signed CA "
		    "certificate (give the root)", root_path);
		goto out;
	}
	if ((rc = check_current(root, root_path, time(NULL))) != KC_OK ||
	    (rc = check_current(cert, cert_path, time(NULL))) != KC_OK)
		goto out;
	if (X509_get0_subject_key_id(cert) == NULL) {
		rc = kc_err(KC_ERR_POLICY, "%s has no subjectKeyIdentifier",
		    cert_path);
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    !X509_STORE_add_cert(store, root) ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    (none = sk_X509_new_null()) == NULL ||
	    !X509_STORE_CTX_init(ctx, store, cert, none)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "verification setup");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(ctx) != 1) {
		rc = kc_err(KC_ERR_POLICY, "%s does not verify against %s: %s",
		    cert_path, root_path, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
		ERR_clear_error();
		goto out;
	}
	if ((rc = der_pem(&ib, cert)) || (rc = der_pem(&rb, root)) ||
	    (rc = kc_file_write(rpath, rb.p, rb.len, 0644, 0)) ||
	    (rc = kc_file_write(ipath, ib.p, ib.len, 0644, 0)))
		goto out;
	if ((s = kc_name_string(X509_get_subject_name(cert))) != NULL) {
		snprintf(info->subject, sizeof(info->subject), "%s", s);
		free(s);
	}
	if ((s = kc_name_string(X509_get_subject_name(root))) != NULL) {
		snprintf(info->root_subject, sizeof(info->root_subject), "%s",
		    s);
		free(s);
	}
	info->not_after = asn1_time(X509_get0_notAfter(cert));
	kc_cert_fingerprint(cert, info->fingerprint, hex);
out:
	kc_buf_free(&ib);
	kc_buf_free(&rb);
	sk_X509_free(none);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	X509_free(root);
	EVP_PKEY_free(mine);
	return rc;
}

/* --- open / close ----------------------------------------------------------- */

static int
load_installed(const char *dir, const char *name, X509 **out)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = path_join(path, sizeof(path), dir, name)) != KC_OK)
		return rc;
	if (access(path, F_OK) != 0)
		return kc_err(KC_ERR_NOTFOUND, "%s: the intermediate is not "
		    "installed (%s missing; run factorysign install)", dir,
		    name);
	return kc_cert_load(path, out);
}

int
kc_factory_open(const char *dir, const struct kc_secret *pass,
    struct kc_factory **out)
{
	struct kc_factory *f;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->dir = strdup(dir)) == NULL) {
		free(f);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if ((rc = path_join(path, sizeof(path), dir, "intermediate.key")))
		goto fail;
	if (access(path, F_OK) != 0) {
		rc = kc_err(KC_ERR_NOTFOUND, "%s: no intermediate key (%s); "
		    "run factorysign init --dir %s", dir, path, dir);
		goto fail;
	}
	if ((rc = load_installed(dir, "intermediate.pem", &f->inter)) ||
	    (rc = load_installed(dir, "root.pem", &f->root)))
		goto fail;
	if ((rc = kc_key_load(path, pass, &f->key)) != KC_OK)
		goto fail;
	if (X509_check_private_key(f->inter, f->key) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_POLICY, "%s/intermediate.pem does not belong "
		    "to %s", dir, path);
		goto fail;
	}
	if ((rc = check_current(f->inter, "the intermediate certificate",
	    time(NULL))) != KC_OK)
		goto fail;
	if ((rc = kc_signer_init(&f->sg, f->key, f->inter)) != KC_OK ||
	    (rc = der_pem(&f->inter_pem, f->inter)) != KC_OK ||
	    (rc = der_pem(&f->root_pem, f->root)) != KC_OK)
		goto fail;
	if ((rc = path_join(path, sizeof(path), dir, "ledger.sqlite")) ||
	    (rc = kc_ledger_open(path, 1, &f->ledger)))
		goto fail;
	*out = f;
	return KC_OK;
fail:
	kc_factory_close(f);
	return rc;
}

static int
sync_outputs(struct kc_factory *f)
{
	int fd, rc = KC_OK;

	if (f->writer != NULL && (rc = kc_fwriter_wait(f->writer)) != KC_OK)
		return rc;
	if (f->pending_dir == NULL)
		return KC_OK;
	if ((fd = open(f->pending_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1)
		return kc_err(KC_ERR_IO, "%s: %s", f->pending_dir,
		    strerror(errno));
	/* one syncfs for all the files of the batch (data and directory
	 * entries) instead of an fsync per file */
	if (syncfs(fd) == -1)
		rc = kc_err(KC_ERR_IO, "sync %s: %s", f->pending_dir,
		    strerror(errno));
	close(fd);
	if (rc == KC_OK) {
		free(f->pending_dir);
		f->pending_dir = NULL;
	}
	return rc;
}

/* Makes the pending rows durable: outputs written (the writer's queue
 * drained) and on disk first, then the ledger commit (the durability
 * point). */
static int
flush(struct kc_factory *f)
{
	int rc;

	if ((rc = sync_outputs(f)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_commit(f->ledger)) != KC_OK)
		return rc;
	f->pending = 0;
	return KC_OK;
}

/* A batch cannot go on as it was: the rows since the last commit are
 * rolled back (their files, if written, stay as unrecorded outputs that a
 * rerun replaces). Returns rc. */
static int
batch_fail(struct kc_factory *f, int rc)
{
	if (f->writer != NULL)
		kc_fwriter_reset(f->writer);
	if (kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	f->lost += f->pending;
	f->pending = 0;
	return rc;
}

void
kc_factory_close(struct kc_factory *f)
{
	if (f == NULL)
		return;
	if (f->ledger != NULL && kc_ledger_in_transaction(f->ledger) &&
	    flush(f) != KC_OK)
		batch_fail(f, KC_OK);
	kc_fwriter_free(f->writer);
	kc_ledger_close(f->ledger);
	kc_signer_clear(&f->sg);
	kc_buf_free(&f->inter_pem);
	kc_buf_free(&f->root_pem);
	EVP_PKEY_free(f->key);
	X509_free(f->inter);
	X509_free(f->root);
	free(f->pending_dir);
	free(f->abs_src);
	free(f->abs_dir);
	free(f->dir);
	free(f);
}

const X509 *kc_factory_intermediate(const struct kc_factory *f)
{ return f->inter; }
const X509 *kc_factory_root(const struct kc_factory *f)
{ return f->root; }
const char *kc_factory_dir(const struct kc_factory *f)
{ return f->dir; }
struct kc_ledger *kc_factory_ledger(struct kc_factory *f)
{ return f->ledger; }

int
kc_factory_clean_tmp(const char *out_dir, long *removed)
{
	static const char *const suffixes[] = { ".cert.pem", ".chain.pem",
	    ".full-chain.pem", ".key.pem", ".pfx", ".c", ".at", ".at.sha256" };
	struct dirent *de;
	DIR *d;

	*removed = 0;
	if ((d = opendir(out_dir)) == NULL)
		return kc_err(KC_ERR_IO, "%s: %s", out_dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		const char *t = strstr(de->d_name, ".tmp-");
		char path[PATH_MAX];
		int ours = 0;

		if (t == NULL || strlen(t + 5) != 16 ||
		    strspn(t + 5, "0123456789abcdef") != 16)
			continue;
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes);
		    i++) {
			size_t sl = strlen(suffixes[i]);
			if ((size_t)(t - de->d_name) > sl &&
			    strncmp(t - sl, suffixes[i], sl) == 0)
				ours = 1;
		}
		if (!ours || (size_t)snprintf(path, sizeof(path), "%s/%s",
		    out_dir, de->d_name) >= sizeof(path))
			continue;
		if (unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
	return KC_OK;
}

int
kc_factory_batch_begin(struct kc_factory *f, int commit_every)
{
	int rc;

	if (f->writer == NULL &&
	    (rc = kc_fwriter_new(KC_FACTORY_QUEUE, &f->writer)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_last_rowid(f->ledger, &f->batch_rowid)) != KC_OK)
		return rc;
	f->batch = 1;
	f->lost = 0;
	f->commit_every = commit_every > 0 ? commit_every : 1000;
	return KC_OK;
}

int
kc_factory_batch_end(struct kc_factory *f, long *lost)
{
	int rc = KC_OK;

	if ((rc = flush(f)) != KC_OK)
		batch_fail(f, rc);
	kc_fwriter_free(f->writer);
	f->writer = NULL;
	f->batch = 0;
	if (lost != NULL)
		*lost = f->lost;
	return rc;
}

/* --- the issue path ------------------------------------------------------- */

/* CSR bytes, PEM or DER, to DER in out (malloc'd). */
static int csr_pem(const char *text, const char *name, unsigned char **out,
    size_t *out_len);

static int
csr_der(const unsigned char *in, size_t len, const char *name,
    unsigned char **out, size_t *out_len)
{
	char *text;
	int rc;

	*out = NULL;
	if (len > 0 && in[0] == 0x30) {
		if ((*out = malloc(len)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		memcpy(*out, in, len);
		*out_len = len;
		return KC_OK;
	}
	/* The string functions below need the NUL that kc_file_read()
	 * adds; a caller's buffer may not have it. */
	if (memchr(in, '\0', len) != NULL || (text = malloc(len + 1)) == NULL)
		return memchr(in, '\0', len) != NULL ? kc_err(KC_ERR_INPUT,
		    "%s: not a certificate signing request (neither PEM nor "
		    "DER)", name) : kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(text, in, len);
	text[len] = '\0';
	rc = csr_pem(text, name, out, out_len);
	free(text);
	return rc;
}

/* The one PEM CSR in text (NUL-terminated) to DER. */
static int
csr_pem(const char *text, const char *name, unsigned char **out,
    size_t *out_len)
{
	const char *b, *e, *body, *end_line;
	unsigned char *der, *q;
	size_t n = 0, pad = 0;
	unsigned char quad[4];
	int k = 0;

	if ((b = strstr(text, "-----BEGIN ")) == NULL)
		return kc_err(KC_ERR_INPUT, "%s: not a certificate signing "
		    "request (neither PEM nor DER)", name);
	if (strncmp(b, "-----BEGIN CERTIFICATE REQUEST-----", 35) == 0) {
		body = b + 35;
		end_line = "-----END CERTIFICATE REQUEST-----";
	} else if (strncmp(b, "-----BEGIN NEW CERTIFICATE REQUEST-----", 39)
	    == 0) {
		body = b + 39;
		end_line = "-----END NEW CERTIFICATE REQUEST-----";
	} else {
		int l = (int)strcspn(b + 11, "-\n");
		return kc_err(KC_ERR_INPUT, "%s: not a certificate signing "
		    "request (PEM '%.*s')", name, l > 40 ? 40 : l, b + 11);
	}
	if ((e = strstr(body, "-----END ")) == NULL)
		return kc_err(KC_ERR_INPUT, "%s: truncated PEM (no END line)",
		    name);
	/* Exactly one CSR: the matching END line, then only blank space. */
	if (strncmp(e, end_line, strlen(end_line)) != 0)
		return kc_err(KC_ERR_INPUT, "%s: damaged PEM (the END line "
		    "does not match the BEGIN line)", name);
	for (const char *p = e + strlen(end_line); *p != '\0'; p++)
		if (!isspace((unsigned char)*p))
			return kc_err(KC_ERR_INPUT, "%s: unexpected data after "
			    "the CSR's END line (one CSR per file)", name);
	if ((der = malloc((size_t)(e - body) / 4 * 3 + 3)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	q = der;
	for (const char *p = body; p < e; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (*p == '=')
			pad++;
		else if (pad > 0)
			goto bad;
		quad[k++] = (unsigned char)*p;
		if (k == 4) {
			if (EVP_DecodeBlock(q, quad, 4) != 3)
				goto bad;
			q += 3;
			n += 3;
			k = 0;
		}
	}
	if (k != 0 || pad > 2 || n < pad)
		goto bad;
	*out = der;
	*out_len = n - pad;
	return KC_OK;
bad:
	free(der);
	return kc_err(KC_ERR_INPUT, "%s: bad base64 in the PEM CSR", name);
}

static void
hexify(const unsigned char *b, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A fresh serial that is not in the ledger (nor among the uncommitted
 * rows: they are in the same transaction). */
static int
new_serial(struct kc_factory *f, unsigned char serial[KC_SERIAL_LEN],
    char hex[41])
{
	for (int tries = 0; tries < 8; tries++) {
		int r;
		if (RAND_bytes(serial, KC_SERIAL_LEN) != 1)
			return kc_err_ssl(KC_ERR_CRYPTO, "random serial");
		kc_serial_fix(serial, KC_SERIAL_LEN);
		hexify(serial, KC_SERIAL_LEN, hex);
		if (f == NULL)
			return KC_OK;
		if ((r = kc_ledger_serial_exists(f->ledger, hex)) == 0)
			return KC_OK;
		if (r < 0)
			return r;
	}
	return kc_err(KC_ERR_INTERNAL, "the random generator keeps repeating "
	    "serials; stop and check the system");
}

/* A device's validity: notBefore = now - backdate (seconds; 0: the
 * default KC_FACTORY_BACKDATE), never before the intermediate's
 * notBefore; notAfter = now + days, within the intermediate's. */
static int
validity(struct kc_factory *f, int days, int backdate, time_t *nb,
    time_t *na)
{
	time_t now = time(NULL);
	char d[40];
	int rc;

	if (backdate == 0)
		backdate = KC_FACTORY_BACKDATE;
	else if (backdate == KC_FACTORY_BACKDATE_NONE)
		backdate = 0;
	if (backdate < 0 || backdate > KC_FACTORY_BACKDATE_MAX)
		return kc_err(KC_ERR_USAGE, "--backdate %d out of range (0 to "
		    "%d seconds)", backdate, KC_FACTORY_BACKDATE_MAX);
	if ((rc = kc_validity(days, now, nb, na)) != KC_OK)
		return rc;
	if (*na > f->sg.ca_not_after) {
		fmt_date(f->sg.ca_not_after, d, sizeof(d));
		return kc_err(KC_ERR_POLICY, "--days %d: the certificate would "
		    "outlive the intermediate (valid until %s); at most %ld "
		    "days are possible", days, d,
		    (long)((f->sg.ca_not_after - now) / 86400));
	}
	*nb = now - backdate;
	if (*nb < f->sg.ca_not_before)
		*nb = f->sg.ca_not_before;
	return KC_OK;
}

/* Decodes the first certificate with OpenSSL, lints it and verifies its
 * signature: a bug in the builder stops the run before a second one. */
static int
self_check(struct kc_factory *f, const unsigned char *der, size_t len,
    enum kc_profile profile)
{
	const unsigned char *q = der;
	X509 *x;
	int rc = KC_OK;

	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL || q != der + len) {
		X509_free(x);
		return kc_err_ssl(KC_ERR_INTERNAL, "self-check: the signed "
		    "certificate does not decode (a bug)");
	}
	if ((rc = kc_cert_lint(x, f->inter, profile)) != KC_OK)
		rc = kc_err(KC_ERR_INTERNAL, "self-check: %s (a bug)",
		    kc_errmsg());
	else if (X509_verify(x, f->key) != 1)
		rc = kc_err_ssl(KC_ERR_INTERNAL, "self-check: the signature "
		    "does not verify (a bug)");
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/*
 * The output directory exists and is writable; a missing one is created
 * (0755, narrowed by the umask) when its parent exists, and the log says
 * so. Only the last component is made: a mistyped path deeper down stops.
 */
static int
out_dir_ready(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) != 0)
			return kc_err(KC_ERR_IO, "--out-dir %s does not exist "
			    "and cannot be created: %s%s", dir,
			    strerror(errno), errno == ENOENT ? " (its parent "
			    "directory must exist; only the last part is "
			    "created)" : "");
		if (stat(dir, &st) != 0)
			return kc_err(KC_ERR_IO, "%s: %s", dir,
			    strerror(errno));
		kc_log(KC_LOG_INFO, "created the output directory %s (mode "
		    "%04o)", dir, (unsigned)(st.st_mode & 07777));
	} else if (errno = 0, stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_IO, "%s: not a directory%s%s", dir,
		    errno == 0 ? "" : ": ", errno == 0 ? "" :
		    strerror(errno));
	if (access(dir, W_OK | X_OK) != 0)
		return kc_err(KC_ERR_IO, "%s: not writable: %s", dir,
		    strerror(errno));
	return KC_OK;
}

int
kc_factory_check_formats(const struct kc_factory_opts *o, int keys_here,
    int key_given)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;

	if (o->out_dir == NULL)
		return kc_err(KC_ERR_USAGE, "--out-dir is required");
	if ((fm & KC_FMT_PFX) && !keys_here && !key_given)
		return kc_err(KC_ERR_USAGE, "--format pfx needs the device's "
		    "private key: give it with --key (sign), or make the keys "
		    "here with factorysign issue");
	if (o->key_format != KC_KEYFMT_DEFAULT && (!keys_here ||
	    o->plain_keys))
		return kc_err(KC_ERR_USAGE, "--key-format sets how the device "
		    "keys made here (factorysign issue) are encrypted; it "
		    "does not go with %s", keys_here ? "--plain-keys" :
		    "keys made on the devices");
	if ((fm & KC_FMT_AT) && o->sec_tag < 0)
		return kc_err(KC_ERR_USAGE, "--format at needs --sec-tag");
	if (keys_here && (fm & (KC_FMT_C | KC_FMT_AT)) && !o->plain_keys)
		return kc_err(KC_ERR_USAGE, "--format c and at put the device "
		    "key in clear text into the file; add --plain-keys to "
		    "accept that");
	return KC_OK;
}

int
kc_factory_check_opts(struct kc_factory *f, const struct kc_factory_opts *o,
    int keys_here)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;
	time_t nb, na;
	int rc;

	if ((rc = kc_factory_check_formats(o, keys_here,
	    o->device_key != NULL)) != KC_OK)
		return rc;
	if ((fm & KC_FMT_PFX) && o->pfx_pass == NULL)
		return kc_err(KC_ERR_USAGE, "--format pfx needs a password "
		    "(--pfx-pass-file)");
	if (keys_here && !o->plain_keys && o->key_pass == NULL)
		return kc_err(KC_ERR_USAGE, "device keys are written encrypted: "
		    "give --key-pass-file (or --plain-keys)");
	if (keys_here && !o->plain_keys && (rc = kc_secret_check_strength(
	    o->key_pass, KC_PASS_MIN_DEVICE, "device key passphrase")) != KC_OK)
		return rc;
	if ((fm & KC_FMT_PFX) && (rc = kc_secret_check_strength(o->pfx_pass,
	    KC_PASS_MIN_DEVICE, "PKCS#12 password")) != KC_OK)
		return rc;
	if (f != NULL &&
	    (rc = validity(f, o->days ? o->days : KC_FACTORY_DAYS,
	    o->backdate, &nb, &na)))
		return rc;
	/* last, so that a bad option creates nothing */
	return out_dir_ready(o->out_dir);
}

/* Whether an existing OUT/ID.cert.pem may be replaced: it was written by
 * an interrupted run of this factory (our issuer, serial not recorded) or
 * it is the live certificate being reissued. */
static int
replaceable(struct kc_factory *f, const char *path, const char *reissue_serial)
{
	unsigned char *data = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *serial = NULL;
	int ok = 0;

	if (kc_file_read(path, KC_FILE_MAX, &data, &len) != KC_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(f->inter)) != 0 ||
	    (serial = kc_cert_serial_hex(x)) == NULL)
		goto out;
	if (reissue_serial != NULL && strcasecmp(serial, reissue_serial) == 0)
		ok = 1;
	else
		ok = kc_ledger_serial_exists(f->ledger, serial) == 0;
out:
	ERR_clear_error();
	free(serial);
	X509_free(x);
	BIO_free(bio);
	free(data);
	return ok;
}

struct subject_in {
	const unsigned char	*subject;	size_t subject_len;
	const unsigned char	*spki;		size_t spki_len;
	const unsigned char	*keybits;	size_t keybits_len;
	enum kc_alg		 alg;
	const char		*cn;
	char			 csr_sha256[65];
	EVP_PKEY		*key;	/* generated here, or NULL */
	const char		*ignored;
};

/* The live row of the device came from this input: the same CSR, or
 * (keys made here: a new key every run) a row whose key was made here. */
static int
same_input(const struct kc_ledger_row *live, const struct subject_in *in)
{
	if (in->key != NULL)
		return live->csr_sha256[0] == '\0';
	return in->csr_sha256[0] != '\0' &&
	    strcmp(live->csr_sha256, in->csr_sha256) == 0;
}

/* A rerun: the certificate of the live row instead of a new one. */
static int
ledger_cert(const struct kc_ledger_row *live, char shex[41],
    unsigned char **der, size_t *der_len)
{
	if ((*der = malloc(live->cert_der_len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(*der, live->cert_der, live->cert_der_len);
	*der_len = live->cert_der_len;
	snprintf(shex, 41, "%s", live->serial);
	return KC_OK;
}

/* A rerun: the files against the ledger, repaired (factory_rerun.c);
 * hashes recorded for an old row are committed now, or with the batch. */
static int
rerun_done(struct kc_factory *f, const struct kc_ledger_row *live,
    const struct kc_fjob *job, const char *absdir,
    struct kc_factory_result *res)
{
	const char *sl = strrchr(live->cert_path, '/');
	int n = 0, rc;

	if (sl != NULL && (strlen(absdir) != (size_t)(sl - live->cert_path) ||
	    strncmp(absdir, live->cert_path, strlen(absdir)) != 0))
		kc_log(KC_LOG_INFO, "%s: its files are in %.*s, where it was "
		    "issued (not in %s)", live->device_id,
		    (int)(sl - live->cert_path), live->cert_path, job->out_dir);
	if ((rc = kc_factory_rerun(f->ledger, live, job, &n)) != KC_OK ||
	    (!f->batch && (rc = kc_ledger_commit(f->ledger)) != KC_OK))
		return rc;
	res->outcome = n > 0 ? KC_FACTORY_REPAIRED : KC_FACTORY_SKIPPED;
	res->rewritten = n;
	snprintf(res->id, sizeof(res->id), "%s", live->device_id);
	snprintf(res->serial, sizeof(res->serial), "%s", live->serial);
	snprintf(res->cert_sha256, sizeof(res->cert_sha256), "%s",
	    live->cert_sha256);
	res->not_before = live->issued_at;
	res->not_after = live->not_after;
	return KC_OK;
}

/* The absolute path of out_dir (the ledger records absolute paths, so that
 * `ledger verify` works from any directory), cached for a batch. */
static int
abs_out_dir(struct kc_factory *f, const char *out_dir, const char **abs)
{
	char buf[PATH_MAX];

	if (f->abs_src == NULL || strcmp(f->abs_src, out_dir) != 0) {
		free(f->abs_src);
		free(f->abs_dir);
		f->abs_src = f->abs_dir = NULL;
		if (realpath(out_dir, buf) == NULL)
			return kc_err(KC_ERR_IO, "%s: %s", out_dir,
			    strerror(errno));
		if ((f->abs_src = strdup(out_dir)) == NULL ||
		    (f->abs_dir = strdup(buf)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*abs = f->abs_dir;
	return KC_OK;
}

static int
issue_one(struct kc_factory *f, const struct subject_in *in,
    const char *name, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;
	unsigned char serial[KC_SERIAL_LEN], *der = NULL;
	size_t der_len = 0;
	char shex[41], cert_path[PATH_MAX];
	const char *absdir = NULL;
	struct kc_ledger_row live, row;
	struct kc_buf leaf = { 0 }, chain = { 0 }, full = { 0 }, keyb = { 0 };
	struct kc_buf pfx = { 0 }, cfile = { 0 }, atf = { 0 }, plain = { 0 };
	struct kc_buf atsum = { 0 };
	char atwarn[sizeof(res->warn)] = "";
	struct kc_fjob *job = NULL;
	X509 *x = NULL;
	time_t nb, na;
	int rc, have_live = 0, r, fresh = 1, keyenc, key_in_c = 0, rerun;

	memset(&live, 0, sizeof(live));
	memset(&row, 0, sizeof(row));
	if ((rc = validity(f, o->days ? o->days : KC_FACTORY_DAYS,
	    o->backdate, &nb, &na)))
		return rc;
	if ((r = kc_ledger_begin(f->ledger)) != KC_OK)
		return r;
	if ((r = kc_ledger_find_id(f->ledger, in->cn, &live)) < 0) {
		rc = r;
		goto out;
	}
	have_live = r == 1;
	/* the files of that row may still be queued: let the writer catch
	 * up before looking at them */
	if (have_live && f->writer != NULL &&
	    (rc = kc_fwriter_wait(f->writer)) != KC_OK) {
		rc = batch_fail(f, rc);
		goto out;
	}
	/* the same input again: no new signature; the files are checked
	 * against the ledger and repaired (rerun_done) */
	rerun = have_live && o->resume && same_input(&live, in) &&
	    !(in->key != NULL && o->reissue);	/* issue --reissue: new keys */
	if (!rerun && have_live && f->batch && live.rowid > f->batch_rowid) {
		/* two CSRs of one device in a batch: which is the device's
		 * key cannot be told here, so the second one is not taken,
		 * also with --reissue */
		rc = kc_err(KC_ERR_EXISTS, "%s: device ID '%s' was issued "
		    "earlier in this batch from another CSR (serial %s); one "
		    "CSR per device ID in a batch", name, in->cn, live.serial);
		goto out;
	}
	if (!rerun && have_live && !o->reissue) {
		char d[40];
		fmt_date(live.issued_at, d, sizeof(d));
		rc = kc_err(KC_ERR_EXISTS, "%s: device ID '%s' was already "
		    "issued (serial %s, %s); a device ID is issued once (use "
		    "--reissue to replace it)", name, in->cn, live.serial, d);
		goto out;
	}
	if ((rc = abs_out_dir(f, o->out_dir, &absdir)) != KC_OK ||
	    (rc = kc_fname_path(absdir, in->cn, ".cert.pem", cert_path,
	    sizeof(cert_path))) != KC_OK)
		goto out;
	fresh = access(cert_path, F_OK) != 0;
	if (!rerun && !fresh && !replaceable(f, cert_path,
	    have_live ? live.serial : NULL)) {
		rc = kc_err(KC_ERR_EXISTS, "%s: %s already exists and is not an "
		    "unrecorded output of this factory; refusing to overwrite "
		    "it", name, cert_path);
		goto out;
	}
	keyenc = in->alg == KC_ALG_RSA_2048 || in->alg == KC_ALG_RSA_3072 ||
	    in->alg == KC_ALG_RSA_4096;
	if (rerun)
		rc = ledger_cert(&live, shex, &der, &der_len);
	else if ((rc = new_serial(f, serial, shex)) == KC_OK)
		rc = kc_signer_issue(&f->sg, in->subject, in->subject_len,
		    in->spki, in->spki_len, in->keybits, in->keybits_len,
		    keyenc, serial, nb, na, &der, &der_len);
	if (rc != KC_OK)
		goto out;
	if (!rerun && !(f->checked & (1 << keyenc))) {
		if ((rc = self_check(f, der, der_len, KC_PROFILE_DEVICE)))
			goto out;
		f->checked |= 1 << keyenc;
	}
	if ((rc = kc_buf_pem(&leaf, "CERTIFICATE", der, der_len)) ||
	    (rc = kc_buf_add(&chain, leaf.p, leaf.len)) ||
	    (rc = kc_buf_add(&chain, f->inter_pem.p, f->inter_pem.len)) ||
	    (rc = kc_buf_add(&full, chain.p, chain.len)) ||
	    (rc = kc_buf_add(&full, f->root_pem.p, f->root_pem.len)))
		goto out;
	if (in->key != NULL) {
		if ((rc = kc_key_pem(in->key, NULL, 0, &plain)) != KC_OK ||
		    (rc = kc_key_pem(in->key, o->plain_keys ? NULL :
		    o->key_pass, o->key_format == KC_KEYFMT_MBEDTLS2 ?
		    KC_KEYENC_PBKDF2_3DES : KC_KEYENC_PBKDF2_AES, &keyb)) !=
		    KC_OK)
			goto out;
	}
	if (fm & (KC_FMT_PFX | KC_FMT_C | KC_FMT_AT)) {
		struct kc_outputs out = { in->cn, leaf.p, leaf.len, chain.p,
		    chain.len, full.p, full.len, in->key != NULL ? in->key :
		    o->device_key, NULL, f->inter, f->root };
		const unsigned char *q = der;
		const char *kp = in->key != NULL ? plain.p : NULL;

		if ((fm & KC_FMT_PFX) &&
		    ((x = d2i_X509(NULL, &q, (long)der_len)) == NULL)) {
			rc = kc_err_ssl(KC_ERR_INTERNAL, "certificate decode");
			goto out;
		}
		if ((fm & KC_FMT_PFX) && out.key != NULL &&
		    X509_check_private_key(x, out.key) != 1) {
			ERR_clear_error();
			rc = kc_err(KC_ERR_POLICY, "%s: --key is not the key of "
			    "this CSR (its public key differs); the PKCS#12 "
			    "file would not work", name);
			goto out;
		}
		out.leaf = x;
		if ((fm & KC_FMT_PFX) &&
		    (rc = kc_format_pfx(&out, o->pfx_pass, &pfx)) != KC_OK)
			goto out;
		if ((fm & KC_FMT_C) &&
		    (rc = kc_format_c(&out, kp, &cfile)) != KC_OK)
			goto out;
		if ((fm & KC_FMT_AT) &&
		    (rc = kc_format_at(&out, kp, o->at_ca_pem, o->sec_tag,
		    o->strict_size, &atf, &atsum, atwarn, sizeof(atwarn),
		    res->at_sha256)) != KC_OK)
			goto out;
		key_in_c = kp != NULL;
	}
	/* the files, ID.cert.pem first: its presence tells a rerun whether
	 * the other files of this ID are ours */
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->name = strdup(name)) == NULL ||
	    (job->out_dir = strdup(o->out_dir)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(job->id, sizeof(job->id), "%s", in->cn);
	job->fresh = fresh;
	kc_sha256_hex(der, der_len, row.cert_sha256);
	if ((rc = kc_fjob_add(job, ".cert.pem", &leaf, 0644)) ||
	    (rc = kc_fjob_add(job, ".chain.pem", &chain, 0644)) ||
	    (rc = kc_fjob_add(job, ".full-chain.pem", &full, 0644)) ||
	    (keyb.p != NULL &&
	    (rc = kc_fjob_add(job, ".key.pem", &keyb, 0600))) ||
	    (pfx.p != NULL && (rc = kc_fjob_add(job, ".pfx", &pfx, 0600))) ||
	    (cfile.p != NULL && (rc = kc_fjob_add(job, ".c", &cfile,
	    key_in_c ? 0600 : 0644))) ||
	    (atf.p != NULL && (rc = kc_fjob_add(job, ".at", &atf,
	    key_in_c ? 0600 : 0644))) ||
	    (atsum.p != NULL && (rc = kc_fjob_add(job, ".at.sha256", &atsum,
	    0644))))
		goto out;
	if (rerun) {
		rc = rerun_done(f, &live, job, absdir, res);
		goto out;
	}
	if (f->pending_dir != NULL && strcmp(f->pending_dir, o->out_dir) != 0 &&
	    (rc = sync_outputs(f)) != KC_OK) {
		if (f->batch)
			rc = batch_fail(f, rc);
		goto out;
	}
	if (f->pending_dir == NULL &&
	    (f->pending_dir = strdup(o->out_dir)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The row first, then the files: the row becomes durable only with
	 * the commit below, after the files are written and synced. */
	memcpy(row.serial, shex, sizeof(shex));
	snprintf(row.device_id, sizeof(row.device_id), "%s", in->cn);
	memcpy(row.csr_sha256, in->csr_sha256, sizeof(row.csr_sha256));
	row.issued_at = nb;
	row.not_after = na;
	strcpy(row.kind, "device");
	strcpy(row.status, "issued");
	row.cert_path = cert_path;
	row.cert_der = der;
	row.cert_der_len = der_len;
	if (have_live && (rc = kc_ledger_supersede(f->ledger, live.serial)))
		goto out;
	if ((rc = kc_ledger_record(f->ledger, &row)) != KC_OK ||
	    (rc = kc_fjob_record(f->ledger, shex, job)) != KC_OK)
		goto out;
	if (f->writer != NULL) {
		/* a failure of an earlier device's files surfaces here */
		rc = kc_fwriter_put(f->writer, job);
		job = NULL;
		if (rc != KC_OK) {
			rc = batch_fail(f, rc);
			goto out;
		}
	} else if ((rc = kc_fjob_write(job)) != KC_OK)
		goto out;
	f->pending++;
	if (!f->batch || f->pending >= f->commit_every) {
		if ((rc = flush(f)) != KC_OK) {
			if (f->batch) {
				/* this device is reported failed, not
				 * issued: the others are the lost ones */
				f->pending--;
				rc = batch_fail(f, rc);
			} else {
				/* the row is lost with the rollback; the
				 * files stay as unrecorded output a rerun
				 * replaces */
				kc_ledger_rollback(f->ledger);
				f->pending = 0;
			}
			goto out;
		}
	}
	res->outcome = KC_FACTORY_ISSUED;
	snprintf(res->id, sizeof(res->id), "%s", in->cn);
	memcpy(res->serial, shex, sizeof(shex));
	memcpy(res->cert_sha256, row.cert_sha256, sizeof(row.cert_sha256));
	res->not_before = nb;
	res->not_after = na;
	snprintf(res->ignored, sizeof(res->ignored), "%s",
	    in->ignored != NULL ? in->ignored : "");
	memcpy(res->warn, atwarn, sizeof(res->warn));
out:
	/* not in a batch, a failed or skipped device leaves no row */
	if (!f->batch && kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	kc_fjob_free(job);
	kc_ledger_row_clear(&live);
	X509_free(x);
	free(der);
	kc_buf_free(&leaf);
	kc_buf_free(&chain);
	kc_buf_free(&full);
	kc_buf_free(&keyb);
	kc_buf_free(&plain);
	kc_buf_free(&pfx);
	kc_buf_free(&cfile);
	kc_buf_free(&atf);
	kc_buf_free(&atsum);
	return rc;
}

/* The CSR's form, subject and ID (everything but its signature and key,
 * which need the signer): c points into *der. */
static int
read_csr(const unsigned char *csr, size_t len, const char *name,
    const char *id, struct kc_fcsr *c, unsigned char **der, size_t *der_len)
{
	int rc;

	if ((rc = csr_der(csr, len, name, der, der_len)) != KC_OK)
		return rc;
	if ((rc = kc_fcsr_parse(*der, *der_len, name, c)) != KC_OK ||
	    (rc = kc_fcsr_check(c, name)) != KC_OK)
		return rc;
	if (id != NULL && strcmp(id, c->cn) != 0)
		return kc_err(KC_ERR_POLICY, "%s: --id '%s' does not match the "
		    "CSR's CN '%s'", name, id, c->cn);
	return KC_OK;
}

int
kc_factory_csr_precheck(const unsigned char *csr, size_t len,
    const char *name, const char *id)
{
	struct kc_fcsr c;
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc;

	rc = read_csr(csr, len, name, id, &c, &der, &der_len);
	free(der);
	return rc;
}

static int
take_csr(struct kc_factory *f, const unsigned char *csr, size_t len,
    const char *name, const char *id, struct kc_fcsr *c,
    unsigned char **der, size_t *der_len)
{
	int rc;

	if ((rc = read_csr(csr, len, name, id, c, der, der_len)) != KC_OK)
		return rc;
	return kc_fcsr_verify(&f->sg, c, name);
}

int
kc_factory_issue(struct kc_factory *f, const unsigned char *csr, size_t len,
    const char *name, const char *id, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	struct kc_fcsr c;
	struct subject_in in;
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = take_csr(f, csr, len, name, id, &c, &der, &der_len)))
		goto out;
	memset(&in, 0, sizeof(in));
	in.subject = c.subject, in.subject_len = c.subject_len;
	in.spki = c.spki, in.spki_len = c.spki_len;
	in.keybits = c.keybits, in.keybits_len = c.keybits_len;
	in.alg = c.alg;
	in.cn = c.cn;
	in.ignored = c.ignored;
	kc_sha256_hex(der, der_len, in.csr_sha256);
	rc = issue_one(f, &in, name, o, res);
out:
	free(der);
	return rc;
}

int
kc_factory_sign_mem(struct kc_factory *f, const unsigned char *csr,
    size_t len, const char *name, int days, char **pem, size_t *pem_len)
{
	struct kc_fcsr c;
	unsigned char *der = NULL, *cert = NULL, serial[KC_SERIAL_LEN];
	size_t der_len = 0, cert_len = 0;
	struct kc_buf b = { 0 };
	char shex[41];
	time_t nb, na;
	int rc, keyenc;

	*pem = NULL;
	if ((rc = validity(f, days ? days : KC_FACTORY_DAYS, 0, &nb, &na)) ||
	    (rc = take_csr(f, csr, len, name, NULL, &c, &der, &der_len)) ||
	    (rc = new_serial(NULL, serial, shex)) ||
	    (rc = kc_signer_issue(&f->sg, c.subject, c.subject_len, c.spki,
	    c.spki_len, c.keybits, c.keybits_len, c.alg != KC_ALG_EC_P256 &&
	    c.alg != KC_ALG_EC_P384, serial, nb, na, &cert, &cert_len)))
		goto out;
	keyenc = c.alg != KC_ALG_EC_P256 && c.alg != KC_ALG_EC_P384;
	if (!(f->checked & (1 << keyenc))) {
		if ((rc = self_check(f, cert, cert_len, KC_PROFILE_DEVICE)))
			goto out;
		f->checked |= 1 << keyenc;
	}
	if ((rc = kc_buf_pem(&b, "CERTIFICATE", cert, cert_len)) != KC_OK)
		goto out;
	*pem = b.p;
	*pem_len = b.len;
	b.p = NULL;
out:
	free(b.p);
	free(der);
	free(cert);
	return rc;
}

int
kc_factory_issue_keygen(struct kc_factory *f, const char *id,
    enum kc_alg alg, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	struct subject_in in;
	EVP_PKEY *key = NULL;
	X509_NAME *name = NULL;
	unsigned char *spki = NULL, *subj = NULL;
	int spki_len, subj_len, rc;
	const char *why;
	char dn[KC_FACTORY_ID_MAX + 8];

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	if (!kc_factory_id_ok(id, &why))
		return kc_err(KC_ERR_POLICY, "device ID '%s' is not a valid DPS "
		    "registration ID: %s", id, why);
	if (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384)
		return kc_err(KC_ERR_USAGE, "device keys made here are EC P-256 "
		    "or P-384");
	snprintf(dn, sizeof(dn), "/CN=%s", id);
	if ((rc = kc_name_parse(dn, &name)) != KC_OK)
		return rc;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    alg == KC_ALG_EC_P256 ? "P-256" : "P-384");
	if (key == NULL || (spki_len = i2d_PUBKEY(key, &spki)) <= 0 ||
	    (subj_len = i2d_X509_NAME(name, &subj)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "device key generation failed");
		goto out;
	}
	in.subject = subj, in.subject_len = (size_t)subj_len;
	in.spki = spki, in.spki_len = (size_t)spki_len;
	/* the BIT STRING is the last element of the SPKI: 03 len 00 point */
	{
		size_t pl = alg == KC_ALG_EC_P256 ? 65 : 97;
		if ((size_t)spki_len < pl + 1) {
			rc = kc_err(KC_ERR_INTERNAL, "unexpected SPKI");
			goto out;
		}
		in.keybits = spki + spki_len - pl;
		in.keybits_len = pl;
	}
	in.alg = alg;
	in.cn = id;
	in.key = key;
	rc = issue_one(f, &in, id, o, res);
out:
	OPENSSL_free(spki);
	OPENSSL_free(subj);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

int
kc_factory_verification(struct kc_factory *f, const char *code,
    const char *out, struct kc_factory_result *res)
{
	struct kc_cert_req req;
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct kc_ledger_row row;
	unsigned char serial[KC_SERIAL_LEN], *der = NULL;
	char shex[41], dn[160], *pem = NULL;
	size_t pem_len;
	time_t nb, na;
	int n = 0, rc;

	memset(res, 0, sizeof(*res));
	memset(&row, 0, sizeof(row));
	/* one rule with keyceremony verification sign */
	if ((rc = kc_verification_code_check(code)) != KC_OK)
		return rc;
	if ((rc = kc_file_check_absent(out)) != KC_OK)
		return rc;
	snprintf(dn, sizeof(dn), "/CN=%s", code);
	if ((rc = kc_name_parse(dn, &name)) != KC_OK ||
	    (rc = kc_validity(2, time(NULL), &nb, &na)) != KC_OK)
		goto out;
	if (na > f->sg.ca_not_after)
		na = f->sg.ca_not_after;
	/* the proof is the intermediate's signature; the subject key of the
	 * verification certificate is a throw-away key */
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key generation");
		goto out;
	}
	if ((rc = kc_ledger_begin(f->ledger)) != KC_OK ||
	    (rc = new_serial(f, serial, shex)) != KC_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.profile = KC_PROFILE_VERIFICATION;
	req.subject = name;
	req.subject_key = key;
	req.issuer = f->inter;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.not_before = nb;
	req.not_after = na;
	req.path_len = -1;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = kc_cert_sign(x, f->key, f->inter,
	    KC_PROFILE_VERIFICATION)) != KC_OK ||
	    (rc = kc_cert_pem(x, &pem, &pem_len)) != KC_OK)
		goto out;
	if ((n = i2d_X509(x, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "encoding");
		goto out;
	}
	if ((rc = kc_file_write(out, pem, pem_len, 0644, KC_WRITE_EXCL)))
		goto out;
	memcpy(row.serial, shex, sizeof(shex));
	snprintf(row.device_id, sizeof(row.device_id), "%s", code);
	kc_sha256_hex(der, (size_t)n, row.cert_sha256);
	row.issued_at = nb;
	row.not_after = na;
	strcpy(row.kind, "verification");
	strcpy(row.status, "issued");
	row.cert_path = (char *)(uintptr_t)out;
	row.cert_der = der;
	row.cert_der_len = (size_t)n;
	if ((rc = kc_ledger_record(f->ledger, &row)) != KC_OK ||
	    (rc = kc_ledger_commit(f->ledger)) != KC_OK) {
		unlink(out);
		goto out;
	}
	snprintf(res->id, sizeof(res->id), "%s", code);
	memcpy(res->serial, shex, sizeof(shex));
	memcpy(res->cert_sha256, row.cert_sha256, sizeof(row.cert_sha256));
	res->not_before = nb;
	res->not_after = na;
	res->outcome = KC_FACTORY_ISSUED;
out:
	if (kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	OPENSSL_free(der);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}

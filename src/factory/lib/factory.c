/*
 * factory.c: factorysign's state directory: init (the intermediate key and
 * its CSR), install (the intermediate and root certificates, checked), open
 * (key, certificates, signer, ledger: struct kc_factory) and close. See
 * kc/factory/factory.h for the contract. Batches and durability are in
 * factory_batch.c, the issue path in factory_issue.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "kc/factory/fnames.h"
#include "factory_int.h"

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
	if ((rc = kc_fname_join(kpath, sizeof(kpath), dir, "intermediate.key")) ||
	    (rc = kc_fname_join(cpath, sizeof(cpath), dir, "intermediate.csr")))
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

int
kc_factory_rekey(const char *dir, const char *subject, enum kc_alg alg,
    const struct kc_secret *pass, char **csr_path)
{
	char rk[PATH_MAX];
	int rc;

	if (csr_path != NULL)
		*csr_path = NULL;
	if ((rc = kc_factory_rekey_prepare(dir, subject, rk, sizeof(rk))) !=
	    KC_OK)
		return rc;
	if ((rc = kc_factory_init(rk, subject, alg, pass, csr_path)) != KC_OK)
		(void)rmdir(rk);	/* only when empty */
	return rc;
}

/* --- install --------------------------------------------------------------- */

/* The key of DIR/intermediate.csr (its self-signature checked). */
static int
load_csr_key(const char *dir, EVP_PKEY **out)
{
	char path[PATH_MAX];
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	if ((rc = kc_fname_join(path, sizeof(path), dir, "intermediate.csr")))
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
		kc_time_utc(nb, d);
		return kc_err(KC_ERR_POLICY, "%s is not valid yet (from %s); "
		    "check the clock", what, d);
	}
	if (now >= na) {
		kc_time_utc(na, d);
		return kc_err(KC_ERR_POLICY, "%s expired on %s; install a "
		    "renewed certificate", what, d);
	}
	return KC_OK;
}

/* The critical extensions an intermediate may carry: those every device
 * TLS stack processes. mbedTLS 2.28 refuses a chain with any other
 * critical extension (nameConstraints, certificatePolicies other than
 * anyPolicy, policyConstraints, ...), GnuTLS one with policyConstraints,
 * policyMappings or inhibitAnyPolicy; OpenSSL's verifier accepts them. */
static int
critical_ok(X509 *cert, const char *what)
{
	static const int known[] = { NID_basic_constraints, NID_key_usage,
	    NID_ext_key_usage, NID_subject_alt_name };
	char oid[80];

	for (int i = 0; i < X509_get_ext_count(cert); i++) {
		X509_EXTENSION *e = X509_get_ext(cert, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(e);
		int nid = OBJ_obj2nid(obj), ok = 0;

		if (!X509_EXTENSION_get_critical(e))
			continue;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= nid == known[k];
		if (ok)
			continue;
		if (nid != NID_undef)
			snprintf(oid, sizeof(oid), "%s", OBJ_nid2ln(nid));
		else if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			snprintf(oid, sizeof(oid), "(unreadable OID)");
		return kc_err(KC_ERR_POLICY, "%s carries the critical extension "
		    "%s, which device TLS stacks do not all process (mbedTLS "
		    "refuses any critical extension beyond basicConstraints, "
		    "keyUsage, extendedKeyUsage and subjectAltName): devices "
		    "could not verify their chain; have the root sign the "
		    "intermediate without it", what, oid);
	}
	return KC_OK;
}

int
kc_factory_install(const char *dir, const char *cert_path,
    const char *root_path, struct kc_factory_install_info *info)
{
	char ipath[PATH_MAX], rpath[PATH_MAX], rk[PATH_MAX], hex[65];
	EVP_PKEY *mine = NULL, *pending = NULL;
	X509 *cert = NULL, *root = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *none = NULL;
	struct kc_buf ib = { 0 }, rb = { 0 };
	char *s;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = kc_fname_join(ipath, sizeof(ipath), dir, "intermediate.pem")) ||
	    (rc = kc_fname_join(rpath, sizeof(rpath), dir, "root.pem")) ||
	    (rc = kc_fname_join(rk, sizeof(rk), dir, KC_FACTORY_REKEY)) ||
	    (rc = load_csr_key(dir, &mine)) ||
	    (rc = kc_cert_load(cert_path, &cert)) ||
	    (rc = kc_cert_load(root_path, &root)))
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), mine) != 1) {
		char pc[PATH_MAX];
		ERR_clear_error();
		if (kc_fname_join(pc, sizeof(pc), rk, "intermediate.csr") ==
		    KC_OK && access(pc, F_OK) == 0) {
			if ((rc = load_csr_key(rk, &pending)) != KC_OK)
				goto out;
			info->rekeyed = EVP_PKEY_eq(X509_get0_pubkey(cert),
			    pending) == 1;
			ERR_clear_error();
		}
		if (!info->rekeyed) {
			rc = kc_err(KC_ERR_POLICY, "%s: its public key is not "
			    "the key of %s%s%s (wrong certificate, or signed "
			    "for another factory)", cert_path, dir, pending !=
			    NULL ? " nor of its pending rekey " : "", pending !=
			    NULL ? rk : "");
			goto out;
		}
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
	if ((rc = critical_ok(cert, cert_path)) != KC_OK)
		goto out;
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
	if ((rc = der_pem(&ib, cert)) || (rc = der_pem(&rb, root)))
		goto out;
	/* a renewal keeps the certificate it replaces; a rekey retires
	 * the old key with its certificate (factory_rotate.c) */
	if ((rc = info->rekeyed ? kc_factory_rekey_switch(dir, info->retired,
	    sizeof(info->retired)) : kc_factory_retire_cert(dir, cert,
	    info->retired, sizeof(info->retired))) != KC_OK)
		goto out;
	if ((rc = kc_file_write(rpath, rb.p, rb.len, 0644, 0)) ||
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
	EVP_PKEY_free(pending);
	return rc;
}

/* --- open / close ----------------------------------------------------------- */

static int
load_installed(const char *dir, const char *name, X509 **out)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = kc_fname_join(path, sizeof(path), dir, name)) != KC_OK)
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
	if ((rc = kc_fname_join(path, sizeof(path), dir, "intermediate.key")))
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
	if ((rc = kc_fname_join(path, sizeof(path), dir, "ledger.sqlite")) ||
	    (rc = kc_ledger_open(path, 1, &f->ledger)))
		goto fail;
	*out = f;
	return KC_OK;
fail:
	kc_factory_close(f);
	return rc;
}

void
kc_factory_close(struct kc_factory *f)
{
	if (f == NULL)
		return;
	if (f->ledger != NULL && kc_ledger_in_transaction(f->ledger) &&
	    kc_factory_flush(f) != KC_OK)
		kc_factory_batch_fail(f, KC_OK);
	kc_factory_pend_free(f);
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

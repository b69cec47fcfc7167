/*
 * factory_check.c: factorysign check. Diagnoses a device credential set
 * (certificate file as the device presents it, key, root) the way a user
 * stuck with "not authorized" or "unknown ca" needs: one finding per line,
 * each problem with its fix.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "factory_int.h"

struct ck {
	kc_check_fn	*fn;
	void		*arg;
	int		 problems;
};

static void
say(struct ck *c, int sev, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
say(struct ck *c, int sev, const char *fix, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev == 2)
		c->problems++;
	c->fn(sev, msg, fix != NULL ? fix : "", c->arg);
}

static int
load_certs(const char *path, STACK_OF(X509) **out)
{
	unsigned char *data = NULL;
	size_t len;
	BIO *bio;
	X509 *x;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	if ((*out = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		free(data);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(*out, x);
	ERR_clear_error();
	BIO_free(bio);
	if (sk_X509_num(*out) == 0 && len > 0 && data[0] == 0x30) {
		const unsigned char *q = data;
		if ((x = d2i_X509(NULL, &q, (long)len)) != NULL)
			sk_X509_push(*out, x);
		ERR_clear_error();
	}
	free(data);
	if (sk_X509_num(*out) == 0) {
		sk_X509_free(*out);
		*out = NULL;
		return kc_err(KC_ERR_INPUT, "%s: no certificate in it (PEM or "
		    "DER expected)", path);
	}
	return KC_OK;
}

static char *
cn_of(X509 *x)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *u = NULL;
	char *s;

	if (i < 0 || ASN1_STRING_to_UTF8(&u,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i))) < 0) {
		ERR_clear_error();
		return NULL;
	}
	s = strdup((char *)u);
	OPENSSL_free(u);
	return s;
}

static void
dates(struct ck *c, X509 *x, const char *what, time_t now)
{
	char b[64];
	BIO *m = BIO_new(BIO_s_mem());
	int nb = X509_cmp_time(X509_get0_notBefore(x), &now);
	int na = X509_cmp_time(X509_get0_notAfter(x), &now);
	int n;

	b[0] = '\0';
	if (m != NULL) {
		ASN1_TIME_print(m, na < 0 ? X509_get0_notAfter(x) :
		    X509_get0_notBefore(x));
		n = BIO_read(m, b, sizeof(b) - 1);
		b[n > 0 ? n : 0] = '\0';
		BIO_free(m);
	}
	if (nb > 0)
		say(c, 2, "check the device clock, or wait; reissue with a "
		    "correct factory clock", "%s is not valid yet (from %s)",
		    what, b);
	else if (na < 0)
		say(c, 2, "issue a new certificate (factorysign sign "
		    "--reissue) or renew the CA", "%s expired on %s", what, b);
	else
		say(c, 0, NULL, "%s is within its validity", what);
}

/*
 * Nothing in the chain is issued by the root given. When the chain ends in
 * a CA certificate (an intermediate, or a root of its own), it is complete
 * but ends at another root: say which one it names, and which root was
 * given. Only a chain that ends in the leaf misses its intermediate.
 */
static void
ends_elsewhere(struct ck *c, const char *cert_path, const char *root_path,
    X509 *root, X509 *last, int last_is_ca)
{
	char *want = NULL, *given;

	if (!last_is_ca) {
		say(c, 2, "append the intermediate certificate: the device "
		    "must present leaf + intermediate (ID.chain.pem); the "
		    "broker/DPS knows only the root", "the chain in %s stops "
		    "before the root: nothing in it is issued by the root %s "
		    "(missing intermediate?)", cert_path, root_path);
		return;
	}
	want = kc_name_string(X509_get_issuer_name(last));
	given = kc_name_string(X509_get_subject_name(root));
	if (X509_check_issued(last, last) == X509_V_OK)
		say(c, 2, "give the root the device was issued under "
		    "(--root), or drop the other root from the file", "the "
		    "chain in %s does not end at the root %s: it ends at "
		    "another root, '%s', and the root given is '%s'",
		    cert_path, root_path, want ? want : "?",
		    given ? given : "?");
	else
		say(c, 2, "give the root that issued the intermediate "
		    "(--root: the root certificate whose subject is the "
		    "intermediate's issuer); this chain is complete, no "
		    "intermediate is missing", "the chain in %s does not end "
		    "at the root %s: its last certificate is issued by '%s', "
		    "and the root given is '%s'", cert_path, root_path,
		    want ? want : "?", given ? given : "?");
	free(want);
	free(given);
}

int
kc_factory_check(const char *cert_path, const char *key_path,
    const char *root_path, const char *id, const struct kc_secret *key_pass,
    time_t now, kc_check_fn *fn, void *arg)
{
	struct ck c = { fn, arg, 0 };
	STACK_OF(X509) *certs = NULL, *roots = NULL, *untrusted = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *leaf, *root;
	char *cn = NULL;
	const char *why;
	int rc, n, leaf_at = -1;

	if ((rc = load_certs(cert_path, &certs)) != KC_OK ||
	    (rc = load_certs(root_path, &roots)) != KC_OK)
		goto out;
	n = sk_X509_num(certs);
	/* a bundle of roots: the one the chain ends at, else the first */
	root = sk_X509_value(roots, 0);
	for (int r = 0; r < sk_X509_num(roots); r++)
		for (int i = 0; i < n; i++)
			if (X509_check_issued(sk_X509_value(roots, r),
			    sk_X509_value(certs, i)) == X509_V_OK)
				root = sk_X509_value(roots, r);
	/* which one is the end-entity certificate? */
	for (int i = 0; i < n; i++)
		if (X509_check_ca(sk_X509_value(certs, i)) == 0) {
			leaf_at = i;
			break;
		}
	if (leaf_at < 0) {
		say(&c, 2, "give the device's certificate file (ID.chain.pem)",
		    "%s holds no device certificate, only CA certificates",
		    cert_path);
		rc = KC_ERR_POLICY;
		goto out;
	}
	leaf = sk_X509_value(certs, leaf_at);
	if (leaf_at != 0)
		say(&c, 2, "put the device certificate first, then the "
		    "intermediate (as in ID.chain.pem)", "wrong order: the "
		    "device certificate is number %d in %s, not the first",
		    leaf_at + 1, cert_path);
	else
		say(&c, 0, NULL, "the device certificate comes first");
	/* key */
	if (key_path != NULL) {
		if ((rc = kc_key_load(key_path, key_pass, &key)) != KC_OK) {
			say(&c, 2, rc == KC_ERR_PIN ? "give the key's "
			    "passphrase with --key-pass-file" : "give the "
			    "device's private key (PEM)", "%s", kc_errmsg());
			kc_err_clear();
		} else if (X509_check_private_key(leaf, key) != 1) {
			ERR_clear_error();
			say(&c, 2, "pair the certificate with the key it was "
			    "issued for (same ID), or issue a new certificate "
			    "for this key", "the key %s does not match the "
			    "device certificate", key_path);
		} else {
			say(&c, 0, NULL, "the key matches the device "
			    "certificate");
		}
	}
	/* chain order and completeness */
	for (int i = leaf_at; i + 1 < n; i++) {
		X509 *a = sk_X509_value(certs, i), *b = sk_X509_value(certs,
		    i + 1);
		if (X509_check_issued(b, a) != X509_V_OK)
			say(&c, 2, "order the file leaf, intermediate(s), "
			    "each certificate followed by its issuer",
			    "certificate %d in %s is not issued by the one "
			    "after it", i + 1, cert_path);
	}
	{
		X509 *last = sk_X509_value(certs, n - 1);
		int chained = 0;
		for (int i = 0; i < n && !chained; i++)
			chained = X509_check_issued(root,
			    sk_X509_value(certs, i)) == X509_V_OK;
		if (X509_check_issued(root, last) != X509_V_OK &&
		    X509_cmp(root, last) != 0 && !chained)
			ends_elsewhere(&c, cert_path, root_path, root, last,
			    n - 1 > leaf_at);
	}
	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL) {
		rc = kc_err_ssl(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(store, sk_X509_value(roots, i));
	for (int i = 0; i < n; i++)
		if (i != leaf_at)
			sk_X509_push(untrusted, sk_X509_value(certs, i));
	if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "verification setup");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_CTX_set_time(ctx, 0, now);
	if (X509_verify_cert(ctx) == 1)
		say(&c, 0, NULL, "the chain verifies to the root (strict, TLS "
		    "client purpose)");
	else
		say(&c, 2, "see the findings above; the root given must be the "
		    "one the broker/DPS trusts", "the chain does not verify "
		    "to %s: %s", root_path, X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	ERR_clear_error();
	/* validity of each */
	dates(&c, leaf, "the device certificate", now);
	for (int i = 0; i < n; i++)
		if (i != leaf_at && X509_cmp(sk_X509_value(certs, i), root))
			dates(&c, sk_X509_value(certs, i),
			    "the intermediate certificate", now);
	dates(&c, root, "the root certificate", now);
	/* CN */
	if ((cn = cn_of(leaf)) == NULL)
		say(&c, 2, "issue the certificate from a CSR whose CN is the "
		    "registration ID", "the device certificate has no CN (the "
		    "registration ID)");
	else if (!kc_factory_id_ok(cn, &why))
		say(&c, 2, "use a registration ID of 1-64 letters, digits, - . "
		    "_ : ending in a letter, digit or -", "CN '%s' is not a "
		    "valid DPS registration ID: %s", cn, why);
	else
		say(&c, 0, NULL, "CN '%s' is a valid registration ID", cn);
	if (cn != NULL && id != NULL) {
		if (strcmp(cn, id) == 0)
			say(&c, 0, NULL, "CN equals the ID '%s'", id);
		else if (strcasecmp(cn, id) == 0)
			say(&c, 1, "use the same case everywhere", "CN '%s' "
			    "and ID '%s' differ only in case (DPS ignores "
			    "case; other brokers may not)", cn, id);
		else
			say(&c, 2, "issue a certificate whose CN is the "
			    "device's registration ID, or use the CN as its ID",
			    "CN '%s' is not the ID '%s' the device uses", cn,
			    id);
	}
	/* EKU and CA flags */
	{
		uint32_t xku = X509_get_extended_key_usage(leaf);
		uint32_t ku = X509_get_key_usage(leaf);
		if (X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) {
			if (xku & XKU_SSL_CLIENT)
				say(&c, 0, NULL, "EKU has clientAuth");
			else
				say(&c, 2, "issue a device certificate "
				    "(profile with EKU clientAuth)", "EKU "
				    "lacks clientAuth: TLS servers refuse it as "
				    "a client certificate");
		} else {
			say(&c, 1, "issue with factorysign (EKU clientAuth)",
			    "no extendedKeyUsage: accepted by most brokers, "
			    "but not a proper client certificate");
		}
		if (!(ku & KU_DIGITAL_SIGNATURE))
			say(&c, 2, "issue a device certificate (keyUsage "
			    "digitalSignature)", "keyUsage lacks "
			    "digitalSignature: TLS client authentication "
			    "fails");
		if (X509_check_ca(leaf) != 0)
			say(&c, 2, "a device certificate must be CA:FALSE",
			    "the device certificate is a CA");
		else
			say(&c, 0, NULL, "the device certificate is CA:FALSE");
		for (int i = 0; i < n; i++)
			if (i != leaf_at && X509_check_ca(sk_X509_value(certs,
			    i)) < 1)
				say(&c, 2, "only CA certificates may follow the "
				    "leaf", "certificate %d in %s is not a CA",
				    i + 1, cert_path);
	}
	rc = c.problems ? kc_err(KC_ERR_POLICY, "%d problem%s found in %s",
	    c.problems, c.problems > 1 ? "s" : "", cert_path) : KC_OK;
out:
	free(cn);
	EVP_PKEY_free(key);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(roots, X509_free);
	return rc;
}

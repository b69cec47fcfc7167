/*
 * backup_medium.c: the files of a root key backup medium (kc/ceremony/backup.h)
 * and the wrap key's shares. Owns the manifest's text and its strict
 * parser, the check of a medium against its manifest (sizes, SHA-256 of
 * the blob and of the public key, the root certificate's key), and the
 * wrap key as K-of-N quorum shares: the 32 key bytes are split as 64 hex
 * characters (the quorum format carries text of up to KC_QUORUM_PIN_MAX
 * bytes without NUL), each sheet headed so that it cannot be taken for a
 * PIN share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/hsm/wrap.h"
#include "kc/ceremony/backup.h"

int
kc_bk_path(const char *dir, const char *name, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sz)
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	return KC_OK;
}

int
kc_bk_manifest_text(const struct kc_bk_manifest *m, char **out, size_t *len)
{
	FILE *f;

	*out = NULL;
	*len = 0;
	if ((f = open_memstream(out, len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	fprintf(f, "keyceremony-backup: 1\n"
	    "key-label: %s\n"
	    "token-label: %s\n"
	    "token-serial: %s\n"
	    "algorithm: %s\n"
	    "mechanism: " KC_WRAP_MECH_NAME "\n"
	    "wrapped-bytes: %zu\n"
	    "wrapped-sha256: %s\n"
	    "public-key-sha256: %s\n"
	    "root-certificate-sha256: %s\n"
	    "share-set: %s\n"
	    "threshold: %d\n"
	    "custodians: %d\n"
	    "created: %s\n", m->key_label, m->token_label, m->token_serial,
	    m->alg, m->wrapped_bytes, m->wrapped_sha256, m->pub_sha256,
	    m->cert_sha256[0] ? m->cert_sha256 : "-", m->set_id, m->k, m->n,
	    m->created);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	return KC_OK;
}

static int
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* Copies value v into dst (dstsz) when it fits and has no control
 * character; 0 when not. */
static int
take(char *dst, size_t dstsz, const char *v)
{
	size_t n = strlen(v), i;

	if (n == 0 || n >= dstsz)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	memcpy(dst, v, n + 1);
	return 1;
}

static int
take_int(int *dst, const char *v, long lo, long hi)
{
	char *end;
	long x;

	if (*v < '0' || *v > '9')
		return 0;
	x = strtol(v, &end, 10);
	if (*end != '\0' || x < lo || x > hi)
		return 0;
	*dst = (int)x;
	return 1;
}

/* One "name: value" line into m; 0 when unknown or bad. */
static int
manifest_line(struct kc_bk_manifest *m, const char *name, const char *v,
    unsigned *seen)
{
	static const char *const names[] = {
		"keyceremony-backup", "key-label", "token-label",
		"token-serial", "algorithm", "mechanism", "wrapped-bytes",
		"wrapped-sha256", "public-key-sha256",
		"root-certificate-sha256", "share-set", "threshold",
		"custodians", "created", NULL
	};
	int i, ok = 0, x = 0;

	for (i = 0; names[i] != NULL && strcmp(names[i], name) != 0; i++)
		;
	if (names[i] == NULL || (*seen & (1u << i)))
		return 0;
	*seen |= 1u << i;
	switch (i) {
	case 0: ok = strcmp(v, "1") == 0; break;
	case 1: ok = take(m->key_label, sizeof(m->key_label), v); break;
	case 2: ok = take(m->token_label, sizeof(m->token_label), v); break;
	case 3: ok = take(m->token_serial, sizeof(m->token_serial), v); break;
	case 4: ok = take(m->alg, sizeof(m->alg), v); break;
	case 5: ok = strcmp(v, KC_WRAP_MECH_NAME) == 0; break;
	case 6:
		ok = take_int(&x, v, 1, KC_WRAP_BLOB_MAX);
		m->wrapped_bytes = (size_t)x;
		break;
	case 7:
		ok = is_hex64(v) && take(m->wrapped_sha256,
		    sizeof(m->wrapped_sha256), v);
		break;
	case 8:
		ok = is_hex64(v) && take(m->pub_sha256, sizeof(m->pub_sha256),
		    v);
		break;
	case 9:
		ok = strcmp(v, "-") == 0 || (is_hex64(v) &&
		    take(m->cert_sha256, sizeof(m->cert_sha256), v));
		break;
	case 10:
		ok = strlen(v) == 6 && strspn(v, "0123456789ABCDEF") == 6 &&
		    take(m->set_id, sizeof(m->set_id), v);
		break;
	case 11: ok = take_int(&m->k, v, 2, KC_QUORUM_MAX_SHARES); break;
	case 12: ok = take_int(&m->n, v, 2, KC_QUORUM_MAX_SHARES); break;
	case 13: ok = take(m->created, sizeof(m->created), v); break;
	}
	return ok;
}

int
kc_bk_manifest_read(const char *path, struct kc_bk_manifest *m)
{
	unsigned char *data = NULL;
	size_t len = 0, lineno = 0;
	unsigned seen = 0;
	char *p, *nl;
	int rc = KC_OK;

	memset(m, 0, sizeof(*m));
	if ((rc = kc_file_read(path, KC_BK_MANIFEST_MAX, &data, &len)) !=
	    KC_OK)
		return rc;
	if (memchr(data, '\0', len) != NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: holds a NUL byte: not a backup "
		    "manifest", path);
		goto out;
	}
	for (p = (char *)data; *p != '\0'; p = nl + 1) {
		char *colon;

		lineno++;
		if ((nl = strchr(p, '\n')) == NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: the last line has no "
			    "newline: the manifest is cut short", path, lineno);
			goto out;
		}
		*nl = '\0';
		if ((colon = strstr(p, ": ")) == NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: not a 'name: value' "
			    "line", path, lineno);
			goto out;
		}
		*colon = '\0';
		if (!manifest_line(m, p, colon + 2, &seen)) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: field '%s' is "
			    "unknown, repeated or has a bad value", path,
			    lineno, p);
			goto out;
		}
	}
	if (seen != (1u << 14) - 1)
		rc = kc_err(KC_ERR_INPUT, "%s: fields are missing: not a "
		    "complete backup manifest", path);
	else if (m->k > m->n)
		rc = kc_err(KC_ERR_INPUT, "%s: threshold %d above custodians "
		    "%d", path, m->k, m->n);
out:
	free(data);
	return rc;
}

int
kc_bk_pub_sha256(EVP_PKEY *pub, char out[65])
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_PUBKEY(pub, &der)) <= 0)
		return kc_err_ssl(KC_ERR_CRYPTO, "the public key cannot be "
		    "encoded");
	kc_sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
	return KC_OK;
}

int
kc_bk_split(const struct kc_secret *key, int k, int n,
    struct kc_secret *shares[])
{
	static const char hex[] = "0123456789abcdef";
	struct kc_secret *text = NULL;
	size_t i;
	int rc;

	if (key->len != KC_WRAP_KEY_LEN)
		return kc_err(KC_ERR_INTERNAL, "a wrap key is %d bytes",
		    KC_WRAP_KEY_LEN);
	if ((rc = kc_secret_new(2 * KC_WRAP_KEY_LEN, &text)) != KC_OK)
		return rc;
	for (i = 0; i < KC_WRAP_KEY_LEN; i++) {
		unsigned char b = (unsigned char)key->buf[i];
		text->buf[2 * i] = hex[b >> 4];
		text->buf[2 * i + 1] = hex[b & 15];
	}
	text->len = 2 * KC_WRAP_KEY_LEN;
	text->buf[text->len] = '\0';
	rc = kc_quorum_split(text, k, n, shares);
	kc_secret_free(text);
	return rc;
}

static int
unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
kc_bk_combine(const struct kc_quorum *q, struct kc_secret **key)
{
	struct kc_secret *text = NULL, *k = NULL;
	size_t i;
	int rc;

	*key = NULL;
	if ((rc = kc_quorum_combine(q, &text)) != KC_OK)
		return rc;
	if (text->len != 2 * KC_WRAP_KEY_LEN) {
		rc = kc_err(KC_ERR_INPUT, "the shares do not rebuild a wrap "
		    "key (they are the shares of something else, a PIN?)");
		goto out;
	}
	if ((rc = kc_secret_new(KC_WRAP_KEY_LEN, &k)) != KC_OK)
		goto out;
	for (i = 0; i < KC_WRAP_KEY_LEN; i++) {
		int hi = unhex(text->buf[2 * i]);
		int lo = unhex(text->buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			rc = kc_err(KC_ERR_INPUT, "the shares do not rebuild a "
			    "wrap key (they are the shares of something else, "
			    "a PIN?)");
			goto out;
		}
		k->buf[i] = (char)(hi << 4 | lo);
	}
	k->len = KC_WRAP_KEY_LEN;
	*key = k;
	k = NULL;
out:
	kc_secret_free(k);
	kc_secret_free(text);
	return rc;
}

int
kc_bk_sheet(const struct kc_quorum_info *qi, const char *share,
    const struct kc_bk_manifest *m, const char *custodian, char **out,
    size_t *len)
{
	FILE *f;

	*out = NULL;
	*len = 0;
	if ((f = open_memstream(out, len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	fprintf(f, "keyceremony root key BACKUP share %d of %d (set %s; any "
	    "%d of %d rebuild the wrap key)\n"
	    "backup of key: %s (token %s, serial %s), %s\n"
	    "custodian: %s\n\n"
	    "    %s\n\n"
	    "Keep this sheet sealed and apart from the backup medium. Type it "
	    "(or give it with --share-file) at a restore: keyceremony backup "
	    "restore.\n", qi->index, qi->n, qi->set_id, qi->k, qi->n,
	    m->key_label, m->token_label, m->token_serial, m->created,
	    custodian != NULL ? custodian : "______________________________",
	    share);
	if (fclose(f) != 0) {
		OPENSSL_clear_free(*out, *len);
		*out = NULL;
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	return KC_OK;
}

/* Reads the PEM public key at path into *pub. */
static int
pub_load(const char *path, EVP_PKEY **pub)
{
	unsigned char *data = NULL;
	size_t len = 0;
	BIO *b;
	int rc;

	*pub = NULL;
	if ((rc = kc_file_read(path, 65536, &data, &len)) != KC_OK)
		return rc;
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (*pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) == NULL)
		rc = kc_err_ssl(KC_ERR_INPUT, "%s: not a PEM public key", path);
	BIO_free(b);
	free(data);
	return rc;
}

int
kc_bk_medium_load(const char *dir, const struct kc_bk_manifest *m,
    const char *cert_path, unsigned char **blob, size_t *bloblen,
    EVP_PKEY **pub, X509 **cert)
{
	char path[4096], h[65];
	unsigned char *der = NULL;
	int rc, n;

	*blob = NULL;
	*bloblen = 0;
	*pub = NULL;
	*cert = NULL;
	if ((rc = kc_bk_path(dir, KC_BK_WRAPPED, path, sizeof(path))) !=
	    KC_OK || (rc = kc_file_read(path, KC_WRAP_BLOB_MAX, blob,
	    bloblen)) != KC_OK)
		goto fail;
	kc_sha256_hex(*blob, *bloblen, h);
	if (*bloblen != m->wrapped_bytes || strcmp(h, m->wrapped_sha256) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: %zu bytes, SHA-256 %.16s...: not "
		    "the wrapped key the manifest names (%zu bytes, %.16s...); "
		    "the medium was altered or mixed with another backup", path,
		    *bloblen, h, m->wrapped_bytes, m->wrapped_sha256);
		goto fail;
	}
	if ((rc = kc_bk_path(dir, KC_BK_PUB, path, sizeof(path))) != KC_OK ||
	    (rc = pub_load(path, pub)) != KC_OK ||
	    (rc = kc_bk_pub_sha256(*pub, h)) != KC_OK)
		goto fail;
	if (strcmp(h, m->pub_sha256) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: not the public key the manifest "
		    "names; the medium was altered", path);
		goto fail;
	}
	if (cert_path == NULL && m->cert_sha256[0] != '\0') {
		if ((rc = kc_bk_path(dir, KC_BK_ROOT, path, sizeof(path))) !=
		    KC_OK)
			goto fail;
		cert_path = path;
	}
	if (cert_path == NULL)
		return KC_OK;
	if ((rc = kc_cert_load(cert_path, cert)) != KC_OK)
		goto fail;
	if (m->cert_sha256[0] != '\0') {
		if ((n = i2d_X509(*cert, &der)) <= 0) {
			rc = kc_err_ssl(KC_ERR_INPUT, "%s: cannot be encoded",
			    cert_path);
			goto fail;
		}
		kc_sha256_hex(der, (size_t)n, h);
		OPENSSL_free(der);
		if (strcmp(h, m->cert_sha256) != 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: not the root certificate "
			    "the backup was made for (SHA-256 %.16s..., the "
			    "manifest says %.16s...)", cert_path, h,
			    m->cert_sha256);
			goto fail;
		}
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(*cert), *pub) != 1) {
		rc = kc_err(KC_ERR_INPUT, "%s: its public key is not the one of "
		    "the backed-up key", cert_path);
		goto fail;
	}
	return KC_OK;
fail:
	free(*blob);
	*blob = NULL;
	*bloblen = 0;
	EVP_PKEY_free(*pub);
	*pub = NULL;
	X509_free(*cert);
	*cert = NULL;
	return rc;
}

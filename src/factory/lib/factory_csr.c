/*
 * factory_csr.c: device CSR intake of factorysign, the part of the hot path
 * before the signature. The CSR's bytes (PEM or DER) to DER, then taken
 * apart with a small strict DER reader instead of d2i_X509_REQ (whose
 * generic key decoder costs ~150 us in OpenSSL 3.0), the EC point
 * imported directly. The checks are the ones of CSR intake: key policy
 * (kc_alg_of_key, kc_key_quality), self-signature, subject
 * (kc_name_check), the CN as a DPS registration ID, requested extensions
 * (CA:TRUE refused). struct kc_fcsr points into the caller's DER.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509v3.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/keyquality.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "factory_int.h"

/* --- a strict DER reader ------------------------------------------------ */

struct der {
	const unsigned char	*p;
	size_t			 len;
};

/* Reads the next TLV; tag 0 accepts any tag (returned in *tagp). Lengths
 * must be definite and minimal. */
static int
der_next(struct der *d, unsigned tag, unsigned *tagp,
    const unsigned char **tlv, size_t *tlv_len,
    const unsigned char **val, size_t *val_len)
{
	size_t n, hdr = 2;
	unsigned t;

	if (d->len < 2)
		return -1;
	t = d->p[0];
	if ((t & 0x1f) == 0x1f || (tag != 0 && t != tag))
		return -1;
	n = d->p[1];
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 3 || d->len < 2 + k || d->p[2] == 0)
			return -1;
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = (n << 8) | d->p[2 + i];
		if (n < 0x80 || (k > 1 && n < (1u << (8 * (k - 1)))))
			return -1;
		hdr += k;
	}
	if (n > d->len - hdr)
		return -1;
	if (tagp != NULL)
		*tagp = t;
	if (tlv != NULL) {
		*tlv = d->p;
		*tlv_len = hdr + n;
	}
	if (val != NULL) {
		*val = d->p + hdr;
		*val_len = n;
	}
	d->p += hdr + n;
	d->len -= hdr + n;
	return 0;
}

/* Every nested length of a constructed value is definite and minimal. */
static int
der_walk(const unsigned char *p, size_t len, int depth)
{
	struct der d = { p, len };

	if (depth > 8)
		return -1;
	while (d.len > 0) {
		const unsigned char *v;
		size_t vl;
		unsigned t;

		if (der_next(&d, 0, &t, NULL, NULL, &v, &vl) != 0)
			return -1;
		if ((t & 0x20) && der_walk(v, vl, depth + 1) != 0)
			return -1;
	}
	return 0;
}

static const unsigned char oid_ec_pub[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x02, 0x01 };
static const unsigned char oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x01, 0x01 };
static const unsigned char oid_ecdsa_sha[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x04, 0x03 };		/* + 02 sha256, 03 sha384, 04 sha512 */
static const unsigned char oid_rsa_sha[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01 };	/* + 0b sha256, 0c sha384, 0d sha512 */
static const unsigned char oid_ext_req[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x09, 0x0e };
static const unsigned char oid_ms_ext_req[] = { 0x2b, 0x06, 0x01, 0x04, 0x01,
	0x82, 0x37, 0x02, 0x01, 0x0e };

static int
oid_is(const unsigned char *v, size_t vl, const unsigned char *oid,
    size_t ol)
{
	return vl == ol && memcmp(v, oid, ol) == 0;
}

/* --- CSR intake ----------------------------------------------------------- */

#define BAD(...) kc_err(KC_ERR_INPUT, __VA_ARGS__)

int
kc_fcsr_parse(const unsigned char *der, size_t len, const char *name,
    struct kc_fcsr *c)
{
	struct der top = { der, len }, req, cri, spki, alg, sa;
	const unsigned char *v, *tlv;
	size_t vl, tl;
	unsigned t;

	memset(c, 0, sizeof(*c));
	if (der_next(&top, 0x30, NULL, NULL, NULL, &req.p, &req.len) != 0 ||
	    top.len != 0)
		return BAD("%s: not a certificate signing request (bad DER)",
		    name);
	if (der_next(&req, 0x30, NULL, &c->cri, &c->cri_len, &cri.p,
	    &cri.len) != 0)
		return BAD("%s: not a certificate signing request", name);
	/* version INTEGER 0 */
	if (der_next(&cri, 0x02, NULL, NULL, NULL, &v, &vl) != 0 || vl != 1 ||
	    v[0] != 0)
		return BAD("%s: not a PKCS#10 v1 certificate signing request",
		    name);
	if (der_next(&cri, 0x30, NULL, &c->subject, &c->subject_len, &v,
	    &vl) != 0 || der_walk(v, vl, 0) != 0)
		return BAD("%s: the CSR subject is not valid DER", name);
	if (der_next(&cri, 0x30, NULL, &c->spki, &c->spki_len, &spki.p,
	    &spki.len) != 0 || der_walk(spki.p, spki.len, 0) != 0)
		return BAD("%s: the CSR public key is not valid DER", name);
	if (cri.len > 0) {
		if (der_next(&cri, 0xa0, NULL, NULL, NULL, &c->attrs,
		    &c->attrs_len) != 0 || cri.len != 0 ||
		    der_walk(c->attrs, c->attrs_len, 0) != 0)
			return BAD("%s: the CSR attributes are not valid DER",
			    name);
	}
	/* subjectPublicKeyInfo: algorithm, BIT STRING */
	if (der_next(&spki, 0x30, NULL, NULL, NULL, &alg.p, &alg.len) != 0 ||
	    der_next(&spki, 0x03, NULL, NULL, NULL, &v, &vl) != 0 ||
	    spki.len != 0 || vl < 2 || v[0] != 0)
		return BAD("%s: the CSR public key is malformed", name);
	c->keybits = v + 1;
	c->keybits_len = vl - 1;
	if (der_next(&alg, 0x06, NULL, NULL, NULL, &v, &vl) != 0)
		return BAD("%s: the CSR public key is malformed", name);
	if (oid_is(v, vl, oid_ec_pub, sizeof(oid_ec_pub))) {
		if (der_next(&alg, 0, &t, NULL, NULL, &v, &vl) != 0 ||
		    alg.len != 0)
			return BAD("%s: the CSR's EC key has no curve", name);
		if (t != 0x06)
			return kc_err(KC_ERR_POLICY, "%s: EC key with explicit "
			    "curve parameters refused (use named P-256 or "
			    "P-384)", name);
		if (oid_is(v, vl, oid_p256, sizeof(oid_p256)))
			c->alg = KC_ALG_EC_P256;
		else if (oid_is(v, vl, oid_p384, sizeof(oid_p384)))
			c->alg = KC_ALG_EC_P384;
		else
			return kc_err(KC_ERR_POLICY, "%s: weak or unsupported "
			    "EC curve refused (use P-256 or P-384)", name);
	} else if (oid_is(v, vl, oid_rsa, sizeof(oid_rsa))) {
		c->alg = KC_ALG_RSA_2048;	/* refined in verify */
	} else {
		return kc_err(KC_ERR_POLICY, "%s: unsupported key type refused "
		    "(use EC P-256/P-384 or RSA >= 2048)", name);
	}
	/* signatureAlgorithm */
	if (der_next(&req, 0x30, NULL, NULL, NULL, &sa.p, &sa.len) != 0 ||
	    der_next(&sa, 0x06, NULL, NULL, NULL, &v, &vl) != 0)
		return BAD("%s: the CSR signature algorithm is malformed", name);
	if (vl == sizeof(oid_ecdsa_sha) + 1 &&
	    memcmp(v, oid_ecdsa_sha, sizeof(oid_ecdsa_sha)) == 0 &&
	    v[vl - 1] >= 2 && v[vl - 1] <= 4) {
		c->sig_ec = 1;
		c->md = (const EVP_MD *)(uintptr_t)(v[vl - 1] - 1);
	} else if (vl == sizeof(oid_rsa_sha) + 1 &&
	    memcmp(v, oid_rsa_sha, sizeof(oid_rsa_sha)) == 0 &&
	    v[vl - 1] >= 0x0b && v[vl - 1] <= 0x0d) {
		c->md = (const EVP_MD *)(uintptr_t)(v[vl - 1] - 0x0a);
	} else {
		return kc_err(KC_ERR_POLICY, "%s: CSR signature algorithm "
		    "refused (use ECDSA or RSA PKCS#1 v1.5 with SHA-256, "
		    "SHA-384 or SHA-512)", name);
	}
	/* parameters: absent, or NULL (older nRF91 firmware writes NULL after
	 * ecdsa-with-SHA256; the signature is verified all the same) */
	if (sa.len > 0 && (der_next(&sa, 0x05, NULL, &tlv, &tl, &v, &vl) != 0 ||
	    vl != 0 || sa.len != 0))
		return BAD("%s: unexpected signature algorithm parameters",
		    name);
	if (der_next(&req, 0x03, NULL, NULL, NULL, &v, &vl) != 0 ||
	    req.len != 0 || vl < 2 || v[0] != 0)
		return BAD("%s: the CSR signature is malformed", name);
	c->sig = v + 1;
	c->sig_len = vl - 1;
	if (c->sig_ec != (c->alg == KC_ALG_EC_P256 || c->alg == KC_ALG_EC_P384))
		return BAD("%s: the CSR signature algorithm does not match its "
		    "key type", name);
	return KC_OK;
}

int
kc_fcsr_verify(struct kc_signer *s, struct kc_fcsr *c, const char *name)
{
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *vctx = NULL;
	const EVP_MD *md;
	enum kc_alg alg;
	int rc, r;

	switch ((uintptr_t)c->md) {
	case 1: md = s->sha256; break;
	case 2: md = s->sha384; break;
	default: md = s->sha512; break;
	}
	if (c->sig_ec) {
		OSSL_PARAM p[3];
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)(uintptr_t)(c->alg == KC_ALG_EC_P256 ? "P-256" :
		    "P-384"), 0);
		p[1] = OSSL_PARAM_construct_octet_string(
		    OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)c->keybits,
		    c->keybits_len);
		p[2] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_fromdata(s->ec_import, &pkey, EVP_PKEY_PUBLIC_KEY,
		    p) <= 0) {
			ERR_clear_error();
			return kc_err(KC_ERR_INPUT, "%s: the CSR's EC public "
			    "key is not a point on its curve", name);
		}
	} else {
		const unsigned char *q = c->spki;
		if ((pkey = d2i_PUBKEY(NULL, &q, (long)c->spki_len)) == NULL) {
			ERR_clear_error();
			return kc_err(KC_ERR_INPUT, "%s: the CSR's RSA public "
			    "key cannot be decoded", name);
		}
	}
	if ((rc = kc_alg_of_key(pkey, &alg)) != KC_OK) {
		/* kc_errmsg() is the buffer kc_err() writes: copy it first. */
		char why[512];
		snprintf(why, sizeof(why), "%s", kc_errmsg());
		rc = kc_err(rc, "%s: key refused: %s", name, why);
		goto out;
	}
	if ((rc = kc_key_quality(pkey, name)) != KC_OK)
		goto out;
	c->alg = alg;
	if (!EVP_Digest(c->cri, c->cri_len, dgst, &dlen, md, NULL) ||
	    (vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(vctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, md) <= 0 ||
	    (!c->sig_ec &&
	    EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) <= 0)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "%s: cannot verify the CSR",
		    name);
		goto out;
	}
	r = EVP_PKEY_verify(vctx, c->sig, c->sig_len, dgst, dlen);
	if (r != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_CRYPTO, "%s: the CSR signature does not "
		    "verify (corrupted or tampered CSR)", name);
		goto out;
	}
	rc = KC_OK;
out:
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	return rc;
}

int
kc_factory_id_ok(const char *id, const char **why)
{
	size_t n = strlen(id);
	const char *w = NULL;

	if (n == 0)
		w = "it is empty";
	else if (n > KC_FACTORY_ID_MAX)
		w = "it is longer than 64 characters";
	else if (!isalnum((unsigned char)id[0]))
		w = "the first character must be a letter or a digit (a "
		    "leading '-', '=', '+', '@', '.', '_' or ':' reads as an "
		    "option, a spreadsheet formula or a hidden file)";
	else if (strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._:") != n)
		w = "only letters, digits and - . _ : are allowed";
	else if (!(isalnum((unsigned char)id[n - 1]) || id[n - 1] == '-'))
		w = "the last character must be a letter, a digit or '-'";
	if (why != NULL)
		*why = w;
	return w == NULL;
}

static void
note(char *buf, size_t bufsz, const char *what)
{
	size_t l = strlen(buf);

	if (strstr(buf, what) != NULL)
		return;
	snprintf(buf + l, bufsz - l, "%s%s", l ? ", " : "", what);
}

static int
check_ext_request(struct kc_fcsr *c, const unsigned char *v, size_t vl,
    const char *name)
{
	STACK_OF(X509_EXTENSION) *exts;
	const unsigned char *q = v;
	int rc = KC_OK;

	if ((exts = d2i_X509_EXTENSIONS(NULL, &q, (long)vl)) == NULL ||
	    q != v + vl) {
		ERR_clear_error();
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		return BAD("%s: the CSR's extension request is malformed", name);
	}
	if ((rc = kc_csr_exts_check(exts, name)) != KC_OK) {
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		return rc;
	}
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		char txt[80];

		if (nid == NID_basic_constraints) {
			BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(e);
			int ca = bc != NULL && bc->ca;
			BASIC_CONSTRAINTS_free(bc);
			ERR_clear_error();
			if (ca) {
				rc = kc_err(KC_ERR_POLICY, "%s: the CSR requests "
				    "CA:TRUE; a device certificate is never a "
				    "CA (refused)", name);
				break;
			}
		}
		if (nid != NID_undef)
			snprintf(txt, sizeof(txt), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(txt, sizeof(txt),
			    X509_EXTENSION_get_object(e), 1);
		note(c->ignored, sizeof(c->ignored), txt);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int
kc_fcsr_check(struct kc_fcsr *c, const char *name)
{
	const unsigned char *q = c->subject;
	X509_NAME *n = NULL;
	struct der attrs = { c->attrs, c->attrs_len };
	unsigned char *utf8 = NULL;
	const char *why;
	int idx, len, rc = KC_OK;

	if ((n = d2i_X509_NAME(NULL, &q, (long)c->subject_len)) == NULL) {
		ERR_clear_error();
		return BAD("%s: the CSR subject cannot be decoded", name);
	}
	if ((rc = kc_name_check(n, name)) != KC_OK)
		goto out;
	idx = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	if (idx < 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR subject has no CN; the "
		    "CN is the device's registration ID", name);
		goto out;
	}
	if (X509_NAME_get_index_by_NID(n, NID_commonName, idx) >= 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR subject has more than "
		    "one CN", name);
		goto out;
	}
	len = ASN1_STRING_to_UTF8(&utf8,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx)));
	if (len < 0) {
		ERR_clear_error();
		rc = BAD("%s: the CSR's CN is not a valid string", name);
		goto out;
	}
	if ((size_t)len != strlen((char *)utf8) || len > KC_FACTORY_ID_MAX) {
		rc = kc_err(KC_ERR_POLICY, "%s: CN is %d characters; a DPS "
		    "registration ID has at most 64", name, len);
		goto out;
	}
	if (!kc_factory_id_ok((char *)utf8, &why)) {
		rc = kc_err(KC_ERR_POLICY, "%s: CN '%s' is not a valid DPS "
		    "registration ID: %s", name, (char *)utf8, why);
		goto out;
	}
	memcpy(c->cn, utf8, (size_t)len + 1);
	while (attrs.len > 0) {
		struct der a, set;
		const unsigned char *v;
		size_t vl;
		char txt[80];

		if (der_next(&attrs, 0x30, NULL, NULL, NULL, &a.p, &a.len) ||
		    der_next(&a, 0x06, NULL, NULL, NULL, &v, &vl) ||
		    der_next(&a, 0x31, NULL, NULL, NULL, &set.p, &set.len)) {
			rc = BAD("%s: the CSR attributes are malformed", name);
			goto out;
		}
		if (oid_is(v, vl, oid_ext_req, sizeof(oid_ext_req)) ||
		    oid_is(v, vl, oid_ms_ext_req, sizeof(oid_ms_ext_req))) {
			const unsigned char *ev;
			size_t el;
			while (set.len > 0) {
				if (der_next(&set, 0x30, NULL, &ev, &el, NULL,
				    NULL) != 0) {
					rc = BAD("%s: the CSR's extension "
					    "request is malformed", name);
					goto out;
				}
				if ((rc = check_ext_request(c, ev, el, name)) !=
				    KC_OK)
					goto out;
			}
			continue;
		}
		/* any other attribute (challengePassword, ...): noted */
		{
			unsigned char tmp[64];
			const unsigned char *tq = tmp;
			ASN1_OBJECT *o;
			if (vl + 2 <= sizeof(tmp)) {
				tmp[0] = 0x06;
				tmp[1] = (unsigned char)vl;
				memcpy(tmp + 2, v, vl);
				o = d2i_ASN1_OBJECT(NULL, &tq, (long)(vl + 2));
				if (o != NULL && OBJ_obj2txt(txt, sizeof(txt), o,
				    0) > 0)
					note(c->ignored, sizeof(c->ignored),
					    txt);
				ASN1_OBJECT_free(o);
				ERR_clear_error();
			}
		}
	}
out:
	OPENSSL_free(utf8);
	X509_NAME_free(n);
	return rc;
}

/* --- PEM or DER ----------------------------------------------------------- */

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

/* The CSR's form, subject and ID (everything but its signature and key,
 * which need the signer): c points into *der. */
int
kc_fcsr_read(const unsigned char *csr, size_t len, const char *name,
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

	rc = kc_fcsr_read(csr, len, name, id, &c, &der, &der_len);
	free(der);
	return rc;
}

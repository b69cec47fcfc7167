/*
 * factory_fast.c: factorysign's signing hot path. The signer (struct
 * kc_signer: the intermediate's key, a signing context and the parts of
 * every device certificate that do not change, encoded once) and the
 * builder, which writes the device certificate as DER around the CSR's own
 * encoded subject and SubjectPublicKeyInfo, so that no X509 object and no
 * X509_set_pubkey is needed. The CSR side (parse, checks, self-signature)
 * is factory_csr.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "factory_int.h"

/* --- the signer ----------------------------------------------------------- */

int
kc_signer_init(struct kc_signer *s, EVP_PKEY *key, const X509 *ca)
{
	const ASN1_OCTET_STRING *skid;
	unsigned char *p;
	enum kc_alg alg;
	int rc, n;
	static const unsigned char ec256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
		0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char ec384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
		0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
	static const unsigned char rsa256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
		0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	static const unsigned char rsa384[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
		0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 };
	const unsigned char *alg_der;
	size_t alg_len;

	memset(s, 0, sizeof(*s));
	if ((rc = kc_alg_of_key(key, &alg)) != KC_OK)
		return rc;
	s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	s->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	s->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	if (s->sha256 == NULL || s->sha384 == NULL || s->sha512 == NULL) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot fetch SHA-2");
		goto fail;
	}
	switch (alg) {
	case KC_ALG_EC_P256:
		alg_der = ec256, alg_len = sizeof(ec256), s->md = s->sha256;
		break;
	case KC_ALG_EC_P384:
		alg_der = ec384, alg_len = sizeof(ec384), s->md = s->sha384;
		break;
	case KC_ALG_RSA_4096:
		alg_der = rsa384, alg_len = sizeof(rsa384), s->md = s->sha384;
		break;
	default:
		alg_der = rsa256, alg_len = sizeof(rsa256), s->md = s->sha256;
		break;
	}
	memcpy(s->sigalg, alg_der, alg_len);
	s->sigalg_len = alg_len;
	if (!EVP_PKEY_up_ref(key)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key reference");
		goto fail;
	}
	s->key = key;
	if ((s->sign_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(s->sign_ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(s->sign_ctx, s->md) <= 0 ||
	    (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(s->sign_ctx, RSA_PKCS1_PADDING) <= 0)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot set up signing with the "
		    "intermediate key");
		goto fail;
	}
	if ((s->ec_import = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ==
	    NULL || EVP_PKEY_fromdata_init(s->ec_import) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot set up EC key import");
		goto fail;
	}
	p = NULL;
	if ((n = i2d_X509_NAME(X509_get_subject_name(ca), &p)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the issuer name");
		goto fail;
	}
	s->issuer = p;
	s->issuer_len = (size_t)n;
	if ((skid = X509_get0_subject_key_id((X509 *)(uintptr_t)ca)) == NULL ||
	    ASN1_STRING_length(skid) < 1 || ASN1_STRING_length(skid) > 40) {
		rc = kc_err(KC_ERR_POLICY, "the intermediate certificate has "
		    "no usable subjectKeyIdentifier; devices need it for the "
		    "authorityKeyIdentifier");
		goto fail;
	}
	{
		size_t l = (size_t)ASN1_STRING_length(skid);
		unsigned char *q = s->akid;
		*q++ = 0x30; *q++ = (unsigned char)(l + 11);
		*q++ = 0x06; *q++ = 0x03; *q++ = 0x55; *q++ = 0x1d; *q++ = 0x23;
		*q++ = 0x04; *q++ = (unsigned char)(l + 4);
		*q++ = 0x30; *q++ = (unsigned char)(l + 2);
		*q++ = 0x80; *q++ = (unsigned char)l;
		memcpy(q, ASN1_STRING_get0_data(skid), l);
		s->akid_len = l + 13;
	}
	{
		const ASN1_TIME *nb = X509_get0_notBefore(ca);
		const ASN1_TIME *na = X509_get0_notAfter(ca);
		struct tm tm;
		if (!ASN1_TIME_to_tm(nb, &tm) ||
		    (s->ca_not_before = timegm(&tm)) == (time_t)-1 ||
		    !ASN1_TIME_to_tm(na, &tm) ||
		    (s->ca_not_after = timegm(&tm)) == (time_t)-1) {
			rc = kc_err(KC_ERR_INPUT, "the intermediate's validity "
			    "cannot be read");
			goto fail;
		}
	}
	return KC_OK;
fail:
	kc_signer_clear(s);
	return rc;
}

void
kc_signer_clear(struct kc_signer *s)
{
	EVP_PKEY_CTX_free(s->sign_ctx);
	EVP_PKEY_CTX_free(s->ec_import);
	EVP_PKEY_free(s->key);
	EVP_MD_free((EVP_MD *)(uintptr_t)s->sha256);
	EVP_MD_free((EVP_MD *)(uintptr_t)s->sha384);
	EVP_MD_free((EVP_MD *)(uintptr_t)s->sha512);
	OPENSSL_free(s->issuer);
	memset(s, 0, sizeof(*s));
}

/* --- the builder ---------------------------------------------------------- */

static size_t
hdr_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

static unsigned char *
put_hdr(unsigned char *p, unsigned char tag, size_t n)
{
	*p++ = tag;
	if (n < 0x80) {
		*p++ = (unsigned char)n;
	} else if (n < 0x100) {
		*p++ = 0x81;
		*p++ = (unsigned char)n;
	} else if (n < 0x10000) {
		*p++ = 0x82;
		*p++ = (unsigned char)(n >> 8);
		*p++ = (unsigned char)n;
	} else {
		*p++ = 0x83;
		*p++ = (unsigned char)(n >> 16);
		*p++ = (unsigned char)(n >> 8);
		*p++ = (unsigned char)n;
	}
	return p;
}

static unsigned char *
put(unsigned char *p, const void *d, size_t n)
{
	memcpy(p, d, n);
	return p + n;
}

/* UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
static unsigned char *
put_time(unsigned char *p, time_t t)
{
	struct tm tm;
	char b[64];

	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 < 2050) {
		snprintf(b, sizeof(b), "%02d%02d%02d%02d%02d%02dZ",
		    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		p = put_hdr(p, 0x17, 13);
		return put(p, b, 13);
	}
	snprintf(b, sizeof(b), "%04d%02d%02d%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	p = put_hdr(p, 0x18, 15);
	return put(p, b, 15);
}

static const unsigned char ext_bc[] = { 0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d,
	0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00 };
static const unsigned char ext_ku_ds[] = { 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d,
	0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x07, 0x80 };
static const unsigned char ext_ku_ds_ke[] = { 0x30, 0x0e, 0x06, 0x03, 0x55,
	0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x05, 0xa0 };
static const unsigned char ext_eku_client[] = { 0x30, 0x13, 0x06, 0x03, 0x55,
	0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05,
	0x05, 0x07, 0x03, 0x02 };

int
kc_signer_issue(struct kc_signer *s, const unsigned char *subject,
    size_t subject_len, const unsigned char *spki, size_t spki_len,
    const unsigned char *keybits, size_t keybits_len, int keyenc,
    const unsigned char serial[KC_SERIAL_LEN], time_t nb, time_t na,
    unsigned char **der, size_t *der_len)
{
	unsigned char ski[20 + 15], *buf = NULL, *p, *tbs, sig[1024];
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	size_t exts_len, tbs_len, cap, siglen = sizeof(sig), validity_len;
	size_t total, sigbits_len;
	const unsigned char *ku = keyenc ? ext_ku_ds_ke : ext_ku_ds;

	*der = NULL;
	*der_len = 0;
	/* SKI: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 (1)) */
	memcpy(ski, (const unsigned char[]){ 0x30, 0x1d, 0x06, 0x03, 0x55,
	    0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14 }, 11);
	SHA1(keybits, keybits_len, ski + 11);
	exts_len = sizeof(ext_bc) + sizeof(ext_ku_ds) + sizeof(ext_eku_client)
	    + 31 + s->akid_len;
	validity_len = 2 + 2 * 17;
	{
		struct tm a, b;
		gmtime_r(&nb, &a);
		gmtime_r(&na, &b);
		validity_len = 2 + (a.tm_year + 1900 < 2050 ? 15 : 17) +
		    (b.tm_year + 1900 < 2050 ? 15 : 17);
	}
	tbs_len = 5 + (2 + KC_SERIAL_LEN) + s->sigalg_len +
	    s->issuer_len + validity_len + subject_len + spki_len +
	    hdr_len(hdr_len(exts_len) + exts_len) + hdr_len(exts_len) +
	    exts_len;
	cap = tbs_len + 16 + s->sigalg_len + sizeof(sig) + 16;
	if ((buf = malloc(cap)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	/* the TBS goes at a fixed offset leaving room for the outer header */
	tbs = buf + 8;
	p = put_hdr(tbs, 0x30, tbs_len);
	p = put(p, (const unsigned char[]){ 0xa0, 0x03, 0x02, 0x01, 0x02 }, 5);
	p = put_hdr(p, 0x02, KC_SERIAL_LEN);
	p = put(p, serial, KC_SERIAL_LEN);
	p = put(p, s->sigalg, s->sigalg_len);
	p = put(p, s->issuer, s->issuer_len);
	p = put_hdr(p, 0x30, validity_len - 2);
	p = put_time(p, nb);
	p = put_time(p, na);
	p = put(p, subject, subject_len);
	p = put(p, spki, spki_len);
	p = put_hdr(p, 0xa3, hdr_len(exts_len) + exts_len);
	p = put_hdr(p, 0x30, exts_len);
	p = put(p, ext_bc, sizeof(ext_bc));
	p = put(p, ku, sizeof(ext_ku_ds));
	p = put(p, ext_eku_client, sizeof(ext_eku_client));
	p = put(p, ski, 31);
	p = put(p, s->akid, s->akid_len);
	if ((size_t)(p - tbs) != hdr_len(tbs_len) + tbs_len) {
		free(buf);
		return kc_err(KC_ERR_INTERNAL, "certificate builder: length "
		    "mismatch (a bug)");
	}
	tbs_len = (size_t)(p - tbs);
	if (!EVP_Digest(tbs, tbs_len, dgst, &dlen, s->md, NULL) ||
	    EVP_PKEY_sign(s->sign_ctx, sig, &siglen, dgst, dlen) <= 0) {
		free(buf);
		return kc_err_ssl(KC_ERR_CRYPTO, "signing with the intermediate "
		    "key failed");
	}
	sigbits_len = 1 + siglen;
	total = tbs_len + s->sigalg_len + hdr_len(sigbits_len) + sigbits_len;
	/* outer header just before the TBS */
	{
		unsigned char h[8], *e = put_hdr(h, 0x30, total);
		size_t hl = (size_t)(e - h);
		unsigned char *start = tbs - hl;
		memcpy(start, h, hl);
		p = put(p, s->sigalg, s->sigalg_len);
		p = put_hdr(p, 0x03, sigbits_len);
		*p++ = 0;
		p = put(p, sig, siglen);
		*der_len = (size_t)(p - start);
		memmove(buf, start, *der_len);
	}
	*der = buf;
	return KC_OK;
}

/*
 * token_sign.c: every signature a token key makes (token_sign.h).
 *
 * libp11 0.4.12 signs RSA with CKM_RSA_PKCS over a DigestInfo only, which
 * tpm2-pkcs11 does as a raw decrypt needing CKA_DECRYPT (a root key must
 * not have it), and it cannot say which mechanism signed. So the private
 * key handed to X509_sign / X509_CRL_sign / EVP_DigestSign is an EVP_PKEY
 * of our own: the public key (from the token, checked) bound to a small
 * ENGINE whose EVP_PKEY_METHODs (copies of OpenSSL's RSA and EC ones, so
 * padding and digest controls work as usual) sign in digestsign, where the
 * whole data is at hand:
 *  - RSA: CKM_SHA256/384/512_RSA_PKCS over the data when the token offers
 *    the one of the digest (C_GetMechanismList), else CKM_RSA_PKCS over
 *    the DigestInfo (openCryptoki has no hash-and-sign mechanisms);
 *  - EC: CKM_ECDSA over the digest, the raw r||s turned into DER.
 * EVP_PKEY_sign (a bare digest) is refused. The mechanism of each signature
 * is written where the caller asked (shown and recorded by token.c).
 * The ENGINE and methods are made once per process and never freed (kept
 * reachable through static pointers).
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* ENGINE, EVP_PKEY_METHOD, RSA, EC_KEY */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "kc/core/error.h"
#include "token_sign.h"

#ifndef CKM_SHA256_RSA_PKCS
#define CKM_SHA256_RSA_PKCS	0x40UL
#define CKM_SHA384_RSA_PKCS	0x41UL
#define CKM_SHA512_RSA_PKCS	0x42UL
#endif

static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
static int ready;
static ENGINE *eng;
static EVP_PKEY_METHOD *pm_rsa, *pm_ec;
static int ex_idx = -1;

/* ------------------------------------------------------------------ */

void
kc_tsign_mechs(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot,
    struct kc_tsign_key *k)
{
	CK_MECHANISM_TYPE *m = NULL;
	CK_ULONG n = 0, i;

	k->sha256_rsa = k->sha384_rsa = k->sha512_rsa = 0;
	if (f->C_GetMechanismList(slot, NULL, &n) != CKR_OK || n == 0 ||
	    n > 4096 || (m = calloc(n, sizeof(*m))) == NULL)
		return;
	if (f->C_GetMechanismList(slot, m, &n) == CKR_OK)
		for (i = 0; i < n; i++) {
			if (m[i] == CKM_SHA256_RSA_PKCS)
				k->sha256_rsa = 1;
			else if (m[i] == CKM_SHA384_RSA_PKCS)
				k->sha384_rsa = 1;
			else if (m[i] == CKM_SHA512_RSA_PKCS)
				k->sha512_rsa = 1;
		}
	free(m);
}

/* The hash-and-sign mechanism of md the token offers, or 0. */
static CK_MECHANISM_TYPE
hash_sign_mech(const struct kc_tsign_key *k, int nid)
{
	if (!k->rsa)
		return 0;
	if (nid == NID_sha256 && k->sha256_rsa)
		return CKM_SHA256_RSA_PKCS;
	if (nid == NID_sha384 && k->sha384_rsa)
		return CKM_SHA384_RSA_PKCS;
	if (nid == NID_sha512 && k->sha512_rsa)
		return CKM_SHA512_RSA_PKCS;
	return 0;
}

static const char *
mech_name(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA256_RSA_PKCS:	return "CKM_SHA256_RSA_PKCS";
	case CKM_SHA384_RSA_PKCS:	return "CKM_SHA384_RSA_PKCS";
	case CKM_SHA512_RSA_PKCS:	return "CKM_SHA512_RSA_PKCS";
	case CKM_RSA_PKCS:		return "CKM_RSA_PKCS";
	case CKM_ECDSA:			return "CKM_ECDSA";
	default:			return "?";
	}
}

const char *
kc_tsign_mech_name(const struct kc_tsign_key *k, const EVP_MD *md)
{
	CK_MECHANISM_TYPE m = hash_sign_mech(k, EVP_MD_get_type(md));

	if (m != 0)
		return mech_name(m);
	return k->rsa ? "CKM_RSA_PKCS" : "CKM_ECDSA";
}

/* DigestInfo prefixes (RFC 8017 9.2 note 1). */
static const unsigned char di_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};
static const unsigned char di_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30
};
static const unsigned char di_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40
};

/* A failure, as the OpenSSL error X509_sign's caller reports
 * (ERR_LIB_USER with the text: kc_err_ssl shows it). */
static int sign_fail(const struct kc_tsign_key *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
sign_fail(const struct kc_tsign_key *k, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ERR_raise_data(ERR_LIB_USER, 1, "key '%s' in token '%s': %s",
	    k->label, k->token, msg);
	return 0;
}

/* The raw C_SignInit + C_Sign of in with mechanism m into out. */
static int
token_sign(const struct kc_tsign_key *k, CK_MECHANISM_TYPE m,
    const unsigned char *in, size_t inlen, unsigned char *out,
    CK_ULONG *outlen)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv;

	if ((rv = k->f->C_SignInit(k->session, &mech, k->key)) != CKR_OK)
		return sign_fail(k, "C_SignInit with %s failed (%s)",
		    mech_name(m), k->ckr(rv));
	rv = k->f->C_Sign(k->session, (CK_BYTE_PTR)(uintptr_t)in,
	    (CK_ULONG)inlen, out, outlen);
	if (rv != CKR_OK)
		return sign_fail(k, "C_Sign with %s failed (%s)",
		    mech_name(m), k->ckr(rv));
	return 1;
}

/* r||s of raw (rawlen bytes) as a DER ECDSA-Sig-Value in sig. */
static int
ecdsa_der(const struct kc_tsign_key *k, const unsigned char *raw,
    size_t rawlen, unsigned char *sig, size_t *siglen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = sig;
	int len, ok = 0;

	if (rawlen == 0 || rawlen % 2 != 0 || rawlen > 132)
		return sign_fail(k, "CKM_ECDSA gave a signature of %zu bytes",
		    rawlen);
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(raw, (int)(rawlen / 2), NULL)) == NULL ||
	    (s = BN_bin2bn(raw + rawlen / 2, (int)(rawlen / 2), NULL)) == NULL ||
	    !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;
	if ((len = i2d_ECDSA_SIG(es, NULL)) <= 0 || (size_t)len > *siglen)
		goto out;
	if ((len = i2d_ECDSA_SIG(es, &p)) <= 0)
		goto out;
	*siglen = (size_t)len;
	ok = 1;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ok;
}

/* The EVP_PKEY_METHOD digestsign of both methods. */
static int
digestsign(EVP_MD_CTX *mctx, unsigned char *sig, size_t *siglen,
    const unsigned char *tbs, size_t tbslen)
{
	EVP_PKEY_CTX *pctx = EVP_MD_CTX_get_pkey_ctx(mctx);
	EVP_PKEY *pkey = pctx != NULL ? EVP_PKEY_CTX_get0_pkey(pctx) : NULL;
	struct kc_tsign_key *k = pkey != NULL ?
	    EVP_PKEY_get_ex_data(pkey, ex_idx) : NULL;
	const EVP_MD *md = EVP_MD_CTX_get0_md(mctx);
	unsigned char buf[1024], in[64 + 19], dg[EVP_MAX_MD_SIZE];
	const unsigned char *di = NULL;
	unsigned int dglen = 0;
	size_t inlen = 0, dilen = 0;
	CK_ULONG blen = sizeof(buf);
	CK_MECHANISM_TYPE m;
	int ok = 0;

	if (k == NULL || md == NULL)
		return 0;
	if (sig == NULL) {
		*siglen = (size_t)EVP_PKEY_get_size(pkey);
		return 1;
	}
	if ((m = hash_sign_mech(k, EVP_MD_get_type(md))) != 0) {
		/* The token hashes the data itself. */
		if (!token_sign(k, m, tbs, tbslen, buf, &blen))
			goto out;
	} else {
		if (!EVP_Digest(tbs, tbslen, dg, &dglen, md, NULL))
			goto out;
		if (k->rsa) {
			switch (EVP_MD_get_type(md)) {
			case NID_sha256:
				di = di_sha256; dilen = sizeof(di_sha256);
				break;
			case NID_sha384:
				di = di_sha384; dilen = sizeof(di_sha384);
				break;
			case NID_sha512:
				di = di_sha512; dilen = sizeof(di_sha512);
				break;
			default:
				sign_fail(k, "digest %s is not used for RSA "
				    "signatures", EVP_MD_get0_name(md));
				goto out;
			}
			memcpy(in, di, dilen);
			memcpy(in + dilen, dg, dglen);
			inlen = dilen + dglen;
			m = CKM_RSA_PKCS;
		} else {
			memcpy(in, dg, dglen);
			inlen = dglen;
			m = CKM_ECDSA;
		}
		if (!token_sign(k, m, in, inlen, buf, &blen))
			goto out;
	}
	if (m == CKM_ECDSA) {
		if (!ecdsa_der(k, buf, blen, sig, siglen))
			goto out;
	} else {
		if (blen > *siglen) {
			sign_fail(k, "%s gave a signature longer than the "
			    "key", mech_name(m));
			goto out;
		}
		memcpy(sig, buf, blen);
		*siglen = blen;
	}
	if (k->used != NULL && k->usedsz > 0)
		snprintf(k->used, k->usedsz, "%s", mech_name(m));
	ok = 1;
out:
	OPENSSL_cleanse(dg, sizeof(dg));
	OPENSSL_cleanse(in, sizeof(in));
	return ok;
}

/* EVP_PKEY_sign on a token key: refused (only whole data is signed). */
static int
sign_init_refused(EVP_PKEY_CTX *ctx)
{
	(void)ctx;
	ERR_raise_data(ERR_LIB_USER, 1, "a token key signs whole data "
	    "(EVP_DigestSign), not a bare digest");
	return 0;
}

static int
pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
	static const int ids[] = { EVP_PKEY_RSA, EVP_PKEY_EC };

	(void)e;
	if (pmeth == NULL) {
		*nids = ids;
		return 2;
	}
	*pmeth = nid == EVP_PKEY_RSA ? pm_rsa : nid == EVP_PKEY_EC ? pm_ec :
	    NULL;
	return *pmeth != NULL;
}

static void
ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	if (ptr != NULL) {
		OPENSSL_cleanse(ptr, sizeof(struct kc_tsign_key));
		free(ptr);
	}
}

/* One copy of OpenSSL's method for id, signing through digestsign. */
static EVP_PKEY_METHOD *
method(int id, int flags)
{
	const EVP_PKEY_METHOD *std = EVP_PKEY_meth_find(id);
	EVP_PKEY_METHOD *m;

	if (std == NULL || (m = EVP_PKEY_meth_new(id, flags)) == NULL)
		return NULL;
	EVP_PKEY_meth_copy(m, std);
	EVP_PKEY_meth_set_sign(m, sign_init_refused, NULL);
	EVP_PKEY_meth_set_digestsign(m, digestsign);
	return m;
}

static void
setup(void)
{
	if ((ex_idx = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL,
	    ex_free)) < 0 ||
	    (pm_rsa = method(EVP_PKEY_RSA, EVP_PKEY_FLAG_AUTOARGLEN)) == NULL ||
	    (pm_ec = method(EVP_PKEY_EC, 0)) == NULL ||
	    (eng = ENGINE_new()) == NULL ||
	    !ENGINE_set_id(eng, "keyceremony-token") ||
	    !ENGINE_set_name(eng, "keyceremony: signatures by the token") ||
	    !ENGINE_set_pkey_meths(eng, pkey_meths))
		return;
	ready = 1;
}

int
kc_tsign_pkey(const struct kc_tsign_key *k, EVP_PKEY *pub, EVP_PKEY **out)
{
	struct kc_tsign_key *copy = NULL;
	EVP_PKEY *c = NULL;
	RSA *rsa = NULL;
	EC_KEY *ec = NULL;
	int rc;

	*out = NULL;
	if (!CRYPTO_THREAD_run_once(&once, setup) || !ready)
		return kc_err_ssl(KC_ERR_CRYPTO, "cannot set up signing through "
		    "the token");
	if ((c = EVP_PKEY_new()) == NULL ||
	    (copy = malloc(sizeof(*copy))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	*copy = *k;
	if (k->rsa) {
		if ((rsa = EVP_PKEY_get1_RSA(pub)) == NULL ||
		    !EVP_PKEY_assign_RSA(c, rsa))
			goto ssl;
		rsa = NULL;
	} else {
		if ((ec = EVP_PKEY_get1_EC_KEY(pub)) == NULL ||
		    !EVP_PKEY_assign_EC_KEY(c, ec))
			goto ssl;
		ec = NULL;
	}
	if (!EVP_PKEY_set1_engine(c, eng) ||
	    !EVP_PKEY_set_ex_data(c, ex_idx, copy))
		goto ssl;
	copy = NULL;
	*out = c;
	return KC_OK;
ssl:
	rc = kc_err_ssl(KC_ERR_CRYPTO, "key '%s' in token '%s': cannot make "
	    "its signing key", k->label, k->token);
out:
	RSA_free(rsa);
	EC_KEY_free(ec);
	EVP_PKEY_free(c);
	free(copy);
	return rc;
}

/*
 * token_pkey.c: a token key as a pair of EVP_PKEYs (kc_token_key_get,
 * kc_token_key_get_cert). Owns finding the public half (the public object
 * of the same CKA_ID, the private object's own public attributes, or the
 * key's certificate), building it in OpenSSL from the attributes (the
 * curve and RSA size policy, the RSA key-quality check), handing the
 * private key to token_sign.c (our own C_Sign), the sign/verify self-test,
 * and the record of the last key's mechanism and public-key source
 * (kc_token_sign_mech, kc_token_pub_source).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/core/keyquality.h"
#include "kc/hsm/token.h"
#include "token_int.h"
#include "token_sign.h"

/* The public key object with CKA_ID id as an EVP_PKEY built by OpenSSL
 * from its attributes (independent of libp11), and its algorithm. */
static int
pub_from_object(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE h0,
    EVP_PKEY **out, enum kc_alg *alg)
{
	CK_KEY_TYPE kt = 0;
	CK_ULONG len = sizeof(kt);
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	CK_RV rv;
	int rc;

	*out = NULL;
	if ((rv = kc_tok_get_attr(tok, h0, CKA_KEY_TYPE, &kt, &len)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "key '%s': cannot read "
		    "CKA_KEY_TYPE (%s)", label, kc_tok_ckr(rv));
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (kt == CKK_EC) {
		const char *group;
		size_t plen;
		const unsigned char *pt;

		if ((rc = kc_tok_get_attr_alloc(tok, h0, CKA_EC_PARAMS,
		    "CKA_EC_PARAMS", &a, &alen)) != KC_OK)
			goto out;
		if (alen == sizeof(kc_tok_oid_p256) &&
		    memcmp(a, kc_tok_oid_p256, alen) == 0) {
			group = "P-256";
			plen = 65;
			*alg = KC_ALG_EC_P256;
		} else if (alen == sizeof(kc_tok_oid_p384) &&
		    memcmp(a, kc_tok_oid_p384, alen) == 0) {
			group = "P-384";
			plen = 97;
			*alg = KC_ALG_EC_P384;
		} else {
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
			    "curve is neither P-256 nor P-384", label,
			    tok->info.label);
			goto out;
		}
		if ((rc = kc_tok_get_attr_alloc(tok, h0, CKA_EC_POINT,
		    "CKA_EC_POINT", &b, &blen)) != KC_OK)
			goto out;
		/* DER OCTET STRING around the point (PKCS#11), or raw. */
		if (blen == plen + 2 && b[0] == 0x04 && b[1] == plen)
			pt = b + 2;
		else if (blen == plen)
			pt = b;
		else {
			rc = kc_err(KC_ERR_PKCS11, "key '%s' in token '%s': "
			    "malformed CKA_EC_POINT", label, tok->info.label);
			goto out;
		}
		if (pt[0] != 0x04 ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, plen)) {
			rc = kc_err(KC_ERR_PKCS11, "key '%s' in token '%s': "
			    "unusable CKA_EC_POINT", label, tok->info.label);
			goto out;
		}
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else if (kt == CKK_RSA) {
		int bits;

		if ((rc = kc_tok_get_attr_alloc(tok, h0, CKA_MODULUS,
		    "CKA_MODULUS", &a, &alen)) != KC_OK ||
		    (rc = kc_tok_get_attr_alloc(tok, h0, CKA_PUBLIC_EXPONENT,
		    "CKA_PUBLIC_EXPONENT", &b, &blen)) != KC_OK)
			goto out;
		if ((bn_n = BN_bin2bn(a, (int)alen, NULL)) == NULL ||
		    (bn_e = BN_bin2bn(b, (int)blen, NULL)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		bits = BN_num_bits(bn_n);
		if (!BN_is_word(bn_e, 65537) || (bits != 2048 &&
		    bits != 3072 && bits != 4096)) {
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': RSA "
			    "key of %d bits or exponent other than 65537",
			    label, tok->info.label, bits);
			goto out;
		}
		{
			char what[256];

			snprintf(what, sizeof(what), "key '%s' in token '%s'",
			    label, (const char *)tok->info.label);
			if ((rc = kc_key_quality_rsa(bn_n, bn_e, what)) != KC_OK)
				goto out;
		}
		*alg = bits == 4096 ? KC_ALG_RSA_4096 : bits == 3072 ?
		    KC_ALG_RSA_3072 : KC_ALG_RSA_2048;
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': key type "
		    "0x%lx is neither EC nor RSA", label, tok->info.label,
		    (unsigned long)kt);
		goto out;
	}
	if (pctx == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key '%s' in token '%s': the "
		    "public key is not usable", label, tok->info.label);
		goto out;
	}
	rc = KC_OK;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(a);
	free(b);
	return rc;
}

/* The public key of the private key hpriv (label, CKA_ID id): from the
 * one public key object with its CKA_ID; for a token that has none, from
 * the private object's own CKA_EC_POINT + CKA_EC_PARAMS or CKA_MODULUS +
 * CKA_PUBLIC_EXPONENT where it shows them, else from cert (the key's
 * certificate, may be NULL; the self-test then proves they match).
 * tok->pub_src says which, with the public object's usage flags. */
static int
pub_for_key(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE hpriv,
    const unsigned char *id, size_t idlen, const X509 *cert, EVP_PKEY **out,
    enum kc_alg *alg)
{
	CK_OBJECT_HANDLE h[2];
	char usage[96], why[512];
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = kc_tok_find_objects(tok, CKO_PUBLIC_KEY, NULL, id, idlen, h,
	    2, &n)) != KC_OK)
		return rc;
	if (n > 1)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': more than "
		    "one public key with its CKA_ID", label, tok->info.label);
	if (n == 1) {
		if ((rc = pub_from_object(tok, label, h[0], out, alg)) != KC_OK)
			return rc;
		kc_tok_pub_usage(tok, h[0], usage, sizeof(usage));
		snprintf(tok->pub_src, sizeof(tok->pub_src), "the public key "
		    "object (%s)", usage);
		return KC_OK;
	}
	if (pub_from_object(tok, label, hpriv, out, alg) == KC_OK) {
		snprintf(tok->pub_src, sizeof(tok->pub_src), "the private key "
		    "object's %s (the token has no public key object)",
		    EVP_PKEY_get_base_id(*out) == EVP_PKEY_RSA ?
		    "CKA_MODULUS and CKA_PUBLIC_EXPONENT" :
		    "CKA_EC_POINT and CKA_EC_PARAMS");
		return KC_OK;
	}
	snprintf(why, sizeof(why), "%s", kc_errmsg());
	kc_err_clear();
	if (cert == NULL)
		return kc_err(KC_ERR_NOTFOUND, "key '%s' in token '%s': no public "
		    "key object with its CKA_ID, and the private key object does "
		    "not show its public key (%s); the certificate of this key "
		    "is needed", label, tok->info.label, why);
	if ((*out = X509_get_pubkey((X509 *)(uintptr_t)cert)) == NULL)
		return kc_err_ssl(KC_ERR_INPUT, "key '%s': the certificate's "
		    "public key is not usable", label);
	if ((rc = kc_alg_of_key(*out, alg)) != KC_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return rc;
	}
	snprintf(tok->pub_src, sizeof(tok->pub_src), "the certificate (the "
	    "token has no public key object, and the private one does not "
	    "show the public key)");
	return KC_OK;
}

/* Signs random data with priv (through the token) and verifies it with
 * pub (computed by OpenSSL). */
static int
self_test(struct kc_token *tok, const char *label, EVP_PKEY *priv,
    EVP_PKEY *pub, enum kc_alg alg)
{
	const EVP_MD *md = (alg == KC_ALG_EC_P384 || alg == KC_ALG_RSA_4096)
	    ? EVP_sha384() : EVP_sha256();
	EVP_MD_CTX *mctx = NULL;
	unsigned char data[48], *sig = NULL;
	size_t siglen = 0;
	int rc = KC_OK;

	if ((rc = kc_token_random(tok, data, sizeof(data))) != KC_OK)
		return rc;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(mctx, NULL, md, NULL, priv) <= 0 ||
	    EVP_DigestSign(mctx, NULL, &siglen, data, sizeof(data)) <= 0 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, data, sizeof(data)) <= 0) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "self-test of key '%s' in "
		    "token '%s': signing through the token failed (OpenSSL "
		    "%s)", label, tok->info.label, OpenSSL_version(
		    OPENSSL_VERSION_STRING));
		goto out;
	}
	EVP_MD_CTX_free(mctx);
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pub) <= 0 ||
	    EVP_DigestVerify(mctx, sig, siglen, data, sizeof(data)) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_INTERNAL, "self-test of key '%s' in token "
		    "'%s': the token's signature does not verify with the "
		    "public key of the same CKA_ID (the halves do not match, "
		    "or OpenSSL %s is broken: 3.0.12 and 3.0.13 break HSM "
		    "keys); refusing to sign", label,
		    tok->info.label, OpenSSL_version(OPENSSL_VERSION_STRING));
		goto out;
	}
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(sig);
	OPENSSL_cleanse(data, sizeof(data));
	return rc;
}

int
kc_token_key_get(struct kc_token *tok, const char *label, EVP_PKEY **priv,
    EVP_PKEY **pub)
{
	return kc_token_key_get_cert(tok, label, NULL, priv, pub);
}

int
kc_token_key_get_cert(struct kc_token *tok, const char *label,
    const X509 *cert, EVP_PKEY **priv, EVP_PKEY **pub)
{
	struct kc_tsign_key k;
	CK_OBJECT_HANDLE h;
	EVP_PKEY *sk = NULL, *pk = NULL;
	unsigned char *id = NULL;
	size_t idlen = 0;
	enum kc_alg alg = KC_ALG_NONE;
	int rc;

	if (priv != NULL)
		*priv = NULL;
	if (pub != NULL)
		*pub = NULL;
	tok->sign_mech[0] = '\0';
	tok->pub_src[0] = '\0';
	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(label)) != KC_OK ||
	    (rc = kc_tok_find_priv(tok, label, &h)) != KC_OK ||
	    (rc = kc_tok_check_priv(tok, h, label, NULL)) != KC_OK)
		return rc;
	if ((rc = kc_tok_get_attr_alloc(tok, h, CKA_ID, "CKA_ID", &id, &idlen))
	    != KC_OK) {
		rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s' has no "
		    "CKA_ID; its public half cannot be found", label,
		    tok->info.label);
		goto out;
	}
	if ((rc = pub_for_key(tok, label, h, id, idlen, cert, &pk, &alg))
	    != KC_OK)
		goto out;
	/* Signatures by our own C_Sign (token_sign.c), not libp11's. */
	memset(&k, 0, sizeof(k));
	k.f = tok->ctx->f;
	k.session = tok->session;
	k.key = h;
	k.rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;
	kc_tsign_mechs(tok->ctx->f, tok->slot_id, &k);
	snprintf(k.label, sizeof(k.label), "%s", label);
	snprintf(k.token, sizeof(k.token), "%s", tok->info.label);
	k.used = tok->sign_mech;
	k.usedsz = sizeof(tok->sign_mech);
	k.ckr = kc_tok_ckr;
	if ((rc = kc_tsign_pkey(&k, pk, &sk)) != KC_OK ||
	    (rc = self_test(tok, label, sk, pk, alg)) != KC_OK)
		goto out;
	kc_log(KC_LOG_INFO, "key '%s' in token '%s' signs with %s; its public "
	    "key comes from %s", label, tok->info.label, tok->sign_mech,
	    tok->pub_src);
	if (priv != NULL) {
		*priv = sk;
		sk = NULL;
	}
	if (pub != NULL) {
		*pub = pk;
		pk = NULL;
	}
	rc = KC_OK;
out:
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);
	free(id);
	ERR_clear_error();
	return rc;
}

const char *
kc_token_sign_mech(const struct kc_token *tok)
{
	return tok->sign_mech;
}

const char *
kc_token_pub_source(const struct kc_token *tok)
{
	return tok->pub_src;
}

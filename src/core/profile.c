/* profile.c: certificate profiles: the profile, never the request, decides
 * the extensions. Also signing with verification after (see kc/x509.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext;

	if ((ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		return kc_err_ssl(KC_ERR_CRYPTO, "cannot build %s extension "
		    "'%s'", OBJ_nid2sn(nid), value);
	if (!X509_add_ext(x, ext, -1)) {
		X509_EXTENSION_free(ext);
		return kc_err_ssl(KC_ERR_CRYPTO, "cannot add %s extension",
		    OBJ_nid2sn(nid));
	}
	X509_EXTENSION_free(ext);
	return KC_OK;
}

/* basicConstraints and keyUsage of a profile, as OpenSSL's config
 * strings: the one place they are decided (kc_cert_build, and the text
 * kc_profile_extensions gives the witnesses before the day). */
static void
profile_bc_ku(enum kc_profile p, int path_len, int rsa, char bc[64],
    const char **ku)
{
	if (p == KC_PROFILE_ROOT || p == KC_PROFILE_INTERMEDIATE) {
		if (path_len >= 0)
			snprintf(bc, 64, "critical,CA:TRUE,pathlen:%d",
			    path_len);
		else
			snprintf(bc, 64, "critical,CA:TRUE");
		*ku = "critical,keyCertSign,cRLSign,digitalSignature";
	} else {
		snprintf(bc, 64, "critical,CA:FALSE");
		*ku = p == KC_PROFILE_DEVICE && rsa ?
		    "critical,digitalSignature,keyEncipherment" :
		    "critical,digitalSignature";
	}
}

/* "critical,CA:TRUE" as "critical, CA:TRUE". */
static void
spaced(char *out, size_t outsz, const char *cfg)
{
	size_t o = 0;

	for (; *cfg != '\0' && o + 3 < outsz; cfg++) {
		out[o++] = *cfg;
		if (*cfg == ',')
			out[o++] = ' ';
	}
	out[o] = '\0';
}

int
kc_profile_extensions(enum kc_profile p, int path_len, int rsa, char *out,
    size_t outsz)
{
	char bc[64], bcs[80], kus[96];
	const char *ku;
	int n, is_ca = p == KC_PROFILE_ROOT || p == KC_PROFILE_INTERMEDIATE;

	profile_bc_ku(p, path_len, rsa, bc, &ku);
	spaced(bcs, sizeof(bcs), bc);
	spaced(kus, sizeof(kus), ku);
	n = snprintf(out, outsz,
	    "basicConstraints: %s\n"
	    "keyUsage: %s\n"
	    "%s"
	    "subjectKeyIdentifier: SHA-1 of the subject's public key\n"
	    "authorityKeyIdentifier: %s\n",
	    bcs, kus, is_ca ? "" : "extendedKeyUsage: clientAuth\n",
	    p == KC_PROFILE_ROOT ? "keyid, the same as the subjectKeyIdentifier "
	    "(self-signed)" : "keyid of the issuer certificate's "
	    "subjectKeyIdentifier");
	if (n < 0 || (size_t)n >= outsz)
		return kc_err(KC_ERR_INTERNAL, "extension text too long");
	return KC_OK;
}

int
kc_cert_build(const struct kc_cert_req *r, X509 **out)
{
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	X509V3_CTX ctx;
	char bc[64];
	const char *ku;
	int rc, is_ca, rsa;

	*out = NULL;
	if (r->subject == NULL || r->subject_key == NULL || r->serial == NULL ||
	    r->serial_len == 0 || r->serial_len > 20)
		return kc_err(KC_ERR_USAGE, "incomplete certificate request");
	is_ca = r->profile == KC_PROFILE_ROOT ||
	    r->profile == KC_PROFILE_INTERMEDIATE;
	rsa = EVP_PKEY_get_base_id(r->subject_key) == EVP_PKEY_RSA;
	if ((x = X509_new()) == NULL ||
	    (bn = BN_bin2bn(r->serial, (int)r->serial_len, NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_set_subject_name(x, r->subject) ||
	    !X509_set_issuer_name(x, r->issuer != NULL ?
	    X509_get_subject_name(r->issuer) : r->subject) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), r->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), r->not_after) == NULL ||
	    !X509_set_pubkey(x, r->subject_key)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot build the %s "
		    "certificate", kc_profile_name(r->profile));
		goto out;
	}
	X509V3_set_ctx(&ctx, r->issuer != NULL ? (X509 *)r->issuer : x, x,
	    NULL, NULL, 0);
	profile_bc_ku(r->profile, r->path_len, rsa, bc, &ku);
	/* SKI before AKI: a self-signed AKI is taken from the SKI. */
	if ((rc = add_ext(x, &ctx, NID_basic_constraints, bc)) != KC_OK ||
	    (rc = add_ext(x, &ctx, NID_key_usage, ku)) != KC_OK ||
	    (!is_ca && (rc = add_ext(x, &ctx, NID_ext_key_usage,
	    "clientAuth")) != KC_OK) ||
	    (rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash")) != KC_OK ||
	    (rc = add_ext(x, &ctx, NID_authority_key_identifier,
	    "keyid:always")) != KC_OK)
		goto out;
	*out = x;
	x = NULL;
	rc = KC_OK;
out:
	X509_free(x);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	return rc;
}

int
kc_cert_sign(X509 *x, EVP_PKEY *signer, const X509 *issuer,
    enum kc_profile profile)
{
	EVP_PKEY *issuer_pub;
	enum kc_alg alg;
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *fresh = NULL;
	int len, rc;

	issuer_pub = issuer != NULL ? X509_get0_pubkey(issuer) :
	    X509_get0_pubkey(x);
	if ((rc = kc_alg_of_key(issuer_pub, &alg)) != KC_OK)
		return rc;
	if ((rc = kc_cert_lint(x, issuer, profile)) != KC_OK)
		return rc;
	if (X509_sign(x, signer, kc_alg_digest(alg)) <= 0)
		return kc_err_ssl(KC_ERR_CRYPTO, "signing the %s certificate "
		    "failed", kc_profile_name(profile));
	/* Check what was really signed: re-parse the encoding, verify the
	 * signature with the issuer's public key and lint it again. */
	if ((len = i2d_X509(x, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the signed "
		    "certificate");
		goto out;
	}
	p = der;
	if ((fresh = d2i_X509(NULL, &p, len)) == NULL || p != der + len) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the signed certificate does "
		    "not parse");
		goto out;
	}
	if (X509_verify(fresh, issuer_pub) != 1) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the signature on the %s "
		    "certificate does not verify with the issuer's public key; "
		    "nothing was written", kc_profile_name(profile));
		goto out;
	}
	if ((rc = kc_cert_lint(fresh, issuer, profile)) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	OPENSSL_free(der);
	X509_free(fresh);
	return rc;
}

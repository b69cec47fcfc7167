/* lint.c: RFC 5280 checks of a certificate before it is signed and again
 * after (see kc_cert_lint in kc/x509.h). Extensions are decoded from the
 * certificate itself, never from OpenSSL's cached view of it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"

#define LINT(cond, ...) do { if (!(cond)) { \
	rc = kc_err(KC_ERR_INTERNAL, "lint: " __VA_ARGS__); goto out; } } while (0)

/* 1 when the extension nid is present; *crit gets its critical flag. */
static void *
get_ext(const X509 *x, int nid, int *crit)
{
	int idx = -1;
	void *v;

	*crit = -1;
	v = X509_get_ext_d2i(x, nid, crit, &idx);
	if (v == NULL && *crit == -2)	/* duplicated */
		*crit = -2;
	return v;
}

int
kc_cert_lint(X509 *x, const X509 *issuer, enum kc_profile profile)
{
	const char *pn = kc_profile_name(profile);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	const X509 *iss = issuer != NULL ? issuer : x;
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OCTET_STRING *ski = NULL, *iss_ski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	BIGNUM *bn = NULL;
	int rc = KC_OK, crit, is_ca, cmp, nexts;

	is_ca = profile == KC_PROFILE_ROOT || profile == KC_PROFILE_INTERMEDIATE;
	LINT(X509_get_version(x) == X509_VERSION_3, "%s: not a v3 certificate", pn);
	bn = ASN1_INTEGER_to_BN(serial, NULL);
	LINT(bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn),
	    "%s: serial must be positive", pn);
	LINT(BN_num_bytes(bn) <= 20, "%s: serial longer than 20 octets", pn);
	LINT(ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notAfter(x)) < 0,
	    "%s: notBefore is not before notAfter", pn);
	LINT(X509_NAME_entry_count(X509_get_subject_name(x)) > 0 || !is_ca,
	    "%s: a CA certificate needs a subject", pn);
	/* a second line behind the intake checks: no control, C1,
	 * bidirectional or format character in what is signed */
	if (kc_name_check(X509_get_subject_name(x), "subject") != KC_OK) {
		char m[512];

		snprintf(m, sizeof(m), "%s", kc_errmsg());
		rc = kc_err(KC_ERR_INTERNAL, "lint: %s: %s", pn, m);
		goto out;
	}
	LINT(kc_name_der_equal(X509_get_issuer_name(x), X509_get_subject_name(iss)),
	    "%s: issuer name differs from the issuer's subject", pn);
	if (issuer != NULL) {
		cmp = ASN1_TIME_compare(X509_get0_notAfter(x),
		    X509_get0_notAfter(issuer));
		LINT(cmp <= 0, "%s: validity ends after the issuer's", pn);
		cmp = ASN1_TIME_compare(X509_get0_notBefore(x),
		    X509_get0_notBefore(issuer));
		LINT(cmp >= 0, "%s: validity starts before the issuer's", pn);
	}

	/* No extension may appear twice (RFC 5280 4.2). */
	nexts = X509_get_ext_count(x);
	for (int i = 0; i < nexts; i++) {
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(
		    X509_get_ext(x, i)));
		LINT(X509_get_ext_by_NID(x, nid, i) < 0 || nid == NID_undef,
		    "%s: duplicate %s extension", pn, OBJ_nid2sn(nid));
	}

	bc = get_ext(x, NID_basic_constraints, &crit);
	LINT(bc != NULL, "%s: basicConstraints missing", pn);
	LINT(!is_ca || crit == 1, "%s: basicConstraints must be critical in a CA", pn);
	LINT((bc->ca != 0) == is_ca, "%s: basicConstraints CA flag is %s",
	    pn, bc->ca ? "TRUE" : "FALSE");
	LINT(is_ca || bc->pathlen == NULL, "%s: pathLen in an end-entity", pn);

	ku = get_ext(x, NID_key_usage, &crit);
	LINT(ku != NULL, "%s: keyUsage missing", pn);
	LINT(crit == 1, "%s: keyUsage must be critical", pn);
	if (is_ca) {
		LINT(ASN1_BIT_STRING_get_bit(ku, 5), "%s: keyUsage lacks keyCertSign", pn);
		LINT(ASN1_BIT_STRING_get_bit(ku, 6), "%s: keyUsage lacks cRLSign", pn);
	} else {
		LINT(!ASN1_BIT_STRING_get_bit(ku, 5) && !ASN1_BIT_STRING_get_bit(ku, 6),
		    "%s: keyCertSign/cRLSign in an end-entity", pn);
		LINT(ASN1_BIT_STRING_get_bit(ku, 0), "%s: keyUsage lacks "
		    "digitalSignature", pn);
		LINT(!ASN1_BIT_STRING_get_bit(ku, 2) ||
		    EVP_PKEY_get_base_id(X509_get0_pubkey(x)) == EVP_PKEY_RSA,
		    "%s: keyEncipherment on a non-RSA key", pn);
		eku = get_ext(x, NID_ext_key_usage, &crit);
		LINT(eku != NULL, "%s: extendedKeyUsage missing", pn);
		{
			int client = 0;
			for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
				if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) ==
				    NID_client_auth)
					client = 1;
			LINT(client, "%s: extendedKeyUsage lacks clientAuth", pn);
		}
	}

	ski = get_ext(x, NID_subject_key_identifier, &crit);
	LINT(ski != NULL && ASN1_STRING_length(ski) > 0,
	    "%s: subjectKeyIdentifier missing", pn);
	LINT(crit != 1, "%s: subjectKeyIdentifier must not be critical", pn);
	aki = get_ext(x, NID_authority_key_identifier, &crit);
	LINT(aki != NULL && aki->keyid != NULL,
	    "%s: authorityKeyIdentifier keyid missing", pn);
	LINT(crit != 1, "%s: authorityKeyIdentifier must not be critical", pn);
	if (issuer != NULL)
		iss_ski = get_ext(issuer, NID_subject_key_identifier, &crit);
	{
		const ASN1_OCTET_STRING *want = issuer != NULL ? iss_ski : ski;
		LINT(want != NULL && ASN1_OCTET_STRING_cmp(aki->keyid, want) == 0,
		    "%s: authorityKeyIdentifier differs from the issuer's "
		    "subjectKeyIdentifier", pn);
	}
out:
	BN_free(bn);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(iss_ski);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

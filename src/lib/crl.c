/* crl.c: CRL v2 of a root: build, RFC 5280 lint, sign-then-verify
 * (see kc/crl.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/crl.h"
#include "kc/error.h"
#include "kc/register.h"
#include "kc/x509.h"

#define LINT(cond, ...) do { if (!(cond)) { \
	rc = kc_err(KC_ERR_INTERNAL, "CRL lint: " __VA_ARGS__); goto out; } \
	} while (0)

static ASN1_INTEGER *
hex_to_integer(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	int n = BN_hex2bn(&bn, hex);

	if (n > 0 && (size_t)n == strlen(hex))
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

int
kc_crl_build(const struct kc_crl_req *r, X509_CRL **out)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL, *serial = NULL;
	ASN1_ENUMERATED *reason = NULL;
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *ski;
	int rc = KC_OK;

	*out = NULL;
	if (r->issuer == NULL || r->number < 1)
		return kc_err(KC_ERR_USAGE, "incomplete CRL request");
	if ((ski = X509_get0_subject_key_id((X509 *)r->issuer)) == NULL)
		return kc_err(KC_ERR_INPUT, "the root certificate has no "
		    "subjectKeyIdentifier; cannot name it in a CRL");
	if ((crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(r->issuer)) ||
	    (t = ASN1_TIME_set(NULL, r->this_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, r->next_update) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto ssl_fail;
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct kc_crl_entry *e = &r->entries[i];

		if ((serial = hex_to_integer(e->serial)) == NULL) {
			rc = kc_err(KC_ERR_INPUT, "bad serial '%s' in the "
			    "register", e->serial);
			goto out;
		}
		if ((rev = X509_REVOKED_new()) == NULL ||
		    !X509_REVOKED_set_serialNumber(rev, serial) ||
		    ASN1_TIME_set(t, e->revoked_at) == NULL ||
		    !X509_REVOKED_set_revocationDate(rev, t))
			goto ssl_fail;
		if (e->reason != KC_REASON_NONE) {
			if ((reason = ASN1_ENUMERATED_new()) == NULL ||
			    !ASN1_ENUMERATED_set(reason, e->reason) ||
			    !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason,
			    reason, 0, 0))
				goto ssl_fail;
			ASN1_ENUMERATED_free(reason);
			reason = NULL;
		}
		if (!X509_CRL_add0_revoked(crl, rev))
			goto ssl_fail;
		rev = NULL;
		ASN1_INTEGER_free(serial);
		serial = NULL;
	}
	if (!X509_CRL_sort(crl) || (num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_int64(num, r->number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid,
	    0, 0))
		goto ssl_fail;
	*out = crl;
	crl = NULL;
	goto out;
ssl_fail:
	rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot build the CRL");
out:
	X509_CRL_free(crl);
	X509_REVOKED_free(rev);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(serial);
	ASN1_ENUMERATED_free(reason);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

int
kc_crl_lint(X509_CRL *crl, const X509 *issuer)
{
	const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl);
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuer);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	AUTHORITY_KEYID *aki = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_ENUMERATED *reason = NULL;
	BIGNUM *bn = NULL, *prev = NULL;
	int rc = KC_OK, crit;

	LINT(X509_CRL_get_version(crl) == X509_CRL_VERSION_2, "not a v2 CRL");
	LINT(kc_name_der_equal(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(issuer)),
	    "issuer name differs from the root's subject");
	LINT(last != NULL && next != NULL, "thisUpdate or nextUpdate missing");
	LINT(ASN1_TIME_compare(last, next) < 0,
	    "thisUpdate is not before nextUpdate");
	LINT(ASN1_TIME_compare(next, X509_get0_notAfter(issuer)) <= 0,
	    "nextUpdate is after the root's notAfter");
	LINT(X509_get_key_usage((X509 *)issuer) & KU_CRL_SIGN,
	    "the root's keyUsage does not allow cRLSign");
	LINT(X509_CRL_get_ext_count(crl) == 2, "unexpected CRL extensions");

	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit,
	    NULL);
	LINT(aki != NULL && aki->keyid != NULL, "authorityKeyIdentifier "
	    "missing");
	LINT(crit == 0, "authorityKeyIdentifier must not be critical");
	LINT(ski != NULL && ASN1_OCTET_STRING_cmp(aki->keyid, ski) == 0,
	    "authorityKeyIdentifier differs from the root's "
	    "subjectKeyIdentifier");

	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	LINT(num != NULL, "cRLNumber missing");
	LINT(crit == 0, "cRLNumber must not be critical");
	bn = ASN1_INTEGER_to_BN(num, NULL);
	LINT(bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
	    BN_num_bytes(bn) <= 20, "cRLNumber must be positive, at most 20 "
	    "octets");
	BN_free(bn);
	bn = NULL;

	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		X509_REVOKED *rv = sk_X509_REVOKED_value(revs, i);
		bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(rv),
		    NULL);
		LINT(bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
		    BN_num_bytes(bn) <= 20, "revoked serial must be positive, "
		    "at most 20 octets");
		LINT(prev == NULL || BN_cmp(prev, bn) < 0,
		    "revoked serials not unique and sorted");
		LINT(ASN1_TIME_compare(X509_REVOKED_get0_revocationDate(rv),
		    next) <= 0, "revocation date after nextUpdate");
		BN_free(prev);
		prev = bn;
		bn = NULL;
		reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit,
		    NULL);
		LINT(reason != NULL || crit == -1, "unreadable reasonCode");
		if (reason != NULL) {
			long v = ASN1_ENUMERATED_get(reason);
			LINT(crit == 0, "reasonCode must not be critical");
			LINT(v == KC_REASON_KEY_COMPROMISE ||
			    v == KC_REASON_CA_COMPROMISE ||
			    v == KC_REASON_SUPERSEDED ||
			    v == KC_REASON_CESSATION, "reasonCode %ld not "
			    "allowed", v);
			ASN1_ENUMERATED_free(reason);
			reason = NULL;
		}
		LINT(X509_REVOKED_get_ext_count(rv) <= 1,
		    "unexpected CRL entry extensions");
	}
out:
	AUTHORITY_KEYID_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	BN_free(prev);
	return rc;
}

/* The bytes of the first element of a DER SEQUENCE (the TBS). */
static int
first_child(const unsigned char *p, size_t len, const unsigned char **c,
    size_t *clen)
{
	size_t hl, n, i, vlen;

	for (int depth = 0; depth < 2; depth++) {
		if (len < 2 || p[0] != 0x30)
			return -1;
		if (p[1] < 0x80) {
			hl = 2;
			vlen = p[1];
		} else {
			n = p[1] & 0x7f;
			if (n == 0 || n > 4 || len < 2 + n)
				return -1;
			for (vlen = 0, i = 0; i < n; i++)
				vlen = (vlen << 8) | p[2 + i];
			hl = 2 + n;
		}
		if (vlen > len - hl)
			return -1;
		if (depth == 1) {
			*c = p;
			*clen = hl + vlen;
			return 0;
		}
		p += hl;
		len = vlen;
	}
	return -1;
}

int
kc_crl_sign(X509_CRL *crl, EVP_PKEY *signer, const X509 *issuer)
{
	EVP_PKEY *pub = X509_get0_pubkey(issuer);
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *p, *signed_tbs;
	size_t signed_len;
	X509_CRL *fresh = NULL;
	enum kc_alg alg;
	int tbs_len, len, rc;

	if ((rc = kc_alg_of_key(pub, &alg)) != KC_OK)
		return rc;
	if ((rc = kc_crl_lint(crl, issuer)) != KC_OK)
		return rc;
	if (X509_CRL_sign(crl, signer, kc_alg_digest(alg)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "signing the CRL failed");
		goto out;
	}
	/* The linted fields, encoded afresh (signing only set the
	 * signature algorithm), must be exactly what was signed. */
	if ((tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the CRL");
		goto out;
	}
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the signed CRL");
		goto out;
	}
	p = der;
	if ((fresh = d2i_X509_CRL(NULL, &p, len)) == NULL || p != der + len) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the signed CRL does not "
		    "parse");
		goto out;
	}
	if (X509_CRL_verify(fresh, pub) != 1) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the CRL's signature does not "
		    "verify with the root's public key; nothing was written");
		goto out;
	}
	if (first_child(der, (size_t)len, &signed_tbs, &signed_len) != 0 ||
	    signed_len != (size_t)tbs_len ||
	    memcmp(signed_tbs, tbs, signed_len) != 0) {
		rc = kc_err(KC_ERR_INTERNAL, "the signed CRL is not the one "
		    "that was checked; nothing was written");
		goto out;
	}
	rc = kc_crl_lint(fresh, issuer);
out:
	ERR_clear_error();
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	X509_CRL_free(fresh);
	return rc;
}

int
kc_crl_pem(const X509_CRL *crl, char **pem, size_t *len)
{
	BIO *b;

	*pem = NULL;
	*len = 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(b, (X509_CRL *)crl)) {
		BIO_free(b);
		return kc_err_ssl(KC_ERR_CRYPTO, "PEM encoding failed");
	}
	return kc_bio_take(b, "a CRL", pem, len);
}

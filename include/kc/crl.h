/*
 * kc/crl.h: certificate revocation lists of a root, built, linted,
 * signed and verified the same way as certificates (kc/x509.h).
 *
 * kc_crl_build() makes the unsigned CRL v2 (issuer = the root's subject,
 * thisUpdate/nextUpdate, CRL number, AKI = the root's SKI, the revoked
 * entries sorted by serial); kc_crl_sign() lints it, signs it, re-parses
 * the encoding, verifies the signature with the root's public key, checks
 * that the signed TBS is byte for byte the one that was linted, and lints
 * the re-parsed CRL again.
 */
#ifndef KC_CRL_H
#define KC_CRL_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct kc_crl_entry {
	const char	*serial;	/* hex */
	time_t		 revoked_at;
	int		 reason;	/* KC_REASON_* (kc/register.h);
					   KC_REASON_NONE: no reason code */
};

struct kc_crl_req {
	const X509	*issuer;	/* the root certificate */
	long long	 number;	/* CRL number, >= 1 */
	time_t		 this_update, next_update;
	const struct kc_crl_entry *entries;
	size_t		 n_entries;
};

/* Caller frees *out with X509_CRL_free(). */
int kc_crl_build(const struct kc_crl_req *req, X509_CRL **out);

/* RFC 5280 checks: v2, issuer byte-equal to the root's subject,
 * thisUpdate < nextUpdate <= the root's notAfter, AKI keyid = the root's
 * SKI (not critical), CRL number present (not critical, positive, <= 20
 * octets), every revoked serial positive and unique, reason codes valid,
 * the root allowed to sign CRLs (keyUsage cRLSign). */
int kc_crl_lint(X509_CRL *crl, const X509 *issuer);

/* Lint, sign with signer, verify (see above). */
int kc_crl_sign(X509_CRL *crl, EVP_PKEY *signer, const X509 *issuer);

/* PEM in a malloc'd buffer. */
int kc_crl_pem(const X509_CRL *crl, char **pem, size_t *len);

#endif

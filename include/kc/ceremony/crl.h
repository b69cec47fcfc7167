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

/* What a signed CRL of the root says, for checking the register against
 * it (a rolled-back register must not sign a lower CRL number or drop a
 * revocation). */
struct kc_crl_revoked {
	char	serial[41];	/* lower-case hex, as kc_cert_serial_hex() */
	int	reason;		/* KC_REASON_*; KC_REASON_NONE: no code */
};
struct kc_crl_info {
	long long		 number;
	time_t			 this_update;
	size_t			 n;
	struct kc_crl_revoked	*revoked;	/* malloc'd */
};
void kc_crl_info_free(struct kc_crl_info *info);	/* the list only */

/* Reads path (one CRL, PEM or DER, opened as kc_file_read() does) and
 * fills info when it is a CRL of issuer: issuer name equal to the root's
 * subject and a signature that verifies with the root's public key.
 * KC_ERR_NOTFOUND (message set) when it is another CA's CRL,
 * KC_ERR_CRYPTO when it names the root but its signature does not verify,
 * KC_ERR_INPUT when it is not one CRL. */
int kc_crl_info_load(const char *path, const X509 *issuer,
    struct kc_crl_info *info);

/* The revoked list as "serial:reason,..." (reason as kc_reason_name(),
 * "none" for no code), in a malloc'd string; and back. */
int kc_crl_revoked_format(const struct kc_crl_info *info, char **out);
int kc_crl_revoked_parse(const char *s, struct kc_crl_info *info);

/* The "crl" transcript record of a CRL the root just signed (path) with
 * the issuer certificate file: ca (SHA-256 of the root), number,
 * revoked-count, revoked (or revoked-sha256 when the list is too long for
 * one record), file and its SHA-256. The ceremony engine writes it after
 * every crl-issue step, so that a later CRL can be checked against the
 * transcripts too. */
struct kc_transcript;
int kc_crl_transcript_record(struct kc_transcript *tr, const char *path,
    const char *issuer_path);

#endif

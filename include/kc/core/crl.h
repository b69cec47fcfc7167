/*
 * kc/core/crl.h: certificate revocation lists of any CA (the root on the
 * ceremony side, the factory's intermediate on the factory side), built,
 * linted, signed and verified the same way as certificates (kc/core/x509.h).
 * Ownership: the caller owns every X509_CRL and buffer these return.
 *
 * kc_crl_build() makes the unsigned CRL v2 (issuer = the issuing CA's
 * subject, thisUpdate/nextUpdate, CRL number, AKI = the CA's SKI, the
 * revoked entries sorted by serial); kc_crl_sign() lints it, signs it,
 * re-parses the encoding, verifies the signature with the CA's public key,
 * checks that the signed TBS is byte for byte the one that was linted, and
 * lints the re-parsed CRL again. kc_crl_make() is both; kc_crl_write()
 * writes the PEM atomically. Messages call the CA "the root" when its
 * certificate is self-signed and "the issuing CA" otherwise.
 *
 * The register of what was revoked and when is the caller's (the root's
 * register, kc/ceremony/register.h; the factory ledger).
 */
#ifndef KC_CORE_CRL_H
#define KC_CORE_CRL_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* CRL reason codes (RFC 5280 5.3.1); KC_REASON_NONE: no reason code. */
enum {
	KC_REASON_NONE = -1,
	KC_REASON_UNSPECIFIED = 0,
	KC_REASON_KEY_COMPROMISE = 1,
	KC_REASON_CA_COMPROMISE = 2,
	KC_REASON_SUPERSEDED = 4,
	KC_REASON_CESSATION = 5,
};
/* "keyCompromise", "cACompromise", "superseded", "cessationOfOperation";
 * kc_reason_parse accepts exactly those names (KC_ERR_USAGE otherwise).
 * kc_reason_name also names KC_REASON_NONE ("none") and
 * KC_REASON_UNSPECIFIED ("unspecified"); "unknown" for anything else. */
int kc_reason_parse(const char *s, int *reason);
const char *kc_reason_name(int reason);

struct kc_crl_entry {
	const char	*serial;	/* hex */
	time_t		 revoked_at;
	int		 reason;	/* KC_REASON_*; KC_REASON_NONE: no
					   reason code */
};

struct kc_crl_req {
	const X509	*issuer;	/* the issuing CA's certificate */
	long long	 number;	/* CRL number, >= 1 */
	time_t		 this_update, next_update;
	const struct kc_crl_entry *entries;
	size_t		 n_entries;
};

/* Caller frees *out with X509_CRL_free(). */
int kc_crl_build(const struct kc_crl_req *req, X509_CRL **out);

/* RFC 5280 checks: v2, issuer byte-equal to the CA's subject,
 * thisUpdate < nextUpdate <= the CA's notAfter, AKI keyid = the CA's
 * SKI (not critical), CRL number present (not critical, positive, <= 20
 * octets), every revoked serial positive and unique, reason codes valid,
 * the CA allowed to sign CRLs (keyUsage cRLSign). */
int kc_crl_lint(X509_CRL *crl, const X509 *issuer);

/* Lint, sign with signer, verify (see above). */
int kc_crl_sign(X509_CRL *crl, EVP_PKEY *signer, const X509 *issuer);

/* kc_crl_build() then kc_crl_sign() with signer: the signed CRL in *out
 * (caller frees), NULL on failure. */
int kc_crl_make(const struct kc_crl_req *req, EVP_PKEY *signer,
    X509_CRL **out);

/* PEM in a malloc'd buffer. */
int kc_crl_pem(const X509_CRL *crl, char **pem, size_t *len);

/* The PEM written to path by kc_file_write() (temporary file, fsync,
 * link/rename: a reader never sees half a CRL) with mode and flags
 * (KC_WRITE_EXCL: refuse an existing path). */
int kc_crl_write(const char *path, const X509_CRL *crl, mode_t mode,
    int flags);

/* Reads path as a hostile input (kc_file_read(): no symbolic link, FIFO
 * or foreign owner, size cap) holding exactly one CRL, PEM or DER, and
 * nothing after it. KC_ERR_INPUT (message naming path) otherwise. */
int kc_crl_file_load(const char *path, X509_CRL **out);

/* What a signed CRL says, for checking a register against it (a
 * rolled-back register must not sign a lower CRL number or drop a
 * revocation) and for reporting what is due. */
struct kc_crl_revoked {
	char	serial[41];	/* lower-case hex, as kc_cert_serial_hex() */
	int	reason;		/* KC_REASON_*; KC_REASON_NONE: no code */
};
struct kc_crl_info {
	long long		 number;
	time_t			 this_update;
	time_t			 next_update;	/* 0: none */
	size_t			 n;
	struct kc_crl_revoked	*revoked;	/* malloc'd */
};
void kc_crl_info_free(struct kc_crl_info *info);	/* the list only */

/* Reads path (kc_crl_file_load()) and fills info when it is a CRL of
 * issuer: issuer name equal to the CA's subject and a signature that
 * verifies with the CA's public key. KC_ERR_NOTFOUND (message set) when it
 * is another CA's CRL, KC_ERR_CRYPTO when it names the CA but its
 * signature does not verify, KC_ERR_INPUT when it is not one CRL. */
int kc_crl_info_load(const char *path, const X509 *issuer,
    struct kc_crl_info *info);

/* The CRLs of issuer among the *.crl files of dir, in name order: fn is
 * called with the path and what the CRL says (info valid during the
 * call), or with info NULL when the file is not a usable CRL of issuer
 * (unreadable, not one CRL, a signature that does not verify: kc_errmsg()
 * says why, and the walk clears it after fn returns). Files of another
 * CA are skipped. A non-KC_OK return from fn stops the walk and is
 * returned. A missing directory is KC_OK (nothing to compare with). */
typedef int kc_crl_dir_fn(const char *path, const struct kc_crl_info *info,
    void *arg);
int kc_crl_dir_each(const char *dir, const X509 *issuer, kc_crl_dir_fn *fn,
    void *arg);

/* The revoked list as "serial:reason,..." (reason as kc_reason_name(),
 * "none" for no code), in a malloc'd string; and back. */
int kc_crl_revoked_format(const struct kc_crl_info *info, char **out);
int kc_crl_revoked_parse(const char *s, struct kc_crl_info *info);

#endif

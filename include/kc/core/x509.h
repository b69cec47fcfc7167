/*
 * kc/x509.h: names, algorithms, certificate profiles, lint and signing.
 *
 * Certificates are built in two steps: kc_cert_build() makes the
 * to-be-signed certificate from a struct kc_cert_req, with extensions
 * decided by the profile (never by a CSR); kc_cert_sign() lints it against
 * RFC 5280 rules, signs it with a key (a token key or a software key),
 * verifies the signature with the issuer's public key and re-checks that
 * what was signed is what was linted.
 */
#ifndef KC_X509_H
#define KC_X509_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum kc_alg {
	KC_ALG_NONE = 0,
	KC_ALG_EC_P256,
	KC_ALG_EC_P384,
	KC_ALG_RSA_2048,	/* accepted in CSRs, not generated */
	KC_ALG_RSA_3072,
	KC_ALG_RSA_4096,
};

/* "ec-p256", "ec-p384", "rsa-3072", "rsa-4096". */
int kc_alg_parse(const char *s, enum kc_alg *out);
const char *kc_alg_name(enum kc_alg alg);
/* The algorithm of a public key, or KC_ERR_POLICY when it is not allowed
 * (RSA < 2048 or with a bad exponent, EC other than named P-256/P-384). */
int kc_alg_of_key(const EVP_PKEY *pkey, enum kc_alg *out);
/* Digest matched to the signing key: SHA-384 for P-384 and RSA-4096,
 * SHA-256 otherwise. */
const EVP_MD *kc_alg_digest(enum kc_alg alg);

/* Parses "/CN=Example Root/O=Example/C=DE" ("\/" escapes a slash).
 * Accepted attributes: CN O OU C L ST serialNumber emailAddress DC.
 * Checks: printable UTF-8, no control characters, CN <= 64 chars, C two
 * letters, at least one attribute. Caller frees *out. */
int kc_name_parse(const char *s, X509_NAME **out);
/* Checks an existing name the same way (for CSR subjects). */
int kc_name_check(const X509_NAME *n, const char *what);
/* 1 when the DER encodings of a and b are identical (RFC 5280 name
 * chaining as it is actually compared by many verifiers). */
int kc_name_der_equal(const X509_NAME *a, const X509_NAME *b);
/* "/CN=.../O=..." in a malloc'd string, or NULL. */
char *kc_name_string(const X509_NAME *n);

enum kc_profile {
	KC_PROFILE_ROOT,		/* CA:TRUE, keyCertSign cRLSign digitalSignature */
	KC_PROFILE_INTERMEDIATE,	/* CA:TRUE pathlen, same usages */
	KC_PROFILE_VERIFICATION,	/* CA:FALSE digitalSignature, clientAuth */
	KC_PROFILE_DEVICE,		/* CA:FALSE digitalSignature
					   (+keyEncipherment for RSA), clientAuth */
};
const char *kc_profile_name(enum kc_profile p);
/* The extensions profile p writes, one "name: value" line each, from the
 * same strings kc_cert_build() uses (rsa: the subject key is RSA; path_len
 * as in struct kc_cert_req), for people to review before a ceremony. */
int kc_profile_extensions(enum kc_profile p, int path_len, int rsa,
    char *out, size_t outsz);

#define KC_DAYS_MAX 10958	/* 30 years */
/* A root's validity past this (25 years) needs a recorded reason
 * (--validity-reason, a ceremony file's validity-reason). */
#define KC_ROOT_DAYS_CAP 9132
#define KC_SERIAL_LEN 16	/* bytes; the top bit is cleared: 127 random bits */

struct kc_cert_req {
	enum kc_profile	 profile;
	const X509_NAME	*subject;
	EVP_PKEY	*subject_key;	/* public key of the subject */
	const X509	*issuer;	/* NULL: self-signed (subject is issuer) */
	const unsigned char *serial;	/* big-endian, positive after fixing */
	size_t		 serial_len;
	time_t		 not_before;
	time_t		 not_after;
	int		 path_len;	/* CA profiles; -1 for none */
};

/* Clears the top bit and makes the first byte non-zero so that a random
 * buffer is a positive serial of exactly len bytes. */
void kc_serial_fix(unsigned char *buf, size_t len);

/* Validity window: notBefore = now (whole seconds), notAfter = now + days.
 * days must be 1..KC_DAYS_MAX. */
int kc_validity(int days, time_t now, time_t *not_before, time_t *not_after);

/* Builds the unsigned certificate. Caller frees *out with X509_free(). */
int kc_cert_build(const struct kc_cert_req *req, X509 **out);

/* RFC 5280 checks of a built (signed or not) certificate for a profile:
 * v3, positive serial <= 20 octets, notBefore < notAfter, basicConstraints
 * and keyUsage present and critical where required and consistent with the
 * CA flag, SKI, AKI (= issuer SKI), non-empty subject for CAs, issuer name
 * byte-equal to the issuer's subject, validity inside the issuer's. */
int kc_cert_lint(X509 *x, const X509 *issuer, enum kc_profile profile);

/* Lint, sign with signer (digest from kc_alg_digest of the signer's key),
 * verify with the issuer's public key (issuer NULL: self-signed), lint
 * again. */
int kc_cert_sign(X509 *x, EVP_PKEY *signer, const X509 *issuer,
    enum kc_profile profile);

/* Reads a certificate, PEM or DER. */
int kc_cert_load(const char *path, X509 **out);
/* PEM encoding in a malloc'd buffer. */
int kc_cert_pem(const X509 *x, char **pem, size_t *len);
/* The contents of a memory BIO in a malloc'd, NUL-terminated buffer; frees
 * the BIO. what names the object in the error message. */
int kc_bio_take(BIO *b, const char *what, char **buf, size_t *len);
/* SHA-256 of the DER: "AB:CD:..." (95 chars + NUL) and plain hex. */
int kc_cert_fingerprint(const X509 *x, char colon[96], char hex[65]);
/* Serial as lower-case hex, malloc'd. */
char *kc_cert_serial_hex(const X509 *x);
/* The same for any serial number (a CRL entry's); NULL on failure. */
char *kc_serial_hex(const ASN1_INTEGER *a);

#endif

/*
 * kc/csr.h: CSR intake, shared by the ceremony (intermediate CSRs) and the
 * factory (device CSRs, nRF91 AT%KEYGEN output).
 *
 * kc_csr_parse() takes the bytes of a CSR in PEM or DER, refuses anything
 * that is not exactly one CSR, repairs the one known-harmless encoding
 * defect (legacy nRF91 modems write ecdsa-with-SHA256 with a NULL
 * parameter), checks the key against the algorithm policy
 * (kc_alg_of_key), verifies the self-signature (the requester's proof of
 * possession) and checks the subject (kc_name_check). What the CSR asks
 * for is reported, never obeyed: the profile decides the extensions.
 *
 * Ownership: *out is freed with kc_csr_free(), which frees every member.
 */
#ifndef KC_CSR_H
#define KC_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/core/x509.h"

struct kc_csr {
	X509_REQ	*req;		/* the parsed, verified request */
	EVP_PKEY	*pubkey;	/* the requester's public key (owned
					   reference; do not free) */
	const X509_NAME	*subject;	/* inside req */
	char		*subject_str;	/* "/CN=.../O=..." */
	enum kc_alg	 alg;		/* key algorithm, policy-checked */
	char	       **ext_names;	/* requested extensions, short names
					   ("keyUsage", "basicConstraints",
					   or the dotted OID when unknown) */
	char	       **ext_text;	/* the same, with critical flag and
					   value, one line each */
	size_t		 n_ext;
	int		 ca_requested;	/* basicConstraints CA:TRUE asked for */
	int		 legacy_sigalg;	/* the NULL parameter was removed */
	int		 subject_ok;	/* the subject passed kc_name_check
					   (always 1 unless
					   KC_CSR_NO_SUBJECT_CHECK) */
	int		 was_pem;
	char		 sha256[65];	/* SHA-256 of the input bytes (hex) */
	char		 der_sha256[65]; /* SHA-256 of the DER as received,
					   before any normalisation */
	unsigned char	*der;		/* the DER as parsed (normalised) */
	size_t		 der_len;
};

enum {
	/* Do not refuse the CSR for its subject (the caller replaces it, e.g.
	 * with --subject); subject_ok tells the result. */
	KC_CSR_NO_SUBJECT_CHECK = 1 << 0,
};

/* Parses and checks a CSR from memory. what names the input in messages
 * (a file name, "CSR of device 42"). Errors: KC_ERR_INPUT (not a CSR,
 * truncated, trailing data, a certificate or private key instead),
 * KC_ERR_POLICY (key or subject refused), KC_ERR_CRYPTO (bad
 * self-signature). */
int kc_csr_parse(const unsigned char *data, size_t len, const char *what,
    int flags, struct kc_csr **out);

/* The checks kc_csr_parse() makes on the extensions a CSR requests (also
 * for parsers of their own, like factorysign's fast path): at most 64, none
 * twice, no unknown critical one, every known one decodable. KC_ERR_INPUT
 * or KC_ERR_POLICY with a message naming what. exts may be NULL. */
int kc_csr_exts_check(const STACK_OF(X509_EXTENSION) *exts,
    const char *what);

/* kc_csr_parse() of a file (at most KC_FILE_MAX bytes). */
int kc_csr_load(const char *path, int flags, struct kc_csr **out);

/* NULL is a no-op. */
void kc_csr_free(struct kc_csr *csr);

/*
 * Normalises the signatureAlgorithm of a DER CSR in place: when it is
 * ecdsa-with-SHA256/384/512 with an explicit NULL parameter (RFC 5758 says
 * the parameter MUST be absent; old nRF91 modem firmware adds it), the
 * NULL is removed and the lengths are re-encoded. The signature covers only
 * the CertificationRequestInfo, so it stays valid. *len is updated (the
 * result is never longer); *changed, when not NULL, is set to 1 when
 * something was removed. Other input is left alone (KC_OK, *changed 0);
 * KC_ERR_INPUT only when the outer structure is not DER at all.
 */
int kc_csr_der_normalise(unsigned char *der, size_t *len, int *changed);

#endif

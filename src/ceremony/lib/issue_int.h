/* issue_int.h: what the root's signing operations share (libkc-ceremony internal):
 * the issuer certificate and its key in the token, validity windows inside
 * the root's, serials from the token RNG checked against the register. */
#ifndef KC_ISSUE_INT_H
#define KC_ISSUE_INT_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/x509.h"

struct kc_issuer {
	X509		*cert;
	const char	*path;
	char		 ca[65];	/* SHA-256 of the certificate (hex) */
	char		*subject;	/* "/CN=..." */
	time_t		 not_after;
};

/* Loads the issuer certificate: a CA certificate (basicConstraints
 * CA:TRUE, keyCertSign) with a subjectKeyIdentifier, valid now. */
int kc_issuer_load(const char *path, struct kc_issuer *is);
void kc_issuer_free(struct kc_issuer *is);

/* Checks that key label in the token is the issuer's key (attributes and
 * self-test via kc_token_key_get); *priv (may be NULL) gets the private
 * key for signing. */
int kc_issuer_key(struct kc_token *tok, const char *label,
    const struct kc_issuer *is, EVP_PKEY **priv);

/* now .. now + days, refused (naming the latest allowed end and --days)
 * when it would end after the issuer's notAfter. what: "--days" or
 * similar, for the message. */
int kc_issuer_window(const struct kc_issuer *is, int days, time_t now,
    time_t *nb, time_t *na);

/* KC_SERIAL_LEN random bytes from the token, fixed to a positive serial
 * and checked unused in the register (reg may be NULL). */
int kc_issuer_serial(struct kc_token *tok, struct kc_register *reg,
    const char *ca, unsigned char serial[KC_SERIAL_LEN]);

/* Before a certificate is built: key label is the issuer's key
 * (kc_issuer_key), the register opened for writing when state_dir is set
 * (*reg; left as it is otherwise, NULL for none; the caller closes it),
 * and a fresh serial drawn (kc_issuer_serial). */
int kc_issue_prepare(struct kc_token *tok, const char *label,
    const struct kc_issuer *is, const char *state_dir,
    struct kc_register **reg, unsigned char serial[KC_SERIAL_LEN]);

/* Fills res from a signed certificate and its PEM. */
void kc_issue_result(const X509 *x, const char *pem, size_t pemlen,
    struct kc_op_result *res);

/* Shows text (the summary of what is about to be signed; NULL = out of
 * memory) to confirm when it is set; KC_ERR_ABORT, naming out, unless it
 * returns 1. */
int kc_issue_confirm(kc_confirm_fn *confirm, void *arg, const char *text,
    const char *out);

/* The last steps of every issuance, right before and after the signature:
 * the issuer's key checked again (attributes, self-test), x signed for
 * profile, recorded in reg as kind (inputs: the SHA-256 of what it came
 * from), written to out (0644, as the register writes) and res filled. */
int kc_issue_sign_write(struct kc_token *tok, const char *key_label,
    const struct kc_issuer *is, X509 *x, enum kc_profile profile,
    enum kc_reg_kind kind, const char *inputs_sha256, struct kc_register *reg,
    const char *out, struct kc_op_result *res);
/* The same, recorded as a renewal of the serial renews (NULL: none). */
int kc_issue_sign_write_renewal(struct kc_token *tok, const char *key_label,
    const struct kc_issuer *is, X509 *x, enum kc_profile profile,
    enum kc_reg_kind kind, const char *inputs_sha256, const char *renews,
    struct kc_register *reg, const char *out, struct kc_op_result *res);

/* Before a CRL is signed (crl_root.c): the register's next number must be
 * above, and its revoked list (rev, n) hold, what the newest CRL files of
 * the root (state directory and the directory of p->out) and the
 * transcripts' last crl record say; KC_ERR_POLICY naming the source
 * otherwise. */
int kc_crl_check_rollback(const struct kc_crl_params *p,
    const struct kc_issuer *is, const struct kc_register *reg,
    long long next, const struct kc_reg_entry *rev, size_t n);

#endif

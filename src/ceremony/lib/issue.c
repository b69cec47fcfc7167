/* issue.c: the issuer side shared by intermediate, verification and CRL
 * signing (see issue_int.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "issue_int.h"

static int
asn1_time(const ASN1_TIME *a, time_t *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(a, &tm))
		return -1;
	*t = timegm(&tm);
	return 0;
}

int
kc_issuer_load(const char *path, struct kc_issuer *is)
{
	time_t nb, now = time(NULL);
	char when[32];
	int rc;

	memset(is, 0, sizeof(*is));
	is->path = path;
	if ((rc = kc_cert_load(path, &is->cert)) != KC_OK)
		return rc;
	if (X509_check_ca(is->cert) < 1 ||
	    !(X509_get_key_usage(is->cert) & KU_KEY_CERT_SIGN)) {
		rc = kc_err(KC_ERR_INPUT, "%s: not a CA certificate (no "
		    "CA:TRUE with keyCertSign); --issuer takes the root "
		    "certificate", path);
		goto fail;
	}
	if (X509_get0_subject_key_id(is->cert) == NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: the certificate has no "
		    "subjectKeyIdentifier", path);
		goto fail;
	}
	if (asn1_time(X509_get0_notBefore(is->cert), &nb) != 0 ||
	    asn1_time(X509_get0_notAfter(is->cert), &is->not_after) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: unreadable validity", path);
		goto fail;
	}
	if (now >= is->not_after) {
		kc_time_utc(is->not_after, when);
		rc = kc_err(KC_ERR_POLICY, "%s: the root certificate expired "
		    "on %s", path, when);
		goto fail;
	}
	if (now < nb) {
		kc_time_utc(nb, when);
		rc = kc_err(KC_ERR_POLICY, "%s: the root certificate is valid "
		    "only from %s; check this machine's clock", path, when);
		goto fail;
	}
	if ((rc = kc_cert_fingerprint(is->cert, NULL, is->ca)) != KC_OK)
		goto fail;
	if ((is->subject = kc_name_string(X509_get_subject_name(is->cert)))
	    == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	return KC_OK;
fail:
	kc_issuer_free(is);
	return rc;
}

void
kc_issuer_free(struct kc_issuer *is)
{
	X509_free(is->cert);
	free(is->subject);
	is->cert = NULL;
	is->subject = NULL;
}

int
kc_issuer_key(struct kc_token *tok, const char *label,
    const struct kc_issuer *is, EVP_PKEY **priv)
{
	EVP_PKEY *pub = NULL;
	int rc;

	if (priv != NULL)
		*priv = NULL;
	if ((rc = kc_token_key_get_cert(tok, label, is->cert, priv, &pub))
	    != KC_OK)
		return rc;
	if (EVP_PKEY_eq(pub, X509_get0_pubkey(is->cert)) != 1) {
		rc = kc_err(KC_ERR_POLICY, "%s: this certificate's key is not "
		    "the key '%s' in the token; --issuer must be the "
		    "certificate of that key (the root.pem written by 'root "
		    "create')", is->path, label);
		if (priv != NULL) {
			EVP_PKEY_free(*priv);
			*priv = NULL;
		}
	}
	ERR_clear_error();
	EVP_PKEY_free(pub);
	return rc;
}

int
kc_issuer_window(const struct kc_issuer *is, int days, time_t now,
    time_t *nb, time_t *na)
{
	char end[32], root_end[32], latest[32];
	long max_days;
	int rc;

	if ((rc = kc_validity(days, now, nb, na)) != KC_OK)
		return rc;
	if (*na <= is->not_after)
		return KC_OK;
	max_days = (long)((is->not_after - now) / 86400);
	kc_time_utc(*na, end);
	kc_time_utc(is->not_after, root_end);
	kc_time_utc(now + (time_t)max_days * 86400, latest);
	if (max_days < 1)
		return kc_err(KC_ERR_POLICY, "--days %d would end on %s, after "
		    "the root certificate %s expires (%s); less than a day is "
		    "left: renew the root first", days, end, is->path,
		    root_end);
	return kc_err(KC_ERR_POLICY, "--days %d would end on %s, after the "
	    "root certificate %s expires (%s); the latest allowed end is %s "
	    "(--days %ld)", days, end, is->path, root_end, latest, max_days);
}

int
kc_issuer_serial(struct kc_token *tok, struct kc_register *reg,
    const char *ca, unsigned char serial[KC_SERIAL_LEN])
{
	static const char hx[] = "0123456789abcdef";
	char hex[2 * KC_SERIAL_LEN + 1];
	int rc, used;

	for (int tries = 0; tries < 4; tries++) {
		if ((rc = kc_token_random(tok, serial, KC_SERIAL_LEN)) != KC_OK)
			return rc;
		kc_serial_fix(serial, KC_SERIAL_LEN);
		if (reg == NULL)
			return KC_OK;
		for (size_t i = 0; i < KC_SERIAL_LEN; i++) {
			hex[2 * i] = hx[serial[i] >> 4];
			hex[2 * i + 1] = hx[serial[i] & 15];
		}
		hex[2 * KC_SERIAL_LEN] = '\0';
		/* The first byte is non-zero: the same form as
		 * kc_cert_serial_hex() (BN_bn2hex, whole octets). */
		if ((used = kc_register_serial_used(reg, ca, hex)) < 0)
			return used;
		if (!used)
			return KC_OK;
		kc_log(KC_LOG_WARN, "serial %s from the token RNG was already "
		    "issued; drawing another", hex);
	}
	return kc_err(KC_ERR_INTERNAL, "the token RNG keeps returning serials "
	    "already issued; the token's random number generator is broken");
}

int
kc_issue_prepare(struct kc_token *tok, const char *label,
    const struct kc_issuer *is, const char *state_dir,
    struct kc_register **reg, unsigned char serial[KC_SERIAL_LEN])
{
	int rc;

	if ((rc = kc_issuer_key(tok, label, is, NULL)) != KC_OK)
		return rc;
	if (state_dir != NULL &&
	    (rc = kc_register_open(state_dir, 1, reg)) != KC_OK)
		return rc;
	return kc_issuer_serial(tok, *reg, is->ca, serial);
}

void
kc_issue_result(const X509 *x, const char *pem, size_t pemlen,
    struct kc_op_result *res)
{
	char *s;
	struct tm tm;

	kc_cert_fingerprint(x, res->fingerprint, res->fingerprint_hex);
	if ((s = kc_cert_serial_hex(x)) != NULL) {
		snprintf(res->serial, sizeof(res->serial), "%s", s);
		free(s);
	}
	if ((s = kc_name_string(X509_get_subject_name(x))) != NULL) {
		snprintf(res->subject, sizeof(res->subject), "%s", s);
		free(s);
	}
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		res->not_before = timegm(&tm);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		res->not_after = timegm(&tm);
	kc_sha256_hex(pem, pemlen, res->out_sha256);
}

int
kc_issue_confirm(kc_confirm_fn *confirm, void *arg, const char *text,
    const char *out)
{
	if (confirm == NULL)
		return KC_OK;
	if (text == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (confirm(text, arg) != 1)
		return kc_err(KC_ERR_ABORT, "not confirmed; nothing was signed "
		    "and %s was not written", out);
	return KC_OK;
}

int
kc_issue_sign_write(struct kc_token *tok, const char *key_label,
    const struct kc_issuer *is, X509 *x, enum kc_profile profile,
    enum kc_reg_kind kind, const char *inputs_sha256, struct kc_register *reg,
    const char *out, struct kc_op_result *res)
{
	return kc_issue_sign_write_renewal(tok, key_label, is, x, profile,
	    kind, inputs_sha256, NULL, reg, out, res);
}

int
kc_issue_sign_write_renewal(struct kc_token *tok, const char *key_label,
    const struct kc_issuer *is, X509 *x, enum kc_profile profile,
    enum kc_reg_kind kind, const char *inputs_sha256, const char *renews,
    struct kc_register *reg, const char *out, struct kc_op_result *res)
{
	struct kc_reg_entry e;
	EVP_PKEY *priv = NULL;
	char *pem = NULL;
	size_t pemlen = 0;
	int rc;

	if ((rc = kc_issuer_key(tok, key_label, is, &priv)) == KC_OK &&
	    (rc = kc_cert_sign(x, priv, is->cert, profile)) == KC_OK &&
	    (rc = kc_cert_pem(x, &pem, &pemlen)) == KC_OK &&
	    (rc = kc_register_entry_cert(x, is->ca, kind, inputs_sha256, out,
	    &e)) == KC_OK &&
	    (renews == NULL || snprintf(e.renews, sizeof(e.renews), "%s",
	    renews) >= 0) &&
	    (rc = kc_register_write(reg, &e, out, pem, pemlen, 0644)) == KC_OK)
		kc_issue_result(x, pem, pemlen, res);
	EVP_PKEY_free(priv);
	free(pem);
	return rc;
}

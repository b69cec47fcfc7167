/* op_root.c: kc_op_root_create: the root key pair generated inside the
 * token and the self-signed root certificate (see kc/ops.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "issue_int.h"

/* A throwaway software key of the same family, to build and lint the whole
 * template before the token generates anything. */
static int
dry_run(const struct kc_cert_req *req_in)
{
	struct kc_cert_req req = *req_in;
	EVP_PKEY *tmp = NULL;
	X509 *x = NULL;
	int rc;

	if ((tmp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return kc_err_ssl(KC_ERR_CRYPTO, "cannot make a test key");
	req.subject_key = tmp;
	if ((rc = kc_cert_build(&req, &x)) == KC_OK)
		rc = kc_cert_lint(x, NULL, req.profile);
	X509_free(x);
	EVP_PKEY_free(tmp);
	return rc;
}

/* Writes the root certificate and, with a state directory, records it in
 * the register in the same step (kc/register.h). */
static int
record_write(const struct kc_root_params *p, const X509 *x, const char *pem,
    size_t pemlen)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry e;
	char in[65];
	int rc;

	if (p->state_dir == NULL)
		return kc_file_write(p->out, pem, pemlen, 0644, KC_WRITE_EXCL);
	kc_sha256_hex(p->subject, strlen(p->subject), in);
	if ((rc = kc_register_open(p->state_dir, 1, &reg)) == KC_OK &&
	    (rc = kc_register_entry_cert(x, NULL, KC_REG_ROOT, in, p->out,
	    &e)) == KC_OK)
		rc = kc_register_write(reg, &e, p->out, pem, pemlen, 0644);
	kc_register_close(reg);
	return rc;
}

int
kc_op_root_create(struct kc_token *tok, const struct kc_root_params *p,
    struct kc_op_result *res)
{
	struct kc_cert_req req;
	X509_NAME *subject = NULL;
	EVP_PKEY *priv = NULL, *pub = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	char *pem = NULL;
	size_t pemlen = 0;
	int rc, generated = 0, exists;

	memset(&req, 0, sizeof(req));
	/* Everything is checked before the token generates a key. */
	if (p->key_label == NULL || p->key_label[0] == '\0' ||
	    strlen(p->key_label) > 64)
		return kc_err(KC_ERR_USAGE, "key label must be 1 to 64 "
		    "characters");
	if (p->alg != KC_ALG_EC_P256 && p->alg != KC_ALG_EC_P384 &&
	    p->alg != KC_ALG_RSA_3072 && p->alg != KC_ALG_RSA_4096)
		return kc_err(KC_ERR_USAGE, "a root key must be ec-p384, "
		    "ec-p256, rsa-3072 or rsa-4096");
	if (p->out == NULL)
		return kc_err(KC_ERR_USAGE, "no output file (--out)");
	if ((rc = kc_name_parse(p->subject, &subject)) != KC_OK)
		return rc;
	if (p->days > KC_ROOT_DAYS_CAP && (p->validity_reason == NULL ||
	    p->validity_reason[0] == '\0')) {
		rc = kc_err(KC_ERR_USAGE, "a root valid for %d days exceeds "
		    "the cap of %d days (25 years); give the reason for the "
		    "longer validity (--validity-reason TEXT, or "
		    "validity-reason in the ceremony file)", p->days,
		    KC_ROOT_DAYS_CAP);
		goto out;
	}
	req.profile = KC_PROFILE_ROOT;
	req.subject = subject;
	req.path_len = -1;
	if ((rc = kc_validity(p->days, time(NULL), &req.not_before,
	    &req.not_after)) != KC_OK)
		goto out;
	if ((rc = kc_file_check_output(p->out)) != KC_OK)
		goto out;
	if ((rc = kc_token_random(tok, serial, sizeof(serial))) != KC_OK)
		goto out;
	kc_serial_fix(serial, sizeof(serial));
	req.serial = serial;
	req.serial_len = sizeof(serial);
	if ((rc = dry_run(&req)) != KC_OK)
		goto out;
	if ((exists = kc_token_key_exists(tok, p->key_label)) < 0) {
		rc = exists;
		goto out;
	}
	if (exists) {
		rc = kc_err(KC_ERR_EXISTS, "a key labelled '%s' already exists "
		    "in the token; choose another --label", p->key_label);
		goto out;
	}

	kc_log(KC_LOG_INFO, "generating %s key '%s' inside the token",
	    kc_alg_name(p->alg), p->key_label);
	if ((rc = kc_token_keygen_tmpl(tok, p->key_label, p->alg,
	    p->key_template)) != KC_OK)
		goto out;
	generated = 1;
	if ((rc = kc_token_key_get(tok, p->key_label, &priv, &pub)) != KC_OK)
		goto out;
	req.subject_key = pub;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = kc_cert_sign(x, priv, NULL, KC_PROFILE_ROOT)) != KC_OK ||
	    (rc = kc_cert_pem(x, &pem, &pemlen)) != KC_OK ||
	    (rc = record_write(p, x, pem, pemlen)) != KC_OK)
		goto out;
	memset(res, 0, sizeof(*res));
	kc_issue_result(x, pem, pemlen, res);
	res->not_before = req.not_before;
	res->not_after = req.not_after;
	generated = 0;	/* the key is now the root: never destroyed here */
	rc = KC_OK;
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	if (generated) {
		/* Nothing left the room: roll the new key back. */
		char msg[1024], why[1024];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		if (kc_token_key_destroy(tok, p->key_label) == KC_OK)
			kc_err(rc, "%s (the new key '%s' was removed from the "
			    "token)", msg, p->key_label);
		else {
			snprintf(why, sizeof(why), "%s", kc_errmsg());
			kc_err(rc, "%s; removing the new key '%s' FAILED too "
			    "(%s): delete the objects labelled '%s' by hand",
			    msg, p->key_label, why, p->key_label);
		}
	}
	X509_free(x);
	X509_NAME_free(subject);
	free(pem);
	return rc;
}

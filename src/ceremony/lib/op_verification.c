/* op_verification.c: kc_op_verification_sign: Azure IoT Hub DPS proof of
 * possession: a certificate whose subject CN is the verification code,
 * signed by the root key, for a throwaway key that exists only in memory
 * (see kc/ops.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "issue_int.h"

int
kc_op_verification_sign(struct kc_token *tok,
    const struct kc_verification_params *p, struct kc_op_result *res)
{
	struct kc_issuer is;
	struct kc_register *reg = NULL;
	struct kc_cert_req req;
	X509_NAME *subject = NULL;
	EVP_PKEY *throwaway = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	char code_sha[65];
	int rc;

	memset(&is, 0, sizeof(is));
	memset(&req, 0, sizeof(req));
	memset(res, 0, sizeof(*res));
	if (p->key_label == NULL || p->issuer == NULL || p->out == NULL)
		return kc_err(KC_ERR_USAGE, "verification sign needs a key "
		    "label, --issuer, --code and --out");
	if ((rc = kc_verification_code_check(p->code)) != KC_OK)
		return rc;
	if ((rc = kc_file_check_output(p->out)) != KC_OK)
		return rc;
	kc_sha256_hex(p->code, strlen(p->code), code_sha);
	snprintf(res->in_sha256, sizeof(res->in_sha256), "%s", code_sha);
	if ((subject = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
	    (const unsigned char *)p->code, -1, -1, 0)) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot build the subject");
		goto out;
	}
	if ((rc = kc_issuer_load(p->issuer, &is)) != KC_OK ||
	    (rc = kc_issuer_window(&is, p->days, time(NULL), &req.not_before,
	    &req.not_after)) != KC_OK)
		goto out;
	if ((rc = kc_issue_prepare(tok, p->key_label, &is, p->state_dir, &reg,
	    serial)) != KC_OK)
		goto out;

	/* Only the public half matters to DPS; the private half exists only
	 * in this process's memory (the X509 object may hold a reference)
	 * and is freed below; it is never encoded or written. */
	if ((throwaway = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))
	    == NULL) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot make the throwaway key");
		goto out;
	}
	req.profile = KC_PROFILE_VERIFICATION;
	req.subject = subject;
	req.subject_key = throwaway;
	req.issuer = is.cert;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = -1;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK)
		goto out;
	EVP_PKEY_free(throwaway);
	throwaway = NULL;
	if ((rc = kc_issue_sign_write(tok, p->key_label, &is, x,
	    KC_PROFILE_VERIFICATION, KC_REG_VERIFICATION, code_sha, reg, p->out,
	    res)) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	EVP_PKEY_free(throwaway);
	X509_free(x);
	X509_NAME_free(subject);
	kc_issuer_free(&is);
	kc_register_close(reg);
	return rc;
}

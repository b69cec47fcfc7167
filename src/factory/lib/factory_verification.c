/*
 * factory_verification.c: factorysign verification: the proof-of-possession
 * certificate a DPS (Azure IoT Hub Device Provisioning Service) asks for,
 * CN = its verification code, signed by the intermediate over a throw-away
 * key and recorded in the ledger (kind "verification"). Owns nothing past
 * the call.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/dps.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

int
kc_factory_verification(struct kc_factory *f, const char *code,
    const char *out, struct kc_factory_result *res)
{
	struct kc_cert_req req;
	X509_NAME *name = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct kc_ledger_row row;
	unsigned char serial[KC_SERIAL_LEN], *der = NULL;
	char shex[41], dn[160], *pem = NULL;
	size_t pem_len;
	time_t nb, na;
	int n = 0, rc;

	memset(res, 0, sizeof(*res));
	memset(&row, 0, sizeof(row));
	/* one rule with keyceremony verification sign */
	if ((rc = kc_verification_code_check(code)) != KC_OK)
		return rc;
	if ((rc = kc_file_check_absent(out)) != KC_OK)
		return rc;
	snprintf(dn, sizeof(dn), "/CN=%s", code);
	if ((rc = kc_name_parse(dn, &name)) != KC_OK ||
	    (rc = kc_validity(2, time(NULL), &nb, &na)) != KC_OK)
		goto out;
	if (na > f->sg.ca_not_after)
		na = f->sg.ca_not_after;
	/* the proof is the intermediate's signature; the subject key of the
	 * verification certificate is a throw-away key */
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "key generation");
		goto out;
	}
	if ((rc = kc_ledger_begin(f->ledger)) != KC_OK ||
	    (rc = kc_factory_new_serial(f, serial, shex)) != KC_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.profile = KC_PROFILE_VERIFICATION;
	req.subject = name;
	req.subject_key = key;
	req.issuer = f->inter;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.not_before = nb;
	req.not_after = na;
	req.path_len = -1;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = kc_cert_sign(x, f->key, f->inter,
	    KC_PROFILE_VERIFICATION)) != KC_OK ||
	    (rc = kc_cert_pem(x, &pem, &pem_len)) != KC_OK)
		goto out;
	if ((n = i2d_X509(x, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "encoding");
		goto out;
	}
	if ((rc = kc_file_write(out, pem, pem_len, 0644, KC_WRITE_EXCL)))
		goto out;
	memcpy(row.serial, shex, sizeof(shex));
	snprintf(row.device_id, sizeof(row.device_id), "%s", code);
	kc_sha256_hex(der, (size_t)n, row.cert_sha256);
	row.issued_at = nb;
	row.not_after = na;
	strcpy(row.kind, "verification");
	strcpy(row.status, "issued");
	row.cert_path = (char *)(uintptr_t)out;
	row.cert_der = der;
	row.cert_der_len = (size_t)n;
	if ((rc = kc_ledger_record(f->ledger, &row)) != KC_OK ||
	    (rc = kc_ledger_commit(f->ledger)) != KC_OK) {
		unlink(out);
		goto out;
	}
	snprintf(res->id, sizeof(res->id), "%s", code);
	memcpy(res->serial, shex, sizeof(shex));
	memcpy(res->cert_sha256, row.cert_sha256, sizeof(row.cert_sha256));
	res->not_before = nb;
	res->not_after = na;
	res->outcome = KC_FACTORY_ISSUED;
out:
	if (kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	OPENSSL_free(der);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(key);
	X509_NAME_free(name);
	return rc;
}

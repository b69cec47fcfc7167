/*
 * factory_key.c: the device's own private key given to factorysign sign
 * (--key, for --format pfx): loaded, and checked against the CSR before
 * anything is signed, so a PKCS#12 file never pairs a certificate with a
 * key that is not its own.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "factory_int.h"

int
kc_factory_device_key(const char *path, const struct kc_secret *pass,
    const unsigned char *csr, size_t len, const char *name, EVP_PKEY **out)
{
	struct kc_csr *c = NULL;
	EVP_PKEY *key = NULL;
	int rc;

	*out = NULL;
	if ((rc = kc_key_load(path, pass, &key)) != KC_OK)
		return rc;
	if ((rc = kc_csr_parse(csr, len, name, KC_CSR_NO_SUBJECT_CHECK, &c)) !=
	    KC_OK)
		goto out;
	if (EVP_PKEY_eq(c->pubkey, key) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_POLICY, "--key %s is not the key of the CSR "
		    "%s (their public keys differ); the PKCS#12 file would not "
		    "work", path, name);
		goto out;
	}
	*out = key;
	key = NULL;
out:
	kc_csr_free(c);
	EVP_PKEY_free(key);
	return rc;
}

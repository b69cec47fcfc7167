/*
 * op_restore.c: a root key backup restored into a token (issue 17), the
 * operation `keyceremony backup restore` and a ceremony's root-restore
 * step share (kc/ceremony/backup.h): the backup medium read and checked,
 * the shares' set checked, and the restore itself: the wrap key
 * imported, the blob unwrapped, the restored key checked against the
 * backed-up public key and the root certificate, the wrap key destroyed
 * (or kept as a token object when asked).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/ceremony/backup.h"
#include "kc/ceremony/quorum.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"

int
kc_bk_load(const char *dir, const char *cert_path, struct kc_bk_backup *b)
{
	char path[4096];
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = kc_bk_path(dir, KC_BK_MANIFEST, path, sizeof(path))) !=
	    KC_OK || (rc = kc_bk_manifest_read(path, &b->m)) != KC_OK)
		return rc;
	return kc_bk_medium_load(dir, &b->m, cert_path, &b->blob, &b->bloblen,
	    &b->pub, &b->cert);
}

void
kc_bk_backup_clear(struct kc_bk_backup *b)
{
	free(b->blob);
	EVP_PKEY_free(b->pub);
	X509_free(b->cert);
	memset(b, 0, sizeof(*b));
}

int
kc_bk_share_of(const struct kc_bk_manifest *m, const struct kc_quorum_info *qi)
{
	if (strcmp(qi->set_id, m->set_id) != 0 || qi->k != m->k ||
	    qi->n != m->n)
		return kc_err(KC_ERR_INPUT, "a share of set %s (%d of %d), not "
		    "of this backup (set %s, %d of %d): a sheet of another "
		    "backup or of a PIN", qi->set_id, qi->k, qi->n, m->set_id,
		    m->k, m->n);
	return KC_OK;
}

/* The restored key signs (the self-test of kc_token_key_get_cert) with
 * the backed-up public key, the root certificate's. */
static int
restored_check(struct kc_token *tok, const struct kc_bk_backup *b,
    const char *label)
{
	EVP_PKEY *got = NULL;
	int rc;

	if ((rc = kc_token_key_get_cert(tok, label, b->cert, NULL, &got)) !=
	    KC_OK)
		return rc;
	if (EVP_PKEY_eq(got, b->pub) != 1)
		rc = kc_err(KC_ERR_POLICY, "the restored key's public key is "
		    "not the backed-up one");
	else if (b->cert != NULL &&
	    EVP_PKEY_eq(X509_get0_pubkey(b->cert), got) != 1)
		rc = kc_err(KC_ERR_POLICY, "the restored key's public key is "
		    "not the root certificate's");
	EVP_PKEY_free(got);
	return rc;
}

int
kc_bk_restore(struct kc_token *tok, const struct kc_bk_backup *b,
    const struct kc_secret *wk, const char *label, const char *keep_label)
{
	unsigned long h = 0;
	char msg[1024];
	int rc;

	if ((rc = kc_token_wrapkey_import(tok, wk, NULL, keep_label, &h)) !=
	    KC_OK)
		return rc;
	if ((rc = kc_token_unwrap(tok, h, b->blob, b->bloblen, label,
	    b->pub)) != KC_OK)
		goto fail;
	if ((rc = restored_check(tok, b, label)) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		if (kc_token_key_destroy(tok, label) == KC_OK)
			rc = kc_err(rc, "%s; the restored key was removed", msg);
		else
			rc = kc_err(rc, "%s; removing the restored key '%s' "
			    "FAILED: delete it by hand", msg, label);
		goto fail;
	}
	if (keep_label != NULL)
		return KC_OK;
	return kc_token_wrapkey_destroy(tok, h);
fail:
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	(void)kc_token_wrapkey_destroy(tok, h);
	return kc_err(rc, "%s", msg);
}

int
kc_bk_register(struct kc_register *reg, const char *kind,
    const struct kc_bk_manifest *m, const char *token, const char *label,
    const char *medium)
{
	struct kc_reg_backup b;

	if (reg == NULL)
		return KC_OK;
	memset(&b, 0, sizeof(b));
	snprintf(b.kind, sizeof(b.kind), "%s", kind);
	b.time = time(NULL);
	snprintf(b.token, sizeof(b.token), "%s", token);
	snprintf(b.token_serial, sizeof(b.token_serial), "%s",
	    m->token_serial);
	snprintf(b.key_label, sizeof(b.key_label), "%s", label);
	snprintf(b.alg, sizeof(b.alg), "%s", m->alg);
	memcpy(b.wrapped_sha256, m->wrapped_sha256, sizeof(b.wrapped_sha256));
	memcpy(b.pub_sha256, m->pub_sha256, sizeof(b.pub_sha256));
	memcpy(b.cert_sha256, m->cert_sha256, sizeof(b.cert_sha256));
	memcpy(b.set_id, m->set_id, sizeof(b.set_id));
	b.k = m->k;
	b.n = m->n;
	snprintf(b.medium, sizeof(b.medium), "%s", medium);
	return kc_register_backup_add(reg, &b);
}

/* op_cross.c: kc_op_cross_sign (kc/cross.h): the old root certifies the
 * new root's key and name, so that relying parties that trust only the
 * old root accept chains under the new one. The issuance path is the
 * intermediate's (issue.c: issuer, token key, serial; profile.c: build,
 * lint, sign; the register), with the root profile. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/ceremony/cross.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "issue_int.h"

/* The new root: a CA with an SKI (kc_issuer_load), self-issued and
 * self-signed (its signature verifies with its own key), not the old
 * root's key nor its name. */
static int
new_root_check(const struct kc_issuer *nr, const struct kc_issuer *old)
{
	X509 *x = nr->cert;

	if (X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) != 0)
		return kc_err(KC_ERR_POLICY, "%s: not a self-signed root "
		    "certificate (its issuer is not its subject); --cert takes "
		    "the new root's own certificate", nr->path);
	if (X509_verify(x, X509_get0_pubkey(x)) != 1) {
		ERR_clear_error();
		return kc_err(KC_ERR_CRYPTO, "%s: the new root's self-signature "
		    "does not verify with its own key (altered, or not "
		    "self-signed); refusing it", nr->path);
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(old->cert)) ==
	    1)
		return kc_err(KC_ERR_POLICY, "%s: the new root has the old "
		    "root's key (%s); a rollover needs a new key", nr->path,
		    old->path);
	if (kc_name_same(X509_get_subject_name(x),
	    X509_get_subject_name(old->cert)))
		return kc_err(KC_ERR_POLICY, "%s: the new root has the old "
		    "root's subject %s (names compare without regard to case "
		    "and spaces): chains would be ambiguous; give the new root "
		    "a name of its own", nr->path, old->subject);
	return KC_OK;
}

/* The built certificate's SPKI must be the new root's, byte for byte, and
 * its SKI the new root's (replaced when the hash method differs). */
static int
copy_key_ids(X509 *x, const struct kc_issuer *nr)
{
	unsigned char *a = NULL, *b = NULL;
	const ASN1_OCTET_STRING *want = X509_get0_subject_key_id(nr->cert);
	const ASN1_OCTET_STRING *have = X509_get0_subject_key_id(x);
	int la, lb, rc = KC_OK, i;

	la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &a);
	lb = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(nr->cert), &b);
	if (la <= 0 || lb <= 0 || la != lb || memcmp(a, b, (size_t)la) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: the new root's public key does "
		    "not re-encode to the same bytes (a non-canonical "
		    "SubjectPublicKeyInfo); refusing to certify a different "
		    "encoding", nr->path);
		goto out;
	}
	if (have != NULL && ASN1_OCTET_STRING_cmp(have, want) == 0)
		goto out;
	if ((i = X509_get_ext_by_NID(x, NID_subject_key_identifier, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	if (X509_add1_ext_i2d(x, NID_subject_key_identifier,
	    (void *)(uintptr_t)want, 0, X509V3_ADD_DEFAULT) != 1)
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot set the "
		    "subjectKeyIdentifier");
out:
	OPENSSL_free(a);
	OPENSSL_free(b);
	return rc;
}

static char *
summary(const struct kc_cross_params *p, const struct kc_issuer *old,
    const struct kc_issuer *nr, time_t nb, time_t na, int capped,
    const unsigned char *serial)
{
	BIO *b = BIO_new(BIO_s_mem());
	char t1[32], t2[32], *out = NULL;
	BUF_MEM *bm;

	if (b == NULL)
		return NULL;
	kc_time_utc(nb, t1);
	kc_time_utc(na, t2);
	BIO_printf(b, "  new root SHA-256 (of its certificate):\n   %s\n",
	    kc_hash(nr->ca));
	BIO_printf(b, "The old root will sign this cross-certificate for the "
	    "new root %s:\n", kc_disp_quoted(p->cert));
	BIO_printf(b, "  old root (signs) %s (file %s)\n",
	    kc_disp_quoted(old->subject), kc_disp_quoted(old->path));
	BIO_printf(b, "  subject          %s (the new root's)\n",
	    kc_disp_quoted(nr->subject));
	BIO_printf(b, "  key              the new root's SubjectPublicKeyInfo, "
	    "byte for byte\n");
	BIO_printf(b, "  validity         %s to %s%s\n", t1, t2, capped ?
	    " (cut short at the end of a root's validity)" : "");
	BIO_printf(b, "  serial           ");
	for (size_t i = 0; i < KC_SERIAL_LEN; i++)
		BIO_printf(b, "%02x", serial[i]);
	BIO_printf(b, "\n  basicConstraints critical, CA:TRUE\n");
	BIO_printf(b, "  keyUsage         critical, keyCertSign, cRLSign, "
	    "digitalSignature\n");
	BIO_printf(b, "  key identifiers  SKI = the new root's SKI, AKI = the "
	    "old root's SKI");
	BIO_get_mem_ptr(b, &bm);
	if ((out = malloc(bm->length + 1)) != NULL) {
		memcpy(out, bm->data, bm->length);
		out[bm->length] = '\0';
	}
	BIO_free(b);
	return out;
}

int
kc_op_cross_sign(struct kc_token *tok, const struct kc_cross_params *p,
    struct kc_op_result *res, int *capped)
{
	struct kc_issuer old, nr;
	struct kc_register *reg = NULL;
	struct kc_cert_req req;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	char *text = NULL;
	int rc, cut = 0;

	memset(&old, 0, sizeof(old));
	memset(&nr, 0, sizeof(nr));
	memset(&req, 0, sizeof(req));
	memset(res, 0, sizeof(*res));
	if (capped != NULL)
		*capped = 0;
	if (p->key_label == NULL || p->issuer == NULL || p->cert == NULL ||
	    p->out == NULL)
		return kc_err(KC_ERR_USAGE, "cross sign needs a key label, "
		    "--issuer, --cert and --out");
	if ((rc = kc_file_check_output(p->out)) != KC_OK)
		return rc;
	if ((rc = kc_issuer_load(p->issuer, &old)) != KC_OK ||
	    (rc = kc_issuer_load(p->cert, &nr)) != KC_OK ||
	    (rc = new_root_check(&nr, &old)) != KC_OK)
		goto out;
	snprintf(res->in_sha256, sizeof(res->in_sha256), "%s", nr.ca);
	if ((rc = kc_validity(p->days, time(NULL), &req.not_before,
	    &req.not_after)) != KC_OK)
		goto out;
	if (req.not_after > old.not_after)
		req.not_after = old.not_after, cut = 1;
	if (req.not_after > nr.not_after)
		req.not_after = nr.not_after, cut = 1;

	/* The token: is --issuer the certificate of this key? */
	if ((rc = kc_issue_prepare(tok, p->key_label, &old, p->state_dir, &reg,
	    serial)) != KC_OK)
		goto out;

	req.profile = KC_PROFILE_ROOT;
	req.subject = X509_get_subject_name(nr.cert);
	req.subject_key = X509_get0_pubkey(nr.cert);
	req.issuer = old.cert;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = -1;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = copy_key_ids(x, &nr)) != KC_OK ||
	    (rc = kc_cert_lint(x, old.cert, KC_PROFILE_ROOT)) != KC_OK)
		goto out;

	if (p->confirm != NULL)
		text = summary(p, &old, &nr, req.not_before,
		    req.not_after, cut, serial);
	if ((rc = kc_issue_confirm(p->confirm, p->confirm_arg, text, p->out))
	    != KC_OK)
		goto out;

	/* Attributes and self-test again, right before the signature. */
	if ((rc = kc_issue_sign_write(tok, p->key_label, &old, x,
	    KC_PROFILE_ROOT, KC_REG_INTERMEDIATE, nr.ca, reg, p->out, res)) !=
	    KC_OK)
		goto out;
	if (capped != NULL)
		*capped = cut;
	rc = KC_OK;
out:
	X509_free(x);
	kc_issuer_free(&old);
	kc_issuer_free(&nr);
	kc_register_close(reg);
	free(text);
	return rc;
}

/* op_intermediate.c: kc_op_intermediate_sign: the root signs the
 * factory's intermediate CA CSR; the profile, never the CSR, decides the
 * extensions (see kc/ops.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "issue_int.h"

#define PATH_LEN_MAX 8

/* SHA-256 of the DER SubjectPublicKeyInfo of the CSR's key (the key the
 * certificate will certify, as `openssl pkey -pubin -outform DER |
 * sha256sum` gives it). */
static int
spki_sha256(const struct kc_csr *csr, char out[65])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(csr->pubkey, &der);

	out[0] = '\0';
	if (len <= 0)
		return kc_err_ssl(KC_ERR_CRYPTO, "the CSR's public key cannot "
		    "be encoded");
	kc_sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	return KC_OK;
}

/* The operator's view: what will be issued next to what the CSR asked. */
static char *
summary(const struct kc_intermediate_params *p, const struct kc_issuer *is,
    const struct kc_csr *csr, const X509_NAME *subject, time_t nb, time_t na,
    const unsigned char *serial)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *subj = kc_name_string(subject), t1[32], t2[32], *out = NULL;
	char spki[65];
	BUF_MEM *bm;

	if (b == NULL || subj == NULL)
		goto out;
	kc_time_utc(nb, t1);
	kc_time_utc(na, t2);
	/* The CSR's hash first; every string that is not ours (subjects,
	 * file names) quoted, escaped and labelled with where it is from. */
	BIO_printf(b, "  CSR SHA-256 (of the CSR file's bytes):\n   %s\n",
	    kc_hash(csr->sha256));
	BIO_printf(b, "The root will sign this intermediate CA certificate "
	    "for the CSR file %s:\n", kc_disp_quoted(p->csr));
	BIO_printf(b, "  root             %s (file %s)\n",
	    kc_disp_quoted(is->subject), kc_disp_quoted(is->path));
	if (p->subject != NULL) {
		BIO_printf(b, "  subject (from --subject or the ceremony file): "
		    "%s\n", kc_disp_quoted(subj));
		BIO_printf(b, "  the CSR asked for (ignored): %s\n",
		    kc_disp_quoted(csr->subject_str));
	} else
		BIO_printf(b, "  subject (from the CSR): %s\n",
		    kc_disp_quoted(subj));
	BIO_printf(b, "  key              %s (%d bits, from the CSR)\n",
	    kc_alg_name(csr->alg), EVP_PKEY_get_bits(csr->pubkey));
	if (spki_sha256(csr, spki) == KC_OK)
		BIO_printf(b, "  key SHA-256 (of its SubjectPublicKeyInfo):\n"
		    "   %s\n", kc_hash(spki));
	BIO_printf(b, "  validity         %s to %s (%d days)\n", t1, t2,
	    p->days);
	BIO_printf(b, "  serial           ");
	for (size_t i = 0; i < KC_SERIAL_LEN; i++)
		BIO_printf(b, "%02x", serial[i]);
	BIO_printf(b, "\n  basicConstraints critical, CA:TRUE, pathLen %d\n",
	    p->path_len);
	BIO_printf(b, "  keyUsage         critical, keyCertSign, cRLSign, "
	    "digitalSignature\n");
	BIO_printf(b, "  key identifiers  SKI from the key, AKI = the root's "
	    "SKI\n");
	if (csr->n_ext == 0) {
		BIO_printf(b, "  CSR extensions   none requested\n");
	} else {
		BIO_printf(b, "  CSR extensions   IGNORED (the profile decides):"
		    "\n");
		for (size_t i = 0; i < csr->n_ext; i++)
			BIO_printf(b, "                   %s\n",
			    kc_disp(csr->ext_text[i]));
	}
	if (csr->legacy_sigalg)
		BIO_printf(b, "  note             legacy ecdsa-with-SHA256 "
		    "NULL parameter in the CSR was normalised\n");
	BIO_get_mem_ptr(b, &bm);
	if ((out = malloc(bm->length + 1)) != NULL) {
		memcpy(out, bm->data, bm->length);
		out[bm->length] = '\0';
	}
out:
	free(subj);
	BIO_free(b);
	return out;
}

/* A CA's name must tell it apart: not its issuer's (a certificate without
 * an authority key identifier would be matched to the root by name), and
 * not that of another valid CA this root issued. Names compare as RFC
 * 5280 does (case and runs of spaces ignored). Reads the register only. */
static int
check_ca_name(const struct kc_intermediate_params *p,
    const struct kc_issuer *is, const X509_NAME *subject)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry e;
	char *s = kc_name_string(subject), until[32];
	const char *from = p->subject != NULL ? "--subject or the ceremony "
	    "file" : p->csr;
	int rc = KC_OK, used;

	if (s == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (kc_name_same(subject, X509_get_subject_name(is->cert))) {
		rc = kc_err(KC_ERR_POLICY, "the intermediate's subject %s (from "
		    "%s) is the root's own subject %s (names compare without "
		    "regard to case and spaces): a certificate without an "
		    "authority key identifier would be matched to the root; "
		    "give the intermediate a name of its own (--subject)", s,
		    from, is->subject);
		goto out;
	}
	if (p->state_dir == NULL)
		goto out;
	if ((rc = kc_register_open(p->state_dir, 0, &reg)) == KC_ERR_NOTFOUND) {
		kc_err_clear();
		rc = KC_OK;
		goto out;
	}
	if (rc != KC_OK)
		goto out;
	if ((used = kc_register_ca_subject_used(reg, is->ca, subject,
	    time(NULL), &e)) < 0) {
		rc = used;
		goto out;
	}
	if (used) {
		kc_time_utc(e.not_after, until);
		rc = kc_err(KC_ERR_POLICY, "the intermediate's subject %s (from "
		    "%s) is already the subject of the intermediate CA serial "
		    "%s (%s, valid until %s, not revoked) that this root "
		    "issued (register %s): two valid CAs with one name make "
		    "chains ambiguous; give the new one another name, or "
		    "revoke the old one first", s, from, e.serial, e.path,
		    until, kc_register_path(reg));
	}
out:
	kc_register_close(reg);
	free(s);
	return rc;
}

int
kc_op_intermediate_sign(struct kc_token *tok,
    const struct kc_intermediate_params *p, struct kc_op_result *res)
{
	struct kc_issuer is;
	struct kc_csr *csr = NULL;
	struct kc_register *reg = NULL;
	struct kc_cert_req req;
	X509_NAME *override = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	char *text = NULL;
	int rc;

	memset(&is, 0, sizeof(is));
	memset(&req, 0, sizeof(req));
	memset(res, 0, sizeof(*res));
	if (p->key_label == NULL || p->issuer == NULL || p->csr == NULL ||
	    p->out == NULL)
		return kc_err(KC_ERR_USAGE, "intermediate sign needs a key "
		    "label, --issuer, --csr and --out");
	if (p->path_len < 0 || p->path_len > PATH_LEN_MAX)
		return kc_err(KC_ERR_USAGE, "--path-len %d out of range (0 to "
		    "%d)", p->path_len, PATH_LEN_MAX);
	/* Every input is checked before the token is touched. */
	if ((rc = kc_file_check_output(p->out)) != KC_OK)
		return rc;
	if (p->subject != NULL &&
	    (rc = kc_name_parse(p->subject, &override)) != KC_OK)
		goto out;
	if ((rc = kc_issuer_load(p->issuer, &is)) != KC_OK)
		goto out;
	if ((rc = kc_csr_load(p->csr, override != NULL ?
	    KC_CSR_NO_SUBJECT_CHECK : 0, &csr)) != KC_OK)
		goto out;
	snprintf(res->in_sha256, sizeof(res->in_sha256), "%s", csr->sha256);
	if (EVP_PKEY_eq(csr->pubkey, X509_get0_pubkey(is.cert)) == 1) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR carries the root's own "
		    "key; an intermediate needs its own key pair", p->csr);
		goto out;
	}
	if (override == NULL &&
	    X509_NAME_entry_count(csr->subject) == 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR has an empty subject; "
		    "give one with --subject", p->csr);
		goto out;
	}
	if ((rc = kc_issuer_window(&is, p->days, time(NULL), &req.not_before,
	    &req.not_after)) != KC_OK)
		goto out;
	if ((rc = check_ca_name(p, &is, override != NULL ? override :
	    csr->subject)) != KC_OK)
		goto out;

	/* The token: is --issuer the certificate of this key? */
	if ((rc = kc_issue_prepare(tok, p->key_label, &is, p->state_dir, &reg,
	    serial)) != KC_OK)
		goto out;

	req.profile = KC_PROFILE_INTERMEDIATE;
	req.subject = override != NULL ? override : csr->subject;
	req.subject_key = csr->pubkey;
	req.issuer = is.cert;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = p->path_len;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = kc_cert_lint(x, is.cert, KC_PROFILE_INTERMEDIATE)) != KC_OK)
		goto out;

	if (p->confirm != NULL)
		text = summary(p, &is, csr, req.subject, req.not_before,
		    req.not_after, serial);
	if ((rc = kc_issue_confirm(p->confirm, p->confirm_arg, text, p->out))
	    != KC_OK)
		goto out;

	/* Attributes and self-test again, right before the signature. */
	if ((rc = kc_issue_sign_write(tok, p->key_label, &is, x,
	    KC_PROFILE_INTERMEDIATE, KC_REG_INTERMEDIATE, csr->sha256, reg,
	    p->out, res)) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	X509_free(x);
	X509_NAME_free(override);
	kc_csr_free(csr);
	kc_issuer_free(&is);
	kc_register_close(reg);
	free(text);
	return rc;
}

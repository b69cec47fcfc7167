/* op_intermediate.c: kc_op_intermediate_sign: the root signs the
 * factory's intermediate CA CSR; the profile, never the CSR, decides the
 * extensions (see kc/ops.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

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
    const unsigned char *serial, const char *renews)
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
	if (renews != NULL) {
		BIO_printf(b, "  RENEWAL of serial %s (file %s): the same key "
		    "and subject,\n   a new validity; the devices it signed "
		    "verify under both\n", renews, kc_disp_quoted(p->renew));
		BIO_printf(b, "  subject (from the certificate renewed): %s\n",
		    kc_disp_quoted(subj));
		if (!kc_name_same(subject, csr->subject))
			BIO_printf(b, "  the CSR asked for (ignored): %s\n",
			    kc_disp_quoted(csr->subject_str));
	} else if (p->subject != NULL) {
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
    const struct kc_issuer *is, const X509_NAME *subject, const char *family)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry e;
	char *s = kc_name_string(subject), until[32];
	const char *from = family != NULL ? p->renew : p->subject != NULL ?
	    "--subject or the ceremony file" : p->csr;
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
	    time(NULL), family, &e)) < 0) {
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

/* --renew: the register's word on OLD (when there is a register): an
 * intermediate of this root, the same certificate, not revoked. */
static int
renewal_recorded(const struct kc_intermediate_params *p,
    const struct kc_issuer *is, const X509 *old, const char *serial)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry e;
	char fp[65], when[32];
	int rc;

	if (p->state_dir == NULL)
		return KC_OK;
	if ((rc = kc_register_open(p->state_dir, 0, &reg)) == KC_ERR_NOTFOUND)
		return kc_err(KC_ERR_POLICY, "%s: serial %s is not in the "
		    "register (no register in %s): only an intermediate this "
		    "root issued and recorded is renewed", p->renew, serial,
		    p->state_dir);
	if (rc != KC_OK)
		return rc;
	if ((rc = kc_register_find(reg, is->ca, serial, &e)) ==
	    KC_ERR_NOTFOUND) {
		rc = kc_err(KC_ERR_POLICY, "%s: serial %s is not in the "
		    "register %s of this root: only an intermediate this root "
		    "issued and recorded is renewed", p->renew, serial,
		    kc_register_path(reg));
		goto out;
	}
	if (rc != KC_OK)
		goto out;
	if ((rc = kc_cert_fingerprint(old, NULL, fp)) != KC_OK)
		goto out;
	if (e.kind != KC_REG_INTERMEDIATE)
		rc = kc_err(KC_ERR_POLICY, "%s: serial %s is a %s certificate "
		    "in the register %s, not an intermediate; --renew renews "
		    "an intermediate", p->renew, serial,
		    kc_reg_kind_name(e.kind), kc_register_path(reg));
	else if (strcmp(e.sha256, fp) != 0)
		rc = kc_err(KC_ERR_POLICY, "%s: serial %s in the register %s "
		    "is another certificate (SHA-256 %s, this file %s)",
		    p->renew, serial, kc_register_path(reg), e.sha256, fp);
	else if (e.revoked_at != 0) {
		kc_time_utc(e.revoked_at, when);
		rc = kc_err(KC_ERR_POLICY, "%s: serial %s was revoked on %s "
		    "(%s); a revoked intermediate is not renewed: sign a new "
		    "one for a new key", p->renew, serial, when,
		    kc_reason_name(e.reason));
	}
out:
	kc_register_close(reg);
	return rc;
}

/* --renew: OLD is an intermediate this root signed, for the CSR's key;
 * *old and serial (lower-case hex) on success. */
static int
renewal_check(const struct kc_intermediate_params *p,
    const struct kc_issuer *is, const struct kc_csr *csr,
    const X509_NAME *override, X509 **old, char serial[41])
{
	char *s, *subj = NULL;
	int rc;

	if ((rc = kc_cert_load(p->renew, old)) != KC_OK)
		return rc;
	if ((s = kc_cert_serial_hex(*old)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < 40 && s[i] != '\0'; i++)
		serial[i] = (char)tolower((unsigned char)s[i]);
	serial[strlen(s) < 40 ? strlen(s) : 40] = '\0';
	free(s);
	if (X509_check_issued(*old, *old) == X509_V_OK)
		return kc_err(KC_ERR_POLICY, "%s: a self-signed (root) "
		    "certificate; --renew renews an intermediate this root "
		    "signed", p->renew);
	if (X509_check_ca(*old) < 1)
		return kc_err(KC_ERR_POLICY, "%s: not a CA certificate (a "
		    "device certificate?); --renew renews an intermediate "
		    "this root signed", p->renew);
	if (X509_check_issued(is->cert, *old) != X509_V_OK ||
	    X509_verify(*old, X509_get0_pubkey(is->cert)) != 1) {
		ERR_clear_error();
		return kc_err(KC_ERR_POLICY, "%s: not issued by the root %s "
		    "(its signature does not verify under it)", p->renew,
		    is->path);
	}
	if (EVP_PKEY_eq(csr->pubkey, X509_get0_pubkey(*old)) != 1) {
		ERR_clear_error();
		return kc_err(KC_ERR_POLICY, "%s: the CSR's key is not the key "
		    "of %s; a renewal certifies the same key (bring the CSR "
		    "made with it, the factory's D/intermediate.csr), or sign "
		    "without --renew", p->csr, p->renew);
	}
	if (override != NULL &&
	    !kc_name_same(override, X509_get_subject_name(*old))) {
		subj = kc_name_string(X509_get_subject_name(*old));
		rc = kc_err(KC_ERR_POLICY, "--subject differs from the subject "
		    "%s of %s; a renewal keeps the subject (the devices name "
		    "it as their issuer)", subj != NULL ? subj : "?",
		    p->renew);
		free(subj);
		return rc;
	}
	return renewal_recorded(p, is, *old, serial);
}

/* The renewal's key identifier is OLD's: the devices' AKI names it (read
 * from the extensions: x is not signed yet, its cache may be stale). */
static int
renewal_ski(const struct kc_intermediate_params *p, const X509 *x,
    const X509 *old)
{
	ASN1_OCTET_STRING *a = X509_get_ext_d2i(x, NID_subject_key_identifier,
	    NULL, NULL);
	ASN1_OCTET_STRING *b = X509_get_ext_d2i(old,
	    NID_subject_key_identifier, NULL, NULL);
	int same = a != NULL && b != NULL && ASN1_OCTET_STRING_cmp(a, b) == 0;

	ASN1_OCTET_STRING_free(a);
	ASN1_OCTET_STRING_free(b);
	ERR_clear_error();
	if (!same)
		return kc_err(KC_ERR_POLICY, "%s: its subjectKeyIdentifier is "
		    "not the one derived from its key; the devices it signed "
		    "name it as their authority key identifier, so a renewal "
		    "cannot stand in for it: sign a new intermediate",
		    p->renew);
	return KC_OK;
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
	X509 *x = NULL, *old = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	char *text = NULL, renews[41] = "";
	const X509_NAME *subject;
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
	if (p->renew != NULL && (rc = renewal_check(p, &is, csr, override,
	    &old, renews)) != KC_OK)
		goto out;
	subject = old != NULL ? X509_get_subject_name(old) : override != NULL ?
	    override : csr->subject;
	if (old == NULL && override == NULL &&
	    X509_NAME_entry_count(csr->subject) == 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR has an empty subject; "
		    "give one with --subject", p->csr);
		goto out;
	}
	if ((rc = kc_issuer_window(&is, p->days, time(NULL), &req.not_before,
	    &req.not_after)) != KC_OK)
		goto out;
	if ((rc = check_ca_name(p, &is, subject, old != NULL ? renews : NULL))
	    != KC_OK)
		goto out;

	/* The token: is --issuer the certificate of this key? */
	if ((rc = kc_issue_prepare(tok, p->key_label, &is, p->state_dir, &reg,
	    serial)) != KC_OK)
		goto out;

	req.profile = KC_PROFILE_INTERMEDIATE;
	req.subject = subject;
	req.subject_key = csr->pubkey;
	req.issuer = is.cert;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = p->path_len;
	if ((rc = kc_cert_build(&req, &x)) != KC_OK ||
	    (rc = kc_cert_lint(x, is.cert, KC_PROFILE_INTERMEDIATE)) != KC_OK)
		goto out;
	if (old != NULL && (rc = renewal_ski(p, x, old)) != KC_OK)
		goto out;

	if (p->confirm != NULL)
		text = summary(p, &is, csr, req.subject, req.not_before,
		    req.not_after, serial, old != NULL ? renews : NULL);
	if ((rc = kc_issue_confirm(p->confirm, p->confirm_arg, text, p->out))
	    != KC_OK)
		goto out;

	/* Attributes and self-test again, right before the signature. */
	if ((rc = kc_issue_sign_write_renewal(tok, p->key_label, &is, x,
	    KC_PROFILE_INTERMEDIATE, KC_REG_INTERMEDIATE, csr->sha256,
	    old != NULL ? renews : NULL, reg, p->out, res)) != KC_OK)
		goto out;
	rc = KC_OK;
out:
	X509_free(x);
	X509_free(old);
	X509_NAME_free(override);
	kc_csr_free(csr);
	kc_issuer_free(&is);
	kc_register_close(reg);
	free(text);
	return rc;
}

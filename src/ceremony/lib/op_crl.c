/* op_crl.c: kc_op_crl: revoke a certificate the root issued and write the
 * root's CRL with every revocation so far (see kc/ops.h). The revocation,
 * the new CRL number and the CRL file are one register transaction. The
 * CRL itself is built and signed by the core (src/core/crl.c); the
 * register is checked against earlier CRLs and transcripts in
 * crl_root.c. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/ceremony/crl.h"
#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "issue_int.h"

/* Lower-case hex of a serial given on the command line, in the form of
 * kc_cert_serial_hex() (whole octets, no leading zero octets). */
static int
serial_arg(const char *s, char out[41])
{
	BIGNUM *bn = NULL;
	char *h;
	size_t n = strlen(s);
	int rc = KC_OK;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
			return KC_ERR_NOTFOUND;
	if (n == 0 || n > 59)
		return KC_ERR_NOTFOUND;
	{
		char clean[64];
		size_t j = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] != ':')
				clean[j++] = s[i];
		clean[j] = '\0';
		if (j == 0 || j > 40 || BN_hex2bn(&bn, clean) != (int)j)
			return KC_ERR_NOTFOUND;
	}
	if (BN_is_zero(bn)) {
		BN_free(bn);
		return KC_ERR_NOTFOUND;
	}
	if ((h = BN_bn2hex(bn)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
	} else {
		for (size_t i = 0; h[i]; i++)
			h[i] = (char)tolower((unsigned char)h[i]);
		snprintf(out, 41, "%s", h);
		OPENSSL_free(h);
	}
	BN_free(bn);
	return rc;
}

/* What --revoke names: a certificate file (which must verify under the
 * root) or a hex serial. */
static int
revoke_target(const char *arg, const struct kc_issuer *is, X509 **cert,
    char serial[41])
{
	char *s;
	int rc;

	*cert = NULL;
	if (access(arg, F_OK) == 0) {
		if ((rc = kc_cert_load(arg, cert)) != KC_OK)
			return rc;
		if (X509_check_issued(is->cert, *cert) != X509_V_OK ||
		    X509_verify(*cert, X509_get0_pubkey(is->cert)) != 1) {
			ERR_clear_error();
			s = kc_name_string(X509_get_issuer_name(*cert));
			rc = kc_err(KC_ERR_POLICY, "--revoke %s: this "
			    "certificate was not issued by the root %s (its "
			    "issuer is %s); nothing to revoke here", arg,
			    is->path, s != NULL ? s : "unknown");
			free(s);
			goto fail;
		}
		if (X509_cmp(*cert, is->cert) == 0) {
			rc = kc_err(KC_ERR_POLICY, "--revoke %s: that is the "
			    "root certificate itself; a root is not revoked "
			    "by its own CRL (retire it and its trust anchor)",
			    arg);
			goto fail;
		}
		if ((s = kc_cert_serial_hex(*cert)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto fail;
		}
		snprintf(serial, 41, "%s", s);
		free(s);
		return KC_OK;
	}
	if ((rc = serial_arg(arg, serial)) == KC_ERR_NOTFOUND)
		return kc_err(KC_ERR_USAGE, "--revoke %s: no such file, and "
		    "not a hexadecimal serial number", arg);
	return rc;
fail:
	X509_free(*cert);
	*cert = NULL;
	return rc;
}

/* The text of the revocation actions of the CRL about to be written to
 * out: the directory of out is searched for the revoked certificates. */
static int
actions_text(const char *out, const unsigned char *pem, size_t pemlen,
    const X509 *root, struct kc_register *reg, char **text, size_t *len)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(out, '/'), *base = out;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		if ((size_t)(slash - out) >= sizeof(dir))
			return kc_err(KC_ERR_USAGE, "%s: path too long", out);
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - out), out);
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
		base = slash + 1;
	}
	return kc_revact_root_text(dir, base, pem, pemlen, root, reg, text,
	    len);
}

int
kc_op_crl(struct kc_token *tok, const struct kc_crl_params *p,
    struct kc_crl_result *res)
{
	struct kc_issuer is;
	struct kc_register *reg = NULL;
	struct kc_reg_entry e, *revoked = NULL;
	struct kc_crl_entry *entries = NULL;
	struct kc_crl_req req;
	X509 *target = NULL;
	X509_CRL *crl = NULL;
	EVP_PKEY *priv = NULL;
	unsigned char *der = NULL;
	char serial[41] = "", *pem = NULL, root_serial[41] = "", *s;
	size_t pemlen = 0, n = 0, actions_len = 0;
	char *actions = NULL;
	time_t now = time(NULL);
	int rc, derlen;

	memset(&is, 0, sizeof(is));
	memset(&req, 0, sizeof(req));
	memset(res, 0, sizeof(*res));
	if (p->key_label == NULL || p->issuer == NULL || p->out == NULL)
		return kc_err(KC_ERR_USAGE, "crl needs a key label, --issuer "
		    "and --out");
	if (p->state_dir == NULL)
		return kc_err(KC_ERR_USAGE, "crl needs the register (--state): "
		    "revocations and CRL numbers live there");
	if (p->revoke == NULL && p->reason != KC_REASON_NONE)
		return kc_err(KC_ERR_USAGE, "--reason goes with --revoke");
	if ((rc = kc_file_check_output(p->out)) != KC_OK)
		return rc;
	if ((rc = kc_issuer_load(p->issuer, &is)) != KC_OK)
		return rc;
	if (!(X509_get_key_usage(is.cert) & KU_CRL_SIGN)) {
		rc = kc_err(KC_ERR_POLICY, "%s: the root's keyUsage does not "
		    "allow cRLSign", p->issuer);
		goto out;
	}
	if ((rc = kc_issuer_window(&is, p->days, now, &req.this_update,
	    &req.next_update)) != KC_OK)
		goto out;
	if (p->revoke != NULL &&
	    (rc = revoke_target(p->revoke, &is, &target, serial)) != KC_OK)
		goto out;
	if ((s = kc_cert_serial_hex(is.cert)) != NULL) {
		snprintf(root_serial, sizeof(root_serial), "%s", s);
		free(s);
	}
	if (p->revoke != NULL && strcmp(serial, root_serial) == 0) {
		rc = kc_err(KC_ERR_POLICY, "--revoke %s: that is the root "
		    "certificate's own serial; a root is not revoked by its "
		    "own CRL", p->revoke);
		goto out;
	}

	if ((rc = kc_issuer_key(tok, p->key_label, &is, NULL)) != KC_OK)
		goto out;
	if ((rc = kc_register_open(p->state_dir, 1, &reg)) != KC_OK ||
	    (rc = kc_register_begin(reg)) != KC_OK)
		goto out;
	if (p->revoke != NULL) {
		rc = kc_register_find(reg, is.ca, serial, &e);
		if (rc == KC_ERR_NOTFOUND && target == NULL) {
			rc = kc_err(KC_ERR_POLICY, "--revoke %s: serial %s is "
			    "not in the register %s: this root did not issue "
			    "it (or it was recorded under another --state)",
			    p->revoke, serial, kc_register_path(reg));
			goto out;
		}
		if (rc == KC_ERR_NOTFOUND) {
			/* Verified as signed by this root, but unknown to
			 * this register: record it, then revoke it. */
			kc_log(KC_LOG_WARN, "%s (serial %s) is not in the "
			    "register %s; it verifies under the root, so it is "
			    "recorded now", p->revoke, serial,
			    kc_register_path(reg));
			if ((rc = kc_register_entry_cert(target, is.ca,
			    X509_check_ca(target) ? KC_REG_INTERMEDIATE :
			    KC_REG_VERIFICATION, NULL, p->revoke, &e))
			    != KC_OK ||
			    (rc = kc_register_add(reg, &e)) != KC_OK)
				goto out;
		} else if (rc != KC_OK) {
			goto out;
		}
		if (target != NULL && e.sha256[0] != '\0') {
			char fp[65];
			if ((rc = kc_cert_fingerprint(target, NULL, fp))
			    != KC_OK)
				goto out;
			if (strcmp(fp, e.sha256) != 0) {
				rc = kc_err(KC_ERR_POLICY, "--revoke %s: serial "
				    "%s is in the register with another "
				    "certificate (SHA-256 %s); refusing", p->revoke,
				    serial, kc_hash(e.sha256));
				goto out;
			}
		}
		if ((rc = kc_register_revoke(reg, is.ca, serial, p->reason,
		    now)) != KC_OK)
			goto out;
		snprintf(res->revoked_serial, sizeof(res->revoked_serial),
		    "%s", serial);
		snprintf(res->revoked_subject, sizeof(res->revoked_subject),
		    "%s", e.subject);
	}
	if ((rc = kc_register_next_crl_number(reg, is.ca, &req.number))
	    != KC_OK ||
	    (rc = kc_register_revoked(reg, is.ca, &revoked, &n)) != KC_OK)
		goto out;
	if ((rc = kc_crl_check_rollback(p, &is, reg, req.number, revoked, n)) !=
	    KC_OK)
		goto out;
	if (n > 0 && (entries = calloc(n, sizeof(*entries))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		entries[i].serial = revoked[i].serial;
		entries[i].revoked_at = revoked[i].revoked_at;
		entries[i].reason = revoked[i].reason;
	}
	req.issuer = is.cert;
	req.entries = entries;
	req.n_entries = n;
	if ((rc = kc_crl_build(&req, &crl)) != KC_OK ||
	    (rc = kc_crl_lint(crl, is.cert)) != KC_OK)
		goto out;
	/* Attributes and self-test again, right before the signature. */
	if ((rc = kc_issuer_key(tok, p->key_label, &is, &priv)) != KC_OK ||
	    (rc = kc_crl_sign(crl, priv, is.cert)) != KC_OK ||
	    (rc = kc_crl_pem(crl, &pem, &pemlen)) != KC_OK)
		goto out;
	/* The revocation actions, from the signed CRL and what stands
	 * beside it, built before anything is written; none for a CRL that
	 * revokes nothing. */
	if (n > 0 && (rc = actions_text(p->out, (unsigned char *)pem, pemlen,
	    is.cert, reg, &actions, &actions_len)) != KC_OK)
		goto out;
	if ((derlen = i2d_X509_CRL(crl, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the CRL");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.kind = KC_REG_CRL;
	e.reason = KC_REASON_NONE;
	e.crl_number = req.number;
	e.time = now;
	e.not_before = req.this_update;
	e.not_after = req.next_update;
	snprintf(e.ca, sizeof(e.ca), "%s", is.ca);
	snprintf(e.subject, sizeof(e.subject), "%s", is.subject);
	snprintf(e.path, sizeof(e.path), "%s", p->out);
	kc_sha256_hex(der, (size_t)derlen, e.sha256);
	if (target != NULL)
		kc_cert_fingerprint(target, NULL, e.inputs_sha256);
	else if (p->revoke != NULL)
		kc_sha256_hex(serial, strlen(serial), e.inputs_sha256);
	if ((rc = kc_register_write(reg, &e, p->out, pem, pemlen, 0644))
	    != KC_OK)
		goto out;
	res->number = req.number;
	res->n_revoked = n;
	res->this_update = req.this_update;
	res->next_update = req.next_update;
	kc_sha256_hex(pem, pemlen, res->out_sha256);
	if (actions != NULL && ((rc = kc_revact_path(p->out,
	    res->actions_path, sizeof(res->actions_path))) != KC_OK ||
	    (rc = kc_revact_write(res->actions_path, actions, actions_len)) !=
	    KC_OK)) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		rc = kc_err(rc, "CRL number %lld was written to %s, but not "
		    "its revocation actions: %s (issue the CRL again to write "
		    "them)", req.number, p->out, msg);
		res->actions_path[0] = '\0';
		goto out;
	}
	if (actions != NULL)
		kc_sha256_hex(actions, actions_len, res->actions_sha256);
	rc = KC_OK;
out:
	kc_register_rollback(reg);
	kc_register_close(reg);
	kc_issuer_free(&is);
	X509_free(target);
	X509_CRL_free(crl);
	EVP_PKEY_free(priv);
	OPENSSL_free(der);
	free(revoked);
	free(entries);
	free(pem);
	free(actions);
	return rc;
}

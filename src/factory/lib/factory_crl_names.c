/* factory_crl_names.c: what factorysign crl --revoke names (a device ID,
 * a serial, a certificate file) resolved against the ledger and the
 * installed intermediate (see kc/factory/crl.h, fcrl_int.h). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/factory/crl.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"
#include "fcrl_int.h"

/* Serials compare without leading zeros, in any case. */
int
kc_fcrl_serial_eq(const char *a, const char *b)
{
	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	return strcasecmp(a, b) == 0;
}

/* A hex serial as given (0x, colons allowed) into the lower-case form
 * kc_cert_serial_hex() writes; KC_ERR_NOTFOUND when it is not one. */
static int
serial_arg(const char *s, char out[41])
{
	BIGNUM *bn = NULL;
	char clean[64], *h;
	size_t j = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || j >= 40)
			return KC_ERR_NOTFOUND;
		clean[j++] = *s;
	}
	clean[j] = '\0';
	if (j == 0 || BN_hex2bn(&bn, clean) != (int)j)
		return KC_ERR_NOTFOUND;
	if (BN_is_zero(bn) || (h = BN_bn2hex(bn)) == NULL) {
		BN_free(bn);
		return KC_ERR_NOTFOUND;
	}
	for (size_t i = 0; h[i]; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	snprintf(out, 41, "%s", h);
	OPENSSL_free(h);
	BN_free(bn);
	return KC_OK;
}

/* 1 when x was signed by the intermediate (name, AKI, signature). */
static int
issued_by(const X509 *inter, X509 *x)
{
	int ok = X509_check_issued((X509 *)inter, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(inter)) == 1;

	ERR_clear_error();
	return ok;
}

static int
row_issued_by(const X509 *inter, const struct kc_ledger_row *row)
{
	const unsigned char *p = row->cert_der;
	X509 *x;
	int ok;

	if (row->cert_der == NULL || (x = d2i_X509(NULL, &p,
	    (long)row->cert_der_len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	ok = X509_check_issued((X509 *)inter, x) == X509_V_OK;
	ERR_clear_error();
	X509_free(x);
	return ok;
}

/* ---- what --revoke names ---- */

struct target {
	const char	*arg;
	char		 serial[41];
	char		 fp[65];	/* CERT: the file's SHA-256 */
	int		 found;		/* the ledger row was seen */
};

static void
fill_named(struct kc_fcrl_device *d, const struct kc_ledger_row *row,
    const char *cert_path, int reason)
{
	snprintf(d->serial, sizeof(d->serial), "%s", row->serial);
	snprintf(d->id, sizeof(d->id), "%s", row->device_id);
	snprintf(d->kind, sizeof(d->kind), "%s", row->kind);
	snprintf(d->cert_path, sizeof(d->cert_path), "%s", cert_path != NULL ?
	    cert_path : row->cert_path != NULL ? row->cert_path : "");
	d->reason = reason;
}

/* A certificate file: it must be signed by the intermediate. */
static int
target_cert(struct kc_factory *f, struct target *t)
{
	X509 *x = NULL;
	char *s = NULL, *iss;
	int rc;

	if ((rc = kc_cert_load(t->arg, &x)) != KC_OK)
		return kc_err(rc, "--revoke %s: %s", t->arg, kc_errmsg());
	if (X509_cmp(x, f->inter) == 0) {
		rc = kc_err(KC_ERR_POLICY, "--revoke %s: that is the "
		    "intermediate itself; its revocation is the root's CRL "
		    "(keyceremony crl --revoke)", t->arg);
		goto out;
	}
	if (!issued_by(f->inter, x)) {
		iss = kc_name_string(X509_get_issuer_name(x));
		rc = kc_err(KC_ERR_POLICY, "--revoke %s: this certificate was "
		    "not issued by the intermediate in %s (its issuer is %s); "
		    "nothing to revoke here", t->arg, f->dir,
		    iss != NULL ? iss : "unknown");
		free(iss);
		goto out;
	}
	if ((s = kc_cert_serial_hex(x)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(t->serial, sizeof(t->serial), "%s", s);
	rc = kc_cert_fingerprint(x, NULL, t->fp);
out:
	free(s);
	X509_free(x);
	return rc;
}

/* Looks like a path rather than an ID or a serial. */
static int
path_like(const char *s)
{
	struct stat st;
	size_t n = strlen(s);

	return strchr(s, '/') != NULL || lstat(s, &st) == 0 ||
	    (n > 4 && (strcasecmp(s + n - 4, ".pem") == 0 ||
	    strcasecmp(s + n - 4, ".crt") == 0 ||
	    strcasecmp(s + n - 4, ".der") == 0));
}

struct serial_scan {
	struct target		*t;
	size_t			 n;
	struct kc_fcrl_device	*named;
	const X509		*inter;
	int			 rc;
	int			 reason;
};

static int
on_row(const struct kc_ledger_row *row, void *arg)
{
	struct serial_scan *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		struct target *t = &s->t[i];

		if (t->found || t->serial[0] == '\0' ||
		    !kc_fcrl_serial_eq(t->serial, row->serial))
			continue;
		t->found = 1;
		if (!row_issued_by(s->inter, row)) {
			s->rc = kc_err(KC_ERR_POLICY, "--revoke %s: serial %s "
			    "in the ledger was issued by another intermediate "
			    "of this factory, not the installed one; its CRL "
			    "is that intermediate's", t->arg, row->serial);
			return 1;
		}
		if (t->fp[0] != '\0' && strcmp(t->fp, row->cert_sha256) != 0) {
			s->rc = kc_err(KC_ERR_POLICY, "--revoke %s: serial %s "
			    "is in the ledger with another certificate (SHA-256 "
			    "%s); refusing", t->arg, row->serial,
			    row->cert_sha256);
			return 1;
		}
		fill_named(&s->named[i], row, t->fp[0] != '\0' ? t->arg : NULL,
		    s->reason);
	}
	return 0;
}

/* Resolves every --revoke into named[] (n of them). */
int
kc_fcrl_resolve(struct kc_factory *f, const struct kc_fcrl_params *p,
    struct kc_fcrl_device *named)
{
	struct target *t;
	struct serial_scan scan;
	struct kc_ledger_row row;
	int rc = KC_OK, byid;

	if ((t = calloc(p->n_revoke, sizeof(*t))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->n_revoke && rc == KC_OK; i++) {
		char ser[41] = "";
		const char *why = NULL;

		t[i].arg = p->revoke[i];
		if (path_like(t[i].arg)) {
			rc = target_cert(f, &t[i]);
			continue;
		}
		memset(&row, 0, sizeof(row));
		byid = kc_factory_id_ok(t[i].arg, &why) &&
		    kc_ledger_find_id(f->ledger, t[i].arg, &row) == 1;
		if (serial_arg(t[i].arg, ser) == KC_OK &&
		    kc_ledger_serial_exists(f->ledger, ser) == 1) {
			if (byid && !kc_fcrl_serial_eq(ser, row.serial)) {
				rc = kc_err(KC_ERR_USAGE, "--revoke %s: both a "
				    "device ID (serial %s) and another "
				    "certificate's serial; give the certificate "
				    "file instead", t[i].arg, row.serial);
				kc_ledger_row_clear(&row);
				break;
			}
			if (!byid)
				snprintf(t[i].serial, sizeof(t[i].serial), "%s",
				    ser);
		}
		if (byid) {
			snprintf(t[i].serial, sizeof(t[i].serial), "%s",
			    row.serial);
			kc_ledger_row_clear(&row);
		}
		if (t[i].serial[0] == '\0')
			rc = kc_err(KC_ERR_NOTFOUND, "--revoke %s: no live "
			    "device with this ID and no certificate with this "
			    "serial in the ledger of %s (nor a certificate "
			    "file)", t[i].arg, f->dir);
	}
	memset(&scan, 0, sizeof(scan));
	scan.t = t;
	scan.n = p->n_revoke;
	scan.named = named;
	scan.inter = f->inter;
	scan.reason = p->reason;
	if (rc == KC_OK && (rc = kc_ledger_foreach(f->ledger, NULL, on_row,
	    &scan)) != KC_OK && scan.rc != KC_OK)
		rc = scan.rc;
	else if (rc == KC_OK && scan.rc != KC_OK)
		rc = scan.rc;
	for (size_t i = 0; i < p->n_revoke && rc == KC_OK; i++)
		if (!t[i].found)
			rc = kc_err(KC_ERR_NOTFOUND, "--revoke %s: serial %s is "
			    "not in the ledger of %s: this factory did not record "
			    "it (an interrupted run's file, or another "
			    "factory's)", t[i].arg, t[i].serial, f->dir);
	free(t);
	return rc > 0 ? KC_ERR_DB : rc;
}

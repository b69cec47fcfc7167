/* factory_crl_names.c: what factorysign crl --revoke names (a device ID,
 * a serial, a certificate file) resolved against the ledger and the
 * installed intermediate (see kc/factory/crl.h, fcrl_int.h). */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/factory/crl.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"
#include "fcrl_int.h"

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

/* The intermediate of set that issued the row's certificate, or NULL. */
static const struct kc_fcrl_inter *
row_issuer(const struct kc_fcrl_set *set, const struct kc_ledger_row *row)
{
	const struct kc_fcrl_inter *v = NULL;
	const unsigned char *p = row->cert_der;
	X509 *x;

	if (set == NULL || row->cert_der == NULL || (x = d2i_X509(NULL, &p,
	    (long)row->cert_der_len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	v = kc_fcrl_set_issuer_of(set, x);
	X509_free(x);
	return v;
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

/* The one-line refusal of a certificate another intermediate of D
 * issued: which one, and the command for its CRL. */
static int
other_issuer(const char *arg, const char *serial,
    const struct kc_fcrl_inter *v, const X509 *signer)
{
	char who[PATH_MAX + 128], *me = kc_cert_serial_hex(signer);
	int rc;

	kc_fcrl_inter_name(v, who, sizeof(who));
	rc = kc_err(KC_ERR_POLICY, "--revoke %s: %s%s%swas issued by %s, not "
	    "by intermediate %s whose CRL this is; revoke it in its own CRL "
	    "(factorysign crl --intermediate %s); nothing was written", arg,
	    serial != NULL ? "serial " : "", serial != NULL ? serial : "",
	    serial != NULL ? " " : "", who, me != NULL ? me : "?", v->serial);
	free(me);
	return rc;
}

/* A certificate file: it must be signed by the intermediate. */
static int
target_cert(struct kc_factory *f, const struct kc_fcrl_set *set,
    struct target *t)
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
		const struct kc_fcrl_inter *v = set != NULL ?
		    kc_fcrl_set_issuer_of(set, x) : NULL;

		if (v != NULL) {
			rc = other_issuer(t->arg, NULL, v, f->inter);
			goto out;
		}
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
	const struct kc_fcrl_set *set;
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
			const struct kc_fcrl_inter *v = row_issuer(s->set, row);

			if (v != NULL)
				s->rc = other_issuer(t->arg, row->serial, v,
				    s->inter);
			else
				s->rc = kc_err(KC_ERR_POLICY, "--revoke %s: serial "
				    "%s in the ledger was not issued by any "
				    "intermediate of this factory kept in its "
				    "directory; nothing was written", t->arg,
				    row->serial);
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
	struct kc_fcrl_set set;
	int rc = KC_OK, byid;

	if ((t = calloc(p->n_revoke, sizeof(*t))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	/* D's intermediates, to name the one that issued a device of
	 * another (none known when D/intermediate.pem cannot be read) */
	if (kc_fcrl_set_load(f->dir, 0, &set) != KC_OK) {
		kc_err_clear();
		memset(&set, 0, sizeof(set));
	}
	for (size_t i = 0; i < p->n_revoke && rc == KC_OK; i++) {
		char ser[41] = "";
		const char *why = NULL;

		t[i].arg = p->revoke[i];
		if (path_like(t[i].arg)) {
			rc = target_cert(f, set.n > 0 ? &set : NULL, &t[i]);
			continue;
		}
		memset(&row, 0, sizeof(row));
		byid = kc_factory_id_ok(t[i].arg, &why) &&
		    kc_ledger_find_id(f->ledger, t[i].arg, &row) == 1;
		if (kc_fcrl_serial_arg(t[i].arg, ser) == KC_OK &&
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
	scan.set = set.n > 0 ? &set : NULL;
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
	kc_fcrl_set_free(&set);
	return rc > 0 ? KC_ERR_DB : rc;
}

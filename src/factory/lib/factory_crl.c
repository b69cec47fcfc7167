/* factory_crl.c: factorysign crl, the intermediate's CRL (see
 * kc/factory/crl.h): what --revoke names resolved against the ledger, the
 * outputs checked, the CRL number above the ledger's and the disk's, the
 * revocations and the number in one ledger transaction, then the files.
 * What --revoke names is resolved in factory_crl_names.c; building and
 * signing the CRL is the core's (src/core/crl.c), the cloud actions'
 * text too (src/core/revactions.c). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "kc/core/x509.h"
#include "kc/factory/crl.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"
#include "fcrl_int.h"

void
kc_fcrl_result_free(struct kc_fcrl_result *r)
{
	if (r == NULL)
		return;
	free(r->named);
	free(r->actions_text);
	r->named = NULL;
	r->actions_text = NULL;
	r->n_named = 0;
}

/* ---- the outputs ---- */

static void
dir_of(const char *path, char *dir, size_t sz)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, sz, ".");
	else if (slash == path)
		snprintf(dir, sz, "/");
	else
		snprintf(dir, sz, "%.*s", (int)(slash - path), path);
}

/* An output that may be replaced: absent, or a regular file of ours. */
static int
replaceable(const char *path)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? KC_OK : kc_err(KC_ERR_IO, "%s: %s",
		    path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s is a symbolic link; refusing "
		    "to replace it (nothing was written)", path);
	if ((rc = kc_file_open(path, "output", (size_t)-1 / 2, &fd, &st))
	    != KC_OK)
		return rc;
	close(fd);
	return KC_OK;
}

struct disk {
	long long	 max;
	char		 max_path[PATH_MAX + 64];
	struct kc_crl_revoked *rev;	/* every serial a CRL on disk revokes */
	size_t		 n, cap;
	char		(*from)[PATH_MAX + 64];
	long long	*from_num;
};

static int
on_disk_crl(const char *path, const struct kc_crl_info *info, void *arg)
{
	struct disk *d = arg;

	if (info == NULL) {
		kc_log(KC_LOG_WARN, "%s; not used to check the ledger",
		    kc_errmsg());
		return KC_OK;
	}
	if (info->number > d->max) {
		d->max = info->number;
		snprintf(d->max_path, sizeof(d->max_path), "%s", path);
	}
	for (size_t i = 0; i < info->n; i++) {
		if (d->n == d->cap) {
			size_t cap = d->cap ? 2 * d->cap : 16;
			void *a = realloc(d->rev, cap * sizeof(*d->rev));
			void *b = a == NULL ? NULL : realloc(d->from,
			    cap * sizeof(*d->from));
			void *c = b == NULL ? NULL : realloc(d->from_num,
			    cap * sizeof(*d->from_num));

			if (a != NULL)
				d->rev = a;
			if (b != NULL)
				d->from = b;
			if (c == NULL)
				return kc_err(KC_ERR_NOMEM, "out of memory");
			d->from_num = c;
			d->cap = cap;
		}
		d->rev[d->n] = info->revoked[i];
		snprintf(d->from[d->n], sizeof(d->from[0]), "%s", path);
		d->from_num[d->n] = info->number;
		d->n++;
	}
	return KC_OK;
}

static void
disk_free(struct disk *d)
{
	free(d->rev);
	free(d->from);
	free(d->from_num);
}

/* The intermediate's CRLs on disk: D/crl, the directory of out, and out
 * itself (which may not end in .crl). */
static int
scan_disk(struct kc_factory *f, const char *out, const char *outdir,
    struct disk *d)
{
	char arch[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	struct kc_crl_info info;
	size_t l = strlen(out);
	int rc;

	snprintf(arch, sizeof(arch), "%s/crl", f->dir);
	if ((rc = kc_crl_dir_each(arch, f->inter, on_disk_crl, d)) != KC_OK)
		return rc;
	if ((realpath(outdir, a) == NULL || realpath(arch, b) == NULL ||
	    strcmp(a, b) != 0) &&
	    (rc = kc_crl_dir_each(outdir, f->inter, on_disk_crl, d)) != KC_OK)
		return rc;
	if ((l < 4 || strcmp(out + l - 4, ".crl") != 0) &&
	    access(out, F_OK) == 0) {
		if ((rc = kc_crl_info_load(out, f->inter, &info)) != KC_OK)
			return rc;
		rc = on_disk_crl(out, &info, d);
		kc_crl_info_free(&info);
	}
	return rc;
}

/* An existing out must be a CRL of this intermediate: nothing else is
 * replaced. */
static int
check_out(struct kc_factory *f, const char *out, const char *r_serial)
{
	struct kc_crl_info info;
	struct stat st;
	int rc;

	if ((rc = replaceable(out)) != KC_OK)
		return rc;
	if (lstat(out, &st) != 0)
		return KC_OK;
	if ((rc = kc_crl_info_load(out, f->inter, &info)) != KC_OK)
		return kc_err(KC_ERR_POLICY, "%s exists and is not a CRL of "
		    "the intermediate in %s (serial %s; %s); refusing to "
		    "replace it: give each intermediate's CRL a name of its "
		    "own (nothing was written)", out, f->dir, r_serial,
		    kc_errmsg());
	kc_crl_info_free(&info);
	return KC_OK;
}

/* The root's CRL for crls.pem: p->root_crl, else D/root.crl when there;
 * *crl NULL when neither. */
static int
root_crl(struct kc_factory *f, const struct kc_fcrl_params *p,
    X509_CRL **crl, struct kc_fcrl_result *r, const char *inter_serial)
{
	char path[PATH_MAX];
	struct kc_crl_info info, old;
	struct stat st;
	int rc;

	*crl = NULL;
	snprintf(path, sizeof(path), "%s/root.crl", f->dir);
	if (p->root_crl == NULL && lstat(path, &st) != 0)
		return KC_OK;
	if (p->root_crl != NULL && lstat(path, &st) == 0) {
		if ((rc = kc_crl_info_load(path, f->root, &old)) != KC_OK)
			return rc;
		kc_crl_info_free(&old);
	}
	if ((rc = kc_crl_info_load(p->root_crl != NULL ? p->root_crl : path,
	    f->root, &info)) != KC_OK) {
		if (rc == KC_ERR_NOTFOUND)
			return kc_err(KC_ERR_POLICY, "%s is not a CRL of the "
			    "root in %s/root.pem; nothing was written",
			    p->root_crl != NULL ? p->root_crl : path, f->dir);
		return rc;
	}
	if (p->root_crl != NULL && lstat(path, &st) == 0 &&
	    old.number > info.number) {
		kc_crl_info_free(&info);
		return kc_err(KC_ERR_POLICY, "--root-crl %s is the root's CRL "
		    "number %lld, older than %s (number %lld); nothing was "
		    "written", p->root_crl, info.number, path, old.number);
	}
	r->root_number = info.number;
	r->root_next_update = info.next_update;
	for (size_t i = 0; i < info.n; i++)
		if (kc_fcrl_serial_eq(info.revoked[i].serial, inter_serial))
			kc_log(KC_LOG_WARN, "the root's CRL number %lld revokes "
			    "this intermediate (serial %s): relying parties "
			    "that check the whole chain refuse every device "
			    "under it; mosquitto does not (it checks only the "
			    "device's issuer): see docs/revocation.md",
			    info.number, inter_serial);
	if (info.next_update != 0 && info.next_update < p->now)
		kc_log(KC_LOG_WARN, "the root's CRL number %lld is past its "
		    "nextUpdate: relying parties that check the whole chain "
		    "refuse every device until the root issues a new one",
		    info.number);
	kc_crl_info_free(&info);
	return kc_crl_file_load(p->root_crl != NULL ? p->root_crl : path, crl);
}

/* ---- the ledger's revoked list ---- */

/* One revoked certificate of this intermediate, for the CRL and the
 * cloud actions. */
struct rev {
	char	 serial[41];
	char	 id[KC_FACTORY_ID_MAX + 1];
	char	 kind[16];
	char	*cert_path;
	X509	*cert;
};

struct entries {
	const X509		*inter;
	struct kc_crl_entry	*e;
	struct rev		*r;
	size_t			 n, cap;
};

static int
on_revoked(void *arg, const struct kc_ledger_row *row, time_t when,
    int reason)
{
	struct entries *s = arg;
	const unsigned char *p = row->cert_der;
	struct rev *v;
	X509 *x;

	if (row->cert_der == NULL || (x = d2i_X509(NULL, &p,
	    (long)row->cert_der_len)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (X509_check_issued((X509 *)s->inter, x) != X509_V_OK) {
		ERR_clear_error();
		X509_free(x);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		void *a = realloc(s->e, cap * sizeof(*s->e));
		void *b = a == NULL ? NULL : realloc(s->r, cap * sizeof(*s->r));

		if (a != NULL)
			s->e = a;
		if (b == NULL) {
			X509_free(x);
			kc_err(KC_ERR_NOMEM, "out of memory");
			return 1;
		}
		s->r = b;
		s->cap = cap;
	}
	v = &s->r[s->n];
	memset(v, 0, sizeof(*v));
	snprintf(v->serial, sizeof(v->serial), "%s", row->serial);
	snprintf(v->id, sizeof(v->id), "%s", row->device_id);
	snprintf(v->kind, sizeof(v->kind), "%s", row->kind);
	v->cert = x;
	if (row->cert_path != NULL && (v->cert_path = strdup(row->cert_path))
	    == NULL) {
		kc_err(KC_ERR_NOMEM, "out of memory");
		return 1;
	}
	s->e[s->n].revoked_at = when;
	s->e[s->n].reason = reason;
	s->n++;
	return 0;
}

static void
entries_free(struct entries *s)
{
	for (size_t i = 0; i < s->n; i++) {
		X509_free(s->r[i].cert);
		free(s->r[i].cert_path);
	}
	free(s->e);
	free(s->r);
}

/* The cloud actions for every certificate the CRL revokes
 * (kc/core/revactions.h). */
static int
actions(const struct entries *s, const struct kc_factory *f,
    const char *out, const struct kc_fcrl_result *r, char **text)
{
	struct kc_revact_cert *c;
	struct kc_revact_req req;
	const char *base = strrchr(out, '/') != NULL ? strrchr(out, '/') + 1 :
	    out;
	size_t len;
	int rc;

	if ((c = calloc(s->n, sizeof(*c))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		c[i].kind = strcmp(s->r[i].kind, "device") == 0 ?
		    KC_REVACT_DEVICE : KC_REVACT_OTHER;
		c[i].cert = s->r[i].cert;
		c[i].serial = s->r[i].serial;
		c[i].device_id = s->r[i].id[0] != '\0' ? s->r[i].id : NULL;
		c[i].cert_file = s->r[i].cert_path;
		c[i].revoked_at = s->e[i].revoked_at;
		c[i].reason = s->e[i].reason;
	}
	memset(&req, 0, sizeof(req));
	req.writer = "factorysign crl";
	req.issuer = f->inter;
	req.crl_file = base;
	req.crl_number = r->number;
	req.crl_sha256 = r->sha256;
	req.written = r->this_update;
	req.certs = c;
	req.n = s->n;
	rc = kc_revact_text(&req, text, &len);
	free(c);
	return rc;
}

/* Every serial a CRL on disk revokes must be revoked in the ledger. */
static int
check_rollback(struct kc_factory *f, const struct disk *d,
    const struct entries *s)
{
	for (size_t i = 0; i < d->n; i++) {
		size_t k;

		for (k = 0; k < s->n && !kc_fcrl_serial_eq(s->r[k].serial,
		    d->rev[i].serial); k++)
			;
		if (k == s->n)
			return kc_err(KC_ERR_POLICY, "%s (CRL number %lld) "
			    "revokes serial %s, but the ledger of %s does not: "
			    "the ledger was rolled back or replaced; restore it "
			    "from its backup; nothing was written",
			    d->from[i], d->from_num[i], d->rev[i].serial,
			    f->dir);
	}
	return KC_OK;
}

/* ---- writing ---- */

/* crls.pem: the root's CRL, this CRL, then the other intermediates'
 * newest (others, olen: kc_fcrl_others_pem). */
static int
write_outputs(struct kc_factory *f, const struct kc_fcrl_params *p,
    const char *outdir, const char *pem, size_t len, X509_CRL *rcrl,
    const char *others, size_t olen, struct kc_fcrl_result *r)
{
	char *rpem = NULL, *both = NULL, path[PATH_MAX];
	size_t rlen = 0;
	int rc;

	if ((rc = kc_file_write(p->out, pem, len, 0644, 0)) != KC_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/crl", f->dir);
	if ((rc = kc_dir_ensure(path, 0755)) != KC_OK)
		return rc;
	snprintf(r->archive, sizeof(r->archive), "%s/crl/intermediate-%s-%lld"
	    ".crl", f->dir, r->issuer_serial, r->number);
	if ((rc = kc_file_write(r->archive, pem, len, 0644, KC_WRITE_EXCL))
	    != KC_OK)
		return rc;
	if (rcrl != NULL) {
		if ((rc = kc_crl_pem(rcrl, &rpem, &rlen)) != KC_OK)
			return rc;
		if ((both = malloc(rlen + len + olen + 1)) == NULL) {
			free(rpem);
			return kc_err(KC_ERR_NOMEM, "out of memory");
		}
		memcpy(both, rpem, rlen);
		memcpy(both + rlen, pem, len);
		if (olen > 0)
			memcpy(both + rlen + len, others, olen);
		snprintf(r->crls, sizeof(r->crls), "%s/%s", outdir,
		    KC_FCRL_CRLS);
		rc = kc_file_write(r->crls, both, rlen + len + olen, 0644, 0);
		if (rc == KC_OK && p->root_crl != NULL) {
			snprintf(path, sizeof(path), "%s/root.crl", f->dir);
			rc = kc_file_write(path, rpem, rlen, 0644, 0);
		}
		free(both);
		free(rpem);
		if (rc != KC_OK)
			return rc;
	}
	if (r->actions_text != NULL) {
		if ((rc = kc_revact_path(p->out, r->actions,
		    sizeof(r->actions))) != KC_OK ||
		    (rc = kc_revact_write(r->actions, r->actions_text,
		    strlen(r->actions_text))) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* Outputs, root CRL and targets: everything that can be refused before
 * the ledger transaction. */
static int
precheck(struct kc_factory *f, const struct kc_fcrl_params *p, char *outdir,
    size_t outdirsz, X509_CRL **rcrl, struct kc_fcrl_result *r)
{
	const char *base = strrchr(p->out, '/') != NULL ?
	    strrchr(p->out, '/') + 1 : p->out;
	char path[PATH_MAX + 64], *iserial;
	struct stat st;
	int rc;

	if (strlen(p->out) > PATH_MAX - 64)
		return kc_err(KC_ERR_USAGE, "--out: the path is too long");
	if (*base == '\0' || strcmp(base, KC_FCRL_CRLS) == 0 ||
	    (strlen(base) >= strlen(KC_REVACT_FILE) && strcmp(base +
	    strlen(base) - strlen(KC_REVACT_FILE), KC_REVACT_FILE) == 0) ||
	    kc_name_reserved(base))
		return kc_err(KC_ERR_USAGE, "--out %s: that name is kept for "
		    "another file; name the CRL e.g. intermediate.crl",
		    p->out);
	dir_of(p->out, outdir, outdirsz);
	if (access(outdir, W_OK) != 0)
		return kc_err(KC_ERR_IO, "%s: the directory of --out is not "
		    "writable (%s); nothing was written", outdir,
		    strerror(errno));
	if ((rc = check_out(f, p->out, r->issuer_serial)) != KC_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", outdir, KC_FCRL_CRLS);
	if ((rc = replaceable(path)) != KC_OK)
		return rc;
	if ((rc = kc_revact_path(p->out, path, sizeof(path))) != KC_OK ||
	    (rc = replaceable(path)) != KC_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/crl", f->dir);
	if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s is %s, not a directory; "
		    "refusing it (nothing was written)", path,
		    kc_file_kind(st.st_mode));
	if ((iserial = kc_cert_serial_hex(f->inter)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	rc = root_crl(f, p, rcrl, r, iserial);
	free(iserial);
	return rc;
}

int
kc_factory_crl(struct kc_factory *f, const struct kc_fcrl_params *p0,
    struct kc_fcrl_result *r)
{
	struct kc_fcrl_params p = *p0;
	struct kc_crl_req req;
	struct entries s;
	struct disk d;
	X509_CRL *crl = NULL, *rcrl = NULL;
	unsigned char *der = NULL;
	char outdir[PATH_MAX], ski[65], dsha[65], *pem = NULL, *others = NULL;
	char *iser;
	size_t pemlen = 0, olen = 0;
	long long last = 0;
	int rc, derlen, in_tx = 0;

	memset(r, 0, sizeof(*r));
	if ((iser = kc_cert_serial_hex(f->inter)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	snprintf(r->issuer_serial, sizeof(r->issuer_serial), "%s", iser);
	free(iser);
	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	memset(&req, 0, sizeof(req));
	if (p.now == 0)
		p.now = time(NULL);
	if (p.days == 0)
		p.days = KC_FCRL_DAYS;
	if (p.out == NULL || p.days < 1 || p.days > KC_FCRL_DAYS_MAX)
		return kc_err(KC_ERR_USAGE, "crl needs --out and --days from 1 "
		    "to %d", KC_FCRL_DAYS_MAX);
	if (p.n_revoke == 0 && p.reason != KC_REASON_NONE)
		return kc_err(KC_ERR_USAGE, "--reason goes with --revoke");
	if (p.reason == KC_REASON_CA_COMPROMISE)
		return kc_err(KC_ERR_USAGE, "--reason cACompromise is for a CA; "
		    "a device whose key is exposed is keyCompromise");
	req.this_update = p.now;
	req.next_update = p.now + (time_t)p.days * 86400;
	{
		struct tm tm;
		time_t na = 0;

		if (ASN1_TIME_to_tm(X509_get0_notAfter(f->inter), &tm))
			na = timegm(&tm);
		if (req.next_update > na)
			return kc_err(KC_ERR_POLICY, "--days %d: the CRL's "
			    "nextUpdate would be after the notAfter of "
			    "intermediate %s: --days %lld at most (a retired "
			    "intermediate's devices end with it; renew an "
			    "active one first)", p.days, r->issuer_serial,
			    na > p.now ? (long long)((na - p.now) / 86400) :
			    0LL);
	}
	if (!(X509_get_key_usage(f->inter) & KU_CRL_SIGN))
		return kc_err(KC_ERR_POLICY, "intermediate %s in %s: its "
		    "keyUsage does not allow cRLSign; it cannot sign a CRL "
		    "(have the root sign one that does)", r->issuer_serial,
		    f->dir);
	if ((rc = kc_fcrl_ski_hex(f->inter, ski)) != KC_OK)
		return rc;
	if ((rc = precheck(f, &p, outdir, sizeof(outdir), &rcrl, r)) !=
	    KC_OK)
		goto out;
	if (rcrl != NULL && (rc = kc_fcrl_others_pem(f->dir, ski, p.now,
	    &others, &olen)) != KC_OK)
		goto out;
	if (p.n_revoke > 0 && (r->named = calloc(p.n_revoke,
	    sizeof(*r->named))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (p.n_revoke > 0 && (rc = kc_fcrl_resolve(f, &p, r->named)) != KC_OK)
		goto out;
	/* the same certificate named twice is one revocation */
	for (size_t i = 0; i < p.n_revoke; i++) {
		size_t k;

		for (k = 0; k < r->n_named && strcmp(r->named[k].serial,
		    r->named[i].serial) != 0; k++)
			;
		if (k == r->n_named)
			r->named[r->n_named++] = r->named[i];
	}
	if ((rc = scan_disk(f, p.out, outdir, &d)) != KC_OK)
		goto out;

	if ((rc = kc_ledger_begin(f->ledger)) != KC_OK)
		goto out;
	in_tx = 1;
	for (size_t i = 0; i < r->n_named; i++) {
		struct kc_fcrl_device *n = &r->named[i];

		n->revoked_at = p.now;
		if ((rc = kc_ledger_revoke(f->ledger, n->serial, p.reason,
		    p.now, &n->already)) != KC_OK)
			goto out;
	}
	s.inter = f->inter;
	if ((rc = kc_ledger_foreach_revoked(f->ledger, on_revoked, &s)) !=
	    KC_OK) {
		if (rc > 0)
			rc = kc_errcode() != KC_OK ? kc_errcode() : KC_ERR_DB;
		goto out;
	}
	for (size_t i = 0; i < r->n_named; i++)
		for (size_t k = 0; k < s.n; k++)
			if (strcmp(s.r[k].serial, r->named[i].serial) == 0) {
				r->named[i].reason = s.e[k].reason;
				r->named[i].revoked_at = s.e[k].revoked_at;
			}
	for (size_t k = 0; k < s.n; k++)
		s.e[k].serial = s.r[k].serial;
	if ((rc = check_rollback(f, &d, &s)) != KC_OK ||
	    (rc = kc_ledger_crl_last(f->ledger, ski, &last)) != KC_OK)
		goto out;
	if (d.max > last)
		kc_log(KC_LOG_WARN, "%s is CRL number %lld, above the ledger's "
		    "last (%lld): the new CRL takes the number after it",
		    d.max_path, d.max, last);
	req.number = (d.max > last ? d.max : last) + 1;
	req.issuer = f->inter;
	req.entries = s.e;
	req.n_entries = s.n;
	if ((rc = kc_crl_make(&req, f->key, &crl)) != KC_OK ||
	    (rc = kc_crl_pem(crl, &pem, &pemlen)) != KC_OK)
		goto out;
	if ((derlen = i2d_X509_CRL(crl, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the CRL");
		goto out;
	}
	kc_sha256_hex(der, (size_t)derlen, dsha);
	if ((rc = kc_ledger_crl_record(f->ledger, ski, req.number,
	    req.this_update, req.next_update, dsha)) != KC_OK) {
		if (rc == KC_ERR_EXISTS)
			rc = kc_err(KC_ERR_EXISTS, "%s; another station issued "
			    "this CRL number first: nothing was written, run "
			    "the command again", kc_errmsg());
		goto out;
	}
	r->number = req.number;
	r->this_update = req.this_update;
	r->next_update = req.next_update;
	r->n_entries = s.n;
	kc_sha256_hex(pem, pemlen, r->sha256);
	if (s.n > 0 && (rc = actions(&s, f, p.out, r, &r->actions_text)) !=
	    KC_OK)
		goto out;
	if ((rc = kc_ledger_commit(f->ledger)) != KC_OK)
		goto out;
	in_tx = 0;
	if ((rc = write_outputs(f, &p, outdir, pem, pemlen, rcrl, others, olen,
	    r)) != KC_OK)
		rc = kc_err(rc, "%s (the revocations and CRL number %lld are in "
		    "the ledger: run the command again to write a CRL)",
		    kc_errmsg(), r->number);
out:
	if (in_tx)
		kc_ledger_rollback(f->ledger);
	if (rc != KC_OK)
		kc_fcrl_result_free(r);
	disk_free(&d);
	entries_free(&s);
	free(pem);
	free(others);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	X509_CRL_free(rcrl);
	return rc;
}

/*
 * ledger_copy.c: one ledger copied into another (factorysign ledger
 * migrate: a station's SQLite ledger into the factory's PostgreSQL one),
 * and the digest that proves the copy: the SHA-256 over every row and its
 * file hashes (and its revocation), row by row, then every recorded CRL,
 * sorted, so that it does not depend on the order a backend returns them
 * in. See kc/factory/ledger.h.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"

/* A revocation, found by serial while the rows are hashed. */
struct rev {
	char	serial[41];
	long long when;
	int	reason;
};

struct dig {
	struct kc_ledger	*l;
	unsigned char		(*h)[32];
	size_t			 n, cap;
	struct rev		*rv;
	size_t			 nrv, caprv;
	const char		*station;	/* CRLs of this station only */
};

static int
cmp_rev(const void *a, const void *b)
{
	return strcmp(((const struct rev *)a)->serial,
	    ((const struct rev *)b)->serial);
}

static int
dig_rev(void *arg, const struct kc_ledger_row *r, time_t when, int reason)
{
	struct dig *d = arg;

	if (d->nrv == d->caprv) {
		size_t cap = d->caprv ? 2 * d->caprv : 64;
		void *p = realloc(d->rv, cap * sizeof(*d->rv));
		if (p == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		d->rv = p;
		d->caprv = cap;
	}
	snprintf(d->rv[d->nrv].serial, sizeof(d->rv[d->nrv].serial), "%s",
	    r->serial);
	d->rv[d->nrv].when = (long long)when;
	d->rv[d->nrv].reason = reason;
	d->nrv++;
	return KC_OK;
}

/* Room for one more hash. */
static int
dig_grow(struct dig *d)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		void *p = realloc(d->h, cap * sizeof(*d->h));
		if (p == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		d->h = p;
		d->cap = cap;
	}
	return KC_OK;
}

/* One row's hash: every field but the station and rowid, the DER by its
 * hash, then the recorded files in order. */
static int
dig_row(const struct kc_ledger_row *r, void *arg)
{
	struct dig *d = arg;
	struct kc_ledger_file f[16];
	char der[65], text[1024], rt[64];
	struct rev key, *rv = NULL;
	size_t nf;
	unsigned int len;
	EVP_MD_CTX *c;
	int rc, n;

	if ((rc = kc_ledger_files(d->l, r->serial, f, 16, &nf)) != KC_OK ||
	    (rc = dig_grow(d)) != KC_OK)
		return rc;
	snprintf(key.serial, sizeof(key.serial), "%s", r->serial);
	if (d->nrv > 0)
		rv = bsearch(&key, d->rv, d->nrv, sizeof(*d->rv), cmp_rev);
	kc_sha256_hex(r->cert_der, r->cert_der_len, der);
	n = snprintf(text, sizeof(text), "%s|%s|%s|%s|%lld|%lld|%s|%s|%s|%s",
	    r->serial, r->device_id, r->cert_sha256, r->csr_sha256,
	    (long long)r->issued_at, (long long)r->not_after, r->kind,
	    r->status, r->cert_path, der);
	if (n < 0 || (size_t)n >= sizeof(text))
		return kc_err(KC_ERR_DB, "ledger row %s: too long", r->serial);
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, text, (size_t)n) != 1) {
		EVP_MD_CTX_free(c);
		return kc_err(KC_ERR_CRYPTO, "SHA-256");
	}
	for (size_t i = 0; i < nf; i++)
		if (EVP_DigestUpdate(c, "|", 1) != 1 ||
		    EVP_DigestUpdate(c, f[i].suffix, strlen(f[i].suffix)) != 1 ||
		    EVP_DigestUpdate(c, f[i].sha256, strlen(f[i].sha256)) != 1)
			break;
	/* schema 3: a revoked row's hash covers its revocation */
	n = rv == NULL ? 0 : snprintf(rt, sizeof(rt), "|revoked|%lld|%d",
	    rv->when, rv->reason);
	if (n > 0)
		EVP_DigestUpdate(c, rt, (size_t)n);
	rc = EVP_DigestFinal_ex(c, d->h[d->n], &len) == 1 ? KC_OK :
	    kc_err(KC_ERR_CRYPTO, "SHA-256");
	EVP_MD_CTX_free(c);
	d->n++;
	return rc;
}

static int
cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* A recorded CRL: one more hash in the list (of station's, when set; a
 * SQLite ledger's are the station's own). */
static int
dig_crl(void *arg, const struct kc_ledger_crl *c)
{
	struct dig *d = arg;
	char text[300];
	int rc, n;

	if (d->station != NULL && c->station[0] != '\0' &&
	    strcmp(c->station, d->station) != 0)
		return KC_OK;
	if ((rc = dig_grow(d)) != KC_OK)
		return rc;
	n = snprintf(text, sizeof(text), "crl|%s|%lld|%lld|%lld|%s", c->issuer,
	    c->number, (long long)c->this_update, (long long)c->next_update,
	    c->sha256);
	if (n < 0 || (size_t)n >= sizeof(text))
		return kc_err(KC_ERR_DB, "ledger CRL %lld: too long", c->number);
	if (EVP_Digest(text, (size_t)n, d->h[d->n], NULL, EVP_sha256(), NULL)
	    != 1)
		return kc_err(KC_ERR_CRYPTO, "SHA-256");
	d->n++;
	return KC_OK;
}

static int
digest(struct kc_ledger *l, const char *station, long *count,
    char sha256[65])
{
	struct dig d = { l, NULL, 0, 0, NULL, 0, 0, station };
	size_t rows = 0;
	int rc;

	*count = 0;
	sha256[0] = '\0';
	if ((rc = kc_ledger_foreach_revoked(l, dig_rev, &d)) == KC_OK &&
	    d.nrv > 0)
		qsort(d.rv, d.nrv, sizeof(*d.rv), cmp_rev);
	if (rc == KC_OK)
		rc = kc_ledger_foreach_station(l, NULL, station, dig_row, &d);
	rows = d.n;
	/* a SQLite ledger's CRLs are its one station's */
	if (rc == KC_OK && (station == NULL ||
	    strcmp(kc_ledger_backend(l), "sqlite") != 0 ||
	    strcmp(station, kc_ledger_station(l)) == 0))
		rc = kc_ledger_foreach_crl(l, dig_crl, &d);
	if (rc == KC_OK) {
		if (d.n > 0)
			qsort(d.h, d.n, sizeof(*d.h), cmp32);
		kc_sha256_hex(d.n > 0 ? (const void *)d.h : "", d.n * 32,
		    sha256);
		*count = (long)rows;
	}
	free(d.h);
	free(d.rv);
	return rc;
}

int
kc_ledger_digest(struct kc_ledger *l, long *count, char sha256[65])
{
	return digest(l, NULL, count, sha256);
}

struct cp {
	struct kc_ledger	*from, *to;
	long			 n;
};

static int
copy_row(const struct kc_ledger_row *r, void *arg)
{
	struct cp *c = arg;
	struct kc_ledger_row row = *r;
	struct kc_ledger_file f[16];
	size_t nf;
	int rc;

	if ((rc = kc_ledger_files(c->from, r->serial, f, 16, &nf)) != KC_OK)
		return rc;
	/* the station of the source row, or the target's own */
	if (row.station[0] == '\0')
		snprintf(row.station, sizeof(row.station), "%s",
		    kc_ledger_station(c->to));
	if ((rc = kc_ledger_record(c->to, &row)) != KC_OK)
		return rc;
	for (size_t i = 0; i < nf; i++)
		if ((rc = kc_ledger_file_record(c->to, r->serial, f[i].suffix,
		    f[i].sha256)) != KC_OK)
			return rc;
	c->n++;
	return KC_OK;
}

static int
copy_rev(void *arg, const struct kc_ledger_row *r, time_t when, int reason)
{
	struct cp *c = arg;
	int already;

	return c->to->ops->revoke(c->to, r->serial, reason, when, NULL,
	    &already);
}

static int
copy_crl(void *arg, const struct kc_ledger_crl *crl)
{
	struct cp *c = arg;

	return c->to->ops->crl_record(c->to, crl);
}

int
kc_ledger_copy(struct kc_ledger *from, struct kc_ledger *to, long *count,
    char sha256[65])
{
	struct cp c = { from, to, 0 };
	char dto[65];
	long nfrom, nto;
	int rc;

	*count = 0;
	sha256[0] = '\0';
	if ((rc = digest(from, NULL, &nfrom, sha256)) != KC_OK ||
	    (rc = kc_ledger_begin(to)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_foreach(from, NULL, copy_row, &c)) != KC_OK ||
	    (rc = kc_ledger_foreach_revoked(from, copy_rev, &c)) != KC_OK ||
	    (rc = kc_ledger_foreach_crl(from, copy_crl, &c)) != KC_OK)
		goto fail;
	/* read back inside the open transaction: the rows of this station */
	if ((rc = digest(to, kc_ledger_station(to), &nto, dto)) != KC_OK)
		goto fail;
	if (nto != nfrom || c.n != nfrom || strcmp(dto, sha256) != 0) {
		rc = kc_err(KC_ERR_DB, "ledger copy: the target holds %ld rows "
		    "of station %s (digest %.16s...), the source %ld (%.16s...);"
		    " nothing copied (the target held rows of this station "
		    "already?)", nto, kc_ledger_station(to), dto, nfrom,
		    sha256);
		goto fail;
	}
	if ((rc = kc_ledger_commit(to)) != KC_OK)
		return rc;
	*count = nfrom;
	return KC_OK;
fail:
	kc_ledger_rollback(to);
	return rc;
}

int
kc_ledger_migrate(const char *dir, const char *uri, const char *station,
    long *count, char sha256[65])
{
	struct kc_ledger *from = NULL, *to = NULL;
	char path[PATH_MAX], st[KC_STATION_MAX];
	int rc;

	*count = 0;
	sha256[0] = '\0';
	if ((rc = kc_ledger_uri_check(uri)) != KC_OK ||
	    (station != NULL && (rc = kc_ledger_station_check(station))))
		return rc;
	kc_ledger_station_pick(station, st, sizeof(st));
	station = st;
	if ((size_t)snprintf(path, sizeof(path), "%s/ledger.conf", dir) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if (access(path, F_OK) == 0)
		return kc_err(KC_ERR_EXISTS, "%s exists: this factory directory "
		    "already uses a PostgreSQL ledger; nothing migrated", path);
	snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
	if (access(path, F_OK) != 0)
		return kc_err(KC_ERR_NOTFOUND, "%s: no SQLite ledger to migrate",
		    path);
	if ((rc = kc_ledger_sqlite_open(path, 0, station, &from)) != KC_OK ||
	    (rc = kc_ledger_pg_open(uri, station, &to)) != KC_OK ||
	    (rc = kc_ledger_copy(from, to, count, sha256)) != KC_OK)
		goto out;
	/* copied and checked: the directory switches to the server */
	rc = kc_ledger_config_write(dir, uri, station);
out:
	kc_ledger_close(to);
	kc_ledger_close(from);
	return rc;
}

/*
 * ledger.c: factorysign's issuance ledger (kc/factory/ledger.h): which
 * backend a ledger opens with (SQLite by default, PostgreSQL when
 * --ledger or D/ledger.conf names a server), the station it records as,
 * the calls forwarded to the backend (ledger_int.h), and the copy between
 * two ledgers that `ledger migrate` makes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"

#define CONF_NAME	"ledger.conf"
#define CONF_MAX	4096

/* kc_ledger_use(): the process-wide choice (one program run) */
static char *use_uri;
static char use_station[KC_STATION_MAX];

int
kc_ledger_station_check(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= KC_STATION_MAX)
		return kc_err(KC_ERR_USAGE, "station name: 1 to %d characters",
		    KC_STATION_MAX - 1);
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != n)
		return kc_err(KC_ERR_USAGE, "station name '%s': only letters, "
		    "digits, '.', '_' and '-'", s);
	return KC_OK;
}

int
kc_ledger_uri_check(const char *uri)
{
	PQconninfoOption *o;
	char *msg = NULL;
	int rc = KC_OK;

	if (strncmp(uri, "postgresql://", 13) != 0 &&
	    strncmp(uri, "postgres://", 11) != 0)
		return kc_err(KC_ERR_USAGE, "--ledger: not a PostgreSQL "
		    "connection URI (postgresql://[user@]host/dbname?...)");
	/* the error text of libpq may quote the URI: not shown */
	if ((o = PQconninfoParse(uri, &msg)) == NULL) {
		PQfreemem(msg);
		return kc_err(KC_ERR_USAGE, "--ledger: the connection URI does "
		    "not parse (not shown, it may hold a secret)");
	}
	for (PQconninfoOption *p = o; p->keyword != NULL; p++)
		if (strcmp(p->keyword, "password") == 0 && p->val != NULL)
			rc = kc_err(KC_ERR_USAGE, "--ledger: the connection URI "
			    "holds a password; refusing it (not shown): give "
			    "it through a PGPASSFILE or ~/.pgpass file (mode "
			    "0600) or use a client certificate "
			    "(sslmode=verify-full)");
	/* the parsed values may hold the password: wiped */
	for (PQconninfoOption *p = o; p->keyword != NULL; p++)
		if (p->val != NULL)
			OPENSSL_cleanse(p->val, strlen(p->val));
	PQconninfoFree(o);
	return rc;
}

int
kc_ledger_use(const char *uri, const char *station)
{
	int rc;

	if (uri != NULL && (rc = kc_ledger_uri_check(uri)) != KC_OK)
		return rc;
	if (station != NULL && (rc = kc_ledger_station_check(station)))
		return rc;
	if (uri != NULL) {
		free(use_uri);
		if ((use_uri = strdup(uri)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if (station != NULL)
		snprintf(use_station, sizeof(use_station), "%s", station);
	return KC_OK;
}

const char *
kc_ledger_chosen_uri(void)
{
	return use_uri;
}

const char *
kc_ledger_chosen_station(void)
{
	return use_station[0] != '\0' ? use_station : NULL;
}

/* The directory of a ledger path (".../ledger.sqlite"). */
static int
dir_of(const char *path, char *dir, size_t dirsz)
{
	const char *s = strrchr(path, '/');

	if (s == NULL)
		return snprintf(dir, dirsz, ".") >= (int)dirsz ? -1 : 0;
	if ((size_t)(s - path) >= dirsz)
		return -1;
	memcpy(dir, path, (size_t)(s - path));
	dir[s - path] = '\0';
	if (dir[0] == '\0')
		snprintf(dir, dirsz, "/");
	return 0;
}

/* One "key = value" of the configuration text, into val (malloc'd) or
 * NULL when absent. */
static int
conf_get(const char *conf, const char *text, const char *key, char **val)
{
	size_t kl = strlen(key);
	const char *p = text;

	*val = NULL;
	while (*p != '\0') {
		const char *e = strchr(p, '\n'), *v;
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n > kl && strncmp(p, key, kl) == 0 &&
		    (p[kl] == ' ' || p[kl] == '=')) {
			v = p + kl;
			while (v < p + n && (*v == ' ' || *v == '='))
				v++;
			if ((*val = strndup(v, (size_t)(p + n - v))) == NULL)
				return kc_err(KC_ERR_NOMEM, "out of memory");
			while (**val != '\0' && strchr(" \t\r",
			    (*val)[strlen(*val) - 1]) != NULL)
				(*val)[strlen(*val) - 1] = '\0';
			return KC_OK;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	(void)conf;
	return KC_OK;
}

/* D/ledger.conf: *uri and *station (malloc'd, NULL when not set); no file
 * is no setting. */
static int
conf_read(const char *dir, char **uri, char **station)
{
	char path[PATH_MAX];
	unsigned char *text = NULL;
	size_t len;
	int rc;

	*uri = *station = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CONF_NAME) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if (access(path, F_OK) != 0)
		return KC_OK;
	if ((rc = kc_file_read(path, CONF_MAX, &text, &len)) != KC_OK)
		return rc;
	if ((rc = conf_get(path, (char *)text, "ledger", uri)) == KC_OK)
		rc = conf_get(path, (char *)text, "station", station);
	free(text);
	if ((rc == KC_OK && *uri != NULL &&
	    (rc = kc_ledger_uri_check(*uri)) != KC_OK) ||
	    (rc == KC_OK && *station != NULL &&
	    (rc = kc_ledger_station_check(*station)) != KC_OK)) {
		char m[512];
		snprintf(m, sizeof(m), "%s", kc_errmsg());
		rc = kc_err(KC_ERR_INPUT, "%s: %s", path, m);
	}
	if (rc != KC_OK) {
		free(*uri);
		free(*station);
		*uri = *station = NULL;
	}
	return rc;
}

int
kc_ledger_config_write(const char *dir, const char *uri, const char *station)
{
	char path[PATH_MAX], text[CONF_MAX];
	int rc, n;

	if ((rc = kc_ledger_uri_check(uri)) != KC_OK ||
	    (station != NULL && (rc = kc_ledger_station_check(station))))
		return rc;
	n = snprintf(text, sizeof(text), "# factorysign ledger: every "
	    "command of this factory directory uses it\nledger = %s\n%s%s%s",
	    uri, station != NULL ? "station = " : "",
	    station != NULL ? station : "", station != NULL ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, CONF_NAME) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: ledger URI or path too long",
		    dir);
	return kc_file_write(path, text, (size_t)n, 0600, 0);
}

/* Which backend and station a ledger at path opens with. */
static int
resolve(const char *path, char **uri, char *station, size_t stsz)
{
	char dir[PATH_MAX], *cu = NULL, *cs = NULL;
	int rc;

	*uri = NULL;
	if (dir_of(path, dir, sizeof(dir)) != 0)
		return kc_err(KC_ERR_USAGE, "%s: path too long", path);
	if ((rc = conf_read(dir, &cu, &cs)) != KC_OK)
		return rc;
	if (use_uri != NULL) {
		free(cu);
		cu = strdup(use_uri);
		if (cu == NULL)
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
	}
	/* --station, else the file's, else the host name (one that is no
	 * station name: "station") */
	kc_ledger_station_pick(use_station[0] == '\0' ? cs : NULL, station,
	    stsz);
	free(cs);
	*uri = cu;
	return rc;
}

void
kc_ledger_station_pick(const char *station, char *out, size_t outsz)
{
	if (station != NULL)
		snprintf(out, outsz, "%s", station);
	else if (use_station[0] != '\0')
		snprintf(out, outsz, "%s", use_station);
	else if (gethostname(out, outsz) != 0 || out[0] == '\0' ||
	    kc_ledger_station_check(out) != KC_OK) {
		kc_err_clear();
		snprintf(out, outsz, "station");
	}
	out[outsz - 1] = '\0';
}

int
kc_ledger_exists(const char *path)
{
	char *uri = NULL, st[KC_STATION_MAX];
	int r;

	if (resolve(path, &uri, st, sizeof(st)) != KC_OK)
		return access(path, F_OK) == 0;
	r = uri != NULL || access(path, F_OK) == 0;
	free(uri);
	return r;
}

int
kc_ledger_open(const char *path, int create, struct kc_ledger **out)
{
	char *uri = NULL, station[KC_STATION_MAX];
	int rc;

	*out = NULL;
	if ((rc = resolve(path, &uri, station, sizeof(station))) != KC_OK)
		return rc;
	if (uri != NULL)
		rc = kc_ledger_pg_open(uri, station, out);
	else
		rc = kc_ledger_sqlite_open(path, create, station, out);
	if (uri != NULL)
		OPENSSL_cleanse(uri, strlen(uri));
	free(uri);
	return rc;
}

void
kc_ledger_close(struct kc_ledger *l)
{
	if (l != NULL)
		l->ops->close(l);
}

int kc_ledger_begin(struct kc_ledger *l)
{ return l->ops->begin(l); }
int kc_ledger_commit(struct kc_ledger *l)
{ return l->ops->commit(l); }
int kc_ledger_rollback(struct kc_ledger *l)
{ return l->ops->rollback(l); }
int kc_ledger_in_transaction(const struct kc_ledger *l)
{ return l->in_tx; }
int kc_ledger_commit_unknown(const struct kc_ledger *l)
{ return l->commit_unknown; }
int kc_ledger_prefetches(const struct kc_ledger *l)
{ return l->ops->prefetch != NULL; }

int
kc_ledger_batch(struct kc_ledger *l, int on,
    void (*dropped)(void *, const struct kc_ledger_row *, const char *),
    void *arg)
{
	int rc;

	/* the callback is there while held rows can be sent: set before a
	 * batch starts, cleared after it ended */
	if (on) {
		l->dropped = dropped;
		l->dropped_arg = arg;
	}
	rc = l->ops->batch != NULL ? l->ops->batch(l, on) : KC_OK;
	if (!on) {
		l->dropped = NULL;
		l->dropped_arg = NULL;
	}
	return rc;
}

int
kc_ledger_prefetch(struct kc_ledger *l, const char *const *ids, size_t n)
{
	return l->ops->prefetch != NULL ? l->ops->prefetch(l, ids, n) : KC_OK;
}
int kc_ledger_serial_exists(struct kc_ledger *l, const char *serial)
{ return l->ops->serial_exists(l, serial); }
int kc_ledger_find_id(struct kc_ledger *l, const char *id,
    struct kc_ledger_row *row)
{ return l->ops->find_id(l, id, row); }
int kc_ledger_record(struct kc_ledger *l, const struct kc_ledger_row *row)
{ return l->ops->record(l, row); }
int kc_ledger_supersede(struct kc_ledger *l, const char *serial)
{ return l->ops->supersede(l, serial); }
int kc_ledger_file_record(struct kc_ledger *l, const char *serial,
    const char *suffix, const char *sha256)
{ return l->ops->file_record(l, serial, suffix, sha256); }
int kc_ledger_files(struct kc_ledger *l, const char *serial,
    struct kc_ledger_file *files, size_t max, size_t *n)
{ return l->ops->files(l, serial, files, max, n); }
int kc_ledger_count(struct kc_ledger *l, long *n)
{ return l->ops->count(l, n); }
int kc_ledger_last_rowid(struct kc_ledger *l, long long *rowid)
{ return l->ops->last_rowid(l, rowid); }
const char *kc_ledger_station(const struct kc_ledger *l)
{ return l->station; }
const char *kc_ledger_backend(const struct kc_ledger *l)
{ return l->ops->name; }

int
kc_ledger_foreach(struct kc_ledger *l, const char *kind,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg)
{
	return l->ops->foreach(l, kind, NULL, fn, arg);
}

int
kc_ledger_foreach_station(struct kc_ledger *l, const char *kind,
    const char *station,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg)
{
	return l->ops->foreach(l, kind, station, fn, arg);
}

int
kc_ledger_status_check(const char *status)
{
	if (strcmp(status, "issued") == 0 || strcmp(status, "pending") == 0 ||
	    strcmp(status, "superseded") == 0)
		return KC_OK;
	return kc_err(KC_ERR_USAGE, "ledger status '%s': not issued, pending "
	    "or superseded", status);
}

int
kc_ledger_set_status(struct kc_ledger *l, const char *serial,
    const char *status)
{
	int rc;

	if ((rc = kc_ledger_status_check(status)) != KC_OK)
		return rc;
	return l->ops->set_status(l, serial, status);
}

int
kc_ledger_revoke(struct kc_ledger *l, const char *serial, int reason,
    time_t when, int *already)
{
	int dummy;

	if (reason < -1 || reason > 10 || reason == 7)
		return kc_err(KC_ERR_USAGE, "revocation of %s: reason code %d "
		    "is no RFC 5280 CRLReason", serial, reason);
	return l->ops->revoke(l, serial, reason, when, NULL,
	    already != NULL ? already : &dummy);
}

int
kc_ledger_foreach_revoked(struct kc_ledger *l,
    int (*fn)(void *arg, const struct kc_ledger_row *row, time_t when,
    int reason), void *arg)
{
	return l->ops->foreach_revoked(l, fn, arg);
}

/* 1 for 1..max lower-case hex digits. */
static int
is_hex(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "0123456789abcdef") == n;
}

int
kc_ledger_crl_last(struct kc_ledger *l, const char *issuer_ski_hex,
    long long *number)
{
	*number = 0;
	if (!is_hex(issuer_ski_hex, 64))
		return kc_err(KC_ERR_USAGE, "CRL issuer '%s': not a key "
		    "identifier in lower-case hex", issuer_ski_hex);
	return l->ops->crl_last(l, issuer_ski_hex, number);
}

int
kc_ledger_crl_record(struct kc_ledger *l, const char *issuer_ski_hex,
    long long number, time_t this_update, time_t next_update,
    const char sha256_hex[65])
{
	struct kc_ledger_crl c;

	if (!is_hex(issuer_ski_hex, 64))
		return kc_err(KC_ERR_USAGE, "CRL issuer '%s': not a key "
		    "identifier in lower-case hex", issuer_ski_hex);
	if (strlen(sha256_hex) != 64 || !is_hex(sha256_hex, 64))
		return kc_err(KC_ERR_USAGE, "CRL %lld of %s: the SHA-256 is not "
		    "64 lower-case hex digits", number, issuer_ski_hex);
	if (number < 1)
		return kc_err(KC_ERR_USAGE, "CRL of %s: number %lld (CRL "
		    "numbers start at 1)", issuer_ski_hex, number);
	memset(&c, 0, sizeof(c));
	snprintf(c.issuer, sizeof(c.issuer), "%s", issuer_ski_hex);
	c.number = number;
	c.this_update = this_update;
	c.next_update = next_update;
	memcpy(c.sha256, sha256_hex, 65);
	return l->ops->crl_record(l, &c);
}

int
kc_ledger_foreach_crl(struct kc_ledger *l,
    int (*fn)(void *arg, const struct kc_ledger_crl *crl), void *arg)
{
	return l->ops->foreach_crl(l, fn, arg);
}

int
kc_ledger_counts(struct kc_ledger *l, struct kc_ledger_counts *c)
{
	memset(c, 0, sizeof(*c));
	return l->ops->counts(l, c);
}

/* ledger_sqlite.c: the ledger's embedded backend, one SQLite file per
 * factory directory (see kc/factory/ledger.h, ledger_int.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"

struct lsq {
	struct kc_ledger base;
	sqlite3		*db;
	const char	*path;
	sqlite3_stmt	*st_serial, *st_find, *st_insert, *st_supersede;
	sqlite3_stmt	*st_file_put, *st_files;
};

/* Version 2's tables (version 1 had no files table: its ledgers get the
 * empty one, their rows have no recorded hashes). */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS certs ("
    " serial TEXT PRIMARY KEY NOT NULL,"
    " device_id TEXT NOT NULL,"
    " cert_sha256 TEXT NOT NULL,"
    " csr_sha256 TEXT NOT NULL DEFAULT '',"
    " issued_at INTEGER NOT NULL,"
    " not_after INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " cert_path TEXT NOT NULL,"
    " cert_der BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS certs_id ON certs (device_id COLLATE NOCASE);"
    "CREATE TABLE IF NOT EXISTS files ("
    " serial TEXT NOT NULL REFERENCES certs (serial),"
    " suffix TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " PRIMARY KEY (serial, suffix));"
    /* version 3: a "pending" row holds its device ID as an "issued" one
     * does; revocations; the CRLs issued */
    "DROP INDEX IF EXISTS certs_live_id;"
    "CREATE UNIQUE INDEX certs_live_id ON certs"
    " (device_id COLLATE NOCASE) WHERE status IN ('issued', 'pending') AND"
    " kind = 'device';"
    "CREATE TABLE IF NOT EXISTS revoked ("
    " serial TEXT PRIMARY KEY NOT NULL REFERENCES certs (serial),"
    " revoked_at INTEGER NOT NULL,"
    " reason INTEGER NOT NULL DEFAULT -1,"
    " station TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS crls ("
    " issuer TEXT NOT NULL,"
    " number INTEGER NOT NULL,"
    " this_update INTEGER NOT NULL,"
    " next_update INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " station TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (issuer, number));"
    "PRAGMA user_version = 3;";

static int exec(struct lsq *l, const char *sql);
static int prep(struct lsq *l, const char *sql, sqlite3_stmt **st);

static int
get_version(struct lsq *l, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*v = 0;
	if ((rc = prep(l, "PRAGMA user_version", &st)) != KC_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return KC_OK;
}

static int
too_new(struct lsq *l, int v)
{
	return kc_err(KC_ERR_DB, "ledger %s: schema version %d is newer than "
	    "this factorysign knows (%d); refusing it: upgrade factorysign "
	    "on this station", l->path, v, KC_LEDGER_SCHEMA);
}

/* The schema: a new ledger gets it, an older one (versions 0 to 2) is
 * upgraded in one transaction, a newer one refused. */
static int
migrate(struct lsq *l)
{
	int v, rc;

	if ((rc = get_version(l, &v)) != KC_OK)
		return rc;
	if (v == KC_LEDGER_SCHEMA)
		return KC_OK;
	if (v > KC_LEDGER_SCHEMA)
		return too_new(l, v);
	if ((rc = exec(l, "BEGIN IMMEDIATE")) != KC_OK)
		return rc;
	/* another process may have upgraded it meanwhile */
	if ((rc = get_version(l, &v)) == KC_OK && v > KC_LEDGER_SCHEMA)
		rc = too_new(l, v);
	if (rc == KC_OK && v < KC_LEDGER_SCHEMA)
		rc = exec(l, schema);
	if (rc == KC_OK)
		return exec(l, "COMMIT");
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
db_err(struct lsq *l, const char *what)
{
	return kc_err(KC_ERR_DB, "ledger %s: %s: %s", l->path, what,
	    sqlite3_errmsg(l->db));
}

static int
exec(struct lsq *l, const char *sql)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return KC_OK;
	rc = kc_err(KC_ERR_DB, "ledger %s: %s", l->path,
	    msg != NULL ? msg : "error");
	sqlite3_free(msg);
	return rc;
}

static int
prep(struct lsq *l, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(l, "prepare");
	return KC_OK;
}

static const struct kc_ledger_ops sqlite_ops;
static void sq_close(struct kc_ledger *b);

int
kc_ledger_sqlite_open(const char *path, int create, const char *station,
    struct kc_ledger **out)
{
	struct lsq *l;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->base.where = strdup(path)) == NULL) {
		free(l);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	l->base.ops = &sqlite_ops;
	l->path = l->base.where;
	snprintf(l->base.station, sizeof(l->base.station), "%s", station);
	if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
		rc = kc_err(create ? KC_ERR_DB : KC_ERR_NOTFOUND,
		    "cannot open the ledger %s: %s", path,
		    l->db ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 10000);
	if ((rc = exec(l, "PRAGMA journal_mode=WAL;")) != KC_OK ||
	    (rc = exec(l, "PRAGMA synchronous=FULL;")) != KC_OK ||
	    (rc = exec(l, "PRAGMA foreign_keys=ON;")) != KC_OK ||
	    (rc = migrate(l)) != KC_OK)
		goto fail;
	if ((rc = prep(l, "SELECT 1 FROM certs WHERE serial = ?1",
	    &l->st_serial)) != KC_OK ||
	    (rc = prep(l, "SELECT serial, device_id, cert_sha256, csr_sha256,"
	    " issued_at, not_after, kind, status, cert_path, cert_der, rowid"
	    " FROM certs WHERE device_id = ?1 COLLATE NOCASE AND"
	    " status IN ('issued', 'pending') AND kind = 'device'",
	    &l->st_find)) != KC_OK ||
	    (rc = prep(l, "INSERT INTO certs (serial, device_id, cert_sha256,"
	    " csr_sha256, issued_at, not_after, kind, status, cert_path,"
	    " cert_der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	    &l->st_insert)) != KC_OK ||
	    (rc = prep(l, "UPDATE certs SET status = 'superseded' WHERE"
	    " serial = ?1", &l->st_supersede)) != KC_OK ||
	    (rc = prep(l, "INSERT OR REPLACE INTO files (serial, suffix, sha256)"
	    " VALUES (?1, ?2, ?3)", &l->st_file_put)) != KC_OK ||
	    (rc = prep(l, "SELECT suffix, sha256 FROM files WHERE serial = ?1"
	    " ORDER BY rowid", &l->st_files)) != KC_OK)
		goto fail;
	*out = &l->base;
	return KC_OK;
fail:
	sq_close(&l->base);
	return rc;
}

static void
sq_close(struct kc_ledger *b)
{
	struct lsq *l = (struct lsq *)b;

	if (l == NULL)
		return;
	if (l->base.in_tx)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(l->st_serial);
	sqlite3_finalize(l->st_find);
	sqlite3_finalize(l->st_insert);
	sqlite3_finalize(l->st_supersede);
	sqlite3_finalize(l->st_file_put);
	sqlite3_finalize(l->st_files);
	sqlite3_close(l->db);
	free(l->base.where);
	free(l);
}

static int
sq_begin(struct kc_ledger *b)
{
	struct lsq *l = (struct lsq *)b;
	int rc;

	if (l->base.in_tx)
		return KC_OK;
	if ((rc = exec(l, "BEGIN IMMEDIATE")) == KC_OK)
		l->base.in_tx = 1;
	return rc;
}

static int
sq_commit(struct kc_ledger *b)
{
	struct lsq *l = (struct lsq *)b;
	int rc;

	if (!l->base.in_tx)
		return KC_OK;
	/* a failed COMMIT may have reached the file: unknown */
	l->base.commit_unknown = 0;
	if ((rc = exec(l, "COMMIT")) == KC_OK)
		l->base.in_tx = 0;
	else
		l->base.commit_unknown = 1;
	return rc;
}

static int
sq_rollback(struct kc_ledger *b)
{
	struct lsq *l = (struct lsq *)b;
	if (!l->base.in_tx)
		return KC_OK;
	l->base.in_tx = 0;
	return exec(l, "ROLLBACK");
}

static int
sq_serial_exists(struct kc_ledger *b, const char *serial)
{
	struct lsq *l = (struct lsq *)b;
	int s;

	sqlite3_bind_text(l->st_serial, 1, serial, -1, SQLITE_STATIC);
	s = sqlite3_step(l->st_serial);
	sqlite3_reset(l->st_serial);
	sqlite3_clear_bindings(l->st_serial);
	if (s == SQLITE_ROW)
		return 1;
	if (s == SQLITE_DONE)
		return 0;
	return db_err(l, "serial lookup");
}

static void
copy_col(char *dst, size_t dstsz, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, dstsz, "%s", t != NULL ? (const char *)t : "");
}

static int
row_from(sqlite3_stmt *st, struct kc_ledger_row *r, int own)
{
	const unsigned char *p;
	const void *b;
	int n;

	memset(r, 0, sizeof(*r));
	copy_col(r->serial, sizeof(r->serial), st, 0);
	copy_col(r->device_id, sizeof(r->device_id), st, 1);
	copy_col(r->cert_sha256, sizeof(r->cert_sha256), st, 2);
	copy_col(r->csr_sha256, sizeof(r->csr_sha256), st, 3);
	r->issued_at = (time_t)sqlite3_column_int64(st, 4);
	r->not_after = (time_t)sqlite3_column_int64(st, 5);
	copy_col(r->kind, sizeof(r->kind), st, 6);
	copy_col(r->status, sizeof(r->status), st, 7);
	r->rowid = sqlite3_column_int64(st, 10);
	p = sqlite3_column_text(st, 8);
	b = sqlite3_column_blob(st, 9);
	n = sqlite3_column_bytes(st, 9);
	if (!own) {
		r->cert_path = (char *)(uintptr_t)p;
		r->cert_der = (unsigned char *)(uintptr_t)b;
		r->cert_der_len = (size_t)n;
		return KC_OK;
	}
	r->cert_path = strdup(p != NULL ? (const char *)p : "");
	r->cert_der = malloc(n > 0 ? (size_t)n : 1);
	if (r->cert_path == NULL || r->cert_der == NULL) {
		kc_ledger_row_clear(r);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if (n > 0)
		memcpy(r->cert_der, b, (size_t)n);
	r->cert_der_len = (size_t)n;
	return KC_OK;
}

static int
sq_find_id(struct kc_ledger *b, const char *id,
    struct kc_ledger_row *row)
{
	struct lsq *l = (struct lsq *)b;
	int s, rc;

	sqlite3_bind_text(l->st_find, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(l->st_find);
	if (s == SQLITE_ROW)
		rc = row_from(l->st_find, row, 1) == KC_OK ? 1 : KC_ERR_NOMEM;
	else if (s == SQLITE_DONE)
		rc = 0;
	else
		rc = db_err(l, "device lookup");
	sqlite3_reset(l->st_find);
	sqlite3_clear_bindings(l->st_find);
	return rc;
}

static int
sq_record(struct kc_ledger *b, const struct kc_ledger_row *r)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = l->st_insert;
	int s, rc = KC_OK;

	sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->cert_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->csr_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->issued_at);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->not_after);
	sqlite3_bind_text(st, 7, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->cert_path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, r->cert_der, (int)r->cert_der_len,
	    SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_CONSTRAINT ||
	    sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_UNIQUE ||
	    sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = kc_err(KC_ERR_EXISTS, "ledger %s: serial %s or device ID "
		    "'%s' is already recorded", l->path, r->serial,
		    r->device_id);
	else if (s != SQLITE_DONE)
		rc = db_err(l, "insert");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
sq_supersede(struct kc_ledger *b, const char *serial)
{
	struct lsq *l = (struct lsq *)b;
	int s;

	sqlite3_bind_text(l->st_supersede, 1, serial, -1, SQLITE_STATIC);
	s = sqlite3_step(l->st_supersede);
	sqlite3_reset(l->st_supersede);
	sqlite3_clear_bindings(l->st_supersede);
	if (s != SQLITE_DONE)
		return db_err(l, "update");
	return KC_OK;
}

static int
sq_file_record(struct kc_ledger *b, const char *serial,
    const char *suffix, const char *sha256)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = l->st_file_put;
	int s;

	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, suffix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (s != SQLITE_DONE)
		return db_err(l, "file hash insert");
	return KC_OK;
}

static int
sq_files(struct kc_ledger *b, const char *serial,
    struct kc_ledger_file *files, size_t max, size_t *n)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = l->st_files;
	int s, rc = KC_OK;

	*n = 0;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == max) {
			rc = kc_err(KC_ERR_DB, "ledger %s: serial %s: more than "
			    "%zu recorded files", l->path, serial, max);
			break;
		}
		copy_col(files[*n].suffix, sizeof(files[*n].suffix), st, 0);
		copy_col(files[*n].sha256, sizeof(files[*n].sha256), st, 1);
		(*n)++;
	}
	if (rc == KC_OK && s != SQLITE_DONE)
		rc = db_err(l, "file hash lookup");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
sq_foreach(struct kc_ledger *b, const char *kind, const char *station,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	struct kc_ledger_row r;
	int s, rc;

	if ((rc = prep(l, "SELECT serial, device_id, cert_sha256, csr_sha256,"
	    " issued_at, not_after, kind, status, cert_path, cert_der, rowid"
	    " FROM certs WHERE ?1 IS NULL OR kind = ?1 ORDER BY rowid",
	    &st)) != KC_OK)
		return rc;
	/* one SQLite ledger is one station's: another station has none */
	if (station != NULL && strcmp(station, l->base.station) != 0) {
		sqlite3_finalize(st);
		return KC_OK;
	}
	if (kind != NULL)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_from(st, &r, 0);
		if ((rc = fn(&r, arg)) != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_err(l, "read");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_count(struct kc_ledger *b, long *n)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if ((rc = prep(l, "SELECT count(*) FROM certs", &st)) != KC_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	else
		rc = db_err(l, "count");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_last_rowid(struct kc_ledger *b, long long *rowid)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int rc;

	*rowid = 0;
	if ((rc = prep(l, "SELECT coalesce(max(rowid), 0) FROM certs", &st))
	    != KC_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*rowid = sqlite3_column_int64(st, 0);
	else
		rc = db_err(l, "last row");
	sqlite3_finalize(st);
	return rc;
}

/* --- schema 3: status, revocations, CRLs ------------------------------- */

static int
sq_set_status(struct kc_ledger *b, const char *serial, const char *status)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int s, rc;

	if ((rc = prep(l, "UPDATE certs SET status = ?2 WHERE serial = ?1",
	    &st)) != KC_OK)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_DONE && sqlite3_changes(l->db) == 0)
		rc = kc_err(KC_ERR_NOTFOUND, "ledger %s: no certificate with "
		    "serial %s", l->path, serial);
	else if (s == SQLITE_CONSTRAINT ||
	    sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_UNIQUE)
		rc = kc_err(KC_ERR_EXISTS, "ledger %s: serial %s cannot become "
		    "%s: its device ID has another live certificate", l->path,
		    serial, status);
	else if (s != SQLITE_DONE)
		rc = db_err(l, "status update");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_revoke(struct kc_ledger *b, const char *serial, int reason, time_t when,
    const char *station, int *already)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int s, rc;

	*already = 0;
	if ((rc = sq_serial_exists(b, serial)) < 0)
		return rc;
	if (rc == 0)
		return kc_err(KC_ERR_NOTFOUND, "ledger %s: no certificate with "
		    "serial %s to revoke", l->path, serial);
	/* the first revocation stays */
	if ((rc = prep(l, "INSERT OR IGNORE INTO revoked (serial, revoked_at,"
	    " reason, station) VALUES (?1, ?2, ?3, ?4)", &st)) != KC_OK)
		return rc;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)when);
	sqlite3_bind_int(st, 3, reason);
	sqlite3_bind_text(st, 4, station != NULL ? station : l->base.station,
	    -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s != SQLITE_DONE)
		rc = db_err(l, "revocation insert");
	else
		*already = sqlite3_changes(l->db) == 0;
	sqlite3_finalize(st);
	return rc < 0 ? rc : KC_OK;
}

static int
sq_foreach_revoked(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_row *, time_t, int), void *arg)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	struct kc_ledger_row r;
	int s, rc;

	if ((rc = prep(l, "SELECT c.serial, c.device_id, c.cert_sha256,"
	    " c.csr_sha256, c.issued_at, c.not_after, c.kind, c.status,"
	    " c.cert_path, c.cert_der, c.rowid, r.revoked_at, r.reason"
	    " FROM revoked r JOIN certs c ON c.serial = r.serial"
	    " ORDER BY r.rowid", &st)) != KC_OK)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_from(st, &r, 0);
		if ((rc = fn(arg, &r, (time_t)sqlite3_column_int64(st, 11),
		    sqlite3_column_int(st, 12))) != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_err(l, "revocations read");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_crl_last(struct kc_ledger *b, const char *issuer, long long *number)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(l, "SELECT coalesce(max(number), 0) FROM crls WHERE"
	    " issuer = ?1", &st)) != KC_OK)
		return rc;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*number = sqlite3_column_int64(st, 0);
	else
		rc = db_err(l, "CRL number");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_crl_record(struct kc_ledger *b, const struct kc_ledger_crl *c)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int s, rc;

	if ((rc = prep(l, "INSERT INTO crls (issuer, number, this_update,"
	    " next_update, sha256, station) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    &st)) != KC_OK)
		return rc;
	sqlite3_bind_text(st, 1, c->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->number);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->this_update);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)c->next_update);
	sqlite3_bind_text(st, 5, c->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->station[0] != '\0' ? c->station :
	    l->base.station, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_CONSTRAINT ||
	    sqlite3_extended_errcode(l->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = kc_err(KC_ERR_EXISTS, "ledger %s: CRL number %lld of "
		    "issuer %s is already recorded; nothing recorded", l->path,
		    c->number, c->issuer);
	else if (s != SQLITE_DONE)
		rc = db_err(l, "CRL insert");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_foreach_crl(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_crl *), void *arg)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	struct kc_ledger_crl c;
	int s, rc;

	if ((rc = prep(l, "SELECT issuer, number, this_update, next_update,"
	    " sha256 FROM crls ORDER BY issuer, number", &st)) != KC_OK)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));	/* station "": one station's */
		copy_col(c.issuer, sizeof(c.issuer), st, 0);
		c.number = sqlite3_column_int64(st, 1);
		c.this_update = (time_t)sqlite3_column_int64(st, 2);
		c.next_update = (time_t)sqlite3_column_int64(st, 3);
		copy_col(c.sha256, sizeof(c.sha256), st, 4);
		if ((rc = fn(arg, &c)) != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = db_err(l, "CRLs read");
	sqlite3_finalize(st);
	return rc;
}

static int
sq_counts(struct kc_ledger *b, struct kc_ledger_counts *c)
{
	struct lsq *l = (struct lsq *)b;
	sqlite3_stmt *st = NULL;
	int s, rc;

	if ((rc = prep(l, "SELECT status, count(*) FROM certs GROUP BY status"
	    " UNION ALL SELECT '.revoked', count(*) FROM revoked"
	    " UNION ALL SELECT '.crls', count(*) FROM crls", &st)) != KC_OK)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		long n = (long)sqlite3_column_int64(st, 1);

		k = k != NULL ? k : "";
		kc_ledger_counts_add(c, k, n);
	}
	if (s != SQLITE_DONE)
		rc = db_err(l, "counts");
	sqlite3_finalize(st);
	return rc;
}

static const struct kc_ledger_ops sqlite_ops = {
	"sqlite", sq_close, sq_begin, sq_commit, sq_rollback, sq_serial_exists,
	sq_find_id, sq_record, sq_supersede, sq_file_record, sq_files,
	sq_foreach, sq_count, sq_last_rowid, sq_set_status, sq_revoke,
	sq_foreach_revoked, sq_crl_last, sq_crl_record, sq_foreach_crl,
	sq_counts, NULL, NULL
};

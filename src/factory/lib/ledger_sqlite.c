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
    "CREATE UNIQUE INDEX IF NOT EXISTS certs_live_id ON certs"
    " (device_id COLLATE NOCASE) WHERE status = 'issued' AND"
    " kind = 'device';"
    "CREATE INDEX IF NOT EXISTS certs_id ON certs (device_id COLLATE NOCASE);"
    /* version 2: the SHA-256 of every output file written at issue time
     * (ledgers of version 1 get the empty table: their rows have no
     * recorded hashes) */
    "CREATE TABLE IF NOT EXISTS files ("
    " serial TEXT NOT NULL REFERENCES certs (serial),"
    " suffix TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " PRIMARY KEY (serial, suffix));";

#define LEDGER_VERSION	2

static int exec(struct lsq *l, const char *sql);
static int prep(struct lsq *l, const char *sql, sqlite3_stmt **st);

/* Marks the schema version once (setting it writes the database). */
static int
set_version(struct lsq *l)
{
	sqlite3_stmt *st = NULL;
	int v = 0, rc;

	if ((rc = prep(l, "PRAGMA user_version", &st)) != KC_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v >= LEDGER_VERSION)
		return KC_OK;
	return exec(l, "PRAGMA user_version = 2");
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
	    (rc = exec(l, schema)) != KC_OK ||
	    (rc = set_version(l)) != KC_OK)
		goto fail;
	if ((rc = prep(l, "SELECT 1 FROM certs WHERE serial = ?1",
	    &l->st_serial)) != KC_OK ||
	    (rc = prep(l, "SELECT serial, device_id, cert_sha256, csr_sha256,"
	    " issued_at, not_after, kind, status, cert_path, cert_der, rowid"
	    " FROM certs WHERE device_id = ?1 COLLATE NOCASE AND"
	    " status = 'issued' AND kind = 'device'", &l->st_find)) != KC_OK ||
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
	if ((rc = exec(l, "COMMIT")) == KC_OK)
		l->base.in_tx = 0;
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

static const struct kc_ledger_ops sqlite_ops = {
	"sqlite", sq_close, sq_begin, sq_commit, sq_rollback, sq_serial_exists,
	sq_find_id, sq_record, sq_supersede, sq_file_record, sq_files,
	sq_foreach, sq_count, sq_last_rowid
};

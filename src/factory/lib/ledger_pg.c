/*
 * ledger_pg.c: the ledger on a PostgreSQL server, shared by several
 * factory stations (see kc/factory/ledger.h, ledger_int.h).
 *
 * What SQLite guarantees for one station holds across stations because
 * the server enforces it: the serial is the primary key, one live device
 * ID per lower(device_id) by a partial unique index. An insert that would
 * break either is "ON CONFLICT DO NOTHING": it waits for a station whose
 * uncommitted row holds the same ID, and when that one commits, reports
 * who issued it (station, time) and records nothing, without aborting the
 * open transaction (the batch's other rows). Any other error aborts it on
 * the server: the handle remembers that, and the commit is then refused,
 * so rows never half-commit. Rows carry the station that recorded them.
 * The schema is versioned in kc_meta; a newer one is refused, an older one
 * upgraded in the transaction that checks it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"
#include "ledger_pg_int.h"

/* kc_meta 'schema': 1 had kc_certs and kc_files; 3 (2 was never
 * written: the number follows the SQLite ledger's) adds "pending" to the
 * live-ID index, kc_revoked and kc_crls. */
#define PG_VERSION	KC_LEDGER_SCHEMA


static const char schema[] =
    "CREATE TABLE IF NOT EXISTS kc_meta (key text PRIMARY KEY,"
    " value text NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kc_certs ("
    " id bigserial UNIQUE NOT NULL,"
    " serial text PRIMARY KEY,"
    " device_id text NOT NULL,"
    " cert_sha256 text NOT NULL,"
    " csr_sha256 text NOT NULL DEFAULT '',"
    " issued_at bigint NOT NULL,"
    " not_after bigint NOT NULL,"
    " kind text NOT NULL,"
    " status text NOT NULL,"
    " cert_path text NOT NULL,"
    " cert_der bytea NOT NULL,"
    " station text NOT NULL,"
    " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp());"
    "CREATE UNIQUE INDEX IF NOT EXISTS kc_certs_live_id ON kc_certs"
    " (lower(device_id)) WHERE status = 'issued' AND kind = 'device';"
    "CREATE INDEX IF NOT EXISTS kc_certs_id ON kc_certs (lower(device_id));"
    "CREATE INDEX IF NOT EXISTS kc_certs_station ON kc_certs (station);"
    "CREATE TABLE IF NOT EXISTS kc_files ("
    " id bigserial NOT NULL,"
    " serial text NOT NULL REFERENCES kc_certs (serial),"
    " suffix text NOT NULL,"
    " sha256 text NOT NULL,"
    " PRIMARY KEY (serial, suffix));";

/* version 1 -> 3 */
static const char schema3[] =
    "DROP INDEX IF EXISTS kc_certs_live_id;"
    "CREATE UNIQUE INDEX kc_certs_live_id ON kc_certs (lower(device_id))"
    " WHERE status IN ('issued', 'pending') AND kind = 'device';"
    "CREATE TABLE IF NOT EXISTS kc_revoked ("
    " id bigserial UNIQUE NOT NULL,"
    " serial text PRIMARY KEY REFERENCES kc_certs (serial),"
    " revoked_at bigint NOT NULL,"
    " reason integer NOT NULL DEFAULT -1,"
    " station text NOT NULL,"
    " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp());"
    "CREATE TABLE IF NOT EXISTS kc_crls ("
    " issuer text NOT NULL,"
    " number bigint NOT NULL,"
    " this_update bigint NOT NULL,"
    " next_update bigint NOT NULL,"
    " sha256 text NOT NULL,"
    " station text NOT NULL,"
    " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " PRIMARY KEY (issuer, number));";

#define COLS "serial, device_id, cert_sha256, csr_sha256, issued_at," \
	" not_after, kind, status, cert_path, cert_der, id, station," \
	" floor(extract(epoch FROM recorded_at))::bigint AS recorded"

static const struct {
	const char *name, *sql;
} stmts[] = {
	{ "serial", "SELECT 1 FROM kc_certs WHERE serial = $1" },
	{ "find", "SELECT " COLS " FROM kc_certs WHERE lower(device_id) ="
	    " lower($1) AND status IN ('issued', 'pending') AND"
	    " kind = 'device'" },
	/* ledger_pg_batch.c: many IDs at once ($1 a text[] of them in
	 * lower case: = ANY of the array uses the index on lower()) */
	{ "prefetch", "SELECT " COLS " FROM kc_certs WHERE lower(device_id) ="
	    " ANY ($1::text[]) AND status IN ('issued', 'pending') AND"
	    " kind = 'device'" },
	{ "who", "SELECT station, to_char(recorded_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), serial, status FROM kc_certs"
	    " WHERE lower(device_id) = lower($1) AND status IN ('issued',"
	    " 'pending') AND kind = 'device'" },
	{ "insert", "INSERT INTO kc_certs (serial, device_id, cert_sha256,"
	    " csr_sha256, issued_at, not_after, kind, status, cert_path,"
	    " cert_der, station) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
	    " $10, $11) ON CONFLICT DO NOTHING" },
	{ "supersede", "UPDATE kc_certs SET status = 'superseded' WHERE"
	    " serial = $1" },
	{ "file_put", "INSERT INTO kc_files (serial, suffix, sha256) VALUES"
	    " ($1, $2, $3) ON CONFLICT (serial, suffix) DO UPDATE SET"
	    " sha256 = EXCLUDED.sha256" },
	{ "files", "SELECT suffix, sha256 FROM kc_files WHERE serial = $1"
	    " ORDER BY id" },
	{ "set_status", "UPDATE kc_certs SET status = $2 WHERE serial = $1" },
	{ "revoke", "INSERT INTO kc_revoked (serial, revoked_at, reason,"
	    " station) SELECT $1::text, $2::bigint, $3::integer, $4::text"
	    " WHERE EXISTS (SELECT 1 FROM"
	    " kc_certs WHERE serial = $1) ON CONFLICT (serial) DO NOTHING" },
	{ "revoked", "SELECT c.serial, c.device_id, c.cert_sha256,"
	    " c.csr_sha256, c.issued_at, c.not_after, c.kind, c.status,"
	    " c.cert_path, c.cert_der, c.id, c.station, r.revoked_at, r.reason"
	    " FROM kc_revoked r JOIN kc_certs c ON c.serial = r.serial"
	    " ORDER BY r.id" },
	{ "crl_last", "SELECT coalesce(max(number), 0) FROM kc_crls WHERE"
	    " issuer = $1" },
	{ "crl_put", "INSERT INTO kc_crls (issuer, number, this_update,"
	    " next_update, sha256, station) VALUES ($1, $2, $3, $4, $5, $6)"
	    " ON CONFLICT DO NOTHING" },
	{ "crl_who", "SELECT station, to_char(recorded_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM kc_crls WHERE issuer = $1"
	    " AND number = $2" },
	{ "crls", "SELECT issuer, number, this_update, next_update, sha256,"
	    " station FROM kc_crls ORDER BY issuer, number" },
	{ "counts", "SELECT status, count(*) FROM kc_certs GROUP BY status"
	    " UNION ALL SELECT '.revoked', count(*) FROM kc_revoked"
	    " UNION ALL SELECT '.crls', count(*) FROM kc_crls" },
};

/* The first line of libpq's or the server's message, and whether the
 * connection is gone. */
static int
pg_err(struct lpg *l, const char *what, const PGresult *r)
{
	const char *m = r != NULL ? PQresultErrorMessage(r) : "";
	int n;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(l->c);
	n = (int)strcspn(m, "\n");
	if (l->base.in_tx)
		l->aborted = 1;
	if (PQstatus(l->c) == CONNECTION_BAD)
		return kc_err(KC_ERR_DB, "%s: %s: the connection to the server "
		    "was lost (%.*s); rows since the last commit are not "
		    "recorded; rerun when the server is back", l->base.where,
		    what, n, m);
	return kc_err(KC_ERR_DB, "%s: %s: %.*s", l->base.where, what, n, m);
}

/* A command without result rows; KC_OK or pg_err. */
static int
run(struct lpg *l, const char *what, const char *sql)
{
	PGresult *r;
	int rc;

	/* (a batch's INSERT in flight answers first) */
	if ((rc = kc_lpg_drain(l)) != KC_OK)
		return rc;
	r = PQexec(l->c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_err(l, what, r);
	PQclear(r);
	return rc;
}

static PGresult *
exec_p(struct lpg *l, const char *name, int n, const char *const *v,
    const int *len, const int *fmt)
{
	if (l->aborted)
		return NULL;
	return PQexecPrepared(l->c, name, n, v, len, fmt, 0);
}

/* A statement's result, or NULL with the error recorded. */
static PGresult *
query(struct lpg *l, const char *what, const char *name, int n,
    const char *const *v, const int *len, const int *fmt)
{
	PGresult *r;

	/* (a batch's INSERT in flight answers first) */
	if (kc_lpg_drain(l) != KC_OK)
		return NULL;
	if (l->aborted) {
		kc_err(KC_ERR_DB, "%s: %s: the transaction was aborted by an "
		    "earlier error; nothing since the last commit is recorded",
		    l->base.where, what);
		return NULL;
	}
	r = exec_p(l, name, n, v, len, fmt);
	if (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	pg_err(l, what, r);
	PQclear(r);
	return NULL;
}

/* The schema, once per server, under an advisory lock (two stations
 * starting together); a newer version is refused. */
static int
setup(struct lpg *l)
{
	PGresult *r;
	int rc, v = 0;

	if ((rc = run(l, "schema", "BEGIN")) != KC_OK)
		return rc;
	if ((rc = run(l, "schema", "SELECT pg_advisory_xact_lock("
	    "7243000019)")) != KC_OK ||
	    (rc = run(l, "schema", "SET LOCAL client_min_messages = warning"))
	    != KC_OK ||
	    (rc = run(l, "schema", "CREATE TABLE IF NOT EXISTS kc_meta (key "
	    "text PRIMARY KEY, value text NOT NULL)")) != KC_OK)
		goto fail;
	r = PQexec(l->c, "SELECT value FROM kc_meta WHERE key = 'schema'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_err(l, "schema", r);
		PQclear(r);
		goto fail;
	}
	if (PQntuples(r) == 1)
		v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (v > PG_VERSION) {
		rc = kc_err(KC_ERR_DB, "%s: schema version %d is newer than "
		    "this factorysign knows (%d); refusing it: upgrade "
		    "factorysign on this station", l->base.where, v,
		    PG_VERSION);
		goto fail;
	}
	/* version 0 (none yet) -> 1: the tables; 1 -> 3: pending, kc_revoked,
	 * kc_crls; all in this one transaction */
	if (v < 1 && (rc = run(l, "schema", schema)) != KC_OK)
		goto fail;
	if (v < 3 && ((rc = run(l, "schema", schema3)) != KC_OK ||
	    (rc = run(l, "schema", "INSERT INTO kc_meta VALUES ('schema', '3')"
	    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")) !=
	    KC_OK))
		goto fail;
	if ((rc = run(l, "schema", "COMMIT")) != KC_OK)
		return rc;
	return KC_OK;
fail:
	PQclear(PQexec(l->c, "ROLLBACK"));
	return rc;
}

static const struct kc_ledger_ops pg_ops;
static const struct lpg_helpers helpers;

/* What this handle holds back, to the server: the held rows of a batch
 * (ledger_pg_batch.c), then the file hashes (their rows first: kc_files
 * references kc_certs). Before the commit and before any read that must
 * see them. */
static int
sync_all(struct lpg *l)
{
	int rc;

	if ((rc = kc_lpg_send_held(l)) != KC_OK) {
		l->nfq = 0;
		return rc;
	}
	return kc_lpg_fq_flush(l);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void
pg_close(struct kc_ledger *b)
{
	struct lpg *l = (struct lpg *)b;

	if (l == NULL)
		return;
	kc_lpg_batch_free(l);	/* (an insert in flight read first) */
	if (l->base.in_tx && PQstatus(l->c) == CONNECTION_OK)
		PQclear(PQexec(l->c, "ROLLBACK"));
	PQfinish(l->c);
	free(l->fq);
	free(l->base.where);
	free(l);
}

int
kc_ledger_pg_open(const char *uri, const char *station,
    struct kc_ledger **out)
{
	struct lpg *l;
	char where[300];
	int rc;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	l->base.ops = &pg_ops;
	l->h = &helpers;
	snprintf(l->base.station, sizeof(l->base.station), "%s", station);
	l->c = PQconnectdb(uri);
	if (l->c == NULL || PQstatus(l->c) != CONNECTION_OK) {
		const char *m = l->c != NULL ? PQerrorMessage(l->c) :
		    "out of memory";
		rc = kc_err(KC_ERR_DB, "cannot reach the PostgreSQL ledger: "
		    "%.*s", (int)strcspn(m, "\n"), m);
		PQfinish(l->c);
		free(l);
		return rc;
	}
	/* the server's notices (e.g. its shutdown) are not ours to print */
	PQsetNoticeProcessor(l->c, quiet, NULL);
	snprintf(where, sizeof(where), "PostgreSQL ledger (database %s on "
	    "%s)", PQdb(l->c), PQhost(l->c) != NULL ? PQhost(l->c) : "?");
	if ((l->base.where = strdup(where)) == NULL) {
		pg_close(&l->base);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if ((rc = setup(l)) != KC_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(*stmts); i++) {
		PGresult *r = PQprepare(l->c, stmts[i].name, stmts[i].sql, 0,
		    NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = pg_err(l, "prepare", r);
			PQclear(r);
			goto fail;
		}
		PQclear(r);
	}
	*out = &l->base;
	return KC_OK;
fail:
	pg_close(&l->base);
	return rc;
}

static int
pg_begin(struct kc_ledger *b)
{
	struct lpg *l = (struct lpg *)b;
	int rc;

	if (l->base.in_tx)
		return KC_OK;
	l->nfq = 0;
	if ((rc = run(l, "begin", "BEGIN")) == KC_OK) {
		l->base.in_tx = 1;
		l->aborted = 0;
	}
	return rc;
}

static int
pg_commit(struct kc_ledger *b)
{
	struct lpg *l = (struct lpg *)b;
	PGresult *r;
	int rc = KC_OK;

	l->base.commit_unknown = 0;
	if (!l->base.in_tx)
		return KC_OK;
	if (l->aborted) {
		kc_lpg_forget(l);
		PQclear(PQexec(l->c, "ROLLBACK"));
		l->base.in_tx = l->aborted = 0;
		l->nfq = 0;
		return kc_err(KC_ERR_DB, "%s: commit refused: the transaction "
		    "was aborted by an earlier error; its rows are not "
		    "recorded", l->base.where);
	}
	/* the held rows and queued file hashes first: any failure, and
	 * nothing commits */
	if ((rc = sync_all(l)) != KC_OK) {
		PQclear(PQexec(l->c, "ROLLBACK"));
		l->base.in_tx = l->aborted = 0;
		return rc;
	}
	r = PQexec(l->c, "COMMIT");
	/* a transaction the server aborted answers COMMIT with ROLLBACK */
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQstatus(l->c) == CONNECTION_BAD) {
		/* the COMMIT was sent: the server may have done it */
		const char *m = PQerrorMessage(l->c);
		rc = kc_err(KC_ERR_DB, "%s: commit: the connection to the server "
		    "was lost during the commit (%.*s); whether the rows since "
		    "the last commit are recorded is not known; rerun when the "
		    "server is back: it finds them recorded or issues them",
		    l->base.where, (int)strcspn(m, "\n"), m);
		l->base.commit_unknown = 1;
	} else if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_err(l, "commit", r);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = kc_err(KC_ERR_DB, "%s: commit: the server rolled the "
		    "transaction back; its rows are not recorded",
		    l->base.where);
	PQclear(r);
	l->base.in_tx = l->aborted = 0;
	return rc;
}

static int
pg_rollback(struct kc_ledger *b)
{
	struct lpg *l = (struct lpg *)b;

	l->nfq = 0;
	kc_lpg_forget(l);
	if (!l->base.in_tx)
		return KC_OK;
	l->base.in_tx = l->aborted = 0;
	if (PQstatus(l->c) != CONNECTION_OK)
		return KC_OK;	/* the server dropped it with the connection */
	return run(l, "rollback", "ROLLBACK");
}

/* 1 when the server has a row with this serial (0 not, < 0 error). */
static int
server_serial(struct lpg *l, const char *serial)
{
	const char *v[1] = { serial };
	PGresult *r;
	int n;

	if ((r = query(l, "serial lookup", "serial", 1, v, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

static int
pg_serial_exists(struct kc_ledger *b, const char *serial)
{
	struct lpg *l = (struct lpg *)b;

	if (kc_lpg_held_serial(l, serial))
		return 1;
	return server_serial(l, serial);
}

/* Row i of a COLS result into row (owning its strings). */
static int
row_from(const PGresult *r, int i, struct kc_ledger_row *row)
{
	size_t n = 0;
	unsigned char *der;
	int k;

#define CP(f, c) snprintf(row->f, sizeof(row->f), "%s", PQgetvalue(r, i, c))
	memset(row, 0, sizeof(*row));
	CP(serial, 0);
	CP(device_id, 1);
	CP(cert_sha256, 2);
	CP(csr_sha256, 3);
	row->issued_at = (time_t)strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row->not_after = (time_t)strtoll(PQgetvalue(r, i, 5), NULL, 10);
	CP(kind, 6);
	CP(status, 7);
	row->rowid = strtoll(PQgetvalue(r, i, 10), NULL, 10);
	CP(station, 11);
#undef CP
	/* a result of COLS has it (not one with columns of its own) */
	if ((k = PQfnumber(r, "recorded")) >= 0)
		row->recorded_at = (time_t)strtoll(PQgetvalue(r, i, k), NULL,
		    10);
	der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 9), &n);
	row->cert_path = strdup(PQgetvalue(r, i, 8));
	row->cert_der = der != NULL ? malloc(n > 0 ? n : 1) : NULL;
	if (row->cert_path == NULL || row->cert_der == NULL) {
		PQfreemem(der);
		kc_ledger_row_clear(row);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	memcpy(row->cert_der, der, n);
	row->cert_der_len = n;
	PQfreemem(der);
	return KC_OK;
}

static int
pg_find_id(struct kc_ledger *b, const char *id, struct kc_ledger_row *row)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[1] = { id };
	PGresult *r;
	int rc = 0;

	if ((rc = kc_lpg_held_find(l, id, row)) != 2)
		return rc;
	rc = 0;
	if ((r = query(l, "device lookup", "find", 1, v, NULL, NULL)) == NULL)
		return KC_ERR_DB;
	if (PQntuples(r) > 0)
		rc = row_from(r, 0, row) == KC_OK ? 1 : KC_ERR_NOMEM;
	/* another station's row is in no batch of this one (rowid orders
	 * this station's own rows, see kc_factory_batch_begin) */
	if (rc == 1 && strcmp(row->station, l->base.station) != 0)
		row->rowid = 0;
	PQclear(r);
	return rc;
}

/* The insert met a unique index: which, and who holds the ID. */
static int
conflict(struct lpg *l, const struct kc_ledger_row *row)
{
	const char *v[1] = { row->device_id };
	PGresult *r;
	int rc;

	/* (the server's rows: row itself may still be held) */
	if ((rc = server_serial(l, row->serial)) != 0)
		return rc < 0 ? rc : kc_err(KC_ERR_EXISTS, "%s: serial %s is "
		    "already recorded", l->base.where, row->serial);
	if ((r = query(l, "device lookup", "who", 1, v, NULL, NULL)) == NULL)
		return KC_ERR_DB;
	if (PQntuples(r) > 0)
		rc = kc_err(KC_ERR_EXISTS, "device ID '%s' was already %s "
		    "by station %s at %s (serial %s); nothing issued",
		    row->device_id, strcmp(PQgetvalue(r, 0, 3), "pending") == 0
		    ? "recorded as pending" : "issued", PQgetvalue(r, 0, 0),
		    PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	else
		rc = kc_err(KC_ERR_EXISTS, "%s: serial %s or device ID '%s' is "
		    "already recorded", l->base.where, row->serial,
		    row->device_id);
	PQclear(r);
	return rc;
}

static int
pg_record(struct kc_ledger *b, const struct kc_ledger_row *row)
{
	struct lpg *l = (struct lpg *)b;
	char ia[24], na[24];
	const char *v[11];
	int len[11] = { 0 }, fmt[11] = { 0 };
	PGresult *r;
	int ins;

	if (l->batch && l->base.in_tx)
		return kc_lpg_hold(l, row);
	snprintf(ia, sizeof(ia), "%lld", (long long)row->issued_at);
	snprintf(na, sizeof(na), "%lld", (long long)row->not_after);
	v[0] = row->serial;
	v[1] = row->device_id;
	v[2] = row->cert_sha256;
	v[3] = row->csr_sha256;
	v[4] = ia;
	v[5] = na;
	v[6] = row->kind;
	v[7] = row->status;
	v[8] = row->cert_path;
	v[9] = (const char *)row->cert_der;
	len[9] = (int)row->cert_der_len;
	fmt[9] = 1;		/* the DER as binary */
	v[10] = row->station[0] != '\0' ? row->station : l->base.station;
	if ((r = query(l, "insert", "insert", 11, v, len, fmt)) == NULL)
		return KC_ERR_DB;
	ins = atoi(PQcmdTuples(r));
	PQclear(r);
	return ins == 1 ? KC_OK : conflict(l, row);
}

static int
pg_supersede(struct kc_ledger *b, const char *serial)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[1] = { serial };
	PGresult *r;

	if (kc_lpg_held_supersede(l, serial))
		return KC_OK;
	if ((r = query(l, "update", "supersede", 1, v, NULL, NULL)) == NULL)
		return KC_ERR_DB;
	PQclear(r);
	return KC_OK;
}

static int
pg_files(struct kc_ledger *b, const char *serial,
    struct kc_ledger_file *files, size_t max, size_t *n)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[1] = { serial };
	PGresult *r;
	int rc = KC_OK;

	*n = 0;
	if ((rc = sync_all(l)) != KC_OK)
		return rc;
	if ((r = query(l, "file hash lookup", "files", 1, v, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	for (int i = 0; i < PQntuples(r) && rc == KC_OK; i++) {
		if (*n == max) {
			rc = kc_err(KC_ERR_DB, "%s: serial %s: more than %zu "
			    "recorded files", l->base.where, serial, max);
			break;
		}
		snprintf(files[*n].suffix, sizeof(files[*n].suffix), "%s",
		    PQgetvalue(r, i, 0));
		snprintf(files[*n].sha256, sizeof(files[*n].sha256), "%s",
		    PQgetvalue(r, i, 1));
		(*n)++;
	}
	PQclear(r);
	return rc;
}

static int
pg_foreach(struct kc_ledger *b, const char *kind, const char *station,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[2] = { kind, station };
	struct kc_ledger_row row;
	PGresult *r;
	int rc = 0;

	if (l->aborted)
		return kc_err(KC_ERR_DB, "%s: read: the transaction was aborted",
		    l->base.where);
	if ((rc = sync_all(l)) != KC_OK)
		return rc;
	/* all rows first: fn may look up more (file hashes) meanwhile */
	r = PQexecParams(l->c, "SELECT " COLS " FROM kc_certs WHERE ($1::text"
	    " IS NULL OR kind = $1) AND ($2::text IS NULL OR station = $2)"
	    " ORDER BY id", 2, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_err(l, "read", r);
		PQclear(r);
		return rc;
	}
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		if ((rc = row_from(r, i, &row)) != KC_OK)
			break;
		rc = fn(&row, arg);
		kc_ledger_row_clear(&row);
	}
	PQclear(r);
	return rc;
}

static int
pg_scalar(struct lpg *l, const char *what, const char *sql, long long *out)
{
	PGresult *r;
	int rc = KC_OK;

	*out = 0;
	if (l->aborted)
		return kc_err(KC_ERR_DB, "%s: %s: the transaction was aborted",
		    l->base.where, what);
	if ((rc = sync_all(l)) != KC_OK)
		return rc;
	r = PQexec(l->c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_err(l, what, r);
	else
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return rc;
}

static int
pg_count(struct kc_ledger *b, long *n)
{
	long long v;
	int rc = pg_scalar((struct lpg *)b, "count",
	    "SELECT count(*) FROM kc_certs", &v);

	*n = (long)v;
	return rc;
}

static int
pg_last_rowid(struct kc_ledger *b, long long *rowid)
{
	return pg_scalar((struct lpg *)b, "last row",
	    "SELECT coalesce(max(id), 0) FROM kc_certs", rowid);
}

/* for ledger_pg3.c (ledger_pg_int.h), through the handle: no call
 * from there back into this file */
static int
lpg_serial_exists(struct lpg *l, const char *serial)
{
	return pg_serial_exists(&l->base, serial);
}

static const struct lpg_helpers helpers = {
	query, pg_err, row_from, lpg_serial_exists, conflict, sync_all
};

/* The schema 3 operations (ledger_pg3.c) see what this handle holds
 * back: it goes to the server first. */
static int
pg_set_status(struct kc_ledger *b, const char *serial, const char *status)
{
	struct lpg *l = (struct lpg *)b;
	int rc;

	if ((rc = sync_all(l)) != KC_OK)
		return rc;
	kc_lpg_pf_forget(l, serial);
	return kc_lpg_set_status(b, serial, status);
}

static int
pg_revoke(struct kc_ledger *b, const char *serial, int reason, time_t when,
    const char *station, int *already)
{
	int rc = sync_all((struct lpg *)b);

	return rc != KC_OK ? rc : kc_lpg_revoke(b, serial, reason, when,
	    station, already);
}

static int
pg_foreach_revoked(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_row *, time_t, int), void *arg)
{
	int rc = sync_all((struct lpg *)b);

	return rc != KC_OK ? rc : kc_lpg_foreach_revoked(b, fn, arg);
}

static int
pg_counts(struct kc_ledger *b, struct kc_ledger_counts *c)
{
	int rc = sync_all((struct lpg *)b);

	return rc != KC_OK ? rc : kc_lpg_counts(b, c);
}

static const struct kc_ledger_ops pg_ops = {
	"postgresql", pg_close, pg_begin, pg_commit, pg_rollback,
	pg_serial_exists, pg_find_id, pg_record, pg_supersede, kc_lpg_file_record,
	pg_files, pg_foreach, pg_count, pg_last_rowid, pg_set_status,
	pg_revoke, pg_foreach_revoked, kc_lpg_crl_last,
	kc_lpg_crl_record, kc_lpg_foreach_crl, pg_counts, kc_lpg_batch,
	kc_lpg_prefetch
};

/* register.c: the root's issuance register in SQLite (see kc/register.h). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include <openssl/err.h>

#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

struct kc_register {
	sqlite3	*db;
	char	 path[PATH_MAX];
	int	 in_tx;
	int	 has_renews;	/* the issued table has the renews column */
};

static const char *kind_names[] = {
	[KC_REG_ROOT] = "root",
	[KC_REG_INTERMEDIATE] = "intermediate",
	[KC_REG_VERIFICATION] = "verification",
	[KC_REG_CRL] = "crl",
};

const char *
kc_reg_kind_name(enum kc_reg_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

static int
db_err(struct kc_register *r, const char *what)
{
	return kc_err(KC_ERR_DB, "register %s: %s: %s", r->path, what,
	    sqlite3_errmsg(r->db));
}

static int
exec(struct kc_register *r, const char *sql, const char *what)
{
	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(r, what);
	return KC_OK;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS issued ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN"
	"  ('root','intermediate','verification','crl')),"
	" ca TEXT NOT NULL,"
	" serial TEXT NOT NULL,"
	" crl_number INTEGER,"
	" subject TEXT NOT NULL,"
	" sha256 TEXT NOT NULL,"
	" inputs_sha256 TEXT NOT NULL DEFAULT '',"
	" path TEXT NOT NULL DEFAULT '',"
	" time INTEGER NOT NULL,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" revoked_at INTEGER,"
	" reason INTEGER,"
	" renews TEXT NOT NULL DEFAULT '',"
	" CHECK ((kind = 'crl') = (crl_number IS NOT NULL)));"
	"CREATE UNIQUE INDEX IF NOT EXISTS issued_serial ON issued (ca, serial)"
	" WHERE kind != 'crl';"
	"CREATE UNIQUE INDEX IF NOT EXISTS issued_crl ON issued (ca, crl_number)"
	" WHERE kind = 'crl';"
	"CREATE TRIGGER IF NOT EXISTS crl_number_increases"
	" BEFORE INSERT ON issued WHEN NEW.kind = 'crl' AND NEW.crl_number <="
	" (SELECT coalesce(max(crl_number), 0) FROM issued"
	"  WHERE kind = 'crl' AND ca = NEW.ca)"
	" BEGIN SELECT RAISE(ABORT, 'CRL number does not increase'); END;"
	"CREATE TABLE IF NOT EXISTS backups ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('create','restore')),"
	" time INTEGER NOT NULL,"
	" token TEXT NOT NULL, token_serial TEXT NOT NULL,"
	" key_label TEXT NOT NULL, alg TEXT NOT NULL,"
	" wrapped_sha256 TEXT NOT NULL, pub_sha256 TEXT NOT NULL,"
	" cert_sha256 TEXT NOT NULL, set_id TEXT NOT NULL,"
	" k INTEGER NOT NULL, n INTEGER NOT NULL, medium TEXT NOT NULL);"
	"PRAGMA user_version = 1;";

/* Whether the issued table has the renews column (a register made before
 * renewals existed lacks it). */
static int
has_renews(struct kc_register *r)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(r->db, "PRAGMA table_info(issued)", -1, &st,
	    NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_text(st, 1);
		if (n != NULL && strcmp((const char *)n, "renews") == 0)
			found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

int
kc_register_open(const char *dir, int create, struct kc_register **out)
{
	struct kc_register *r;
	int rc, flags;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (snprintf(r->path, sizeof(r->path), "%s/%s", dir,
	    KC_REGISTER_FILE) >= (int)sizeof(r->path)) {
		free(r);
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	}
	if (create) {
		if ((rc = kc_dir_ensure(dir, 0700)) != KC_OK) {
			free(r);
			return rc;
		}
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	} else {
		if (access(r->path, F_OK) != 0) {
			rc = kc_err(KC_ERR_NOTFOUND, "no register at %s (give "
			    "the --state directory of the ceremony)", r->path);
			free(r);
			return rc;
		}
		flags = SQLITE_OPEN_READONLY;
	}
	if (sqlite3_open_v2(r->path, &r->db, flags | SQLITE_OPEN_FULLMUTEX,
	    NULL) != SQLITE_OK) {
		rc = db_err(r, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 10000);
	if (create && ((rc = exec(r, "PRAGMA journal_mode = WAL;", "WAL"))
	    != KC_OK || (rc = exec(r, "PRAGMA synchronous = FULL;",
	    "synchronous")) != KC_OK))
		goto fail;
	if (create && (rc = exec(r, schema, "schema")) != KC_OK)
		goto fail;
	/* an older register gets the renews column (renewals: issue 15) */
	if (create && !has_renews(r) && (rc = exec(r, "ALTER TABLE issued ADD "
	    "COLUMN renews TEXT NOT NULL DEFAULT '';", "add renews")) != KC_OK)
		goto fail;
	r->has_renews = has_renews(r);
	if (create)
		chmod(r->path, 0600);
	*out = r;
	return KC_OK;
fail:
	sqlite3_close(r->db);
	free(r);
	return rc;
}

void
kc_register_close(struct kc_register *r)
{
	if (r == NULL)
		return;
	if (r->in_tx)
		kc_register_rollback(r);
	sqlite3_close(r->db);
	free(r);
}

const char *
kc_register_path(const struct kc_register *r)
{
	return r->path;
}

int
kc_register_begin(struct kc_register *r)
{
	int rc;

	if ((rc = exec(r, "BEGIN IMMEDIATE;", "begin")) == KC_OK)
		r->in_tx = 1;
	return rc;
}

int
kc_register_commit(struct kc_register *r)
{
	int rc;

	if ((rc = exec(r, "COMMIT;", "commit")) == KC_OK)
		r->in_tx = 0;
	return rc;
}

void
kc_register_rollback(struct kc_register *r)
{
	if (r != NULL && !sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK;", NULL, NULL, NULL);
	if (r != NULL)
		r->in_tx = 0;
}

/* Lower-case hex without leading zero octets' case differences. */
static void
norm_serial(const char *in, char out[41])
{
	size_t i;

	for (i = 0; in[i] != '\0' && i < 40; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static int
prepare(struct kc_register *r, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(r, "prepare");
	return KC_OK;
}

int
kc_register_add(struct kc_register *r, const struct kc_reg_entry *e)
{
	sqlite3_stmt *st = NULL;
	char serial[41], renews[41];
	int rc, s;

	if ((rc = prepare(r, "INSERT INTO issued (kind, ca, serial, "
	    "crl_number, subject, sha256, inputs_sha256, path, time, "
	    "not_before, not_after, revoked_at, reason, renews) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st)) != KC_OK)
		return rc;
	norm_serial(e->serial, serial);
	norm_serial(e->renews, renews);
	sqlite3_bind_text(st, 14, renews, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 1, kc_reg_kind_name(e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->ca, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (e->kind == KC_REG_CRL)
		sqlite3_bind_int64(st, 4, e->crl_number);
	sqlite3_bind_text(st, 5, e->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->inputs_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)e->time);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)e->not_before);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)e->not_after);
	if (e->revoked_at != 0) {
		sqlite3_bind_int64(st, 12, (sqlite3_int64)e->revoked_at);
		sqlite3_bind_int(st, 13, e->reason);
	}
	s = sqlite3_step(st);
	if (s == SQLITE_CONSTRAINT) {
		if (e->kind == KC_REG_CRL)
			rc = kc_err(KC_ERR_EXISTS, "register %s: CRL number %lld "
			    "does not increase", r->path, e->crl_number);
		else
			rc = kc_err(KC_ERR_EXISTS, "register %s: serial %s was "
			    "already issued by this root", r->path, serial);
	} else if (s != SQLITE_DONE) {
		rc = db_err(r, "insert");
	}
	sqlite3_finalize(st);
	return rc;
}

int
kc_register_backup_add(struct kc_register *r, const struct kc_reg_backup *b)
{
	const char *txt[] = { b->kind, b->token, b->token_serial,
	    b->key_label, b->alg, b->wrapped_sha256, b->pub_sha256,
	    b->cert_sha256, b->set_id };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = kc_register_begin(r)) != KC_OK)
		return rc;
	if ((rc = prepare(r, "INSERT INTO backups (kind, token, token_serial, "
	    "key_label, alg, wrapped_sha256, pub_sha256, cert_sha256, set_id, "
	    "time, k, n, medium) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", &st)) !=
	    KC_OK) {
		kc_register_rollback(r);
		return rc;
	}
	for (int i = 0; i < 9; i++)
		sqlite3_bind_text(st, i + 1, txt[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)b->time);
	sqlite3_bind_int(st, 11, b->k);
	sqlite3_bind_int(st, 12, b->n);
	sqlite3_bind_text(st, 13, b->medium, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(r, "insert backup");
	sqlite3_finalize(st);
	if (rc == KC_OK)
		rc = kc_register_commit(r);
	if (rc != KC_OK)
		kc_register_rollback(r);
	return rc;
}

#define COLS "id, kind, ca, serial, coalesce(crl_number, 0), " \
	"subject, sha256, inputs_sha256, path, time, not_before, not_after, " \
	"coalesce(revoked_at, 0), coalesce(reason, -1)"

/* The columns row() reads; a register without renews reads it as ''. */
static const char *
cols(const struct kc_register *r)
{
	return r->has_renews ? COLS ", renews" : COLS ", ''";
}

static void
copy_col(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, n, "%s", t != NULL ? (const char *)t : "");
}

static void
row(sqlite3_stmt *st, struct kc_reg_entry *e)
{
	const unsigned char *kind = sqlite3_column_text(st, 1);

	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->kind = KC_REG_ROOT;
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (kind != NULL && strcmp((const char *)kind, kind_names[i]) == 0)
			e->kind = (enum kc_reg_kind)i;
	copy_col(st, 2, e->ca, sizeof(e->ca));
	copy_col(st, 3, e->serial, sizeof(e->serial));
	e->crl_number = sqlite3_column_int64(st, 4);
	copy_col(st, 5, e->subject, sizeof(e->subject));
	copy_col(st, 6, e->sha256, sizeof(e->sha256));
	copy_col(st, 7, e->inputs_sha256, sizeof(e->inputs_sha256));
	copy_col(st, 8, e->path, sizeof(e->path));
	e->time = (time_t)sqlite3_column_int64(st, 9);
	e->not_before = (time_t)sqlite3_column_int64(st, 10);
	e->not_after = (time_t)sqlite3_column_int64(st, 11);
	e->revoked_at = (time_t)sqlite3_column_int64(st, 12);
	e->reason = sqlite3_column_int(st, 13);
	copy_col(st, 14, e->renews, sizeof(e->renews));
}

int
kc_register_find(struct kc_register *r, const char *ca, const char *serial,
    struct kc_reg_entry *e)
{
	sqlite3_stmt *st = NULL;
	char sql[512], s[41];
	int rc, step;

	snprintf(sql, sizeof(sql), "SELECT %s FROM issued WHERE ca = ? AND "
	    "serial = ? AND kind != 'crl'", cols(r));
	if ((rc = prepare(r, sql, &st)) != KC_OK)
		return rc;
	norm_serial(serial, s);
	sqlite3_bind_text(st, 1, ca, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		row(st, e);
	else if (step == SQLITE_DONE)
		rc = kc_err(KC_ERR_NOTFOUND, "serial %s is not in the register "
		    "%s", s, r->path);
	else
		rc = db_err(r, "select");
	sqlite3_finalize(st);
	return rc;
}

int
kc_register_serial_used(struct kc_register *r, const char *ca,
    const char *serial)
{
	struct kc_reg_entry e;
	int rc = kc_register_find(r, ca, serial, &e);

	if (rc == KC_OK)
		return 1;
	if (rc == KC_ERR_NOTFOUND) {
		kc_err_clear();
		return 0;
	}
	return rc;
}

int
kc_register_revoke(struct kc_register *r, const char *ca, const char *serial,
    int reason, time_t when)
{
	struct kc_reg_entry e;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = kc_register_find(r, ca, serial, &e)) != KC_OK)
		return rc;
	if (e.revoked_at != 0)
		return kc_err(KC_ERR_EXISTS, "serial %s is already revoked "
		    "(reason %s); omit --revoke to re-issue the CRL", e.serial,
		    kc_reason_name(e.reason));
	if ((rc = prepare(r, "UPDATE issued SET revoked_at = ?, reason = ? "
	    "WHERE id = ?", &st)) != KC_OK)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)when);
	sqlite3_bind_int(st, 2, reason);
	sqlite3_bind_int64(st, 3, e.id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(r, "update");
	sqlite3_finalize(st);
	return rc;
}

int
kc_register_next_crl_number(struct kc_register *r, const char *ca,
    long long *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(r, "SELECT coalesce(max(crl_number), 0) FROM issued "
	    "WHERE kind = 'crl' AND ca = ?", &st)) != KC_OK)
		return rc;
	sqlite3_bind_text(st, 1, ca, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0) + 1;
	else
		rc = db_err(r, "select");
	sqlite3_finalize(st);
	return rc;
}

static int
select_list(struct kc_register *r, const char *where, const char *ca,
    struct kc_reg_entry **list, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct kc_reg_entry *l = NULL, *nl;
	size_t cnt = 0, cap = 0;
	char sql[768];
	int rc, step;

	*list = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT %s FROM issued %s", cols(r), where);
	if ((rc = prepare(r, sql, &st)) != KC_OK)
		return rc;
	if (ca != NULL)
		sqlite3_bind_text(st, 1, ca, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nl = realloc(l, cap * sizeof(*l))) == NULL) {
				rc = kc_err(KC_ERR_NOMEM, "out of memory");
				goto out;
			}
			l = nl;
		}
		row(st, &l[cnt++]);
	}
	if (step != SQLITE_DONE) {
		rc = db_err(r, "select");
		goto out;
	}
	*list = l;
	*n = cnt;
	l = NULL;
out:
	free(l);
	sqlite3_finalize(st);
	return rc;
}

int
kc_register_revoked(struct kc_register *r, const char *ca,
    struct kc_reg_entry **list, size_t *n)
{
	return select_list(r, "WHERE ca = ? AND kind != 'crl' AND "
	    "revoked_at IS NOT NULL ORDER BY revoked_at, id", ca, list, n);
}

int
kc_name_same(const X509_NAME *a, const X509_NAME *b)
{
	int eq;

	if (kc_name_der_equal(a, b))
		return 1;
	eq = X509_NAME_cmp(a, b) == 0;
	ERR_clear_error();
	return eq;
}

/* A subject as the register holds it (kc_name_string()), lower-cased with
 * runs of spaces folded and the ends of each value trimmed, for names
 * kc_name_parse() cannot read back. */
static void
fold_subject(const char *in, char *out, size_t outsz)
{
	size_t n = 0;
	int space = 0, start = 1;

	for (; *in != '\0' && n + 1 < outsz; in++) {
		unsigned char c = (unsigned char)*in;
		if (isspace(c)) {
			space = !start;
			continue;
		}
		if (c == '/' || c == '=') {
			space = 0;
			start = 1;
		} else if (space && n + 1 < outsz) {
			out[n++] = ' ';
			space = 0;
		}
		if (c != '/' && c != '=')
			start = 0;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
}

/* The first certificate of a renewal line: follow renews back through
 * l (the CA's intermediates) from serial; bounded by n steps. */
static const char *
renewal_origin(const struct kc_reg_entry *l, size_t n, const char *serial)
{
	const char *at = serial;

	for (size_t step = 0; step <= n; step++) {
		const char *up = NULL;
		for (size_t i = 0; i < n && up == NULL; i++)
			if (strcmp(l[i].serial, at) == 0 &&
			    l[i].renews[0] != '\0')
				up = l[i].renews;
		if (up == NULL)
			return at;
		at = up;
	}
	return at;
}

int
kc_register_ca_subject_used(struct kc_register *r, const char *ca,
    const X509_NAME *name, time_t now, const char *family,
    struct kc_reg_entry *e)
{
	struct kc_reg_entry *l = NULL;
	char *want = NULL, a[1024], b[1024], fam[41];
	const char *origin = NULL;
	size_t n = 0;
	int rc, found = 0;

	if ((rc = select_list(r, "WHERE ca = ? AND kind = 'intermediate' "
	    "ORDER BY id", ca, &l, &n)) != KC_OK)
		return rc;
	if ((want = kc_name_string(name)) == NULL) {
		free(l);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if (family != NULL) {
		norm_serial(family, fam);
		origin = renewal_origin(l, n, fam);
	}
	fold_subject(want, a, sizeof(a));
	for (size_t i = 0; i < n && !found; i++) {
		X509_NAME *old = NULL;

		if (l[i].not_after <= now || l[i].revoked_at != 0)
			continue;
		if (origin != NULL &&
		    strcmp(renewal_origin(l, n, l[i].serial), origin) == 0)
			continue;
		if (kc_name_parse(l[i].subject, &old) == KC_OK) {
			found = kc_name_same(old, name);
		} else {
			fold_subject(l[i].subject, b, sizeof(b));
			found = strcmp(a, b) == 0;
		}
		kc_err_clear();
		X509_NAME_free(old);
		if (found)
			*e = l[i];
	}
	free(want);
	free(l);
	return found;
}

int
kc_register_list(struct kc_register *r, struct kc_reg_entry **list,
    size_t *n)
{
	return select_list(r, "ORDER BY id", NULL, list, n);
}

int
kc_register_write(struct kc_register *r, const struct kc_reg_entry *e,
    const char *path, const void *data, size_t len, mode_t mode)
{
	int rc, written = 0;

	if (r == NULL)
		return kc_file_write(path, data, len, mode, KC_WRITE_EXCL);
	if (!r->in_tx && (rc = kc_register_begin(r)) != KC_OK)
		return rc;
	if ((rc = kc_register_add(r, e)) != KC_OK)
		goto fail;
	if ((rc = kc_file_write(path, data, len, mode, KC_WRITE_EXCL))
	    != KC_OK)
		goto fail;
	written = 1;
	if ((rc = kc_register_commit(r)) != KC_OK)
		goto fail;
	return KC_OK;
fail:
	kc_register_rollback(r);
	if (written) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		if (unlink(path) == 0)
			kc_err(rc, "%s (%s was removed again)", msg, path);
		else
			kc_err(rc, "%s; %s is NOT recorded in the register: "
			    "delete it", msg, path);
	}
	return rc;
}

int
kc_register_entry_cert(const X509 *x, const char *ca, enum kc_reg_kind kind,
    const char *inputs_sha256, const char *path, struct kc_reg_entry *e)
{
	char *s;
	struct tm tm;
	int rc;

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = KC_REASON_NONE;
	e->time = time(NULL);
	snprintf(e->ca, sizeof(e->ca), "%s", ca != NULL ? ca : "");
	if ((rc = kc_cert_fingerprint(x, NULL, e->sha256)) != KC_OK)
		return rc;
	if (kind == KC_REG_ROOT && ca == NULL)
		snprintf(e->ca, sizeof(e->ca), "%s", e->sha256);
	if ((s = kc_cert_serial_hex(x)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	snprintf(e->serial, sizeof(e->serial), "%s", s);
	free(s);
	if ((s = kc_name_string(X509_get_subject_name(x))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	snprintf(e->subject, sizeof(e->subject), "%s", s);
	free(s);
	if (inputs_sha256 != NULL)
		snprintf(e->inputs_sha256, sizeof(e->inputs_sha256), "%s",
		    inputs_sha256);
	if (path != NULL)
		snprintf(e->path, sizeof(e->path), "%s", path);
	if (!ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		return kc_err(KC_ERR_INPUT, "unreadable notBefore");
	e->not_before = timegm(&tm);
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return kc_err(KC_ERR_INPUT, "unreadable notAfter");
	e->not_after = timegm(&tm);
	return KC_OK;
}

/*
 * ledger_pg_batch.c: a batch's rows on the PostgreSQL ledger. Two round
 * trips per device (the ID lookup, the insert) cost a batch more than its
 * signatures; so in a batch (kc_ledger_batch) the rows recorded are held
 * in the handle and go to the server together before the commit, one
 * INSERT per RQ_CHUNK rows, in device ID order (two stations' inserts
 * then take the unique index's entries in the same order: they wait for
 * each other, never deadlock); and the IDs of the next devices are looked
 * up together (kc_ledger_prefetch). Lookups see the held rows. The server
 * still decides: a held row whose ID another station recorded meanwhile
 * is refused by the unique index at the insert (ON CONFLICT DO NOTHING,
 * so the others stay), reported to the handle's dropped callback with who
 * issued it, and its file hashes are not sent.
 *
 * Owns l->rq, l->rqmap, l->fl, l->pf, l->pfmap and the queued file hashes
 * l->fq (ledger_pg_int.h); calls into
 * ledger_pg.c only through l->h.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"
#include "ledger_pg_int.h"

#define RQ_CHUNK	100	/* rows per INSERT (11 parameters each) */
#define FQ_CHUNK	500	/* file hashes per statement (struct fput) */
#define PF_MAX		1024	/* IDs per prefetch */

/* --- ID -> index ------------------------------------------------------ */

static size_t
hash(const char *key)
{
	size_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)tolower((unsigned char)*key)) *
		    16777619u;
	return h;
}

static void
map_clear(struct lpg_idmap *m)
{
	if (m->s != NULL)
		memset(m->s, 0, m->cap * sizeof(*m->s));
	m->n = 0;
}

static void
map_free(struct lpg_idmap *m)
{
	free(m->s);
	memset(m, 0, sizeof(*m));
}

/* The slot of key (lower case), or the empty one where it would go. */
static struct lpg_slot *
map_slot(const struct lpg_idmap *m, const char *key)
{
	size_t i = hash(key) & (m->cap - 1);

	while (m->s[i].used && strcasecmp(m->s[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->s[i];
}

/* Index of key, or SIZE_MAX. */
static size_t
map_get(const struct lpg_idmap *m, const char *key)
{
	const struct lpg_slot *s;

	if (m->n == 0)
		return SIZE_MAX;
	s = map_slot(m, key);
	return s->used ? s->idx : SIZE_MAX;
}

static int
map_put(struct lpg_idmap *m, const char *key, size_t idx)
{
	struct lpg_slot *s;

	if (strlen(key) >= sizeof(s->key))
		return kc_err(KC_ERR_INTERNAL, "device ID '%.64s...': too long "
		    "for the ledger", key);
	if (2 * (m->n + 1) > m->cap) {
		struct lpg_idmap g = { NULL, m->cap ? 2 * m->cap : 256, 0 };
		if ((g.s = calloc(g.cap, sizeof(*g.s))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < m->cap; i++)
			if (m->s[i].used) {
				*map_slot(&g, m->s[i].key) = m->s[i];
				g.n++;
			}
		free(m->s);
		*m = g;
	}
	s = map_slot(m, key);
	if (!s->used) {
		s->used = 1;
		snprintf(s->key, sizeof(s->key), "%s", key);
		m->n++;
	}
	s->idx = idx;
	return KC_OK;
}

/* --- the prefetch ----------------------------------------------------- */

static void
pf_clear(struct lpg *l)
{
	for (size_t i = 0; i < l->npf; i++)
		kc_ledger_row_clear(&l->pf[i].row);
	l->npf = 0;
	map_clear(&l->pfmap);
}

/* The array literal {"id",...} of ids in lower case (IDs are ASCII:
 * letters, digits, - . _ :, where tolower() is the server's lower();
 * quoted all the same). */
static char *
array_of(const char *const *ids, size_t n)
{
	size_t cap = 3, len = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(ids[i]) + 3;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			s[len++] = ',';
		s[len++] = '"';
		for (const char *p = ids[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				s[len++] = '\\';
			s[len++] = (char)tolower((unsigned char)*p);
		}
		s[len++] = '"';
	}
	s[len++] = '}';
	s[len] = '\0';
	return s;
}

int
kc_lpg_prefetch(struct kc_ledger *b, const char *const *ids, size_t n)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[1];
	PGresult *r;
	char *arr;
	int rc = KC_OK;

	pf_clear(l);
	if (n > PF_MAX)
		n = PF_MAX;
	if (n == 0)
		return KC_OK;
	if (l->npf + n > l->cappf) {
		struct lpg_pf *p = realloc(l->pf, n * sizeof(*p));
		if (p == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		l->pf = p;
		l->cappf = n;
	}
	if ((arr = array_of(ids, n)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	v[0] = arr;
	r = l->h->query(l, "device lookup", "prefetch", 1, v, NULL, NULL);
	free(arr);
	if (r == NULL)
		return KC_ERR_DB;
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		if (strlen(ids[i]) >= sizeof(l->pfmap.s->key) ||
		    map_get(&l->pfmap, ids[i]) != SIZE_MAX)
			continue;	/* twice: once is enough */
		memset(&l->pf[l->npf], 0, sizeof(l->pf[l->npf]));
		l->pf[l->npf].valid = 1;
		if ((rc = map_put(&l->pfmap, ids[i], l->npf)) == KC_OK)
			l->npf++;
	}
	for (int i = 0; i < PQntuples(r) && rc == KC_OK; i++) {
		struct kc_ledger_row row;
		size_t k;

		if ((rc = l->h->row_from(r, i, &row)) != KC_OK)
			break;
		/* another station's row is in no batch of this one (as
		 * pg_find_id) */
		if (strcmp(row.station, l->base.station) != 0)
			row.rowid = 0;
		if ((k = map_get(&l->pfmap, row.device_id)) == SIZE_MAX ||
		    l->pf[k].found) {
			kc_ledger_row_clear(&row);
			continue;
		}
		l->pf[k].row = row;
		l->pf[k].found = 1;
	}
	PQclear(r);
	if (rc != KC_OK)
		pf_clear(l);
	return rc;
}

/* --- the held rows ---------------------------------------------------- */

static int send_rows(struct lpg *l);

static void
rq_clear(struct lpg *l)
{
	for (size_t i = 0; i < l->nrq; i++)
		kc_ledger_row_clear(&l->rq[i]);
	l->nrq = 0;
	map_clear(&l->rqmap);
}

int
kc_lpg_batch(struct kc_ledger *b, int on)
{
	struct lpg *l = (struct lpg *)b;
	int rc = KC_OK;

	/* leaving a batch: nothing stays held (normally the batch's last
	 * commit sent them already) */
	if (!on && l->nrq > 0)
		rc = kc_lpg_send_held(l);
	if (!on)
		pf_clear(l);
	l->batch = on;
	return rc;
}

static int
live(const struct kc_ledger_row *row)
{
	return strcmp(row->kind, "device") == 0 &&
	    (strcmp(row->status, "issued") == 0 ||
	    strcmp(row->status, "pending") == 0);
}

int
kc_lpg_held_find(struct lpg *l, const char *id, struct kc_ledger_row *row)
{
	size_t k;
	int rc;

	if ((k = map_get(&l->rqmap, id)) != SIZE_MAX && live(&l->rq[k])) {
		if ((rc = kc_ledger_row_copy(&l->rq[k], row)) != KC_OK)
			return rc;
		row->rowid = LLONG_MAX;		/* this batch's */
		snprintf(row->station, sizeof(row->station), "%s",
		    l->base.station);
		return 1;
	}
	if ((k = map_get(&l->pfmap, id)) == SIZE_MAX || !l->pf[k].valid)
		return 2;
	if (!l->pf[k].found)
		return 0;
	if ((rc = kc_ledger_row_copy(&l->pf[k].row, row)) != KC_OK)
		return rc;
	return 1;
}

int
kc_lpg_hold(struct lpg *l, const struct kc_ledger_row *row)
{
	struct kc_ledger_row *q;
	size_t k;
	int rc;

	if (l->nrq == l->caprq) {
		size_t cap = l->caprq ? 2 * l->caprq : 256;
		if ((q = realloc(l->rq, cap * sizeof(*q))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		l->rq = q;
		l->caprq = cap;
	}
	q = &l->rq[l->nrq];
	if ((rc = kc_ledger_row_copy(row, q)) != KC_OK)
		return rc;
	if (q->station[0] == '\0')
		snprintf(q->station, sizeof(q->station), "%s",
		    l->base.station);
	if ((rc = map_put(&l->rqmap, q->device_id, l->nrq)) != KC_OK) {
		kc_ledger_row_clear(q);
		return rc;
	}
	l->nrq++;
	/* what was prefetched for this ID is no longer what it is */
	if ((k = map_get(&l->pfmap, row->device_id)) != SIZE_MAX)
		l->pf[k].valid = 0;
	/* a full chunk goes now, the server inserting it while the next
	 * devices are signed; the previous one's result first */
	if (l->nrq < RQ_CHUNK)
		return KC_OK;
	if ((rc = kc_lpg_drain(l)) != KC_OK)
		return rc;
	return send_rows(l);
}

int
kc_lpg_held_serial(const struct lpg *l, const char *serial)
{
	for (size_t i = 0; i < l->nrq; i++)
		if (strcmp(l->rq[i].serial, serial) == 0)
			return 1;
	return 0;
}

void
kc_lpg_pf_forget(struct lpg *l, const char *serial)
{
	for (size_t i = 0; i < l->npf; i++)
		if (l->pf[i].found && strcmp(l->pf[i].row.serial, serial) == 0)
			l->pf[i].valid = 0;
}

int
kc_lpg_held_supersede(struct lpg *l, const char *serial)
{
	int held = 0;

	kc_lpg_pf_forget(l, serial);
	for (size_t i = 0; i < l->nrq && !held; i++)
		if (strcmp(l->rq[i].serial, serial) == 0) {
			snprintf(l->rq[i].status, sizeof(l->rq[i].status),
			    "superseded");
			held = 1;
		}
	return held;
}

static int
by_id(const void *a, const void *b)
{
	const struct kc_ledger_row *x = a, *y = b;

	return strcasecmp(x->device_id, y->device_id);
}

/* The queued file hashes of serial are not sent. */
static void
fq_unqueue(struct lpg *l, const char *serial)
{
	size_t k = 0;

	for (size_t i = 0; i < l->nfq; i++)
		if (strcmp(l->fq[i].serial, serial) != 0)
			l->fq[k++] = l->fq[i];
	l->nfq = k;
}

/* The held rows (at most RQ_CHUNK), in device ID order, sent as one
 * INSERT without waiting for its result (kc_lpg_drain collects it); they
 * move to l->fl. libpq has copied the parameters when this returns. */
static int
send_rows(struct lpg *l)
{
	const char *v[11 * RQ_CHUNK];
	int len[11 * RQ_CHUNK], fmt[11 * RQ_CHUNK];
	char times[2 * RQ_CHUNK][24], sql[300 + RQ_CHUNK * 120];
	struct kc_ledger_row *t;
	size_t n = l->nrq, sl, tc;

	qsort(l->rq, n, sizeof(*l->rq), by_id);
	sl = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO kc_certs (serial, "
	    "device_id, cert_sha256, csr_sha256, issued_at, not_after, kind, "
	    "status, cert_path, cert_der, station) VALUES ");
	for (size_t i = 0; i < n; i++) {
		const struct kc_ledger_row *w = &l->rq[i];
		size_t p = 11 * i;

		sl += (size_t)snprintf(sql + sl, sizeof(sql) - sl, "%s($%zu, "
		    "$%zu, $%zu, $%zu, $%zu::bigint, $%zu::bigint, $%zu, $%zu, "
		    "$%zu, $%zu::bytea, $%zu)", i ? ", " : "", p + 1, p + 2,
		    p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 10,
		    p + 11);
		snprintf(times[2 * i], sizeof(times[0]), "%lld",
		    (long long)w->issued_at);
		snprintf(times[2 * i + 1], sizeof(times[0]), "%lld",
		    (long long)w->not_after);
		v[p] = w->serial;
		v[p + 1] = w->device_id;
		v[p + 2] = w->cert_sha256;
		v[p + 3] = w->csr_sha256;
		v[p + 4] = times[2 * i];
		v[p + 5] = times[2 * i + 1];
		v[p + 6] = w->kind;
		v[p + 7] = w->status;
		v[p + 8] = w->cert_path != NULL ? w->cert_path : "";
		v[p + 9] = (const char *)w->cert_der;
		v[p + 10] = w->station;
		for (size_t k = 0; k < 11; k++)
			len[p + k] = 0, fmt[p + k] = 0;
		len[p + 9] = (int)w->cert_der_len;
		fmt[p + 9] = 1;		/* the DER as binary */
	}
	snprintf(sql + sl, sizeof(sql) - sl, " ON CONFLICT DO NOTHING "
	    "RETURNING serial");
	/* the rows are the in-flight ones now: rq and fl swap buffers */
	t = l->fl, l->fl = l->rq, l->rq = t;
	tc = l->capfl, l->capfl = l->caprq, l->caprq = tc;
	l->nfl = n;
	l->nrq = 0;
	map_clear(&l->rqmap);
	if (PQsendQueryParams(l->c, sql, (int)(11 * n), NULL, v, len, fmt,
	    0) != 1) {
		for (size_t i = 0; i < l->nfl; i++)
			kc_ledger_row_clear(&l->fl[i]);
		l->nfl = 0;
		return l->h->err(l, "insert", NULL);
	}
	l->inflight = 1;
	return KC_OK;
}

int
kc_lpg_drain(struct lpg *l)
{
	unsigned char in[RQ_CHUNK];
	PGresult *r, *got = NULL;
	int rc = KC_OK;

	if (!l->inflight)
		return KC_OK;
	l->inflight = 0;
	while ((r = PQgetResult(l->c)) != NULL) {
		if (got == NULL)
			got = r;
		else
			PQclear(r);
	}
	if (got == NULL || PQresultStatus(got) != PGRES_TUPLES_OK) {
		rc = l->h->err(l, "insert", got);
		goto out;
	}
	memset(in, 0, sizeof(in));
	for (int t = 0; t < PQntuples(got); t++)
		for (size_t i = 0; i < l->nfl; i++)
			if (!in[i] && strcmp(PQgetvalue(got, t, 0),
			    l->fl[i].serial) == 0) {
				in[i] = 1;
				break;
			}
	for (size_t i = 0; i < l->nfl && rc == KC_OK; i++) {
		char msg[512];

		if (in[i])
			continue;
		if ((rc = l->h->conflict(l, &l->fl[i])) != KC_ERR_EXISTS)
			break;		/* a lookup failed: that error */
		if (l->base.dropped == NULL)
			break;		/* nobody to tell: the commit fails */
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		kc_err_clear();
		rc = KC_OK;
		fq_unqueue(l, l->fl[i].serial);
		l->base.dropped(l->base.dropped_arg, &l->fl[i], msg);
	}
out:
	PQclear(got);
	for (size_t i = 0; i < l->nfl; i++)
		kc_ledger_row_clear(&l->fl[i]);
	l->nfl = 0;
	return rc;
}

int
kc_lpg_send_held(struct lpg *l)
{
	int rc;

	if ((rc = kc_lpg_drain(l)) != KC_OK) {
		rq_clear(l);
		return rc;
	}
	if (l->nrq == 0)
		return KC_OK;
	if (l->aborted) {
		rq_clear(l);
		return kc_err(KC_ERR_DB, "%s: insert: the transaction was "
		    "aborted by an earlier error", l->base.where);
	}
	if ((rc = send_rows(l)) != KC_OK)
		return rc;
	return kc_lpg_drain(l);
}

/* --- the file hashes ------------------------------------------------- */

int
kc_lpg_file_record(struct kc_ledger *b, const char *serial, const char *suffix,
    const char *sha256)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[3] = { serial, suffix, sha256 };
	struct fput *q;
	PGresult *r;

	if (!l->base.in_tx) {
		if ((r = l->h->query(l, "file hash insert", "file_put", 3, v, NULL,
		    NULL)) == NULL)
			return KC_ERR_DB;
		PQclear(r);
		return KC_OK;
	}
	if (strlen(serial) >= sizeof(q->serial) ||
	    strlen(suffix) >= sizeof(q->suffix) ||
	    strlen(sha256) >= sizeof(q->sha256))
		return kc_err(KC_ERR_INTERNAL, "%s: file hash of %s: field too "
		    "long", l->base.where, serial);
	/* the same file again in this transaction replaces its hash, as
	 * the statement would (one statement may not touch a row twice) */
	for (size_t i = 0; i < l->nfq; i++)
		if (strcmp(l->fq[i].serial, serial) == 0 &&
		    strcmp(l->fq[i].suffix, suffix) == 0) {
			snprintf(l->fq[i].sha256, sizeof(l->fq[i].sha256), "%s",
			    sha256);
			return KC_OK;
		}
	if (l->nfq == l->capfq) {
		size_t cap = l->capfq ? 2 * l->capfq : 256;
		if ((q = realloc(l->fq, cap * sizeof(*q))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		l->fq = q;
		l->capfq = cap;
	}
	q = &l->fq[l->nfq++];
	snprintf(q->serial, sizeof(q->serial), "%s", serial);
	snprintf(q->suffix, sizeof(q->suffix), "%s", suffix);
	snprintf(q->sha256, sizeof(q->sha256), "%s", sha256);
	return KC_OK;
}

/* The queued file hashes to the server (within the open transaction). */
int
kc_lpg_fq_flush(struct lpg *l)
{
	const char *v[3 * FQ_CHUNK];
	char *sql;
	size_t done = 0, n, cap = 200 + FQ_CHUNK * 32;
	int rc = KC_OK;

	if (l->nfq == 0)
		return KC_OK;
	if (l->aborted) {
		l->nfq = 0;
		return kc_err(KC_ERR_DB, "%s: file hash insert: the transaction "
		    "was aborted by an earlier error", l->base.where);
	}
	if ((sql = malloc(cap)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	while (rc == KC_OK && done < l->nfq) {
		size_t len;
		PGresult *r;

		n = l->nfq - done < FQ_CHUNK ? l->nfq - done : FQ_CHUNK;
		len = (size_t)snprintf(sql, cap, "INSERT INTO kc_files (serial,"
		    " suffix, sha256) VALUES ");
		for (size_t i = 0; i < n; i++) {
			len += (size_t)snprintf(sql + len, cap - len,
			    "%s($%zu, $%zu, $%zu)", i ? ", " : "", 3 * i + 1,
			    3 * i + 2, 3 * i + 3);
			v[3 * i] = l->fq[done + i].serial;
			v[3 * i + 1] = l->fq[done + i].suffix;
			v[3 * i + 2] = l->fq[done + i].sha256;
		}
		snprintf(sql + len, cap - len, " ON CONFLICT (serial, suffix) DO"
		    " UPDATE SET sha256 = EXCLUDED.sha256");
		r = PQexecParams(l->c, sql, (int)(3 * n), NULL, v, NULL, NULL,
		    0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = l->h->err(l, "file hash insert", r);
		PQclear(r);
		done += n;
	}
	free(sql);
	l->nfq = 0;
	return rc;
}

void
kc_lpg_forget(struct lpg *l)
{
	/* (an insert in flight is the rolled back transaction's: its
	 * result is read and dropped) */
	if (l->inflight) {
		PGresult *r;
		while ((r = PQgetResult(l->c)) != NULL)
			PQclear(r);
		l->inflight = 0;
	}
	for (size_t i = 0; i < l->nfl; i++)
		kc_ledger_row_clear(&l->fl[i]);
	l->nfl = 0;
	rq_clear(l);
	pf_clear(l);
}

void
kc_lpg_batch_free(struct lpg *l)
{
	kc_lpg_forget(l);
	free(l->rq);
	free(l->fl);
	free(l->pf);
	map_free(&l->rqmap);
	map_free(&l->pfmap);
	l->rq = l->fl = NULL;
	l->pf = NULL;
	l->caprq = l->capfl = l->cappf = 0;
}

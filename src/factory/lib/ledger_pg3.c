/*
 * ledger_pg3.c: schema 3 of the PostgreSQL ledger (see
 * kc/factory/ledger.h): a certificate's status, revocations (kc_revoked)
 * and the CRLs issued (kc_crls). Inserts that meet a primary key are "ON
 * CONFLICT DO NOTHING", so a station that loses a race for a CRL number
 * or revokes a second time does not abort its open transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"
#include "ledger_pg_int.h"

int
kc_lpg_set_status(struct kc_ledger *b, const char *serial,
    const char *status)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[2] = { serial, status };
	const char *state;
	PGresult *r;
	int rc = KC_OK;

	if (l->aborted)
		return kc_err(KC_ERR_DB, "%s: status update: the transaction "
		    "was aborted by an earlier error", l->base.where);
	r = PQexecPrepared(l->c, "set_status", 2, v, NULL, NULL, 0);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		if (atoi(PQcmdTuples(r)) == 0)
			rc = kc_err(KC_ERR_NOTFOUND, "%s: no certificate with "
			    "serial %s", l->base.where, serial);
	} else if (state != NULL && strcmp(state, "23505") == 0) {
		if (l->base.in_tx)
			l->aborted = 1;
		rc = kc_err(KC_ERR_EXISTS, "%s: serial %s cannot become %s: "
		    "its device ID has another live certificate%s",
		    l->base.where, serial, status, l->base.in_tx ? " (the "
		    "transaction is aborted)" : "");
	} else
		rc = l->h->err(l, "status update", r);
	PQclear(r);
	return rc;
}

int
kc_lpg_revoke(struct kc_ledger *b, const char *serial, int reason,
    time_t when, const char *station, int *already)
{
	struct lpg *l = (struct lpg *)b;
	char ws[24], rs[16];
	const char *v[4] = { serial, ws, rs, station != NULL ? station :
	    l->base.station };
	PGresult *r;
	int n, rc;

	*already = 0;
	snprintf(ws, sizeof(ws), "%lld", (long long)when);
	snprintf(rs, sizeof(rs), "%d", reason);
	if ((r = l->h->query(l, "revocation insert", "revoke", 4, v, NULL,
	    NULL)) == NULL)
		return KC_ERR_DB;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 1)
		return KC_OK;
	/* nothing inserted: no such certificate, or revoked already */
	if ((rc = l->h->serial_exists(l, serial)) < 0)
		return rc;
	if (rc == 0)
		return kc_err(KC_ERR_NOTFOUND, "%s: no certificate with serial "
		    "%s to revoke", l->base.where, serial);
	*already = 1;
	return KC_OK;
}

int
kc_lpg_foreach_revoked(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_row *, time_t, int), void *arg)
{
	struct lpg *l = (struct lpg *)b;
	struct kc_ledger_row row;
	PGresult *r;
	int rc = 0;

	/* all rows first: fn may look up more meanwhile */
	if ((r = l->h->query(l, "revocations read", "revoked", 0, NULL, NULL,
	    NULL)) == NULL)
		return KC_ERR_DB;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		if ((rc = l->h->row_from(r, i, &row)) != KC_OK)
			break;
		rc = fn(arg, &row, (time_t)strtoll(PQgetvalue(r, i, 12), NULL,
		    10), atoi(PQgetvalue(r, i, 13)));
		kc_ledger_row_clear(&row);
	}
	PQclear(r);
	return rc;
}

int
kc_lpg_crl_last(struct kc_ledger *b, const char *issuer, long long *number)
{
	struct lpg *l = (struct lpg *)b;
	const char *v[1] = { issuer };
	PGresult *r;

	if ((r = l->h->query(l, "CRL number", "crl_last", 1, v, NULL,
	    NULL)) == NULL)
		return KC_ERR_DB;
	*number = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) :
	    0;
	PQclear(r);
	return KC_OK;
}

int
kc_lpg_crl_record(struct kc_ledger *b, const struct kc_ledger_crl *c)
{
	struct lpg *l = (struct lpg *)b;
	char ns[24], ts[24], us[24];
	const char *v[6] = { c->issuer, ns, ts, us, c->sha256,
	    c->station[0] != '\0' ? c->station : l->base.station };
	PGresult *r;
	int n, rc;

	snprintf(ns, sizeof(ns), "%lld", c->number);
	snprintf(ts, sizeof(ts), "%lld", (long long)c->this_update);
	snprintf(us, sizeof(us), "%lld", (long long)c->next_update);
	if ((r = l->h->query(l, "CRL insert", "crl_put", 6, v, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 1)
		return KC_OK;
	/* the primary key: who has that number */
	if ((r = l->h->query(l, "CRL lookup", "crl_who", 2, v, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	if (PQntuples(r) > 0)
		rc = kc_err(KC_ERR_EXISTS, "CRL number %lld of issuer %s was "
		    "already recorded by station %s at %s; nothing recorded",
		    c->number, c->issuer, PQgetvalue(r, 0, 0),
		    PQgetvalue(r, 0, 1));
	else
		rc = kc_err(KC_ERR_EXISTS, "%s: CRL number %lld of issuer %s "
		    "is already recorded; nothing recorded", l->base.where,
		    c->number, c->issuer);
	PQclear(r);
	return rc;
}

int
kc_lpg_foreach_crl(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_crl *), void *arg)
{
	struct lpg *l = (struct lpg *)b;
	struct kc_ledger_crl c;
	PGresult *r;
	int rc = 0;

	if ((r = l->h->query(l, "CRLs read", "crls", 0, NULL, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.issuer, sizeof(c.issuer), "%s", PQgetvalue(r, i, 0));
		c.number = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		c.this_update = (time_t)strtoll(PQgetvalue(r, i, 2), NULL, 10);
		c.next_update = (time_t)strtoll(PQgetvalue(r, i, 3), NULL, 10);
		snprintf(c.sha256, sizeof(c.sha256), "%s", PQgetvalue(r, i, 4));
		snprintf(c.station, sizeof(c.station), "%s",
		    PQgetvalue(r, i, 5));
		rc = fn(arg, &c);
	}
	PQclear(r);
	return rc;
}

int
kc_lpg_counts(struct kc_ledger *b, struct kc_ledger_counts *c)
{
	struct lpg *l = (struct lpg *)b;
	PGresult *r;

	if ((r = l->h->query(l, "counts", "counts", 0, NULL, NULL, NULL)) ==
	    NULL)
		return KC_ERR_DB;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *k = PQgetvalue(r, i, 0);
		long n = strtol(PQgetvalue(r, i, 1), NULL, 10);

		kc_ledger_counts_add(c, k, n);
	}
	PQclear(r);
	return KC_OK;
}

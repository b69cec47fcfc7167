/* ledger_pg_int.h: the PostgreSQL ledger's handle and the helpers of
 * ledger_pg.c that ledger_pg3.c (schema 3: status, revocations, CRLs)
 * uses. */
#ifndef KC_LEDGER_PG_INT_H
#define KC_LEDGER_PG_INT_H

#include <libpq-fe.h>

#include "ledger_int.h"

/* A file hash recorded in the open transaction, not yet sent: they go
 * to the server together before the commit (and before any read of
 * kc_files), one statement per FQ_CHUNK, instead of a round trip each. */
struct fput {
	char	serial[41], suffix[24], sha256[65];
};

struct lpg;

/* ledger_pg.c's helpers, reached through the handle (so that ledger_pg3.c
 * calls nothing in ledger_pg.c by name: no call cycle between the files):
 * a prepared statement's result, or NULL with the error recorded (and the
 * transaction marked aborted); the first line of the server's message as
 * a kc_err; row i of a COLS result; 1/0 for a serial, < 0 error. */
struct lpg_helpers {
	PGresult *(*query)(struct lpg *l, const char *what, const char *name,
	    int n, const char *const *v, const int *len, const int *fmt);
	int	(*err)(struct lpg *l, const char *what, const PGresult *r);
	int	(*row_from)(const PGresult *r, int i, struct kc_ledger_row *row);
	int	(*serial_exists)(struct lpg *l, const char *serial);
};

struct lpg {
	struct kc_ledger base;
	PGconn		*c;
	int		 aborted;	/* the open transaction failed */
	struct fput	*fq;
	size_t		 nfq, capfq;
	const struct lpg_helpers *h;
};

/* ledger_pg3.c: the schema 3 operations (struct kc_ledger_ops). */
int kc_lpg_set_status(struct kc_ledger *b, const char *serial,
    const char *status);
int kc_lpg_revoke(struct kc_ledger *b, const char *serial, int reason,
    time_t when, const char *station, int *already);
int kc_lpg_foreach_revoked(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_row *, time_t, int), void *arg);
int kc_lpg_crl_last(struct kc_ledger *b, const char *issuer,
    long long *number);
int kc_lpg_crl_record(struct kc_ledger *b, const struct kc_ledger_crl *c);
int kc_lpg_foreach_crl(struct kc_ledger *b,
    int (*fn)(void *, const struct kc_ledger_crl *), void *arg);
int kc_lpg_counts(struct kc_ledger *b, struct kc_ledger_counts *c);

#endif

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

/* ledger_pg_batch.c: device ID (lower case) -> index, open addressing. */
struct lpg_slot {
	char	key[65];
	size_t	idx;
	int	used;
};
struct lpg_idmap {
	struct lpg_slot	*s;
	size_t		 cap, n;
};
/* a prefetched ID: what the server held for it (found) or that it held
 * nothing; valid 0 once this handle changed that ID's rows */
struct lpg_pf {
	struct kc_ledger_row	row;
	int			found, valid;
};

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
	/* why the server did not insert row (KC_ERR_EXISTS: who holds the
	 * ID or the serial; the message is kc_err's) */
	int	(*conflict)(struct lpg *l, const struct kc_ledger_row *row);
	/* the held rows, then the queued file hashes, to the server */
	int	(*sync)(struct lpg *l);
};

struct lpg {
	struct kc_ledger base;
	PGconn		*c;
	int		 aborted;	/* the open transaction failed */
	struct fput	*fq;
	size_t		 nfq, capfq;
	const struct lpg_helpers *h;
	/* ledger_pg_batch.c: in a batch (kc_ledger_batch) the rows recorded
	 * are held here until the commit; the last prefetch */
	int		 batch;
	struct kc_ledger_row *rq;
	size_t		 nrq, caprq;
	int		 inflight;	/* an INSERT of fl sent, not read */
	struct kc_ledger_row *fl;
	size_t		 nfl, capfl;
	struct lpg_idmap rqmap;
	struct lpg_pf	*pf;
	size_t		 npf, cappf;
	struct lpg_idmap pfmap;
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

/* ledger_pg_batch.c: the held rows and the prefetch (see
 * kc_ledger_batch, kc_ledger_prefetch). held_find: 1 (row filled: a
 * held row, or a prefetched one), 0 (prefetched: none), 2 (not known
 * here: ask the server), < 0 error. hold: row held (a full chunk is
 * sent at once, its result read later: kc_lpg_drain). held_serial: 1 when a held row has it. held_supersede:
 * 1 when it was a held row's (marked), 0 when not; forgets a prefetched
 * row of that serial either way (pf_forget: only that). send_held: every held row inserted (one
 * statement per RQ_CHUNK rows); the refused ones reported to
 * base.dropped and their queued file hashes dropped. */
int kc_lpg_batch(struct kc_ledger *b, int on);
int kc_lpg_prefetch(struct kc_ledger *b, const char *const *ids, size_t n);
int kc_lpg_held_find(struct lpg *l, const char *id,
    struct kc_ledger_row *row);
int kc_lpg_hold(struct lpg *l, const struct kc_ledger_row *row);
int kc_lpg_held_serial(const struct lpg *l, const char *serial);
int kc_lpg_held_supersede(struct lpg *l, const char *serial);
void kc_lpg_pf_forget(struct lpg *l, const char *serial); /* its rows changed */
int kc_lpg_send_held(struct lpg *l);
/* The result of the INSERT in flight (one chunk of held rows, sent by
 * kc_lpg_hold while the batch goes on), refused rows reported as by
 * send_held; before any other statement on the connection. */
int kc_lpg_drain(struct lpg *l);
/* The file hashes: queued in a transaction (sent by fq_flush, before the
 * commit and any read of kc_files), else inserted at once. */
int kc_lpg_file_record(struct kc_ledger *b, const char *serial,
    const char *suffix, const char *sha256);
int kc_lpg_fq_flush(struct lpg *l);
void kc_lpg_forget(struct lpg *l);	/* held rows and prefetch dropped */
void kc_lpg_batch_free(struct lpg *l);

#endif

/*
 * ledger_int.h: the ledger's backends behind the kc_ledger_* API
 * (kc/factory/ledger.h). ledger.c picks one when a ledger is opened and
 * forwards every call; ledger_sqlite.c is the embedded default (one
 * station), ledger_pg.c a PostgreSQL server shared by several stations.
 * A backend's handle starts with struct kc_ledger.
 */
#ifndef KC_LEDGER_INT_H
#define KC_LEDGER_INT_H

#include "kc/factory/ledger.h"

struct kc_ledger_ops {
	const char *name;	/* "sqlite", "postgresql" */
	void	(*close)(struct kc_ledger *);
	int	(*begin)(struct kc_ledger *);
	int	(*commit)(struct kc_ledger *);
	int	(*rollback)(struct kc_ledger *);
	int	(*serial_exists)(struct kc_ledger *, const char *);
	int	(*find_id)(struct kc_ledger *, const char *,
		    struct kc_ledger_row *);
	int	(*record)(struct kc_ledger *, const struct kc_ledger_row *);
	int	(*supersede)(struct kc_ledger *, const char *);
	int	(*file_record)(struct kc_ledger *, const char *, const char *,
		    const char *);
	int	(*files)(struct kc_ledger *, const char *,
		    struct kc_ledger_file *, size_t, size_t *);
	int	(*foreach)(struct kc_ledger *, const char *, const char *,
		    int (*)(const struct kc_ledger_row *, void *), void *);
	int	(*count)(struct kc_ledger *, long *);
	int	(*last_rowid)(struct kc_ledger *, long long *);
	/* schema 3 */
	int	(*set_status)(struct kc_ledger *, const char *, const char *);
	/* station NULL: the handle's own (ledger copy passes the source's) */
	int	(*revoke)(struct kc_ledger *, const char *serial, int reason,
		    time_t when, const char *station, int *already);
	int	(*foreach_revoked)(struct kc_ledger *,
		    int (*)(void *, const struct kc_ledger_row *, time_t, int),
		    void *);
	int	(*crl_last)(struct kc_ledger *, const char *, long long *);
	int	(*crl_record)(struct kc_ledger *, const struct kc_ledger_crl *);
	int	(*foreach_crl)(struct kc_ledger *,
		    int (*)(void *, const struct kc_ledger_crl *), void *);
	int	(*counts)(struct kc_ledger *, struct kc_ledger_counts *);
	/* optional (NULL: rows recorded at once, no prefetch) */
	int	(*batch)(struct kc_ledger *, int);
	int	(*prefetch)(struct kc_ledger *, const char *const *, size_t);
};

/* The schema version both backends write (SQLite user_version, PostgreSQL
 * kc_meta 'schema'). */
#define KC_LEDGER_SCHEMA	3

/* ledger_row.c: adds n rows of key (a status, or ".revoked"/".crls" for
 * those tables' rows) to the counts, for both backends' kc_ledger_counts. */
void kc_ledger_counts_add(struct kc_ledger_counts *c, const char *key,
    long n);

/* ledger.c: KC_OK for "issued", "pending", "superseded". */
int kc_ledger_status_check(const char *status);

struct kc_ledger {
	const struct kc_ledger_ops *ops;
	char		*where;		/* for messages: a path, never a URI */
	char		 station[KC_STATION_MAX];
	int		 in_tx;
	int		 commit_unknown;	/* of the last failed commit */
	/* kc_ledger_batch: rows held back and refused at the commit */
	void		(*dropped)(void *, const struct kc_ledger_row *,
			    const char *);
	void		*dropped_arg;
};

/* ledger.c: station if not NULL, else --station (kc_ledger_use), else
 * the host name (or "station" when it is no station name). */
void kc_ledger_station_pick(const char *station, char *out, size_t outsz);

/* ledger_sqlite.c: path as kc_ledger_open. */
int kc_ledger_sqlite_open(const char *path, int create, const char *station,
    struct kc_ledger **out);
/* ledger_pg.c: uri already checked to hold no password. */
int kc_ledger_pg_open(const char *uri, const char *station,
    struct kc_ledger **out);

#endif

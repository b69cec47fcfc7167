/*
 * kc/ledger.h: factorysign's issuance ledger, D/ledger.sqlite.
 *
 * One row per certificate signed by the factory's intermediate: serial
 * (hex, primary key, so a serial can never be recorded twice), device ID,
 * SHA-256 of the certificate DER and of the CSR DER, issue time, notAfter,
 * kind ("device" or "verification"), status ("issued", "superseded" after
 * --reissue), the path of the certificate file written, and the DER.
 * Since schema version 2 (PRAGMA user_version; older ledgers get it when
 * opened), table files holds the SHA-256 of every output file of a
 * certificate as written (its suffix: ".cert.pem", ".chain.pem", ...), in
 * the same transaction as the row; rows recorded before have none.
 *
 * The database runs in WAL mode with synchronous=FULL: a committed
 * transaction survives a crash or power loss. A device ID may be "issued"
 * once (case-insensitively, as DPS registration IDs are); the schema
 * enforces it with a partial unique index.
 *
 * Schema version 3 (SQLite PRAGMA user_version, PostgreSQL kc_meta; older
 * ledgers are upgraded in one transaction when opened, a newer version is
 * refused with a message naming both versions): status "pending" (a
 * certificate recorded before it is confirmed on the device: the line
 * station), covered like "issued" by the unique device-ID index, so two
 * stations can never both hold one ID; table revoked (serial, revocation
 * time, RFC 5280 reason, station), which leaves certs.status as it was;
 * table crls (issuer SKI hex, CRL number, thisUpdate, nextUpdate, SHA-256
 * of the DER, station), primary key (issuer, number).
 *
 * Backends (ledger_int.h): this SQLite file is the embedded default, for
 * one station. Several stations share one PostgreSQL ledger instead: a
 * libpq connection URI, from kc_ledger_use() (the --ledger option) or
 * stored in D/ledger.conf beside the SQLite path ("ledger = URI",
 * "station = NAME"; written by factorysign init --ledger and ledger
 * migrate). There the same guarantees hold across stations: the partial
 * unique index on lower(device_id), the serial as primary key, every row
 * naming the station that recorded it (the host name unless set). A URI
 * with a password in it is refused (libpq's PGPASSFILE / ~/.pgpass or a
 * client certificate instead) and never appears in a message.
 *
 * Ownership: kc_ledger_open() returns a handle freed with kc_ledger_close()
 * (which rolls back an open transaction). Rows returned by lookups own their
 * strings; release them with kc_ledger_row_clear().
 */
#ifndef KC_LEDGER_H
#define KC_LEDGER_H

#include <stddef.h>
#include <time.h>

struct kc_ledger;

#define KC_STATION_MAX	64	/* a station name: [A-Za-z0-9._-], 1..63 */

struct kc_ledger_row {
	char		 serial[41];		/* lower-case hex */
	char		 device_id[65];
	char		 cert_sha256[65];
	char		 csr_sha256[65];	/* "" when the key was made here */
	time_t		 issued_at;
	time_t		 not_after;
	char		 kind[16];		/* "device", "verification" */
	char		 status[16];		/* "issued", "pending",
						 * "superseded" */
	char		*cert_path;		/* owned by the row (lookups) */
	unsigned char	*cert_der;		/* owned by the row (lookups) */
	size_t		 cert_der_len;
	long long	 rowid;			/* lookups: order of insertion */
	char		 station[KC_STATION_MAX];	/* lookups: who recorded
						 * it ("" in a SQLite ledger);
						 * record: ignored, the
						 * ledger's own station */
	time_t		 recorded_at;		/* lookups: when the server
						 * recorded it (PostgreSQL;
						 * 0 in a SQLite ledger) */
};

/* Process-wide choice of backend and station for the ledgers opened
 * after it (the --ledger and --station options): uri NULL keeps what
 * D/ledger.conf says (SQLite without one), station NULL the configured one
 * (the host name without one). Checks both (kc_ledger_uri_check,
 * kc_ledger_station_check); the strings are copied. */
int kc_ledger_use(const char *uri, const char *station);
/* What kc_ledger_use() was given (NULL when nothing): for init
 * --ledger, which stores it, and --station filters (export, verify). */
const char *kc_ledger_chosen_uri(void);
const char *kc_ledger_chosen_station(void);
/* KC_OK for a libpq URI the ledger takes (postgresql:// or postgres://,
 * parseable, no password in it); the message never echoes it. */
int kc_ledger_uri_check(const char *uri);
/* KC_OK for a station name of 1..63 of [A-Za-z0-9._-]. */
int kc_ledger_station_check(const char *station);
/* 1 when the ledger at path would open without create: the SQLite file
 * exists, or a PostgreSQL ledger is configured for its directory. */
int kc_ledger_exists(const char *path);
/* Writes D/ledger.conf (0600, replacing it atomically) naming uri and, when
 * not NULL, station. */
int kc_ledger_config_write(const char *dir, const char *uri,
    const char *station);
/* The station this handle records rows as. */
const char *kc_ledger_station(const struct kc_ledger *l);
/* "sqlite" or "postgresql". */
const char *kc_ledger_backend(const struct kc_ledger *l);

/* Opens (creating when create is set) the ledger at path and applies the
 * schema. A missing ledger without create is KC_ERR_NOTFOUND. */
int kc_ledger_open(const char *path, int create, struct kc_ledger **out);
/* Rolls back an open transaction and closes; NULL is a no-op. */
void kc_ledger_close(struct kc_ledger *l);

/* Explicit transactions: rows recorded between begin and commit become
 * durable together at commit (the durability point of a batch). */
int kc_ledger_begin(struct kc_ledger *l);
int kc_ledger_commit(struct kc_ledger *l);
int kc_ledger_rollback(struct kc_ledger *l);
int kc_ledger_in_transaction(const struct kc_ledger *l);
/* After a failed kc_ledger_commit: 1 when the commit may still have
 * happened (a SQLite file that failed to sync, a server that went away
 * after the COMMIT was sent), 0 when it certainly did not. */
int kc_ledger_commit_unknown(const struct kc_ledger *l);

/* Batches (factorysign batch). With on set, a backend may hold the rows
 * recorded until the commit and send them together (PostgreSQL: one
 * statement per few hundred rows instead of a round trip each); lookups
 * still see them. A held row that the server then refuses because
 * another station recorded its device ID first is not recorded; the
 * others are: dropped(arg, row, message) is called for it, during
 * kc_ledger_commit (message says who issued the ID and when; its file
 * hashes are dropped with it). Without dropped, such a row fails the
 * commit. A SQLite ledger records each row at once (no-op). */
int kc_ledger_batch(struct kc_ledger *l, int on,
    void (*dropped)(void *arg, const struct kc_ledger_row *row,
    const char *message), void *arg);
/* 1 when kc_ledger_prefetch saves round trips on this ledger. */
int kc_ledger_prefetches(const struct kc_ledger *l);
/* A hint: the device IDs the next kc_ledger_find_id calls will ask for,
 * looked up together (one query for n IDs); those calls are then
 * answered from what the server held at this call (rows recorded since
 * through this handle included). A row another station records after it
 * is still refused at the insert, as at any time (the unique index, not
 * the lookup, keeps IDs unique). The previous hint is forgotten. */
int kc_ledger_prefetch(struct kc_ledger *l, const char *const *ids,
    size_t n);

/* 1 when a row with this serial exists (any status), 0 when not. */
int kc_ledger_serial_exists(struct kc_ledger *l, const char *serial);

/* The live ("issued" or "pending": at most one) row of a device ID,
 * compared case-insensitively: 1 and *row filled (clear it with
 * kc_ledger_row_clear; row->status says which), or 0. */
int kc_ledger_find_id(struct kc_ledger *l, const char *id,
    struct kc_ledger_row *row);

/* Records a row. A repeated serial or a second live row for an ID is
 * refused (KC_ERR_EXISTS) with a message naming it. */
int kc_ledger_record(struct kc_ledger *l, const struct kc_ledger_row *row);

/* Marks the row with this serial "superseded" (for --reissue). */
int kc_ledger_supersede(struct kc_ledger *l, const char *serial);

/* Sets the status of the row with this serial: "issued", "pending" or
 * "superseded" (anything else is KC_ERR_USAGE). No such serial is
 * KC_ERR_NOTFOUND; a second live row for its device ID KC_ERR_EXISTS (on
 * PostgreSQL that aborts the open transaction). */
int kc_ledger_set_status(struct kc_ledger *l, const char *serial,
    const char *status);

/* Records the revocation of the certificate with this serial at when,
 * reason an RFC 5280 CRLReason code (0..10, not 7) or -1 for none, as
 * this handle's station; certs.status is left as it is. A serial not in
 * the ledger is KC_ERR_NOTFOUND. Revoking again keeps the first record
 * and returns KC_OK with *already (when not NULL) set to 1; else 0. */
int kc_ledger_revoke(struct kc_ledger *l, const char *serial, int reason,
    time_t when, int *already);

/* Calls fn for every revoked certificate in order of revocation (row with
 * cert_der, so that the caller can filter by issuer; valid only during
 * the call), with its revocation time and reason; a non-zero return from
 * fn stops the walk and is returned. */
int kc_ledger_foreach_revoked(struct kc_ledger *l,
    int (*fn)(void *arg, const struct kc_ledger_row *row, time_t when,
    int reason), void *arg);

/* The highest CRL number recorded for the issuer (hex SKI of the issuing
 * intermediate, compared as given: use lower case), 0 when none. */
int kc_ledger_crl_last(struct kc_ledger *l, const char *issuer_ski_hex,
    long long *number);

/* Records a CRL issued: (issuer, number) is the primary key, so of two
 * stations racing for one number the second gets KC_ERR_EXISTS (a
 * message naming the issuer, number and who recorded it) and nothing is
 * recorded (on PostgreSQL without aborting the open transaction). */
int kc_ledger_crl_record(struct kc_ledger *l, const char *issuer_ski_hex,
    long long number, time_t this_update, time_t next_update,
    const char sha256_hex[65]);

/* One recorded CRL (kc_ledger_foreach_crl). */
struct kc_ledger_crl {
	char		issuer[65];		/* hex SKI */
	long long	number;
	time_t		this_update, next_update;
	char		sha256[65];
	char		station[KC_STATION_MAX];	/* "" in SQLite */
};

/* Calls fn for every recorded CRL, by issuer then number. */
int kc_ledger_foreach_crl(struct kc_ledger *l,
    int (*fn)(void *arg, const struct kc_ledger_crl *crl), void *arg);

/* Counts of rows by status and of revocations and CRLs (ledger verify). */
struct kc_ledger_counts {
	long	issued, pending, superseded, other, revoked, crls;
};
int kc_ledger_counts(struct kc_ledger *l, struct kc_ledger_counts *c);

/* One output file of a certificate as recorded. */
struct kc_ledger_file {
	char	suffix[24];	/* ".cert.pem", ".chain.pem", ... */
	char	sha256[65];	/* lower-case hex of the bytes written */
};

/* Records (or replaces) the SHA-256 of the output file OUT/ID<suffix> of
 * the certificate with this serial. */
int kc_ledger_file_record(struct kc_ledger *l, const char *serial,
    const char *suffix, const char *sha256);

/* The recorded files of a serial, in recording order, into files (at most
 * max; more is KC_ERR_DB); *n is 0 for a row recorded before hashes were
 * kept. */
int kc_ledger_files(struct kc_ledger *l, const char *serial,
    struct kc_ledger_file *files, size_t max, size_t *n);

/* Calls fn for every row in issue order (kind NULL: all kinds); a non-zero
 * return from fn stops the walk and is returned. The row passed to fn is
 * only valid during the call. */
int kc_ledger_foreach(struct kc_ledger *l, const char *kind,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg);

/* As kc_ledger_foreach, only the rows recorded by station (NULL: all). */
int kc_ledger_foreach_station(struct kc_ledger *l, const char *kind,
    const char *station,
    int (*fn)(const struct kc_ledger_row *row, void *arg), void *arg);

/* Copies every row, file hash, revocation and CRL record of from into to (an empty ledger of the
 * other backend, or one holding none of these serials) in one transaction,
 * rows without a station taking to's; then checks that both hold the same
 * number of rows and the same SHA-256 over every row and file hash
 * (*count rows, hex digest in sha256[65]), and commits only then. */
int kc_ledger_copy(struct kc_ledger *from, struct kc_ledger *to,
    long *count, char sha256[65]);
/* factorysign ledger migrate: D/ledger.sqlite copied (kc_ledger_copy)
 * into the PostgreSQL ledger uri as station (NULL: --station, else the
 * host name), then D/ledger.conf written naming both; refused when
 * D/ledger.conf exists. */
int kc_ledger_migrate(const char *dir, const char *uri, const char *station,
    long *count, char sha256[65]);
/* The SHA-256 (hex) over every row and file hash in serial order, the
 * station excluded (a SQLite ledger has none), and the row count; a
 * revoked row's hash covers its revocation too, and the recorded CRLs
 * come last (a ledger without either has the digest of schema 2). */
int kc_ledger_digest(struct kc_ledger *l, long *count, char sha256[65]);

/* Number of rows (all kinds and statuses). */
int kc_ledger_count(struct kc_ledger *l, long *n);
/* The rowid of the newest row (0 when empty): rows inserted later have
 * greater ones. */
int kc_ledger_last_rowid(struct kc_ledger *l, long long *rowid);

/* Frees what a lookup allocated in row and zeroes it. */
void kc_ledger_row_clear(struct kc_ledger_row *row);
/* A deep copy of row into out (cert_path and cert_der duplicated). */
int kc_ledger_row_copy(const struct kc_ledger_row *row,
    struct kc_ledger_row *out);

#endif

/*
 * kc/register.h: the issuance register of a root: everything the root key
 * signed (the root itself, intermediates, proof-of-possession
 * certificates, CRLs), in SQLite at <state dir>/register.sqlite (WAL,
 * synchronous=FULL).
 *
 * Entries belong to a CA, named by the SHA-256 (hex) of the root
 * certificate's DER, so that one state directory can serve several roots.
 * Certificate serials are unique per CA and CRL numbers strictly increase
 * per CA; the database enforces both (unique indexes and a trigger), so a
 * bug cannot write a duplicate.
 *
 * An operation that writes a file records it inside a transaction:
 * kc_register_begin(), kc_register_add(), write the file,
 * kc_register_commit(); on any failure kc_register_rollback() and no entry
 * remains.
 *
 * Ownership: kc_register_open() returns a handle freed with
 * kc_register_close(); lists are freed with free().
 */
#ifndef KC_REGISTER_H
#define KC_REGISTER_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "kc/core/crl.h"

#define KC_STATE_DIR_DEFAULT "./keyceremony-state"
#define KC_REGISTER_FILE "register.sqlite"

enum kc_reg_kind {
	KC_REG_ROOT,
	KC_REG_INTERMEDIATE,
	KC_REG_VERIFICATION,
	KC_REG_CRL,
};
/* "root", "intermediate", "verification", "crl". */
const char *kc_reg_kind_name(enum kc_reg_kind kind);

/* CRL reason codes, KC_REASON_* and kc_reason_parse/kc_reason_name:
 * kc/core/crl.h. */

struct kc_reg_entry {
	long long	 id;		/* set by the register */
	enum kc_reg_kind kind;
	char		 ca[65];	/* SHA-256 of the root certificate */
	char		 serial[41];	/* lower-case hex; CRLs: "" */
	long long	 crl_number;	/* CRLs only */
	char		 subject[512];	/* CRLs: the issuer */
	char		 sha256[65];	/* SHA-256 of the output's DER */
	char		 inputs_sha256[65]; /* of the inputs (CSR bytes,
					   verification code); "" if none */
	char		 path[512];	/* output file as written */
	time_t		 time;		/* when it was signed */
	time_t		 not_before, not_after;	/* CRLs: this/nextUpdate */
	time_t		 revoked_at;	/* 0: not revoked */
	int		 reason;	/* KC_REASON_* when revoked */
	char		 renews[41];	/* a renewal (same key, same
					   subject): the serial it renews;
					   "" otherwise */
};

struct kc_register;

/* Opens DIR/register.sqlite. With create, the directory (0700) and the
 * database are made when missing and the handle can write; without, the
 * register is opened read-only (for listing, also from exported media)
 * and a missing one is KC_ERR_NOTFOUND naming the path. */
int kc_register_open(const char *dir, int create, struct kc_register **out);
void kc_register_close(struct kc_register *reg);	/* NULL: no-op */
/* The database file path. */
const char *kc_register_path(const struct kc_register *reg);

/* A write transaction (BEGIN IMMEDIATE: taken at once, so a second
 * ceremony on the same state waits or fails before doing any work). */
int kc_register_begin(struct kc_register *reg);
int kc_register_commit(struct kc_register *reg);
/* Safe to call when no transaction is open. */
void kc_register_rollback(struct kc_register *reg);

/* Records an entry (e->id is ignored). A serial already used by this CA
 * or a CRL number that does not increase is KC_ERR_EXISTS. */
int kc_register_add(struct kc_register *reg, const struct kc_reg_entry *e);

/* 1 when this CA already issued serial (hex, any case), 0 when not. */
int kc_register_serial_used(struct kc_register *reg, const char *ca,
    const char *serial);

/* The certificate entry with this serial; KC_ERR_NOTFOUND when none. */
int kc_register_find(struct kc_register *reg, const char *ca,
    const char *serial, struct kc_reg_entry *e);

/* Marks a certificate revoked. KC_ERR_NOTFOUND when unknown,
 * KC_ERR_EXISTS when already revoked. */
int kc_register_revoke(struct kc_register *reg, const char *ca,
    const char *serial, int reason, time_t when);

/* The next CRL number of this CA (1 for the first). */
int kc_register_next_crl_number(struct kc_register *reg, const char *ca,
    long long *n);

/* Revoked certificates of this CA, oldest revocation first. */
int kc_register_revoked(struct kc_register *reg, const char *ca,
    struct kc_reg_entry **list, size_t *n);

/*
 * Writes data to path (KC_WRITE_EXCL, mode) and records e with it: the
 * entry is added inside a transaction (the caller's, when one is open, so
 * that a revocation and its CRL go together) that commits only after the
 * file is durably in place; if anything fails the transaction is rolled
 * back and a file already linked is removed. reg NULL: just the file.
 */
int kc_register_write(struct kc_register *reg, const struct kc_reg_entry *e,
    const char *path, const void *data, size_t len, mode_t mode);

/* Fills e for a certificate: kind, ca, serial, subject, SHA-256 of the
 * DER, not_before/not_after, time = now; inputs_sha256 and path may be
 * NULL. */
int kc_register_entry_cert(const X509 *x, const char *ca,
    enum kc_reg_kind kind, const char *inputs_sha256, const char *path,
    struct kc_reg_entry *e);

/* The first valid CA certificate (intermediate: not revoked, notAfter
 * after now) of this CA whose subject equals name as RFC 5280 compares
 * names (X509_NAME_cmp on the canonical encodings: case and runs of
 * spaces ignored). family not NULL (a renewal of that serial): the
 * certificates of its renewal line (renews followed back to the same first
 * certificate) do not count. 1 with *e filled when there is one, 0 when
 * none, negative on a database error. */
int kc_register_ca_subject_used(struct kc_register *reg, const char *ca,
    const X509_NAME *name, time_t now, const char *family,
    struct kc_reg_entry *e);

/* 1 when two names are equal as RFC 5280 compares them (see above) or
 * byte for byte. */
int kc_name_same(const X509_NAME *a, const X509_NAME *b);

/*
 * Root key backups (issue 17): a `backup create` or `backup restore`, in
 * a table of its own (backups), never with a byte of the wrap key: what
 * was backed up or restored, from or into which token, the SHA-256 of the
 * wrapped key, the public key and the root certificate, the shares' set,
 * K and N, the medium. kind: "create" or "restore".
 */
struct kc_reg_backup {
	char	kind[8];
	time_t	time;
	char	token[33], token_serial[17], key_label[65], alg[16];
	char	wrapped_sha256[65], pub_sha256[65], cert_sha256[65];
	char	set_id[7];
	int	k, n;
	char	medium[512];
};
/* In its own transaction. */
int kc_register_backup_add(struct kc_register *reg,
    const struct kc_reg_backup *b);

/* Every entry (all CAs), in the order recorded. */
int kc_register_list(struct kc_register *reg, struct kc_reg_entry **list,
    size_t *n);

#endif

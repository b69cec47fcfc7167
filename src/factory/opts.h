/* opts.h: what factorysign's commands share: the converters of their
 * option tables (src/front/opt.h parses), the passphrase, opening the
 * factory directory and the lines every issuing command prints. */
#ifndef FS_OPTS_H
#define FS_OPTS_H

#include "kc/core/secret.h"
#include "kc/factory/factory.h"
#include "opt.h"

/* Integer option in [lo, hi]; -1 and a usage message when not. */
int fs_int(const char *opt, const char *arg, long lo, long hi, long *out);

/* KC_OPT_FN converters (opt.h) for the options several commands share,
 * with the value messages of fs_int:
 *   fs_opt_days:     int, 1 to KC_DAYS_MAX (--days)
 *   fs_opt_backdate: int, 0 to KC_FACTORY_BACKDATE_MAX seconds, 0 stored
 *                    as KC_FACTORY_BACKDATE_NONE (--backdate)
 *   fs_opt_sec_tag:  int, 0 to 2147483647 (--sec-tag of the AT format) */
int fs_opt_days(const char *value, void *target);
int fs_opt_backdate(const char *value, void *target);
int fs_opt_sec_tag(const char *value, void *target);
/* --ledger URI and --station NAME (cmd_ledger.c): checked and handed to
 * kc_ledger_use() for the ledgers this run opens (the URI never shown);
 * nothing is stored at target. FS_O_LEDGER: their two rows, for the
 * table of every command that uses the ledger. */
int fs_opt_ledger(const char *value, void *target);
int fs_opt_station(const char *value, void *target);
#define FS_O_LEDGER \
	{ "ledger", KC_OPT_FN, 0, 0, "URI", "the PostgreSQL ledger shared by the stations\n" \
	    "(postgresql://...; no password in it); default D/ledger.conf's,\n" \
	    "else D/ledger.sqlite", 0, 0, fs_opt_ledger }, \
	{ "station", KC_OPT_FN, 0, 0, "NAME", "this station's name, recorded in every row\n" \
	    "(default D/ledger.conf's, else the host name)", 0, 0, fs_opt_station }

/* The passphrase of D's intermediate key from --pass-file or the terminal
 * (the prompt names D/intermediate.key; confirm: a new key, typed
 * twice). */
int fs_pass(const char *dir, const char *file, int confirm,
    struct kc_secret **out);

/* Opens D with the passphrase, printing the error; NULL on failure. */
struct kc_factory *fs_open(const char *dir, const char *pass_file, int *rc);

/* Prints one issued device ("ID serial notAfter") and the ignored
 * extensions. */
void fs_print_result(const struct kc_factory_result *r, const char *out_dir);

/* Prints the size warnings of one device (r->warn), if any, on stderr. */
void fs_print_warn(const struct kc_factory_result *r);

/* Whether a device's error stops a batch: it would hit every device (I/O,
 * ledger, memory, a bug), unlike a bad CSR or a duplicate ID. */
int fs_fatal(int rc);

/* The end of a batch: commits, prints a failure and what it cost;
 * *issued loses, and *failed gains, the devices that were rolled back. */
void fs_batch_end(struct kc_factory *f, long *issued, long *failed);
/* Before kc_factory_batch_begin: a device reported issued that the
 * ledger then refuses at the commit (kc_factory_on_dropped) is told on
 * stderr and moves from *w->issued to *w->failed (w outlives the
 * batch). */
struct fs_watch {
	long	*issued, *failed;
};
void fs_batch_watch(struct kc_factory *f, struct fs_watch *w);

/* --ca-file of keygen and provision: the certificates of a PEM file, each
 * a CA, re-encoded into *out (malloc'd, NUL-terminated; the caller frees
 * it), so that no text outside the PEM blocks reaches the modem. */
int fs_ca_pem_load(const char *path, char **out);

#endif

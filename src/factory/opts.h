/* opts.h: option parsing shared by factorysign's commands: long options
 * only, --help prints the command's usage on stdout. */
#ifndef FS_OPTS_H
#define FS_OPTS_H

#include <getopt.h>

#include "kc/core/secret.h"
#include "kc/factory/factory.h"

/* Runs getopt_long over argv; for each option calls set(opt->val, optarg,
 * arg). Returns -1 to go on, or an exit status (--help, bad option). */
int fs_getopt(int argc, char **argv, const struct option *longopts,
    const char *usage, int (*set)(int val, const char *arg, void *ctx),
    void *ctx);

/* Integer option in [lo, hi]; -1 and a usage message when not. */
int fs_int(const char *opt, const char *arg, long lo, long hi, long *out);

/* --backdate SECONDS (0 to KC_FACTORY_BACKDATE_MAX) into
 * kc_factory_opts.backdate (0 given: KC_FACTORY_BACKDATE_NONE); -1 and
 * a usage message when out of range. */
int fs_backdate(const char *arg, int *out);

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

#endif

/* commands.h: factorysign's subcommands, one file each (cmd_*.c). Each
 * takes argv with argv[0] = the command's last word and returns an exit
 * status (front.h). */
#ifndef FS_COMMANDS_H
#define FS_COMMANDS_H

#include "opt.h"

/* each command's option table (opt.h), in its cmd_*.c: its --help, and
 * the options the argv-secret refusal knows as real */
extern const struct kc_optdef cmd_init_opts, cmd_install_opts, cmd_sign_opts,
    cmd_batch_opts, cmd_issue_opts, cmd_verification_opts, cmd_check_opts,
    cmd_keygen_opts, cmd_attest_opts, cmd_ledger_export_opts,
    cmd_ledger_verify_opts, cmd_status_opts, cmd_ledger_migrate_opts,
    cmd_crl_opts;

int cmd_init(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_verification(int argc, char **argv);
/* crl (cmd_crl.c): the intermediate's CRL, crls.pem, cloud actions */
int cmd_crl(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_ledger_export(int argc, char **argv);
/* ledger export --format nrfcloud (export_nrfcloud.c); NULLs for the
 * defaults. Returns an exit status. */
int fs_export_nrfcloud(const char *dir, const char *out,
    const char *subtype, const char *tags, const char *fw_types);
int cmd_ledger_verify(int argc, char **argv);
/* ledger migrate (cmd_ledger.c): SQLite to PostgreSQL, issue 19 */
int cmd_ledger_migrate(int argc, char **argv);
/* status (cmd_status.c): exit 0 ok, 1 due, 2 lapsed, 3 unknown */
int cmd_status(int argc, char **argv);
/* provision (cmd_provision.c): the line station; exit 0 provisioned,
 * 1 refused, 2 device or port problem */
int cmd_provision(int argc, char **argv);
extern const struct kc_optdef cmd_provision_opts;

#endif

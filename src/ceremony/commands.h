/* commands.h: keyceremony's subcommands, one file each (cmd_*.c). Each
 * takes argv with argv[0] = the command's last word and returns an exit
 * status (front.h). */
#ifndef KC_COMMANDS_H
#define KC_COMMANDS_H

struct kc_optdef;

int cmd_token_list(int argc, char **argv);
extern const struct kc_optdef cmd_token_list_opts;
int cmd_token_init(int argc, char **argv);
extern const struct kc_optdef cmd_token_init_opts;
int cmd_token_keys(int argc, char **argv);
extern const struct kc_optdef cmd_token_keys_opts;
int cmd_token_probe(int argc, char **argv);
extern const struct kc_optdef cmd_token_probe_opts;
int cmd_root_create(int argc, char **argv);
extern const struct kc_optdef cmd_root_create_opts;
int cmd_quorum_split(int argc, char **argv);
extern const struct kc_optdef cmd_quorum_split_opts;
int cmd_quorum_combine(int argc, char **argv);
extern const struct kc_optdef cmd_quorum_combine_opts;
int cmd_intermediate_sign(int argc, char **argv);
extern const struct kc_optdef cmd_intermediate_sign_opts;
int cmd_cross_sign(int argc, char **argv);
extern const struct kc_optdef cmd_cross_sign_opts;
int cmd_verification_sign(int argc, char **argv);
extern const struct kc_optdef cmd_verification_sign_opts;
int cmd_crl(int argc, char **argv);
extern const struct kc_optdef cmd_crl_opts;
int cmd_register_list(int argc, char **argv);
extern const struct kc_optdef cmd_register_list_opts;
int cmd_status(int argc, char **argv);
extern const struct kc_optdef cmd_status_opts;
int cmd_run(int argc, char **argv);
extern const struct kc_optdef cmd_run_opts;
int cmd_transcript_verify(int argc, char **argv);
extern const struct kc_optdef cmd_transcript_verify_opts;
int cmd_export(int argc, char **argv);
extern const struct kc_optdef cmd_export_opts;
int cmd_import(int argc, char **argv);
extern const struct kc_optdef cmd_import_opts;
int cmd_tui(int argc, char **argv);
extern const struct kc_optdef cmd_tui_opts;
int cmd_script(int argc, char **argv);
extern const struct kc_optdef cmd_script_opts;
int cmd_report(int argc, char **argv);
extern const struct kc_optdef cmd_report_opts;
int cmd_backup_create(int argc, char **argv);
extern const struct kc_optdef cmd_backup_create_opts;
int cmd_backup_restore(int argc, char **argv);
extern const struct kc_optdef cmd_backup_restore_opts;

#endif

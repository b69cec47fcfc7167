/* main.c: keyceremony, the air-gapped root CA side. Hardening, then the
 * command table; every command lives in its own cmd_*.c. */
#include "config.h"

#include <stddef.h>

#include "commands.h"
#include "front.h"

static const struct kc_cmd commands[] = {
	{ "token", "list", cmd_token_list,
	  "token list [--module PATH]", &cmd_token_list_opts },
	{ "token", "init", cmd_token_init,
	  "token init --label L --so-pin-file F --pin-file F [--module PATH]", &cmd_token_init_opts },
	{ "token", "keys", cmd_token_keys,
	  "token keys --token L [--pin-file F] [--module PATH]", &cmd_token_keys_opts },
	{ "token", "probe", cmd_token_probe,
	  "token probe --token L [--algorithm ALG] [--pin-file F] "
	  "[--module M] [--site SITE] [--json]", &cmd_token_probe_opts },
	{ "root", "create", cmd_root_create,
	  "root create --token L --label K --algorithm ALG --subject DN "
	  "--days N --out root.pem", &cmd_root_create_opts },
	{ "tui", NULL, cmd_tui,
	  "tui [FILE] [--site SITE] [--module M] [--token L] [--pin-file F] "
	  "[--state S] [--media M]", &cmd_tui_opts },
	{ "quorum", "split", cmd_quorum_split,
	  "quorum split --threshold K --shares N [--pin-file F] [--label L] "
	  "[--out-dir DIR]", &cmd_quorum_split_opts },
	{ "quorum", "combine", cmd_quorum_combine,
	  "quorum combine [--share-file F ...] [--out FILE]", &cmd_quorum_combine_opts },
	{ "intermediate", "sign", cmd_intermediate_sign,
	  "intermediate sign --token L --label K --issuer root.pem "
	  "--csr factory.csr --days N [--path-len 0] [--renew OLD.pem] [--yes] "
	  "--out inter.pem", &cmd_intermediate_sign_opts },
	{ "cross", "sign", cmd_cross_sign,
	  "cross sign --token L --label K --issuer OLD-ROOT.pem "
	  "--cert NEW-ROOT.pem --days N [--yes] --out cross.pem", &cmd_cross_sign_opts },
	{ "verification", "sign", cmd_verification_sign,
	  "verification sign --token L --label K --issuer root.pem "
	  "--code CODE [--days 2] --out verification.pem", &cmd_verification_sign_opts },
	{ "crl", NULL, cmd_crl,
	  "crl --token L --label K --issuer root.pem [--revoke inter.pem|SERIAL] "
	  "[--reason R] [--days 365] --out root.crl", &cmd_crl_opts },
	{ "register", "list", cmd_register_list,
	  "register list [--state DIR]", &cmd_register_list_opts },
	{ "status", NULL, cmd_status,
	  "status [--state DIR] [--warn-days N] [--json]", &cmd_status_opts },
	{ "run", NULL, cmd_run,
	  "run FILE --site SITE [--batch] (or --module --token --pin-file "
	  "--state --media)", &cmd_run_opts },
	{ "transcript", "verify", cmd_transcript_verify,
	  "transcript verify FILE [--digest HEX]", &cmd_transcript_verify_opts },
	{ "export", NULL, cmd_export,
	  "export --state DIR --to MEDIA", &cmd_export_opts },
	{ "import", NULL, cmd_import,
	  "import --from MEDIA --state DIR [--expect-sha256 HEX]", &cmd_import_opts },
	{ "script", NULL, cmd_script,
	  "script FILE [--site SITE] [--paper a4|letter] [--format pdf|text] "
	  "--out script.pdf", &cmd_script_opts },
	{ "report", NULL, cmd_report,
	  "report TRANSCRIPT [--state DIR] [--digest HEX] [--paper a4|letter] "
	  "[--format pdf|text] --out report.pdf", &cmd_report_opts },
	{ "backup", "create", cmd_backup_create,
	  "backup create --token L --label K --out-dir MEDIUM --threshold K "
	  "--custodians N [--share-dir DIR]", &cmd_backup_create_opts },
	{ "backup", "restore", cmd_backup_restore,
	  "backup restore --token L --from MEDIUM [--share-file F ...]",
	  &cmd_backup_restore_opts },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
main(int argc, char **argv)
{
	kc_front_init("keyceremony");
	/* no subcommand: the guided ceremony screens */
	if (argc == 1)
		return cmd_tui(argc, argv);
	return kc_front_dispatch(commands, argc, argv);
}

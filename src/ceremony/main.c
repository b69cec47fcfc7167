/* main.c: keyceremony, the air-gapped root CA side. Hardening, then the
 * command table; every command lives in its own cmd_*.c. */
#include "config.h"

#include <stddef.h>

#include "commands.h"
#include "front.h"

static const struct kc_cmd commands[] = {
	{ "token", "list", cmd_token_list,
	  "token list [--module PATH]", NULL },
	{ "token", "init", cmd_token_init,
	  "token init --label L --so-pin-file F --pin-file F [--module PATH]", NULL },
	{ "token", "keys", cmd_token_keys,
	  "token keys --token L [--pin-file F] [--module PATH]", NULL },
	{ "token", "probe", cmd_token_probe,
	  "token probe --token L [--algorithm ALG] [--pin-file F] "
	  "[--module M] [--site SITE] [--json]", NULL },
	{ "root", "create", cmd_root_create,
	  "root create --token L --label K --algorithm ALG --subject DN "
	  "--days N --out root.pem", NULL },
	{ "tui", NULL, cmd_tui,
	  "tui [FILE] [--site SITE] [--module M] [--token L] [--pin-file F] "
	  "[--state S] [--media M]", NULL },
	{ "quorum", "split", cmd_quorum_split,
	  "quorum split --threshold K --shares N [--pin-file F] [--label L] "
	  "[--out-dir DIR]", NULL },
	{ "quorum", "combine", cmd_quorum_combine,
	  "quorum combine [--share-file F ...] [--out FILE]", NULL },
	{ "intermediate", "sign", cmd_intermediate_sign,
	  "intermediate sign --token L --label K --issuer root.pem "
	  "--csr factory.csr --days N [--path-len 0] [--yes] --out inter.pem", NULL },
	{ "cross", "sign", cmd_cross_sign,
	  "cross sign --token L --label K --issuer OLD-ROOT.pem "
	  "--cert NEW-ROOT.pem --days N [--yes] --out cross.pem", NULL },
	{ "verification", "sign", cmd_verification_sign,
	  "verification sign --token L --label K --issuer root.pem "
	  "--code CODE [--days 2] --out verification.pem", NULL },
	{ "crl", NULL, cmd_crl,
	  "crl --token L --label K --issuer root.pem [--revoke inter.pem|SERIAL] "
	  "[--reason R] [--days 365] --out root.crl", &cmd_crl_opts },
	{ "register", "list", cmd_register_list,
	  "register list [--state DIR]", NULL },
	{ "status", NULL, cmd_status,
	  "status [--state DIR] [--warn-days N] [--json]", NULL },
	{ "run", NULL, cmd_run,
	  "run FILE --site SITE [--batch] (or --module --token --pin-file "
	  "--state --media)", NULL },
	{ "transcript", "verify", cmd_transcript_verify,
	  "transcript verify FILE [--digest HEX]", NULL },
	{ "export", NULL, cmd_export,
	  "export --state DIR --to MEDIA", NULL },
	{ "import", NULL, cmd_import,
	  "import --from MEDIA --state DIR [--expect-sha256 HEX]", NULL },
	{ "script", NULL, cmd_script,
	  "script FILE [--site SITE] [--paper a4|letter] [--format pdf|text] "
	  "--out script.pdf", NULL },
	{ "report", NULL, cmd_report,
	  "report TRANSCRIPT [--state DIR] [--digest HEX] [--paper a4|letter] "
	  "[--format pdf|text] --out report.pdf", NULL },
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

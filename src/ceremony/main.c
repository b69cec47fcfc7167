/* main.c: keyceremony, the air-gapped root CA side. Hardening, then the
 * command table; every command lives in its own cmd_*.c. */
#include "config.h"

#include <stddef.h>

#include "commands.h"
#include "front.h"

static const struct kc_cmd commands[] = {
	{ "token", "list", cmd_token_list,
	  "token list [--module PATH]" },
	{ "token", "init", cmd_token_init,
	  "token init --label L --so-pin-file F --pin-file F [--module PATH]" },
	{ "token", "keys", cmd_token_keys,
	  "token keys --token L [--pin-file F] [--module PATH]" },
	{ "token", "probe", cmd_token_probe,
	  "token probe --token L [--algorithm ALG] [--pin-file F] "
	  "[--module M] [--site SITE] [--json]" },
	{ "root", "create", cmd_root_create,
	  "root create --token L --label K --algorithm ALG --subject DN "
	  "--days N --out root.pem" },
	{ "tui", NULL, cmd_tui,
	  "tui [FILE] [--site SITE] [--module M] [--token L] [--pin-file F] "
	  "[--state S] [--media M]" },
	{ "quorum", "split", cmd_quorum_split,
	  "quorum split --threshold K --shares N [--pin-file F] [--label L] "
	  "[--out-dir DIR]" },
	{ "quorum", "combine", cmd_quorum_combine,
	  "quorum combine [--share-file F ...] [--out FILE]" },
	{ "intermediate", "sign", cmd_intermediate_sign,
	  "intermediate sign --token L --label K --issuer root.pem "
	  "--csr factory.csr --days N [--path-len 0] [--yes] --out inter.pem" },
	{ "cross", "sign", cmd_cross_sign,
	  "cross sign --token L --label K --issuer OLD-ROOT.pem "
	  "--cert NEW-ROOT.pem --days N [--yes] --out cross.pem" },
	{ "verification", "sign", cmd_verification_sign,
	  "verification sign --token L --label K --issuer root.pem "
	  "--code CODE [--days 2] --out verification.pem" },
	{ "crl", NULL, cmd_crl,
	  "crl --token L --label K --issuer root.pem [--revoke inter.pem|SERIAL] "
	  "[--reason R] [--days 365] --out root.crl" },
	{ "register", "list", cmd_register_list,
	  "register list [--state DIR]" },
	{ "status", NULL, cmd_status,
	  "status [--state DIR] [--warn-days N] [--json]" },
	{ "run", NULL, cmd_run,
	  "run FILE --site SITE [--batch] (or --module --token --pin-file "
	  "--state --media)" },
	{ "transcript", "verify", cmd_transcript_verify,
	  "transcript verify FILE [--digest HEX]" },
	{ "export", NULL, cmd_export,
	  "export --state DIR --to MEDIA" },
	{ "import", NULL, cmd_import,
	  "import --from MEDIA --state DIR [--expect-sha256 HEX]" },
	{ "script", NULL, cmd_script,
	  "script FILE [--site SITE] [--paper a4|letter] [--format pdf|text] "
	  "--out script.pdf" },
	{ "report", NULL, cmd_report,
	  "report TRANSCRIPT [--state DIR] [--digest HEX] [--paper a4|letter] "
	  "[--format pdf|text] --out report.pdf" },
	{ NULL, NULL, NULL, NULL }
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

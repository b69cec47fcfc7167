/* main.c: factorysign, the factory's device-certificate signer (no HSM).
 * Hardening, then the command table; every command lives in its own
 * cmd_*.c. */
#include "config.h"

#include <stddef.h>

#include "commands.h"
#include "front.h"

static const struct kc_cmd commands[] = {
	{ "init", NULL, cmd_init,
	  "init --dir D --subject DN --algorithm ALG [--pass-file F] [--rekey]",
	  &cmd_init_opts },
	{ "install", NULL, cmd_install,
	  "install --dir D --cert inter.pem --root root.pem",
	  &cmd_install_opts },
	{ "sign", NULL, cmd_sign,
	  "sign --dir D --csr device.csr [--id ID] [--days N] "
	  "[--format LIST] --out-dir OUT", &cmd_sign_opts },
	{ "batch", NULL, cmd_batch,
	  "batch --dir D --csr-dir IN --out-dir OUT [--format LIST]",
	  &cmd_batch_opts },
	{ "issue", NULL, cmd_issue,
	  "issue --dir D (--ids FILE | --count N --prefix P) --out-dir OUT "
	  "[--format LIST]", &cmd_issue_opts },
	{ "verification", NULL, cmd_verification,
	  "verification --dir D --code CODE --out v.pem",
	  &cmd_verification_opts },
	{ "crl", NULL, cmd_crl,
	  "crl --dir D [--revoke ID|SERIAL|CERT ...] [--reason R] [--days N] "
	  "--out intermediate.crl", &cmd_crl_opts },
	{ "check", NULL, cmd_check,
	  "check --cert C --key K --root R [--id ID]", &cmd_check_opts },
	{ "keygen", NULL, cmd_keygen,
	  "keygen --dir D --input FILE [--sec-tag T] [--ca-file CA.pem] "
	  "--out-dir OUT", &cmd_keygen_opts },
	{ "attest", NULL, cmd_attest,
	  "attest --input FILE [--json]", &cmd_attest_opts },
	{ "ledger", "export", cmd_ledger_export,
	  "ledger export --dir D --format csv [--out F]",
	  &cmd_ledger_export_opts },
	{ "ledger", "verify", cmd_ledger_verify,
	  "ledger verify --dir D", &cmd_ledger_verify_opts },
	{ "ledger", "migrate", cmd_ledger_migrate,
	  "ledger migrate --dir D --to URI", &cmd_ledger_migrate_opts },
	{ "status", NULL, cmd_status,
	  "status --dir D [--warn-days N] [--json]", &cmd_status_opts },
	{ "provision", NULL, cmd_provision,
	  "provision --dir D --port DEV --sec-tag T --out-dir OUT [--watch]",
	  &cmd_provision_opts },
	{ NULL, NULL, NULL, NULL, NULL }
};

int
main(int argc, char **argv)
{
	kc_front_init("factorysign");
	return kc_front_dispatch(commands, argc, argv);
}

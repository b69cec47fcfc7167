/* cmd_init.c: factorysign init: the intermediate key and its CSR. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *subject, *alg, *pass_file;
	int rekey;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, subject, "subject", "DN", "the intermediate's subject (\"/CN=Factory 1/O=Example\")"),
	KC_O_STR_REQ(A, alg, "algorithm", "ALG", "ec-p256, ec-p384, rsa-3072 or rsa-4096"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the new key's passphrase from F (mode 0600);\n"
	    "else asked twice on the terminal"),
	KC_O_FLAG(A, rekey, "rekey", "a second key and CSR in D/rekey/ beside the active\n"
	    "ones, for a new intermediate (install switches D to it)"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_init_opts = {
	"init",
	"init [--dir D] --subject DN --algorithm ec-p256|ec-p384|rsa-3072|rsa-4096\n"
	"           [--pass-file F] [--rekey]",
	"Makes D/intermediate.key (encrypted) and D/intermediate.csr for the\n"
	"ceremony; an existing key is never overwritten. --rekey: the new key\n"
	"and CSR go to D/rekey/ (a subject of their own); D keeps signing with\n"
	"the active key until install gets the new key's certificate.\n",
	opts, 0, 0, NULL, 0
};

int
cmd_init(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, NULL, NULL, NULL, 0 };
	char kdir[4096];
	struct kc_secret *pass = NULL;
	enum kc_alg alg;
	char *csr = NULL;
	int rc;

	if ((rc = kc_opt_parse(&cmd_init_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if ((rc = kc_alg_parse(a.alg, &alg)) != KC_OK ||
	    (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384 &&
	    alg != KC_ALG_RSA_3072 && alg != KC_ALG_RSA_4096))
		return kc_front_usage("init: --algorithm '%s': use ec-p256, "
		    "ec-p384, rsa-3072 or rsa-4096", a.alg);
	if (a.rekey && kc_ledger_chosen_uri() != NULL)
		return kc_front_usage("init: --rekey keeps D's ledger; "
		    "--ledger is for a new factory directory");
	snprintf(kdir, sizeof(kdir), "%s%s", a.dir, a.rekey ?
	    "/" KC_FACTORY_REKEY : "");
	if ((rc = fs_pass(kdir, a.pass_file, 1, &pass)) == KC_OK)
		rc = a.rekey ? kc_factory_rekey(a.dir, a.subject, alg, pass,
		    &csr) : kc_factory_init(a.dir, a.subject, alg, pass, &csr);
	kc_secret_free(pass);
	/* --ledger: every later command of D uses it (D/ledger.conf) */
	if (rc == KC_OK && kc_ledger_chosen_uri() != NULL &&
	    (rc = kc_ledger_config_write(a.dir, kc_ledger_chosen_uri(),
	    kc_ledger_chosen_station())) == KC_OK)
		printf("%s/ledger.conf: the ledger is the PostgreSQL server "
		    "given, station %s\n", a.dir, kc_ledger_chosen_station() ?
		    kc_ledger_chosen_station() : "(the host name)");
	if (rc != KC_OK) {
		free(csr);
		return kc_front_fail(rc);
	}
	printf("%s/intermediate.key: new %s key, encrypted (AES-256, scrypt)\n"
	    "%s: take it to the ceremony; then run\n"
	    "  %s install --dir %s --cert intermediate.pem --root root.pem\n",
	    kdir, a.alg, csr, kc_progname, a.dir);
	if (a.rekey)
		printf("%s keeps signing with its active key until then; "
		    "install retires that key to %s/%s/SERIAL/\n", a.dir,
		    a.dir, KC_FACTORY_PREVIOUS);
	free(csr);
	return KC_EXIT_OK;
}

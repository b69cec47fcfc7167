/* cmd_init.c: factorysign init: the intermediate key and its CSR. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char usage[] = "init --dir D --subject DN --algorithm "
    "ec-p256|ec-p384|rsa-3072|rsa-4096 [--pass-file F]";

struct args {
	const char *dir, *subject, *alg, *pass_file;
};

static int
set(int val, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (val) {
	case 'd': a->dir = arg; break;
	case 's': a->subject = arg; break;
	case 'a': a->alg = arg; break;
	case 'p': a->pass_file = arg; break;
	}
	return -1;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "subject", required_argument, NULL, 's' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a = { KC_FACTORY_DIR, NULL, NULL, NULL };
	struct kc_secret *pass = NULL;
	enum kc_alg alg;
	char *csr = NULL;
	int rc;

	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.subject == NULL || a.alg == NULL)
		return kc_front_usage("init: --subject and --algorithm are "
		    "required\nusage: %s %s", kc_progname, usage);
	if ((rc = kc_alg_parse(a.alg, &alg)) != KC_OK ||
	    (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384 &&
	    alg != KC_ALG_RSA_3072 && alg != KC_ALG_RSA_4096))
		return kc_front_usage("init: --algorithm '%s': use ec-p256, "
		    "ec-p384, rsa-3072 or rsa-4096", a.alg);
	if ((rc = fs_pass(a.dir, a.pass_file, 1, &pass)) == KC_OK)
		rc = kc_factory_init(a.dir, a.subject, alg, pass, &csr);
	kc_secret_free(pass);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	printf("%s/intermediate.key: new %s key, encrypted (AES-256, scrypt)\n"
	    "%s: take it to the ceremony; then run\n"
	    "  %s install --dir %s --cert intermediate.pem --root root.pem\n",
	    a.dir, a.alg, csr, kc_progname, a.dir);
	free(csr);
	return KC_EXIT_OK;
}

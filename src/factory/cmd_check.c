/* cmd_check.c: factorysign check: diagnose a device credential set. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *cert, *key, *root, *id, *key_pass_file;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR_REQ(A, cert, "cert", "FILE", "the certificate chain as the device presents it"),
	KC_O_STR_REQ(A, key, "key", "FILE", "the device's private key"),
	KC_O_STR_REQ(A, root, "root", "FILE", "the root (or bundle of roots) the broker or DPS trusts"),
	KC_O_STR(A, id, "id", "ID", "the registration ID the device connects with"),
	KC_O_STR(A, key_pass_file, "key-pass-file", "F", "the passphrase of an encrypted --key, from F"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_check_opts = {
	"check",
	"check --cert C --key K --root R [--id ID] [--key-pass-file F]",
	"One line per finding: ok:, warning: or PROBLEM: with the fix; exit\n"
	"status 1 when there is a problem.\n",
	opts, 0, 0, NULL, 0
};

static void
print(int sev, const char *finding, const char *fix, void *arg)
{
	(void)arg;
	/* findings quote names and CNs from the files */
	if (sev == 0)
		printf("ok:      %s\n", kc_disp(finding));
	else
		printf("%s %s; fix: %s\n", sev == 1 ? "warning:" : "PROBLEM:",
		    kc_disp(finding), kc_disp(fix));
}

int
cmd_check(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL, NULL, NULL };
	struct kc_secret *pass = NULL;
	int rc;

	if ((rc = kc_opt_parse(&cmd_check_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if (a.key_pass_file != NULL &&
	    (rc = kc_secret_read_file(a.key_pass_file, "passphrase", &pass)))
		return kc_front_fail(rc);
	rc = kc_factory_check(a.cert, a.key, a.root, a.id, pass, time(NULL),
	    print, NULL);
	kc_secret_free(pass);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	printf("no problem found\n");
	return KC_EXIT_OK;
}

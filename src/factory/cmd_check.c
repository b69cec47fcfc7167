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

static const char usage[] = "check --cert C --key K --root R [--id ID] "
    "[--key-pass-file F]";

struct args {
	const char *cert, *key, *root, *id, *key_pass_file;
};

static int
set(int val, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (val) {
	case 'c': a->cert = arg; break;
	case 'k': a->key = arg; break;
	case 'r': a->root = arg; break;
	case 'i': a->id = arg; break;
	case 'p': a->key_pass_file = arg; break;
	}
	return -1;
}

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
	static const struct option lo[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "root", required_argument, NULL, 'r' },
		{ "id", required_argument, NULL, 'i' },
		{ "key-pass-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a = { NULL, NULL, NULL, NULL, NULL };
	struct kc_secret *pass = NULL;
	int rc;

	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.cert == NULL || a.root == NULL || a.key == NULL)
		return kc_front_usage("check: --cert, --key and --root are "
		    "required\nusage: %s %s", kc_progname, usage);
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

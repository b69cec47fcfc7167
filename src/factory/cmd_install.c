/* cmd_install.c: factorysign install: keep the signed intermediate and
 * its root after checking them against D's key. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char usage[] = "install --dir D --cert inter.pem --root root.pem";

struct args {
	const char *dir, *cert, *root;
};

static int
set(int val, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (val) {
	case 'd': a->dir = arg; break;
	case 'c': a->cert = arg; break;
	case 'r': a->root = arg; break;
	}
	return -1;
}

int
cmd_install(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "cert", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a = { KC_FACTORY_DIR, NULL, NULL };
	struct kc_factory_install_info info;
	char d[32];
	struct tm tm;
	int rc;

	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.cert == NULL || a.root == NULL)
		return kc_front_usage("install: --cert and --root are required"
		    "\nusage: %s %s", kc_progname, usage);
	if ((rc = kc_factory_install(a.dir, a.cert, a.root, &info)) != KC_OK)
		return kc_front_fail(rc);
	gmtime_r(&info.not_after, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M UTC", &tm);
	printf("installed %s\n  issued by %s\n  valid until %s\n"
	    "  SHA-256 %s\n", info.subject, info.root_subject, d,
	    kc_hash(info.fingerprint));
	return KC_EXIT_OK;
}

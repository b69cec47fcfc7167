/* cmd_verification.c: factorysign verification: the DPS proof-of-
 * possession certificate for the intermediate. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "kc/core/display.h"
#include "kc/core/dps.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char usage[] = "verification --dir D --code CODE --out v.pem "
    "[--pass-file F]";

struct args {
	const char *dir, *code, *out, *pass_file;
};

static int
set(int val, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (val) {
	case 'd': a->dir = arg; break;
	case 'c': a->code = arg; break;
	case 'o': a->out = arg; break;
	case 'p': a->pass_file = arg; break;
	}
	return -1;
}

int
cmd_verification(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "code", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a = { KC_FACTORY_DIR, NULL, NULL, NULL };
	struct kc_factory *f;
	struct kc_factory_result res;
	char d[32];
	struct tm tm;
	int rc;

	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.code == NULL || a.out == NULL)
		return kc_front_usage("verification: --code and --out are "
		    "required\nusage: %s %s", kc_progname, usage);
	/* a code DPS would not accept is refused before the passphrase */
	if ((rc = kc_verification_code_check(a.code)) != KC_OK)
		return kc_front_fail(rc);
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		return rc;
	rc = kc_factory_verification(f, a.code, a.out, &res);
	kc_factory_close(f);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	gmtime_r(&res.not_after, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M UTC", &tm);
	printf("%s: verification certificate for code %s (serial %s), valid "
	    "until %s; upload it in DPS and press Verify\n", kc_disp(a.out),
	    kc_disp(a.code),
	    res.serial, d);
	return KC_EXIT_OK;
}

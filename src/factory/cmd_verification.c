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

struct args {
	const char *dir, *code, *out, *pass_file;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, code, "code", "CODE", "the verification code DPS shows (letters and digits)"),
	KC_O_STR_REQ(A, out, "out", "FILE", "the verification certificate (PEM); must not exist"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_verification_opts = {
	"verification",
	"verification [--dir D] --code CODE --out v.pem [--pass-file F]",
	"Upload the certificate in DPS and press Verify: it proves that you hold\n"
	"the intermediate's key (valid 2 days).\n",
	opts, 0, 0, NULL, 0
};

int
cmd_verification(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, NULL, NULL, NULL };
	struct kc_factory *f;
	struct kc_factory_result res;
	char d[32];
	struct tm tm;
	int rc;

	if ((rc = kc_opt_parse(&cmd_verification_opts, argc, argv, &a, NULL)) >=
	    0)
		return rc;
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

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

struct args {
	const char *dir, *cert, *root;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, cert, "cert", "FILE", "the intermediate certificate the ceremony signed"),
	KC_O_STR_REQ(A, root, "root", "FILE", "the root certificate it verifies to"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_install_opts = {
	"install",
	"install [--dir D] --cert inter.pem --root root.pem",
	"The certificate's key must be D's key (a renewal keeps the certificate\n"
	"it replaces in D/previous/SERIAL/) or the key of a pending rekey (D\n"
	"switches to it; the old key, CSR and certificate move to\n"
	"D/previous/SERIAL/); it must be a CA, verify to the root and both must\n"
	"be valid now.\n",
	opts, 0, 0, NULL, 0
};

int
cmd_install(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, NULL, NULL };
	struct kc_factory_install_info info;
	char d[32];
	struct tm tm;
	int rc;

	if ((rc = kc_opt_parse(&cmd_install_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if ((rc = kc_factory_install(a.dir, a.cert, a.root, &info)) != KC_OK)
		return kc_front_fail(rc);
	gmtime_r(&info.not_after, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M UTC", &tm);
	printf("installed %s\n  issued by %s\n  valid until %s\n"
	    "  SHA-256 %s\n", info.subject, info.root_subject, d,
	    kc_hash(info.fingerprint));
	if (info.rekeyed)
		printf("  switched %s to the new key; the old key (encrypted), "
		    "CSR, certificate and root are in %s (the devices it "
		    "signed still chain to it)\n", kc_disp(a.dir),
		    kc_disp(info.retired));
	else if (info.retired[0] != '\0')
		printf("  the certificate it replaces is kept in %s (the "
		    "devices it signed)\n", kc_disp(info.retired));
	return KC_EXIT_OK;
}

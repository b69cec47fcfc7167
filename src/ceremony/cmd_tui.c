/*
 * cmd_tui.c: keyceremony tui [FILE] [--site SITE] [overrides]: the guided
 * ceremony screens (src/ceremony/tui). `keyceremony` with no arguments starts it too.
 * The overrides are those of `keyceremony run`.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "tui/tui.h"

struct args {
	struct tui_opts o;
	struct kc_optlist roles, shares;
};

/* KC_OPT_FN: --network warn|refuse */
static int
network_fn(const char *value, void *target)
{
	if (strcmp(value, "warn") != 0 && strcmp(value, "refuse") != 0) {
		kc_front_usage("tui: --network: '%s' is not warn or refuse",
		    value);
		return -1;
	}
	*(const char **)target = value;
	return 0;
}

/* KC_OPT_FN: --role ROLE=NAME, at most TUI_MAX_ROLES */
static int
role_fn(const char *value, void *target)
{
	struct kc_optlist *l = target;

	if (strchr(value, '=') == NULL || *value == '=') {
		kc_front_usage("tui: --role: '%s' is not ROLE=NAME", value);
		return -1;
	}
	if (l->n == TUI_MAX_ROLES) {
		kc_front_usage("tui: too many --role");
		return -1;
	}
	l->v[l->n++] = value;
	return 0;
}

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, o.site, "site", "SITE", "site profile (module, token, directories)"),
	KC_O_STR(A, o.module, "module", "PATH", "PKCS#11 module (overrides the site)"),
	KC_O_STR(A, o.token, "token", "LABEL", "token label (overrides the site)"),
	KC_O_STR(A, o.pin_file, "pin-file", "FILE", "read the PIN from FILE instead of asking"),
	KC_O_STR(A, o.state, "state", "DIR", "state directory (overrides the site)"),
	KC_O_STR(A, o.media, "media", "DIR", "media directory (overrides the site)"),
	KC_O_STR(A, o.serial, "serial", "SERIAL", "token serial (overrides the site)"),
	KC_O_FN(A, o.network, "network", "POLICY", network_fn, "warn or refuse when an interface is up"),
	KC_O_FN(A, roles, "role", "ROLE=NAME", role_fn, "fills in who plays ROLE on the Roles screen"),
	KC_O_STR(A, o.ceremony_dir, "ceremony-dir", "DIR", "where the first screen looks for ceremony files\n"
	    "(default: ./ceremony, else " KC_DATADIR "/ceremony)"),
	KC_O_FLAG(A, o.quorum, "quorum", "custodians type PIN shares (quorum split)"),
	KC_O_STR(A, o.backup_medium, "backup-medium", "DIR", "a root-restore step: the backup medium"),
	KC_O_LIST(A, shares, "share-file", "FILE", "a root-restore step: a custodian's share sheet\n"
	    "(repeat K times); else typed on the Shares screen"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_tui_opts = {
	"tui",
	"tui [FILE] [--site SITE] [--module PATH] [--token LABEL]\n"
	"           [--pin-file FILE] [--state DIR] [--media DIR]\n"
	"           [--serial SERIAL] [--network POLICY] [--role ROLE=NAME ...]\n"
	"           [--ceremony-dir DIR] [--quorum]\n"
	"           [--backup-medium DIR [--share-file FILE ...]]",
	"\nFILE is the ceremony file (else chosen on the first screen).\n",
	opts, 0, 1, "[FILE]", 0
};

/*
 * Where the first screen looks for ceremony files when neither FILE nor
 * --ceremony-dir is given and there is no ./ceremony: the installed
 * examples (KC_DATADIR/ceremony, from the configure prefix). A keyceremony
 * run from its own build tree, not installed (make check, ./quickstart),
 * uses the source tree's ceremony/ instead: KC_BUILD_DIR and
 * KC_BUILD_SRCDIR are set at build time (mk/first-use-cli.mk) and used
 * only when this very binary lies in KC_BUILD_DIR.
 */
static const char *
default_ceremony_dir(char *buf, size_t bufsz)
{
#if defined(KC_BUILD_DIR) && defined(KC_BUILD_SRCDIR)
	char exe[PATH_MAX], bdir[PATH_MAX], sdir[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		if (realpath(KC_BUILD_DIR, bdir) != NULL &&
		    strcmp(exe, bdir) == 0 &&
		    realpath(KC_BUILD_SRCDIR, sdir) != NULL &&
		    snprintf(buf, bufsz, "%s/ceremony", sdir) < (int)bufsz)
			return buf;
	}
#else
	(void)buf;
	(void)bufsz;
#endif
	return KC_DATADIR "/ceremony";
}

int
cmd_tui(int argc, char **argv)
{
	struct args a;
	struct tui_opts o;
	char dirbuf[PATH_MAX];
	int rc, first;

	memset(&a, 0, sizeof(a));
	if ((rc = kc_opt_parse(&cmd_tui_opts, argc, argv, &a, &first)) >= 0)
		return rc;
	o = a.o;
	for (int i = 0; i < a.roles.n; i++)
		o.roles[i] = a.roles.v[i];
	o.nroles = a.roles.n;
	if (a.shares.n > 16)
		return kc_front_usage("tui: at most 16 --share-file");
	for (int i = 0; i < a.shares.n; i++)
		o.share_files[i] = a.shares.v[i];
	o.nshare_files = a.shares.n;
	if (first < argc)
		o.file = argv[first];
	if (o.ceremony_dir == NULL && o.file == NULL &&
	    access("ceremony", F_OK) != 0)
		o.ceremony_dir = default_ceremony_dir(dirbuf, sizeof(dirbuf));
	rc = tui_main(&o);
	if (rc == KC_ERR_ABORT)
		return KC_EXIT_FAIL;
	return rc == KC_OK ? KC_EXIT_OK : kc_front_fail(rc);
}

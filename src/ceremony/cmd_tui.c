/*
 * cmd_tui.c: keyceremony tui [FILE] [--site SITE] [overrides]: the guided
 * ceremony screens (src/ceremony/tui). `keyceremony` with no arguments starts it too.
 * The overrides are those of `keyceremony run`.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "commands.h"
#include "front.h"
#include "tui/tui.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: keyceremony tui [FILE] [--site SITE] [--module PATH] "
	    "[--token LABEL]\n"
	    "           [--pin-file FILE] [--state DIR] [--media DIR]\n"
	    "           [--serial SERIAL] [--network POLICY] [--role ROLE=NAME ...]\n"
	    "           [--ceremony-dir DIR] [--quorum]\n"
	    "  FILE               the ceremony file (else chosen on the first "
	    "screen)\n"
	    "  --site SITE        site profile (module, token, directories)\n"
	    "  --module PATH      PKCS#11 module (overrides the site)\n"
	    "  --token LABEL      token label (overrides the site)\n"
	    "  --pin-file FILE    read the PIN from FILE instead of asking\n"
	    "  --state DIR        state directory (overrides the site)\n"
	    "  --media DIR        media directory (overrides the site)\n"
	    "  --serial SERIAL    token serial (overrides the site)\n"
	    "  --network POLICY   warn or refuse when an interface is up\n"
	    "  --role ROLE=NAME   fills in who plays ROLE on the Roles screen\n"
	    "  --ceremony-dir DIR where the first screen looks for ceremony "
	    "files\n"
	    "                     (default: ./ceremony, else " KC_DATADIR
	    "/ceremony)\n"
	    "  --quorum           custodians type PIN shares (quorum split)\n");
}

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
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "module", required_argument, NULL, 'm' },
		{ "token", required_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 'S' },
		{ "media", required_argument, NULL, 'M' },
		{ "serial", required_argument, NULL, 'n' },
		{ "network", required_argument, NULL, 'w' },
		{ "role", required_argument, NULL, 'r' },
		{ "ceremony-dir", required_argument, NULL, 'd' },
		{ "quorum", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct tui_opts o;
	char dirbuf[PATH_MAX];
	int c, rc;

	memset(&o, 0, sizeof(o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.site = optarg; break;
		case 'm': o.module = optarg; break;
		case 't': o.token = optarg; break;
		case 'p': o.pin_file = optarg; break;
		case 'S': o.state = optarg; break;
		case 'M': o.media = optarg; break;
		case 'n': o.serial = optarg; break;
		case 'w':
			if (strcmp(optarg, "warn") != 0 &&
			    strcmp(optarg, "refuse") != 0)
				return kc_front_usage("tui: --network: '%s' is "
				    "not warn or refuse", optarg);
			o.network = optarg;
			break;
		case 'r':
			if (strchr(optarg, '=') == NULL || *optarg == '=')
				return kc_front_usage("tui: --role: '%s' is not "
				    "ROLE=NAME", optarg);
			if (o.nroles == (int)(sizeof(o.roles) /
			    sizeof(o.roles[0])))
				return kc_front_usage("tui: too many --role");
			o.roles[o.nroles++] = optarg;
			break;
		case 'd': o.ceremony_dir = optarg; break;
		case 'q': o.quorum = 1; break;
		case 'h': usage(stdout); return KC_EXIT_OK;
		default:
			usage(stderr);
			return kc_front_badopt("tui", argv);
		}
	}
	if (optind < argc)
		o.file = argv[optind++];
	if (optind < argc)
		return kc_front_usage("tui: unexpected argument '%s'",
		    argv[optind]);
	if (o.ceremony_dir == NULL && o.file == NULL &&
	    access("ceremony", F_OK) != 0)
		o.ceremony_dir = default_ceremony_dir(dirbuf, sizeof(dirbuf));
	rc = tui_main(&o);
	if (rc == KC_ERR_ABORT)
		return KC_EXIT_FAIL;
	return rc == KC_OK ? KC_EXIT_OK : kc_front_fail(rc);
}

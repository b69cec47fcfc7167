/*
 * cmd_tui.c: keyceremony tui [FILE] [--site SITE] [overrides]: the guided
 * ceremony screens (src/tui). `keyceremony` with no arguments starts it too.
 * The overrides are those of `keyceremony run`.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kc/error.h"
#include "commands.h"
#include "front.h"
#include "../tui/tui.h"

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
	    "  --quorum           custodians type PIN shares (quorum split)\n");
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
	rc = tui_main(&o);
	if (rc == KC_ERR_ABORT)
		return KC_EXIT_FAIL;
	return rc == KC_OK ? KC_EXIT_OK : kc_front_fail(rc);
}

/* cmd_import.c: keyceremony import: CSRs from removable media. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kc/ceremony/media.h"
#include "kc/core/display.h"
#include "kc/core/error.h"

#include "commands.h"
#include "front.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s import --from MEDIA --state DIR [--expect-sha256 HEX] "
	    "[NAME...]\n"
	    "\n"
	    "Brings the CSRs (*.csr, *.req, *.pem, *.der) and DPS verification\n"
	    "codes (*.code) on MEDIA, or only the files NAMEd, into the state\n"
	    "directory. Links, FIFOs, devices, hard links, other users' files\n"
	    "and files over 64 kB (CSRs) or 256 bytes (codes) are refused by\n"
	    "name; each CSR is parsed, its signature checked and its SHA-256\n"
	    "shown: compare it with the value the factory sent by another\n"
	    "channel, or give it with --expect-sha256.\n"
	    "\n"
	    "  --from MEDIA         the mounted medium (a directory)\n"
	    "  --state DIR          the ceremony's state directory\n"
	    "  --expect-sha256 HEX  the SHA-256 the CSR must have\n"
	    "  --help               this text\n",
	    kc_progname);
}

int
cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "expect-sha256", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_export_result res;
	const char *from = NULL, *state = NULL, *expect = NULL;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 's': state = optarg; break;
		case 'e': expect = optarg; break;
		case 'h':
			usage(stdout);
			return KC_EXIT_OK;
		case ':':
			usage(stderr);
			return kc_front_usage("import: option '%s' needs a value",
			    kc_front_optname(argv[optind - 1]));
		default:
			usage(stderr);
			return kc_front_usage("import: bad option '%s'",
			    kc_front_optname(argv[optind - 1]));
		}
	}
	if (from == NULL || state == NULL) {
		usage(stderr);
		return kc_front_usage("import: --from and --state are required");
	}
	rc = kc_media_import(from, state, optind < argc ?
	    (const char *const *)(argv + optind) : NULL, expect, &res);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	for (size_t i = 0; i < res.n; i++)
		printf("%s %s: %s/%s\n  SHA-256 %s\n", res.files[i].skipped ?
		    "already there" : "imported", kc_artefact_name(
		    res.files[i].type), kc_disp(state),
		    kc_disp(res.files[i].name), kc_hash(res.files[i].sha256));
	if (expect != NULL)
		printf("the CSR matches --expect-sha256\n");
	else
		printf("compare each SHA-256 with the value the factory sent by "
		    "another channel\n");
	kc_export_result_clear(&res);
	return KC_EXIT_OK;
}

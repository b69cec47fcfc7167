/* cmd_export.c: keyceremony export: public artefacts to removable media. */
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
	    "usage: %s export --state DIR --to MEDIA\n"
	    "\n"
	    "Copies the public artefacts of the state directory to MEDIA and\n"
	    "writes SHA256SUMS there. Export is a whitelist: certificates and\n"
	    "CRLs (one object per file, re-encoded), CSRs (signature checked),\n"
	    "transcripts that verify, verification codes the register recorded\n"
	    "and the register dump; any other file, link or FIFO in the state\n"
	    "directory, any link, FIFO or device on MEDIA, a SHA256SUMS line\n"
	    "that is not '<hex>  <name>', or private key material anywhere\n"
	    "refuses the export by name and nothing is written. Files are\n"
	    "written atomically and read back; on failure the media is left as\n"
	    "it was.\n"
	    "\n"
	    "  --state DIR  the ceremony's state directory\n"
	    "  --to MEDIA   the mounted medium (a directory)\n"
	    "  --help       this text\n",
	    kc_progname);
}

int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_export_result res;
	const char *state = NULL, *to = NULL;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 't': to = optarg; break;
		case 'h':
			usage(stdout);
			return KC_EXIT_OK;
		case ':':
			usage(stderr);
			return kc_front_usage("export: option '%s' needs a value",
			    kc_front_optname(argv[optind - 1]));
		default:
			usage(stderr);
			return kc_front_usage("export: bad option '%s'",
			    kc_front_optname(argv[optind - 1]));
		}
	}
	if (optind != argc) {
		usage(stderr);
		return kc_front_usage("export: unexpected argument '%s'",
		    argv[optind]);
	}
	if (state == NULL || to == NULL) {
		usage(stderr);
		return kc_front_usage("export: --state and --to are required");
	}
	if ((rc = kc_media_export(state, to, 0, &res)) != KC_OK)
		return kc_front_fail(rc);
	/* as import lists them; SHA256SUMS on the medium stays plain */
	for (size_t i = 0; i < res.n; i++)
		printf("%s  (%s%s)\n  SHA-256 %s\n",
		    kc_disp(res.files[i].name), kc_artefact_name(
		    res.files[i].type), res.files[i].skipped ?
		    ", already there" : "", kc_hash(res.files[i].sha256));
	printf("%zu file%s on %s, listed in SHA256SUMS and read back\n", res.n,
	    res.n == 1 ? "" : "s", kc_disp(to));
	kc_export_result_clear(&res);
	return KC_EXIT_OK;
}

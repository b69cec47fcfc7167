/* cmd_export.c: keyceremony export: public artefacts to removable media. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kc/ceremony/media.h"
#include "kc/core/display.h"
#include "kc/core/error.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

struct args {
	const char *state, *to;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, state, "state", "DIR", "the ceremony's state directory"),
	KC_O_STR(struct args, to, "to", "MEDIA", "the mounted medium (a directory)"),
	KC_O_END
};

const struct kc_optdef cmd_export_opts = {
	"export", "export --state DIR --to MEDIA [--quiet|--verbose]",
	"\nCopies the public artefacts of the state directory to MEDIA and\n"
	"writes SHA256SUMS there. Export is a whitelist: certificates and\n"
	"CRLs (one object per file, re-encoded), CSRs (signature checked),\n"
	"transcripts that verify, verification codes the register recorded,\n"
	"a CRL's revocation actions (*.revocation-actions.txt) only when they\n"
	"are byte for byte what the CRL and the state directory regenerate,\n"
	"and the register dump; any other file, link or FIFO in the state\n"
	"directory, any link, FIFO or device on MEDIA, a SHA256SUMS line\n"
	"that is not '<hex>  <name>', a root key backup medium (backup.wrapped\n"
	"or backup.manifest on MEDIA), or private key material anywhere\n"
	"refuses the export by name and nothing is written. Files are\n"
	"written atomically and read back; on failure the media is left as\n"
	"it was.\n",
	opts, 0, 0, NULL, KC_OPTDEF_VERBOSITY
};

int
cmd_export(int argc, char **argv)
{
	struct args a = { NULL, NULL };
	struct kc_export_result res;
	const char *state, *to;
	int rc;

	if ((rc = kc_opt_parse(&cmd_export_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	state = a.state;
	to = a.to;
	if (state == NULL || to == NULL) {
		kc_opt_usage_line(&cmd_export_opts, stderr);
		return kc_front_usage("export: --state and --to are required");
	}
	kc_front_verbose("export: checking every file of %s against the "
	    "whitelist, then writing to %s", state, to);
	if ((rc = kc_media_export(state, to, 0, &res)) != KC_OK)
		return kc_front_fail(rc);
	if (kc_front_verbosity < 0) {
		kc_export_result_clear(&res);
		return KC_EXIT_OK;
	}
	/* as import lists them; SHA256SUMS on the medium stays plain */
	for (size_t i = 0; i < res.n; i++)
		printf("%s  (%s%s)\n  SHA-256 %s\n",
		    kc_disp(res.files[i].name), kc_artefact_name(
		    res.files[i].type), res.files[i].skipped ?
		    ", already there" : "", kc_hash(res.files[i].sha256));
	kc_front_verbose("export: %zu written atomically, read back and "
	    "listed in %s/SHA256SUMS", res.n, to);
	printf("%zu file%s on %s, listed in SHA256SUMS and read back\n", res.n,
	    res.n == 1 ? "" : "s", kc_disp(to));
	kc_export_result_clear(&res);
	return KC_EXIT_OK;
}

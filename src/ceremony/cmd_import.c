/* cmd_import.c: keyceremony import: CSRs from removable media. */
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
	const char *from, *state, *expect;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, from, "from", "MEDIA", "the mounted medium (a directory)"),
	KC_O_STR(struct args, state, "state", "DIR", "the ceremony's state directory"),
	KC_O_STR(struct args, expect, "expect-sha256", "HEX", "the SHA-256 the CSR must have"),
	KC_O_END
};

const struct kc_optdef cmd_import_opts = {
	"import", "import --from MEDIA --state DIR [--expect-sha256 HEX] "
	"[--quiet|--verbose] [NAME...]",
	"\nBrings the CSRs (*.csr, *.req, *.pem, *.der) and DPS verification\n"
	"codes (*.code) on MEDIA, or only the files NAMEd, into the state\n"
	"directory. Links, FIFOs, devices, hard links, other users' files\n"
	"and files over 64 kB (CSRs) or 256 bytes (codes) are refused by\n"
	"name; each CSR is parsed, its signature checked and its SHA-256\n"
	"shown: compare it with the value the factory sent by another\n"
	"channel, or give it with --expect-sha256.\n",
	opts, 0, -1, "NAME...", KC_OPTDEF_VERBOSITY
};

int
cmd_import(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL };
	struct kc_export_result res;
	const char *from, *state, *expect;
	int rc, first;

	if ((rc = kc_opt_parse(&cmd_import_opts, argc, argv, &a, &first)) >= 0)
		return rc;
	from = a.from;
	state = a.state;
	expect = a.expect;
	if (from == NULL || state == NULL) {
		kc_opt_usage_line(&cmd_import_opts, stderr);
		return kc_front_usage("import: --from and --state are required");
	}
	kc_front_verbose("import: reading %s of %s into %s (each CSR parsed and "
	    "its signature checked)", first < argc ? "the files named" :
	    "the CSRs and codes", from, state);
	rc = kc_media_import(from, state, first < argc ?
	    (const char *const *)(argv + first) : NULL, expect, &res);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (kc_front_verbosity < 0) {
		kc_export_result_clear(&res);
		return KC_EXIT_OK;
	}
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

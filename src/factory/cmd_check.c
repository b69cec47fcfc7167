/* cmd_check.c: factorysign check: diagnose a device credential set. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *cert, *key, *root, *id, *key_pass_file;
	int json;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR_REQ(A, cert, "cert", "FILE", "the certificate chain as the device presents it"),
	KC_O_STR_REQ(A, key, "key", "FILE", "the device's private key"),
	KC_O_STR_REQ(A, root, "root", "FILE", "the root (or bundle of roots) the broker or DPS trusts"),
	KC_O_STR(A, id, "id", "ID", "the registration ID the device connects with"),
	KC_O_STR(A, key_pass_file, "key-pass-file", "F", "the passphrase of an encrypted --key, from F"),
	KC_O_FLAG(A, json, "json", "the findings as one JSON document (docs/json.md)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_check_opts = {
	"check",
	"check --cert C --key K --root R [--id ID] [--key-pass-file F] [--json]",
	"One line per finding: ok:, warning: or PROBLEM: with the fix; exit\n"
	"status 1 when there is a problem.\n",
	opts, 0, 0, NULL, 0
};

/* the findings of one run; with --json the document is built in f and
 * printed only when the check ran (docs/json.md: no document on an
 * error) */
struct report {
	FILE	*f;
	long	 n, warnings, problems;
};

static void
print(int sev, const char *finding, const char *fix, void *arg)
{
	static const char *const name[3] = { "ok", "warning", "problem" };
	struct report *r = arg;

	r->n++;
	r->warnings += sev == 1;
	r->problems += sev == 2;
	if (r->f == NULL) {
		/* findings quote names and CNs from the files */
		if (sev == 0)
			printf("ok:      %s\n", kc_disp(finding));
		else
			printf("%s %s; fix: %s\n", sev == 1 ? "warning:" :
			    "PROBLEM:", kc_disp(finding), kc_disp(fix));
		return;
	}
	fprintf(r->f, "%s\n    {\"severity\": \"%s\", \"finding\": ",
	    r->n > 1 ? "," : "", name[sev < 0 ? 0 : sev > 2 ? 2 : sev]);
	kc_front_json_bytes_fp(r->f, finding);
	fputs(", \"fix\": ", r->f);
	if (sev == 0)
		fputs("null", r->f);
	else
		kc_front_json_bytes_fp(r->f, fix);
	fputc('}', r->f);
}

/* --json: the head of the document, before the findings */
static void
json_head(FILE *f, const struct args *a)
{
	const char *const k[4] = { "cert", "key", "root", "id" };
	const char *const v[4] = { a->cert, a->key, a->root, a->id };

	fputs("{\n  \"schema\": 1,\n", f);
	for (int i = 0; i < 4; i++) {
		fprintf(f, "  \"%s\": ", k[i]);
		if (v[i] != NULL)
			kc_front_json_bytes_fp(f, v[i]);
		else
			fputs("null", f);
		fputs(",\n", f);
	}
	fputs("  \"findings\": [", f);
}

/* --json: the end of the document; problems > 0 is exit status 1 */
static void
json_tail(FILE *f, const struct report *r)
{
	fprintf(f, "%s],\n  \"warnings\": %ld,\n  \"problems\": %ld,\n"
	    "  \"ok\": %s\n}\n", r->n ? "\n  " : "", r->warnings, r->problems,
	    r->problems ? "false" : "true");
}

int
cmd_check(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL, NULL, NULL, 0 };
	struct report r = { NULL, 0, 0, 0 };
	struct kc_secret *pass = NULL;
	char *doc = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kc_opt_parse(&cmd_check_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if (a.key_pass_file != NULL &&
	    (rc = kc_secret_read_file(a.key_pass_file, "passphrase", &pass)))
		return kc_front_fail(rc);
	if (a.json && (r.f = open_memstream(&doc, &len)) == NULL) {
		kc_secret_free(pass);
		return kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
	}
	if (r.f != NULL)
		json_head(r.f, &a);
	rc = kc_factory_check(a.cert, a.key, a.root, a.id, pass, time(NULL),
	    print, &r);
	kc_secret_free(pass);
	if (r.f != NULL) {
		json_tail(r.f, &r);
		fclose(r.f);
		/* the findings are the report, problems included (exit 1);
		 * an input that cannot be read at all prints no document */
		if (rc == KC_OK || rc == KC_ERR_POLICY)
			fwrite(doc, 1, len, stdout);
		free(doc);
	}
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (!a.json)
		printf("no problem found\n");
	return KC_EXIT_OK;
}

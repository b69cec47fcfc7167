/* cmd_paper.c: keyceremony script and keyceremony report, the paper trail
 * (see kc/paper.h): a PDF (or --format text) written to --out, which must
 * not exist (created with link(2): no symlink followed, nothing replaced). */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/paper.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

struct paper_opts {
	const char		*site, *state, *out, *digest, *paper, *format;
	enum kc_paper_size	 size;
	int			 text;
};

/* KC_OPT_FN rows, not listed: an option of the other paper command, named
 * with the one to give instead */
static int
site_fn(const char *value, void *target)
{
	(void)value;
	(void)target;
	kc_front_usage("report: --site is for script; give --state DIR");
	return -1;
}

static int
state_fn(const char *value, void *target)
{
	(void)value;
	(void)target;
	kc_front_usage("script: --state is for report; give --site SITE");
	return -1;
}

static int
digest_fn(const char *value, void *target)
{
	(void)value;
	(void)target;
	kc_front_usage("script: --digest is for report");
	return -1;
}

#define A struct paper_opts
#define OTHER(m, name, fn) \
	{ name, KC_OPT_FN, offsetof(A, m), KC_OPT_HIDDEN, "X", NULL, 0, 0, fn }
#define PAPER_ROWS \
	KC_O_STR(A, paper, "paper", "SIZE", "a4 (default) or letter"), \
	KC_O_STR(A, format, "format", "F", "pdf (default) or text"), \
	KC_O_STR(A, out, "out", "FILE", "the document; must not exist (required)")

static const struct kc_opt script_opts[] = {
	KC_O_STR(A, site, "site", "SITE", "the site file (roles, places) printed in the script"),
	PAPER_ROWS,
	OTHER(state, "state", state_fn),
	OTHER(digest, "digest", digest_fn),
	KC_O_END
};

static const struct kc_opt report_opts[] = {
	KC_O_STR(A, state, "state", "DIR", "the state directory holding what the ceremony issued"),
	KC_O_STR(A, digest, "digest", "HEX|WORDS", "the final digest written on paper, compared"),
	PAPER_ROWS,
	OTHER(site, "site", site_fn),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_script_opts = {
	"script",
	"script FILE [--site SITE] [--paper a4|letter] [--format pdf|text] "
	"--out script.pdf",
	"\nThe ceremony script of FILE for printing before the day: the file's\n"
	"SHA-256 (hex, PGP words, QR code), the site, roles with initials and\n"
	"signature lines, the preflight checklist, each step with the values\n"
	"`run FILE --check` prints and boxes for what is observed, a closing page.\n",
	script_opts, 0, -1, "FILE", 0
};

const struct kc_optdef cmd_report_opts = {
	"report",
	"report TRANSCRIPT [--state DIR] [--digest HEX|WORDS] [--paper a4|letter]\n"
	"           [--format pdf|text] --out report.pdf",
	"\nThe ceremony report of a transcript that verifies: every record, each\n"
	"certificate and CRL issued (from DIR, matched by SHA-256), the preflight\n"
	"results, the module and token, the final digest (hex, PGP words, QR\n"
	"code), REHEARSAL for rehearsals, signature lines for every role.\n"
	"--digest: the final digest written on paper, compared.\n",
	report_opts, 0, -1, "TRANSCRIPT", 0
};

static int
parse(int argc, char **argv, int report, struct paper_opts *o,
    const char **file)
{
	const struct kc_optdef *def = report ? &cmd_report_opts :
	    &cmd_script_opts;
	int first, rc;

	memset(o, 0, sizeof(*o));
	o->size = KC_PAPER_A4;
	if ((rc = kc_opt_parse(def, argc, argv, o, &first)) >= 0)
		return rc == KC_EXIT_OK ? -1 : rc;
	if (o->paper != NULL &&
	    (rc = kc_paper_size_parse(o->paper, &o->size)) != KC_OK)
		return kc_front_fail(rc);
	if (o->format != NULL) {
		if (strcmp(o->format, "text") == 0)
			o->text = 1;
		else if (strcmp(o->format, "pdf") != 0)
			return kc_front_usage("--format %s: pdf or text",
			    kc_disp(o->format));
	}
	if (first + 1 != argc) {
		kc_opt_usage_line(def, stderr);
		return KC_EXIT_USAGE;
	}
	if (o->out == NULL)
		return kc_front_usage("%s: --out FILE is required", argv[0]);
	*file = argv[first];
	return KC_EXIT_OK;
}

/* Renders d and writes it to o->out (which must not exist). */
static int
write_doc(const struct paper_opts *o, const struct kc_paper *d)
{
	unsigned char *data = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc, pages = 0;

	if (o->text)
		rc = kc_paper_text(d, &text, &len);
	else
		rc = kc_paper_pdf(d, o->size, &data, &len, &pages);
	if (rc == KC_OK)
		rc = kc_file_write(o->out, o->text ? (void *)text : data, len,
		    0644, KC_WRITE_EXCL);
	free(data);
	free(text);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (o->text)
		printf("wrote %s (text, %zu bytes)\n", kc_disp_quoted(o->out),
		    len);
	else
		printf("wrote %s (PDF, %s, %d page%s, %zu bytes)\n",
		    kc_disp_quoted(o->out), o->size == KC_PAPER_A4 ? "A4" :
		    "letter", pages, pages == 1 ? "" : "s", len);
	return fflush(stdout) == 0 ? KC_EXIT_OK : KC_EXIT_FAIL;
}

int
cmd_script(int argc, char **argv)
{
	struct paper_opts o;
	struct kc_ceremony *cer = NULL;
	struct kc_site *site = NULL;
	struct kc_paper *d = NULL;
	const char *file;
	int rc, ex;

	if ((ex = parse(argc, argv, 0, &o, &file)) != KC_EXIT_OK)
		return ex < 0 ? KC_EXIT_OK : ex;
	if ((rc = kc_file_check_output(o.out)) != KC_OK ||
	    (rc = kc_ceremony_load(file, &cer)) != KC_OK ||
	    (o.site != NULL && (rc = kc_site_load(o.site, &site)) != KC_OK) ||
	    (rc = kc_paper_script(cer, site, &d)) != KC_OK) {
		ex = kc_front_fail(rc);
		goto out;
	}
	ex = write_doc(&o, d);
out:
	kc_paper_free(d);
	kc_site_free(site);
	kc_ceremony_free(cer);
	return ex;
}

int
cmd_report(int argc, char **argv)
{
	struct paper_opts o;
	struct kc_paper *d = NULL;
	const char *file;
	int rc, ex;

	if ((ex = parse(argc, argv, 1, &o, &file)) != KC_EXIT_OK)
		return ex < 0 ? KC_EXIT_OK : ex;
	if ((rc = kc_file_check_output(o.out)) != KC_OK ||
	    (rc = kc_paper_report(file, o.state, o.digest, &d)) != KC_OK) {
		ex = kc_front_fail(rc);
		goto out;
	}
	ex = write_doc(&o, d);
out:
	kc_paper_free(d);
	return ex;
}

/* cmd_paper.c: keyceremony script and keyceremony report, the paper trail
 * (see kc/paper.h): a PDF (or --format text) written to --out, which must
 * not exist (created with link(2): no symlink followed, nothing replaced). */
#include "config.h"

#include <getopt.h>
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

struct paper_opts {
	const char		*site, *state, *out, *digest;
	enum kc_paper_size	 size;
	int			 text;
};

static void
usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "script") == 0)
		fprintf(f, "usage: %s script FILE [--site SITE] [--paper a4|letter] "
		    "[--format pdf|text] --out script.pdf\n"
		    "\n"
		    "The ceremony script of FILE for printing before the day: "
		    "the file's\nSHA-256 (hex, PGP words, QR code), the site, "
		    "roles with initials and\nsignature lines, the preflight "
		    "checklist, each step with the values\n`run FILE --check` "
		    "prints and boxes for what is observed, a closing page.\n",
		    kc_progname);
	else
		fprintf(f, "usage: %s report TRANSCRIPT [--state DIR] [--digest "
		    "HEX|WORDS] [--paper a4|letter] [--format pdf|text] --out "
		    "report.pdf\n"
		    "\n"
		    "The ceremony report of a transcript that verifies: every "
		    "record, each\ncertificate and CRL issued (from DIR, "
		    "matched by SHA-256), the preflight\nresults, the module "
		    "and token, the final digest (hex, PGP words, QR\ncode), "
		    "REHEARSAL for rehearsals, signature lines for every role.\n"
		    "--digest: the final digest written on paper, compared.\n",
		    kc_progname);
}

static int
parse(int argc, char **argv, int report, struct paper_opts *o,
    const char **file)
{
	static const struct option lopts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'S' },
		{ "paper", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "digest", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->size = KC_PAPER_A4;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (report)
				return kc_front_usage("report: --site is for "
				    "script; give --state DIR");
			o->site = optarg;
			break;
		case 'S':
			if (!report)
				return kc_front_usage("script: --state is for "
				    "report; give --site SITE");
			o->state = optarg;
			break;
		case 'p':
			if ((rc = kc_paper_size_parse(optarg, &o->size)) !=
			    KC_OK)
				return kc_front_fail(rc);
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o->text = 1;
			else if (strcmp(optarg, "pdf") != 0)
				return kc_front_usage("--format %s: pdf or text",
				    kc_disp(optarg));
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'd':
			if (!report)
				return kc_front_usage("script: --digest is for "
				    "report");
			o->digest = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return -1;
		default:
			return kc_front_badopt(argv[0], argv);
		}
	}
	if (optind + 1 != argc) {
		usage(stderr, argv[0]);
		return KC_EXIT_USAGE;
	}
	if (o->out == NULL)
		return kc_front_usage("%s: --out FILE is required", argv[0]);
	*file = argv[optind];
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

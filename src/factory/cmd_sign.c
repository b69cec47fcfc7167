/* cmd_sign.c: factorysign sign: one device certificate from a CSR. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/error.h"
#include "kc/factory.h"
#include "kc/fileio.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char usage[] = "sign --dir D --csr device.csr [--id ID] "
    "[--days N] [--format pem,c,at] [--sec-tag N] [--reissue] "
    "[--pass-file F] --out-dir OUT";

struct args {
	const char *dir, *csr, *id, *pass_file, *format;
	struct kc_factory_opts o;
	int bad;
};

static int
set(int val, const char *arg, void *ctx)
{
	struct args *a = ctx;
	long v;

	switch (val) {
	case 'd': a->dir = arg; break;
	case 'c': a->csr = arg; break;
	case 'i': a->id = arg; break;
	case 'p': a->pass_file = arg; break;
	case 'f': a->format = arg; break;
	case 'o': a->o.out_dir = arg; break;
	case 'r': a->o.reissue = 1; break;
	case 'n':
		if (fs_int("--days", arg, 1, KC_DAYS_MAX, &v) != 0)
			return KC_EXIT_USAGE;
		a->o.days = (int)v;
		break;
	case 't':
		if (fs_int("--sec-tag", arg, 0, 2147483647L, &v) != 0)
			return KC_EXIT_USAGE;
		a->o.sec_tag = (int)v;
		break;
	}
	return -1;
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "csr", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "days", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "sec-tag", required_argument, NULL, 't' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "reissue", no_argument, NULL, 'r' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a;
	struct kc_factory *f = NULL;
	struct kc_factory_result res;
	unsigned char *data = NULL;
	size_t len;
	int rc;

	memset(&a, 0, sizeof(a));
	a.dir = KC_FACTORY_DIR;
	a.o.sec_tag = -1;
	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.csr == NULL || a.o.out_dir == NULL)
		return kc_front_usage("sign: --csr and --out-dir are required"
		    "\nusage: %s %s", kc_progname, usage);
	if (a.format != NULL &&
	    (rc = kc_format_parse(a.format, &a.o.formats)) != KC_OK)
		return kc_front_fail(rc);
	/* options and input first: nothing is asked or opened for a
	 * command line that cannot work */
	if ((rc = kc_factory_check_opts(NULL, &a.o, 0)) != KC_OK ||
	    (rc = kc_file_read(a.csr, KC_FILE_MAX, &data, &len)) != KC_OK)
		return kc_front_fail(rc);
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		goto out;
	if ((rc = kc_factory_check_opts(f, &a.o, 0)) != KC_OK ||
	    (rc = kc_factory_issue(f, data, len, a.csr, a.id, &a.o, &res))) {
		rc = kc_front_fail(rc);
		goto out;
	}
	fs_print_result(&res, a.o.out_dir);
	rc = KC_EXIT_OK;
out:
	kc_factory_close(f);
	free(data);
	return rc;
}

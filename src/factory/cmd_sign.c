/* cmd_sign.c: factorysign sign: one device certificate from a CSR. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char usage[] = "sign --dir D --csr device.csr [--id ID] "
    "[--days N] [--backdate S] [--format pem,pfx,c,at] [--sec-tag N] [--strict-size] "
    "[--key device.key.pem [--key-pass-file F] --pfx-pass-file F] "
    "[--reissue] [--pass-file F] --out-dir OUT";

struct args {
	const char *dir, *csr, *id, *pass_file, *format;
	const char *key, *key_file, *pfx_file;
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
	case 'K': a->key = arg; break;
	case 'k': a->key_file = arg; break;
	case 'x': a->pfx_file = arg; break;
	case 'S': a->o.strict_size = 1; break;
	case 'B':
		if (fs_backdate(arg, &a->o.backdate) != 0)
			return KC_EXIT_USAGE;
		break;
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

/* --key: the device's key, asked for its passphrase when it is encrypted
 * and no --key-pass-file is given; it must be the CSR's key. */
static int
device_key(const struct args *a, const unsigned char *csr, size_t len,
    EVP_PKEY **out)
{
	struct kc_secret *kp = NULL;
	int rc;

	if (a->key_file != NULL && (rc = kc_secret_read_file(a->key_file,
	    "device key passphrase", &kp)) != KC_OK)
		return rc;
	rc = kc_factory_device_key(a->key, kp, csr, len, a->csr, out);
	if (rc == KC_ERR_PIN && kp == NULL) {
		if ((rc = kc_front_secret_for(NULL, "device key passphrase",
		    a->key, 0, &kp)) == KC_OK)
			rc = kc_factory_device_key(a->key, kp, csr, len, a->csr,
			    out);
	}
	kc_secret_free(kp);
	return rc;
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "csr", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "days", required_argument, NULL, 'n' },
		{ "backdate", required_argument, NULL, 'B' },
		{ "format", required_argument, NULL, 'f' },
		{ "sec-tag", required_argument, NULL, 't' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "reissue", no_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'K' },
		{ "key-pass-file", required_argument, NULL, 'k' },
		{ "pfx-pass-file", required_argument, NULL, 'x' },
		{ "strict-size", no_argument, NULL, 'S' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct args a;
	struct kc_factory *f = NULL;
	struct kc_factory_result res;
	struct kc_secret *pfx = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *data = NULL;
	char pfx_file[1100];
	size_t len;
	int rc;

	memset(&a, 0, sizeof(a));
	a.dir = KC_FACTORY_DIR;
	a.o.sec_tag = -1;
	/* the same CSR again is a rerun (as in batch): already issued, its
	 * files checked and repaired from the ledger */
	a.o.resume = 1;
	if ((rc = fs_getopt(argc, argv, lo, usage, set, &a)) >= 0)
		return rc;
	if (a.csr == NULL || a.o.out_dir == NULL)
		return kc_front_usage("sign: --csr and --out-dir are required"
		    "\nusage: %s %s", kc_progname, usage);
	if (a.format != NULL &&
	    (rc = kc_format_parse(a.format, &a.o.formats)) != KC_OK)
		return kc_front_fail(rc);
	if ((a.key != NULL || a.key_file != NULL || a.pfx_file != NULL) &&
	    !(a.o.formats & KC_FMT_PFX))
		return kc_front_usage("sign: --key, --key-pass-file and "
		    "--pfx-pass-file go with --format pfx");
	if (a.key_file != NULL && a.key == NULL)
		return kc_front_usage("sign: --key-pass-file needs --key");
	/* options and input first: nothing is asked or opened for a
	 * command line that cannot work */
	if ((rc = kc_factory_check_formats(&a.o, 0, a.key != NULL)) != KC_OK)
		return kc_front_fail(rc);
	/* --key: the key is checked against the CSR before any other
	 * secret is asked for */
	if (a.key != NULL && ((rc = kc_file_read(a.csr, KC_FILE_MAX, &data,
	    &len)) != KC_OK || (rc = device_key(&a, data, len, &key)) !=
	    KC_OK))
		goto fail;
	a.o.device_key = key;
	snprintf(pfx_file, sizeof(pfx_file), "%s/ID.pfx", a.o.out_dir);
	if ((a.o.formats & KC_FMT_PFX) && (rc = kc_front_secret_for(a.pfx_file,
	    "PKCS#12 password", pfx_file, 1, &pfx)) != KC_OK)
		goto fail;
	a.o.pfx_pass = pfx;
	/* the CSR's form, subject and ID are refused before the
	 * intermediate key's passphrase is asked for */
	if ((rc = kc_factory_check_opts(NULL, &a.o, 0)) != KC_OK ||
	    (data == NULL &&
	    (rc = kc_file_read(a.csr, KC_FILE_MAX, &data, &len)) != KC_OK) ||
	    (rc = kc_factory_csr_precheck(data, len, a.csr, a.id)) != KC_OK)
		goto fail;
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		goto out;
	if ((rc = kc_factory_check_opts(f, &a.o, 0)) != KC_OK ||
	    (rc = kc_factory_issue(f, data, len, a.csr, a.id, &a.o, &res))) {
		rc = kc_front_fail(rc);
		goto out;
	}
	fs_print_result(&res, a.o.out_dir);
	rc = KC_EXIT_OK;
	goto out;
fail:
	rc = kc_front_fail(rc);
out:
	kc_factory_close(f);
	kc_secret_free(pfx);
	EVP_PKEY_free(key);
	free(data);
	return rc;
}

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

struct args {
	const char *dir, *csr, *id, *pass_file, *format;
	const char *key, *key_file, *pfx_file;
	struct kc_factory_opts o;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, csr, "csr", "FILE", "the device's CSR (PEM or DER); its CN is the device ID"),
	KC_O_STR(A, id, "id", "ID", "the device ID the CSR's CN must equal"),
	KC_O_FN(A, o.days, "days", "N", fs_opt_days, "validity in days (default 365), within the intermediate's"),
	KC_O_FN(A, o.backdate, "backdate", "S", fs_opt_backdate, "notBefore S seconds before signing (default 3600;\n"
	    "0 to 86400, 0: none)"),
	KC_O_STR(A, format, "format", "LIST", "pem (default), pfx, c, at, comma-separated"),
	KC_O_FN(A, o.sec_tag, "sec-tag", "N", fs_opt_sec_tag, "the modem's sec_tag (--format at)"),
	KC_O_FLAG(A, o.strict_size, "strict-size", "refuse outputs past the modem's and C99's size limits"),
	KC_O_STR(A, key, "key", "FILE", "the device's key, for --format pfx (must be the CSR's)"),
	KC_O_STR(A, key_file, "key-pass-file", "F", "the passphrase of an encrypted --key, from F"),
	KC_O_STR(A, pfx_file, "pfx-pass-file", "F", "the PKCS#12 password from F (mode 0600);\n"
	    "else asked twice on the terminal"),
	KC_O_FLAG(A, o.reissue, "reissue", "sign a new CSR (a new key) for an issued ID,\n"
	    "superseding its certificate"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	KC_O_STR_REQ(A, o.out_dir, "out-dir", "OUT", "where ID.cert.pem, ID.chain.pem... go (made if missing)"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_sign_opts = {
	"sign",
	"sign [--dir D] --csr device.csr [--id ID] [--days N] [--backdate S]\n"
	"           [--format pem,pfx,c,at] [--sec-tag N] [--strict-size]\n"
	"           [--key device.key.pem [--key-pass-file F] --pfx-pass-file F]\n"
	"           [--reissue] [--pass-file F] --out-dir OUT",
	"The same CSR again is a rerun: already issued, exit status 0, its files\n"
	"checked and repaired from the ledger.\n",
	opts, 0, 0, NULL, 0
};

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
	if ((rc = kc_opt_parse(&cmd_sign_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
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

/* cmd_issue.c: factorysign issue: device keys generated here (the less
 * secure path: the key exists outside the device), then certificates. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *ids, *prefix, *pass_file, *format, *alg;
	const char *pfx_file, *key_file;
	long count, start;
	struct kc_factory_opts o;
};

static int
count(const char *value, void *target)
{
	return fs_int("--count", value, 1, 10000000, target);
}

static int
start(const char *value, void *target)
{
	return fs_int("--start", value, 0, 100000000, target);
}

static int
key_format(const char *value, void *target)
{
	int *f = target;

	if (strcmp(value, "default") == 0)
		*f = KC_KEYFMT_DEFAULT;
	else if (strcmp(value, "mbedtls2") == 0)
		*f = KC_KEYFMT_MBEDTLS2;
	else {
		kc_front_usage("issue: --key-format '%s': use default (PBES2, "
		    "AES-256-CBC) or mbedtls2 (PBES2, 3DES, for mbedTLS 2.28)",
		    kc_disp(value));
		return -1;
	}
	return 0;
}

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR(A, ids, "ids", "FILE", "one device ID a line (blank lines and # comments skipped)"),
	KC_O_FN(A, count, "count", "N", count, "N IDs PREFIX0001... instead of --ids"),
	KC_O_STR(A, prefix, "prefix", "P", "the prefix of the --count IDs"),
	KC_O_FN(A, start, "start", "N", start, "the first --count number (default 1)"),
	KC_O_STR_REQ(A, o.out_dir, "out-dir", "OUT", "where the keys and certificates go (made if missing)"),
	KC_O_STR(A, format, "format", "LIST", "pem (default), pfx, c, at, comma-separated"),
	KC_O_STR(A, alg, "algorithm", "ALG", "the device keys: ec-p256 (default) or ec-p384"),
	KC_O_FN(A, o.days, "days", "N", fs_opt_days, "validity in days (default 365), within the intermediate's"),
	KC_O_FN(A, o.backdate, "backdate", "S", fs_opt_backdate, "notBefore S seconds before signing (default 3600;\n"
	    "0 to 86400, 0: none)"),
	KC_O_FN(A, o.sec_tag, "sec-tag", "N", fs_opt_sec_tag, "the modem's sec_tag (--format at)"),
	KC_O_STR(A, pfx_file, "pfx-pass-file", "F", "the PKCS#12 password from F (mode 0600)"),
	KC_O_STR(A, key_file, "key-pass-file", "F", "the device keys' passphrase from F (mode 0600);\n"
	    "else asked on the terminal"),
	KC_O_FLAG(A, o.plain_keys, "plain-keys", "write the device keys in clear (0600); needed by c and at"),
	KC_O_FLAG(A, o.reissue, "reissue", "a new key and certificate for IDs issued before"),
	KC_O_FN(A, o.key_format, "key-format", "F", key_format, "default (PBES2, AES-256-CBC) or mbedtls2 (PBES2,\n"
	    "3DES, what mbedTLS 2.28 reads)"),
	KC_O_FLAG(A, o.strict_size, "strict-size", "refuse outputs past the modem's and C99's size limits"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_issue_opts = {
	"issue",
	"issue [--dir D] (--ids FILE | --count N --prefix P [--start N])\n"
	"           --out-dir OUT [--format pem,pfx,c,at] [--algorithm ec-p256|ec-p384]\n"
	"           [--days N] [--backdate S] [--sec-tag N] [--pfx-pass-file F]\n"
	"           [--key-pass-file F | --plain-keys] [--key-format default|mbedtls2]\n"
	"           [--strict-size] [--reissue] [--pass-file F]",
	"The less secure path: the device keys are made here, outside the devices.\n"
	"Prefer keys made on the device, and sign or batch.\n",
	opts, 0, 0, NULL, 0
};

static int
have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

/* Issues one ID; counts the outcome. Returns the error code. */
static int
one(struct kc_factory *f, const char *id, enum kc_alg alg,
    const struct kc_factory_opts *o, long *ok, long *skipped, long *repaired,
    long *failed)
{
	struct kc_factory_result res;

	int rc;

	if ((rc = kc_factory_issue_keygen(f, id, alg, o, &res)) != KC_OK) {
		fprintf(stderr, "%s: skipped: %s\n", kc_progname, kc_errmsg());
		(*failed)++;
		if (fs_fatal(rc))
			fprintf(stderr, "%s: stopping: this error affects "
			    "every device\n", kc_progname);
		return rc;
	}
	fs_print_result(&res, o->out_dir);
	if (res.outcome == KC_FACTORY_SKIPPED)
		(*skipped)++;
	else if (res.outcome == KC_FACTORY_REPAIRED)
		(*repaired)++;
	else
		(*ok)++;
	return KC_OK;
}

/* The IDs go in windows of WIN_IDS, looked up in the ledger together
 * (kc_factory_prefetch) before their devices are issued. */
#define WIN_IDS	256

struct idwin {
	char	id[WIN_IDS][256];	/* a line of --ids as read */
	size_t	n;
};

/* The window's devices; 1 when the batch must stop. */
static int
run_window(struct kc_factory *f, struct idwin *w, enum kc_alg alg,
    const struct kc_factory_opts *o, long *ok, long *skipped, long *repaired,
    long *failed)
{
	const char *ids[WIN_IDS];
	int rc;

	for (size_t i = 0; i < w->n; i++)
		ids[i] = w->id[i];
	if ((rc = kc_factory_prefetch(f, NULL, NULL, ids, w->n)) != KC_OK) {
		fprintf(stderr, "%s: %s\n%s: stopping: this error affects "
		    "every device\n", kc_progname, kc_errmsg(), kc_progname);
		(*failed)++;
		return 1;
	}
	for (size_t i = 0; i < w->n; i++)
		if (fs_fatal(one(f, w->id[i], alg, o, ok, skipped, repaired,
		    failed)))
			return 1;
	w->n = 0;
	return 0;
}

int
cmd_issue(int argc, char **argv)
{
	struct args a;
	struct kc_factory *f = NULL;
	struct idwin *win = NULL;
	struct kc_secret *pfx = NULL, *kp = NULL;
	enum kc_alg alg = KC_ALG_EC_P256;
	FILE *ids = NULL;
	long ok = 0, skipped = 0, repaired = 0, failed = 0;
	struct fs_watch fw = { &ok, &failed };
	char pfx_files[1100], key_files[1100];
	int rc;

	memset(&a, 0, sizeof(a));
	a.dir = KC_FACTORY_DIR;
	a.o.sec_tag = -1;
	a.start = 1;
	if ((rc = kc_opt_parse(&cmd_issue_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if ((a.ids == NULL) == (a.count == 0) || (a.count && !a.prefix)) {
		kc_front_usage("issue: give --ids FILE or --count N --prefix P, "
		    "and --out-dir");
		kc_opt_usage_line(&cmd_issue_opts, stderr);
		return KC_EXIT_USAGE;
	}
	if (a.prefix != NULL) {
		const char *why;
		char first[128];

		/* the IDs are PREFIX0001...: a bad first character is bad in
		 * every one of them, so say it once, before anything */
		snprintf(first, sizeof(first), "%s0001", a.prefix);
		if (!kc_factory_id_ok(first, &why))
			return kc_front_usage("issue: --prefix '%s' makes device "
			    "IDs such as '%s', which is not a valid DPS "
			    "registration ID: %s", kc_disp(a.prefix),
			    kc_disp(first), why);
	}
	if (a.key_file != NULL && a.o.plain_keys)
		return kc_front_usage("issue: --key-pass-file and --plain-keys "
		    "exclude each other");
	if (a.alg != NULL && (kc_alg_parse(a.alg, &alg) != KC_OK ||
	    (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384)))
		return kc_front_usage("issue: --algorithm '%s': device keys "
		    "are ec-p256 or ec-p384", a.alg);
	if (a.format != NULL &&
	    (rc = kc_format_parse(a.format, &a.o.formats)) != KC_OK)
		return kc_front_fail(rc);
	/* every option that needs no secret first: nothing is asked for a
	 * command line that cannot work */
	if ((rc = kc_factory_check_formats(&a.o, 1, 0)) != KC_OK)
		return kc_front_fail(rc);
	snprintf(pfx_files, sizeof(pfx_files), "%s/ID.pfx", a.o.out_dir);
	snprintf(key_files, sizeof(key_files), "%s/ID.key.pem", a.o.out_dir);
	if (a.ids != NULL && (ids = fopen(a.ids, "r")) == NULL)
		return kc_front_fail(kc_err(KC_ERR_IO, "%s: %s", a.ids,
		    strerror(errno)));
	if ((a.o.formats & KC_FMT_PFX) &&
	    (rc = kc_front_secret_for(a.pfx_file, "PKCS#12 password",
	    pfx_files, 1, &pfx)))
		goto fail;
	a.o.pfx_pass = pfx;
	if (!a.o.plain_keys && a.key_file == NULL && !have_tty()) {
		rc = kc_err(KC_ERR_USAGE, "device keys are written encrypted and "
		    "there is no terminal to ask for their passphrase: give "
		    "--key-pass-file F (or --plain-keys for keys in clear)");
		goto fail;
	}
	if (!a.o.plain_keys &&
	    (rc = kc_front_secret_for(a.key_file, "device key passphrase",
	    key_files, 1, &kp)) != KC_OK)
		goto fail;
	a.o.key_pass = kp;
	if (a.o.key_format == KC_KEYFMT_MBEDTLS2)
		fprintf(stderr, "%s: warning: --key-format mbedtls2 encrypts the "
		    "device keys with 3DES (DES-EDE3-CBC, 112-bit strength) "
		    "under PBKDF2-HMAC-SHA256, weaker than the default "
		    "AES-256-CBC: use it only for devices whose mbedTLS 2.28 "
		    "cannot read the default\n", kc_progname);
	if ((rc = kc_factory_check_opts(NULL, &a.o, 1)) != KC_OK)
		goto fail;
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		goto out;
	if ((rc = kc_factory_check_opts(f, &a.o, 1)) != KC_OK)
		goto fail;
	{
		long removed = 0;
		if ((rc = kc_factory_clean_tmp(a.o.out_dir, &removed)) != KC_OK)
			goto fail;
		if (removed > 0)
			fprintf(stderr, "%s: removed %ld temporary file%s of an "
			    "interrupted run from %s\n", kc_progname, removed,
			    removed == 1 ? "" : "s", kc_disp(a.o.out_dir));
	}
	a.o.resume = 1;
	if ((win = calloc(1, sizeof(*win))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	fs_batch_watch(f, &fw);
	if ((rc = kc_factory_batch_begin(f, 100)) != KC_OK)
		goto fail;
	if (ids != NULL) {
		char line[256];
		int stop = 0;
		while (!stop && fgets(line, sizeof(line), ids) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '\0' || line[0] == '#')
				continue;
			snprintf(win->id[win->n++], sizeof(win->id[0]), "%s",
			    line);
			if (win->n == WIN_IDS)
				stop = run_window(f, win, alg, &a.o, &ok,
				    &skipped, &repaired, &failed);
		}
		if (!stop)
			run_window(f, win, alg, &a.o, &ok, &skipped, &repaired,
			    &failed);
	} else {
		int width = snprintf(NULL, 0, "%ld", a.start + a.count - 1);
		int stop = 0;
		if (width < 4)
			width = 4;
		for (long i = 0; i < a.count && !stop; i++) {
			snprintf(win->id[win->n++], sizeof(win->id[0]),
			    "%s%0*ld", a.prefix, width, a.start + i);
			if (win->n == WIN_IDS || i + 1 == a.count)
				stop = run_window(f, win, alg, &a.o, &ok,
				    &skipped, &repaired, &failed);
		}
	}
	fs_batch_end(f, &ok, &failed);
	printf("issue: %ld issued, %ld already issued, %ld repaired, %ld "
	    "failed; keys were generated off-device: %s\n", ok, skipped,
	    repaired, failed,
	    a.o.plain_keys ? "IN CLEAR TEXT, protect and delete after "
	    "provisioning" : a.o.key_format == KC_KEYFMT_MBEDTLS2 ?
	    "encrypted (PKCS#8, 3DES, PBKDF2-HMAC-SHA256: --key-format "
	    "mbedtls2)" : "encrypted (PKCS#8, AES-256, PBKDF2)");
	rc = failed ? KC_EXIT_FAIL : KC_EXIT_OK;
	goto out;
fail:
	rc = kc_front_fail(rc);
out:
	kc_factory_close(f);
	free(win);
	kc_secret_free(pfx);
	kc_secret_free(kp);
	if (ids != NULL)
		fclose(ids);
	return rc;
}

/* cmd_batch.c: factorysign batch: every CSR of a directory. A bad CSR is
 * reported and skipped; a rerun after a crash skips what was issued and
 * completes the rest. Files are read in directory order, one at a time,
 * so memory does not grow with the batch. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *in, *pass_file, *format;
	struct kc_factory_opts o;
	long commit_every;
	int quiet;
};

static int
commit_every(const char *value, void *target)
{
	return fs_int("--commit-every", value, 1, 100000, target);
}

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, in, "csr-dir", "IN", "the CSRs, one file each (names starting with . skipped)"),
	KC_O_STR_REQ(A, o.out_dir, "out-dir", "OUT", "where the files go; not IN (made if missing)"),
	KC_O_STR(A, format, "format", "LIST", "pem (default), c, at, comma-separated"),
	KC_O_FN(A, o.days, "days", "N", fs_opt_days, "validity in days (default 365), within the intermediate's"),
	KC_O_FN(A, o.backdate, "backdate", "S", fs_opt_backdate, "notBefore S seconds before signing (default 3600;\n"
	    "0 to 86400, 0: none)"),
	KC_O_FN(A, o.sec_tag, "sec-tag", "N", fs_opt_sec_tag, "the modem's sec_tag (--format at)"),
	KC_O_FN(A, commit_every, "commit-every", "N", commit_every, "ledger commit every N devices (default 1000)"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	KC_O_FLAG(A, quiet, "quiet", "no line per device, only the summary"),
	KC_O_FLAG(A, o.reissue, "reissue", "issue again IDs issued before from another CSR (a new key)"),
	KC_O_FLAG(A, o.strict_size, "strict-size", "refuse outputs past the modem's and C99's size limits"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_batch_opts = {
	"batch",
	"batch [--dir D] --csr-dir IN --out-dir OUT [--format pem,c,at] [--days N]\n"
	"           [--backdate S] [--sec-tag N] [--strict-size] [--reissue]\n"
	"           [--commit-every N] [--pass-file F] [--quiet]",
	"A bad file is reported and skipped; exit status 1 if any failed. The\n"
	"same batch again is a rerun: issued devices are counted already issued\n"
	"(or repaired), the rest issued.\n",
	opts, 0, 0, NULL, 0
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cmd_batch(int argc, char **argv)
{
	struct args a;
	struct kc_factory *f = NULL;
	struct kc_factory_result res;
	struct stat si, so;
	DIR *d = NULL;
	struct dirent *de;
	long issued = 0, skipped = 0, repaired = 0, failed = 0, seen = 0;
	double t0, last = 0;
	int tty = kc_front_tty(), rc;

	memset(&a, 0, sizeof(a));
	a.dir = KC_FACTORY_DIR;
	a.o.sec_tag = -1;
	if ((rc = kc_opt_parse(&cmd_batch_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if (a.format != NULL &&
	    (rc = kc_format_parse(a.format, &a.o.formats)) != KC_OK)
		return kc_front_fail(rc);
	if ((rc = kc_factory_check_opts(NULL, &a.o, 0)) != KC_OK)
		return kc_front_fail(rc);
	if (stat(a.in, &si) != 0 || !S_ISDIR(si.st_mode))
		return kc_front_fail(kc_err(KC_ERR_IO, "%s: not a directory",
		    a.in));
	if (stat(a.o.out_dir, &so) == 0 && so.st_dev == si.st_dev &&
	    so.st_ino == si.st_ino)
		return kc_front_usage("batch: --csr-dir and --out-dir must be "
		    "different directories");
	if ((d = opendir(a.in)) == NULL)
		return kc_front_fail(kc_err(KC_ERR_IO, "%s: %s", a.in,
		    strerror(errno)));
	if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
		goto out;
	if ((rc = kc_factory_check_opts(f, &a.o, 0)) != KC_OK) {
		rc = kc_front_fail(rc);
		goto out;
	}
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
	if ((rc = kc_factory_batch_begin(f, (int)a.commit_every)) != KC_OK)
		goto fail;
	t0 = now_s();
	while ((errno = 0, de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		unsigned char *data = NULL;
		size_t len;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", a.in,
		    de->d_name) >= sizeof(path))
			continue;
		/* regular files only; d_type saves a stat per file */
		if (de->d_type != DT_REG && ((de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
			continue;
		seen++;
		rc = kc_file_read(path, KC_FILE_MAX, &data, &len);
		if (rc == KC_OK)
			rc = kc_factory_issue(f, data, len, path, NULL, &a.o,
			    &res);
		free(data);
		if (rc != KC_OK) {
			if (tty)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "%s: skipped: %s\n", kc_progname,
			    kc_errmsg());
			failed++;
			if (fs_fatal(rc)) {
				fprintf(stderr, "%s: stopping: this error "
				    "affects every device\n", kc_progname);
				break;
			}
		} else if (res.outcome == KC_FACTORY_SKIPPED) {
			skipped++;
		} else if (res.outcome == KC_FACTORY_REPAIRED) {
			repaired++;
			if (tty)
				fputs("\r\033[K", stderr);
			fs_print_result(&res, a.o.out_dir);
		} else {
			issued++;
			if (tty && (res.warn[0] != '\0' || (!a.quiet &&
			    res.ignored[0] != '\0')))
				fputs("\r\033[K", stderr);	/* the progress line */
			if (!a.quiet && !tty)
				fs_print_result(&res, a.o.out_dir);
			else
				fs_print_warn(&res);
			if ((a.quiet || tty) && res.ignored[0] != '\0' &&
			    !a.quiet)
				fprintf(stderr, "%s: %s: requested extensions "
				    "ignored: %s\n", kc_progname, kc_disp(res.id),
				    kc_disp_line(res.ignored));
		}
		if (tty && now_s() - last > 0.2) {
			last = now_s();
			fprintf(stderr, "\r\033[K%ld files: %ld issued, %ld "
			    "already issued, %ld repaired, %ld failed (%.0f/s)",
			    seen, issued, skipped, repaired, failed,
			    issued / (last - t0 + 1e-9));
		}
	}
	if (de == NULL && errno != 0) {
		fprintf(stderr, "%s: reading %s: %s\n", kc_progname, a.in,
		    strerror(errno));
		failed++;
	}
	fs_batch_end(f, &issued, &failed);
	if (tty)
		fputs("\r\033[K", stderr);
	printf("batch %s: %ld issued, %ld already issued, %ld repaired, %ld "
	    "failed, %ld files, %.1f s\n", kc_disp(a.in), issued, skipped,
	    repaired, failed, seen, now_s() - t0);
	rc = failed > 0 ? KC_EXIT_FAIL : KC_EXIT_OK;
	goto out;
fail:
	rc = kc_front_fail(rc);
out:
	kc_factory_close(f);
	if (d != NULL)
		closedir(d);
	return rc;
}

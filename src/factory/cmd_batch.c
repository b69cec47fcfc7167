/* cmd_batch.c: factorysign batch: every CSR of a directory. A bad CSR is
 * reported and skipped; a rerun after a crash skips what was issued and
 * completes the rest. Files are read in directory order, a window of
 * them at a time (their IDs looked up together), so memory does not grow
 * with the batch. */
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

/* The CSRs are read ahead in windows of at most WIN_FILES files and
 * WIN_BYTES bytes, so that a ledger on a server looks their IDs up
 * together (kc_factory_prefetch); memory stays bounded. A file that
 * does not read keeps its message for its turn. */
#define WIN_FILES	256
#define WIN_BYTES	(4 * 1024 * 1024)

struct csrfile {
	char		 path[PATH_MAX];
	unsigned char	*data;
	size_t		 len;
	int		 rc;
	char		*err;		/* rc's message */
};

struct tally {
	long	issued, skipped, repaired, failed, seen;
	int	tty;
};

/* Fills w with the next files of d (at most WIN_FILES / WIN_BYTES);
 * the count, or -1 when reading the directory failed (after those). */
static int
window(DIR *d, const char *in, struct csrfile *w, struct tally *t)
{
	struct dirent *de;
	size_t bytes = 0;
	int n = 0;

	while (n < WIN_FILES && bytes < WIN_BYTES &&
	    (errno = 0, de = readdir(d)) != NULL) {
		struct csrfile *c = &w[n];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s", in,
		    de->d_name) >= sizeof(c->path))
			continue;
		/* regular files only; d_type saves a stat per file */
		if (de->d_type != DT_REG && ((de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK) ||
		    stat(c->path, &st) != 0 || !S_ISREG(st.st_mode)))
			continue;
		t->seen++;
		c->data = NULL;
		c->err = NULL;
		if ((c->rc = kc_file_read(c->path, KC_FILE_MAX, &c->data,
		    &c->len)) != KC_OK && (c->err = strdup(kc_errmsg())) ==
		    NULL)
			c->rc = kc_err(KC_ERR_NOMEM, "out of memory");
		bytes += c->data != NULL ? c->len : 0;
		n++;
	}
	if (de == NULL && errno != 0) {
		fprintf(stderr, "%s: reading %s: %s\n", kc_progname, in,
		    strerror(errno));
		t->failed++;
		return n > 0 ? n : -1;
	}
	return n;
}

static void
window_free(struct csrfile *w, int n)
{
	for (int i = 0; i < n; i++) {
		free(w[i].data);
		free(w[i].err);
		w[i].data = NULL;
		w[i].err = NULL;
	}
}

/* One device's outcome, reported; 1 when the batch must stop. */
static int
report(int rc, const char *msg, const struct kc_factory_result *res,
    const struct args *a, struct tally *t, double *last, double t0)
{
	int stop = 0;

	if (rc != KC_OK) {
		if (t->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "%s: skipped: %s\n", kc_progname, msg);
		t->failed++;
		if (fs_fatal(rc)) {
			fprintf(stderr, "%s: stopping: this error affects every "
			    "device\n", kc_progname);
			stop = 1;
		}
	} else if (res->outcome == KC_FACTORY_SKIPPED) {
		t->skipped++;
	} else if (res->outcome == KC_FACTORY_REPAIRED) {
		t->repaired++;
		if (t->tty)
			fputs("\r\033[K", stderr);
		fs_print_result(res, a->o.out_dir);
	} else {
		t->issued++;
		if (t->tty && (res->warn[0] != '\0' || (!a->quiet &&
		    res->ignored[0] != '\0')))
			fputs("\r\033[K", stderr);	/* the progress line */
		if (!a->quiet && !t->tty)
			fs_print_result(res, a->o.out_dir);
		else
			fs_print_warn(res);
		if ((a->quiet || t->tty) && res->ignored[0] != '\0' &&
		    !a->quiet)
			fprintf(stderr, "%s: %s: requested extensions ignored: "
			    "%s\n", kc_progname, kc_disp(res->id),
			    kc_disp_line(res->ignored));
	}
	if (t->tty && now_s() - *last > 0.2) {
		*last = now_s();
		fprintf(stderr, "\r\033[K%ld files: %ld issued, %ld already "
		    "issued, %ld repaired, %ld failed (%.0f/s)", t->seen,
		    t->issued, t->skipped, t->repaired, t->failed,
		    t->issued / (*last - t0 + 1e-9));
	}
	return stop;
}

int
cmd_batch(int argc, char **argv)
{
	struct args a;
	struct kc_factory *f = NULL;
	struct kc_factory_result res;
	struct stat si, so;
	struct csrfile *w = NULL;
	struct tally t;
	struct fs_watch fw = { &t.issued, &t.failed };
	DIR *d = NULL;
	double t0, last = 0;
	int rc, n, stop = 0;

	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	t.tty = kc_front_tty();
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
	if ((w = calloc(WIN_FILES, sizeof(*w))) == NULL)
		return kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
	if ((d = opendir(a.in)) == NULL) {
		rc = kc_front_fail(kc_err(KC_ERR_IO, "%s: %s", a.in,
		    strerror(errno)));
		goto out;
	}
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
	fs_batch_watch(f, &fw);
	if ((rc = kc_factory_batch_begin(f, (int)a.commit_every)) != KC_OK)
		goto fail;
	t0 = now_s();
	while (!stop && (n = window(d, a.in, w, &t)) > 0) {
		const unsigned char *csrs[WIN_FILES];
		size_t lens[WIN_FILES];

		for (int i = 0; i < n; i++) {
			csrs[i] = w[i].rc == KC_OK ? w[i].data : NULL;
			lens[i] = w[i].len;
		}
		if ((rc = kc_factory_prefetch(f, csrs, lens, NULL,
		    (size_t)n)) != KC_OK) {
			/* the ledger's error, as the lookups would meet it */
			fprintf(stderr, "%s: %s\n%s: stopping: this error "
			    "affects every device\n", kc_progname, kc_errmsg(),
			    kc_progname);
			t.failed++;
			stop = 1;
		}
		for (int i = 0; i < n && !stop; i++) {
			if ((rc = w[i].rc) == KC_OK)
				rc = kc_factory_issue(f, w[i].data, w[i].len,
				    w[i].path, NULL, &a.o, &res);
			stop = report(rc, w[i].rc != KC_OK ? w[i].err :
			    kc_errmsg(), &res, &a, &t, &last, t0);
		}
		window_free(w, n);
	}
	fs_batch_end(f, &t.issued, &t.failed);
	if (t.tty)
		fputs("\r\033[K", stderr);
	printf("batch %s: %ld issued, %ld already issued, %ld repaired, %ld "
	    "failed, %ld files, %.1f s\n", kc_disp(a.in), t.issued, t.skipped,
	    t.repaired, t.failed, t.seen, now_s() - t0);
	rc = t.failed > 0 ? KC_EXIT_FAIL : KC_EXIT_OK;
	goto out;
fail:
	rc = kc_front_fail(rc);
out:
	kc_factory_close(f);
	if (d != NULL)
		closedir(d);
	free(w);
	return rc;
}

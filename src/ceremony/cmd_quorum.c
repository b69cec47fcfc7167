/*
 * cmd_quorum.c: keyceremony quorum split|combine: a token PIN split into N
 * shares for custodians, any K of which rebuild it (kc/quorum.h).
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/secret.h"
#include "commands.h"
#include "front.h"
#include "opt.h"

static int
parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return kc_front_usage("%s: '%s' is not a number from %d to %d",
		    opt, s, lo, hi);
	*out = (int)v;
	return KC_EXIT_OK;
}

/* KC_OPT_FN converters: the numbers of --threshold and --shares */
static int
threshold_fn(const char *value, void *target)
{
	return parse_int("--threshold", value, 2, KC_QUORUM_MAX_SHARES,
	    target) == KC_EXIT_OK ? 0 : -1;
}

static int
shares_fn(const char *value, void *target)
{
	return parse_int("--shares", value, 2, KC_QUORUM_MAX_SHARES,
	    target) == KC_EXIT_OK ? 0 : -1;
}

#define STR_(x) #x
#define STR(x) STR_(x)

struct split_args {
	const char *pin_file, *label, *out_dir;
	int k, n;
};

#define A struct split_args
static const struct kc_opt split_opts[] = {
	KC_O_FN(A, k, "threshold", "K", threshold_fn, "shares needed to rebuild the PIN (2..N)"),
	KC_O_FN(A, n, "shares", "N", shares_fn, "shares made, one per custodian (K.."
	    STR(KC_QUORUM_MAX_SHARES) ")"),
	KC_O_STR(A, pin_file, "pin-file", "FILE", "the PIN to split (else typed twice, no echo)"),
	KC_O_STR(A, label, "label", "TOKEN", "token name printed on each share"),
	KC_O_STR(A, out_dir, "out-dir", "DIR", "write share-I-of-N.txt sheets (0600) instead of printing;\n"
	    "a missing DIR is created (0700) when its parent exists"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_quorum_split_opts = {
	"quorum split",
	"quorum split --threshold K --shares N\n"
	"           [--pin-file FILE] [--label TOKEN] [--out-dir DIR]\n"
	"           [--quiet|--verbose]",
	NULL, split_opts, 0, 0, NULL, KC_OPTDEF_VERBOSITY
};

static int
print_share(FILE *f, const struct kc_quorum_info *qi, const char *label,
    const char *text)
{
	fprintf(f, "keyceremony PIN share %d of %d    set %s    any %d of %d "
	    "rebuild the PIN\n", qi->index, qi->n, qi->set_id, qi->k, qi->n);
	if (label != NULL)
		fprintf(f, "token: %s\n", kc_disp(label));
	fprintf(f, "custodian: ______________________________\n\n"
	    "    %s\n\n"
	    "Keep this sheet sealed. Type it at the ceremony when asked for "
	    "share %d.\n", text, qi->index);
	return ferror(f) ? -1 : 0;
}

/*
 * --out-dir: an existing directory, or a missing one whose parent exists
 * (checked before the PIN is read; created only once the shares are made).
 */
static int
out_dir_check(const char *dir, int *missing)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	*missing = 0;
	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return kc_err(KC_ERR_IO, "--out-dir %s is %s, not a "
			    "directory", dir, S_ISREG(st.st_mode) ? "a file" :
			    kc_file_kind(st.st_mode));
		return KC_OK;
	}
	if (errno != ENOENT)
		return kc_err(KC_ERR_IO, "--out-dir %s: %s", dir,
		    strerror(errno));
	snprintf(parent, sizeof(parent), "%s", dir);
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0' &&
	    slash != parent)
		*slash = '\0';		/* "shares/" is "shares" */
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_IO, "--out-dir %s does not exist and cannot "
		    "be created: its parent directory %s does not exist (only "
		    "the last part is created)", dir, parent);
	*missing = 1;
	return KC_OK;
}

static int
out_dir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0)
		return kc_err(KC_ERR_IO, "cannot create --out-dir %s: %s", dir,
		    strerror(errno));
	if (lstat(dir, &st) != 0)
		return kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
	if (kc_front_verbosity >= 0)
		fprintf(stderr, "%s: created the share directory %s (mode "
		    "%04o)\n", kc_progname, kc_disp(dir),
		    (unsigned)(st.st_mode & 07777));
	return KC_OK;
}

int
cmd_quorum_split(int argc, char **argv)
{
	struct split_args a = { NULL, NULL, NULL, 0, 0 };
	struct kc_secret *pin = NULL, *shares[KC_QUORUM_MAX_SHARES] = { 0 };
	const char *pin_file, *label, *out_dir;
	char path[PATH_MAX];
	int k, n, rc, st = KC_EXIT_FAIL, dir_missing = 0;

	if ((rc = kc_opt_parse(&cmd_quorum_split_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	pin_file = a.pin_file;
	label = a.label;
	out_dir = a.out_dir;
	k = a.k;
	n = a.n;
	if (k == 0 || n == 0)
		return kc_front_usage("quorum split: --threshold and --shares "
		    "are required");
	if (k > n)
		return kc_front_usage("quorum split: --threshold %d is more "
		    "than --shares %d", k, n);
	if (out_dir != NULL && (rc = out_dir_check(out_dir, &dir_missing)) !=
	    KC_OK)
		return kc_front_fail(rc);
	if (out_dir != NULL && !dir_missing)
		for (int i = 1; i <= n; i++) {
			snprintf(path, sizeof(path), "%s/share-%d-of-%d.txt",
			    out_dir, i, n);
			if ((rc = kc_file_check_absent(path)) != KC_OK)
				return kc_front_fail(rc);
		}
	kc_front_verbose("quorum split: reading the PIN %s", pin_file != NULL ?
	    "file" : "from the terminal (twice)");
	if ((rc = kc_front_secret(pin_file, "PIN", 1, &pin)) != KC_OK) {
		st = kc_front_fail(rc);
		goto out;
	}
	kc_front_verbose("quorum split: %d shares of a random polynomial of "
	    "degree %d (any %d rebuild the PIN), each read back", n, k - 1, k);
	if ((rc = kc_quorum_split(pin, k, n, shares)) != KC_OK ||
	    (dir_missing && (rc = out_dir_make(out_dir)) != KC_OK)) {
		st = kc_front_fail(rc);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct kc_quorum_info qi;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		if ((rc = kc_quorum_check(shares[i]->buf, shares[i]->len,
		    &qi)) != KC_OK) {
			st = kc_front_fail(kc_err(KC_ERR_INTERNAL, "share %d does "
			    "not read back", i + 1));
			goto out;
		}
		if (out_dir == NULL) {
			if (i > 0)
				fputs("\n-------------------------------------"
				    "-------------------------------------\n\n",
				    stdout);
			print_share(stdout, &qi, label, shares[i]->buf);
			continue;
		}
		if ((f = open_memstream(&buf, &len)) == NULL) {
			st = kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
			goto out;
		}
		print_share(f, &qi, label, shares[i]->buf);
		fclose(f);
		snprintf(path, sizeof(path), "%s/share-%d-of-%d.txt", out_dir,
		    i + 1, n);
		kc_front_verbose("quorum split: writing %s (0600, new file)",
		    path);
		rc = kc_file_write(path, buf, len, 0600, KC_WRITE_EXCL);
		OPENSSL_clear_free(buf, len);
		if (rc != KC_OK) {
			st = kc_front_fail(rc);
			goto out;
		}
	}
	if (fflush(stdout) != 0) {
		st = kc_front_fail(kc_err(KC_ERR_IO, "cannot write the shares"));
		goto out;
	}
	if (kc_front_verbosity >= 0)
		fprintf(stderr, "%s: PIN split into %d shares, any %d rebuild "
		    "it%s%s\n", kc_progname, n, k, out_dir ? "; written to " :
		    "", out_dir ? kc_disp(out_dir) : "");
	st = KC_EXIT_OK;
out:
	kc_secret_free(pin);
	for (int i = 0; i < n; i++)
		kc_secret_free(shares[i]);
	return st;
}

struct combine_args {
	struct kc_optlist files;
	const char *out;
};

static const struct kc_opt combine_opts[] = {
	KC_O_LIST(struct combine_args, files, "share-file", "FILE", "a share sheet as 'split --out-dir' writes it\n"
	    "(or a file holding only the share; 0600);\n"
	    "repeat; else the custodians type their\n"
	    "shares (no echo)"),
	KC_O_STR(struct combine_args, out, "out", "FILE", "write the rebuilt PIN there (0600, new file);\n"
	    "without it the shares are only checked"),
	KC_O_END
};

const struct kc_optdef cmd_quorum_combine_opts = {
	"quorum combine", "quorum combine [--share-file FILE ...] [--out FILE] "
	"[--quiet|--verbose]",
	NULL, combine_opts, 0, 0, NULL, KC_OPTDEF_VERBOSITY
};

int
cmd_quorum_combine(int argc, char **argv)
{
	struct combine_args a;
	const char *const *files, *out;
	struct kc_quorum *q = NULL;
	struct kc_secret *pin = NULL;
	struct kc_quorum_info qi = { "", 0, 0, 0 };
	int nfiles, fails = 0, rc = KC_OK, st = KC_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	if ((rc = kc_opt_parse(&cmd_quorum_combine_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	files = a.files.v;
	nfiles = a.files.n;
	out = a.out;
	if (nfiles > KC_QUORUM_MAX_SHARES)
		return kc_front_usage("quorum combine: at most %d --share-file",
		    KC_QUORUM_MAX_SHARES);
	if (out != NULL && (rc = kc_file_check_absent(out)) != KC_OK)
		return kc_front_fail(rc);
	if ((rc = kc_quorum_new(&q)) != KC_OK)
		return kc_front_fail(rc);
	for (int i = 0; kc_quorum_needed(q) != 0; i++) {
		struct kc_secret *s = NULL;
		char what[64];

		if (nfiles > 0 && i == nfiles) {
			rc = kc_err(KC_ERR_USAGE, "%d share file%s given, %d "
			    "share%s needed", nfiles, nfiles == 1 ? "" : "s",
			    qi.k, qi.k == 1 ? "" : "s");
			break;
		}
		if (nfiles > 0) {
			rc = kc_quorum_read_file(files[i], &s, NULL);
		} else {
			snprintf(what, sizeof(what), "share %d", i + 1);
			rc = kc_front_secret(NULL, what, 0, &s);
		}
		if (rc == KC_OK) {
			rc = kc_quorum_add(q, s->buf, s->len, &qi);
			if (rc != KC_OK && nfiles > 0) {
				char msg[512];

				snprintf(msg, sizeof(msg), "%s", kc_errmsg());
				rc = kc_err(rc, "%s: %s", files[i], msg);
			}
		}
		kc_secret_free(s);
		if (rc != KC_OK && nfiles > 0)
			break;
		if (rc != KC_OK) {
			/* a custodian retries: the error, then the prompt */
			kc_front_fail(rc);
			i--;
			if (++fails == 5)
				break;
			continue;
		}
		if (kc_front_verbosity >= 0)
			fprintf(stderr, "%s: share %d of %d (set %s) accepted; %d "
			    "more needed\n", kc_progname, qi.index, qi.n,
			    qi.set_id, kc_quorum_needed(q));
	}
	if (rc != KC_OK || (rc = kc_quorum_combine(q, &pin)) != KC_OK) {
		st = kc_front_fail(rc);
		goto out;
	}
	if (out != NULL) {
		char *line = malloc(pin->len + 1);

		if (line == NULL) {
			st = kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
			goto out;
		}
		memcpy(line, pin->buf, pin->len);
		line[pin->len] = '\n';
		rc = kc_file_write(out, line, pin->len + 1, 0600, KC_WRITE_EXCL);
		OPENSSL_clear_free(line, pin->len + 1);
		if (rc != KC_OK) {
			st = kc_front_fail(rc);
			goto out;
		}
	}
	if (kc_front_verbosity < 0) {
		st = KC_EXIT_OK;
		goto out;
	}
	printf("%d shares of set %s (%d of %d) combine to a PIN%s%s\n",
	    kc_quorum_given(q), qi.set_id, qi.k, qi.n, out ? "; written to " :
	    "", out ? out : "");
	st = KC_EXIT_OK;
out:
	kc_secret_free(pin);
	kc_quorum_free(q);
	return st;
}

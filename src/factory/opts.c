/* opts.c: the option converters and small helpers of factorysign's
 * commands (opts.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/fnames.h"
#include "front.h"
#include "opts.h"

int
fs_int(const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		kc_front_usage("%s '%s': expected a number from %ld to %ld",
		    opt, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
fs_opt_days(const char *value, void *target)
{
	long v;

	if (fs_int("--days", value, 1, KC_DAYS_MAX, &v) != 0)
		return -1;
	*(int *)target = (int)v;
	return 0;
}

int
fs_opt_backdate(const char *value, void *target)
{
	long v;

	if (fs_int("--backdate", value, 0, KC_FACTORY_BACKDATE_MAX, &v) != 0)
		return -1;
	*(int *)target = v == 0 ? KC_FACTORY_BACKDATE_NONE : (int)v;
	return 0;
}

int
fs_opt_sec_tag(const char *value, void *target)
{
	long v;

	if (fs_int("--sec-tag", value, 0, 2147483647L, &v) != 0)
		return -1;
	*(int *)target = (int)v;
	return 0;
}

int
fs_pass(const char *dir, const char *file, int confirm,
    struct kc_secret **out)
{
	char key[1100];

	snprintf(key, sizeof(key), "%sintermediate key %s/intermediate.key",
	    confirm ? "the new " : "", dir);
	return kc_front_secret_for(file, "passphrase", key, confirm, out);
}

struct kc_factory *
fs_open(const char *dir, const char *pass_file, int *rc)
{
	struct kc_secret *pass = NULL;
	struct kc_factory *f = NULL;

	if ((*rc = fs_pass(dir, pass_file, 0, &pass)) == KC_OK)
		*rc = kc_factory_open(dir, pass, &f);
	kc_secret_free(pass);
	if (*rc != KC_OK) {
		*rc = kc_front_fail(*rc);
		return NULL;
	}
	return f;
}

void
fs_print_result(const struct kc_factory_result *r, const char *out_dir)
{
	char d[32];
	struct tm tm;

	gmtime_r(&r->not_after, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	if (r->outcome == KC_FACTORY_SKIPPED)
		printf("%s: already issued (serial %s), files intact\n",
		    kc_disp(r->id), kc_disp(r->serial));
	else if (r->outcome == KC_FACTORY_REPAIRED)
		printf("%s: already issued (serial %s); %d file%s rewritten "
		    "from the ledger, no new signature\n", kc_disp(r->id),
		    kc_disp(r->serial), r->rewritten, r->rewritten == 1 ? "" :
		    "s");
	else {
		char chain[PATH_MAX];

		if (kc_fname_path(out_dir, r->id, ".chain.pem", chain,
		    sizeof(chain)) != KC_OK)
			snprintf(chain, sizeof(chain), "%s", kc_errmsg());
		printf("%s: serial %s, valid until %s -> %s\n", kc_disp(r->id),
		    kc_disp(r->serial), d, kc_disp(chain));
	}
	fs_print_warn(r);
	if (r->ignored[0] != '\0')
		fprintf(stderr, "%s: %s: requested extensions ignored (the "
		    "profile decides): %s\n", kc_progname, kc_disp(r->id),
		    kc_disp_line(r->ignored));
}

void
fs_print_warn(const struct kc_factory_result *r)
{
	if (r->warn[0] != '\0')
		fprintf(stderr, "%s: %s: warning: %s (--strict-size refuses "
		    "this)\n", kc_progname, kc_disp(r->id),
		    kc_disp_line(r->warn));
}

int
fs_fatal(int rc)
{
	return rc == KC_ERR_DB || rc == KC_ERR_IO || rc == KC_ERR_NOMEM ||
	    rc == KC_ERR_INTERNAL;
}

static void
dropped(void *arg, const char *id, const char *msg)
{
	struct fs_watch *w = arg;

	fprintf(stderr, "%s: %s, reported issued above, is not: %s; its "
	    "files are removed\n", kc_progname, kc_disp(id), msg);
	if (*w->issued > 0)
		(*w->issued)--;
	(*w->failed)++;
}

void
fs_batch_watch(struct kc_factory *f, struct fs_watch *w)
{
	kc_factory_on_dropped(f, dropped, w);
}

void
fs_batch_end(struct kc_factory *f, long *issued, long *failed)
{
	long lost = 0, removed, kept;
	int rc;

	if ((rc = kc_factory_batch_end(f, &lost)) != KC_OK)
		kc_front_fail(rc);
	kc_factory_lost_files(f, &removed, &kept);
	if (lost > 0 && kept == 0) {
		fprintf(stderr, "%s: %ld device%s reported issued above %s not "
		    "recorded (rolled back after the error); their files are "
		    "removed; repeat the same run to issue them\n",
		    kc_progname, lost, lost == 1 ? "" : "s",
		    lost == 1 ? "is" : "are");
	} else if (lost > 0) {
		fprintf(stderr, "%s: %ld device%s reported issued above may "
		    "not be recorded: the ledger did not confirm the commit; "
		    "their files are kept; repeat the same run when the ledger "
		    "is back: it finds them recorded or replaces them\n",
		    kc_progname, lost, lost == 1 ? "" : "s");
	}
	if (lost > 0) {
		*issued -= lost < *issued ? lost : *issued;
		*failed += lost;
	}
}

/* The certificates of a PEM file, re-encoded (no text outside the PEM
 * blocks goes to the modem). */
int
fs_ca_pem_load(const char *path, char **out)
{
	unsigned char *data = NULL;
	size_t len;
	BIO *in = NULL, *mem = NULL;
	X509 *x;
	BUF_MEM *bm;
	int rc, n = 0;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	if ((in = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (mem = BIO_new(BIO_s_mem())) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		n++;
		if (X509_check_ca(x) < 1) {
			char *sub = kc_name_string(X509_get_subject_name(x));
			rc = kc_err(KC_ERR_INPUT, "%s: certificate %d (%s) is not "
			    "a CA certificate; --ca-file takes the CA the device "
			    "is to trust", path, n, sub ? sub : "?");
			free(sub);
			X509_free(x);
			goto out;
		}
		if (PEM_write_bio_X509(mem, x) != 1) {
			X509_free(x);
			rc = kc_err_ssl(KC_ERR_CRYPTO, "%s: cannot encode", path);
			goto out;
		}
		X509_free(x);
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0) {
		rc = kc_err_ssl(KC_ERR_INPUT, "%s: not a PEM file of one or "
		    "more CA certificates", path);
		goto out;
	}
	ERR_clear_error();
	BIO_get_mem_ptr(mem, &bm);
	/* Not strndup(): bm->data has no NUL, and ASan's strict string
	 * checks (./check) flag strndup reading past it. */
	if ((*out = malloc(bm->length + 1)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
	} else {
		memcpy(*out, bm->data, bm->length);
		(*out)[bm->length] = '\0';
	}
out:
	BIO_free(in);
	BIO_free(mem);
	free(data);
	return rc;
}

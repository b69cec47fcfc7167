/* crl_root.c: the root's CRLs in the ceremony's records (libkc-ceremony):
 * the "crl" transcript record of a CRL the root signed, and the check,
 * before a CRL is signed, of the register against the root's CRL files
 * and the transcripts' crl records (a rolled-back register must not sign a
 * lower CRL number or drop a revocation). Building and reading CRLs is the
 * core's (src/core/crl.c). */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kc/ceremony/crl.h"
#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "issue_int.h"

/* ---- the register against the CRLs and transcripts ---- */

/* What one source (a CRL file, a transcript record) says was signed. */
struct crl_seen {
	char			 what[PATH_MAX + 64];	/* for messages */
	long long		 number;
	int			 has_list;
	struct kc_crl_info	 info;
	size_t			 count;
};

/* Serials compare without leading zeros, in any case. */
static int
serial_eq(const char *a, const char *b)
{
	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	return strcasecmp(a, b) == 0;
}

/* Every revocation src knows must be in the register's list with the same
 * reason, and the register's next number above src's. */
static int
agree(const struct kc_register *reg, const struct crl_seen *src,
    long long next, const struct kc_reg_entry *rev, size_t n)
{
	static const char fix[] = "the register was rolled back or replaced: "
	    "restore it from the backup (or the transcripts and the media); "
	    "nothing was signed";

	if (next <= src->number)
		return kc_err(KC_ERR_POLICY, "%s says the next CRL number is "
		    "%lld, but %s is CRL number %lld; %s", kc_register_path(reg),
		    next, src->what, src->number, fix);
	for (size_t i = 0; src->has_list && i < src->info.n; i++) {
		const struct kc_crl_revoked *c = &src->info.revoked[i];
		size_t k;

		for (k = 0; k < n && !serial_eq(rev[k].serial, c->serial); k++)
			;
		if (k == n)
			return kc_err(KC_ERR_POLICY, "%s does not list serial %s "
			    "as revoked, but %s (CRL number %lld) revokes it "
			    "(reason %s); %s", kc_register_path(reg), c->serial,
			    src->what, src->number, kc_reason_name(c->reason),
			    fix);
		if (rev[k].reason != c->reason)
			return kc_err(KC_ERR_POLICY, "%s gives revoked serial %s "
			    "the reason %s, but %s (CRL number %lld) gives %s; "
			    "%s", kc_register_path(reg), c->serial,
			    kc_reason_name(rev[k].reason), src->what,
			    src->number, kc_reason_name(c->reason), fix);
	}
	if (src->count > n)
		return kc_err(KC_ERR_POLICY, "%s lists %zu revoked "
		    "certificates, but %s (CRL number %lld) revokes %zu; %s",
		    kc_register_path(reg), n, src->what, src->number,
		    src->count, fix);
	return KC_OK;
}

/* The CRL files of this root in dir (*.crl, verified with the root's
 * key): the newest is checked first, so that a message names it; then
 * every other one. */
struct crl_files {
	struct crl_seen	*seen;
	size_t		 n, cap, newest;
};

static int
on_crl_file(const char *path, const struct kc_crl_info *info, void *arg)
{
	struct crl_files *f = arg;
	struct crl_seen *src, *grown;
	size_t cap;

	if (info == NULL) {
		kc_log(KC_LOG_WARN, "%s; not used to check the register",
		    kc_errmsg());
		return KC_OK;
	}
	if (f->n == f->cap) {
		cap = f->cap ? 2 * f->cap : 8;
		if ((grown = realloc(f->seen, cap * sizeof(*grown))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		f->seen = grown;
		f->cap = cap;
	}
	src = &f->seen[f->n];
	memset(src, 0, sizeof(*src));
	snprintf(src->what, sizeof(src->what), "%s", path);
	src->number = info->number;
	src->count = info->n;
	src->has_list = 1;
	src->info = *info;
	src->info.revoked = NULL;
	if (info->n > 0) {
		if ((src->info.revoked = calloc(info->n,
		    sizeof(*info->revoked))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		memcpy(src->info.revoked, info->revoked,
		    info->n * sizeof(*info->revoked));
	}
	if (src->number > f->seen[f->newest].number)
		f->newest = f->n;
	f->n++;
	return KC_OK;
}

static int
check_crl_files(const char *dir, const struct kc_issuer *is,
    const struct kc_register *reg, long long next,
    const struct kc_reg_entry *rev, size_t n)
{
	struct crl_files f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = kc_crl_dir_each(dir, is->cert, on_crl_file, &f);
	if (rc == KC_OK && f.n > 0)
		rc = agree(reg, &f.seen[f.newest], next, rev, n);
	for (size_t i = 0; i < f.n && rc == KC_OK; i++)
		rc = agree(reg, &f.seen[i], next, rev, n);
	for (size_t i = 0; i < f.n; i++)
		kc_crl_info_free(&f.seen[i].info);
	free(f.seen);
	return rc;
}

struct tr_scan {
	const char	*ca;
	const char	*path;
	struct crl_seen	 last;	/* the highest CRL number seen */
	int		 found, bad;
};

static int
on_record(const struct kc_transcript_rec *r, void *arg)
{
	struct tr_scan *t = arg;
	const char *ca = kc_transcript_rec_get(r, "ca");
	const char *num = kc_transcript_rec_get(r, "number");
	const char *cnt = kc_transcript_rec_get(r, "revoked-count");
	const char *list = kc_transcript_rec_get(r, "revoked");
	struct kc_crl_info info;
	long long v;
	char *end;

	if (strcmp(r->kind, "crl") != 0 || ca == NULL || strcmp(ca, t->ca) != 0)
		return KC_OK;
	if (num == NULL || (v = strtoll(num, &end, 10)) < 1 || *end != '\0' ||
	    cnt == NULL) {
		t->bad = 1;
		return KC_OK;
	}
	if (t->found && v <= t->last.number)
		return KC_OK;
	memset(&info, 0, sizeof(info));
	if (list != NULL && kc_crl_revoked_parse(list, &info) != KC_OK) {
		kc_err_clear();
		t->bad = 1;
		return KC_OK;
	}
	kc_crl_info_free(&t->last.info);
	memset(&t->last, 0, sizeof(t->last));
	snprintf(t->last.what, sizeof(t->last.what), "the crl record at %s "
	    "line %zu", t->path, r->line);
	t->last.number = v;
	t->last.count = (size_t)strtoull(cnt, NULL, 10);
	t->last.has_list = list != NULL;
	t->last.info = info;
	t->found = 1;
	return KC_OK;
}

/* The last CRL record of this root in the transcripts of the state
 * directory (a killed ceremony's valid prefix counts). */
static int
check_transcripts(const char *state, const struct kc_issuer *is,
    const struct kc_register *reg, long long next,
    const struct kc_reg_entry *rev, size_t n)
{
	struct tr_scan best;
	struct dirent **names = NULL;
	char dir[PATH_MAX];
	int cnt, rc = KC_OK;

	memset(&best, 0, sizeof(best));
	if ((size_t)snprintf(dir, sizeof(dir), "%s/transcripts", state) >=
	    sizeof(dir) || (cnt = scandir(dir, &names, NULL, alphasort)) < 0)
		return KC_OK;
	for (int i = 0; i < cnt; i++) {
		size_t l = strlen(names[i]->d_name);
		char path[PATH_MAX];
		struct tr_scan t;

		if (l < 5 || strcmp(names[i]->d_name + l - 4, ".log") != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= sizeof(path))
			continue;
		memset(&t, 0, sizeof(t));
		t.ca = is->ca;
		t.path = path;
		if (kc_transcript_scan(path, KC_TRANSCRIPT_UNFINISHED,
		    on_record, &t, NULL) != KC_OK) {
			kc_log(KC_LOG_WARN, "%s; only the records before it are "
			    "used to check the register", kc_errmsg());
			kc_err_clear();
		}
		if (t.bad)
			kc_log(KC_LOG_WARN, "%s: a crl record that cannot be "
			    "read; not used to check the register", path);
		if (t.found && (!best.found ||
		    t.last.number > best.last.number)) {
			kc_crl_info_free(&best.last.info);
			best = t;
		} else {
			kc_crl_info_free(&t.last.info);
		}
	}
	for (int i = 0; i < cnt; i++)
		free(names[i]);
	free(names);
	if (best.found)
		rc = agree(reg, &best.last, next, rev, n);
	kc_crl_info_free(&best.last.info);
	return rc;
}

/* Before a CRL is signed: the register's next number must be above, and
 * its revoked list hold, what the newest CRL files (state directory and
 * the directory of --out) and the transcripts' last crl record say. */
int
kc_crl_check_rollback(const struct kc_crl_params *p, const struct kc_issuer *is,
    const struct kc_register *reg, long long next,
    const struct kc_reg_entry *rev, size_t n)
{
	char outdir[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	const char *slash = strrchr(p->out, '/');
	int rc;

	if ((rc = check_crl_files(p->state_dir, is, reg, next, rev, n)) !=
	    KC_OK)
		return rc;
	if (slash == NULL)
		snprintf(outdir, sizeof(outdir), ".");
	else
		snprintf(outdir, sizeof(outdir), "%.*s",
		    (int)(slash - p->out) > 0 ? (int)(slash - p->out) : 1,
		    p->out);
	if (realpath(outdir, a) == NULL || realpath(p->state_dir, b) == NULL ||
	    strcmp(a, b) != 0) {
		if ((rc = check_crl_files(outdir, is, reg, next, rev, n)) !=
		    KC_OK)
			return rc;
	}
	return check_transcripts(p->state_dir, is, reg, next, rev, n);
}

int
kc_crl_transcript_record(struct kc_transcript *tr, const char *path,
    const char *issuer_path)
{
	struct kc_crl_info info;
	X509 *issuer = NULL;
	unsigned char *data = NULL;
	char ca[65], sha[65], num[32], cnt[32], *list = NULL, lsha[65];
	const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
	    path;
	size_t len;
	int rc;

	memset(&info, 0, sizeof(info));
	if ((rc = kc_cert_load(issuer_path, &issuer)) != KC_OK ||
	    (rc = kc_cert_fingerprint(issuer, NULL, ca)) != KC_OK ||
	    (rc = kc_crl_info_load(path, issuer, &info)) != KC_OK ||
	    (rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK ||
	    (rc = kc_crl_revoked_format(&info, &list)) != KC_OK)
		goto out;
	kc_sha256_hex(data, len, sha);
	snprintf(num, sizeof(num), "%lld", info.number);
	snprintf(cnt, sizeof(cnt), "%zu", info.n);
	if (strlen(list) <= KC_TRANSCRIPT_LINE_MAX / 2) {
		rc = kc_transcript_add(tr, "crl", "ca", ca, "number", num,
		    "revoked-count", cnt, "revoked", list, "file", base,
		    "sha256", sha, NULL);
	} else {
		kc_sha256_hex(list, strlen(list), lsha);
		rc = kc_transcript_add(tr, "crl", "ca", ca, "number", num,
		    "revoked-count", cnt, "revoked-sha256", lsha, "file", base,
		    "sha256", sha, NULL);
	}
out:
	kc_crl_info_free(&info);
	X509_free(issuer);
	free(data);
	free(list);
	return rc;
}

/* media_export.c: export of public artefacts to removable media (see
 * kc/ceremony/media.h): the batch written atomically file by file, read
 * back, SHA256SUMS rewritten, rolled back on failure; the register dump;
 * kc_media_export, kc_media_export_files, kc_media_export_report. Owned by
 * the ceremony side (libkc-ceremony).
 *
 * KC_TEST_MEDIA_FAIL_AFTER=N (tests only, for machines where a small
 * tmpfs cannot be mounted) makes the write after the N-th file of an
 * export fail with ENOSPC, to exercise the rollback. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc/ceremony/media.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "media_int.h"

/*
 * A new file name in the medium directory mfd (media names it in
 * messages): temporary file, fsync, then renamed into place without
 * replacing anything (RENAME_NOREPLACE; on a file system without it, such
 * as older vfat drivers, a plain rename after checking the name is free:
 * the medium is in the hands of one officer). Hard links, which
 * kc_file_write() uses for KC_WRITE_EXCL, do not exist on FAT, the usual
 * format of USB sticks. replace: SHA256SUMS, which is renamed over the
 * old one. Every step is relative to mfd, never a path. The directory is
 * synced by the caller.
 */
static int
media_write(int mfd, const char *media, const char *name,
    const unsigned char *data, size_t len, int replace)
{
	char path[PATH_MAX], base[300], tmp[320];
	struct stat st;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", media, name);
	if ((size_t)snprintf(base, sizeof(base), "%s.tmp-", name) >=
	    sizeof(base))
		return kc_err(KC_ERR_USAGE, "%s: name too long", path);
	if ((fd = kc_media_create_at(mfd, base, tmp, sizeof(tmp), 0644)) == -1)
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(errno));
	if (kc_write_all(fd, data, len) == -1) {
		e = errno == 0 ? ENOSPC : errno;
		goto fail;
	}
	if (fsync(fd) == -1) {
		e = errno;
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		e = errno;
		goto fail;
	}
	fd = -1;
	if (replace) {
		if (renameat(mfd, tmp, mfd, name) == 0)
			return KC_OK;
		e = errno;
		unlinkat(mfd, tmp, 0);
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(e));
	}
	if (renameat2(mfd, tmp, mfd, name, RENAME_NOREPLACE) == 0)
		return KC_OK;
	e = errno;
	if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) {
		if (fstatat(mfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			e = EEXIST;
		} else if (renameat(mfd, tmp, mfd, name) == 0) {
			return KC_OK;
		} else {
			e = errno;
		}
	}
	unlinkat(mfd, tmp, 0);
	if (e == EEXIST)
		return kc_err(KC_ERR_EXISTS, "%s already exists; refusing to "
		    "overwrite it", path);
	return kc_err(KC_ERR_IO, "cannot create %s: %s", path, strerror(e));
fail:
	if (fd != -1)
		close(fd);
	unlinkat(mfd, tmp, 0);
	return kc_err(KC_ERR_IO, "cannot write %s: %s", path, strerror(e));
}

/* fsync of the medium directory itself. */
static int
media_sync(int mfd, const char *media)
{
	if (fsync(mfd) == -1 && errno != EINVAL)
		return kc_err(KC_ERR_IO, "fsync %s: %s", media, strerror(errno));
	return KC_OK;
}

static int
fail_injected(size_t written)
{
	const char *s = getenv("KC_TEST_MEDIA_FAIL_AFTER");

	return s != NULL && s[0] != '\0' && written >= strtoul(s, NULL, 10);
}

/* Reads name back from the medium (page cache dropped first, no link
 * followed) and compares its SHA-256. */
static int
read_back(int mfd, const char *media, const char *name, const char *sha256)
{
	char disp[PATH_MAX], hex[65];
	struct stat st;
	int fd, rc;

	snprintf(disp, sizeof(disp), "%s/%s", media, name);
	if ((rc = kc_media_open_at(mfd, name, disp, NULL, MEDIA_FILE_MAX, &fd,
	    &st)) != KC_OK)
		return rc;
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	rc = kc_sha256_fd(fd, disp, st.st_size, hex);
	close(fd);
	if (rc != KC_OK)
		return rc;
	if (strcmp(hex, sha256) != 0)
		return kc_err(KC_ERR_IO, "%s reads back with SHA-256 %s, not "
		    "%s: the medium is faulty; use another", disp, kc_hash(hex),
		    kc_hash(sha256));
	return KC_OK;
}

/* SHA256SUMS text: the validated old entries not in the batch, then the
 * batch. NULL b: the old entries only (for a rollback). */
static char *
sums_text(const struct sums *old, const struct batch *b, size_t *len)
{
	size_t cap = (old->n + (b ? b->n : 0)) * 330 + 1, used = 0;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < old->n; i++) {
		int again = 0;
		for (size_t j = 0; b != NULL && j < b->n; j++)
			again |= strcmp(b->items[j].name, old->name[i]) == 0;
		if (!again)
			used += (size_t)snprintf(out + used, cap - used,
			    "%s  %s\n", old->sha[i], old->name[i]);
	}
	for (size_t j = 0; b != NULL && j < b->n; j++)
		used += (size_t)snprintf(out + used, cap - used, "%s  %s\n",
		    b->items[j].sha256, b->items[j].name);
	*len = used;
	return out;
}

static int
do_export(const char *media, struct batch *b, struct kc_export_result *res)
{
	char path[PATH_MAX], sums_sha[65], msg[1024], sumspath[PATH_MAX];
	struct sums old;
	char *text = NULL;
	size_t written = 0, tlen = 0;
	int removable, rc, mfd = -1, had_sums = 0;

	memset(&old, 0, sizeof(old));
	if ((rc = kc_media_open_dir(media, &mfd, &removable, path,
	    sizeof(path))) != KC_OK)
		return rc;
	if ((rc = kc_media_scan_dir(mfd, media, 1, "export")) != KC_OK ||
	    (rc = kc_media_sums_parse(mfd, media, &old)) != KC_OK)
		goto out;
	snprintf(sumspath, sizeof(sumspath), "%s/%s", media, SUMS);
	{
		struct stat sst;
		had_sums = fstatat(mfd, SUMS, &sst, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if ((rc = kc_media_case_clash(mfd, media, b)) != KC_OK)
		goto out;
	/* Every target checked before anything is written. */
	for (size_t i = 0; i < b->n; i++) {
		struct stat st;
		char hex[65];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		rc = kc_media_open_at(mfd, b->items[i].name, path, NULL,
		    MEDIA_FILE_MAX, &fd, &st);
		if (rc == KC_ERR_NOTFOUND) {
			kc_err_clear();
			rc = KC_OK;
			continue;
		}
		if (rc != KC_OK) {
			snprintf(msg, sizeof(msg), "%s", kc_errmsg());
			rc = kc_err(rc, "%s; refusing to export: use an empty "
			    "medium", msg);
			goto out;
		}
		rc = kc_sha256_fd(fd, path, st.st_size, hex);
		close(fd);
		if (rc != KC_OK)
			goto out;
		if (strcmp(hex, b->items[i].sha256) != 0) {
			rc = kc_err(KC_ERR_EXISTS, "%s already exists on the "
			    "media with other content: refusing to overwrite "
			    "it; use an empty medium", path);
			goto out;
		}
		b->items[i].skip = 1;
	}

	for (size_t i = 0; i < b->n; i++) {
		if (b->items[i].skip)
			continue;
		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		if (fail_injected(written)) {
			rc = kc_err(KC_ERR_IO, "cannot write %s: %s", path,
			    strerror(ENOSPC));
			goto rollback;
		}
		if ((rc = media_write(mfd, media, b->items[i].name,
		    b->items[i].data, b->items[i].len, 0)) != KC_OK)
			goto rollback;
		b->items[i].written = 1;
		written++;
	}
	if (fail_injected(written)) {
		rc = kc_err(KC_ERR_IO, "cannot write %s: %s", sumspath,
		    strerror(ENOSPC));
		goto rollback;
	}
	if ((text = sums_text(&old, b, &tlen)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto rollback;
	}
	kc_sha256_hex(text, tlen, sums_sha);
	if ((rc = media_write(mfd, media, SUMS, (unsigned char *)text, tlen,
	    1)) != KC_OK || (rc = media_sync(mfd, media)) != KC_OK)
		goto rollback;
	for (size_t i = 0; i < b->n; i++)
		if ((rc = read_back(mfd, media, b->items[i].name,
		    b->items[i].sha256)) != KC_OK)
			goto rollback;
	if ((rc = read_back(mfd, media, SUMS, sums_sha)) != KC_OK)
		goto rollback;

	if ((res->files = calloc(b->n ? b->n : 1, sizeof(*res->files))) ==
	    NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct kc_media_file *f = &res->files[i];
		snprintf(f->name, sizeof(f->name), "%s", b->items[i].name);
		memcpy(f->sha256, b->items[i].sha256, 65);
		f->type = b->items[i].type;
		f->size = b->items[i].len;
		f->skipped = b->items[i].skip;
	}
	res->n = b->n;
	rc = KC_OK;
	goto out;

rollback:
	/* Leave the media as it was: remove what this export created and
	 * put back a SHA256SUMS generated from the old, validated entries. */
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	for (size_t i = 0; i < b->n; i++) {
		if (!b->items[i].written)
			continue;
		if (unlinkat(mfd, b->items[i].name, 0) == -1 && errno != ENOENT)
			continue;
	}
	free(text);
	text = NULL;
	if (had_sums && (text = sums_text(&old, NULL, &tlen)) != NULL)
		(void)media_write(mfd, media, SUMS, (unsigned char *)text,
		    tlen, 1);
	else if (!had_sums)
		(void)unlinkat(mfd, SUMS, 0);
	(void)media_sync(mfd, media);
	kc_err(rc, "%s; the export was rolled back: the media holds what it "
	    "held before", msg);
out:
	free(text);
	kc_media_sums_free(&old);
	if (mfd != -1)
		close(mfd);
	return rc;
}

static void
utc(time_t t, char out[32])
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, 32, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The register as text, named by its content so that an unchanged
 * register is not exported twice; the verification codes it recorded are
 * kept for the .code check. */
static int
add_register_dump(struct batch *b, const char *state_dir)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry *list = NULL;
	char path[PATH_MAX], name[64], sha[65], *text = NULL;
	size_t n = 0, cap, used = 0;
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", state_dir, KC_REGISTER_FILE);
	if (lstat(path, &st) != 0)
		return KC_OK;
	if (!S_ISREG(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s: is %s, not the register; "
		    "refusing to export", path, kc_file_kind(st.st_mode));
	if ((rc = kc_register_open(state_dir, 0, &reg)) != KC_OK ||
	    (rc = kc_register_list(reg, &list, &n)) != KC_OK)
		goto out;
	if (n > 0 && (b->codes = calloc(n, sizeof(*b->codes))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	cap = 256 + n * 1400;
	if ((text = malloc(cap)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	used = (size_t)snprintf(text, cap, "# keyceremony register dump: %zu "
	    "entries\n# kind\tserial-or-crl-number\tsubject\tnot-before\t"
	    "not-after\trevoked\treason\tsha256\tfile\tca\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct kc_reg_entry *e = &list[i];
		char nb_s[32], na_s[32], rv[32], num[48];

		if (e->kind == KC_REG_VERIFICATION && e->inputs_sha256[0])
			snprintf(b->codes[b->n_codes++], sizeof(b->codes[0]),
			    "%s", e->inputs_sha256);
		utc(e->not_before, nb_s);
		utc(e->not_after, na_s);
		utc(e->revoked_at, rv);
		if (e->kind == KC_REG_CRL)
			snprintf(num, sizeof(num), "crl#%lld", e->crl_number);
		else
			snprintf(num, sizeof(num), "%s", e->serial);
		used += (size_t)snprintf(text + used, cap - used, "%s\t%s\t%s\t"
		    "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kc_reg_kind_name(e->kind),
		    num, e->subject, nb_s, na_s, rv, e->revoked_at ?
		    kc_reason_name(e->reason) : "-", e->sha256, e->path, e->ca);
		if (used >= cap) {
			rc = kc_err(KC_ERR_INTERNAL, "register dump too long");
			goto out;
		}
	}
	{
		char why[160];
		if (kc_media_has_private((unsigned char *)text, used, why,
		    sizeof(why))) {
			rc = kc_err(KC_ERR_POLICY, "the register dump of %s holds "
			    "%s: refusing to export anything", path, why);
			goto out;
		}
	}
	kc_sha256_hex(text, used, sha);
	snprintf(name, sizeof(name), "register-%.12s.txt", sha);
	rc = kc_media_batch_add(b, name, (unsigned char *)text, used,
	    KC_ART_REGISTER);
	text = NULL;
out:
	free(text);
	free(list);
	kc_register_close(reg);
	return rc;
}

int
kc_media_export(const char *state_dir, const char *media_dir, int flags,
    struct kc_export_result *res)
{
	struct batch b;
	char tdir[PATH_MAX];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	/* the register first: the .code check needs its codes */
	if ((rc = add_register_dump(&b, state_dir)) != KC_OK ||
	    (rc = kc_media_add_dir(&b, state_dir, 0)) != KC_OK)
		goto out;
	if (!(flags & KC_EXPORT_NO_TRANSCRIPTS)) {
		snprintf(tdir, sizeof(tdir), "%s/transcripts", state_dir);
		if ((rc = kc_media_add_dir(&b, tdir, 1)) != KC_OK)
			goto out;
	}
	if (b.n == 0) {
		rc = kc_err(KC_ERR_NOTFOUND, "nothing to export in %s", state_dir);
		goto out;
	}
	{
		struct stat a, m;
		if (stat(state_dir, &a) == 0 && stat(media_dir, &m) == 0 &&
		    a.st_dev == m.st_dev && a.st_ino == m.st_ino) {
			rc = kc_err(KC_ERR_USAGE, "%s is the state directory "
			    "itself; export to the medium", media_dir);
			goto out;
		}
	}
	rc = do_export(media_dir, &b, res);
out:
	kc_media_batch_free(&b);
	return rc;
}

int
kc_media_export_files(const char *media_dir, const char *const *paths,
    size_t n, struct kc_export_result *res)
{
	struct batch b;
	int rc = KC_OK;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		char dir[PATH_MAX];
		const char *base = strrchr(paths[i], '/');
		int dfd;

		if (base == NULL) {
			snprintf(dir, sizeof(dir), ".");
			base = paths[i];
		} else {
			snprintf(dir, sizeof(dir), "%.*s",
			    (int)(base - paths[i]), paths[i]);
			base++;
			if (dir[0] == '\0')
				snprintf(dir, sizeof(dir), "/");
		}
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
			break;
		}
		rc = kc_media_export_one(&b, dfd, paths[i], base,
		    kc_media_ends_with(base,
		    ".log"));
		close(dfd);
	}
	if (rc == KC_OK)
		rc = do_export(media_dir, &b, res);
	kc_media_batch_free(&b);
	return rc;
}

int
kc_media_export_report(const char *media_dir, const char *name,
    const unsigned char *data, size_t len, struct kc_export_result *res)
{
	struct batch b;
	unsigned char *copy;
	char why[160];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if (!kc_media_name_ok(name) || !kc_media_ends_with(name, ".pdf"))
		return kc_err(KC_ERR_INTERNAL, "%s: not a report name", name);
	if (len < 16 || memcmp(data, "%PDF-1.", 7) != 0 ||
	    memmem(data + len - (len < 32 ? len : 32), len < 32 ? len : 32,
	    "%%EOF", 5) == NULL)
		return kc_err(KC_ERR_INTERNAL, "%s: not a whole PDF; refusing "
		    "to export it", name);
	if (kc_media_has_private(data, len, why, sizeof(why)))
		return kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "it", name, why);
	if ((copy = malloc(len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	if ((rc = kc_media_batch_add(&b, name, copy, len,
	    KC_ART_REPORT)) == KC_OK)
		rc = do_export(media_dir, &b, res);
	kc_media_batch_free(&b);
	return rc;
}

/* media_sums.c: the medium before an export: its SHA256SUMS read back
 * hostile-safe, names that clash by case, the walk that refuses what is
 * not ours (media_int.h). Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kc/ceremony/media.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "media_int.h"

/* ---- the medium before an export ---- */


void
kc_media_sums_free(struct sums *s)
{
	free(s->name);
	free(s->sha);
	memset(s, 0, sizeof(*s));
}

static int
sums_add(struct sums *s, const char *name, const char *sha)
{
	char (*nn)[256], (*ns)[65];

	if ((nn = realloc(s->name, (s->n + 1) * sizeof(*nn))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	s->name = nn;
	if ((ns = realloc(s->sha, (s->n + 1) * sizeof(*ns))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	s->sha = ns;
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
	snprintf(s->sha[s->n], sizeof(s->sha[0]), "%s", sha);
	s->n++;
	return KC_OK;
}

/* What the files an existing SHA256SUMS lists may hold in all: each is
 * read and hashed, and sparse files cost nothing to plant. */
#define SUMS_LISTED_MAX (256 << 20)

/*
 * The SHA256SUMS already on the medium, parsed strictly: every line is
 * "<64 lower-case hex>  <name>\n" with a name export could have written,
 * no name twice, and the file it names is on the medium, a regular file
 * with that SHA-256. Anything else is an error naming the line. Nothing
 * of the old file is copied: the new one is generated from these entries.
 */
int
kc_media_sums_parse(int mfd, const char *media, struct sums *s)
{
	char disp[PATH_MAX], ldisp[PATH_MAX + 32], fdisp[PATH_MAX], hex[65];
	unsigned char *buf = NULL;
	size_t len = 0, off = 0;
	struct stat st;
	off_t listed = 0;
	int fd = -1, rc, line = 0;

	snprintf(disp, sizeof(disp), "%s/%s", media, SUMS);
	rc = kc_media_open_at(mfd, SUMS, disp, NULL, KC_FILE_MAX, &fd, &st);
	if (rc == KC_ERR_NOTFOUND) {
		kc_err_clear();
		return KC_OK;
	}
	if (rc != KC_OK || (rc = kc_media_read_fd(fd, disp, &st, &buf,
	    &len)) != KC_OK)
		goto out;
	while (off < len && rc == KC_OK) {
		const char *l = (const char *)buf + off;
		const char *nl = memchr(l, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - l) : len - off, nlen;
		char name[256];
		int fok = 1;

		line++;
		snprintf(ldisp, sizeof(ldisp), "%s:%d", disp, line);
		for (size_t i = 0; i < 64 && i < ll; i++)
			fok &= (l[i] >= '0' && l[i] <= '9') ||
			    (l[i] >= 'a' && l[i] <= 'f');
		nlen = ll > 66 ? ll - 66 : 0;
		if (nl == NULL || ll < 67 || !fok || l[64] != ' ' ||
		    l[65] != ' ' || nlen >= sizeof(name) ||
		    memchr(l, '\0', ll) != NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s: not a line '<64 "
			    "lower-case hex>  <name>' (an existing %s must hold "
			    "only such lines); refusing to export: use an "
			    "empty medium", ldisp, SUMS);
			break;
		}
		memcpy(name, l + 66, nlen);
		name[nlen] = '\0';
		if (!kc_media_name_ok(name)) {
			rc = kc_err(KC_ERR_INPUT, "%s: names a file export "
			    "would never write; refusing to export: use an "
			    "empty medium", ldisp);
			break;
		}
		/* without regard to case: on FAT both lines name one file */
		for (size_t i = 0; i < s->n && rc == KC_OK; i++)
			if (strcasecmp(s->name[i], name) == 0)
				rc = kc_err(KC_ERR_INPUT, "%s: %s is listed "
				    "twice%s; refusing to export: use an empty "
				    "medium", ldisp, name, strcmp(s->name[i],
				    name) ? " (the names differ only in case)" :
				    "");
		if (rc != KC_OK)
			break;
		snprintf(fdisp, sizeof(fdisp), "%s/%s", media, name);
		{
			int ffd;
			struct stat fst;
			if ((rc = kc_media_open_at(mfd, name, fdisp, NULL,
			    MEDIA_FILE_MAX, &ffd, &fst)) != KC_OK) {
				char msg[512];
				snprintf(msg, sizeof(msg), "%s", kc_errmsg());
				rc = kc_err(rc, "%s: the file it lists cannot be "
				    "checked (%s); refusing to export: use an "
				    "empty medium", ldisp, msg);
				break;
			}
			if ((listed += fst.st_size) > SUMS_LISTED_MAX) {
				close(ffd);
				rc = kc_err(KC_ERR_INPUT, "%s: the files it lists "
				    "hold more than %d MiB; refusing to export: "
				    "use an empty medium", ldisp,
				    SUMS_LISTED_MAX >> 20);
				break;
			}
			rc = kc_sha256_fd(ffd, fdisp, fst.st_size, hex);
			close(ffd);
			if (rc != KC_OK)
				break;
		}
		if (memcmp(hex, l, 64) != 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: %s on the medium does not "
			    "have the SHA-256 listed; refusing to export: use "
			    "an empty medium", ldisp, name);
			break;
		}
		rc = sums_add(s, name, hex);
		off += ll + 1;
	}
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return rc;
}

/* A name export gives its temporary files on the medium (NAME.tmp- and
 * 12 hex digits, .kc-probe-XXXXXX...): one found there was left by an
 * export that was killed or lost power. */
static int
our_temp(const char *n)
{
	const char *t = strstr(n, ".tmp-");

	if (strncmp(n, ".kc-probe-", 10) == 0)
		return 1;
	for (; t != NULL; t = strstr(t + 1, ".tmp-")) {
		size_t k = 0;
		while (isxdigit((unsigned char)t[5 + k]))
			k++;
		if (k == 12 && t[5 + k] == '\0')
			return 1;
	}
	return 0;
}

/*
 * FAT and exFAT, the usual formats of USB sticks, take names that differ
 * only in case for one file: root.pem and ROOT.PEM would overwrite each
 * other, and a SHA256SUMS listing both would lie. Refuses the export when
 * two files to write, or a file to write and a different name on the
 * medium (SHA256SUMS included), differ only in case.
 */
int
kc_media_case_clash(int mfd, const char *media, const struct batch *b)
{
	char **names = NULL;
	size_t n = 0;
	DIR *dp;
	int dfd, rc = KC_OK;

	for (size_t i = 0; i < b->n; i++)
		for (size_t j = i + 1; j < b->n; j++)
			if (strcasecmp(b->items[i].name, b->items[j].name) == 0)
				return kc_err(KC_ERR_POLICY, "%s and %s differ "
				    "only in case: a FAT medium takes them for "
				    "one file; refusing to export (rename one in "
				    "the state directory)", b->items[i].name,
				    b->items[j].name);
	if ((dfd = dup(mfd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return kc_err(KC_ERR_IO, "%s: %s", media, strerror(errno));
	}
	rewinddir(dp);
	rc = kc_media_list_dir(dp, media, &names, &n);
	closedir(dp);
	for (size_t k = 0; k < n && rc == KC_OK; k++) {
		const char *clash = NULL;
		if (strcasecmp(names[k], SUMS) == 0 && strcmp(names[k], SUMS))
			clash = SUMS;
		for (size_t i = 0; i < b->n && clash == NULL; i++)
			if (strcasecmp(names[k], b->items[i].name) == 0 &&
			    strcmp(names[k], b->items[i].name) != 0)
				clash = b->items[i].name;
		if (clash != NULL)
			rc = kc_err(KC_ERR_POLICY, "%s/%s: differs only in case "
			    "from %s, which this export writes (a FAT medium "
			    "takes them for one file); refusing to export: use "
			    "an empty medium", media, names[k], clash);
	}
	kc_media_free_names(names, n);
	return rc;
}

/*
 * A file of a root key backup medium (keyceremony backup create, issue 17):
 * the wrapped key, its manifest, or a temporary copy of either, in any
 * case (a FAT medium). The public export never writes next to them.
 */
static int
backup_name(const char *n)
{
	return strcasestr(n, "backup.wrapped") != NULL ||
	    strcasestr(n, "backup.manifest") != NULL;
}

/* How deep and how many entries the medium walk looks at. */
#define MEDIA_DEPTH_MAX 16
#define MEDIA_ENTRIES_MAX 100000

/*
 * Everything on the medium, in every directory, is a regular file or a
 * directory; anything else (a link, FIFO, socket, device) is refused by
 * name before anything is read or written. strict (export, onto a medium
 * of the room): a regular file must also belong to the caller or root and
 * have one link. verb names the operation in messages.
 */
static int
media_walk(int dirfd, const char *dir, int depth, int strict,
    const char *verb, size_t *count)
{
	char disp[PATH_MAX], **names = NULL;
	size_t n = 0;
	struct stat st;
	DIR *dp;
	int dfd, rc;

	if (depth > MEDIA_DEPTH_MAX)
		return kc_err(KC_ERR_POLICY, "%s: directories nested more than "
		    "%d deep on the medium: refusing to %s", dir,
		    MEDIA_DEPTH_MAX, verb);
	if ((dfd = dup(dirfd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
	}
	rewinddir(dp);
	if ((rc = kc_media_list_dir(dp, dir, &names, &n)) != KC_OK)
		goto out;
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		snprintf(disp, sizeof(disp), "%s/%s", dir, names[i]);
		if (++*count > MEDIA_ENTRIES_MAX) {
			rc = kc_err(KC_ERR_POLICY, "%s: more than %d entries on "
			    "the medium: refusing to %s", dir,
			    MEDIA_ENTRIES_MAX, verb);
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", disp, strerror(errno));
			break;
		}
		if (strict && backup_name(names[i])) {
			rc = kc_err(KC_ERR_POLICY, "%s: this is a root key backup "
			    "medium (it holds the wrapped root key or its "
			    "manifest): refusing to %s onto it; the public "
			    "export never goes to the backup medium (use another "
			    "medium)", disp, verb);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1) {
				rc = kc_err(KC_ERR_IO, "%s: %s", disp,
				    strerror(errno));
				break;
			}
			rc = media_walk(sub, disp, depth + 1, strict, verb, count);
			close(sub);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = kc_err(KC_ERR_POLICY, "%s: is %s; the medium must "
			    "hold only regular files and directories: refusing "
			    "to %s (remove it, or use an empty medium)", disp,
			    kc_file_kind(st.st_mode), verb);
			break;
		}
		if (!strict)
			continue;
		if (depth == 0 && our_temp(names[i]))
			rc = kc_err(KC_ERR_POLICY, "%s: a temporary file left by "
			    "an export that did not finish (killed, or the "
			    "medium pulled): refusing to %s (check the medium "
			    "and remove it, or use an empty medium)", disp, verb);
		else if (st.st_uid != geteuid() && st.st_uid != 0)
			rc = kc_err(KC_ERR_POLICY, "%s: is owned by uid %lu, not "
			    "by you or root: refusing to %s (use an empty "
			    "medium)", disp, (unsigned long)st.st_uid, verb);
		else if (st.st_nlink > 1)
			rc = kc_err(KC_ERR_POLICY, "%s: has %lu hard links "
			    "(another name for the same file): refusing to %s "
			    "(use an empty medium)", disp,
			    (unsigned long)st.st_nlink, verb);
	}
out:
	closedir(dp);
	kc_media_free_names(names, n);
	return rc;
}

int
kc_media_scan_dir(int mfd, const char *media, int strict, const char *verb)
{
	size_t count = 0;

	return media_walk(mfd, media, 0, strict, verb, &count);
}

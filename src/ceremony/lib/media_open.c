/* media_open.c: probing a medium (removable, its mount point, writable)
 * and opening and reading files on it or in the state directory as
 * hostile inputs (names checked, no link followed, size caps); see
 * media_int.h. Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "kc/ceremony/media.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "media_int.h"

/* ---- probing the media ---- */

static const char *
sysfs(void)
{
	const char *s = getenv("KC_SYSFS");
	return s != NULL && s[0] != '\0' ? s : "/sys";
}

/* The mount point holding path (longest match in /proc/self/mountinfo). */
static void
mount_point(const char *real, char *mp, size_t mpsz)
{
	char line[4096], best[PATH_MAX] = "/";
	size_t bestlen = 1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char m[PATH_MAX];
			size_t ml;
			/* id parent major:minor root mountpoint ... */
			if (sscanf(line, "%*s %*s %*s %*s %4095s", m) != 1)
				continue;
			ml = strlen(m);
			if (ml >= bestlen && strncmp(real, m, ml) == 0 &&
			    (real[ml] == '/' || real[ml] == '\0' ||
			    strcmp(m, "/") == 0)) {
				snprintf(best, sizeof(best), "%s", m);
				bestlen = ml;
			}
		}
		fclose(f);
	}
	snprintf(mp, mpsz, "%s", best);
}

static int
removable_flag(dev_t dev)
{
	char path[PATH_MAX], buf[16];
	FILE *f;

	for (int up = 0; up < 2; up++) {
		snprintf(path, sizeof(path), "%s/dev/block/%u:%u/%sremovable",
		    sysfs(), major(dev), minor(dev), up ? "../" : "");
		if ((f = fopen(path, "re")) == NULL)
			continue;
		buf[0] = '\0';
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		if (buf[0] == '0' || buf[0] == '1')
			return buf[0] - '0';
	}
	return -1;
}

/*
 * A name of our own for a new file in the medium directory mfd: base
 * followed by 12 random hex digits; the file is created there (O_EXCL,
 * no link followed) and its descriptor returned. Everything an export
 * does on the medium goes through mfd: the directory that was checked is
 * the one written, even if its name is swapped for a link meanwhile.
 */
int
kc_media_create_at(int mfd, const char *base, char *name, size_t namesz,
    mode_t mode)
{
	unsigned char rnd[6];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		ERR_clear_error();
		errno = EIO;
		return -1;
	}
	if ((size_t)snprintf(name, namesz, "%s%02x%02x%02x%02x%02x%02x", base,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]) >= namesz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return openat(mfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, mode);
}

/* kc_media_probe() on the directory already open as mfd. */
static int
probe_at(int mfd, const char *dir, const struct stat *st, int *removable,
    char *mountpoint, size_t mpsz)
{
	char probe[64], real[PATH_MAX];
	int fd;

	*removable = -1;
	if (mpsz > 0)
		mountpoint[0] = '\0';
	if ((fd = kc_media_create_at(mfd, ".kc-probe-", probe, sizeof(probe),
	    0600)) ==
	    -1)
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s%s", dir, strerror(errno), errno == EROFS ?
		    " (mounted read-only, or the write-protect switch is on)" :
		    "");
	if (write(fd, "k", 1) != 1 || fsync(fd) == -1) {
		int e = errno;
		close(fd);
		unlinkat(mfd, probe, 0);
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s", dir, strerror(e));
	}
	close(fd);
	unlinkat(mfd, probe, 0);
	if (realpath(dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", dir);
	mount_point(real, mountpoint, mpsz);
	*removable = removable_flag(st->st_dev);
	return KC_OK;
}

/* Opens the media directory dir (*mfd) and probes it. */
int
kc_media_open_dir(const char *dir, int *mfd, int *removable, char *mountpoint,
    size_t mpsz)
{
	struct stat st;
	int rc;

	*mfd = -1;
	*removable = -1;
	if (mpsz > 0)
		mountpoint[0] = '\0';
	if ((*mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		int e = errno;
		if (e == ENOENT)
			return kc_err(KC_ERR_NOTFOUND, "media directory %s: %s; "
			    "insert and mount the medium", dir, strerror(e));
		if (e == ENOTDIR)
			return kc_err(KC_ERR_IO, "media directory %s is not a "
			    "directory", dir);
		return kc_err(KC_ERR_IO, "media directory %s: %s", dir,
		    strerror(e));
	}
	if (fstat(*mfd, &st) == -1)
		rc = kc_err(KC_ERR_IO, "media directory %s: %s", dir,
		    strerror(errno));
	else
		rc = probe_at(*mfd, dir, &st, removable, mountpoint, mpsz);
	if (rc != KC_OK) {
		close(*mfd);
		*mfd = -1;
	}
	return rc;
}

int
kc_media_probe(const char *dir, int *removable, char *mountpoint,
    size_t mpsz)
{
	int mfd, rc;

	if ((rc = kc_media_open_dir(dir, &mfd, removable, mountpoint, mpsz)) ==
	    KC_OK)
		close(mfd);
	return rc;
}

/* ---- opening files on the medium and in the state directory ---- */

/* A name export and import handle: one plain component of letters,
 * digits, '-', '_', '.', '+', not hidden, not ours (SHA256SUMS, temp
 * files, the register). */
int
kc_media_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 200 || n[0] == '.' || strcmp(n, SUMS) == 0 ||
	    strstr(n, ".tmp-") != NULL || strncmp(n, KC_REGISTER_FILE,
	    strlen(KC_REGISTER_FILE)) == 0)
		return 0;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.' && *p != '+')
			return 0;
	return 1;
}

/*
 * Opens name in the directory dirfd as a hostile input: lstat first, so a
 * link, FIFO, socket or device is refused before open(2) can follow or
 * block on it; then O_NOFOLLOW|O_NONBLOCK and kc_file_check_fd() (regular,
 * owned by the caller or root, at most max bytes). disp names the file in
 * messages. KC_ERR_NOTFOUND when absent.
 */
int
kc_media_open_at(int dirfd, const char *name, const char *disp,
    const char *what, size_t max, int *fdp, struct stat *st)
{
	struct stat lst;
	int fd, rc;

	*fdp = -1;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == -1)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "%s: %s", disp, strerror(errno));
	if (S_ISLNK(lst.st_mode))
		return kc_err(KC_ERR_POLICY, "%s: is a symbolic link; refusing "
		    "to follow it", disp);
	if (!S_ISREG(lst.st_mode))
		return kc_err(KC_ERR_INPUT, "%s: is %s, not a regular file; "
		    "refusing it", disp, kc_file_kind(lst.st_mode));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return kc_err(errno == ELOOP ? KC_ERR_POLICY : KC_ERR_IO,
		    "%s: %s", disp, errno == ELOOP ? "is a symbolic link; "
		    "refusing to follow it" : strerror(errno));
	if ((rc = kc_file_check_fd(fd, disp, what, max, st)) != KC_OK) {
		close(fd);
		return rc;
	}
	if (st->st_nlink > 1) {
		close(fd);
		return kc_err(KC_ERR_POLICY, "%s: has %lu hard links (another "
		    "name for the same file); refusing it", disp,
		    (unsigned long)st->st_nlink);
	}
	*fdp = fd;
	return KC_OK;
}

/* Reads the whole of fd (size from st, checked against max by kc_media_open_at)
 * into a NUL-terminated buffer; the file may not grow meanwhile. */
int
kc_media_read_fd(int fd, const char *disp, const struct stat *st,
    unsigned char **data, size_t *len)
{
	size_t cap = (size_t)st->st_size, have = 0;
	unsigned char *buf;
	ssize_t n;

	*data = NULL;
	*len = 0;
	if ((buf = malloc(cap + 2)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory reading %s", disp);
	for (;;) {
		n = read(fd, buf + have, cap + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_IO, "%s: %s", disp, strerror(e));
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_INPUT, "%s: file changed while it "
			    "was read", disp);
		}
	}
	buf[have] = '\0';
	*data = buf;
	*len = have;
	return KC_OK;
}

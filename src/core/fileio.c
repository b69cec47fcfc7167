/* fileio.c: capped reads, atomic no-clobber writes, directory fsync. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"

static int
dirname_of(const char *path, char *dir, size_t dirsz)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return kc_err(KC_ERR_USAGE, "%s: path too long", path);
	strcpy(tmp, path);
	if (snprintf(dir, dirsz, "%s", dirname(tmp)) >= (int)dirsz)
		return kc_err(KC_ERR_USAGE, "%s: path too long", path);
	return KC_OK;
}

int
kc_dir_sync(const char *path)
{
	int fd, rc = KC_OK;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return kc_err(KC_ERR_IO, "%s: %s", path, strerror(errno));
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = kc_err(KC_ERR_IO, "fsync %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int
kc_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
kc_file_write(const char *path, const void *data, size_t len, mode_t mode,
    int flags)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	unsigned char rnd[8];
	int fd, rc, saved;

	if ((rc = dirname_of(path, dir, sizeof(dir))) != KC_OK)
		return rc;
	if ((flags & KC_WRITE_EXCL) && access(path, F_OK) == 0)
		return kc_err(KC_ERR_EXISTS, "%s already exists; refusing to "
		    "overwrite it", path);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return kc_err_ssl(KC_ERR_CRYPTO, "random bytes");
	snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x",
	    path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
	    rnd[7]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(errno));
	if (fchmod(fd, mode) == -1 || kc_write_all(fd, data, len) == -1 ||
	    (!(flags & KC_WRITE_NOSYNC) && fsync(fd) == -1)) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return kc_err(KC_ERR_IO, "cannot write %s: %s", path,
		    strerror(saved));
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(tmp);
		return kc_err(KC_ERR_IO, "cannot write %s: %s", path,
		    strerror(saved));
	}
	if (flags & KC_WRITE_EXCL) {
		if (link(tmp, path) == -1) {
			saved = errno;
			unlink(tmp);
			if (saved == EEXIST)
				return kc_err(KC_ERR_EXISTS, "%s already "
				    "exists; refusing to overwrite it", path);
			return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
			    strerror(saved));
		}
		unlink(tmp);
	} else if (rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(saved));
	}
	if (!(flags & KC_WRITE_NOSYNC))
		return kc_dir_sync(dir);
	return KC_OK;
}

const char *
kc_file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

int
kc_file_check_fd(int fd, const char *name, const char *what, size_t max,
    struct stat *st)
{
	const char *w = what ? what : "", *sp = what ? " " : "";
	uid_t me = geteuid();
	int fl;

	if (fstat(fd, st) == -1)
		return kc_err(KC_ERR_IO, "%s%s%s: %s", w, sp, name,
		    strerror(errno));
	if (!S_ISREG(st->st_mode))
		return kc_err(KC_ERR_INPUT, "%s%s%s: is %s, not a regular "
		    "file; refusing it", w, sp, name, kc_file_kind(st->st_mode));
	if (st->st_uid != me && st->st_uid != 0)
		return kc_err(KC_ERR_POLICY, "%s%s%s: is owned by uid %lu, not "
		    "by you (uid %lu) or root; refusing it", w, sp, name,
		    (unsigned long)st->st_uid, (unsigned long)me);
	if ((unsigned long long)st->st_size > (unsigned long long)max)
		return kc_err(KC_ERR_INPUT, "%s%s%s: file too large (%lld "
		    "bytes; the limit is %zu)", w, sp, name,
		    (long long)st->st_size, max);
	if ((fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return KC_OK;
}

int
kc_file_open(const char *path, const char *what, size_t max, int *fdp,
    struct stat *st)
{
	const char *w = what ? what : "", *sp = what ? " " : "";
	struct stat lst;
	int fd, rc;

	*fdp = -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1) {
		int saved = errno;

		if (saved == ELOOP || (saved == ENXIO &&
		    lstat(path, &lst) == 0)) {
			if (saved == ELOOP)
				return kc_err(KC_ERR_POLICY, "%s%s%s: is a "
				    "symbolic link; refusing to follow it",
				    w, sp, path);
			return kc_err(KC_ERR_INPUT, "%s%s%s: is %s, not a "
			    "regular file; refusing it", w, sp, path,
			    kc_file_kind(lst.st_mode));
		}
		return kc_err(saved == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "%s%s%s: %s", w, sp, path, strerror(saved));
	}
	if ((rc = kc_file_check_fd(fd, path, what, max, st)) != KC_OK) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return KC_OK;
}

int
kc_file_read(const char *path, size_t max, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t have = 0, cap;
	ssize_t n;
	int fd, rc;

	*data = NULL;
	*len = 0;
	if ((rc = kc_file_open(path, NULL, max, &fd, &st)) != KC_OK)
		return rc;
	/* A buffer of the file's size + 1; reading one byte more than it
	 * says is how a file that grew past max is seen. Never grown: the
	 * file was checked to be regular and no larger than max. */
	cap = (size_t)st.st_size;
	if ((buf = malloc(cap + 2)) == NULL) {
		close(fd);
		return kc_err(KC_ERR_NOMEM, "out of memory reading %s", path);
	}
	for (;;) {
		n = read(fd, buf + have, cap + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int saved = errno;
			close(fd);
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_IO, "%s: %s", path,
			    strerror(saved));
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			close(fd);
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_INPUT, "%s: file changed while "
			    "it was read (grew past %zu bytes)", path, cap);
		}
	}
	close(fd);
	buf[have] = '\0';
	*data = buf;
	*len = have;
	return KC_OK;
}

int
kc_file_check_absent(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return kc_err(KC_ERR_EXISTS, "%s already exists; refusing to "
		    "overwrite it", path);
	return KC_OK;
}

int
kc_name_reserved(const char *base)
{
	return strncmp(base, "register.sqlite", 15) == 0 ||
	    strncmp(base, "register-", 9) == 0 ||
	    strcmp(base, "SHA256SUMS") == 0 ||
	    strcmp(base, "transcripts") == 0 ||
	    strstr(base, ".tmp-") != NULL;
}

int
kc_file_check_output(const char *path)
{
	const char *base = strrchr(path, '/');
	char dir[PATH_MAX];
	int rc;

	base = base ? base + 1 : path;
	if (kc_name_reserved(base))
		return kc_err(KC_ERR_USAGE, "%s: '%s' is a name the state "
		    "directory or the medium keeps for itself; choose another "
		    "output name", path, base);
	if ((rc = kc_file_check_absent(path)) != KC_OK)
		return rc;
	if ((rc = dirname_of(path, dir, sizeof(dir))) != KC_OK)
		return rc;
	if (access(dir, W_OK | X_OK) == -1)
		return kc_err(KC_ERR_IO, "cannot write %s: directory %s: %s",
		    path, dir, strerror(errno));
	return KC_OK;
}

int
kc_dir_ensure(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return KC_OK;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return KC_OK;
	return kc_err(KC_ERR_IO, "cannot create directory %s: %s", path,
	    strerror(errno));
}

static void
hex32(const unsigned char md[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
}

void
kc_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hex32(md, out);
}

int
kc_sha256_fd(int fd, const char *name, off_t size, char out[65])
{
	unsigned char blk[65536], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	off_t total = 0;
	ssize_t n;
	int rc = KC_OK;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return kc_err_ssl(KC_ERR_CRYPTO, "SHA-256 of %s", name);
	}
	if (lseek(fd, 0, SEEK_SET) == (off_t)-1) {
		rc = kc_err(KC_ERR_IO, "%s: %s", name, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, blk, sizeof(blk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if ((total += n) > size)
			break;
		if (EVP_DigestUpdate(ctx, blk, (size_t)n) != 1) {
			rc = kc_err_ssl(KC_ERR_CRYPTO, "SHA-256 of %s", name);
			goto out;
		}
	}
	if (total != size) {
		rc = kc_err(KC_ERR_INPUT, "%s: file changed while it was read "
		    "(%lld bytes expected)", name, (long long)size);
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "SHA-256 of %s", name);
		goto out;
	}
	hex32(md, out);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

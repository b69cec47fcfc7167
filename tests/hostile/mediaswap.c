/*
 * mediaswap.c: an LD_PRELOAD shim for tests/hostile/media-attack.sh that
 * plays the hostile process beside an export, at an exact moment instead
 * of in a race: the first time the program opens a name containing
 * $KC_SWAP_ON (say "SHA256SUMS.tmp-"), the directory $KC_SWAP_DIR is
 * renamed to $KC_SWAP_DIR.real and a symbolic link to $KC_SWAP_TO put in
 * its place, then the open goes on. Code that resolves the medium's path
 * again after checking it writes through the link; code that works
 * relative to the directory it opened does not notice. With
 * $KC_KILL_ON instead, the process kills itself with SIGKILL at the first
 * open of such a name (with $KC_KILL_FSYNC set, at the fsync(2) after it:
 * the temporary file is written but not renamed): an export killed half
 * way, at a known point. With $KC_REPLACE_ON, a path-based open of a
 * name containing it reads $KC_REPLACE_WITH instead, and the original is
 * put back at once (same inode, size and times): a file checked through
 * its path again is not the file the program read before.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int done, armed;

static void
maybe_swap(const char *path)
{
	const char *on = getenv("KC_SWAP_ON"), *dir = getenv("KC_SWAP_DIR"),
	    *to = getenv("KC_SWAP_TO");
	const char *kill_on = getenv("KC_KILL_ON");
	char real[PATH_MAX];

	if (kill_on != NULL && path != NULL && strstr(path, kill_on) != NULL) {
		if (getenv("KC_KILL_FSYNC") == NULL)
			raise(SIGKILL);
		armed = 1;
	}
	if (done || on == NULL || dir == NULL || to == NULL || path == NULL ||
	    strstr(path, on) == NULL)
		return;
	done = 1;
	snprintf(real, sizeof(real), "%s.real", dir);
	if (rename(dir, real) == 0)
		(void)symlink(to, dir);
}

/* The open of path, done by real_open, sees the file $KC_REPLACE_WITH
 * when path contains $KC_REPLACE_ON (once); the original is back after. */
static int
replaced_open(const char *path, int (*real_open)(const char *, int, ...),
    int flags, int mode, int *fd)
{
	const char *on = getenv("KC_REPLACE_ON"),
	    *with = getenv("KC_REPLACE_WITH");
	static int replaced;
	char hold[PATH_MAX];

	if (replaced || on == NULL || with == NULL || path == NULL ||
	    strstr(path, on) == NULL)
		return 0;
	replaced = 1;
	snprintf(hold, sizeof(hold), "%s.hold", path);
	if (rename(path, hold) != 0 || rename(with, path) != 0)
		return 0;
	*fd = real_open(path, flags, mode);
	(void)rename(path, with);
	(void)rename(hold, path);
	return 1;
}

#define MODE_ARG(flags, mode) do {					\
	if ((flags) & (O_CREAT | O_TMPFILE)) {				\
		va_list ap;						\
		va_start(ap, flags);					\
		mode = va_arg(ap, int);					\
		va_end(ap);						\
	}								\
} while (0)

#define WRAP_OPEN(fn)							\
int fn(const char *path, int flags, ...)				\
{									\
	static int (*real)(const char *, int, ...);			\
	int mode = 0;							\
	MODE_ARG(flags, mode);						\
	if (real == NULL)						\
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #fn); \
	maybe_swap(path);						\
	{								\
		int fd;							\
		if (replaced_open(path, real, flags, mode, &fd))	\
			return fd;					\
	}								\
	return real(path, flags, mode);					\
}

#define WRAP_OPENAT(fn)							\
int fn(int dfd, const char *path, int flags, ...)			\
{									\
	static int (*real)(int, const char *, int, ...);		\
	int mode = 0;							\
	MODE_ARG(flags, mode);						\
	if (real == NULL)						\
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, \
		    #fn);						\
	maybe_swap(path);						\
	return real(dfd, path, flags, mode);				\
}

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

int
__open_2(const char *path, int flags)
{
	return open(path, flags);
}

int
__openat_2(int dfd, const char *path, int flags)
{
	return openat(dfd, path, flags);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (armed)
		raise(SIGKILL);
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

/*
 * fuzz_file.h: for fuzz targets whose entry point takes a path (the
 * ceremony-file parser, the transcript verifier): writes the input to a
 * file in a private temporary directory made once per process.
 */
#ifndef KC_FUZZ_FILE_H
#define KC_FUZZ_FILE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[64];

/* Removes the directory and what the target wrote in it. */
static void
fuzz_file_cleanup(void)
{
	char path[128];
	struct dirent *e;
	DIR *d;

	if (fuzz_dir[0] == '\0' || (d = opendir(fuzz_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && snprintf(path, sizeof(path),
		    "%s/%s", fuzz_dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	closedir(d);
	rmdir(fuzz_dir);
}

/* The path of a file holding exactly data (name distinguishes several
 * files of one input); aborts on an I/O error, which is not a finding. */
static const char *
fuzz_file(const char *name, const void *data, size_t len)
{
	static char path[128];
	char *dir = fuzz_dir;
	const char *p = data;
	int fd;

	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(fuzz_dir), "%s/kc-fuzz.XXXXXX",
		    t != NULL && strlen(t) < 40 ? t : "/tmp");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(fuzz_file_cleanup);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* unlink + create, not O_TRUNC: ext4 flushes a truncated file's
	 * data on close (auto_da_alloc), which made runs I/O-bound. */
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		abort();
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		abort();
	return path;
}

#endif

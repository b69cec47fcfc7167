/*
 * fsbench.c: the file system's share of `make bench`, measured the way
 * factorysign writes a device's default outputs but with no crypto and no
 * ledger: three new files per device (sizes given), the first through a
 * temporary name + rename, no fsync, then one syncfs.
 *   fsbench DIR N SIZE1 SIZE2 SIZE3
 * Prints "fs <N> <seconds> <devices/s>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644))
	    == -1 || write(fd, buf, len) != (ssize_t)len || close(fd) != 0) {
		fprintf(stderr, "fsbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static char buf[3][16384];
	size_t size[3];
	long n;
	double t0, t;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: fsbench DIR N SIZE1 SIZE2 SIZE3\n");
		return 2;
	}
	n = atol(argv[2]);
	for (int k = 0; k < 3; k++) {
		size[k] = (size_t)atol(argv[3 + k]);
		if (size[k] > sizeof(buf[k]))
			size[k] = sizeof(buf[k]);
		memset(buf[k], 'A' + k, size[k]);
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		char a[128], b[160], p[4096], q[4096];

		snprintf(a, sizeof(a), "dev-%07ld.cert.pem", i);
		snprintf(b, sizeof(b), "%s.tmp-%016lx", a, i);
		put(argv[1], b, buf[0], size[0]);
		snprintf(p, sizeof(p), "%s/%s", argv[1], b);
		snprintf(q, sizeof(q), "%s/%s", argv[1], a);
		if (rename(p, q) != 0) {
			fprintf(stderr, "fsbench: %s: %s\n", q, strerror(errno));
			return 1;
		}
		snprintf(a, sizeof(a), "dev-%07ld.chain.pem", i);
		put(argv[1], a, buf[1], size[1]);
		snprintf(a, sizeof(a), "dev-%07ld.full-chain.pem", i);
		put(argv[1], a, buf[2], size[2]);
	}
	if ((fd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1 ||
	    syncfs(fd) != 0) {
		fprintf(stderr, "fsbench: sync %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	close(fd);
	t = now() - t0;
	printf("fs %ld %.3f %.0f\n", n, t, (double)n / t);
	return 0;
}

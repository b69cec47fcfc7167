/*
 * bench.c: the in-memory half of `make bench`. Loads up to N CSR files of
 * a directory into memory, then times kc_factory_sign_mem() over them:
 * parse, verify, check, build, sign and PEM, no files, no ledger.
 *   bench D PASS-FILE CSR-DIR [N]
 * Prints "inmem <count> <wall seconds> <certs/s wall> <cpu seconds>
 * <certs/s cpu>" (openssl speed counts CPU time too).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/secret.h"
#include "kc/factory/factory.h"

struct csr {
	unsigned char	*data;
	size_t		 len;
};

static double
clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct kc_secret *pass = NULL;
	struct kc_factory *f = NULL;
	struct csr *v;
	long max = argc > 4 ? atol(argv[4]) : 20000, n = 0;
	struct dirent *de;
	DIR *d;
	double t0, t, c0, c;

	if (argc < 4) {
		fprintf(stderr, "usage: bench D PASS-FILE CSR-DIR [N]\n");
		return 2;
	}
	if (kc_secret_read_file(argv[2], "passphrase", &pass) != KC_OK ||
	    kc_factory_open(argv[1], pass, &f) != KC_OK) {
		fprintf(stderr, "bench: %s\n", kc_errmsg());
		return 1;
	}
	kc_secret_free(pass);
	if ((v = calloc((size_t)max, sizeof(*v))) == NULL ||
	    (d = opendir(argv[3])) == NULL)
		return 1;
	while (n < max && (de = readdir(d)) != NULL) {
		char path[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[3], de->d_name);
		if (kc_file_read(path, KC_FILE_MAX, &v[n].data, &v[n].len) ==
		    KC_OK)
			n++;
	}
	closedir(d);
	t0 = clk(CLOCK_MONOTONIC);
	c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		char *pem;
		size_t len;
		if (kc_factory_sign_mem(f, v[i].data, v[i].len, "csr", 0, &pem,
		    &len) != KC_OK) {
			fprintf(stderr, "bench: %s\n", kc_errmsg());
			return 1;
		}
		free(pem);
	}
	t = clk(CLOCK_MONOTONIC) - t0;
	c = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("inmem %ld %.3f %.0f %.3f %.0f\n", n, t, (double)n / t, c,
	    (double)n / c);
	for (long i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	kc_factory_close(f);
	return 0;
}

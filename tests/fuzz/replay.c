/*
 * replay.c: main() for the fuzz targets outside libFuzzer. Feeds every file
 * given on the command line (directories: every file in them, sorted) to
 * LLVMFuzzerTestOneInput and prints TAP, so that the seed corpus and every
 * input that once crashed stay fixed in the normal and sanitizer builds.
 *
 * Without arguments it replays $KC_TOP_SRCDIR/tests/fuzz/corpus/<target>
 * and tests/fuzz/regressions/<target>, <target> being the program name
 * after "replay_" (replay_csr -> csr).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static int n_run, n_fail;

/* The path from "corpus/" or "regressions/" on, for shorter TAP lines. */
static const char *
shown(const char *path)
{
	const char *p = strstr(path, "tests/fuzz/");

	return p != NULL ? p + 11 : path;
}

static void
replay_file(const char *path)
{
	FILE *f;
	unsigned char *buf = NULL;
	long sz;

	n_run++;
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)sz + 1)) == NULL ||
	    fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		printf("not ok %d - %s: %s\n", n_run, path, strerror(errno));
		n_fail++;
		if (f != NULL)
			fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	/* An exact-size copy, so that ASan sees any over-read. */
	{
		unsigned char *exact = malloc(sz > 0 ? (size_t)sz : 1);
		if (exact == NULL) {
			printf("not ok %d - %s: out of memory\n", n_run, path);
			n_fail++;
			free(buf);
			return;
		}
		memcpy(exact, buf, (size_t)sz);
		free(buf);
		LLVMFuzzerTestOneInput(exact, (size_t)sz);
		free(exact);
	}
	printf("ok %d - %s\n", n_run, shown(path));
}

static int
skip_name(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Returns -1 when path does not exist. */
static int
replay_path(const char *path)
{
	struct stat st;
	struct dirent **ents;
	int n;

	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return 0;
	}
	if ((n = scandir(path, &ents, skip_name, alphasort)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
		replay_path(sub);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("KC_TOP_SRCDIR");
	const char *name = strrchr(argv[0], '/');
	char dir[4096];

	name = name != NULL ? name + 1 : argv[0];
	if (strncmp(name, "lt-", 3) == 0)
		name += 3;
	if (strncmp(name, "replay_", 7) == 0)
		name += 7;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_path(argv[i]) != 0) {
				printf("not ok %d - %s: %s\n", ++n_run,
				    argv[i], strerror(errno));
				n_fail++;
			}
	} else {
		if (top == NULL)
			top = ".";
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, name);
		if (replay_path(dir) != 0 || n_run == 0) {
			printf("not ok %d - seed corpus %s missing or empty\n",
			    ++n_run, dir);
			n_fail++;
		}
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions/%s", top,
		    name);
		replay_path(dir);	/* may not exist yet */
	}
	printf("1..%d\n", n_run);
	return n_fail != 0;
}

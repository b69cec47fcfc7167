/*
 * csr_intake.c: the hostile CSR inputs of tests/hostile/csr/ through CSR
 * intake (kc_csr_load) directly, TAP output. tests/hostile/csr.sh runs the
 * same inputs through the commands; this test pins the library's part:
 * outcome per MANIFEST line, the message names the file and matches the
 * expected reason, and nothing is returned on refusal. Plus a 100 MB
 * (sparse) file, made at run time.
 */
#include "config.h"

#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"

static int n, failed;

static void result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
result(int ok, const char *fmt, ...)
{
	va_list ap;

	n++;
	if (!ok)
		failed++;
	printf("%s %d - ", ok ? "ok" : "not ok", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The message with every occurrence of path removed, so that the expected
 * reason cannot match the file name itself. */
static void
strip(const char *msg, const char *path, char *out, size_t cap)
{
	size_t pl = strlen(path), o = 0;

	while (*msg != '\0' && o + 1 < cap) {
		if (pl > 0 && strncmp(msg, path, pl) == 0) {
			msg += pl;
			continue;
		}
		out[o++] = *msg++;
	}
	out[o] = '\0';
}

static void
one(const char *dir, const char *file, const char *outcome, const char *re)
{
	char path[4096], msg[2048];
	struct kc_csr *csr = (struct kc_csr *)1;
	regex_t rx;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path)) {
		result(0, "%s: path too long", file);
		return;
	}
	kc_err_clear();
	rc = kc_csr_load(path, 0, &csr);
	if (strcmp(outcome, "accept") == 0 ||
	    strcmp(outcome, "refuse-cmd") == 0) {
		result(rc == KC_OK && csr != NULL, "%s parses (%s)", file,
		    rc == KC_OK ? "ok" : kc_errmsg());
		kc_csr_free(rc == KC_OK ? csr : NULL);
		return;
	}
	if (rc == KC_OK) {
		kc_csr_free(csr);
		result(0, "%s refused (it was accepted)", file);
		return;
	}
	strip(kc_errmsg(), path, msg, sizeof(msg));
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
		result(0, "%s: bad regex %s", file, re);
		return;
	}
	result(csr == NULL && strstr(kc_errmsg(), path) != NULL &&
	    strchr(kc_errmsg(), '\n') == NULL &&
	    regexec(&rx, msg, 0, NULL, 0) == 0, "%s refused: %s", file,
	    kc_errmsg());
	regfree(&rx);
}

int
main(void)
{
	const char *top = getenv("KC_TOP_SRCDIR");
	char dir[4096], path[4096], line[4096], tmpl[] = "/tmp/kc-hostile.XXXXXX";
	struct kc_csr *csr = NULL;
	FILE *f;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s/tests/hostile/csr",
	    top ? top : ".") >= (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/MANIFEST", dir) >=
	    (int)sizeof(path) || (f = fopen(path, "r")) == NULL) {
		printf("Bail out! %s missing\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *file, *outcome, *re, *save = NULL;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok_r(line, "\t", &save);
		outcome = strtok_r(NULL, "\t", &save);
		re = strtok_r(NULL, "\t", &save);
		if (file == NULL || outcome == NULL) {
			result(0, "MANIFEST line %s", line);
			continue;
		}
		one(dir, file, outcome, re != NULL ? re : "");
	}
	fclose(f);

	/* 100 MB, sparse: refused by size before it is read. */
	if (mkdtemp(tmpl) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	if (snprintf(path, sizeof(path), "%s/huge.csr", tmpl) >=
	    (int)sizeof(path) || (fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    ftruncate(fd, 100L * 1024 * 1024) != 0 || close(fd) != 0) {
		printf("Bail out! %s\n", path);
		return 1;
	}
	rc = kc_csr_load(path, 0, &csr);
	result(rc == KC_ERR_INPUT && strstr(kc_errmsg(), path) != NULL &&
	    csr == NULL, "100 MB file refused: %s", kc_errmsg());
	unlink(path);
	rmdir(tmpl);
	printf("1..%d\n", n);
	return failed != 0;
}

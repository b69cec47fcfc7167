/* transcript.c: the hash-chained ceremony transcript's writer: records
 * appended as they happen, each one write(2) and fsync(2), the chain
 * digest kept (see kc/ceremony/transcript.h). Owned by the ceremony side
 * (libkc-ceremony); the verifier is transcript_read.c. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "transcript_int.h"

struct kc_transcript {
	char	*path;
	int	 fd;
	size_t	 count;
	char	 digest[65];
};

int
kc_transcript_create(const char *path, struct kc_transcript **out)
{
	struct kc_transcript *t;
	size_t hl = strlen(TR_HEADER);

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->path = strdup(path)) == NULL) {
		free(t);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	memcpy(t->digest, ZERO64, 65);
	t->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (t->fd == -1) {
		int e = errno;
		free(t->path);
		free(t);
		return kc_err(e == EEXIST ? KC_ERR_EXISTS : KC_ERR_IO,
		    "cannot create transcript %s: %s", path, strerror(e));
	}
	if (write(t->fd, TR_HEADER, hl) != (ssize_t)hl || fsync(t->fd) == -1) {
		int e = errno;
		close(t->fd);
		unlink(path);
		free(t->path);
		free(t);
		return kc_err(KC_ERR_IO, "cannot write transcript %s: %s", path,
		    strerror(e));
	}
	*out = t;
	return KC_OK;
}

void
kc_transcript_close(struct kc_transcript *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	free(t->path);
	free(t);
}

size_t kc_transcript_count(const struct kc_transcript *t) { return t->count; }
const char *kc_transcript_digest(const struct kc_transcript *t) { return t->digest; }
const char *kc_transcript_path(const struct kc_transcript *t) { return t->path; }

static int
valid_key(const char *k)
{
	if (*k == '\0')
		return 0;
	for (; *k; k++)
		if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) &&
		    *k != '-')
			return 0;
	return 1;
}

int
kc_transcript_addv(struct kc_transcript *t, const char *kind,
    const char *const *kv, size_t n)
{
	char line[TR_LINE_MAX], head[160], stamp[32];
	size_t used = 0;
	time_t now = time(NULL);
	struct tm tm;
	ssize_t w;

	if (t->fd == -1)
		return kc_err(KC_ERR_IO, "transcript %s is closed", t->path);
	if (!valid_key(kind))
		return kc_err(KC_ERR_INTERNAL, "bad transcript record kind");
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(head, sizeof(head), "%s %zu %s %s %s", TR_MAGIC, t->count + 1,
	    t->digest, stamp, kind);
	if (kc_tr_put(line, &used, head, 0) != 0)
		return kc_err(KC_ERR_INTERNAL, "transcript record too long");
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[2 * i], *v = kv[2 * i + 1];
		if (!valid_key(k))
			return kc_err(KC_ERR_INTERNAL, "bad transcript key");
		if (kc_tr_put(line, &used, " ", 0) ||
		    kc_tr_put(line, &used, k, 0) ||
		    kc_tr_put(line, &used, "=", 0) ||
		    kc_tr_put(line, &used, v ? v : "", 1))
			return kc_err(KC_ERR_INPUT, "transcript record too "
			    "long (%s)", k);
	}
	kc_sha256_hex(line, used, t->digest);
	line[used++] = '\n';
	w = write(t->fd, line, used);
	if (w != (ssize_t)used || fsync(t->fd) == -1) {
		int e = w == -1 || w == (ssize_t)used ? errno : ENOSPC;
		/* A short record cannot be repaired in an append-only log:
		 * stop writing to it; the verifier will name the bad line. */
		close(t->fd);
		t->fd = -1;
		return kc_err(KC_ERR_IO, "cannot write transcript %s: %s",
		    t->path, strerror(e));
	}
	t->count++;
	return KC_OK;
}

int
kc_transcript_add(struct kc_transcript *t, const char *kind, ...)
{
	const char *kv[64];
	size_t n = 0;
	const char *k;
	va_list ap;

	va_start(ap, kind);
	while ((k = va_arg(ap, const char *)) != NULL) {
		if (n + 2 > sizeof(kv) / sizeof(kv[0])) {
			va_end(ap);
			return kc_err(KC_ERR_INTERNAL, "too many fields");
		}
		kv[n++] = k;
		kv[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	return kc_transcript_addv(t, kind, kv, n / 2);
}

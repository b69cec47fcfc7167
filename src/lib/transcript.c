/* transcript.c: the hash-chained ceremony transcript: writing records as
 * they happen and verifying a finished file (see kc/transcript.h). */
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

#include "kc/error.h"
#include "kc/fileio.h"
#include "kc/transcript.h"

#define TR_MAGIC "KC1"
#define TR_HEADER "# keyceremony transcript, format 1 (see keyceremony(1), " \
	"TRANSCRIPT).\n# Each record: KC1 seq prev-sha256 utc-time kind " \
	"key=value...; the final digest is the SHA-256 of the last line.\n"
#define TR_LINE_MAX 8192
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

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

/* A value is written as is when it is plain printable text without
 * spaces, quotes or backslashes; otherwise in double quotes with \" \\
 * \n and \xHH escapes. Bytes >= 0x80 (UTF-8) are kept. */
static int
plain_value(const char *v)
{
	if (*v == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* Appends s (quoted and escaped when esc and needed) to buf at *used; 0
 * when it fits. */
static int
put(char *buf, size_t *used, const char *s, int esc)
{
	static const char hx[] = "0123456789abcdef";
	int quote = esc && !plain_value(s);

	if (quote) {
		if (*used + 2 >= TR_LINE_MAX)
			return -1;
		buf[(*used)++] = '"';
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*used + 6 >= TR_LINE_MAX)
			return -1;
		if (!quote || (*p >= 0x20 && *p != 0x7f && *p != '"' &&
		    *p != '\\')) {
			buf[(*used)++] = (char)*p;
		} else if (*p == '"' || *p == '\\') {
			buf[(*used)++] = '\\';
			buf[(*used)++] = (char)*p;
		} else if (*p == '\n') {
			buf[(*used)++] = '\\';
			buf[(*used)++] = 'n';
		} else {
			buf[(*used)++] = '\\';
			buf[(*used)++] = 'x';
			buf[(*used)++] = hx[*p >> 4];
			buf[(*used)++] = hx[*p & 15];
		}
	}
	if (quote)
		buf[(*used)++] = '"';
	return 0;
}

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
	if (put(line, &used, head, 0) != 0)
		return kc_err(KC_ERR_INTERNAL, "transcript record too long");
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[2 * i], *v = kv[2 * i + 1];
		if (!valid_key(k))
			return kc_err(KC_ERR_INTERNAL, "bad transcript key");
		if (put(line, &used, " ", 0) || put(line, &used, k, 0) ||
		    put(line, &used, "=", 0) ||
		    put(line, &used, v ? v : "", 1))
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

char *
kc_transcript_unescape(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	size_t n = strlen(v);

	if (out == NULL)
		return NULL;
	if (n < 2 || v[0] != '"' || v[n - 1] != '"') {
		memcpy(out, v, n + 1);
		return out;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		if (v[i] != '\\' || i + 2 >= n) {
			*o++ = v[i];
			continue;
		}
		i++;
		if (v[i] == 'n') {
			*o++ = '\n';
		} else if (v[i] == 'x' && i + 2 < n - 1 &&
		    isxdigit((unsigned char)v[i + 1]) &&
		    isxdigit((unsigned char)v[i + 2])) {
			char h[3] = { v[i + 1], v[i + 2], 0 };
			*o++ = (char)strtoul(h, NULL, 16);
			i += 2;
		} else {
			*o++ = v[i];
		}
	}
	*o = '\0';
	return out;
}

/* ---- verification ---- */

/* Finds " key=" in a record and copies the raw value. */
static int
field(const char *line, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strchr(p, ' ')) != NULL) {
		p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n;
			char *u;
			if (*v == '"') {
				for (n = 1; v[n] && v[n] != '"'; n++)
					if (v[n] == '\\' && v[n + 1])
						n++;
				if (v[n] == '"')
					n++;
			} else {
				n = strcspn(v, " ");
			}
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			if ((u = kc_transcript_unescape(out)) != NULL) {
				snprintf(out, outsz, "%s", u);
				free(u);
			}
			return 1;
		}
	}
	return 0;
}

static int
is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The digest the witnesses wrote: hex (spaces, colons, any case) or PGP
 * words. */
static int
paper_to_hex(const char *paper, char hex[65])
{
	unsigned char b[64];
	size_t n = 0, len;
	int hexish = 1;

	for (const char *p = paper; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ' ' && *p != ':' &&
		    *p != '-' && *p != '\n')
			hexish = 0;
	if (hexish) {
		for (const char *p = paper; *p; p++) {
			if (!isxdigit((unsigned char)*p))
				continue;
			if (n >= 64)
				return kc_err(KC_ERR_USAGE, "the digest has more "
				    "than 64 hex digits");
			hex[n++] = (char)tolower((unsigned char)*p);
		}
		if (n != 64)
			return kc_err(KC_ERR_USAGE, "the digest has %zu hex "
			    "digits; a SHA-256 digest has 64", n);
		hex[64] = '\0';
		return KC_OK;
	}
	if (kc_pgpwords_decode(paper, b, sizeof(b), &len) != KC_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return kc_err(KC_ERR_USAGE, "--digest: %s", msg);
	}
	if (len != 32)
		return kc_err(KC_ERR_USAGE, "%zu PGP words given; a SHA-256 "
		    "digest is 32 words", len);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	return KC_OK;
}

int
kc_transcript_verify(const char *path, const char *paper_digest,
    struct kc_transcript_check *res)
{
	struct kc_transcript_check chk;
	unsigned char *buf = NULL;
	char prev[65], paper[65], val[128];
	size_t len, lineno = 0, expect = 1;
	char *p, *nl;
	int rc = KC_OK, ended = 0;

	memset(&chk, 0, sizeof(chk));
	memcpy(prev, ZERO64, 65);
	if (paper_digest != NULL &&
	    (rc = paper_to_hex(paper_digest, paper)) != KC_OK)
		return rc;
	if ((rc = kc_file_read(path, 64 * 1024 * 1024, &buf, &len)) != KC_OK)
		return rc;
	if (memchr(buf, '\0', len) != NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: not a transcript (NUL byte)",
		    path);
		goto out;
	}
	for (p = (char *)buf; *p; p = nl + 1) {
		char seqs[32], prevs[80], stamp[32], kind[32];
		unsigned long seq;
		char *end;
		size_t ll;

		lineno++;
		if ((nl = strchr(p, '\n')) == NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: the last record is "
			    "cut short (no newline): the transcript was "
			    "truncated", path, lineno);
			goto out;
		}
		*nl = '\0';
		ll = (size_t)(nl - p);
		if (p[0] == '#')
			continue;
		if (ll == 0) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: empty line", path,
			    lineno);
			goto out;
		}
		if (ended) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: a record after the "
			    "end record: something was appended", path,
			    lineno);
			goto out;
		}
		if (sscanf(p, "KC1 %31s %79s %31s %31s", seqs, prevs, stamp,
		    kind) != 4 || strncmp(p, "KC1 ", 4) != 0) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: not a transcript "
			    "record", path, lineno);
			goto out;
		}
		seq = strtoul(seqs, &end, 10);
		if (*end != '\0' || seq != expect) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: record number %s where "
			    "%zu was expected: a record was dropped, inserted "
			    "or moved", path, lineno, seqs, expect);
			goto out;
		}
		if (strlen(prevs) != 64 || !is_hex64(prevs)) {
			rc = kc_err(KC_ERR_INPUT, "%s:%zu: malformed previous-"
			    "record digest", path, lineno);
			goto out;
		}
		if (strcmp(prevs, prev) != 0) {
			rc = kc_err(KC_ERR_CRYPTO, "%s:%zu: record %lu does not "
			    "chain to the record before it (SHA-256 mismatch):"
			    " the record before was edited, dropped or "
			    "reordered", path, lineno, seq);
			goto out;
		}
		kc_sha256_hex(p, ll, prev);
		if (expect == 1) {
			if (strcmp(kind, "begin") != 0) {
				rc = kc_err(KC_ERR_INPUT, "%s:%zu: the first "
				    "record must be 'begin'", path, lineno);
				goto out;
			}
			if (field(p, "ceremony", val, sizeof(val)))
				snprintf(chk.ceremony, sizeof(chk.ceremony),
				    "%s", val);
		}
		if (strcmp(kind, "end") == 0) {
			char cnt[32];
			if (!field(p, "records", cnt, sizeof(cnt)) ||
			    strtoul(cnt, NULL, 10) != seq) {
				rc = kc_err(KC_ERR_INPUT, "%s:%zu: the end record "
				    "counts %s records, the file has %lu", path,
				    lineno, field(p, "records", cnt,
				    sizeof(cnt)) ? cnt : "no", seq);
				goto out;
			}
			ended = 1;
			chk.rehearsal = field(p, "rehearsal", val,
			    sizeof(val)) && strcmp(val, "yes") == 0;
			chk.completed = field(p, "result", val, sizeof(val)) &&
			    strcmp(val, "completed") == 0;
		}
		expect++;
	}
	chk.records = expect - 1;
	chk.ended = ended;
	memcpy(chk.digest, prev, 65);
	if (chk.records == 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: no records", path);
		goto out;
	}
	if (!ended) {
		rc = kc_err(KC_ERR_INPUT, "%s: no end record after record %zu: "
		    "the ceremony did not finish or the transcript was "
		    "truncated", path, chk.records);
		goto out;
	}
	if (paper_digest != NULL && strcmp(paper, chk.digest) != 0) {
		rc = kc_err(KC_ERR_CRYPTO, "%s: the final digest is %s, not the "
		    "%s written on paper: this is not the transcript the "
		    "witnesses signed", path, chk.digest, paper);
		goto out;
	}
	rc = KC_OK;
out:
	if (res != NULL)
		*res = chk;
	free(buf);
	return rc;
}

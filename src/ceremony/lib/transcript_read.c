/* transcript_read.c: reading a transcript back: every record parsed and
 * checked against the writer's exact form and the hash chain, for
 * kc_transcript_scan/scan_mem (records to a callback) and
 * kc_transcript_verify (see kc/ceremony/transcript.h). Owned by the
 * ceremony side (libkc-ceremony). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "transcript_int.h"

/* ---- verification ---- */

#define TR_FIELDS_MAX 128

/* One parsed record: the line is split in place, values decoded. */
struct rec {
	struct kc_transcript_rec pub;
	char	*prev;
	char	*keys[TR_FIELDS_MAX];
	char	*vals[TR_FIELDS_MAX];
};

static void
rec_clear(struct rec *r)
{
	for (size_t i = 0; i < r->pub.n; i++)
		free(r->vals[i]);
	memset(r, 0, sizeof(*r));
}

const char *
kc_transcript_rec_get(const struct kc_transcript_rec *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->keys[i], key) == 0)
			return r->values[i];
	return NULL;
}

static int
lerr(int code, const char *path, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int
lerr(int code, const char *path, size_t line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kc_err(code, "%s:%zu: %s", path, line, msg);
}

static int
is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* "2026-11-25T20:40:00Z" with fields in range. */
static int
valid_stamp(const char *t)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	int mon, day, hh, mm, ss;

	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)t[i]) :
		    t[i] != pat[i])
			return 0;
	mon = (t[5] - '0') * 10 + t[6] - '0';
	day = (t[8] - '0') * 10 + t[9] - '0';
	hh = (t[11] - '0') * 10 + t[12] - '0';
	mm = (t[14] - '0') * 10 + t[15] - '0';
	ss = (t[17] - '0') * 10 + t[18] - '0';
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hh < 24 &&
	    mm < 60 && ss < 61;
}

/* Decodes the value at *pp (quoted or plain) into a malloc'd string and
 * checks that it is spelled exactly as kc_tr_put() spells it. *pp is left on
 * the byte after the value. */
static int
parse_value(const char *path, size_t line, const char *linestart,
    const char *key, char **pp, char **out)
{
	const unsigned char *v = (const unsigned char *)*pp, *q;
	char *dec, canon[TR_LINE_MAX];
	size_t n = 0, used = 0, l;
	int rc;

	*out = NULL;
	if ((dec = malloc(strlen(*pp) + 1)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (*v != '"') {
		for (q = v; *q != '\0' && *q != ' '; q += l) {
			if ((l = kc_tr_literal_len(q,
			    strlen((const char *)q), 0)) == 0) {
				rc = lerr(KC_ERR_INPUT, path, line, "field '%s': "
				    "byte 0x%02x at column %zu is not allowed "
				    "in an unquoted value", key, *q,
				    (size_t)((const char *)q - linestart) + 1);
				goto fail;
			}
			memcpy(dec + n, q, l);
			n += l;
		}
		if (n == 0) {
			rc = lerr(KC_ERR_INPUT, path, line, "field '%s' has no "
			    "value (an empty value is written \"\")", key);
			goto fail;
		}
	} else {
		for (q = v + 1; *q != '"'; q += l) {
			size_t col = (size_t)((const char *)q - linestart) + 1;
			if (*q == '\0') {
				rc = lerr(KC_ERR_INPUT, path, line, "field '%s': "
				    "the quoted value is not closed", key);
				goto fail;
			}
			if (*q == '\\') {
				l = 2;
				if (q[1] == '"' || q[1] == '\\') {
					dec[n++] = (char)q[1];
				} else if (q[1] == 'n') {
					dec[n++] = '\n';
				} else if (q[1] == 'x' && is_lower_hex(q[2]) &&
				    is_lower_hex(q[3]) &&
				    (q[2] != '0' || q[3] != '0')) {
					dec[n++] = (char)(hexval(q[2]) * 16 +
					    hexval(q[3]));
					l = 4;
				} else {
					rc = lerr(KC_ERR_INPUT, path, line,
					    "field '%s': bad escape at column "
					    "%zu (only \\\" \\\\ \\n and \\xHH "
					    "with lower-case hex, not \\x00)",
					    key, col);
					goto fail;
				}
				continue;
			}
			if ((l = kc_tr_literal_len(q,
			    strlen((const char *)q), 1)) == 0) {
				rc = lerr(KC_ERR_INPUT, path, line, "field '%s': "
				    "raw byte 0x%02x at column %zu must be "
				    "written as an escape", key, *q, col);
				goto fail;
			}
			memcpy(dec + n, q, l);
			n += l;
		}
		q++;
		if (*q != '\0' && *q != ' ') {
			rc = lerr(KC_ERR_INPUT, path, line, "field '%s': text "
			    "after the closing quote at column %zu", key,
			    (size_t)((const char *)q - linestart) + 1);
			goto fail;
		}
	}
	dec[n] = '\0';
	if (memchr(dec, '\0', n) != NULL || kc_tr_put(canon, &used, dec,
	    1) != 0 ||
	    used != (size_t)((const char *)q - *pp) ||
	    memcmp(canon, *pp, used) != 0) {
		rc = lerr(KC_ERR_INPUT, path, line, "field '%s' is not written "
		    "the way keyceremony writes it (needless quotes or "
		    "escapes)", key);
		goto fail;
	}
	*pp = (char *)q;
	*out = dec;
	return KC_OK;
fail:
	free(dec);
	return rc;
}

/* Splits one record line (NUL-terminated, no newline) in place:
 * KC1 seq prev time kind key=value... */
static int
parse_record(const char *path, size_t line, char *s, struct rec *r)
{
	char *p = s, *w;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	r->pub.line = line;
	r->pub.keys = (const char *const *)r->keys;
	r->pub.values = (const char *const *)r->vals;
	if (strncmp(s, TR_MAGIC " ", 4) != 0)
		return lerr(KC_ERR_INPUT, path, line, "not a transcript record "
		    "(a record starts with 'KC1 ')");
	p += 4;
	for (n = 0; isdigit((unsigned char)p[n]); n++)
		;
	if (n == 0 || n > 18 || p[0] == '0' || p[n] != ' ')
		return lerr(KC_ERR_INPUT, path, line, "bad record number (a "
		    "decimal number from 1, then one space)");
	r->pub.seq = (size_t)strtoull(p, NULL, 10);
	p += n;
	*p++ = '\0';
	for (n = 0; n < 64 && is_lower_hex(p[n]); n++)
		;
	if (n != 64 || p[64] != ' ')
		return lerr(KC_ERR_INPUT, path, line, "malformed previous-"
		    "record digest (64 lower-case hex digits, then one "
		    "space)");
	r->prev = p;
	p[64] = '\0';
	p += 65;
	if (!valid_stamp(p) || p[20] != ' ')
		return lerr(KC_ERR_INPUT, path, line, "bad time stamp (UTC, "
		    "as 2026-11-25T20:40:00Z, then one space)");
	r->pub.time = p;
	p[20] = '\0';
	p += 21;
	for (w = p; islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
	    *p == '-'; p++)
		;
	if (p == w || (*p != ' ' && *p != '\0'))
		return lerr(KC_ERR_INPUT, path, line, "bad record kind (a-z, "
		    "0-9 and '-')");
	r->pub.kind = w;
	while (*p == ' ') {
		char *key;
		*p++ = '\0';
		if (*p == '\0')
			return lerr(KC_ERR_INPUT, path, line, "trailing space "
			    "at the end of the line");
		for (key = p; islower((unsigned char)*p) ||
		    isdigit((unsigned char)*p) || *p == '-'; p++)
			;
		if (p == key || *p != '=') {
			size_t col = (size_t)(key - s) + 1;
			if (*key == ' ')
				return lerr(KC_ERR_INPUT, path, line, "two "
				    "spaces at column %zu", col - 1);
			return lerr(KC_ERR_INPUT, path, line, "bad field at "
			    "column %zu (key=value, the key of a-z, 0-9 and "
			    "'-')", col);
		}
		*p++ = '\0';
		for (size_t i = 0; i < r->pub.n; i++)
			if (strcmp(r->keys[i], key) == 0)
				return lerr(KC_ERR_INPUT, path, line, "field "
				    "'%s' appears twice", key);
		if (r->pub.n == TR_FIELDS_MAX)
			return lerr(KC_ERR_INPUT, path, line, "more than %d "
			    "fields", TR_FIELDS_MAX);
		if ((rc = parse_value(path, line, s, key, &p,
		    &r->vals[r->pub.n])) != KC_OK)
			return rc;
		r->keys[r->pub.n++] = key;
	}
	return KC_OK;
}

/* The fixed header lines, in order. */
static const char *
header_line(size_t i, size_t *len)
{
	const char *h = TR_HEADER, *nl = NULL;

	for (size_t k = 0; k <= i; k++) {
		if ((nl = strchr(h, '\n')) == NULL)
			return NULL;
		if (k < i)
			h = nl + 1;
	}
	*len = (size_t)(nl - h);
	return h;
}

/* The checks that depend on the records before: numbering, chain, begin
 * first, end last with its count. */
static int
check_record(const char *path, const struct rec *r, const char *line,
    size_t ll, size_t **seqline, size_t *cap, char prev[65],
    struct kc_transcript_check *chk, size_t *end_line)
{
	size_t expect = chk->records + 1;
	const char *v;

	if (r->pub.seq != expect) {
		if (r->pub.seq < expect)
			return lerr(KC_ERR_INPUT, path, r->pub.line, "record "
			    "number %zu where %zu was expected: record %zu is "
			    "already at line %zu (a duplicated or replayed "
			    "record)", r->pub.seq, expect, r->pub.seq,
			    (*seqline)[r->pub.seq - 1]);
		return lerr(KC_ERR_INPUT, path, r->pub.line, "record number "
		    "%zu where %zu was expected: a record was dropped, "
		    "inserted or moved", r->pub.seq, expect);
	}
	if (strcmp(r->prev, prev) != 0)
		return lerr(KC_ERR_CRYPTO, path, r->pub.line, "record %zu does "
		    "not chain to the record before it (SHA-256 mismatch): the "
		    "record before was edited, dropped or reordered",
		    r->pub.seq);
	kc_sha256_hex(line, ll, prev);
	if (expect > *cap) {
		size_t ncap = *cap ? *cap * 2 : 64, *n;
		if ((n = realloc(*seqline, ncap * sizeof(*n))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		*seqline = n;
		*cap = ncap;
	}
	(*seqline)[expect - 1] = r->pub.line;
	if (expect == 1 && strcmp(r->pub.kind, "begin") != 0)
		return lerr(KC_ERR_INPUT, path, r->pub.line, "the first record "
		    "must be 'begin'");
	if (expect > 1 && strcmp(r->pub.kind, "begin") == 0)
		return lerr(KC_ERR_INPUT, path, r->pub.line, "a second 'begin' "
		    "record (the first is at line %zu)", (*seqline)[0]);
	if (expect == 1 && (v = kc_transcript_rec_get(&r->pub, "ceremony"))
	    != NULL)
		snprintf(chk->ceremony, sizeof(chk->ceremony), "%s", v);
	if (expect == 1 && (v = kc_transcript_rec_get(&r->pub, "file-sha256"))
	    != NULL && strlen(v) == 64 && strspn(v, "0123456789abcdef") == 64)
		snprintf(chk->file_sha256, sizeof(chk->file_sha256), "%s", v);
	if (strcmp(r->pub.kind, "end") == 0) {
		char cnt[32];
		snprintf(cnt, sizeof(cnt), "%zu", r->pub.seq);
		v = kc_transcript_rec_get(&r->pub, "records");
		if (v == NULL || strcmp(v, cnt) != 0)
			return lerr(KC_ERR_INPUT, path, r->pub.line, "the end "
			    "record counts %s records, the file has %zu",
			    v != NULL ? v : "no", r->pub.seq);
		*end_line = r->pub.line;
		chk->ended = 1;
		v = kc_transcript_rec_get(&r->pub, "rehearsal");
		chk->rehearsal = v != NULL && strcmp(v, "yes") == 0;
		v = kc_transcript_rec_get(&r->pub, "result");
		chk->completed = v != NULL && strcmp(v, "completed") == 0;
	}
	chk->records = expect;
	return KC_OK;
}

/* Why a line that is not a record is refused. */
static int
not_a_record(const char *path, size_t lineno, const char *p, size_t ll,
    size_t end_line)
{
	if (end_line != 0)
		return lerr(KC_ERR_INPUT, path, lineno, "a line after the end "
		    "record (line %zu): something was appended", end_line);
	if (ll == 0)
		return lerr(KC_ERR_INPUT, path, lineno, "empty line");
	if (p[0] == '#')
		return lerr(KC_ERR_INPUT, path, lineno, "a comment line after "
		    "the header: only the fixed header lines at the top are "
		    "comments (a line was planted)");
	return KC_OK;
}

/* kc_transcript_scan() of the bytes in buf (len of them, buf[len] is a
 * NUL), which it frees. */
static int
scan_owned(const char *path, unsigned char *buf, size_t len, int flags,
    kc_transcript_rec_fn *fn, void *arg, struct kc_transcript_check *res)
{
	struct kc_transcript_check chk;
	struct rec r;
	char prev[65];
	size_t lineno = 0, *seqline = NULL, cap = 0, end_line = 0;
	char *p, *nl, *cr;
	int rc = KC_OK;

	memset(&chk, 0, sizeof(chk));
	memset(&r, 0, sizeof(r));
	memcpy(prev, ZERO64, 65);
	if (len == 0) {
		rc = lerr(KC_ERR_INPUT, path, 1, "an empty file, not a "
		    "transcript");
		goto out;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		rc = lerr(KC_ERR_INPUT, path, 1, "a byte-order mark (BOM) "
		    "before the header: not a transcript as keyceremony "
		    "writes it (was it saved by an editor?)");
		goto out;
	}
	for (p = (char *)buf; p < (char *)buf + len; p = nl + 1) {
		size_t rest = len - (size_t)(p - (char *)buf), ll, hl;
		const char *h, *z;

		lineno++;
		nl = memchr(p, '\n', rest);
		ll = nl != NULL ? (size_t)(nl - p) : rest;
		if ((z = memchr(p, '\0', ll)) != NULL) {
			rc = lerr(KC_ERR_INPUT, path, lineno, "NUL byte at "
			    "column %zu: not a transcript", (size_t)(z - p) +
			    1);
			goto out;
		}
		if (ll > TR_LINE_MAX) {
			rc = lerr(KC_ERR_INPUT, path, lineno, "line of %zu bytes"
			    ", longer than any record (%d)", ll, TR_LINE_MAX);
			goto out;
		}
		if (nl == NULL) {
			rc = lerr(KC_ERR_INPUT, path, lineno, "the last line is "
			    "cut short (no newline): the transcript was "
			    "truncated");
			goto out;
		}
		*nl = '\0';
		if ((cr = memchr(p, '\r', ll)) != NULL) {
			rc = lerr(KC_ERR_INPUT, path, lineno, "carriage return "
			    "at column %zu (CRLF line ends?): not as keyceremony "
			    "writes it", (size_t)(cr - p) + 1);
			goto out;
		}
		if ((h = header_line(lineno - 1, &hl)) != NULL) {
			if (ll != hl || memcmp(p, h, hl) != 0) {
				if (lineno == 1)
					rc = lerr(KC_ERR_INPUT, path, lineno,
					    "not a transcript (the first line "
					    "is not the keyceremony transcript "
					    "header)");
				else
					rc = lerr(KC_ERR_INPUT, path, lineno,
					    "not line %zu of the transcript "
					    "header", lineno);
				goto out;
			}
			continue;
		}
		if (end_line != 0 || ll == 0 || p[0] == '#') {
			rc = not_a_record(path, lineno, p, ll, end_line);
			goto out;
		}
		{
			/* The chain is over the bytes as read. */
			char *copy = malloc(ll + 1);
			if (copy == NULL) {
				rc = kc_err(KC_ERR_NOMEM, "out of memory");
				goto out;
			}
			memcpy(copy, p, ll + 1);
			rc = parse_record(path, lineno, p, &r);
			if (rc == KC_OK)
				rc = check_record(path, &r, copy, ll, &seqline,
				    &cap, prev, &chk, &end_line);
			free(copy);
		}
		if (rc == KC_OK && fn != NULL)
			rc = fn(&r.pub, arg);
		rec_clear(&r);
		if (rc != KC_OK)
			goto out;
	}
	memcpy(chk.digest, prev, 65);
	if (chk.records == 0) {
		rc = lerr(KC_ERR_INPUT, path, lineno, "no records");
		goto out;
	}
	if (!chk.ended && !(flags & KC_TRANSCRIPT_UNFINISHED)) {
		rc = lerr(KC_ERR_INPUT, path, lineno, "no end record after "
		    "record %zu (the last line): the ceremony did not finish or "
		    "the transcript was truncated", chk.records);
		goto out;
	}
	rc = KC_OK;
out:
	rec_clear(&r);
	if (res != NULL)
		*res = chk;
	free(seqline);
	free(buf);
	return rc;
}

int
kc_transcript_scan(const char *path, int flags, kc_transcript_rec_fn *fn,
    void *arg, struct kc_transcript_check *res)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kc_file_read(path, KC_TRANSCRIPT_FILE_MAX, &buf, &len)) !=
	    KC_OK) {
		if (res != NULL)
			memset(res, 0, sizeof(*res));
		return rc;
	}
	return scan_owned(path, buf, len, flags, fn, arg, res);
}

int
kc_transcript_scan_mem(const char *name, const unsigned char *data,
    size_t len, int flags, kc_transcript_rec_fn *fn, void *arg,
    struct kc_transcript_check *res)
{
	unsigned char *buf;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (len > KC_TRANSCRIPT_FILE_MAX)
		return kc_err(KC_ERR_INPUT, "%s: file too large (%zu bytes; the "
		    "limit is %d)", name, len, KC_TRANSCRIPT_FILE_MAX);
	if ((buf = malloc(len + 1)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory reading %s", name);
	memcpy(buf, data, len);
	buf[len] = '\0';
	return scan_owned(name, buf, len, flags, fn, arg, res);
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
	char paper[65];
	int rc;

	memset(&chk, 0, sizeof(chk));
	if (paper_digest != NULL &&
	    (rc = paper_to_hex(paper_digest, paper)) != KC_OK)
		goto out;
	if ((rc = kc_transcript_scan(path, 0, NULL, NULL, &chk)) != KC_OK)
		goto out;
	if (paper_digest != NULL && strcmp(paper, chk.digest) != 0)
		rc = kc_err(KC_ERR_CRYPTO, "%s: the final digest is %s, not the "
		    "%s written on paper: this is not the transcript the "
		    "witnesses signed", path, chk.digest, paper);
out:
	if (res != NULL)
		*res = chk;
	return rc;
}

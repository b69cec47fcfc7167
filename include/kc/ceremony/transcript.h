/*
 * kc/transcript.h: the hash-chained ceremony transcript.
 *
 * A transcript is a text file, one record per line:
 *
 *   KC1 <seq> <prev> <time> <kind> key=value ...
 *
 * seq counts from 1; prev is the SHA-256 (hex) of the previous line's
 * bytes without its newline (64 zeros for record 1); time is UTC
 * (2026-11-25T20:40:00Z); kind is begin, check, role, login, step or
 * end. A value is written as is when it is printable text without spaces,
 * quotes or backslashes, otherwise in double quotes with \" \\ \n and
 * \xHH escapes, so a record is exactly one line. The final digest is the
 * SHA-256 of the last line; it is printed in hex and as PGP words for the
 * witnesses to write on paper. The file starts with two fixed comment
 * lines ('#'), which are not part of the chain; no other comment is
 * allowed.
 *
 * Each record is written with one write(2) and fsync(2): a crash leaves a
 * valid prefix. The "end" record carries the number of records, so a
 * truncated transcript is detected; anything after it is refused.
 *
 * The verifier accepts exactly what the writer writes: the fixed header,
 * then records, each line ending in '\n' (no CR, no NUL, no blank line,
 * no comment, no BOM, at most KC_TRANSCRIPT_LINE_MAX bytes), single
 * spaces, every value spelled as the writer spells it (unquoted only when
 * it needs no quoting; in quotes only \" \\ \n and \xHH with lower-case
 * hex; printable UTF-8 other than C1 controls and format characters kept,
 * every other byte \xHH), no field twice, "begin" first and only there,
 * numbers 1, 2, 3..., nothing after "end". Any other byte is an error
 * naming the line and the reason.
 */
#ifndef KC_TRANSCRIPT_H
#define KC_TRANSCRIPT_H

#include <stddef.h>

#include "kc/core/pgpwords.h"

#define KC_TRANSCRIPT_LINE_MAX 32768		/* bytes, without '\n' */
#define KC_TRANSCRIPT_FILE_MAX (64 * 1024 * 1024)

struct kc_transcript;

/* Creates path (must not exist), mode 0644, with a comment header. */
int kc_transcript_create(const char *path, struct kc_transcript **out);
/* Creates <state>/transcripts/<name>-<UTC stamp>.log (-2, -3... when
 * taken), the directories made when missing (src/ceremony/lib/
 * transcript_dir.c): a ceremony run's, or a command's own (backup create
 * and restore with --state). */
int kc_transcript_create_in(const char *state, const char *name,
    struct kc_transcript **out);
/* Appends a record: kind and NULL-terminated key/value pairs
 * (key1, value1, key2, value2, ..., NULL). Keys are [a-z0-9-]+. */
int kc_transcript_add(struct kc_transcript *t, const char *kind, ...)
	__attribute__((sentinel));
/* Appends with the pairs in an array of 2*n strings. */
int kc_transcript_addv(struct kc_transcript *t, const char *kind,
    const char *const *kv, size_t n);
/* Records written so far. */
size_t kc_transcript_count(const struct kc_transcript *t);
/* Digest of the last record (64 zeros when none). */
const char *kc_transcript_digest(const struct kc_transcript *t);
const char *kc_transcript_path(const struct kc_transcript *t);
/* Closes the file (no end record is written: callers add it). */
void kc_transcript_close(struct kc_transcript *t);

/* Decodes a record value (quoted or not) into a malloc'd string. */
char *kc_transcript_unescape(const char *v);

struct kc_transcript_check {
	size_t	records;
	char	digest[65];	/* of the last record */
	int	ended;		/* an end record closes it */
	int	completed;	/* end result=completed */
	int	rehearsal;	/* begin rehearsal=yes */
	char	ceremony[128];
	char	file_sha256[65];	/* begin file-sha256, "" when absent */
};
/* One verified record, for kc_transcript_scan(): values are decoded.
 * Valid only during the callback. */
struct kc_transcript_rec {
	size_t			 line;	/* in the file, from 1 */
	size_t			 seq;
	const char		*kind;
	const char		*time;	/* 2026-11-25T20:40:00Z */
	size_t			 n;
	const char *const	*keys;
	const char *const	*values;
};
/* The decoded value of key in r, NULL when the record has none. */
const char *kc_transcript_rec_get(const struct kc_transcript_rec *r,
    const char *key);
typedef int kc_transcript_rec_fn(const struct kc_transcript_rec *r,
    void *arg);
/* A transcript without its end record (a ceremony that was killed) is
 * accepted as the valid prefix it is; res->ended tells. */
#define KC_TRANSCRIPT_UNFINISHED 0x1
/* Verifies path as kc_transcript_verify() does (without the paper digest)
 * and calls fn (may be NULL) for each record once it is checked and
 * chained; an error fn returns stops the scan and is returned. */
int kc_transcript_scan(const char *path, int flags, kc_transcript_rec_fn *fn,
    void *arg, struct kc_transcript_check *res);
/* The same over bytes already read (name in messages): what is verified is
 * exactly what the caller holds, not a file that may have changed since. */
int kc_transcript_scan_mem(const char *name, const unsigned char *data,
    size_t len, int flags, kc_transcript_rec_fn *fn, void *arg,
    struct kc_transcript_check *res);

/* Verifies a transcript file: format, sequence numbers, the chain, the end
 * record and its count, and (when paper_digest is not NULL) the final
 * digest against what the witnesses wrote: hex (any case, spaces and
 * colons ignored) or PGP words. KC_ERR_INPUT/KC_ERR_CRYPTO with
 * "file:line: reason" for the first problem. res may be NULL. */
int kc_transcript_verify(const char *path, const char *paper_digest,
    struct kc_transcript_check *res);

#endif

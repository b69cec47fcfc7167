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
 * witnesses to write on paper. Lines starting with '#' are comments and
 * are not part of the chain.
 *
 * Each record is written with one write(2) and fsync(2): a crash leaves a
 * valid prefix. The "end" record carries the number of records, so a
 * truncated transcript is detected; anything after it is refused.
 */
#ifndef KC_TRANSCRIPT_H
#define KC_TRANSCRIPT_H

#include <stddef.h>

struct kc_transcript;

/* Creates path (must not exist), mode 0644, with a comment header. */
int kc_transcript_create(const char *path, struct kc_transcript **out);
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
};
/* Verifies a transcript file: format, sequence numbers, the chain, the end
 * record and its count, and (when paper_digest is not NULL) the final
 * digest against what the witnesses wrote: hex (any case, spaces and
 * colons ignored) or PGP words. KC_ERR_INPUT/KC_ERR_CRYPTO with
 * "file:line: reason" for the first problem. res may be NULL. */
int kc_transcript_verify(const char *path, const char *paper_digest,
    struct kc_transcript_check *res);

/* PGP word list (Juola & Zimmermann): byte i of data is spoken with the
 * "even" two-syllable list when i is even, the "odd" three-syllable list
 * when odd. Words are separated by single spaces. KC_ERR_USAGE when out is
 * too small. */
int kc_pgpwords(const unsigned char *data, size_t len, char *out,
    size_t outsz);
/* The word for byte b at position parity odd (0/1). */
const char *kc_pgpword(unsigned char b, int odd);
/* Words back to bytes (case-insensitive); *len set. KC_ERR_INPUT names the
 * first unknown or misplaced word. */
int kc_pgpwords_decode(const char *words, unsigned char *out, size_t outsz,
    size_t *len);

#endif

/*
 * kc/quorum.h: a token PIN split into N shares, any K of which rebuild it
 * (Shamir's scheme over GF(256), libgfshare).
 *
 * A share is printed for its custodian in Crockford base32, in groups of
 * four ("0A1B-C2D3-...", 31 groups, 124 characters). It carries a format
 * version, a random set identifier (shares of different splits never mix),
 * K, N, its own number (1..N), the share bytes and a 32-bit checksum, so that a
 * mistyped share is refused when it is typed, before anything is sent to a
 * token that might count a wrong PIN. Decoding accepts lower case, spaces
 * and dashes anywhere, and O/I/L for 0/1/1.
 *
 * The PIN (1 to KC_QUORUM_PIN_MAX bytes) is split as one block of 66 bytes
 * (its length, the PIN, random padding), so every share has the same length
 * whatever the PIN's: a share tells nothing about the PIN. (Version 1
 * shares, made before issue 12, split 16, 32 or 64 bytes by PIN length,
 * 44, 69 or 120 characters; they are still read.) Nothing in a share lets a
 * custodian test guesses of the PIN: there is no hash of the secret.
 *
 * Shares are secrets too: kc_quorum_split() returns them in struct
 * kc_secret, and struct kc_quorum wipes what it was given when freed.
 */
#ifndef KC_QUORUM_H
#define KC_QUORUM_H

#include <stddef.h>

#include "kc/core/secret.h"

#define KC_QUORUM_MAX_SHARES	16	/* N */
#define KC_QUORUM_PIN_MAX	64	/* bytes */
#define KC_QUORUM_TEXT_MAX	160	/* characters of one encoded share */

/* What a share says about itself. */
struct kc_quorum_info {
	char	set_id[7];	/* 6 upper-case hex digits */
	int	k;		/* threshold */
	int	n;		/* number of shares */
	int	index;		/* this share's number, 1..n */
};

/*
 * Splits pin into n shares, threshold k (2 <= k <= n <= KC_QUORUM_MAX_SHARES).
 * On success shares[0..n-1] are new secrets holding the encoded text of
 * shares 1..n; the caller frees each with kc_secret_free(). Randomness comes
 * from OpenSSL's RAND_priv_bytes.
 */
int kc_quorum_split(const struct kc_secret *pin, int k, int n,
    struct kc_secret *shares[]);

/* Decodes and checks one share (len bytes of text). KC_ERR_INPUT with a
 * message saying what is wrong (bad character, length, checksum). info may
 * be NULL. */
int kc_quorum_check(const char *text, size_t len, struct kc_quorum_info *info);

/*
 * Reads one share from path: a sheet as 'quorum split --out-dir' writes it
 * (heading, token, custodian line, the share, the closing line; the same
 * text saved from the terminal), or a file holding only the share. The
 * share is the one line (leading and trailing blanks, CR ignored) made of
 * share characters, dashes and spaces; lines with other characters are
 * ignored. The file is opened with kc_file_open() rules and, like a PIN
 * file, must not be accessible by group or others (KC_ERR_PIN). Refused
 * (KC_ERR_INPUT, a one-line message naming path, never quoting the share):
 * larger than KC_QUORUM_SHEET_MAX, a NUL byte, no share line, two share
 * lines or two headings, a share that does not check out, a heading that
 * names another share than the one on the sheet. On success *share is a
 * new secret holding the share's text (the caller frees it) and info (may
 * be NULL) describes it; every copy of the file's bytes is wiped.
 */
#define KC_QUORUM_SHEET_MAX	8192
int kc_quorum_read_file(const char *path, struct kc_secret **share,
    struct kc_quorum_info *info);

/* Collects shares typed one after the other. */
struct kc_quorum;

int kc_quorum_new(struct kc_quorum **out);
/* Wipes everything given and frees; NULL is a no-op. */
void kc_quorum_free(struct kc_quorum *q);

/*
 * Adds one share. Refused (KC_ERR_INPUT, nothing kept) when it does not
 * decode or check out, belongs to another split (set, K or N differ), or
 * has a number already given. info (may be NULL) describes the share even
 * when it is refused for being a duplicate or from another set.
 */
int kc_quorum_add(struct kc_quorum *q, const char *text, size_t len,
    struct kc_quorum_info *info);

/* Shares accepted so far, and how many more are needed (K - given, or -1
 * before the first share says what K is). */
int kc_quorum_given(const struct kc_quorum *q);
int kc_quorum_needed(const struct kc_quorum *q);

/* Rebuilds the PIN from the K shares given into a new secret (locked
 * memory) the caller frees with kc_secret_free(). KC_ERR_USAGE when fewer
 * than K shares were given; KC_ERR_INPUT when the shares do not combine to
 * a well-formed block (a share was altered with its checksum recomputed). */
int kc_quorum_combine(const struct kc_quorum *q, struct kc_secret **pin);

#endif

/*
 * kc/secret.h: PINs and passphrases in locked memory.
 *
 * A struct kc_secret owns a buffer that is mlock()ed (best effort), never
 * swapped out or copied by libkc, NUL-terminated for APIs that want a C
 * string, and wiped with OPENSSL_cleanse() when freed. Secrets never come
 * from argv or the environment: only from a file that group and others
 * cannot read, or from the terminal (src/front/front.c).
 */
#ifndef KC_SECRET_H
#define KC_SECRET_H

#include <stddef.h>

struct kc_secret {
	char	*buf;	/* NUL-terminated; len bytes of secret */
	size_t	 len;
	size_t	 cap;	/* usable bytes, excluding the terminating NUL */
	int	 locked;	/* mlock() succeeded */
};

#define KC_SECRET_MAX 1024

/* Allocates an empty secret of capacity cap (<= KC_SECRET_MAX).
 * The caller frees it with kc_secret_free(). */
int kc_secret_new(size_t cap, struct kc_secret **out);
/* Wipes, unlocks and frees; NULL is a no-op. */
void kc_secret_free(struct kc_secret *s);
/* Copies len bytes into a new secret. */
int kc_secret_from(const void *data, size_t len, struct kc_secret **out);

/*
 * Reads a secret from the first line of path (trailing CR/LF removed).
 * Refused (KC_ERR_PIN) when the file is readable or writable by group or
 * others, is not a regular file, is empty, or holds a NUL byte.
 * what names the secret in messages ("PIN", "passphrase").
 */
int kc_secret_read_file(const char *path, const char *what,
    struct kc_secret **out);

/* Constant-time comparison; 1 when equal. */
int kc_secret_equal(const struct kc_secret *a, const struct kc_secret *b);

/* Minimum lengths of the passphrases factorysign sets (docs/factorysign.1). */
#define KC_PASS_MIN_FACTORY	12	/* the intermediate (factory) key */
#define KC_PASS_MIN_DEVICE	8	/* device keys and PKCS#12 files */

/*
 * Refuses (KC_ERR_PIN, naming what, never quoting it) a new passphrase
 * shorter than min bytes, with fewer than 5 different characters, made of
 * one short unit repeated ("abcabcabc"), of one or two runs of the
 * alphabet, the digits or a keyboard row, forwards or backwards
 * ("12345678", "qwertyuiop", "abcd4321"), or a common word with at most a
 * run after it ("password123"). Letters compare case-insensitively. For
 * passphrases being set, not for ones being used.
 */
int kc_secret_check_strength(const struct kc_secret *s, size_t min,
    const char *what);

#endif

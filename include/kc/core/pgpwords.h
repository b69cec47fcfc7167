/*
 * kc/core/pgpwords.h: the PGP word list, so that a person can read a
 * digest aloud and write it on paper (the transcript's final digest, a
 * ceremony file's SHA-256). Pure functions over caller-owned buffers; the
 * word strings returned are static.
 */
#ifndef KC_CORE_PGPWORDS_H
#define KC_CORE_PGPWORDS_H

#include <stddef.h>

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

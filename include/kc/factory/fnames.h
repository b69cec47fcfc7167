/*
 * kc/fnames.h: the one mapping from a device ID to the names of its output
 * files (factory_names.c), so that every file factorysign writes or checks
 * can be copied to a FAT/exFAT medium or a Windows share.
 *
 * The stem of OUT/STEM.cert.pem, STEM.chain.pem, ... is the ID with
 *   - every byte outside [A-Za-z0-9._-] written as %XX (two upper-case hex
 *     digits): ':' is %3A, '%' itself %25, and < > " / \ | ? * space,
 *     control characters and non-ASCII bytes likewise;
 *   - a '.' at the end written as %2E (Windows drops trailing dots);
 *   - the first character written as %XX when the part before the first
 *     '.' is a reserved device name of Windows (CON, PRN, AUX, NUL,
 *     COM0-9, LPT0-9, CONIN$, CONOUT$; any case): NUL -> %4EUL.
 * A plain ID (letters, digits, '-', '.', '_') keeps its name. The mapping
 * is reversible (kc_fname_decode gives the ID back) and so collision-free;
 * the certificate and the ledger keep the ID itself.
 */
#ifndef KC_FNAMES_H
#define KC_FNAMES_H

#include <stddef.h>

/* Longest stem of an ID of at most 64 characters, with its NUL. */
#define KC_FNAME_STEM_MAX	(3 * 64 + 1)

/* The stem of id into out; KC_ERR_USAGE when it does not fit. */
int kc_fname_stem(const char *id, char *out, size_t outsz);

/* The ID of a stem into out: KC_ERR_INPUT when stem is not one that
 * kc_fname_stem makes (a lone '%', lower-case hex, a byte that would have
 * been encoded, ...), KC_ERR_USAGE when it does not fit. */
int kc_fname_decode(const char *stem, char *out, size_t outsz);

/* dir/STEM<suffix> into out (suffix ".cert.pem", ...); KC_ERR_USAGE when
 * too long. */
/* dir/name into out (outsz bytes); a path too long is KC_ERR_USAGE
 * naming it. For a factory directory's own files (intermediate.pem,
 * previous/SERIAL, ...). */
int kc_fname_join(char *out, size_t outsz, const char *dir,
    const char *name);
int kc_fname_path(const char *dir, const char *id, const char *suffix,
    char *out, size_t outsz);

#endif

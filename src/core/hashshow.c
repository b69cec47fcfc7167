/*
 * hashshow.c: the one way a hash is shown to a person, and the one way a
 * hash typed or pasted by a person is read back (see kc/display.h):
 * lower-case hex in groups of eight digits, one space between groups;
 * where width demands, two lines of four groups. Machine formats
 * (SHA256SUMS, the transcript's fields, JSON) keep plain hex.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/pgpwords.h"

/* Separators a person may put in a hash: spaces, tabs, colons, dashes. */
static int
is_sep(int c)
{
	return c == ' ' || c == '\t' || c == ':' || c == '-' || c == '\n' ||
	    c == '\r';
}

/* The hex digits of s, lower case, into d (dsz bytes); the count, or
 * (size_t)-1 when s holds anything else or too many digits. */
static size_t
digits(const char *s, char *d, size_t dsz)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (is_sep((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= dsz)
			return (size_t)-1;
		d[n++] = (char)tolower((unsigned char)*s);
	}
	d[n] = '\0';
	return n;
}

char *
kc_hash_show(const char *hex, int flags, char *out, size_t outsz)
{
	char d[KC_HASH_HEX_MAX + 1];
	size_t n, o = 0;

	if (outsz == 0)
		return out;
	out[0] = '\0';
	if (hex == NULL || (n = digits(hex, d, sizeof(d))) == (size_t)-1 ||
	    n == 0 || n % 2 != 0) {
		/* not a hash: shown as text (escaped), never as one */
		kc_display_buf(hex, out, outsz);
		return out;
	}
	for (size_t i = 0; i < n && o + 2 < outsz; i++) {
		if (i > 0 && i % 8 == 0)
			out[o++] = (flags & KC_HASH_TWO_LINES) && i == n / 2 &&
			    n > 32 ? '\n' : ' ';
		out[o++] = d[i];
	}
	out[o] = '\0';
	return out;
}

static _Thread_local char ring[8][KC_HASH_SHOW_MAX];
static _Thread_local unsigned ring_next;

const char *
kc_hash(const char *hex)
{
	char *b = ring[ring_next++ % 8];

	return kc_hash_show(hex, 0, b, KC_HASH_SHOW_MAX);
}

int
kc_hash_parse(const char *in, const char *what, char out[65])
{
	char d[KC_HASH_HEX_MAX + 1];
	size_t n;

	out[0] = '\0';
	if (in == NULL || (n = digits(in, d, sizeof(d))) == (size_t)-1)
		return kc_err(KC_ERR_USAGE, "%s: not a SHA-256: only hex digits "
		    "(0-9, a-f, any case), spaces and colons", what);
	if (n != 64)
		return kc_err(KC_ERR_USAGE, "%s: not a SHA-256: %zu hex digits "
		    "where 64 are needed", what, n);
	memcpy(out, d, 65);
	return KC_OK;
}

int
kc_hash_words(const char *hex, char *out, size_t outsz)
{
	char d[KC_HASH_HEX_MAX + 1];
	unsigned char b[KC_HASH_HEX_MAX / 2];
	size_t n;

	if (outsz > 0)
		out[0] = '\0';
	if (hex == NULL || (n = digits(hex, d, sizeof(d))) == (size_t)-1 ||
	    n == 0 || n % 2 != 0)
		return kc_err(KC_ERR_USAGE, "not a hash: hex digits expected");
	for (size_t i = 0; i < n / 2; i++) {
		static const char hx[] = "0123456789abcdef";
		b[i] = (unsigned char)((strchr(hx, d[2 * i]) - hx) << 4 |
		    (strchr(hx, d[2 * i + 1]) - hx));
	}
	return kc_pgpwords(b, n / 2, out, outsz);
}

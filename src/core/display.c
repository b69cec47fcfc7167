/* display.c: the one escaper for human-facing text (see kc/display.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/core/display.h"

/* Decodes one UTF-8 character at s (n bytes left). Returns its length and
 * the code point in *cp, or 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode format (Cf), separator (Zl, Zp) and default-ignorable
 * invisible characters: they reorder or hide text on a screen. */
static int
invisible(uint32_t c)
{
	static const struct { uint32_t lo, hi; } r[] = {
		{ 0x00ad, 0x00ad }, { 0x034f, 0x034f }, { 0x0600, 0x0605 },
		{ 0x061c, 0x061c }, { 0x06dd, 0x06dd }, { 0x070f, 0x070f },
		{ 0x0890, 0x0891 }, { 0x08e2, 0x08e2 }, { 0x115f, 0x1160 },
		{ 0x17b4, 0x17b5 }, { 0x180b, 0x180f }, { 0x200b, 0x200f },
		{ 0x2028, 0x202e }, { 0x205f, 0x206f }, { 0x3164, 0x3164 },
		{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
		{ 0xfff0, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (c >= r[i].lo && c <= r[i].hi)
			return 1;
	return 0;
}

/* What kind of character c is when it must be escaped; NULL when it is
 * shown as it is. */
static const char *
escape_kind(uint32_t c)
{
	if (c < 0x20 || c == 0x7f)
		return "a control character";
	if (c >= 0x80 && c <= 0x9f)
		return "a C1 control character";
	if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c)
		return "a bidirectional control character";
	if (invisible(c))
		return "an invisible format character";
	return NULL;
}

/* Flags of display(). */
#define D_QUOTE		1	/* '"' becomes \x22 */
#define D_KEEP_BS	2	/* a backslash stays as it is */
#define D_KEEP_NL	4	/* '\n' stays as it is (multi-line text) */

/* The escaped form of the character at s (n bytes left) into tmp (16
 * bytes); returns how many input bytes it took. */
static size_t
piece(const unsigned char *s, size_t n, int flags, char tmp[16])
{
	uint32_t cp = 0;
	size_t k = utf8_next(s, n, &cp);

	if (k == 0) {
		snprintf(tmp, 16, "\\x%02x", s[0]);
		return 1;
	}
	if (cp == '\\' && !(flags & D_KEEP_BS))
		memcpy(tmp, "\\\\", 3);
	else if (cp == '\n' && (flags & D_KEEP_NL))
		memcpy(tmp, "\n", 2);
	else if (escape_kind(cp) != NULL || ((flags & D_QUOTE) && cp == '"'))
		snprintf(tmp, 16, cp < 0x100 ? "\\x%02x" : "\\u{%04X}",
		    (unsigned)cp);
	else {
		memcpy(tmp, s, k);
		tmp[k] = '\0';
	}
	return k;
}

/* Length of the escaped form of len bytes at s. */
static size_t
escaped_len(const unsigned char *s, size_t len, int flags)
{
	size_t i = 0, total = 0;
	char tmp[16];

	while (i < len) {
		i += piece(s + i, len - i, flags, tmp);
		total += strlen(tmp);
	}
	return total;
}

static char *
display(const void *data, size_t len, char *out, size_t outsz, int flags)
{
	const unsigned char *s = data;
	size_t i = 0, o = 0, fits = 0;
	char tmp[16];

	if (outsz < 4) {
		if (outsz > 0)
			out[0] = '\0';
		return out;
	}
	while (i < len) {
		size_t n = piece(s + i, len - i, flags, tmp), t = strlen(tmp);

		/* Room for this piece, and for "..." if more follows (unless
		 * all the rest fits: then it is not cut at all). */
		if (!fits && i + n < len && o + t + 3 > outsz - 1 &&
		    o + escaped_len(s + i, len - i, flags) <= outsz - 1)
			fits = 1;
		if (o + t + (i + n < len && !fits ? 3 : 0) > outsz - 1) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, tmp, t);
		o += t;
		i += n;
	}
	out[o] = '\0';
	return out;
}

char *
kc_display_mem(const void *s, size_t len, char *out, size_t outsz)
{
	return display(s, len, out, outsz, 0);
}

char *
kc_display_buf(const char *s, char *out, size_t outsz)
{
	if (s == NULL)
		s = "(null)";
	return kc_display_mem(s, strlen(s), out, outsz);
}

char *
kc_display_line(const char *s, char *out, size_t outsz)
{
	return display(s, strlen(s), out, outsz, D_KEEP_BS);
}

char *
kc_display_text(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0, sz;
	char *out;

	/* No piece is longer than 4 bytes per input byte ("\xHH" for one
	 * byte, "\u{XXXX}" for three, "\u{XXXXX}" for four). */
	sz = 4 * len + 4;
	if ((out = malloc(sz)) == NULL)
		return NULL;
	return display(s != NULL ? s : "", len, out, sz,
	    D_KEEP_BS | D_KEEP_NL);
}

static _Thread_local char ring[8][KC_DISPLAY_MAX];
static _Thread_local unsigned ring_next;

const char *
kc_disp(const char *s)
{
	char *b = ring[ring_next++ % 8];

	return kc_display_buf(s, b, KC_DISPLAY_MAX);
}

const char *
kc_disp_line(const char *s)
{
	char *b = ring[ring_next++ % 8];

	return kc_display_line(s != NULL ? s : "(null)", b, KC_DISPLAY_MAX);
}

const char *
kc_disp_quoted(const char *s)
{
	char *b = ring[ring_next++ % 8];
	size_t n;

	if (s == NULL)
		return "(null)";
	/* A quote inside is shown as \x22: the closing quote is ours. */
	b[0] = '"';
	display(s, strlen(s), b + 1, KC_DISPLAY_MAX - 2, D_QUOTE);
	n = strlen(b);
	b[n] = '"';
	b[n + 1] = '\0';
	return b;
}

int
kc_text_plain(const void *data, size_t len, char *why, size_t whysz)
{
	const unsigned char *s = data;
	size_t i = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_next(s + i, len - i, &cp);
		const char *kind;

		if (n == 0) {
			if (why != NULL)
				snprintf(why, whysz, "a byte that is not "
				    "UTF-8 text (0x%02x) at byte %zu", s[i],
				    i + 1);
			return 0;
		}
		if ((kind = escape_kind(cp)) != NULL) {
			if (why != NULL)
				snprintf(why, whysz, "%s U+%04X at byte %zu",
				    kind, (unsigned)cp, i + 1);
			return 0;
		}
		i += n;
	}
	return 1;
}

void
kc_time_utc(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* util.c: text helpers for the views: fingerprints in groups of four hex
 * digits and as PGP words, word wrapping. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/transcript.h"
#include "tui.h"

/* Hex digits of s (colons and spaces skipped) into out, upper case. */
static size_t
hex_digits(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < outsz; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s))
			return 0;
		out[n++] = (char)toupper((unsigned char)*s);
	}
	out[n] = '\0';
	return n;
}

void
tui_hex_groups(const char *hex, char *out, size_t outsz)
{
	char d[160];
	size_t n = hex_digits(hex, d, sizeof(d)), o = 0;

	if (outsz == 0)
		return;
	for (size_t i = 0; i < n && o + 2 < outsz; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

void
tui_hex_words(const char *hex, char *out, size_t outsz)
{
	char d[160];
	unsigned char b[80];
	size_t n = hex_digits(hex, d, sizeof(d));

	out[0] = '\0';
	if (n == 0 || n % 2 != 0)
		return;
	for (size_t i = 0; i < n / 2; i++) {
		char two[3] = { d[2 * i], d[2 * i + 1], '\0' };
		b[i] = (unsigned char)strtoul(two, NULL, 16);
	}
	if (kc_pgpwords(b, n / 2, out, outsz) != 0)
		out[0] = '\0';
}

int
tui_wrap(const char *text, int w, char lines[][128], int maxlines)
{
	int n = 0, lead = (int)strspn(text, " ");
	const char *p = text;

	if (w > 127)
		w = 127;
	if (*p == '\0' && maxlines > 0) {
		lines[0][0] = '\0';
		return 1;
	}
	while (*p != '\0' && n < maxlines) {
		/* continuation lines keep the first line's indentation + 2 */
		int indent = p == text ? 0 : (lead + 2) % 16;
		int room = w - indent, len = (int)strlen(p), cut = len;

		if (len > room) {
			cut = room;
			while (cut > room / 3 && p[cut] != ' ')
				cut--;
			if (p[cut] != ' ')
				cut = room;	/* one long word: cut it */
		}
		snprintf(lines[n], 128, "%*s%.*s", indent, "", cut, p);
		n++;
		p += cut;
		while (*p == ' ')
			p++;
	}
	return n;
}

/* 1 when the last word of line is a SHA-256 (64 hex digits, or 32 bytes
 * written AB:CD:...); *v points at it. */
static int
ends_in_sha256(const char *line, const char **v)
{
	const char *p = strrchr(line, ' ');
	size_t n;

	p = p ? p + 1 : line;
	n = strspn(p, "0123456789abcdefABCDEF:");
	if (p[n] != '\0' || !(n == 64 || (n == 95 && p[2] == ':')))
		return 0;
	*v = p;
	return 1;
}

int
tui_expand(const char *text, int w, char lines[][128], int maxlines)
{
	char *copy = strdup(text), *s, *save = NULL;
	int n = 0;

	if (copy == NULL)
		return 0;
	for (s = strtok_r(copy, "\n", &save); s != NULL && n < maxlines;
	    s = strtok_r(NULL, "\n", &save)) {
		const char *v;
		char g[128], words[400], label[128];
		int indent = (int)strspn(s, " ") % 16 + 4;

		if (!ends_in_sha256(s, &v) || n + 6 > maxlines) {
			n += tui_wrap(s, w, lines + n, maxlines - n);
			continue;
		}
		/* the label, then the value as two rows of eight groups of
		 * four hex digits, then its PGP words */
		snprintf(label, sizeof(label), "%.*s", (int)(v - s), s);
		if (label[strspn(label, " ")] != '\0')
			n += tui_wrap(label, w, lines + n, maxlines - n);
		tui_hex_groups(v, g, sizeof(g));
		snprintf(lines[n++], 128, "%*s%.39s", indent, "", g);
		snprintf(lines[n++], 128, "%*s%.39s", indent, "", g + 40);
		tui_hex_words(v, words, sizeof(words));
		if (words[0] != '\0') {
			char tmp[420];
			snprintf(tmp, sizeof(tmp), "%*s%s", indent, "", words);
			n += tui_wrap(tmp, w, lines + n, maxlines - n);
		}
	}
	free(copy);
	return n;
}

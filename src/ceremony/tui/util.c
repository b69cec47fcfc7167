/* util.c: text helpers for the views: fingerprints in the one form of
 * kc_hash_show() and as PGP words (from structured fields only), word wrapping,
 * escaped multi-line text. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
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
	kc_hash_show(hex, 0, out, outsz);
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
			/* never inside a UTF-8 character: a cut one would
			 * be shown as escaped bytes */
			while (cut > 1 && ((unsigned char)p[cut] & 0xc0) == 0x80)
				cut--;
		}
		snprintf(lines[n], 128, "%*s%.*s", indent, "", cut, p);
		n++;
		p += cut;
		while (*p == ' ')
			p++;
	}
	return n;
}

int
tui_hash_block(const char *label, const char *hex, int w, char lines[][128],
    int maxlines)
{
	char d[160], g[KC_HASH_SHOW_MAX], words[400], tmp[420], *nl;
	size_t n = hex_digits(hex, d, sizeof(d));
	int k = 0;

	/* Only a whole SHA-256 (32 bytes) makes a block; anything else is
	 * not a value of ours and is not drawn as one. */
	if (n != 64 || maxlines < 6)
		return 0;
	k += tui_wrap(label, w, lines + k, maxlines - k);
	/* the one form (kc_hash_show), two lines of four groups */
	kc_hash_show(d, KC_HASH_TWO_LINES, g, sizeof(g));
	if ((nl = strchr(g, '\n')) != NULL)
		*nl = '\0';
	snprintf(lines[k++], 128, "    %.100s", g);
	snprintf(lines[k++], 128, "    %.100s", nl != NULL ? nl + 1 : "");
	tui_hex_words(d, words, sizeof(words));
	if (words[0] != '\0' && k < maxlines) {
		snprintf(tmp, sizeof(tmp), "    %s", words);
		k += tui_wrap(tmp, w, lines + k, maxlines - k);
	}
	return k;
}

int
tui_expand(const char *text, int w, char lines[][128], int maxlines)
{
	char *copy = strdup(text), *s, *save = NULL, line[1024];
	int n = 0;

	if (copy == NULL)
		return 0;
	/* Text is text: a hash in it (a subject "ST=CSR SHA-256 <hex>")
	 * is never drawn as a hash block; blocks come from structured
	 * fields only (tui_hash_block). Each line is escaped here, before
	 * it is wrapped, so that no control of the text reaches curses. */
	for (s = strtok_r(copy, "\n", &save); s != NULL && n < maxlines;
	    s = strtok_r(NULL, "\n", &save)) {
		kc_display_line(s, line, sizeof(line));
		n += tui_wrap(line, w, lines + n, maxlines - n);
	}
	free(copy);
	return n;
}

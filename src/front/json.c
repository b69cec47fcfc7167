/*
 * json.c: the JSON string writers of both programs' --json output.
 */
#include "config.h"

#include <stdio.h>

#include "kc/core/display.h"
#include "front.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static int
utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* The code point of the n-byte UTF-8 character at s (utf8_len() said it
 * is valid). */
static unsigned long
utf8_cp(const unsigned char *s, int n)
{
	unsigned long cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1f :
	    n == 3 ? s[0] & 0x0f : s[0] & 0x07;

	for (int i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * invalid UTF-8 replaced by U+FFFD, so that the output always parses;
 * C1 controls, bidirectional and invisible format characters (what
 * kc/display.h escapes) as \uXXXX too, so that the JSON on a terminal
 * cannot drive or reorder it. */
void
kc_front_json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	putchar('"');
	while (s != NULL && *s != '\0') {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
		} else if ((n = utf8_len(s)) == 0) {
			fputs("\\ufffd", stdout);
			s++;
		} else if (!kc_text_plain(s, (size_t)n, NULL, 0)) {
			unsigned long cp = utf8_cp(s, n);

			if (cp > 0xffff)
				printf("\\u%04lx\\u%04lx",
				    0xd800 + ((cp - 0x10000) >> 10),
				    0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				printf("\\u%04lx", cp);
			s += n;
		} else {
			fwrite(s, 1, (size_t)n, stdout);
			s += n;
		}
	}
	putchar('"');
}

void
kc_front_json_bytes(const char *s)
{
	kc_front_json_bytes_fp(stdout, s);
}

void
kc_front_json_bytes_fp(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

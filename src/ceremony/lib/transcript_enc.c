/* transcript_enc.c: the one spelling of a transcript value: written as it
 * is when it needs no quoting, otherwise quoted with \" \\ \n and \xHH
 * escapes (kc_tr_put), and kc_transcript_unescape. The writer writes it
 * and the verifier refuses any other (transcript_int.h). Owned by the
 * ceremony side (libkc-ceremony). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "transcript_int.h"

/* One character of a value that may be written as it is: printable
 * ASCII other than '"' and '\\' (a space only inside quotes), or a whole
 * UTF-8 sequence that kc_text_plain() accepts (no C1 controls, no bidi or
 * other format characters). Returns its length in bytes, 0 when it must
 * be escaped. */
size_t
kc_tr_literal_len(const unsigned char *p, size_t n, int in_quotes)
{
	size_t l;

	if (*p < 0x80) {
		if (*p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f ||
		    (*p == ' ' && !in_quotes))
			return 0;
		return 1;
	}
	l = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
	if (l == 0 || l > n || !kc_text_plain(p, l, NULL, 0))
		return 0;
	return l;
}

/* A value is written as is when it is not empty and every character is
 * kc_tr_literal_len() text without spaces; otherwise in double quotes
 * with \" \\ \n and \xHH escapes for everything else. This is the only
 * encoding: the verifier refuses any other spelling of a value. */
static int
plain_value(const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t l;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i += l)
		if ((l = kc_tr_literal_len(p + i, n - i, 0)) == 0)
			return 0;
	return 1;
}

/* Appends s (quoted and escaped when esc and needed) to buf at *used; 0
 * when it fits. */
int
kc_tr_put(char *buf, size_t *used, const char *s, int esc)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;
	int quote = esc && !plain_value(s, n);

	if (!esc) {
		if (*used + n >= TR_LINE_MAX)
			return -1;
		memcpy(buf + *used, s, n);
		*used += n;
		return 0;
	}
	if (quote) {
		if (*used + 2 >= TR_LINE_MAX)
			return -1;
		buf[(*used)++] = '"';
	}
	for (size_t i = 0; i < n; i += l) {
		if (*used + 6 >= TR_LINE_MAX)
			return -1;
		if ((l = kc_tr_literal_len(p + i, n - i, 1)) > 0) {
			memcpy(buf + *used, p + i, l);
			*used += l;
			continue;
		}
		l = 1;
		buf[(*used)++] = '\\';
		if (p[i] == '"' || p[i] == '\\') {
			buf[(*used)++] = (char)p[i];
		} else if (p[i] == '\n') {
			buf[(*used)++] = 'n';
		} else {
			buf[(*used)++] = 'x';
			buf[(*used)++] = hx[p[i] >> 4];
			buf[(*used)++] = hx[p[i] & 15];
		}
	}
	if (quote)
		buf[(*used)++] = '"';
	return 0;
}

char *
kc_transcript_unescape(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	size_t n = strlen(v);

	if (out == NULL)
		return NULL;
	if (n < 2 || v[0] != '"' || v[n - 1] != '"') {
		memcpy(out, v, n + 1);
		return out;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		if (v[i] != '\\' || i + 2 >= n) {
			*o++ = v[i];
			continue;
		}
		i++;
		if (v[i] == 'n') {
			*o++ = '\n';
		} else if (v[i] == 'x' && i + 2 < n - 1 &&
		    isxdigit((unsigned char)v[i + 1]) &&
		    isxdigit((unsigned char)v[i + 2])) {
			char h[3] = { v[i + 1], v[i + 2], 0 };
			*o++ = (char)strtoul(h, NULL, 16);
			i += 2;
		} else {
			*o++ = v[i];
		}
	}
	*o = '\0';
	return out;
}

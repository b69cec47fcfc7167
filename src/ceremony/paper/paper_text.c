/*
 * paper_text.c: draws a paper document model (kc/paper.h) as plain text,
 * for sites without a PDF printer driver: boxes as [____], tick boxes as
 * [ ], signature lines as underscores, a QR code as its payload (the PDF
 * form carries the code itself). The blocks hold escaped text already.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/paper.h"
#include "kc/core/error.h"

struct tbuf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
tput(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tput(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t ncap = (b->cap + (size_t)n + 1) * 2;
		char *np = realloc(b->p, ncap);

		if (np == NULL) {
			free(s);
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

/* Each line of text after prefix (first line) or an indent as wide. */
static void
lines(struct tbuf *b, const char *prefix, const char *text)
{
	size_t pl = strlen(prefix);
	int first = 1;

	do {
		size_t n = strcspn(text, "\n");

		tput(b, "%-*s%.*s\n", (int)pl, first ? prefix : "", (int)n,
		    text);
		first = 0;
		text += n;
		if (*text == '\n')
			text++;
	} while (*text != '\0');
}

static void
rule(struct tbuf *b, char c, size_t n)
{
	char r[81];

	memset(r, c, n < 80 ? n : 80);
	r[n < 80 ? n : 80] = '\0';
	tput(b, "%s\n", r);
}

static void
block(struct tbuf *b, const struct kc_paper *d, const struct kc_paper_block *k)
{
	char pre[256];

	switch (k->kind) {
	case KC_PAPER_TITLE:
		tput(b, "%s\n", k->text);
		rule(b, '=', 78);
		break;
	case KC_PAPER_HEADING:
		tput(b, "\n%s\n", k->text);
		rule(b, '-', 78);
		break;
	case KC_PAPER_TEXT:
		lines(b, "", k->text);
		break;
	case KC_PAPER_FIELD:
	case KC_PAPER_MONO:
		if (k->label[0] == '\0') {
			lines(b, "", k->text);
			break;
		}
		snprintf(pre, sizeof(pre), "%s: ", k->label);
		if (k->kind == KC_PAPER_MONO) {
			tput(b, "%s\n", pre);
			lines(b, "    ", k->text);
		} else
			lines(b, pre, k->text);
		break;
	case KC_PAPER_BOX:
		if (k->label[0])
			tput(b, "%s%s%s%s:\n", k->label, k->text[0] ? " (" : "",
			    k->text, k->text[0] ? ")" : "");
		else
			tput(b, "%s:\n", k->text);
		tput(b, "    [__________________________________________________"
		    "______________]\n");
		break;
	case KC_PAPER_TICK:
		tput(b, "[ ] %s: %s\n", k->label, k->text);
		break;
	case KC_PAPER_SIGN:
		tput(b, "\n%s%s%s%s\n", k->label, k->text[0] ? " (" : "", k->text,
		    k->text[0] ? ")" : "");
		tput(b, "    Name: ______________________  Initials: [______]  "
		    "Signature: __________________\n");
		break;
	case KC_PAPER_QR:
		tput(b, "    (QR code in the PDF form of: %s)\n", k->text);
		break;
	case KC_PAPER_BREAK:
		tput(b, "\n");
		rule(b, '=', 78);
		if (d->rehearsal)
			tput(b, "REHEARSAL\n");
		break;
	}
}

int
kc_paper_text(const struct kc_paper *d, char **data, size_t *len)
{
	struct tbuf b = { NULL, 0, 0, 0 };

	*data = NULL;
	*len = 0;
	if (d->rehearsal)
		tput(&b, "*** REHEARSAL: nothing made in this ceremony is for "
		    "production ***\n\n");
	tput(&b, "%s\n\n", d->header);
	for (size_t i = 0; i < d->n; i++)
		block(&b, d, &d->b[i]);
	tput(&b, "\n%s\n", d->footer);
	if (d->rehearsal)
		tput(&b, "*** REHEARSAL ***\n");
	if (b.failed) {
		free(b.p);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*data = b.p;
	*len = b.len;
	return KC_OK;
}

/*
 * field.c: a one-line text field for the views. The text always lives in a
 * struct kc_secret (locked, wiped), whether it is a name or a PIN, so that
 * one code path handles both; masked fields show only '*'.
 */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "kc/core/error.h"
#include "tui.h"

int
tui_field_init(struct tui_field *f, size_t max, int masked)
{
	memset(f, 0, sizeof(*f));
	f->masked = masked;
	f->max = max;
	return kc_secret_new(max, &f->s);
}

void
tui_field_free(struct tui_field *f)
{
	kc_secret_free(f->s);
	f->s = NULL;
}

void
tui_field_clear(struct tui_field *f)
{
	OPENSSL_cleanse(f->s->buf, f->s->cap + 1);
	f->s->len = 0;
}

int
tui_field_set(struct tui_field *f, const char *text)
{
	size_t n = strlen(text);

	if (n > f->max)
		n = f->max;
	tui_field_clear(f);
	memcpy(f->s->buf, text, n);
	f->s->len = n;
	return KC_OK;
}

int
tui_field_key(struct tui_field *f, int key)
{
	if (key == TK_BACKSPACE) {
		if (f->s->len > 0)
			f->s->buf[--f->s->len] = '\0';
		return 1;
	}
	if (key < 0x20 || key >= 0x7f)
		return 0;
	if (f->s->len >= f->max)
		return 1;
	if (f->upper && key >= 'a' && key <= 'z')
		key = key - 'a' + 'A';
	f->s->buf[f->s->len++] = (char)key;
	f->s->buf[f->s->len] = '\0';
	return 1;
}

const char *
tui_field_text(const struct tui_field *f)
{
	return f->s->buf;
}

size_t
tui_field_len(const struct tui_field *f)
{
	return f->s->len;
}

void
tui_field_draw(const struct tui_field *f, int y, int x, int w, int focused)
{
	char shown[256];
	size_t n = 0, start = 0;

	if (w >= (int)sizeof(shown))
		w = (int)sizeof(shown) - 1;
	if (f->masked) {
		for (size_t i = 0; i < f->s->len && n + 2 < sizeof(shown); i++) {
			if (f->group > 0 && i > 0 && i % (size_t)f->group == 0)
				shown[n++] = '-';
			shown[n++] = '*';
		}
	} else {
		n = f->s->len < sizeof(shown) - 1 ? f->s->len : sizeof(shown) - 1;
		memcpy(shown, f->s->buf, n);
	}
	shown[n] = '\0';
	if ((int)n >= w)
		start = n - (size_t)w + 1;
	tui_draw_fill(y, x, 1, w);
	tui_draw_text(y, x, TA_UNDERLINE, "%-*s", w, shown + start);
	if (focused)
		tui_draw_cursor(y, x + (int)(n - start));
	OPENSSL_cleanse(shown, sizeof(shown));
}

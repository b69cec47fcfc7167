/* test_tui.c: the curses-free parts of the TUI: the line editor (masking,
 * groups, limits), fingerprint groups and PGP words, word wrapping and the
 * hash blocks from structured fields only. Drawing is replaced by a
 * recorder. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kc/core/error.h"
#include "tui.h"

/* ---- a recorder in place of draw.c ---- */
static char drawn[1024];
static int cursor_x = -1;

void
tui_draw_text(int y, int x, int attr, const char *fmt, ...)
{
	va_list ap;

	(void)y; (void)x; (void)attr;
	va_start(ap, fmt);
	vsnprintf(drawn, sizeof(drawn), fmt, ap);
	va_end(ap);
}

void
tui_draw_fill(int y, int x, int h, int w)
{
	(void)y; (void)x; (void)h; (void)w;
}

void
tui_draw_cursor(int y, int x)
{
	(void)y;
	cursor_x = x;
}

static void
type(struct tui_field *f, const char *s)
{
	for (; *s; s++)
		assert_int_equal(tui_field_key(f, (unsigned char)*s), 1);
}

static void
test_field_masked(void **state)
{
	struct tui_field f;

	(void)state;
	assert_int_equal(tui_field_init(&f, 8, 1), KC_OK);
	type(&f, "123456");
	assert_string_equal(tui_field_text(&f), "123456");
	tui_field_draw(&f, 0, 10, 20, 1);
	assert_non_null(strstr(drawn, "******"));
	assert_null(strstr(drawn, "1"));
	assert_int_equal(cursor_x, 16);
	/* backspace, limit, keys that are not text */
	assert_int_equal(tui_field_key(&f, TK_BACKSPACE), 1);
	assert_string_equal(tui_field_text(&f), "12345");
	type(&f, "6789");
	assert_string_equal(tui_field_text(&f), "12345678");
	assert_int_equal(tui_field_len(&f), 8);
	assert_int_equal(tui_field_key(&f, TK_UP), 0);
	assert_int_equal(tui_field_key(&f, TK_ENTER), 0);
	tui_field_clear(&f);
	assert_int_equal(tui_field_len(&f), 0);
	assert_string_equal(tui_field_text(&f), "");
	tui_field_free(&f);
}

static void
test_field_groups(void **state)
{
	struct tui_field f;

	(void)state;
	assert_int_equal(tui_field_init(&f, 64, 1), KC_OK);
	f.group = 4;
	f.upper = 1;
	type(&f, "abcdefghij");
	assert_string_equal(tui_field_text(&f), "ABCDEFGHIJ");
	tui_field_draw(&f, 0, 0, 40, 0);
	assert_non_null(strstr(drawn, "****-****-**"));
	/* a narrow field shows the end of what was typed */
	tui_field_draw(&f, 0, 0, 6, 1);
	assert_int_equal(strncmp(drawn, "-**", 3) == 0 ||
	    strncmp(drawn, "**-**", 5) == 0 || strncmp(drawn, "*-**", 4) == 0,
	    1);
	tui_field_free(&f);
}

static void
test_hex_groups_words(void **state)
{
	static const char colon[] = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:"
	    "45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	char g[128], w[400];

	(void)state;
	/* the one form (kc_hash_show): lower case, groups of eight */
	tui_hex_groups(colon, g, sizeof(g));
	assert_string_equal(g, "abcdef01 23456789 abcdef01 23456789 "
	    "abcdef01 23456789 abcdef01 23456789");
	tui_hex_groups("00ff", g, sizeof(g));
	assert_string_equal(g, "00ff");
	/* PGP words: byte 0 from the even list, byte 1 from the odd one */
	tui_hex_words("00ff", w, sizeof(w));
	assert_string_equal(w, "aardvark Yucatan");
	tui_hex_words("not hex", w, sizeof(w));
	assert_string_equal(w, "");
	tui_hex_words("abc", w, sizeof(w));
	assert_string_equal(w, "");
}

static void
test_wrap(void **state)
{
	char l[8][128];
	int n;

	(void)state;
	n = tui_wrap("the quick brown fox jumps over the lazy dog", 16, l, 8);
	assert_int_equal(n, 3);
	assert_string_equal(l[0], "the quick brown");
	assert_string_equal(l[1], "  fox jumps over");
	assert_string_equal(l[2], "  the lazy dog");
	for (int i = 0; i < n; i++)
		assert_true(strlen(l[i]) <= 16);
	n = tui_wrap("", 10, l, 8);
	assert_int_equal(n, 1);
	assert_string_equal(l[0], "");
	/* a word longer than the line is cut, nothing is lost */
	n = tui_wrap("0123456789abcdefghij", 8, l, 8);
	assert_int_equal(n, 3);
	assert_string_equal(l[2], "  efghij");
	assert_string_equal(l[0], "01234567");
	assert_string_equal(l[1], "  89abcd");
	/* a long word of multi-byte letters is cut between characters */
	n = tui_wrap("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x8d\xe8\xa8\xbc", 8, l, 8);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "\xe6\x97\xa5\xe6\x9c\xac");
	assert_string_equal(l[1], "  \xe8\xaa\x8d\xe8\xa8\xbc");
	/* maxlines is respected */
	n = tui_wrap("a b c d e f g h i j k l m n o p", 4, l, 2);
	assert_int_equal(n, 2);
}

/* A hash in text stays text (issue 12: a subject "ST=CSR SHA-256 <hash>"
 * was drawn as a hash block); every line is escaped. */
static void
test_expand_is_text(void **state)
{
	static const char text[] = "subject /CN=x\nCSR SHA-256 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "\nsubject (from the CSR): \"/ST=CSR SHA-256 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	    "\"\nnot a hash 0123\n";
	char l[32][128];
	int n;

	(void)state;
	n = tui_expand(text, 70, l, 32);
	assert_string_equal(l[0], "subject /CN=x");
	for (int i = 0; i < n; i++) {
		assert_true(strlen(l[i]) <= 70);
		/* no groups of four, no PGP words */
		assert_null(strstr(l[i], "0123 4567"));
		assert_null(strstr(l[i], "absurd"));
	}
	assert_string_equal(l[n - 1], "not a hash 0123");
	/* controls, C1 and bidirectional characters are escaped, an escape
	 * made before is kept as it was */
	n = tui_expand("a\x1b[2Jb \xc2\x9b c \xe2\x80\xae d \\x22\tz\r", 70,
	    l, 32);
	assert_int_equal(n, 1);
	assert_string_equal(l[0], "a\\x1b[2Jb \\x9b c \\u{202E} d \\x22\\x09z"
	    "\\x0d");
}

static void
test_hash_block(void **state)
{
	char l[32][128];
	int n;

	(void)state;
	n = tui_hash_block("CSR SHA-256:", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 70, l, 32);
	assert_true(n >= 4);
	assert_string_equal(l[0], "CSR SHA-256:");
	assert_string_equal(l[1], "    01234567 89abcdef 01234567 89abcdef");
	assert_string_equal(l[2], "    01234567 89abcdef 01234567 89abcdef");
	/* 0x01 at an even position is "absurd", 0x23 at an odd one "Atlantic" */
	assert_int_equal(strncmp(l[3], "    absurd", 10), 0);
	for (int i = 0; i < n; i++)
		assert_true(strlen(l[i]) <= 70);
	/* the AB:CD:.. form of a fingerprint */
	n = tui_hash_block("fp:", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:"
	    "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF", 70, l, 32);
	assert_true(n >= 4);
	assert_string_equal(l[1], "    01234567 89abcdef 01234567 89abcdef");
	/* anything but a whole SHA-256 makes no block */
	assert_int_equal(tui_hash_block("x", "0123", 70, l, 32), 0);
	assert_int_equal(tui_hash_block("x", "", 70, l, 32), 0);
	assert_int_equal(tui_hash_block("x", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdeg", 70, l, 32), 0);
	assert_int_equal(tui_hash_block("x", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef00", 70, l, 32), 0);
	/* too few lines: nothing rather than half a block */
	assert_int_equal(tui_hash_block("x", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 70, l, 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_masked),
		cmocka_unit_test(test_field_groups),
		cmocka_unit_test(test_hex_groups_words),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_expand_is_text),
		cmocka_unit_test(test_hash_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

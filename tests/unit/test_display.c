/* test_display.c: the one display escaper (kc/display.h): what is kept,
 * what is escaped and how, cutting at character boundaries, quoting, the
 * multi-line form, and kc_text_plain()'s refusals with their reasons. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kc/core/display.h"

static const char *
esc(const char *s, size_t len)
{
	static char out[1024];

	return kc_display_mem(s, len, out, sizeof(out));
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

/* 1 when s holds no byte < 0x20, no DEL, no C1 (raw or UTF-8) and no
 * non-ASCII byte at all: everything the escaper puts out for the cases
 * below is ASCII or a kept printable letter. */
static int
clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p <= 0x9f))
			return 0;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	}
	return 1;
}

static void
test_kept(void **state)
{
	(void)state;
	assert_string_equal(ESC("Example Root CA"), "Example Root CA");
	assert_string_equal(ESC("M\xc3\xbcller GmbH"), "M\xc3\xbcller GmbH");
	/* Japanese, Greek, an emoji (4 bytes) and U+00A0 are printable */
	assert_string_equal(ESC("\xe6\x97\xa5\xe6\x9c\xac"),
	    "\xe6\x97\xa5\xe6\x9c\xac");
	assert_string_equal(ESC("\xce\xb1\xce\xb2"), "\xce\xb1\xce\xb2");
	assert_string_equal(ESC("\xf0\x9f\x94\x91"), "\xf0\x9f\x94\x91");
	assert_string_equal(ESC("\xc2\xa0"), "\xc2\xa0");
	assert_string_equal(ESC(""), "");
}

static void
test_controls(void **state)
{
	char in[2], want[8];

	(void)state;
	/* every C0 byte and DEL */
	for (int c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		snprintf(want, sizeof(want), "\\x%02x", c);
		assert_string_equal(esc(in, 1), want);
	}
	assert_string_equal(ESC("\x7f"), "\\x7f");
	assert_string_equal(esc("a\0b", 3), "a\\x00b");
	/* raw C1 bytes are not UTF-8: \xHH; their UTF-8 forms too */
	for (int c = 0x80; c < 0xa0; c++) {
		char u[3] = { (char)0xc2, (char)c, 0 };

		in[0] = (char)c;
		snprintf(want, sizeof(want), "\\x%02x", c);
		assert_string_equal(esc(in, 1), want);
		assert_string_equal(esc(u, 2), want);
	}
	assert_string_equal(ESC("\x1b[2J\x1b]0;title\x07"),
	    "\\x1b[2J\\x1b]0;title\\x07");
	assert_string_equal(ESC("\xc2\x9b" "31m"), "\\x9b31m");
	assert_string_equal(ESC("a\\b"), "a\\\\b");
}

static void
test_format(void **state)
{
	static const struct { const char *in, *out; } c[] = {
		{ "\xe2\x80\xae", "\\u{202E}" },	/* RLO */
		{ "\xe2\x80\xaa", "\\u{202A}" },
		{ "\xe2\x81\xa6", "\\u{2066}" },	/* LRI..PDI */
		{ "\xe2\x81\xa9", "\\u{2069}" },
		{ "\xe2\x80\x8b", "\\u{200B}" },	/* ZWSP */
		{ "\xe2\x80\x8f", "\\u{200F}" },	/* RLM */
		{ "\xef\xbb\xbf", "\\u{FEFF}" },	/* BOM */
		{ "\xe2\x80\xa8", "\\u{2028}" },	/* LINE SEPARATOR */
		{ "\xe2\x80\xa9", "\\u{2029}" },
		{ "\xe2\x81\xa0", "\\u{2060}" },	/* WORD JOINER */
		{ "\xd8\x9c", "\\u{061C}" },		/* ALM */
		{ "\xc2\xad", "\\xad" },		/* soft hyphen */
		{ "\xf3\xa0\x80\x81", "\\u{E0001}" },	/* tag */
		{ "\xf3\xa0\x81\xbf", "\\u{E007F}" },
		{ "\xef\xb8\x8f", "\\u{FE0F}" },	/* variation selector */
		{ "\xef\xbf\xb9", "\\u{FFF9}" },	/* interlinear */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_string_equal(esc(c[i].in, strlen(c[i].in)), c[i].out);
	}
}

static void
test_bad_utf8(void **state)
{
	(void)state;
	assert_string_equal(ESC("\xc0\xaf"), "\\xc0\\xaf");	/* overlong / */
	assert_string_equal(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
	assert_string_equal(ESC("\xf0\x80\x80\xaf"),
	    "\\xf0\\x80\\x80\\xaf");
	assert_string_equal(ESC("\xc1\x9b"), "\\xc1\\x9b");	/* overlong CSI */
	assert_string_equal(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(ESC("\xed\xbf\xbf"), "\\xed\\xbf\\xbf");
	assert_string_equal(ESC("\xf4\x90\x80\x80"),
	    "\\xf4\\x90\\x80\\x80");			/* > U+10FFFF */
	assert_string_equal(ESC("\xf5\x80\x80\x80"),
	    "\\xf5\\x80\\x80\\x80");
	assert_string_equal(ESC("\xff\xfe"), "\\xff\\xfe");
	/* truncated sequences, at the end and before ASCII */
	assert_string_equal(ESC("a\xe2\x80"), "a\\xe2\\x80");
	assert_string_equal(ESC("\xe2\x80" "b"), "\\xe2\\x80b");
	assert_string_equal(ESC("\xf0\x9f\x94"), "\\xf0\\x9f\\x94");
	assert_string_equal(ESC("\xc3"), "\\xc3");
	assert_string_equal(ESC("\x80"), "\\x80");
}

static void
test_cut(void **state)
{
	char out[16], big[600];

	(void)state;
	/* cut at a character boundary, never inside an escape or a letter */
	kc_display_buf("0123456789abcdefghij", out, sizeof(out));
	assert_string_equal(out, "0123456789ab...");
	kc_display_buf("012345678901\x1b", out, sizeof(out));
	assert_string_equal(out, "012345678901...");
	kc_display_buf("0123456789\xc3\xbc\xc3\xbc\xc3\xbc", out, 14);
	assert_string_equal(out, "0123456789...");
	/* exactly fitting text is not cut */
	kc_display_buf("0123456789abcde", out, sizeof(out));
	assert_string_equal(out, "0123456789abcde");
	/* tiny buffers */
	kc_display_buf("abcdef", out, 4);
	assert_string_equal(out, "...");
	out[0] = 'x';
	kc_display_buf("abcdef", out, 1);
	assert_string_equal(out, "");
	kc_display_buf(NULL, out, sizeof(out));
	assert_string_equal(out, "(null)");
	/* the ring buffers: long input, no overflow, clean */
	memset(big, 0x9b, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_true(strlen(kc_disp(big)) < KC_DISPLAY_MAX);
	assert_true(clean(kc_disp(big)));
	assert_true(clean(kc_disp_quoted(big)));
	assert_true(strlen(kc_disp_quoted(big)) < KC_DISPLAY_MAX);
}

static void
test_quoted_line_text(void **state)
{
	char out[64], *t;
	const char *a, *b;

	(void)state;
	assert_string_equal(kc_disp_quoted("CN=x\" y"), "\"CN=x\\x22 y\"");
	assert_string_equal(kc_disp_quoted(""), "\"\"");
	assert_string_equal(kc_disp_quoted(NULL), "(null)");
	/* eight ring buffers: eight results stay valid at once */
	a = kc_disp("first");
	b = kc_disp("second");
	for (int i = 0; i < 6; i++)
		(void)kc_disp("x");
	assert_string_equal(a, "first");
	assert_string_equal(b, "second");
	/* kc_display_line keeps backslashes: escaping twice changes nothing */
	kc_display_line("a\\x1b \x1b", out, sizeof(out));
	assert_string_equal(out, "a\\x1b \\x1b");
	assert_string_equal(kc_disp_line(out), "a\\x1b \\x1b");
	assert_string_equal(kc_disp_line(NULL), "(null)");
	/* kc_display_text keeps new lines only */
	t = kc_display_text("line 1\nline \x1b[2J 2\r\n\xe2\x80\xae\t\n");
	assert_non_null(t);
	assert_string_equal(t, "line 1\nline \\x1b[2J 2\\x0d\n\\u{202E}\\x09\n");
	free(t);
	t = kc_display_text(NULL);
	assert_non_null(t);
	assert_string_equal(t, "");
	free(t);
	/* worst case growth fits: every byte a raw C1 */
	{
		char w[256];
		memset(w, 0x85, sizeof(w) - 1);
		w[sizeof(w) - 1] = '\0';
		t = kc_display_text(w);
		assert_non_null(t);
		assert_int_equal(strlen(t), 4 * 255);
		assert_true(clean(t));
		free(t);
		/* tag characters: 4 bytes in, 9 out */
		for (size_t i = 0; i + 4 < sizeof(w); i += 4)
			memcpy(w + i, "\xf3\xa0\x80\x81", 4);
		w[252] = '\0';
		t = kc_display_text(w);
		assert_non_null(t);
		assert_int_equal(strlen(t), 63 * 9);
		free(t);
	}
}

static void
test_text_plain(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(kc_text_plain("M\xc3\xbcller GmbH", 12, why,
	    sizeof(why)), 1);
	assert_int_equal(kc_text_plain("\xe6\x97\xa5\xe6\x9c\xac", 6, why,
	    sizeof(why)), 1);
	assert_int_equal(kc_text_plain("a\\b \"q\"", 7, why, sizeof(why)), 1);
	assert_int_equal(kc_text_plain("", 0, why, sizeof(why)), 1);

	assert_int_equal(kc_text_plain("ab\xe2\x80\xae", 5, why, sizeof(why)),
	    0);
	assert_string_equal(why, "a bidirectional control character U+202E "
	    "at byte 3");
	assert_int_equal(kc_text_plain("\xc2\x9b", 2, why, sizeof(why)), 0);
	assert_string_equal(why, "a C1 control character U+009B at byte 1");
	assert_int_equal(kc_text_plain("x\x9b", 2, why, sizeof(why)), 0);
	assert_string_equal(why, "a byte that is not UTF-8 text (0x9b) at "
	    "byte 2");
	assert_int_equal(kc_text_plain("\x1b[2J", 4, why, sizeof(why)), 0);
	assert_string_equal(why, "a control character U+001B at byte 1");
	assert_int_equal(kc_text_plain("\x7f", 1, why, sizeof(why)), 0);
	assert_int_equal(kc_text_plain("a\0b", 3, why, sizeof(why)), 0);
	assert_string_equal(why, "a control character U+0000 at byte 2");
	assert_int_equal(kc_text_plain("\xe2\x80\x8b", 3, why, sizeof(why)),
	    0);
	assert_string_equal(why, "an invisible format character U+200B at "
	    "byte 1");
	assert_int_equal(kc_text_plain("\xf3\xa0\x80\x81", 4, why,
	    sizeof(why)), 0);
	assert_string_equal(why, "an invisible format character U+E0001 at "
	    "byte 1");
	assert_int_equal(kc_text_plain("\xed\xa0\x80", 3, why, sizeof(why)),
	    0);
	assert_int_equal(kc_text_plain("\xc0\x80", 2, why, sizeof(why)), 0);
	assert_int_equal(kc_text_plain("\xe2\x80", 2, why, sizeof(why)), 0);
	/* a NULL reason buffer is allowed */
	assert_int_equal(kc_text_plain("\x1b", 1, NULL, 0), 0);
	/* a small reason buffer is cut, NUL-terminated */
	assert_int_equal(kc_text_plain("\x1b", 1, why, 8), 0);
	assert_int_equal(strlen(why), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_quoted_line_text),
		cmocka_unit_test(test_text_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_fnames.c: the file name mapping of device IDs (kc/fnames.h):
 * exact encodings of every character FAT, exFAT and Windows refuse and of
 * the reserved device names; a round trip for every byte and for random
 * strings (decode(stem(x)) == x, so no two IDs share a name); every stem
 * uses only safe characters, never ends in '.', and is never a reserved
 * name; non-canonical names are refused by the decoder.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"

static void
expect(const char *id, const char *want)
{
	char stem[KC_FNAME_STEM_MAX], back[256];

	assert_int_equal(kc_fname_stem(id, stem, sizeof(stem)), KC_OK);
	if (strcmp(stem, want) != 0)
		fail_msg("stem of '%s' is '%s', want '%s'", id, stem, want);
	assert_int_equal(kc_fname_decode(stem, back, sizeof(back)), KC_OK);
	assert_string_equal(back, id);
}

static void
test_exact(void **state)
{
	(void)state;
	expect("dev-0001", "dev-0001");
	expect("Dev.Mixed_Case:b", "Dev.Mixed_Case%3Ab");
	expect("a::b", "a%3A%3Ab");
	expect("100%", "100%25");
	expect("a<b>c\"d/e\\f|g?h*i", "a%3Cb%3Ec%22d%2Fe%5Cf%7Cg%3Fh%2Ai");
	expect("sp ace", "sp%20ace");
	expect("tab\there", "tab%09here");
	expect("del\x7f", "del%7F");
	expect("\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9");
	expect("end.", "end%2E");
	expect("..", ".%2E");
	expect("CON", "%43ON");
	expect("con", "%63on");
	expect("Nul.x", "%4Eul.x");
	expect("aux.b.c", "%61ux.b.c");
	expect("PRN", "%50RN");
	expect("COM1", "%43OM1");
	expect("lpt9", "%6Cpt9");
	expect("COM0", "%43OM0");
	expect("CONIN$", "%43ONIN%24");
	expect("COM10", "COM10");
	expect("CONSOLE", "CONSOLE");
	expect("NULL", "NULL");
	expect("a.CON", "a.CON");
}

static int
safe_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == '%';
}

/* What Windows refuses: the part before the first '.' a device name. */
static int
win_reserved(const char *s)
{
	static const char *const names[] = { "CON", "PRN", "AUX", "NUL",
	    "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
	    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7",
	    "LPT8", "LPT9" };
	size_t n = strcspn(s, ".");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && strncasecmp(s, names[i], n) == 0)
			return 1;
	return 0;
}

static void
round_trip(const char *id)
{
	char stem[KC_FNAME_STEM_MAX], back[256];
	size_t n;

	assert_int_equal(kc_fname_stem(id, stem, sizeof(stem)), KC_OK);
	n = strlen(stem);
	for (size_t i = 0; i < n; i++)
		if (!safe_char(stem[i]))
			fail_msg("stem '%s' of an ID holds 0x%02x", stem,
			    (unsigned char)stem[i]);
	assert_true(n == 0 || stem[n - 1] != '.');
	assert_false(win_reserved(stem));
	assert_int_equal(kc_fname_decode(stem, back, sizeof(back)), KC_OK);
	assert_string_equal(back, id);
}

static void
test_round_trip(void **state)
{
	static const char alpha[] = "abcXYZ019-._:%<>\"/\\|?* .\x01\x7f\xff";
	char id[65];

	(void)state;
	for (int c = 1; c < 256; c++) {
		id[0] = (char)c;
		id[1] = '\0';
		round_trip(id);
		snprintf(id, sizeof(id), "x%cy", c);
		round_trip(id);
	}
	srand(14);
	for (int k = 0; k < 20000; k++) {
		size_t n = 1 + (size_t)rand() % 64;
		for (size_t i = 0; i < n; i++)
			id[i] = alpha[(size_t)rand() % (sizeof(alpha) - 1)];
		id[n] = '\0';
		round_trip(id);
	}
	/* the longest ID of the worst characters fits */
	memset(id, ':', 64);
	id[64] = '\0';
	round_trip(id);
}

static void
test_decode_refuses(void **state)
{
	static const char *bad[] = { "a%", "a%3", "a%3a", "a%G0", "a:b",
	    "a b", "%41BC", "end.", "CON", "nul.x", "a%00b", "%2D" };
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kc_fname_decode(bad[i], out, sizeof(out)) != KC_ERR_INPUT)
			fail_msg("'%s' decoded", bad[i]);
	/* too small an output */
	assert_int_equal(kc_fname_stem("a:b", out, 5), KC_ERR_USAGE);
	assert_int_equal(kc_fname_stem("a:b", out, 6), KC_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hashshow.c: the one form of a hash shown to a person and the one
 * reader of a hash typed back (kc_hash_show, kc_hash, kc_hash_parse,
 * kc_hash_words in kc/display.h; issue 14 item 9). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kc/core/display.h"
#include "kc/core/error.h"

#define HEX "0004d75e6457a36c1f0e9b2a85c2d1e3" \
	"a0b1c2d3e4f5061728394a5b6c7d8e9f"
#define SHOWN "0004d75e 6457a36c 1f0e9b2a 85c2d1e3 " \
	"a0b1c2d3 e4f50617 28394a5b 6c7d8e9f"

static void
test_show_forms(void **state)
{
	char out[KC_HASH_SHOW_MAX];
	/* every spelling a person or another tool uses gives the one form */
	static const char *const in[] = {
		HEX,
		"0004D75E6457A36C1F0E9B2A85C2D1E3A0B1C2D3E4F5061728394A5B6C7D8E9F",
		"00:04:D7:5E:64:57:A3:6C:1F:0E:9B:2A:85:C2:D1:E3:A0:B1:C2:D3:E4:"
		    "F5:06:17:28:39:4A:5B:6C:7D:8E:9F",
		"0004 D75E 6457 A36C 1F0E 9B2A 85C2 D1E3 A0B1 C2D3 E4F5 0617 "
		    "2839 4A5B 6C7D 8E9F",
		SHOWN,
		" 0004d75e\t6457a36c-1f0e9b2a 85c2d1e3\na0b1c2d3 e4f50617 28394a5b "
		    "6c7d8e9f ",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_string_equal(kc_hash_show(in[i], 0, out, sizeof(out)),
		    SHOWN);
	assert_string_equal(kc_hash(HEX), SHOWN);
	/* two lines of four groups */
	assert_string_equal(kc_hash_show(HEX, KC_HASH_TWO_LINES, out,
	    sizeof(out)), "0004d75e 6457a36c 1f0e9b2a 85c2d1e3\n"
	    "a0b1c2d3 e4f50617 28394a5b 6c7d8e9f");
	/* short values stay on one line; odd lengths are not hashes */
	assert_string_equal(kc_hash("00ff"), "00ff");
	assert_string_equal(kc_hash_show("00ff", KC_HASH_TWO_LINES, out,
	    sizeof(out)), "00ff");
	/* not hex: shown as escaped text, never as a hash */
	assert_string_equal(kc_hash("abc"), "abc");
	assert_string_equal(kc_hash("zz\x1b[2J"), "zz\\x1b[2J");
	assert_string_equal(kc_hash(NULL), "(null)");
}

static void
test_parse(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(kc_hash_parse(SHOWN, "x", out), KC_OK);
	assert_string_equal(out, HEX);
	assert_int_equal(kc_hash_parse("00:04:D7:5E:64:57:A3:6C:1F:0E:9B:2A:85"
	    ":C2:D1:E3:A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F", "x",
	    out), KC_OK);
	assert_string_equal(out, HEX);
	/* refusals name the input and the reason */
	assert_int_equal(kc_hash_parse(HEX "0", "--expect-sha256", out),
	    KC_ERR_USAGE);
	assert_non_null(strstr(kc_errmsg(), "--expect-sha256: not a SHA-256: "
	    "65 hex digits where 64 are needed"));
	assert_int_equal(kc_hash_parse("00", "x", out), KC_ERR_USAGE);
	assert_int_equal(kc_hash_parse("g004d75e6457a36c1f0e9b2a85c2d1e3a0b1c2"
	    "d3e4f5061728394a5b6c7d8e9f", "x", out), KC_ERR_USAGE);
	assert_non_null(strstr(kc_errmsg(), "only hex digits"));
	assert_string_equal(out, "");
	assert_int_equal(kc_hash_parse("", "x", out), KC_ERR_USAGE);
	assert_int_equal(kc_hash_parse(NULL, "x", out), KC_ERR_USAGE);
	/* far too long input is refused, not cut */
	{
		char big[400];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(kc_hash_parse(big, "x", out), KC_ERR_USAGE);
	}
}

static void
test_words(void **state)
{
	char w[400];

	(void)state;
	assert_int_equal(kc_hash_words("00ff", w, sizeof(w)), KC_OK);
	assert_string_equal(w, "aardvark Yucatan");
	assert_int_equal(kc_hash_words("00:FF", w, sizeof(w)), KC_OK);
	assert_string_equal(w, "aardvark Yucatan");
	assert_int_equal(kc_hash_words(HEX, w, sizeof(w)), KC_OK);
	assert_int_equal(kc_hash_words("xyz", w, sizeof(w)), KC_ERR_USAGE);
	assert_string_equal(w, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_forms),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

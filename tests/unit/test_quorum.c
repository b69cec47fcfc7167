/* test_quorum.c: K-of-N PIN split and recombination (kc/quorum.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kc/error.h"
#include "kc/quorum.h"
#include "kc/secret.h"

static struct kc_secret *
pin_of(const char *s)
{
	struct kc_secret *p = NULL;

	assert_int_equal(kc_secret_from(s, strlen(s), &p), KC_OK);
	return p;
}

static void
free_shares(struct kc_secret **sh, int n)
{
	for (int i = 0; i < n; i++)
		kc_secret_free(sh[i]);
}

/* Combines the shares whose numbers are listed (1-based) and checks the
 * result is want. */
static void
combine_expect(struct kc_secret **sh, const int *which, int nwhich,
    const char *want)
{
	struct kc_quorum *q = NULL;
	struct kc_secret *pin = NULL;
	struct kc_quorum_info qi;

	assert_int_equal(kc_quorum_new(&q), KC_OK);
	assert_int_equal(kc_quorum_needed(q), -1);
	for (int i = 0; i < nwhich; i++) {
		const struct kc_secret *s = sh[which[i] - 1];

		assert_int_equal(kc_quorum_add(q, s->buf, s->len, &qi), KC_OK);
		assert_int_equal(qi.index, which[i]);
		assert_int_equal(kc_quorum_given(q), i + 1);
	}
	assert_int_equal(kc_quorum_needed(q), 0);
	assert_int_equal(kc_quorum_combine(q, &pin), KC_OK);
	assert_int_equal(pin->len, strlen(want));
	assert_memory_equal(pin->buf, want, pin->len);
	assert_int_equal(pin->buf[pin->len], '\0');
	kc_secret_free(pin);
	kc_quorum_free(q);
}

static void
test_roundtrip_lengths(void **state)
{
	static const char *pins[] = { "1", "123456", "abcdefghijklmno",
	    "abcdefghijklmnop", "0123456789012345678901234567890",
	    "01234567890123456789012345678901",
	    "012345678901234567890123456789012345678901234567890123456789012" };
	static const size_t chars[] = { 44, 44, 44, 69, 69, 120, 120 };

	(void)state;
	for (size_t t = 0; t < sizeof(pins) / sizeof(pins[0]); t++) {
		struct kc_secret *pin = pin_of(pins[t]), *sh[3];
		static const int a[] = { 1, 2 }, b[] = { 3, 1 }, c[] = { 2, 3 };
		size_t n = 0;

		assert_int_equal(kc_quorum_split(pin, 2, 3, sh), KC_OK);
		for (size_t i = 0; i < sh[0]->len; i++)
			n += sh[0]->buf[i] != '-';
		assert_int_equal(n, chars[t]);
		combine_expect(sh, a, 2, pins[t]);
		combine_expect(sh, b, 2, pins[t]);
		combine_expect(sh, c, 2, pins[t]);
		free_shares(sh, 3);
		kc_secret_free(pin);
	}
}

static void
test_three_of_five(void **state)
{
	struct kc_secret *pin = pin_of("s3cret-PIN"), *sh[5];
	struct kc_quorum *q = NULL;
	struct kc_secret *out = NULL;
	struct kc_quorum_info qi;

	(void)state;
	assert_int_equal(kc_quorum_split(pin, 3, 5, sh), KC_OK);
	for (int x = 1; x <= 5; x++)
		for (int y = x + 1; y <= 5; y++)
			for (int z = y + 1; z <= 5; z++) {
				int w[3] = { z, x, y };
				combine_expect(sh, w, 3, "s3cret-PIN");
			}
	/* two shares are not enough */
	assert_int_equal(kc_quorum_new(&q), KC_OK);
	assert_int_equal(kc_quorum_add(q, sh[0]->buf, sh[0]->len, &qi), KC_OK);
	assert_int_equal(qi.k, 3);
	assert_int_equal(qi.n, 5);
	assert_int_equal(strlen(qi.set_id), 6);
	assert_int_equal(kc_quorum_add(q, sh[4]->buf, sh[4]->len, NULL), KC_OK);
	assert_int_equal(kc_quorum_needed(q), 1);
	assert_int_equal(kc_quorum_combine(q, &out), KC_ERR_USAGE);
	assert_null(out);
	assert_non_null(strstr(kc_errmsg(), "3 needed"));
	kc_quorum_free(q);
	free_shares(sh, 5);
	kc_secret_free(pin);
}

static void
test_duplicate_and_mixed_sets(void **state)
{
	struct kc_secret *p1 = pin_of("111111"), *p2 = pin_of("222222");
	struct kc_secret *a[3], *b[3];
	struct kc_quorum *q = NULL;
	struct kc_quorum_info qi;

	(void)state;
	assert_int_equal(kc_quorum_split(p1, 2, 3, a), KC_OK);
	assert_int_equal(kc_quorum_split(p2, 2, 3, b), KC_OK);
	assert_int_equal(kc_quorum_new(&q), KC_OK);
	assert_int_equal(kc_quorum_add(q, a[1]->buf, a[1]->len, NULL), KC_OK);
	/* the same share twice */
	assert_int_equal(kc_quorum_add(q, a[1]->buf, a[1]->len, &qi),
	    KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "share 2 of 3 was already given"));
	assert_int_equal(kc_quorum_given(q), 1);
	/* a share of another split */
	assert_int_equal(kc_quorum_add(q, b[0]->buf, b[0]->len, &qi),
	    KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "different splits"));
	assert_int_equal(kc_quorum_given(q), 1);
	/* the right one still works after both refusals */
	assert_int_equal(kc_quorum_add(q, a[2]->buf, a[2]->len, NULL), KC_OK);
	kc_quorum_free(q);
	{
		static const int w[] = { 2, 3 };
		combine_expect(a, w, 2, "111111");
	}
	free_shares(a, 3);
	free_shares(b, 3);
	kc_secret_free(p1);
	kc_secret_free(p2);
}

/* Every single-character substitution and every swap of two neighbours is
 * refused before anything is combined. */
static void
test_mistyped_shares(void **state)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	struct kc_secret *pin = pin_of("123456"), *sh[3];
	char t[KC_QUORUM_TEXT_MAX];
	size_t len, tried = 0;

	(void)state;
	assert_int_equal(kc_quorum_split(pin, 2, 3, sh), KC_OK);
	len = sh[0]->len;
	for (size_t i = 0; i < len; i++) {
		if (sh[0]->buf[i] == '-')
			continue;
		for (size_t j = 0; j < 32; j += 5) {
			memcpy(t, sh[0]->buf, len + 1);
			if (t[i] == alphabet[j])
				continue;
			t[i] = alphabet[j];
			assert_int_equal(kc_quorum_check(t, len, NULL),
			    KC_ERR_INPUT);
			assert_non_null(strstr(kc_errmsg(), "type"));
			tried++;
		}
		if (i + 1 < len && sh[0]->buf[i + 1] != '-' &&
		    sh[0]->buf[i] != sh[0]->buf[i + 1]) {
			memcpy(t, sh[0]->buf, len + 1);
			t[i] = sh[0]->buf[i + 1];
			t[i + 1] = sh[0]->buf[i];
			assert_int_equal(kc_quorum_check(t, len, NULL),
			    KC_ERR_INPUT);
			tried++;
		}
	}
	assert_true(tried > 200);

	/* a missing group, a bad character, an empty string */
	memcpy(t, sh[0]->buf, len + 1);
	memmove(t + 5, t + 10, len - 9);
	assert_int_equal(kc_quorum_check(t, strlen(t), NULL), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "a group is missing"));
	memcpy(t, sh[0]->buf, len + 1);
	t[3] = 'U';
	assert_int_equal(kc_quorum_check(t, len, NULL), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "character 4 is not"));
	/* the message never quotes the share */
	assert_null(strstr(kc_errmsg(), sh[0]->buf));
	assert_int_equal(kc_quorum_check("", 0, NULL), KC_ERR_INPUT);

	/* lower case, no dashes, O for 0 and L for 1 are the same share */
	{
		size_t o = 0;
		struct kc_quorum_info qi;

		for (size_t i = 0; i < len; i++) {
			char c = sh[1]->buf[i];

			if (c == '-')
				continue;
			if (c == '0')
				c = 'O';
			else if (c == '1')
				c = 'l';
			else if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			t[o++] = c;
		}
		assert_int_equal(kc_quorum_check(t, o, &qi), KC_OK);
		assert_int_equal(qi.index, 2);
	}
	free_shares(sh, 3);
	kc_secret_free(pin);
}

static void
test_bad_parameters(void **state)
{
	struct kc_secret *pin = pin_of("123456"), *sh[KC_QUORUM_MAX_SHARES + 1];
	struct kc_secret *big = NULL, *empty = NULL;
	char long_pin[KC_QUORUM_PIN_MAX + 2];

	(void)state;
	assert_int_equal(kc_quorum_split(pin, 1, 3, sh), KC_ERR_USAGE);
	assert_int_equal(kc_quorum_split(pin, 4, 3, sh), KC_ERR_USAGE);
	assert_int_equal(kc_quorum_split(pin, 2, KC_QUORUM_MAX_SHARES + 1, sh),
	    KC_ERR_USAGE);
	memset(long_pin, '7', sizeof(long_pin) - 1);
	long_pin[sizeof(long_pin) - 1] = '\0';
	big = pin_of(long_pin);
	assert_int_equal(kc_quorum_split(big, 2, 3, sh), KC_ERR_PIN);
	assert_non_null(strstr(kc_errmsg(), "at most 63"));
	assert_int_equal(kc_secret_new(8, &empty), KC_OK);
	assert_int_equal(kc_quorum_split(empty, 2, 3, sh), KC_ERR_PIN);
	/* the largest split works */
	assert_int_equal(kc_quorum_split(pin, KC_QUORUM_MAX_SHARES,
	    KC_QUORUM_MAX_SHARES, sh), KC_OK);
	free_shares(sh, KC_QUORUM_MAX_SHARES);
	kc_secret_free(pin);
	kc_secret_free(big);
	kc_secret_free(empty);
}

/* Two splits of the same PIN share nothing: different sets, different
 * share bytes. */
static void
test_splits_differ(void **state)
{
	struct kc_secret *pin = pin_of("123456"), *a[2], *b[2];

	(void)state;
	assert_int_equal(kc_quorum_split(pin, 2, 2, a), KC_OK);
	assert_int_equal(kc_quorum_split(pin, 2, 2, b), KC_OK);
	assert_string_not_equal(a[0]->buf, b[0]->buf);
	assert_string_not_equal(a[0]->buf, a[1]->buf);
	free_shares(a, 2);
	free_shares(b, 2);
	kc_secret_free(pin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_lengths),
		cmocka_unit_test(test_three_of_five),
		cmocka_unit_test(test_duplicate_and_mixed_sets),
		cmocka_unit_test(test_mistyped_shares),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_splits_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

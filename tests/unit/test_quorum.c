/* test_quorum.c: K-of-N PIN split and recombination (kc/quorum.h). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"

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
	    "012345678901234567890123456789012345678901234567890123456789012",
	    "0123456789012345678901234567890123456789012345678901234567890123" };
	/* issue 12: one length for every PIN (it used to be 44, 69 or 120
	 * characters by PIN length class) */
	static const size_t chars[] = { 124, 124, 124, 124, 124, 124, 124, 124 };

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

/* Shares of one split have the same text length whatever the PIN: the
 * length of a share tells nothing about the length of the PIN. */
static void
test_length_hides_pin_length(void **state)
{
	static const size_t lens[] = { 1, 4, 8, 15, 16, 31, 32, 33, 40, 63,
	    64 };
	char buf[KC_QUORUM_PIN_MAX + 2];
	size_t want = 0;

	(void)state;
	for (size_t t = 0; t < sizeof(lens) / sizeof(lens[0]); t++) {
		struct kc_secret *pin, *sh[5];

		memset(buf, 'x', lens[t]);
		buf[lens[t]] = '\0';
		pin = pin_of(buf);
		assert_int_equal(kc_quorum_split(pin, 3, 5, sh), KC_OK);
		for (int i = 0; i < 5; i++) {
			if (want == 0)
				want = sh[i]->len;
			assert_int_equal(sh[i]->len, want);
			assert_int_equal(sh[i]->len, 154);	/* 31 groups */
		}
		free_shares(sh, 5);
		kc_secret_free(pin);
	}
	/* one byte more is refused */
	{
		struct kc_secret *pin, *sh[2];

		memset(buf, 'x', KC_QUORUM_PIN_MAX + 1);
		buf[KC_QUORUM_PIN_MAX + 1] = '\0';
		pin = pin_of(buf);
		assert_int_equal(kc_quorum_split(pin, 2, 2, sh), KC_ERR_PIN);
		kc_secret_free(pin);
	}
}

/* Version 1 shares (made by the code before issue 12, padded to 16, 32 or
 * 64 bytes by PIN length) still combine. */
static void
test_version1_shares(void **state)
{
	static const char *v1[][4] = {
	    { "123456",
	      "04ZF-BZG2-0C0X-4XDS-2SYK-A0FS-A7VB-HZ05-12G6-R1QP-0FW0",
	      "04ZF-BZG2-0C1B-7E9S-F6K3-AP6Z-801C-D49Y-GCZ9-J12Z-VY9G",
	      "04ZF-BZG2-0C1P-FZDJ-BKQK-AVSP-9YJY-RGEW-ZAZW-M2Y5-B710" },
	    { "abcdefghijklmnopqrst",
	      "06MA-KH82-0C0R-Q8YH-96BP-2KQH-VXNA-NV58-EX3S-0KPS-Q7YF-J574-"
	      "NH5K-DY5N-XV98-8817-2HTG-6",
	      "06MA-KH82-0C13-FY0S-6YFP-TDJP-3DQZ-EY7S-B4Y8-R31W-Z5R7-672A-"
	      "6MZQ-KVAZ-WQY4-C18P-N7N1-G",
	      "06MA-KH82-0C1T-GENA-3NP6-J7P0-NHP3-FZSX-8CAQ-6CMM-6BZZ-XVYV-"
	      "889V-E5FJ-2ZKF-7VDV-5K3F-R" },
	    { "0123456789012345678901234567890123456789",
	      "07S9-NYG2-0C0T-2VJN-CY3A-WP36-S7XR-C6X2-JQPG-3MT0-1XVK-DMHT-"
	      "A50D-K269-SPW8-5BGM-AMKG-SHZ7-HYAE-FV2Z-GMRJ-42V9-TCMF-T3CM-"
	      "V8ZS-HKKT-Y1ZH-381X-8SEY-QD2W",
	      "07S9-NYG2-0C12-F37S-K121-VVWP-TTHN-MSGA-C695-XS6T-8YK2-FT97-"
	      "YKAZ-6MPN-VRJN-44BV-ZGDM-9K49-B9YS-GVAE-EF2W-JDYC-K297-5MEP-"
	      "MFC2-TZTZ-S8J2-MW4J-REW0-A45G",
	      "07S9-NYG2-0C1T-XMMX-SQRR-F0P6-51GE-AKCS-RS66-P0NC-FZMJ-G2SC-"
	      "JYK1-XVSA-4JJY-K3TY-KC7Q-RFJR-WB8M-C4J1-45H9-08XF-M47Z-RVQ8-"
	      "FY2V-A45Q-VKKC-HJZQ-9D26-P6A4" },
	};
	struct kc_secret *mix[3], *sh[3], *pin;
	struct kc_quorum *q = NULL;

	(void)state;
	for (size_t t = 0; t < sizeof(v1) / sizeof(v1[0]); t++) {
		static const int a[] = { 1, 3 }, b[] = { 2, 1 };

		for (int i = 0; i < 3; i++)
			sh[i] = pin_of(v1[t][i + 1]);
		combine_expect(sh, a, 2, v1[t][0]);
		combine_expect(sh, b, 2, v1[t][0]);
		free_shares(sh, 3);
	}
	/* a version 1 share and a version 2 share never mix */
	pin = pin_of("123456");
	assert_int_equal(kc_quorum_split(pin, 2, 3, mix), KC_OK);
	assert_int_equal(kc_quorum_new(&q), KC_OK);
	assert_int_equal(kc_quorum_add(q, v1[0][1], strlen(v1[0][1]), NULL),
	    KC_OK);
	assert_int_equal(kc_quorum_add(q, mix[1]->buf, mix[1]->len, NULL),
	    KC_ERR_INPUT);
	kc_quorum_free(q);
	free_shares(mix, 3);
	kc_secret_free(pin);
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
	assert_non_null(strstr(kc_errmsg(), "at most 64"));
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
		cmocka_unit_test(test_length_hides_pin_length),
		cmocka_unit_test(test_version1_shares),
		cmocka_unit_test(test_three_of_five),
		cmocka_unit_test(test_duplicate_and_mixed_sets),
		cmocka_unit_test(test_mistyped_shares),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_splits_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_keytmpl.c: the site profile's key-template rules (token_tmpl.c) at
 * the API, below the YAML parser: every PKCS#11 attribute of the table,
 * TRUE and FALSE, added to and left out of either half, gives the verdict
 * the policy says; a template built by hand (as a caller that skipped
 * kc_key_template_add would) is refused by kc_key_template_check, which
 * kc_token_keygen_tmpl runs before anything reaches the token. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kc/hsm/token.h"

/* PKCS#11 attribute numbers (the test does not include the headers). */
#define A_SENSITIVE	0x103UL
#define A_EXTRACTABLE	0x162UL
#define A_DECRYPT	0x105UL
#define A_UNWRAP	0x107UL
#define A_DERIVE	0x10cUL
#define A_VERIFY	0x10aUL
#define A_COPYABLE	0x171UL

/* What keyceremony must say about private add NAME: true/false. */
static const struct {
	const char	*name;
	int		 ok_true, ok_false;	/* private add accepted */
} priv_add[] = {
	{ "CKA_EXTRACTABLE", 0, 0 },	/* true weakens; false: set by us */
	{ "CKA_SENSITIVE", 0, 0 },
	{ "CKA_DECRYPT", 0, 0 },
	{ "CKA_UNWRAP", 0, 0 },
	{ "CKA_DERIVE", 0, 0 },
	{ "CKA_ENCRYPT", 0, 1 },
	{ "CKA_WRAP", 0, 1 },
	{ "CKA_SIGN_RECOVER", 0, 1 },
	{ "CKA_SIGN", 0, 0 },
	{ "CKA_TOKEN", 0, 0 },
	{ "CKA_PRIVATE", 0, 0 },
	{ "CKA_MODIFIABLE", 0, 0 },
	{ "CKA_COPYABLE", 0, 0 },
	{ "CKA_LOCAL", 0, 0 },
	{ "CKA_ALWAYS_SENSITIVE", 0, 0 },
	{ "CKA_NEVER_EXTRACTABLE", 0, 0 },
	{ "CKA_ALWAYS_AUTHENTICATE", 1, 1 },
	{ "CKA_DESTROYABLE", 1, 1 },
	{ "CKA_WRAP_WITH_TRUSTED", 1, 1 },
	{ "0x80000001", 1, 1 },
};

static void
test_private_add(void **state)
{
	char why[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(priv_add) / sizeof(priv_add[0]); i++) {
		struct kc_key_template t;
		int r;

		memset(&t, 0, sizeof(t));
		r = kc_key_template_add(&t, 1, priv_add[i].name, "true", why,
		    sizeof(why));
		if ((r == 0) != priv_add[i].ok_true)
			fail_msg("private add %s: true: %s", priv_add[i].name,
			    r == 0 ? "accepted" : why);
		if (r != 0)
			assert_non_null(strstr(why, priv_add[i].name));
		memset(&t, 0, sizeof(t));
		r = kc_key_template_add(&t, 1, priv_add[i].name, "false", why,
		    sizeof(why));
		if ((r == 0) != priv_add[i].ok_false)
			fail_msg("private add %s: false: %s", priv_add[i].name,
			    r == 0 ? "accepted" : why);
		if (r != 0)
			assert_non_null(strstr(why, priv_add[i].name));
		assert_null(strchr(why, '\n'));
	}
}

static void
test_omit(void **state)
{
	static const char *const priv_never[] = { "CKA_SENSITIVE",
	    "CKA_EXTRACTABLE", "CKA_DECRYPT", "CKA_UNWRAP", "CKA_DERIVE",
	    "CKA_SIGN", "CKA_TOKEN", "CKA_PRIVATE", "CKA_LABEL", "CKA_ID" };
	struct kc_key_template t;
	char why[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(priv_never) / sizeof(priv_never[0]); i++) {
		memset(&t, 0, sizeof(t));
		if (kc_key_template_omit(&t, 1, priv_never[i], why,
		    sizeof(why)) == 0)
			fail_msg("private omit %s accepted", priv_never[i]);
		assert_non_null(strstr(why, priv_never[i]));
	}
	memset(&t, 0, sizeof(t));
	assert_int_equal(kc_key_template_omit(&t, 1, "CKA_COPYABLE", why,
	    sizeof(why)), 0);
	assert_int_equal(kc_key_template_omit(&t, 1, "CKA_MODIFIABLE", why,
	    sizeof(why)), 0);
	assert_int_equal(kc_key_template_omit(&t, 1, "CKA_COPYABLE", why,
	    sizeof(why)), -1);	/* twice */
	assert_int_equal(kc_key_template_omit(&t, 0, "CKA_MODIFIABLE", why,
	    sizeof(why)), 0);
	assert_int_equal(kc_key_template_omit(&t, 0, "CKA_EC_PARAMS", why,
	    sizeof(why)), -1);
	assert_int_equal(kc_key_template_check(&t, why, sizeof(why)), 0);
}

/* A template written straight into the struct, past the two functions. */
static void
test_check_by_hand(void **state)
{
	static const unsigned long weak[] = { A_SENSITIVE, A_EXTRACTABLE,
	    A_DECRYPT, A_UNWRAP, A_DERIVE };
	struct kc_key_template t;
	char why[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.add[1][0].type = weak[i];
		t.add[1][0].val[0] = weak[i] == A_SENSITIVE ? 0 : 1;
		t.add[1][0].len = 1;
		t.nadd[1] = 1;
		assert_int_equal(kc_key_template_check(&t, why, sizeof(why)),
		    -1);
		assert_non_null(strstr(why,
		    kc_key_template_attr_name(weak[i])));
		memset(&t, 0, sizeof(t));
		t.omit[1][0] = weak[i];
		t.nomit[1] = 1;
		assert_int_equal(kc_key_template_check(&t, why, sizeof(why)),
		    -1);
	}
	/* a wrong-sized boolean, an oversized count */
	memset(&t, 0, sizeof(t));
	t.add[0][0].type = A_VERIFY;
	t.add[0][0].len = 4;
	t.nadd[0] = 1;
	assert_int_equal(kc_key_template_check(&t, why, sizeof(why)), -1);
	memset(&t, 0, sizeof(t));
	t.nadd[1] = KC_TMPL_MAX + 1;
	assert_int_equal(kc_key_template_check(&t, why, sizeof(why)), -1);
	/* the positive pair: public VERIFY true, private COPYABLE left out */
	memset(&t, 0, sizeof(t));
	t.add[0][0].type = A_VERIFY;
	t.add[0][0].val[0] = 1;
	t.add[0][0].len = 1;
	t.nadd[0] = 1;
	t.omit[1][0] = A_COPYABLE;
	t.nomit[1] = 1;
	assert_int_equal(kc_key_template_check(&t, why, sizeof(why)), 0);
	kc_key_template_text(&t, why, sizeof(why));
	assert_string_equal(why, "public +CKA_VERIFY=TRUE, private "
	    "-CKA_COPYABLE");
}

static void
test_values(void **state)
{
	struct kc_key_template t;
	char why[512];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(kc_key_template_add(&t, 0, "0x80000010", "hex:0a0B",
	    why, sizeof(why)), 0);
	assert_int_equal(t.add[0][0].len, 2);
	assert_int_equal(t.add[0][0].val[1], 0x0b);
	assert_int_equal(kc_key_template_add(&t, 0, "0x80000011", "42", why,
	    sizeof(why)), 0);
	assert_int_equal(kc_key_template_add(&t, 0, "0x80000012", "hex:", why,
	    sizeof(why)), -1);
	assert_int_equal(kc_key_template_add(&t, 0, "0x80000012", "hex:abc",
	    why, sizeof(why)), -1);
	assert_int_equal(kc_key_template_add(&t, 0, "0x80000012", "4x", why,
	    sizeof(why)), -1);
	assert_int_equal(kc_key_template_add(&t, 0, "0x7fffffff", "true", why,
	    sizeof(why)), -1);
	assert_int_equal(kc_key_template_add(&t, 0, "CKA_VERIFY", "TRUE", why,
	    sizeof(why)), -1);
	assert_int_equal(kc_key_template_check(&t, why, sizeof(why)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_add),
		cmocka_unit_test(test_omit),
		cmocka_unit_test(test_check_by_hand),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

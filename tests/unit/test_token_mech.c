/*
 * test_token_mech.c (issue 13): which root algorithms a token offers, from
 * what C_GetMechanismInfo states (kc_token_alg_offered & co., token_mech.c),
 * and which tokens are rehearsal tokens, on synthetic token infos: the
 * three measured modules (SoftHSM, tpm2-pkcs11 on swtpm, openCryptoki),
 * sizes not stated (0..0, max below min), every CKF_EC_* combination, a
 * missing signing mechanism, and a generated grid of size ranges checked
 * against a reference rule.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kc/hsm/token.h"

/* PKCS#11 CKF_EC_* (the test does not include the PKCS#11 headers) */
#define F_P	(1UL << 20)
#define F_2M	(1UL << 21)
#define PARAMS	(1UL << 22)
#define OID	(1UL << 23)
#define UNCOMP	(1UL << 24)
#define COMP	(1UL << 25)

static void
mech(struct kc_mech_sizes *m, unsigned long min, unsigned long max,
    unsigned long flags)
{
	m->present = 1;
	m->min = min;
	m->max = max;
	m->flags = flags;
}

static struct kc_token_info
softhsm(void)
{
	struct kc_token_info t;

	memset(&t, 0, sizeof(t));
	snprintf(t.manufacturer, sizeof(t.manufacturer), "SoftHSM project");
	snprintf(t.model, sizeof(t.model), "SoftHSM v2");
	mech(&t.mi_ec_gen, 112, 521, F_P | OID | UNCOMP);
	mech(&t.mi_ecdsa, 112, 521, F_P | OID | UNCOMP);
	mech(&t.mi_rsa_gen, 512, 16384, 0);
	mech(&t.mi_rsa_pkcs, 512, 16384, 0);
	mech(&t.mi_rsa_sha256, 512, 16384, 0);
	mech(&t.mi_rsa_sha384, 512, 16384, 0);
	return t;
}

static struct kc_token_info
tpm2(void)
{
	struct kc_token_info t;

	memset(&t, 0, sizeof(t));
	snprintf(t.manufacturer, sizeof(t.manufacturer), "IBM");
	snprintf(t.model, sizeof(t.model), "SW   TPM");
	mech(&t.mi_ec_gen, 192, 638, 0);
	mech(&t.mi_ecdsa, 192, 638, 0);
	mech(&t.mi_rsa_gen, 1024, 3072, 0);
	mech(&t.mi_rsa_pkcs, 1024, 3072, 0);
	mech(&t.mi_rsa_sha256, 1024, 3072, 0);
	mech(&t.mi_rsa_sha384, 1024, 3072, 0);
	return t;
}

static struct kc_token_info
ock(void)
{
	struct kc_token_info t;

	memset(&t, 0, sizeof(t));
	snprintf(t.manufacturer, sizeof(t.manufacturer), "IBM Corp.");
	snprintf(t.model, sizeof(t.model), "IBM SoftTok");
	mech(&t.mi_rsa_gen, 512, 4096, 0);
	mech(&t.mi_rsa_pkcs, 512, 4096, 0);
	return t;
}

static void
offers(const struct kc_token_info *t, const char *want)
{
	char buf[64];

	kc_token_algs_offered(t, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
refuses(const struct kc_token_info *t, enum kc_alg a, const char *want)
{
	char why[256];

	assert_int_equal(kc_token_alg_offered(t, a, why, sizeof(why)), 0);
	assert_string_equal(why, want);
}

static void
test_measured(void **state)
{
	struct kc_token_info s = softhsm(), t = tpm2(), o = ock();

	(void)state;
	offers(&s, "ec-p384 ec-p256 rsa-3072 rsa-4096");
	offers(&t, "ec-p384 ec-p256 rsa-3072");
	refuses(&t, KC_ALG_RSA_4096, "rsa-4096 not offered: "
	    "CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024..3072");
	offers(&o, "rsa-3072 rsa-4096");
	refuses(&o, KC_ALG_EC_P256, "ec-p256 not offered: the token has no "
	    "CKM_EC_KEY_PAIR_GEN");
	refuses(&o, KC_ALG_RSA_2048, "rsa-2048 is not a root-key algorithm");
	assert_string_equal(kc_token_rehearsal_kind(&s), "SoftHSM");
	assert_string_equal(kc_token_rehearsal_kind(&t),
	    "tpm2-pkcs11 on a software TPM (swtpm)");
	assert_string_equal(kc_token_rehearsal_kind(&o),
	    "the openCryptoki soft token");
	assert_true(kc_token_is_rehearsal(&o));
}

static void
test_not_stated(void **state)
{
	struct kc_token_info t = softhsm();

	(void)state;
	mech(&t.mi_ec_gen, 0, 0, 0);		/* nothing stated */
	mech(&t.mi_rsa_gen, 4096, 1024, 0);	/* max below min: nonsense */
	offers(&t, "ec-p384 ec-p256 rsa-3072 rsa-4096");
	mech(&t.mi_rsa_gen, 2048, 0, 0);	/* a minimum only */
	offers(&t, "ec-p384 ec-p256 rsa-3072 rsa-4096");
	mech(&t.mi_rsa_gen, 4000, 0, 0);
	refuses(&t, KC_ALG_RSA_3072, "rsa-3072 not offered: "
	    "CKM_RSA_PKCS_KEY_PAIR_GEN sizes from 4000 (no maximum stated)");
}

static void
test_ec_flags(void **state)
{
	static const struct {
		unsigned long flags;
		int ok;
	} c[] = {
		{ 0, 1 },			/* tpm2-pkcs11: not stated */
		{ F_P, 1 }, { OID, 1 }, { UNCOMP, 1 },
		{ F_P | OID | UNCOMP, 1 },
		{ F_P | F_2M | OID | PARAMS | UNCOMP | COMP, 1 },
		{ F_2M, 0 }, { F_2M | OID | UNCOMP, 0 },
		{ PARAMS, 0 }, { F_P | PARAMS | UNCOMP, 0 },
		{ COMP, 0 }, { F_P | OID | COMP, 0 },
		{ 1UL << 26, 0 },		/* curve names only (3.0) */
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kc_token_info t = softhsm();
		mech(&t.mi_ec_gen, 256, 384, c[i].flags);
		if (kc_token_alg_offered(&t, KC_ALG_EC_P384, why, sizeof(why))
		    != c[i].ok)
			fail_msg("flags 0x%lx: %s", c[i].flags, why);
		/* the same flags on CKM_ECDSA alone */
		t = softhsm();
		mech(&t.mi_ecdsa, 256, 384, c[i].flags);
		if (kc_token_sign_offered(&t, KC_ALG_EC_P256, why, sizeof(why))
		    != c[i].ok)
			fail_msg("ECDSA flags 0x%lx: %s", c[i].flags, why);
	}
}

static void
test_signing(void **state)
{
	struct kc_token_info t = softhsm();
	char why[256];

	(void)state;
	mech(&t.mi_ecdsa, 256, 256, F_P | OID | UNCOMP);
	refuses(&t, KC_ALG_EC_P384, "ec-p384 not offered: CKM_ECDSA sizes "
	    "256..256");
	assert_int_equal(kc_token_alg_offered(&t, KC_ALG_EC_P256, why,
	    sizeof(why)), 1);
	t.mi_ecdsa.present = 0;
	refuses(&t, KC_ALG_EC_P256, "ec-p256 not offered: the token has no "
	    "CKM_ECDSA");
	/* RSA: a hash-and-sign mechanism or CKM_RSA_PKCS */
	t = softhsm();
	t.mi_rsa_pkcs.present = 0;
	offers(&t, "ec-p384 ec-p256 rsa-3072 rsa-4096");
	t.mi_rsa_sha384.present = 0;
	refuses(&t, KC_ALG_RSA_4096, "rsa-4096 not offered: no signing "
	    "mechanism: the token has no CKM_SHA384_RSA_PKCS; the token has "
	    "no CKM_RSA_PKCS");
	mech(&t.mi_rsa_pkcs, 512, 2048, 0);
	refuses(&t, KC_ALG_RSA_4096, "rsa-4096 not offered: no signing mechanism: the "
	    "token has no CKM_SHA384_RSA_PKCS; CKM_RSA_PKCS sizes 512..2048");
	/* rsa-3072 still signs with CKM_SHA256_RSA_PKCS */
	assert_int_equal(kc_token_alg_offered(&t, KC_ALG_RSA_3072, why,
	    sizeof(why)), 1);
}

static void
test_rehearsal(void **state)
{
	static const struct {
		const char *manuf, *model;
		int rehearsal;
	} c[] = {
		{ "SoftHSM project", "SoftHSM v2", 1 },
		{ "Acme", "SoftHSM", 1 },
		{ "SoftHSM", "x", 1 },
		{ "IBM Corp.", "IBM SoftTok", 1 },
		{ "IBM", "IBM SoftTok", 1 },
		{ "IBM", "SW   TPM", 1 },
		{ "IBM", "SW  TPM", 0 },
		{ "IBM Corp.", "SW   TPM", 0 },
		{ "IBM Corp.", "SoftTok", 0 },
		{ "IBM Corp.", "IBM CCA Token", 0 },
		{ "Acme HSM Ltd", "HSM-9000", 0 },
		{ "SoftHS M", "v2", 0 },
		{ "", "", 0 },
		{ "INTC", "SLB9670", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kc_token_info t;
		memset(&t, 0, sizeof(t));
		snprintf(t.manufacturer, sizeof(t.manufacturer), "%s",
		    c[i].manuf);
		snprintf(t.model, sizeof(t.model), "%s", c[i].model);
		if (kc_token_is_rehearsal(&t) != c[i].rehearsal)
			fail_msg("'%s' '%s'", c[i].manuf, c[i].model);
	}
}

/* A grid of key-pair ranges against the reference: offered exactly when
 * the size lies in [min, max] (or nothing sensible is stated). */
static void
test_grid(void **state)
{
	static const unsigned long v[] = { 0, 1, 192, 255, 256, 257, 383, 384,
	    385, 521, 1024, 2048, 3071, 3072, 3073, 4095, 4096, 4097, 16384 };
	static const struct { enum kc_alg a; unsigned long bits; int ec; } al[] = {
		{ KC_ALG_EC_P256, 256, 1 }, { KC_ALG_EC_P384, 384, 1 },
		{ KC_ALG_RSA_3072, 3072, 0 }, { KC_ALG_RSA_4096, 4096, 0 },
	};
	const size_t nv = sizeof(v) / sizeof(v[0]);
	char why[256];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < nv; j++)
			for (size_t k = 0; k < 4; k++) {
				struct kc_token_info t = softhsm();
				unsigned long mn = v[i], mx = v[j], b = al[k].bits;
				int want = (mn == 0 && mx == 0) ||
				    (mx != 0 && mx < mn) ||
				    (b >= mn && (mx == 0 || b <= mx));
				mech(al[k].ec ? &t.mi_ec_gen : &t.mi_rsa_gen, mn,
				    mx, al[k].ec ? F_P | OID | UNCOMP : 0);
				if (kc_token_alg_offered(&t, al[k].a, why,
				    sizeof(why)) != want)
					fail_msg("%s %lu..%lu: %s",
					    kc_alg_name(al[k].a), mn, mx, why);
				if (!want && strstr(why, " not offered: ") ==
				    NULL)
					fail_msg("reason '%s'", why);
				n++;
			}
	assert_int_equal(n, nv * nv * 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_measured),
		cmocka_unit_test(test_not_stated),
		cmocka_unit_test(test_ec_flags),
		cmocka_unit_test(test_signing),
		cmocka_unit_test(test_rehearsal),
		cmocka_unit_test(test_grid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

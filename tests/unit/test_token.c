/*
 * test_token.c: the token layer against a real SoftHSM token.
 *
 * Run by tests/softhsm/token-keys.sh, which makes a fresh token and sets
 * SOFTHSM2_CONF, KEYCEREMONY_MODULE, KC_TEST_TOKEN (label) and
 * KC_TEST_PIN_FILE. Besides libkc, this test opens the module with raw
 * PKCS#11 calls of its own, so that what it asserts about the keys (value
 * unreadable, EXTRACTABLE not settable, both halves gone) is checked
 * independently of the code under test. It leaves the keys k-p256, k-p384
 * and k-rsa3072 in the token for the script to inspect with pkcs11-tool.
 */
#include "config.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/core/secret.h"
#include "kc/hsm/token.h"

static struct kc_token_ctx *ctx;
static struct kc_token *tok;
static struct kc_secret *pin;
static void *dl;
static CK_FUNCTION_LIST_PTR raw;
static CK_SESSION_HANDLE rs = CK_INVALID_HANDLE;

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "test_token: %s not set (run through "
		    "tests/softhsm/token-keys.sh)\n", name);
		exit(1);
	}
	return v;
}

static int
setup(void **state)
{
	CK_C_GetFunctionList getfl;

	(void)state;
	if (kc_token_load(NULL, &ctx) != KC_OK ||
	    kc_secret_read_file(env("KC_TEST_PIN_FILE"), "PIN", &pin) != KC_OK ||
	    kc_token_open(ctx, env("KC_TEST_TOKEN"), NULL, &tok) != KC_OK) {
		fprintf(stderr, "setup: %s\n", kc_errmsg());
		return -1;
	}
	/* Our own view of the same module instance. */
	if ((dl = dlopen(kc_token_module(ctx), RTLD_NOW)) == NULL)
		return -1;
	*(void **)&getfl = dlsym(dl, "C_GetFunctionList");
	if (getfl == NULL || getfl(&raw) != CKR_OK)
		return -1;
	if (raw->C_Initialize(NULL) != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return -1;
	if (raw->C_OpenSession(kc_token_get_info(tok)->slot_id,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rs) != CKR_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (rs != CK_INVALID_HANDLE)
		raw->C_CloseSession(rs);
	kc_token_close(tok);
	kc_token_unload(ctx);
	if (dl != NULL)
		dlclose(dl);
	kc_secret_free(pin);
	return 0;
}

/* Handles of the objects of class cls with this label (raw). */
static size_t
raw_find(CK_OBJECT_CLASS cls, const char *label, CK_OBJECT_HANDLE *h,
    size_t max)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
	};
	CK_ULONG n = 0;

	assert_int_equal(raw->C_FindObjectsInit(rs, t, 2), CKR_OK);
	assert_int_equal(raw->C_FindObjects(rs, h, max, &n), CKR_OK);
	raw->C_FindObjectsFinal(rs);
	return n;
}

static void
test_unknown_label(void **state)
{
	struct kc_token *t = NULL;

	(void)state;
	assert_int_equal(kc_token_open(ctx, "no-such-token", NULL, &t),
	    KC_ERR_NOTFOUND);
	assert_null(t);
	assert_non_null(strstr(kc_errmsg(), "no token labelled "
	    "'no-such-token'"));
	/* the message lists the labels that exist */
	assert_non_null(strstr(kc_errmsg(), "'test'"));
}

static void
test_wrong_pin(void **state)
{
	struct kc_secret *bad = NULL;

	(void)state;
	assert_int_equal(kc_secret_from("000000", 6, &bad), KC_OK);
	assert_int_equal(kc_token_login(tok, bad), KC_ERR_PIN);
	kc_secret_free(bad);
	assert_non_null(strstr(kc_errmsg(), "wrong PIN for token 'test' "
	    "(CKR_PIN_INCORRECT); the token may lock after more wrong tries"));
	/* not logged in: key operations are refused */
	assert_true(kc_token_key_exists(tok, "x") < 0);
}

static void
test_login(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	assert_int_equal(kc_token_login(tok, pin), KC_OK);
	assert_int_equal(kc_token_random(tok, a, sizeof(a)), KC_OK);
	assert_int_equal(kc_token_random(tok, b, sizeof(b)), KC_OK);
	assert_memory_not_equal(a, b, sizeof(a));
}

/* Generates a key and checks everything about it. */
static void
keygen_and_check(const char *label, enum kc_alg alg, CK_ATTRIBUTE_TYPE secret)
{
	struct kc_key_attrs at;
	CK_OBJECT_HANDLE priv[2], pub[2];
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char buf[1024], id1[64], id2[64], l1[64];
	CK_ATTRIBUTE a = { secret, buf, sizeof(buf) };
	CK_ATTRIBUTE set = { CKA_EXTRACTABLE, &yes, sizeof(yes) };
	CK_ATTRIBUTE unsens = { CKA_SENSITIVE, &no, sizeof(no) };
	CK_ATTRIBUTE ida[2] = {
		{ CKA_ID, id1, sizeof(id1) }, { CKA_LABEL, l1, sizeof(l1) },
	};
	CK_ATTRIBUTE idb = { CKA_ID, id2, sizeof(id2) };
	EVP_PKEY *sk = NULL, *pk = NULL;
	X509 *x = NULL;
	X509_NAME *nm = NULL;
	const EVP_MD *md = alg == KC_ALG_EC_P384 ? EVP_sha384() : EVP_sha256();

	assert_int_equal(kc_token_key_exists(tok, label), 0);
	if (kc_token_keygen(tok, label, alg) != KC_OK)
		fail_msg("keygen %s: %s", label, kc_errmsg());
	assert_int_equal(kc_token_key_exists(tok, label), 1);

	/* the attributes, through libkc */
	assert_int_equal(kc_token_key_check(tok, label, &at), KC_OK);
	assert_int_equal(at.sensitive, 1);
	assert_int_equal(at.always_sensitive, 1);
	assert_int_equal(at.never_extractable, 1);
	assert_int_equal(at.extractable, 0);
	assert_int_equal(at.local, 1);
	assert_int_equal(at.sign, 1);
	assert_int_equal(at.decrypt, 0);
	assert_int_equal(at.unwrap, 0);
	assert_int_equal(at.derive, 0);
	assert_int_equal(at.token, 1);
	assert_int_equal(at.private_, 1);

	/* and independently: one private, one public half, same ID */
	assert_int_equal(raw_find(CKO_PRIVATE_KEY, label, priv, 2), 1);
	assert_int_equal(raw_find(CKO_PUBLIC_KEY, label, pub, 2), 1);
	assert_int_equal(raw->C_GetAttributeValue(rs, priv[0], ida, 2),
	    CKR_OK);
	assert_int_equal(raw->C_GetAttributeValue(rs, pub[0], &idb, 1),
	    CKR_OK);
	assert_int_equal(ida[0].ulValueLen, 16);
	assert_int_equal(idb.ulValueLen, 16);
	assert_memory_equal(id1, id2, 16);
	assert_int_equal(ida[1].ulValueLen, strlen(label));
	/* the private value cannot be read, nor made extractable */
	assert_int_equal(raw->C_GetAttributeValue(rs, priv[0], &a, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
	assert_int_not_equal(raw->C_SetAttributeValue(rs, priv[0], &set, 1),
	    CKR_OK);
	assert_int_not_equal(raw->C_SetAttributeValue(rs, priv[0], &unsens,
	    1), CKR_OK);
	assert_int_equal(kc_token_key_check(tok, label, NULL), KC_OK);

	/* the key signs a certificate that verifies */
	if (kc_token_key_get(tok, label, &sk, &pk) != KC_OK)
		fail_msg("key_get %s: %s", label, kc_errmsg());
	assert_non_null(sk);
	assert_non_null(pk);
	assert_non_null(x = X509_new());
	assert_non_null(nm = X509_NAME_new());
	assert_true(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)label, -1, -1, 0));
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_true(X509_set_subject_name(x, nm));
	assert_true(X509_set_issuer_name(x, nm));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_set_pubkey(x, pk));
	assert_true(X509_sign(x, sk, md) > 0);
	assert_int_equal(X509_verify(x, pk), 1);
	/* and the signature is not accepted for a changed certificate */
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 2));
	X509_set_version(x, X509_VERSION_3); /* drops the cached encoding */
	assert_int_not_equal(X509_verify(x, pk), 1);
	/* and a CRL */
	{
		X509_CRL *crl = X509_CRL_new();
		ASN1_TIME *now = X509_gmtime_adj(NULL, 0);

		assert_non_null(crl);
		assert_non_null(now);
		assert_true(X509_CRL_set_version(crl, 1));
		assert_true(X509_CRL_set_issuer_name(crl, nm));
		assert_true(X509_CRL_set1_lastUpdate(crl, now));
		assert_true(X509_CRL_sign(crl, sk, md) > 0);
		assert_int_equal(X509_CRL_verify(crl, pk), 1);
		ASN1_TIME_free(now);
		X509_CRL_free(crl);
	}
	X509_NAME_free(nm);
	X509_free(x);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(pk);

	/* the same label again is refused and leaves one pair */
	assert_int_equal(kc_token_keygen(tok, label, alg), KC_ERR_EXISTS);
	assert_non_null(strstr(kc_errmsg(), "already used"));
	assert_int_equal(raw_find(CKO_PRIVATE_KEY, label, priv, 2), 1);
	assert_int_equal(raw_find(CKO_PUBLIC_KEY, label, pub, 2), 1);
}

static void
test_ec_p256(void **state)
{
	(void)state;
	keygen_and_check("k-p256", KC_ALG_EC_P256, CKA_VALUE);
}

static void
test_ec_p384(void **state)
{
	(void)state;
	keygen_and_check("k-p384", KC_ALG_EC_P384, CKA_VALUE);
}

static void
test_rsa3072(void **state)
{
	(void)state;
	keygen_and_check("k-rsa3072", KC_ALG_RSA_3072, CKA_PRIVATE_EXPONENT);
}

static void
test_unsupported_alg(void **state)
{
	CK_OBJECT_HANDLE h[2];

	(void)state;
	assert_int_equal(kc_token_keygen(tok, "k-2048", KC_ALG_RSA_2048),
	    KC_ERR_USAGE);
	assert_int_equal(raw_find(CKO_PRIVATE_KEY, "k-2048", h, 2), 0);
	assert_int_equal(kc_token_keygen(tok, "", KC_ALG_EC_P256),
	    KC_ERR_USAGE);
}

static void
test_destroy(void **state)
{
	CK_OBJECT_HANDLE h[2];

	(void)state;
	assert_int_equal(kc_token_keygen(tok, "k-gone", KC_ALG_EC_P256), KC_OK);
	assert_int_equal(kc_token_key_destroy(tok, "k-gone"), KC_OK);
	assert_int_equal(raw_find(CKO_PRIVATE_KEY, "k-gone", h, 2), 0);
	assert_int_equal(raw_find(CKO_PUBLIC_KEY, "k-gone", h, 2), 0);
	assert_int_equal(kc_token_key_exists(tok, "k-gone"), 0);
	assert_int_equal(kc_token_key_destroy(tok, "k-gone"), KC_ERR_NOTFOUND);
	assert_int_equal(kc_token_key_get(tok, "k-gone", NULL, NULL),
	    KC_ERR_NOTFOUND);
}

/* A key made with decrypt rights (as libp11's own keygen does) is refused
 * by key_check and key_get. */
static void
test_weak_key_refused(void **state)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	static const unsigned char p256[] = {
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
	};
	CK_BBOOL yes = CK_TRUE;
	unsigned char id[4] = { 1, 2, 3, 4 };
	const char *label = "k-weak";
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)(uintptr_t)p256, sizeof(p256) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DERIVE, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		{ CKA_ID, id, sizeof(id) },
	};
	CK_OBJECT_HANDLE hp, hs;
	EVP_PKEY *sk = NULL;

	(void)state;
	assert_int_equal(raw->C_GenerateKeyPair(rs, &mech, pub, 4, priv, 7,
	    &hp, &hs), CKR_OK);
	assert_int_equal(kc_token_key_check(tok, label, NULL), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "refusing to use it"));
	print_message("# %s\n", kc_errmsg());
	assert_int_equal(kc_token_key_get(tok, label, &sk, NULL),
	    KC_ERR_POLICY);
	assert_null(sk);
	assert_int_equal(kc_token_key_destroy(tok, label), KC_OK);
}

/* Halves that do not belong together: the public key carrying the private
 * key's CKA_ID is another key's. The self-test must refuse to hand the key
 * out. */
static void
test_mismatched_halves(void **state)
{
	CK_OBJECT_HANDLE h[2], other[2];
	unsigned char id[64];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	EVP_PKEY *sk = NULL, *pk = NULL;

	(void)state;
	assert_int_equal(kc_token_keygen(tok, "k-swap", KC_ALG_EC_P256), KC_OK);
	assert_int_equal(kc_token_keygen(tok, "k-other", KC_ALG_EC_P256),
	    KC_OK);
	assert_int_equal(raw_find(CKO_PUBLIC_KEY, "k-swap", h, 2), 1);
	assert_int_equal(raw->C_GetAttributeValue(rs, h[0], &ida, 1), CKR_OK);
	assert_int_equal(raw->C_DestroyObject(rs, h[0]), CKR_OK);
	assert_int_equal(raw_find(CKO_PUBLIC_KEY, "k-other", other, 2), 1);
	/* The new public half is CKA_MODIFIABLE=FALSE: its CKA_ID cannot be
	 * changed; a copy of it under k-swap's CKA_ID is made instead. */
	assert_int_equal(raw->C_SetAttributeValue(rs, other[0], &ida, 1),
	    CKR_ACTION_PROHIBITED);
	{
		CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
		CK_KEY_TYPE kt = CKK_EC;
		CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
		unsigned char params[32], point[80];
		CK_ATTRIBUTE rd[] = {
			{ CKA_EC_PARAMS, params, sizeof(params) },
			{ CKA_EC_POINT, point, sizeof(point) },
		};
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_ENCRYPT, &no, sizeof(no) },
			{ CKA_WRAP, &no, sizeof(no) },
			{ CKA_LABEL, (void *)(uintptr_t)"k-swap", 6 },
			{ CKA_ID, id, ida.ulValueLen },
			{ CKA_EC_PARAMS, params, 0 },
			{ CKA_EC_POINT, point, 0 },
		};
		CK_OBJECT_HANDLE nh;

		assert_int_equal(raw->C_GetAttributeValue(rs, other[0], rd, 2),
		    CKR_OK);
		t[8].ulValueLen = rd[0].ulValueLen;
		t[9].ulValueLen = rd[1].ulValueLen;
		assert_int_equal(raw->C_CreateObject(rs, t, 10, &nh), CKR_OK);
	}
	assert_int_equal(kc_token_key_check(tok, "k-swap", NULL), KC_OK);
	assert_int_equal(kc_token_key_get(tok, "k-swap", &sk, &pk),
	    KC_ERR_INTERNAL);
	assert_null(sk);
	assert_null(pk);
	assert_non_null(strstr(kc_errmsg(), "self-test of key 'k-swap'"));
	assert_non_null(strstr(kc_errmsg(), "does not verify"));
	assert_int_equal(kc_token_key_destroy(tok, "k-swap"), KC_OK);
	assert_int_equal(kc_token_key_destroy(tok, "k-other"), KC_OK);
}

static void
test_second_load_refused(void **state)
{
	struct kc_token_ctx *c2 = NULL;

	(void)state;
	assert_int_equal(kc_token_load(NULL, &c2), KC_ERR_INTERNAL);
	assert_null(c2);
	/* and kc_token_init refuses while a token is open */
	assert_int_equal(kc_token_init(ctx, "x", pin, pin), KC_ERR_INTERNAL);
}

/* Second group, no token open: initialise a token, then open it in the
 * same process (fresh slot enumeration) and use it. */
static void
test_init_then_use(void **state)
{
	struct kc_token_ctx *c = NULL;
	struct kc_token *t = NULL;
	struct kc_secret *so = NULL, *up = NULL;
	struct kc_token_info *ti = NULL;
	EVP_PKEY *sk = NULL;
	size_t n = 0, i, found = 0;

	(void)state;
	assert_int_equal(kc_secret_from("so-secret-1", 11, &so), KC_OK);
	assert_int_equal(kc_secret_from("user-9876", 9, &up), KC_OK);
	assert_int_equal(kc_token_load(NULL, &c), KC_OK);
	assert_int_equal(kc_token_init(c, "fresh", so, up), KC_OK);
	/* the same label twice is refused */
	assert_int_equal(kc_token_init(c, "fresh", so, up), KC_ERR_EXISTS);
	assert_int_equal(kc_token_init(c, "", so, up), KC_ERR_USAGE);
	assert_int_equal(kc_token_list(c, &ti, &n), KC_OK);
	for (i = 0; i < n; i++)
		if (ti[i].present && strcmp(ti[i].label, "fresh") == 0) {
			found++;
			assert_true(ti[i].initialized);
			assert_true(ti[i].user_pin_initialized);
		}
	free(ti);
	assert_int_equal(found, 1);
	if (kc_token_open(c, "fresh", NULL, &t) != KC_OK)
		fail_msg("open: %s", kc_errmsg());
	assert_int_equal(kc_token_login(t, so), KC_ERR_PIN);
	assert_int_equal(kc_token_login(t, up), KC_OK);
	assert_int_equal(kc_token_keygen(t, "k-fresh", KC_ALG_EC_P384), KC_OK);
	assert_int_equal(kc_token_key_get(t, "k-fresh", &sk, NULL), KC_OK);
	assert_non_null(sk);
	EVP_PKEY_free(sk);
	kc_token_close(t);
	kc_token_unload(c);
	kc_secret_free(so);
	kc_secret_free(up);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_label),
		cmocka_unit_test(test_wrong_pin),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_ec_p256),
		cmocka_unit_test(test_ec_p384),
		cmocka_unit_test(test_rsa3072),
		cmocka_unit_test(test_unsupported_alg),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_weak_key_refused),
		cmocka_unit_test(test_mismatched_halves),
		cmocka_unit_test(test_second_load_refused),
	};
	const struct CMUnitTest init_tests[] = {
		cmocka_unit_test(test_init_then_use),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, setup, teardown);
	return rc | cmocka_run_group_tests(init_tests, NULL, NULL);
}

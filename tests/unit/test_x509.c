/* test_x509.c: subject parsing, algorithms, profiles, lint and signing with
 * software keys (the token path is tested end to end on SoftHSM). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/x509v3.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"

static void
test_alg_parse(void **state)
{
	enum kc_alg a;

	(void)state;
	assert_int_equal(kc_alg_parse("ec-p384", &a), KC_OK);
	assert_int_equal(a, KC_ALG_EC_P384);
	assert_int_equal(kc_alg_parse("rsa-4096", &a), KC_OK);
	assert_int_equal(a, KC_ALG_RSA_4096);
	assert_int_equal(kc_alg_parse("dsa-1024", &a), KC_ERR_USAGE);
	assert_non_null(strstr(kc_errmsg(), "unsupported algorithm 'dsa-1024'"));
	assert_true(kc_alg_digest(KC_ALG_EC_P384) == EVP_sha384());
	assert_true(kc_alg_digest(KC_ALG_EC_P256) == EVP_sha256());
}

static void
test_name_parse_ok(void **state)
{
	X509_NAME *n = NULL;
	char *s;

	(void)state;
	assert_int_equal(kc_name_parse("/CN=Example Root CA/O=Example GmbH/C=DE",
	    &n), KC_OK);
	assert_int_equal(X509_NAME_entry_count(n), 3);
	s = kc_name_string(n);
	assert_string_equal(s, "/CN=Example Root CA/O=Example GmbH/C=DE");
	free(s);
	X509_NAME_free(n);
	assert_int_equal(kc_name_parse("/CN=a\\/b/O=M\xc3\xbcnchen", &n), KC_OK);
	s = kc_name_string(n);
	assert_string_equal(s, "/CN=a\\/b/O=M\xc3\xbcnchen");
	free(s);
	X509_NAME_free(n);
}

static void
test_name_parse_bad(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "CN=x", "must look like" },
		{ "/", "not KEY=value" },
		{ "/CN", "not KEY=value" },
		{ "/XX=1", "unknown attribute 'XX'" },
		{ "/CN=", "empty CN" },
		{ "/C=Germany", "two upper-case letters" },
		{ "/C=de", "two upper-case letters" },
		{ "/CN=a\x01" "b", "CN contains a control character U+0001 at "
		  "byte 2" },
		{ "/CN=\xff\xfe", "CN contains a byte that is not UTF-8 text "
		  "(0xff) at byte 1" },
		/* C1, bidirectional and format characters (issue 12) */
		{ "/CN=a\xc2\x9b" "2J", "C1 control character U+009B at byte 2" },
		{ "/O=x/CN=a\x9b" "b", "CN contains a byte that is not UTF-8" },
		{ "/CN=Root \xe2\x80\xae" "AC", "bidirectional control character "
		  "U+202E at byte 6" },
		{ "/ST=\xe2\x81\xa6" "x", "bidirectional control character "
		  "U+2066" },
		{ "/CN=Exa\xe2\x80\x8bmple", "invisible format character "
		  "U+200B" },
		{ "/CN=\xef\xbb\xbfRoot", "invisible format character U+FEFF" },
		{ "/CN=a\xe2\x80\xa8" "b", "U+2028" },
		{ "/CN=CA\xf3\xa0\x80\x81", "invisible format character U+E0001" },
		{ "/CN=a\xc0\xaf", "not UTF-8" },
		{ "/CN=a\xed\xa0\x80", "not UTF-8" },
		{ "/CN=a\x1b[2J", "control character U+001B" },
		{ "/CN=a\x7f", "control character U+007F" },
		{ "/CN=0123456789012345678901234567890123456789012345678901234567890123456789",
		  "at most 64" },
	};
	X509_NAME *n = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kc_name_parse(bad[i].in, &n), KC_ERR_USAGE);
		assert_null(n);
		if (strstr(kc_errmsg(), bad[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].in,
			    kc_errmsg(), bad[i].msg);
	}
}

static void
test_name_check_nul(void **state)
{
	X509_NAME *n = X509_NAME_new();

	(void)state;
	assert_true(X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_UTF8STRING,
	    (const unsigned char *)"ab\0cd", 5, -1, 0));
	assert_int_equal(kc_name_check(n, "test.csr"), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "NUL"));
	X509_NAME_free(n);
}

static void
test_validity(void **state)
{
	time_t nb, na;

	(void)state;
	assert_int_equal(kc_validity(0, 1000, &nb, &na), KC_ERR_USAGE);
	assert_int_equal(kc_validity(KC_DAYS_MAX + 1, 1000, &nb, &na), KC_ERR_USAGE);
	assert_int_equal(kc_validity(2, 1000, &nb, &na), KC_OK);
	assert_int_equal(na - nb, 2 * 86400);
}

/* Builds a certificate of profile p for key with signer/issuer. */
static X509 *
make(enum kc_profile p, EVP_PKEY *key, const char *subj, const X509 *issuer,
    int days)
{
	struct kc_cert_req r;
	X509_NAME *n = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];

	memset(&r, 0, sizeof(r));
	memset(serial, 0xab, sizeof(serial));
	kc_serial_fix(serial, sizeof(serial));
	assert_int_equal(kc_name_parse(subj, &n), KC_OK);
	r.profile = p;
	r.subject = n;
	r.subject_key = key;
	r.issuer = issuer;
	r.serial = serial;
	r.serial_len = sizeof(serial);
	r.path_len = p == KC_PROFILE_INTERMEDIATE ? 0 : -1;
	assert_int_equal(kc_validity(days, time(NULL), &r.not_before,
	    &r.not_after), KC_OK);
	assert_int_equal(kc_cert_build(&r, &x), KC_OK);
	X509_NAME_free(n);
	return x;
}

static void
test_chain(void **state)
{
	EVP_PKEY *rk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ik = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *dk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *root, *inter, *dev, *late;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *chain;

	(void)state;
	root = make(KC_PROFILE_ROOT, rk, "/CN=Test Root/C=DE", NULL, 3650);
	assert_int_equal(kc_cert_sign(root, rk, NULL, KC_PROFILE_ROOT), KC_OK);
	assert_int_equal(X509_get_signature_nid(root), NID_ecdsa_with_SHA384);
	inter = make(KC_PROFILE_INTERMEDIATE, ik, "/CN=Factory 1", root, 365);
	assert_int_equal(kc_cert_sign(inter, rk, root, KC_PROFILE_INTERMEDIATE), KC_OK);
	dev = make(KC_PROFILE_DEVICE, dk, "/CN=device-0001", inter, 30);
	assert_int_equal(kc_cert_sign(dev, ik, inter, KC_PROFILE_DEVICE), KC_OK);
	assert_true(X509_get_key_usage(dev) & KU_KEY_ENCIPHERMENT);
	/* A validity past the issuer's end is refused by lint. */
	late = make(KC_PROFILE_DEVICE, dk, "/CN=device-late", inter, 400);
	assert_int_equal(kc_cert_sign(late, ik, inter, KC_PROFILE_DEVICE),
	    KC_ERR_INTERNAL);
	assert_non_null(strstr(kc_errmsg(), "ends after the issuer"));
	/* Signed with the wrong key: verification after signing fails. */
	X509_free(late);
	late = make(KC_PROFILE_DEVICE, dk, "/CN=device-x", inter, 30);
	assert_int_equal(kc_cert_sign(late, rk, inter, KC_PROFILE_DEVICE),
	    KC_ERR_INTERNAL);
	assert_non_null(strstr(kc_errmsg(), "does not verify"));
	/* Wrong profile for what was built. */
	assert_int_equal(kc_cert_lint(dev, inter, KC_PROFILE_INTERMEDIATE),
	    KC_ERR_INTERNAL);

	/* OpenSSL's own strict verification accepts the chain. */
	store = X509_STORE_new();
	X509_STORE_add_cert(store, root);
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
	chain = sk_X509_new_null();
	sk_X509_push(chain, inter);
	ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, dev, chain);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("verify: %s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(chain);
	X509_STORE_free(store);
	X509_free(late);
	X509_free(dev);
	X509_free(inter);
	X509_free(root);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(dk);
}

static void
test_key_policy(void **state)
{
	EVP_PKEY *k;
	enum kc_alg a;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_int_equal(kc_alg_of_key(k, &a), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "RSA-1024"));
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp521r1");
	assert_int_equal(kc_alg_of_key(k, &a), KC_ERR_POLICY);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_int_equal(kc_alg_of_key(k, &a), KC_OK);
	assert_int_equal(a, KC_ALG_EC_P256);
	EVP_PKEY_free(k);
	/* The same curve with explicit parameters is refused. */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_true(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT));
	assert_int_equal(kc_alg_of_key(k, &a), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "explicit"));
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_int_equal(kc_alg_of_key(k, &a), KC_ERR_POLICY);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_parse),
		cmocka_unit_test(test_name_parse_ok),
		cmocka_unit_test(test_name_parse_bad),
		cmocka_unit_test(test_name_check_nul),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_key_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

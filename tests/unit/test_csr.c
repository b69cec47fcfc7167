/* test_csr.c: CSR intake: formats, legacy nRF91 repair, policy, refusals.
 * CSRs are generated here with OpenSSL, never stored. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"

static EVP_PKEY *
keygen(const char *type, const char *param, int explicit_ec)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[3], *pp = p;
	unsigned int bits;
	char enc[] = "explicit";

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	if (strcmp(type, "RSA") == 0) {
		bits = (unsigned int)atoi(param);
		*pp++ = OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS,
		    &bits);
	} else {
		*pp++ = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, (char *)param, 0);
		if (explicit_ec)
			*pp++ = OSSL_PARAM_construct_utf8_string(
			    OSSL_PKEY_PARAM_EC_ENCODING, enc, 0);
	}
	*pp = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_PKEY_CTX_set_params(ctx, p), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A CSR for key with CN=cn (cnlen bytes) and, when ca, a request for
 * basicConstraints CA:TRUE and keyUsage. Returns DER (OPENSSL_free). */
static int
make_csr(EVP_PKEY *k, const char *cn, int cnlen, int ca, unsigned char **der)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	int len;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)cn, cnlen, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Example Factory", -1, -1, 0), 1);
	X509_REQ_set_subject_name(r, n);
	X509_REQ_set_pubkey(r, k);
	if (ca) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL,
		    NID_basic_constraints, "critical,CA:TRUE,pathlen:5"));
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL,
		    NID_key_usage, "keyEncipherment,keyCertSign"));
		X509_REQ_add_extensions(r, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
	*der = NULL;
	len = i2d_X509_REQ(r, der);
	assert_true(len > 0);
	X509_NAME_free(n);
	X509_REQ_free(r);
	return len;
}

static char *
to_pem(const char *label, const unsigned char *der, int len)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *bm;
	char *s;

	PEM_write_bio(b, label, "", der, len);
	BIO_get_mem_ptr(b, &bm);
	s = malloc(bm->length + 1);
	memcpy(s, bm->data, bm->length);
	s[bm->length] = '\0';
	BIO_free(b);
	return s;
}

static void
expect_fail(const void *data, size_t len, int code, const char *msg)
{
	struct kc_csr *c = (struct kc_csr *)1;

	assert_int_equal(kc_csr_parse(data, len, "in.csr", 0, &c), code);
	assert_null(c);
	if (strstr(kc_errmsg(), msg) == NULL || strstr(kc_errmsg(),
	    "in.csr") == NULL)
		fail_msg("message '%s' lacks '%s' or the file name",
		    kc_errmsg(), msg);
}

static void
test_ec_pem_der(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *der;
	int len = make_csr(k, "Factory 1", -1, 1, &der);
	char *pem = to_pem("CERTIFICATE REQUEST", der, len), hex[65];
	struct kc_csr *c;

	(void)state;
	assert_int_equal(kc_csr_parse((unsigned char *)pem, strlen(pem),
	    "in.csr", 0, &c), KC_OK);
	assert_int_equal(c->alg, KC_ALG_EC_P256);
	assert_true(c->was_pem);
	assert_false(c->legacy_sigalg);
	assert_true(c->ca_requested);
	assert_int_equal(c->n_ext, 2);
	assert_string_equal(c->ext_names[0], "basicConstraints");
	assert_string_equal(c->ext_names[1], "keyUsage");
	assert_non_null(strstr(c->ext_text[0], "(critical)"));
	assert_non_null(strstr(c->ext_text[1], "Key Encipherment"));
	kc_sha256_hex(pem, strlen(pem), hex);
	assert_string_equal(c->sha256, hex);
	kc_sha256_hex(der, (size_t)len, hex);
	assert_string_equal(c->der_sha256, hex);
	assert_string_equal(c->subject_str, "/CN=Factory 1/O=Example Factory");
	assert_int_equal(EVP_PKEY_eq(c->pubkey, k), 1);
	assert_int_equal(c->der_len, (size_t)len);
	assert_memory_equal(c->der, der, (size_t)len);
	kc_csr_free(c);

	assert_int_equal(kc_csr_parse(der, (size_t)len, "in.csr", 0, &c),
	    KC_OK);
	assert_false(c->was_pem);
	kc_csr_free(c);
	kc_csr_free(NULL);
	free(pem);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void
test_pem_variants(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-384", 0);
	unsigned char *der;
	int len = make_csr(k, "Factory 2", -1, 0, &der);
	char *pem = to_pem("CERTIFICATE REQUEST", der, len);
	char *crlf = malloc(strlen(pem) * 2 + 64), *w = crlf;
	struct kc_csr *c;

	(void)state;
	w += sprintf(w, "Certificate Request: (text before is ignored)\r\n");
	for (const char *p = pem; *p; p++) {
		if (*p == '\n')
			*w++ = '\r';
		*w++ = *p;
	}
	w -= 2;		/* no final CRLF */
	*w = '\0';
	assert_int_equal(kc_csr_parse((unsigned char *)crlf, strlen(crlf),
	    "in.csr", 0, &c), KC_OK);
	assert_int_equal(c->alg, KC_ALG_EC_P384);
	assert_false(c->ca_requested);
	assert_int_equal(c->n_ext, 0);
	kc_csr_free(c);

	/* Truncated: END line cut. */
	expect_fail(pem, strlen(pem) - 30, KC_ERR_INPUT, "truncated");
	/* Garbage in the base64. */
	pem[40] = '*';
	pem[41] = '!';
	expect_fail(pem, strlen(pem), KC_ERR_INPUT, "in.csr");
	/* Plain garbage, empty. */
	expect_fail("hello world\n", 12, KC_ERR_INPUT, "not a CSR");
	expect_fail("", 0, KC_ERR_INPUT, "empty");
	free(pem);

	/* Two blocks: second one refused. */
	pem = to_pem("CERTIFICATE REQUEST", der, len);
	{
		size_t l = strlen(pem);
		char *two = malloc(2 * l + 1);
		memcpy(two, pem, l);
		memcpy(two + l, pem, l + 1);
		expect_fail(two, 2 * l, KC_ERR_INPUT, "after the CSR");
		free(two);
	}
	free(pem);
	free(crlf);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void
test_der_trailing(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *der, *buf;
	int len = make_csr(k, "Factory 3", -1, 0, &der);

	(void)state;
	buf = malloc((size_t)len + 3);
	memcpy(buf, der, (size_t)len);
	memcpy(buf + len, "xyz", 3);
	expect_fail(buf, (size_t)len + 3, KC_ERR_INPUT, "after the CSR");
	expect_fail(buf, (size_t)len - 5, KC_ERR_INPUT, "truncated");
	free(buf);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void
test_bad_signature(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *der;
	int len = make_csr(k, "Factory 4", -1, 0, &der);

	(void)state;
	der[len - 3] ^= 0x01;	/* inside the signature's s value */
	expect_fail(der, (size_t)len, KC_ERR_CRYPTO, "self-signature");
	der[len - 3] ^= 0x01;
	/* A changed subject byte: the signature no longer covers it. */
	{
		unsigned char *p = memmem(der, (size_t)len, "Factory 4", 9);
		assert_non_null(p);
		p[8] = '5';
		expect_fail(der, (size_t)len, KC_ERR_CRYPTO, "self-signature");
	}
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void
test_not_a_csr(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	char *pem;
	BIO *b;
	BUF_MEM *bm;
	int len;

	(void)state;
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"c", -1, -1, 0);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	len = i2d_X509(x, &der);
	pem = to_pem("CERTIFICATE", der, len);
	expect_fail(pem, strlen(pem), KC_ERR_INPUT,
	    "is a certificate, not a CSR");
	expect_fail(der, (size_t)len, KC_ERR_INPUT,
	    "is a certificate, not a CSR");
	free(pem);
	OPENSSL_free(der);

	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	BIO_get_mem_ptr(b, &bm);
	expect_fail(bm->data, bm->length, KC_ERR_INPUT,
	    "is a private key, not a CSR");
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, k);
	BIO_get_mem_ptr(b, &bm);
	expect_fail(bm->data, bm->length, KC_ERR_INPUT,
	    "is a public key, not a CSR");
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_key_policy(void **state)
{
	static const struct { const char *t, *p; int expl; enum kc_alg a; }
	    cases[] = {
		{ "RSA", "1024", 0, KC_ALG_NONE },
		{ "EC", "P-192", 0, KC_ALG_NONE },
		{ "EC", "secp256k1", 0, KC_ALG_NONE },
		{ "EC", "P-256", 1, KC_ALG_NONE },
		{ "RSA", "2048", 0, KC_ALG_RSA_2048 },
		{ "RSA", "3072", 0, KC_ALG_RSA_3072 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *k = keygen(cases[i].t, cases[i].p, cases[i].expl);
		unsigned char *der;
		int len = make_csr(k, "K", -1, 0, &der);
		struct kc_csr *c;

		if (cases[i].a == KC_ALG_NONE) {
			expect_fail(der, (size_t)len, KC_ERR_POLICY,
			    "refused");
		} else {
			assert_int_equal(kc_csr_parse(der, (size_t)len, "x",
			    0, &c), KC_OK);
			assert_int_equal(c->alg, cases[i].a);
			kc_csr_free(c);
		}
		OPENSSL_free(der);
		EVP_PKEY_free(k);
	}
}

static void
test_subject(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *der;
	char cn65[66];
	struct kc_csr *c;
	int len;

	(void)state;
	len = make_csr(k, "bad\x01name", -1, 0, &der);
	expect_fail(der, (size_t)len, KC_ERR_INPUT, "CN");
	/* The caller that replaces the subject may take it anyway. */
	assert_int_equal(kc_csr_parse(der, (size_t)len, "in.csr",
	    KC_CSR_NO_SUBJECT_CHECK, &c), KC_OK);
	assert_false(c->subject_ok);
	kc_csr_free(c);
	OPENSSL_free(der);

	len = make_csr(k, "bad\0name", 8, 0, &der);
	expect_fail(der, (size_t)len, KC_ERR_INPUT, "NUL");
	OPENSSL_free(der);

	memset(cn65, 'a', 65);
	cn65[65] = '\0';
	len = make_csr(k, cn65, -1, 0, &der);
	expect_fail(der, (size_t)len, KC_ERR_INPUT, "CN");
	OPENSSL_free(der);
	len = make_csr(k, cn65 + 1, -1, 0, &der);
	assert_int_equal(kc_csr_parse(der, (size_t)len, "in.csr", 0, &c),
	    KC_OK);
	assert_true(c->subject_ok);
	kc_csr_free(c);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/* The nRF91 AT%KEYGEN vector: base64url DER CSR with the legacy
 * ecdsa-with-SHA256 + NULL AlgorithmIdentifier. */
static void
test_nrf_legacy(void **state)
{
	static const char b64u[] =
	    "MIIBCjCBrwIBADAvMS0wKwYDVQQDDCQ1MDM2MzE1NC0zOTMxLTQ0ZjAtODAyMi0x"
	    "MjFiNjQwMTYyN2QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQqD6pNfa29o_EX"
	    "nw62bnQWr8-JqsNh_HZxS3k3bMD4KZ8-qxnvgeoiqQ5zAycEP_Wcmzqypvwyf3qW"
	    "MrZ2VB5aoB4wHAYJKoZIhvcNAQkOMQ8wDTALBgNVHQ8EBAMCA-gwDAYIKoZIzj0E"
	    "AwIFAANIADBFAiEAv7OLZ_dXbszfhhjcLMUT72wTmw-z6GlgWxVhyWgR27ACIAvY"
	    "_lPu3yfYZY5AL6uYTkUFp4GQkbSOUC_lsHyCxOuG";
	char b64[sizeof(b64u) + 4];
	unsigned char der[512], copy[512], hex_in[65];
	size_t n = strlen(b64u), len, l2;
	struct kc_csr *c;
	int changed, dl;

	(void)state;
	memcpy(b64, b64u, n + 1);
	for (size_t i = 0; i < n; i++)
		b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
	while (n % 4)
		b64[n++] = '=';
	b64[n] = '\0';
	dl = EVP_DecodeBlock(der, (unsigned char *)b64, (int)n);
	assert_true(dl > 0);
	len = (size_t)dl - (b64[n - 1] == '=') - (b64[n - 2] == '=');
	kc_sha256_hex(der, len, (char *)hex_in);

	memcpy(copy, der, len);
	l2 = len;
	assert_int_equal(kc_csr_der_normalise(copy, &l2, &changed), KC_OK);
	assert_true(changed);
	assert_int_equal(l2, len - 2);
	/* Idempotent. */
	assert_int_equal(kc_csr_der_normalise(copy, &l2, &changed), KC_OK);
	assert_false(changed);

	assert_int_equal(kc_csr_parse(der, len, "keygen", 0, &c), KC_OK);
	assert_true(c->legacy_sigalg);
	assert_int_equal(c->alg, KC_ALG_EC_P256);
	assert_string_equal(c->subject_str,
	    "/CN=50363154-3931-44f0-8022-121b6401627d");
	assert_string_equal(c->der_sha256, (char *)hex_in);
	assert_string_equal(c->sha256, (char *)hex_in);
	assert_int_equal(c->n_ext, 1);
	assert_string_equal(c->ext_names[0], "keyUsage");
	assert_false(c->ca_requested);
	kc_csr_free(c);

	/* Tampered legacy CSR still fails its signature after repair. */
	der[40] ^= 0x01;
	assert_int_equal(kc_csr_parse(der, len, "keygen", 0, &c),
	    KC_ERR_CRYPTO);
}

static void
test_load_file(void **state)
{
	char dir[] = "/tmp/kc-csr.XXXXXX", path[64];
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *der;
	int len = make_csr(k, "File", -1, 0, &der);
	struct kc_csr *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.der", dir);
	assert_int_equal(kc_file_write(path, der, (size_t)len, 0644, 0), KC_OK);
	assert_int_equal(kc_csr_load(path, 0, &c), KC_OK);
	kc_csr_free(c);
	snprintf(path, sizeof(path), "%s/missing.csr", dir);
	assert_int_equal(kc_csr_load(path, 0, &c), KC_ERR_NOTFOUND);
	assert_non_null(strstr(kc_errmsg(), "missing.csr"));
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_pem_der),
		cmocka_unit_test(test_pem_variants),
		cmocka_unit_test(test_der_trailing),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_not_a_csr),
		cmocka_unit_test(test_key_policy),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_nrf_legacy),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

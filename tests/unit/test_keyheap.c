/*
 * test_keyheap.c: buffers that hold a device key in clear are never
 * realloc()ed or free()d unwiped (issue 12, item 10). The test is linked
 * with -Wl,--wrap=realloc,--wrap=free, so every realloc() and free() that
 * libkc's code makes goes through the wrappers below, which look into the
 * block for the marks of a private key PEM ("PRIVATE KEY-----" and the
 * key's own base64) and count what they find. The factory's growing
 * buffer (kc_buf_add) used to realloc() the key PEM of the C and AT
 * formats; it now copies into a new block and wipes the old one.
 */
#include "config.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "kc/core/error.h"
#include "factory_int.h"

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static int armed;
static char mark[40];		/* a piece of the key's base64 body */
static int bad_realloc, bad_free, reallocs;

static int
holds_key(const void *p)
{
	size_t n = p != NULL ? malloc_usable_size((void *)p) : 0;
	size_t ml = strlen(mark);

	if (n == 0 || ml == 0)
		return 0;
	for (size_t i = 0; i + ml <= n; i++)
		if (memcmp((const char *)p + i, mark, ml) == 0 ||
		    (i + 16 <= n && memcmp((const char *)p + i,
		    "PRIVATE KEY-----", 16) == 0))
			return 1;
	return 0;
}

void *
__wrap_realloc(void *p, size_t n)
{
	if (armed) {
		reallocs++;
		if (holds_key(p))
			bad_realloc++;
	}
	return __real_realloc(p, n);
}

void
__wrap_free(void *p)
{
	if (armed && holds_key(p))
		bad_free++;
	__real_free(p);
}

static EVP_PKEY *
device_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* The key's PEM, and a piece of its base64 body as the mark. */
static void
key_pem(EVP_PKEY *k, struct kc_buf *b)
{
	const char *body;

	memset(b, 0, sizeof(*b));
	assert_int_equal(kc_key_pem(k, NULL, 0, b), KC_OK);
	body = strchr(b->p, '\n');
	assert_non_null(body);
	snprintf(mark, sizeof(mark), "%.32s", body + 1 + 8);
}

static void
test_buf_growth_wipes(void **state)
{
	EVP_PKEY *k = device_key();
	struct kc_buf pem, big = { 0 };

	(void)state;
	key_pem(k, &pem);
	armed = 1;
	bad_realloc = bad_free = reallocs = 0;
	/* the key first, then enough to grow the buffer many times */
	assert_int_equal(kc_buf_add(&big, pem.p, pem.len), KC_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(kc_buf_add(&big, "0123456789abcdef", 16),
		    KC_OK);
	assert_true(big.cap > 2048);	/* it did grow */
	assert_non_null(strstr(big.p, mark));
	kc_buf_free(&big);
	kc_buf_free(&pem);
	armed = 0;
	assert_int_equal(bad_realloc, 0);
	assert_int_equal(bad_free, 0);
	EVP_PKEY_free(k);
}

static void
test_formats_wipe(void **state)
{
	static const char chain[] = "-----BEGIN CERTIFICATE-----\n"
	    "MIIBAAAA\n-----END CERTIFICATE-----\n";
	struct kc_outputs o = { "dev-1", chain, sizeof(chain) - 1, chain,
	    sizeof(chain) - 1, chain, sizeof(chain) - 1, NULL, NULL, NULL,
	    NULL };
	EVP_PKEY *k = device_key();
	struct kc_buf pem, c = { 0 }, at = { 0 }, sums = { 0 }, enc = { 0 };
	struct kc_buf enc2 = { 0 };
	char warn[768];
	struct kc_secret *pass = NULL;

	(void)state;
	key_pem(k, &pem);
	assert_int_equal(kc_secret_from("blue otter", 10, &pass), KC_OK);
	armed = 1;
	bad_realloc = bad_free = 0;
	assert_int_equal(kc_format_c(&o, pem.p, &c), KC_OK);
	assert_int_equal(kc_format_at(&o, pem.p, NULL, 16, 0, &at, &sums, warn,
	    sizeof(warn), NULL), KC_OK);
	assert_int_equal(kc_key_pem(k, pass, KC_KEYENC_PBKDF2_AES, &enc),
	    KC_OK);
	assert_int_equal(kc_key_pem(k, pass, KC_KEYENC_PBKDF2_3DES, &enc2),
	    KC_OK);
	assert_non_null(strstr(c.p, "PRIVATE_KEY"));
	assert_non_null(strstr(at.p, "AT%CMNG=0,16,2,"));
	assert_non_null(strstr(sums.p, "16,2,"));
	assert_string_equal(warn, "");
	kc_buf_free(&c);
	kc_buf_free(&at);
	kc_buf_free(&sums);
	kc_buf_free(&enc);
	kc_buf_free(&enc2);
	kc_buf_free(&pem);
	armed = 0;
	assert_int_equal(bad_realloc, 0);
	assert_int_equal(bad_free, 0);
	kc_secret_free(pass);
	EVP_PKEY_free(k);
}

/* The wrappers see what they should: a key block realloc()ed or freed
 * unwiped on purpose is counted (so a zero above means something). */
static void
test_wrappers_see_keys(void **state)
{
	EVP_PKEY *k = device_key();
	struct kc_buf pem;
	char *p, *q;

	(void)state;
	key_pem(k, &pem);
	p = malloc(pem.len + 1);
	assert_non_null(p);
	memcpy(p, pem.p, pem.len + 1);
	armed = 1;
	bad_realloc = bad_free = 0;
	q = realloc(p, 64 * 1024);
	assert_non_null(q);
	free(q);
	armed = 0;
	assert_int_equal(bad_realloc, 1);
	assert_int_equal(bad_free, 1);
	kc_buf_free(&pem);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrappers_see_keys),
		cmocka_unit_test(test_buf_growth_wipes),
		cmocka_unit_test(test_formats_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

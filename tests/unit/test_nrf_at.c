/*
 * test_nrf_at.c: the one AT%CMNG writer (kc_nrf_at_make, issue 14 items
 * 12 and 13) at its size limits: a command of exactly KC_NRF_AT_CMD_MAX
 * (4093) bytes passes, one byte more is a warning (an error when strict);
 * a credential of exactly KC_NRF_CRED_MAX (4096) bytes passes the modem's
 * limit, one byte more is a warning (an error when strict); the form
 * (CFUN=4 ... CFUN=1, CRLF inside the quotes) and the sums lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "kc/core/error.h"
#include "kc/factory/nrf.h"

/* A PEM (LF line ends) whose CRLF form is exactly crlf_len bytes. */
static char *
pem_of(size_t crlf_len)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char foot[] = "-----END CERTIFICATE-----\n";
	/* CRLF form: head+1, body+2, foot+1 */
	size_t body = crlf_len - (sizeof(head) - 1 + 1) - (sizeof(foot) - 1 + 1)
	    - 2;
	char *p = malloc(crlf_len + 1);

	assert_non_null(p);
	strcpy(p, head);
	memset(p + strlen(p), 'A', body);
	p[sizeof(head) - 1 + body] = '\0';
	strcat(p, "\n");
	strcat(p, foot);
	return p;
}

/* The command writing type 1 at sec_tag 1: "AT%CMNG=0,1,1,\"" + cred +
 * "\"" = cred + 16 bytes. */
#define CMD_OVER 16

static void
one(size_t cred_len, int want_cred_warn, int want_cmd_warn)
{
	struct kc_nrf_at at;
	char *pem = pem_of(cred_len), num[32];
	int warned = want_cred_warn || want_cmd_warn;

	assert_int_equal(kc_nrf_at_make(1, NULL, pem, NULL, 0, &at), KC_OK);
	assert_int_equal(at.warn[0] != '\0', warned);
	assert_int_equal(strstr(at.warn, "4096-byte (4 kB) limit") != NULL,
	    want_cred_warn);
	assert_int_equal(strstr(at.warn, "CONFIG_AT_HOST_CMD_MAX_LEN") != NULL,
	    want_cmd_warn);
	if (want_cmd_warn) {
		snprintf(num, sizeof(num), "is %zu bytes", cred_len + CMD_OVER);
		assert_non_null(strstr(at.warn, num));
	}
	kc_nrf_at_free(&at);
	assert_int_equal(kc_nrf_at_make(1, NULL, pem, NULL, 1, &at),
	    warned ? KC_ERR_INPUT : KC_OK);
	if (warned)
		assert_null(at.text);
	kc_nrf_at_free(&at);
	free(pem);
}

static void
test_limits(void **state)
{
	(void)state;
	one(KC_NRF_AT_CMD_MAX - CMD_OVER, 0, 0);	/* command 4093 */
	one(KC_NRF_AT_CMD_MAX - CMD_OVER + 1, 0, 1);	/* command 4094 */
	one(KC_NRF_CRED_MAX, 0, 1);			/* credential 4096 */
	one(KC_NRF_CRED_MAX + 1, 1, 1);			/* credential 4097 */
	one(1000, 0, 0);
}

static void
test_form(void **state)
{
	static const char ca[] = "-----BEGIN CERTIFICATE-----\nQ0E=\n"
	    "-----END CERTIFICATE-----\n";
	static const char cred[] = "-----BEGIN CERTIFICATE-----\nTEVBRg==\n"
	    "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nSU5U\n"
	    "-----END CERTIFICATE-----\n";
	static const char key[] = "-----BEGIN PRIVATE KEY-----\r\nS0VZ\r\n"
	    "-----END PRIVATE KEY-----";
	static const char want[] = "AT+CFUN=4\r\n"
	    "AT%CMNG=0,16,0,\"-----BEGIN CERTIFICATE-----\r\nQ0E=\r\n"
	    "-----END CERTIFICATE-----\r\n\"\r\n"
	    "AT%CMNG=0,16,1,\"-----BEGIN CERTIFICATE-----\r\nTEVBRg==\r\n"
	    "-----END CERTIFICATE-----\r\n-----BEGIN CERTIFICATE-----\r\n"
	    "SU5U\r\n-----END CERTIFICATE-----\r\n\"\r\n"
	    "AT%CMNG=0,16,2,\"-----BEGIN PRIVATE KEY-----\r\nS0VZ\r\n"
	    "-----END PRIVATE KEY-----\r\n\"\r\n"
	    "AT+CFUN=1\r\n";
	struct kc_nrf_at at;
	const char *q;
	char line[128], hx[65];
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t off = 0;

	(void)state;
	assert_int_equal(kc_nrf_at_make(16, ca, cred, key, 1, &at), KC_OK);
	assert_string_equal(at.text, want);
	assert_int_equal(at.len, strlen(want));
	assert_string_equal(at.warn, "");
	/* the sums: one line per credential, the SHA-256 of the quoted text */
	for (int type = 0; type < 3; type++) {
		const char *start, *end;

		snprintf(line, sizeof(line), "AT%%CMNG=0,16,%d,\"", type);
		start = strstr(at.text, line) + strlen(line);
		end = strchr(start, '"');
		SHA256((const unsigned char *)start, (size_t)(end - start), md);
		for (int i = 0; i < 32; i++)
			snprintf(hx + 2 * i, 3, "%02X", md[i]);
		snprintf(line, sizeof(line), "16,%d,%s\n", type, hx);
		q = at.sums + off;
		assert_memory_equal(q, line, strlen(line));
		off += strlen(line);
		assert_string_equal(type == 0 ? at.ca_sha256 : type == 1 ?
		    at.cred_sha256 : at.key_sha256, hx);
	}
	assert_int_equal(off, at.sums_len);
	kc_nrf_at_free(&at);
	kc_nrf_at_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

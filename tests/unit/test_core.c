/* test_core.c: unit tests of libkc's error, secret and file helpers. */
#include "config.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/secret.h"

#include "tmpdir.h"

static void
test_err_message(void **state)
{
	(void)state;
	assert_int_equal(kc_err(KC_ERR_IO, "x %d", 3), KC_ERR_IO);
	assert_string_equal(kc_errmsg(), "x 3");
	assert_int_equal(kc_errcode(), KC_ERR_IO);
	kc_err_clear();
	assert_string_equal(kc_errmsg(), "");
	assert_string_equal(kc_err_name(KC_ERR_PIN), "KC_ERR_PIN");
}

static void
write_mode(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
test_secret_file(void **state)
{
	struct kc_secret *s = NULL;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	write_mode(path, "1234\r\nignored\n", 0600);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_OK);
	assert_int_equal(s->len, 4);
	assert_string_equal(s->buf, "1234");
	kc_secret_free(s);

	write_mode(path, "1234\n", 0644);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_ERR_PIN);
	assert_null(s);
	assert_non_null(strstr(kc_errmsg(), "chmod 600"));

	write_mode(path, "\n", 0600);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_ERR_PIN);
	assert_non_null(strstr(kc_errmsg(), "empty"));
	kc_secret_free(NULL);
}

static void
test_write_excl(void **state)
{
	char path[128];
	unsigned char *data;
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.pem", tmpdir);
	assert_int_equal(kc_file_check_absent(path), KC_OK);
	assert_int_equal(kc_file_write(path, "abc", 3, 0600, KC_WRITE_EXCL),
	    KC_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kc_file_write(path, "xyz", 3, 0644, KC_WRITE_EXCL),
	    KC_ERR_EXISTS);
	assert_int_equal(kc_file_check_absent(path), KC_ERR_EXISTS);
	assert_int_equal(kc_file_read(path, 100, &data, &len), KC_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	assert_int_equal(kc_file_read(path, 2, &data, &len), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "too large"));
	/* Replace without EXCL. */
	assert_int_equal(kc_file_write(path, "xyz", 3, 0644, 0), KC_OK);
	assert_int_equal(kc_file_read(path, 100, &data, &len), KC_OK);
	assert_memory_equal(data, "xyz", 3);
	free(data);
}

static void
test_write_unwritable(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing-dir/out.pem", tmpdir);
	assert_int_equal(kc_file_write(path, "abc", 3, 0600, KC_WRITE_EXCL),
	    KC_ERR_IO);
	assert_non_null(strstr(kc_errmsg(), path));
}

static void
test_sha256_hex(void **state)
{
	char hex[65];

	(void)state;
	kc_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_message),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_write_excl),
		cmocka_unit_test(test_write_unwritable),
		cmocka_unit_test(test_sha256_hex),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_hardening.c: unit tests of the hardening area: error messages that
 * quote kc_errmsg() itself, kc_file_read() on files of every size and on a
 * pipe, and secrets from files. */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
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

/* kc_err("%s: %s", name, kc_errmsg()) once garbled the message (vsnprintf
 * into the buffer it was reading); a YAML value with a newline once made a
 * two-line message (found by fuzz_ceremony). */
static void
test_err_quotes_itself(void **state)
{
	(void)state;
	kc_err(KC_ERR_IO, "No space left on device");
	kc_err(KC_ERR_INPUT, "%s: %s (nothing of this device is kept)",
	    "/some/rather/long/path/in/bat-00020.csr", kc_errmsg());
	assert_string_equal(kc_errmsg(), "/some/rather/long/path/in/"
	    "bat-00020.csr: No space left on device (nothing of this device "
	    "is kept)");
	assert_int_equal(kc_errcode(), KC_ERR_INPUT);
	kc_err(KC_ERR_INPUT, "%s:2: 'name' may only hold letters, not '%s'",
	    "evil\nkeyceremony: all checks passed.yaml", "a\nb\x1b[2Jc\x7f");
	assert_string_equal(kc_errmsg(), "evil\\x0akeyceremony: all checks "
	    "passed.yaml:2: 'name' may only hold letters, not "
	    "'a\\x0ab\\x1b[2Jc\\x7f'");
	/* C1 controls (raw and as UTF-8) and bidi overrides are escaped too;
	 * printable UTF-8 is kept; quoting the message again changes
	 * nothing. */
	kc_err(KC_ERR_INPUT, "subject %s", "M\xc3\xbcller\xc2\x9b" "2J\x9b"
	    "\xe2\x80\xae" "abc");
	assert_string_equal(kc_errmsg(), "subject M\xc3\xbcller\\x9b2J\\x9b"
	    "\\u{202E}abc");
	kc_err(KC_ERR_INPUT, "%s", kc_errmsg());
	assert_string_equal(kc_errmsg(), "subject M\xc3\xbcller\\x9b2J\\x9b"
	    "\\u{202E}abc");
	kc_err(KC_ERR_IO, "x");
	kc_err(KC_ERR_IO, "%s%s%s", kc_errmsg(), kc_errmsg(), kc_errmsg());
	assert_string_equal(kc_errmsg(), "xxx");
}

static void
write_n(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
}

static void
test_file_read_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 100000 };
	char path[128];
	unsigned char *d;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unlink(path);
		write_n(path, sizes[i]);
		assert_int_equal(kc_file_read(path, 100000, &d, &len), KC_OK);
		assert_int_equal(len, sizes[i]);
		assert_int_equal(d[len], '\0');
		if (len > 0)
			assert_int_equal(d[len - 1], 'a' + (int)((len - 1) % 26));
		free(d);
	}
	unlink(path);
	write_n(path, 100001);
	assert_int_equal(kc_file_read(path, 100000, &d, &len), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "too large"));
	assert_null(d);
}

/* Hostile inputs: a FIFO (with or without a writer), a symbolic link, a
 * file of another user, a directory. Each is refused at once with its
 * kind in the message: nothing hangs (alarm() turns a hang into a
 * failure). */
static void
refused(const char *path, const char *what)
{
	unsigned char *d = NULL;
	size_t len = 0;
	struct kc_secret *s = NULL;

	alarm(10);
	assert_int_not_equal(kc_file_read(path, 1 << 20, &d, &len), KC_OK);
	assert_non_null(strstr(kc_errmsg(), what));
	assert_non_null(strstr(kc_errmsg(), path));
	assert_null(d);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_ERR_PIN);
	assert_non_null(strstr(kc_errmsg(), what));
	assert_null(s);
	alarm(0);
}

static void
test_file_read_hostile(void **state)
{
	char path[128], target[128];
	pid_t pid;
	int st;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	refused(path, "is a FIFO");
	/* A writer waiting on the other end changes nothing. */
	if ((pid = fork()) == 0) {
		write_n(path, 50000);
		_exit(0);
	}
	refused(path, "is a FIFO");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	unlink(path);

	snprintf(target, sizeof(target), "%s/real", tmpdir);
	write_n(target, 100);
	chmod(target, 0600);
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	refused(path, "symbolic link");
	unlink(path);

	refused(tmpdir, "is a directory");

	if (geteuid() == 0) {
		assert_int_equal(chown(target, 65534, 65534), 0);
		refused(target, "owned by uid 65534");
		assert_int_equal(chown(target, 0, 0), 0);
	}
	unlink(target);
}

static void
test_secret_file(void **state)
{
	char path[128];
	struct kc_secret *s = NULL;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("123456\r\n", f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_ERR_PIN);
	assert_null(s);
	chmod(path, 0600);
	assert_int_equal(kc_secret_read_file(path, "PIN", &s), KC_OK);
	assert_string_equal(s->buf, "123456");
	assert_int_equal(s->len, 6);
	kc_secret_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_quotes_itself),
		cmocka_unit_test(test_file_read_sizes),
		cmocka_unit_test(test_file_read_hostile),
		cmocka_unit_test(test_secret_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* front.c: hardening, error lines, secrets from the terminal, yes/no. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "front.h"
#include "opt.h"

const char *kc_progname = "keyceremony";
int kc_front_verbosity;

void
kc_front_verbose(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (kc_front_verbosity < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", kc_progname, kc_disp_line(msg));
}

static void
log_stderr(enum kc_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == KC_LOG_DEBUG && getenv("KC_DEBUG") == NULL &&
	    kc_front_verbosity < 1)
		return;
	if (level == KC_LOG_INFO && kc_front_verbosity < 0)
		return;
	fprintf(stderr, "%s: %s%s\n", kc_progname,
	    level == KC_LOG_WARN ? "warning: " : "", kc_disp_line(msg));
}

void
kc_front_init(const char *progname)
{
	struct rlimit rl = { 0, 0 };

	kc_progname = progname;
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	kc_log_set_sink(log_stderr, NULL);
}

int
kc_front_fail(int rc)
{
	const char *m = kc_errmsg();

	fprintf(stderr, "%s: %s\n", kc_progname, *m ? m : kc_err_name(rc));
	return rc == KC_ERR_USAGE ? KC_EXIT_USAGE : KC_EXIT_FAIL;
}

int
kc_front_usage(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	/* the arguments are often the user's words (argv): escaped, with
	 * any escape made before kept */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", kc_progname, kc_disp_line(msg));
	return KC_EXIT_USAGE;
}

int
kc_front_days(const char *s, int max, int *days)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v <= 0 || v > max)
		return kc_front_usage("--days '%s' must be a whole number from "
		    "1 to %d%s", s, max, max >= 10950 ? " (30 years)" : "");
	*days = (int)v;
	return KC_EXIT_OK;
}

int
kc_front_tty(void)
{
	return isatty(STDERR_FILENO);
}

/* Reads one line from the terminal with echo off into s. */
static int
tty_read(int fd, const char *prompt, struct kc_secret *s)
{
	struct termios old, raw;
	size_t len = 0;
	char c;
	int rc = KC_OK;

	if (tcgetattr(fd, &old) == -1)
		return kc_err(KC_ERR_PIN, "cannot read the terminal: %s",
		    strerror(errno));
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	raw.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &raw) == -1)
		return kc_err(KC_ERR_PIN, "cannot use the terminal: %s",
		    strerror(errno));
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len >= s->cap) {
			rc = kc_err(KC_ERR_PIN, "input too long");
			continue;
		}
		s->buf[len++] = c;
	}
	OPENSSL_cleanse(&c, sizeof(c));
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = kc_err(KC_ERR_PIN, "terminal write failed");
	s->len = len;
	s->buf[len] = '\0';
	return rc;
}

int
kc_front_secret(const char *file, const char *what, int confirm,
    struct kc_secret **out)
{
	return kc_front_secret_for(file, what, NULL, confirm, out);
}

int
kc_front_secret_for(const char *file, const char *what, const char *whose,
    int confirm, struct kc_secret **out)
{
	struct kc_secret *a = NULL, *b = NULL;
	char prompt[1200], name[1100];
	int fd, rc;

	*out = NULL;
	if (file != NULL)
		return kc_secret_read_file(file, what, out);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return kc_err(KC_ERR_PIN, "no terminal to ask for the %s; give "
		    "it in a file readable only by you (--%s-file)", what,
		    strstr(what, "SO") != NULL ? "so-pin" :
		    strstr(what, "PIN") != NULL ? "pin" :
		    strstr(what, "PKCS#12") != NULL ? "pfx-pass" :
		    strstr(what, "device key") != NULL ? "key-pass" : "pass");
	if ((rc = kc_secret_new(KC_SECRET_MAX, &a)) != KC_OK)
		goto out;
	/* "passphrase for intermediate key D/intermediate.key: ": which
	 * secret, for which key or token (escaped: a path or label is not
	 * ours) */
	if (whose != NULL)
		snprintf(name, sizeof(name), "%s for %s", what, kc_disp(whose));
	else
		snprintf(name, sizeof(name), "%s", what);
	snprintf(prompt, sizeof(prompt), "%s: ", name);
	if ((rc = tty_read(fd, prompt, a)) != KC_OK)
		goto out;
	if (a->len == 0) {
		rc = kc_err(KC_ERR_PIN, "empty %s", what);
		goto out;
	}
	if (confirm) {
		if ((rc = kc_secret_new(KC_SECRET_MAX, &b)) != KC_OK)
			goto out;
		snprintf(prompt, sizeof(prompt), "%s (again): ", name);
		if ((rc = tty_read(fd, prompt, b)) != KC_OK)
			goto out;
		if (!kc_secret_equal(a, b)) {
			rc = kc_err(KC_ERR_PIN, "the two %ss differ", what);
			goto out;
		}
	}
	*out = a;
	a = NULL;
out:
	close(fd);
	kc_secret_free(a);
	kc_secret_free(b);
	return rc;
}

static int
tty_line(const char *prompt, char *buf, size_t bufsz)
{
	FILE *tty;
	int ok;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return 0;
	fputs(prompt, tty);
	fflush(tty);
	ok = fgets(buf, (int)bufsz, tty) != NULL;
	fclose(tty);
	if (ok)
		buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

int
kc_front_confirm(const char *question)
{
	char prompt[512], buf[16];

	snprintf(prompt, sizeof(prompt), "%s [y/N] ", question);
	if (!tty_line(prompt, buf, sizeof(buf)))
		return 0;
	return strcmp(buf, "y") == 0 || strcmp(buf, "yes") == 0;
}

int
kc_front_confirm_word(const char *prompt, const char *word)
{
	char p[512], buf[64];

	snprintf(p, sizeof(p), "%s (type %s): ", prompt, word);
	if (!tty_line(p, buf, sizeof(buf)))
		return 0;
	return strcmp(buf, word) == 0;
}

const char *
kc_front_optname(const char *word)
{
	char name[80];
	size_t n = 0;

	/* "--" and lower-case letters or dashes only (every real option is
	 * spelled so): "--days=30", "--p1234" and "--pX1" show as "--days...",
	 * "--p..." and "--p...", so a value glued on is not repeated */
	while (n < 64 && ((word[n] >= 'a' && word[n] <= 'z') || word[n] == '-'))
		n++;
	snprintf(name, sizeof(name), "%.*s%s", (int)n, word,
	    word[n] != '\0' ? "..." : "");
	return kc_disp(name);
}

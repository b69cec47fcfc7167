/* front.c: hardening, error lines, secrets from the terminal, dispatch. */
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

#include "kc/error.h"
#include "front.h"

const char *kc_progname = "keyceremony";

static void
log_stderr(enum kc_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == KC_LOG_DEBUG && getenv("KC_DEBUG") == NULL)
		return;
	fprintf(stderr, "%s: %s%s\n", kc_progname,
	    level == KC_LOG_WARN ? "warning: " : "", msg);
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
	va_list ap;

	fprintf(stderr, "%s: ", kc_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
	struct kc_secret *a = NULL, *b = NULL;
	char prompt[128];
	int fd, rc;

	*out = NULL;
	if (file != NULL)
		return kc_secret_read_file(file, what, out);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return kc_err(KC_ERR_PIN, "no terminal to ask for the %s; give "
		    "it in a file readable only by you (--%s-file)", what,
		    strstr(what, "SO") != NULL ? "so-pin" :
		    strstr(what, "PIN") != NULL ? "pin" :
		    strstr(what, "PKCS#12") != NULL ? "pfx-pass" : "pass");
	if ((rc = kc_secret_new(KC_SECRET_MAX, &a)) != KC_OK)
		goto out;
	snprintf(prompt, sizeof(prompt), "%s: ", what);
	if ((rc = tty_read(fd, prompt, a)) != KC_OK)
		goto out;
	if (a->len == 0) {
		rc = kc_err(KC_ERR_PIN, "empty %s", what);
		goto out;
	}
	if (confirm) {
		if ((rc = kc_secret_new(KC_SECRET_MAX, &b)) != KC_OK)
			goto out;
		snprintf(prompt, sizeof(prompt), "%s (again): ", what);
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

static void
print_commands(FILE *f, const struct kc_cmd *cmds)
{
	fprintf(f, "usage: %s <command> [options]\n\ncommands:\n", kc_progname);
	for (const struct kc_cmd *c = cmds; c->name != NULL; c++)
		fprintf(f, "  %s\n", c->synopsis);
	fprintf(f, "\n'%s <command> --help' shows a command's options; "
	    "man %s for the whole story.\n", kc_progname, kc_progname);
}

/* getopt_long accepts unambiguous prefixes, so "--pin 1234" would be
 * taken as "--pin-file 1234" and the PIN echoed back in an error. Refuse
 * any option that looks like a secret given on the command line, without
 * repeating its value. */
static int
secret_on_argv(int argc, char **argv)
{
	static const char *const bad[] = { "--pin", "--so-pin", "--pass",
	    "--passphrase", "--password", "--pw", "--secret", "--pfx-pass",
	    "--share", NULL };

	for (int i = 1; i < argc; i++) {
		size_t n;

		if (strcmp(argv[i], "--") == 0)
			break;
		for (int k = 0; bad[k] != NULL; k++) {
			n = strlen(bad[k]);
			if (strncmp(argv[i], bad[k], n) == 0 &&
			    (argv[i][n] == '\0' || argv[i][n] == '=')) {
				fprintf(stderr, "%s: %s: PINs and passphrases are "
				    "never taken from the command line; use the "
				    "matching --...-file option with a file of "
				    "mode 0600, or type it when asked\n",
				    kc_progname, bad[k]);
				return 1;
			}
		}
	}
	return 0;
}

int
kc_front_dispatch(const struct kc_cmd *cmds, int argc, char **argv)
{
	int known_name = 0;

	if (secret_on_argv(argc, argv))
		return KC_EXIT_USAGE;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		print_commands(argc < 2 ? stderr : stdout, cmds);
		return argc < 2 ? KC_EXIT_USAGE : KC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", kc_progname, PACKAGE_VERSION);
		return KC_EXIT_OK;
	}
	for (const struct kc_cmd *c = cmds; c->name != NULL; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		known_name = 1;
		if (c->sub == NULL)
			return c->fn(argc - 1, argv + 1);
		if (argc >= 3 && strcmp(c->sub, argv[2]) == 0)
			return c->fn(argc - 2, argv + 2);
	}
	if (known_name)
		fprintf(stderr, "%s: unknown '%s' command '%s'\n", kc_progname,
		    argv[1], argc >= 3 ? argv[2] : "");
	else
		fprintf(stderr, "%s: unknown command '%s'\n", kc_progname,
		    argv[1]);
	print_commands(stderr, cmds);
	return KC_EXIT_USAGE;
}

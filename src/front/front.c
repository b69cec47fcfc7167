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

static void
print_commands(FILE *f, const struct kc_cmd *cmds)
{
	fprintf(f, "usage: %s <command> [options]\n\ncommands:\n", kc_progname);
	for (const struct kc_cmd *c = cmds; c->name != NULL; c++)
		fprintf(f, "  %s\n", c->synopsis);
	fprintf(f, "\n'%s <command> --help' shows a command's options; "
	    "man %s for the whole story.\n", kc_progname, kc_progname);
}

/* "PROG token --help": the subcommands of one group, exit 0 */
static int
print_group(FILE *f, const struct kc_cmd *cmds, const char *name)
{
	fprintf(f, "usage: %s %s <subcommand> [options]\n\nsubcommands:\n",
	    kc_progname, name);
	for (const struct kc_cmd *c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			fprintf(f, "  %s\n", c->synopsis);
	fprintf(f, "\n'%s %s <subcommand> --help' shows its options.\n",
	    kc_progname, name);
	return KC_EXIT_OK;
}

/* "PROG help CMD [SUB]": that command's --help (or its group's list) */
static int
help_for(const struct kc_cmd *cmds, int argc, char **argv)
{
	int group = 0;

	for (const struct kc_cmd *c = cmds; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		group = 1;
		if (c->sub != NULL && (argc < 2 || strcmp(c->sub, argv[1]) != 0))
			continue;
		if (c->opts != NULL)
			kc_opt_help(c->opts, stdout);
		else
			printf("usage: %s %s\n", kc_progname, c->synopsis);
		return KC_EXIT_OK;
	}
	if (group && argc < 2)
		return print_group(stdout, cmds, argv[0]);
	fprintf(stderr, "%s: help: no command '%s%s%s'\n", kc_progname,
	    kc_disp(argv[0]), argc >= 2 ? " " : "",
	    argc >= 2 ? kc_disp(argv[1]) : "");
	print_commands(stderr, cmds);
	return KC_EXIT_USAGE;
}

/*
 * The parser accepts unambiguous prefixes (opt.c, as getopt_long did), so
 * "--pi 1234" would be taken as "--pin-file 1234" and the PIN echoed back
 * in "cannot open 1234".
 * Refused, without repeating a byte of the word (its name may hold the
 * secret too: "--pi1234"), is every "--NAME[=VALUE]" whose NAME is not
 * exactly an option of some command's table (opt.h: the same table that
 * parses it and prints its --help) and that, in lower case,
 *  - is a prefix of a secret word or of a secret-file option (--p, --s,
 *    --k: abbreviations, ambiguous or not), or
 *  - shares its first two characters or more with one (--pi, --pa, --pfx,
 *    --se, --sh, --ke, --pass-f, --pi1234), or
 *  - contains a secret stem (--new-pin, --pin-fil, --mypwd...).
 * tests/hostile/secret-argv.sh reads every real option from the
 * commands' --help and checks each passes, and every secret-looking
 * prefix is refused.
 */
static const char *const secret_words[] = { "pin", "pins", "so-pin",
    "sopin", "user-pin", "pass", "passin", "passphrase", "password",
    "passwd", "pw", "pwd", "secret", "pfx-pass", "pfx-password", "p12-pass",
    "key-pass", "key-passphrase", "share", "puk",
    "pin-file", "so-pin-file", "pass-file", "pfx-pass-file",
    "key-pass-file", "share-file", NULL };
static const char *const secret_stems[] = { "pin", "pass", "pwd", "secret",
    "share", "puk", NULL };

/* the command table of this process, for the options it knows */
static const struct kc_cmd *known_cmds;

static int
table_option(const char *name, size_t n)
{
	const struct kc_optdef *one[2] = { NULL, NULL };

	for (const struct kc_cmd *c = known_cmds; c != NULL && c->name != NULL;
	    c++) {
		if ((one[0] = c->opts) != NULL && kc_opt_known(one, name, n))
			return 1;
	}
	return 0;
}

static int
secret_name(const char *word)
{
	char name[64];
	size_t n = 0;

	for (const char *p = word + 2; *p != '\0' && *p != '='; p++) {
		if (n + 1 >= sizeof(name))
			return 1;	/* no real option is that long */
		name[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	}
	name[n] = '\0';
	if (n == 0)
		return 0;
	if (table_option(word + 2, n))
		return 0;	/* exactly an option of some command's table */
	for (int k = 0; secret_words[k] != NULL; k++) {
		const char *w = secret_words[k];
		size_t c = 0;

		while (c < n && w[c] != '\0' && w[c] == name[c])
			c++;
		if (c == n || c >= 2)
			return 1;
	}
	for (int k = 0; secret_stems[k] != NULL; k++)
		if (strstr(name, secret_stems[k]) != NULL)
			return 1;
	return 0;
}

static int
secret_on_argv(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--", 2) != 0 || !secret_name(argv[i]))
			continue;
		fprintf(stderr, "%s: argument %d looks like a secret option "
		    "(abbreviated, misspelled or with a value): refused, not "
		    "repeated. PINs, passphrases and shares are never taken "
		    "from the command line: spell the file option in full "
		    "(--pin-file, --pass-file, --share-file...) and give a "
		    "file of mode 0600, or type the secret when asked\n",
		    kc_progname, i);
		return 1;
	}
	return 0;
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

int
kc_front_dispatch(const struct kc_cmd *cmds, int argc, char **argv)
{
	int known_name = 0;

	known_cmds = cmds;
	if (secret_on_argv(argc, argv))
		return KC_EXIT_USAGE;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		print_commands(argc < 2 ? stderr : stdout, cmds);
		return argc < 2 ? KC_EXIT_USAGE : KC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", kc_progname, PACKAGE_VERSION);
		return KC_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)	/* "help CMD [SUB]" */
		return help_for(cmds, argc - 2, argv + 2);
	for (const struct kc_cmd *c = cmds; c->name != NULL; c++) {
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		known_name = 1;
		if (c->sub != NULL && argc == 3 && (strcmp(argv[2], "--help") == 0 ||
		    strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "help") == 0))
			return print_group(stdout, cmds, argv[1]);
		if (c->sub == NULL)
			return c->fn(argc - 1, argv + 1);
		if (argc >= 3 && strcmp(c->sub, argv[2]) == 0)
			return c->fn(argc - 2, argv + 2);
	}
	if (known_name)
		fprintf(stderr, "%s: unknown '%s' command '%s'\n", kc_progname,
		    kc_disp(argv[1]), argc >= 3 ? kc_disp(argv[2]) : "");
	else		/* "--name=value" before the command: not repeated */
		fprintf(stderr, "%s: unknown command '%s'\n", kc_progname,
		    argv[1][0] == '-' ? kc_front_optname(argv[1]) :
		    kc_disp(argv[1]));
	print_commands(stderr, cmds);
	return KC_EXIT_USAGE;
}

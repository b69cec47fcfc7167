/* dispatch.c: the command table of a program: --help, --version, group
 * and per-command help, the argv-secret screen over every option table,
 * and the call of the command. Above front.c and opt.c, which it uses. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "front.h"
#include "opt.h"

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

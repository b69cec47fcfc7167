/*
 * opt.h: the one command-line parser of both programs, driven by option
 * tables.
 *
 * A command describes itself once, in a struct kc_optdef: its name, its
 * synopsis, the notes of its --help, and a table of struct kc_opt, one row
 * per option: the name, the type of its value, where the value goes (an
 * offset into the command's own argument struct), the value's name and the
 * help text. From that one table:
 *   - kc_opt_parse() parses argv (long options only, "--name value" or
 *     "--name=value", an unambiguous prefix of a name accepted as
 *     getopt_long does, "--" ends the options), converts and range-checks
 *     values, checks required options and the number of operands;
 *   - --help (and -h) prints the generated usage on stdout, exit 0;
 *   - the error lines are one form for both programs: "CMD: unknown
 *     option '--x'", "CMD: ambiguous option '--x' (--xa, --xb)", "CMD:
 *     option '--x' needs a value", "CMD: option '--x' takes no value",
 *     "CMD: unexpected argument 'x'", "CMD: --x is required", followed by
 *     the usage line; a value is never repeated in them (kc_front_optname);
 *   - the argv-secret refusal (front.c) takes an option as real only when
 *     some table names it;
 *   - tests/softhsm/man-options.sh reads every command's --help and checks
 *     each option against the man page.
 *
 * Tables are static const and owned by the command's file; values stored
 * by the parser point into argv (owned by the caller, valid for the
 * process).
 */
#ifndef KC_OPT_H
#define KC_OPT_H

#include <stddef.h>
#include <stdio.h>

enum kc_opt_type {
	KC_OPT_FLAG,	/* no value; int target set to 1 */
	KC_OPT_STR,	/* const char * target; last one given wins */
	KC_OPT_INT,	/* int target, a whole number in [lo, hi] */
	KC_OPT_LONG,	/* long target, a whole number in [lo, hi] */
	KC_OPT_LIST,	/* struct kc_optlist target: every value, in order */
	KC_OPT_FN,	/* fn(value, target) converts and checks it */
	KC_OPT_COUNT	/* no value; int target incremented (-v -v) */
};

/* Row flags. */
#define KC_OPT_REQUIRED	0x01	/* must be given */
#define KC_OPT_HIDDEN	0x02	/* parsed, not listed by --help */

/* A repeatable option's values (KC_OPT_LIST); n is at most KC_OPTLIST_MAX,
 * more is a usage error naming the option. */
#define KC_OPTLIST_MAX	64
struct kc_optlist {
	const char	*v[KC_OPTLIST_MAX];
	int		 n;
};

struct kc_opt {
	const char	*name;		/* without "--" */
	enum kc_opt_type type;
	size_t		 off;		/* offsetof(struct args, member) */
	int		 flags;
	const char	*arg;		/* value name in --help ("FILE") */
	const char	*help;		/* one line or more ("\n" breaks) */
	long		 lo, hi;	/* KC_OPT_INT, KC_OPT_LONG */
	/* KC_OPT_FN: 0 when value is good and stored at target; otherwise
	 * prints its own usage line (kc_front_usage) and returns
	 * KC_EXIT_USAGE. */
	int		(*fn)(const char *value, void *target);
};

/* Rows, terse: KC_O_STR(struct args, out, "out", "FILE", "the CRL") */
#define KC_O_FLAG(T, m, name, help) \
	{ name, KC_OPT_FLAG, offsetof(T, m), 0, NULL, help, 0, 0, NULL }
#define KC_O_COUNT(T, m, name, help) \
	{ name, KC_OPT_COUNT, offsetof(T, m), 0, NULL, help, 0, 0, NULL }
#define KC_O_STR(T, m, name, arg, help) \
	{ name, KC_OPT_STR, offsetof(T, m), 0, arg, help, 0, 0, NULL }
#define KC_O_STR_REQ(T, m, name, arg, help) \
	{ name, KC_OPT_STR, offsetof(T, m), KC_OPT_REQUIRED, arg, help, 0, \
	    0, NULL }
#define KC_O_INT(T, m, name, arg, lo, hi, help) \
	{ name, KC_OPT_INT, offsetof(T, m), 0, arg, help, lo, hi, NULL }
#define KC_O_LONG(T, m, name, arg, lo, hi, help) \
	{ name, KC_OPT_LONG, offsetof(T, m), 0, arg, help, lo, hi, NULL }
#define KC_O_LIST(T, m, name, arg, help) \
	{ name, KC_OPT_LIST, offsetof(T, m), 0, arg, help, 0, 0, NULL }
#define KC_O_FN(T, m, name, arg, fn, help) \
	{ name, KC_OPT_FN, offsetof(T, m), 0, arg, help, 0, 0, fn }
/* --days N: 1 to KC_DAYS_MAX, the message of kc_front_days() */
#define KC_O_DAYS(T, m, name, help) \
	{ name, KC_OPT_FN, offsetof(T, m), 0, "N", help, 0, 0, kc_opt_days }
#define KC_O_END { NULL, KC_OPT_FLAG, 0, 0, NULL, NULL, 0, 0, NULL }

/* Definition flags. */
#define KC_OPTDEF_STOP	0x01	/* options end at the first operand */
/* The command also takes the common --quiet and --verbose (rows of opt.c,
 * listed by --help after the command's own): they set kc_front_verbosity
 * (front.h), -1 for --quiet (errors and warnings only), 1 for --verbose
 * (2 for --verbose --verbose: what each step does); giving both is a usage
 * error. A row of the command's own table with the same name wins. */
#define KC_OPTDEF_VERBOSITY 0x02

struct kc_optdef {
	const char	*cmd;		/* "token list", "sign" */
	const char	*synopsis;	/* after the program name, one line or
					 * more; NULL: generated */
	const char	*notes;		/* printed after the options; or NULL */
	const struct kc_opt *opts;	/* ends with KC_O_END */
	int		 min_args, max_args;	/* operands; max -1: any */
	const char	*args_name;	/* operands in the generated synopsis */
	int		 flags;
};

/*
 * Parses argv[1..argc-1] (argv[0] is the command name) into args.
 * Returns -1 to go on, with *first (when not NULL) the index in argv of
 * the first operand: operands are moved after the options, in order, as
 * getopt_long permutes them. Otherwise returns the exit status to leave
 * with: KC_EXIT_OK after --help, KC_EXIT_USAGE after a usage error (the
 * message and usage line printed on stderr).
 */
int kc_opt_parse(const struct kc_optdef *def, int argc, char **argv,
    void *args, int *first);

/* KC_OPT_FN converters: an int of days (1..KC_DAYS_MAX). */
int kc_opt_days(const char *value, void *target);

/* The usage of def (synopsis, options, notes), as --help prints it. */
void kc_opt_help(const struct kc_optdef *def, FILE *fp);

/* The usage line alone ("usage: PROG SYNOPSIS"), for messages. */
void kc_opt_usage_line(const struct kc_optdef *def, FILE *fp);

/* 1 when name (without "--", up to '=' or the end) is exactly an option of
 * one of the definitions in defs (NULL-terminated); for the argv-secret
 * refusal. */
int kc_opt_known(const struct kc_optdef *const *defs, const char *name,
    size_t len);

#endif

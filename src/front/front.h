/*
 * front.h: what keyceremony and factorysign share at the edge: process
 * hardening, the error line, secrets from a file or the terminal, yes/no
 * confirmation and the command table. Unlike libkc, these may print and the
 * programs' main() may exit with their results.
 */
#ifndef KC_FRONT_H
#define KC_FRONT_H

#include <stdio.h>

#include "kc/core/secret.h"

/* Exit statuses of both programs (documented in their man pages). */
#define KC_EXIT_OK	0
#define KC_EXIT_FAIL	1	/* the operation failed or was refused */
#define KC_EXIT_USAGE	2	/* bad command line */

extern const char *kc_progname;

/* How much a command says (the common --quiet and --verbose of opt.h's
 * KC_OPTDEF_VERBOSITY): -1 quiet (errors and warnings only: no progress or
 * summary lines), 0 normal, 1 or more verbose (what each step does, on
 * stderr; the libraries' debug lines too). */
extern int kc_front_verbosity;
/* "progname: <message>" on stderr when kc_front_verbosity >= 1. */
void kc_front_verbose(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Core dumps off (RLIMIT_CORE 0, PR_SET_DUMPABLE 0), stdio line buffering,
 * the libkc log sink to stderr. Call first in main(). */
void kc_front_init(const char *progname);

/* Prints "progname: <kc_errmsg()>" to stderr and returns the exit status
 * for rc (KC_EXIT_USAGE for KC_ERR_USAGE, else KC_EXIT_FAIL). */
int kc_front_fail(int rc);
/* Prints "progname: <message>" and returns KC_EXIT_USAGE. */
int kc_front_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A secret from file (when not NULL) or typed on the terminal without echo
 * (twice when confirm is set). Never from argv or the environment. Fails
 * with KC_ERR_PIN when there is no file and no terminal. */
int kc_front_secret(const char *file, const char *what, int confirm,
    struct kc_secret **out);
/* The same, the prompt naming what the secret unlocks: "<what> for
 * <whose>: " (whose escaped; NULL: "<what>: "). */
int kc_front_secret_for(const char *file, const char *what,
    const char *whose, int confirm, struct kc_secret **out);

/* Parses a --days value: a whole number from 1 to max. On failure prints
 * the usage line and returns KC_EXIT_USAGE; KC_EXIT_OK otherwise. */
int kc_front_days(const char *s, int max, int *days);

/* Asks "question [y/N]" on the terminal; 1 for yes. Without a terminal it
 * returns 0 (the caller tells the user about --yes). */
int kc_front_confirm(const char *question);
/* Asks the operator to type word exactly; 1 when they did. */
int kc_front_confirm_word(const char *prompt, const char *word);

/* Writes s to stdout as a JSON string: quotes, backslashes and control
 * characters escaped, invalid UTF-8 as U+FFFD, C1, bidirectional and
 * invisible format characters (what kc/display.h escapes) as \uXXXX, so
 * the output always parses and cannot drive a terminal (attest). */
void kc_front_json_str(const char *s);
/* The same for strings not trusted to be UTF-8 (a module's token fields,
 * register and ledger values): printable ASCII as it is, every other byte
 * as \u00XX (bytes, not characters), so the document is all ASCII (token
 * probe, both status commands). */
void kc_front_json_bytes(const char *s);
/* The same into fp (a document built in memory, e.g. for --out). */
void kc_front_json_bytes_fp(FILE *fp, const char *s);

/* 1 when stderr is a terminal (for progress lines). */
int kc_front_tty(void);

/* The name of a command-line word without its value ("--days=x" gives
 * "--days=..."), escaped for display: for "bad option" messages, which must
 * never repeat a value. Thread-local ring buffer of kc_disp(). */
const char *kc_front_optname(const char *word);

/* A subcommand: "token list" is {"token", "list", ...}; a one-word command
 * has sub NULL. */
struct kc_optdef;
struct kc_cmd {
	const char *name;
	const char *sub;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	/* the command's option table (opt.h): its --help, and the options
	 * the argv-secret refusal knows as real */
	const struct kc_optdef *opts;
};
/* Finds the command for argv[1] [argv[2]] and runs it with argv shifted so
 * that argv[0] is the command name; prints the table on --help or an
 * unknown command. */
int kc_front_dispatch(const struct kc_cmd *cmds, int argc, char **argv);

#endif

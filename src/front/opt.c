/* opt.c: the table-driven command-line parser of both programs (opt.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/core/display.h"
#include "kc/core/x509.h"
#include "front.h"
#include "opt.h"

/* The common rows of KC_OPTDEF_VERBOSITY (targets: the two counters
 * below, not the command's struct) */
static int quiet_given, verbose_given;
static const struct kc_opt verbosity_opts[] = {
	{ "quiet", KC_OPT_FLAG, 0, 0, NULL,
	  "errors and warnings only: no progress or summary\n"
	  "lines (what the command is asked to write still is)", 0, 0, NULL },
	{ "verbose", KC_OPT_COUNT, 0, 0, NULL,
	  "say what each step does, on stderr", 0, 0, NULL },
	KC_O_END
};

static int
is_common(const struct kc_opt *o)
{
	return o >= verbosity_opts &&
	    o < verbosity_opts + sizeof(verbosity_opts) / sizeof(*o);
}

static void
help_rows(const struct kc_opt *opts, FILE *fp);

void
kc_opt_usage_line(const struct kc_optdef *def, FILE *fp)
{
	const struct kc_opt *o;

	if (def->synopsis != NULL) {
		fprintf(fp, "usage: %s %s\n", kc_progname, def->synopsis);
		return;
	}
	/* generated: the required options, then [options] and operands */
	fprintf(fp, "usage: %s %s", kc_progname, def->cmd);
	for (o = def->opts; o->name != NULL; o++)
		if (o->flags & KC_OPT_REQUIRED)
			fprintf(fp, " --%s%s%s", o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
	for (o = def->opts; o->name != NULL; o++)
		if (!(o->flags & (KC_OPT_REQUIRED | KC_OPT_HIDDEN)))
			break;
	if (o->name != NULL)
		fputs(" [options]", fp);
	if (def->args_name != NULL)
		fprintf(fp, " %s", def->args_name);
	fputc('\n', fp);
}

void
kc_opt_help(const struct kc_optdef *def, FILE *fp)
{
	kc_opt_usage_line(def, fp);
	help_rows(def->opts, fp);
	if (def->flags & KC_OPTDEF_VERBOSITY)
		help_rows(verbosity_opts, fp);
	fputs("  --help              this text\n", fp);
	if (def->notes != NULL)
		fputs(def->notes, fp);
}

static void
help_rows(const struct kc_opt *opts, FILE *fp)
{
	for (const struct kc_opt *o = opts; o->name != NULL; o++) {
		char left[64];
		const char *h = o->help != NULL ? o->help : "";
		int n;

		if (o->flags & KC_OPT_HIDDEN)
			continue;
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
		fputs(left, fp);
		/* the help text in a column; continuation lines indented */
		if (n >= 22) {
			fputc('\n', fp);
			n = 0;
		}
		fprintf(fp, "%*s", 22 - n, "");
		for (const char *p = h; *p != '\0'; p++) {
			fputc(*p, fp);
			if (*p == '\n' && p[1] != '\0')
				fprintf(fp, "%22s", "");
		}
		fputc('\n', fp);
	}
}

/* "CMD: <message>\nusage: ..." on stderr; KC_EXIT_USAGE. The arguments
 * are already escaped and value-free. */
static int usage_error(const struct kc_optdef *def, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const struct kc_optdef *def, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", kc_progname, def->cmd, msg);
	kc_opt_usage_line(def, stderr);
	return KC_EXIT_USAGE;
}

/* The row named by word (after "--", up to '=' or the end): an exact
 * match, else the one option it is a prefix of. NULL with *ambiguous set
 * when several are. */
static const struct kc_opt *
find(const struct kc_optdef *def, const char *word, size_t len,
    int *ambiguous)
{
	const struct kc_opt *hit = NULL;

	*ambiguous = 0;
	const struct kc_opt *tables[2] = { def->opts,
	    (def->flags & KC_OPTDEF_VERBOSITY) ? verbosity_opts : NULL };

	for (int k = 0; k < 2 && tables[k] != NULL; k++)
		for (const struct kc_opt *o = tables[k]; o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, word, len) == 0)
				return o;
	for (int k = 0; k < 2 && tables[k] != NULL; k++)
		for (const struct kc_opt *o = tables[k]; o->name != NULL; o++) {
			if (strncmp(o->name, word, len) != 0)
				continue;
			if (hit != NULL)
				*ambiguous = 1;
			hit = o;
		}
	return *ambiguous ? NULL : hit;
}

static int
ambiguity(const struct kc_optdef *def, const char *word, size_t len)
{
	char list[512];
	size_t n = 0;

	const struct kc_opt *tables[2] = { def->opts,
	    (def->flags & KC_OPTDEF_VERBOSITY) ? verbosity_opts : NULL };

	list[0] = '\0';
	for (int k = 0; k < 2 && tables[k] != NULL; k++)
		for (const struct kc_opt *o = tables[k]; o->name != NULL; o++)
			if (strncmp(o->name, word + 2, len) == 0 &&
			    n + strlen(o->name) + 5 < sizeof(list))
				n += (size_t)snprintf(list + n, sizeof(list) - n,
				    "%s--%s", n ? ", " : "", o->name);
	return usage_error(def, "ambiguous option '%s' (%s)",
	    kc_front_optname(word), list);
}

static int
number(const struct kc_optdef *def, const struct kc_opt *o,
    const char *value, long *out)
{
	char *end;
	long v;

	(void)def;
	errno = 0;
	v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || errno != 0 || v < o->lo ||
	    v > o->hi) {
		kc_front_usage("--%s '%s' must be a whole number from %ld to %ld",
		    o->name, value, o->lo, o->hi);
		return KC_EXIT_USAGE;
	}
	*out = v;
	return KC_EXIT_OK;
}

static int
store(const struct kc_optdef *def, const struct kc_opt *o, const char *value,
    void *args)
{
	char *t = is_common(o) ? (char *)(o->type == KC_OPT_FLAG ?
	    &quiet_given : &verbose_given) : (char *)args + o->off;
	long v;
	int rc;

	switch (o->type) {
	case KC_OPT_FLAG:
		*(int *)t = 1;
		return -1;
	case KC_OPT_COUNT:
		(*(int *)t)++;
		return -1;
	case KC_OPT_STR:
		*(const char **)t = value;
		return -1;
	case KC_OPT_INT:
	case KC_OPT_LONG:
		if ((rc = number(def, o, value, &v)) != KC_EXIT_OK)
			return rc;
		if (o->type == KC_OPT_INT)
			*(int *)t = (int)v;
		else
			*(long *)t = v;
		return -1;
	case KC_OPT_LIST: {
		struct kc_optlist *l = (struct kc_optlist *)(void *)t;

		if (l->n >= KC_OPTLIST_MAX)
			return usage_error(def, "--%s given more than %d times",
			    o->name, KC_OPTLIST_MAX);
		l->v[l->n++] = value;
		return -1;
	}
	case KC_OPT_FN:
		return o->fn(value, t) == 0 ? -1 : KC_EXIT_USAGE;
	}
	return KC_EXIT_USAGE;
}

static int
takes_value(const struct kc_opt *o)
{
	return o->type != KC_OPT_FLAG && o->type != KC_OPT_COUNT;
}

int
kc_opt_parse(const struct kc_optdef *def, int argc, char **argv, void *args,
    int *first)
{
	unsigned char given[128];
	int nopts = 0, nops = 0, i, w, rc;
	char **ops;

	for (const struct kc_opt *o = def->opts; o->name != NULL; o++)
		nopts++;
	if (nopts > (int)sizeof(given))
		return usage_error(def, "too many options in its table");
	memset(given, 0, sizeof(given));
	quiet_given = verbose_given = 0;
	if ((ops = calloc((size_t)argc + 1, sizeof(*ops))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", kc_progname);
		return KC_EXIT_FAIL;
	}

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *value = NULL;
		const struct kc_opt *o;
		size_t len;
		int amb;

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				ops[nops++] = argv[i];
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			kc_opt_help(def, stdout);
			free(ops);
			return KC_EXIT_OK;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (def->flags & KC_OPTDEF_STOP) {
				while (i < argc)
					ops[nops++] = argv[i++];
				break;
			}
			ops[nops++] = argv[i];
			continue;
		}
		if (a[1] != '-') {
			rc = usage_error(def, "unknown option '%s'",
			    kc_front_optname(a));
			goto out;
		}
		eq = strchr(a + 2, '=');
		len = eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		if ((o = find(def, a + 2, len, &amb)) == NULL) {
			rc = amb ? ambiguity(def, a, len) :
			    usage_error(def, "unknown option '%s'",
			    kc_front_optname(a));
			goto out;
		}
		if (!takes_value(o)) {
			if (eq != NULL) {
				rc = usage_error(def, "option '--%s' takes no "
				    "value", o->name);
				goto out;
			}
		} else if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			rc = usage_error(def, "option '--%s' needs a value",
			    o->name);
			goto out;
		}
		if (!is_common(o))
			given[o - def->opts] = 1;
		if ((rc = store(def, o, value, args)) >= 0)
			goto out;
	}
	for (const struct kc_opt *o = def->opts; o->name != NULL; o++)
		if ((o->flags & KC_OPT_REQUIRED) && !given[o - def->opts]) {
			rc = usage_error(def, "--%s is required", o->name);
			goto out;
		}
	if (nops < def->min_args) {
		rc = usage_error(def, "%s is missing", def->args_name ?
		    def->args_name : "an argument");
		goto out;
	}
	if (def->max_args >= 0 && nops > def->max_args) {
		rc = usage_error(def, "unexpected argument '%s'",
		    kc_disp(ops[def->max_args]));
		goto out;
	}
	if (quiet_given && verbose_given) {
		rc = usage_error(def, "--quiet and --verbose exclude each other");
		goto out;
	}
	if (def->flags & KC_OPTDEF_VERBOSITY)
		kc_front_verbosity = quiet_given ? -1 : verbose_given;
	/* operands after the options, in their order */
	w = argc - nops;
	for (i = 0; i < nops; i++)
		argv[w + i] = ops[i];
	if (first != NULL)
		*first = w;
	free(ops);
	return -1;
out:
	free(ops);
	return rc;
}

int
kc_opt_days(const char *value, void *target)
{
	return kc_front_days(value, KC_DAYS_MAX, target) == KC_EXIT_OK ? 0 : -1;
}

int
kc_opt_known(const struct kc_optdef *const *defs, const char *name,
    size_t len)
{
	for (; *defs != NULL; defs++) {
		for (const struct kc_opt *o = (*defs)->opts; o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, name, len) == 0)
				return 1;
		if ((*defs)->flags & KC_OPTDEF_VERBOSITY)
			for (const struct kc_opt *o = verbosity_opts;
			    o->name != NULL; o++)
				if (strlen(o->name) == len &&
				    strncmp(o->name, name, len) == 0)
					return 1;
	}
	return 0;
}

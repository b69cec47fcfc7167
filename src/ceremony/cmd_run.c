/* cmd_run.c: keyceremony run: a ceremony file, start to finish, on the
 * terminal or in --batch (see kc/engine.h). */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/paper.h"
#include "kc/ceremony/review.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

struct args {
	const char *site_path, *module, *token, *serial, *pin_file, *state;
	const char *media, *network, *backup_medium;
	struct kc_optlist roles, share_files;
	int batch, check_only;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, site_path, "site", "FILE", "site profile: module, token, PIN file, state, media"),
	KC_O_FLAG(A, batch, "batch", "no questions (rehearsals, tests); confirmations\n"
	    "are recorded as confirmed-by-batch"),
	KC_O_LIST(A, roles, "role", "ROLE=NAME", "who plays ROLE (recorded in the transcript)"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (overrides the site profile)"),
	KC_O_STR(A, token, "token", "LABEL", "token label (overrides the site profile)"),
	KC_O_STR(A, serial, "serial", "SERIAL", "token serial (overrides the site profile)"),
	KC_O_STR(A, pin_file, "pin-file", "FILE", "user PIN, first line (overrides the site profile)"),
	KC_O_STR(A, state, "state", "DIR", "state directory (overrides the site profile)"),
	KC_O_STR(A, media, "media", "DIR", "media directory (overrides the site profile)"),
	KC_O_STR(A, network, "network", "POLICY", "warn or refuse when an interface is up\n"
	    "(default: the site profile's, else warn)"),
	KC_O_STR(A, backup_medium, "backup-medium", "DIR", "a root-restore step: the backup medium\n"
	    "(keyceremony backup create wrote it)"),
	KC_O_LIST(A, share_files, "share-file", "FILE", "a root-restore step: a custodian's share sheet\n"
	    "(0600); repeat K times; else the custodians type\n"
	    "their shares (no echo)"),
	KC_O_FLAG(A, check_only, "check", "validate FILE alone (and SITE when given) and\n"
	    "print what each step will issue; no token,\n"
	    "no state directory"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_run_opts = {
	"run",
	"run FILE --site SITE [--batch] [--role ROLE=NAME ...]\n"
	"       keyceremony run FILE --module M --token T --pin-file P --state S "
	"--media DIR [--batch]\n"
	"       keyceremony run FILE ... --backup-medium DIR [--share-file F ...]\n"
	"       keyceremony run FILE --check\n"
	"           (each with [--quiet|--verbose])",
	"\nRuns the ceremony in FILE (see ceremony(5)): preflight checks, login,\n"
	"each step through the same operations as the subcommands, a\n"
	"hash-chained transcript in STATE/transcripts/, and its final digest\n"
	"in hex and PGP words for the witnesses to write on paper.\n"
	"--quiet drops the progress lines on stderr, not the record on stdout\n"
	"(step headers, summaries, the final digest), which the witnesses read.\n",
	opts, 0, -1, "FILE", KC_OPTDEF_VERBOSITY
};

/* Progress on stderr. The engine's "step N/M id: title" line is not
 * repeated (but with --verbose): run prints each step's header (and
 * summary) on stdout itself, and on a terminal both would show. --quiet:
 * none. */
static void
progress(void *arg, const char *msg)
{
	(void)arg;
	if (kc_front_verbosity < 0)
		return;
	if (strncmp(msg, "step ", 5) == 0 && msg[5] >= '1' && msg[5] <= '9' &&
	    kc_front_verbosity < 1)
		return;
	fprintf(stderr, "%s: %s\n", kc_progname, kc_disp_line(msg));
}

/* Multi-line text from the library (summaries, details, questions: our
 * words with the strings that are not ours quoted in them), each line
 * escaped once more (kc_display_text) and printed after prefix. */
static void
print_text(FILE *f, const char *prefix, const char *text)
{
	char *safe = kc_display_text(text), *p;

	if (safe == NULL) {
		fprintf(f, "%s(out of memory)\n", prefix);
		return;
	}
	for (p = safe; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		fprintf(f, "%s%.*s\n", prefix, (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	free(safe);
}

struct run_ui {
	const struct kc_ceremony *cer;
	char	**names;	/* per role, as typed or from --role */
	const struct kc_step_result *cur;	/* the step being run */
};

static int
confirm(void *arg, const char *role, const char *text)
{
	struct run_ui *u = arg;
	const char *title = role, *name = "";
	char q[256];

	for (size_t i = 0; i < kc_ceremony_nroles(u->cer); i++)
		if (strcmp(kc_ceremony_role(u->cer, i)->id, role) == 0) {
			title = kc_ceremony_role(u->cer, i)->title;
			name = u->names[i] ? u->names[i] : "";
		}
	/* The CSR's hash from the step's structured field (set by the
	 * operation before it asks), first; then the text, escaped. */
	fputc('\n', stderr);
	if (u->cur != NULL && u->cur->in_sha256[0] != '\0') {
		char words[32 * 12];

		fprintf(stderr, "CSR SHA-256 (of the CSR file's bytes, computed "
		    "by keyceremony):\n  %s\n", kc_hash(u->cur->in_sha256));
		if (kc_hash_words(u->cur->in_sha256, words, sizeof(words)) ==
		    KC_OK)
			fprintf(stderr, "  PGP words: %s\n", words);
		fputc('\n', stderr);
	}
	print_text(stderr, "", text);
	snprintf(q, sizeof(q), "%s%s%s%s, do you confirm?", kc_disp(title),
	    name[0] ? " (" : "", kc_disp(name), name[0] ? ")" : "");
	return kc_front_confirm(q);
}

/* Asks the terminal for the name of a role; NULL without a terminal. */
static char *
ask_name(const struct kc_role_info *r)
{
	char buf[128];
	FILE *tty = fopen("/dev/tty", "r+");
	char *name = NULL;

	if (tty == NULL)
		return NULL;
	fprintf(tty, "Name of the %s (%s): ", kc_disp(r->title),
	    kc_disp(r->duty[0] ? r->duty : r->id));
	fflush(tty);
	if (fgets(buf, sizeof(buf), tty) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] != '\0')
			name = strdup(buf);
	}
	fclose(tty);
	return name;
}

static void
indent(const char *text)
{
	if (text[0] != '\0')
		print_text(stdout, "      ", text);
}

static void
print_digest(const struct kc_engine_summary *sum)
{
	char two[KC_HASH_SHOW_MAX], *nl;

	printf("\nTranscript: %s (%zu records, %s)\n", kc_disp(sum->transcript),
	    sum->records, sum->completed ? "completed" : "ABORTED");
	/* the one form of a hash (kc_hash_show), two lines of four groups */
	kc_hash_show(sum->digest, KC_HASH_TWO_LINES, two, sizeof(two));
	if ((nl = strchr(two, '\n')) != NULL)
		*nl = '\0';
	printf("Final digest (witnesses write it on paper):\n  %s\n  %s\n", two,
	    nl != NULL ? nl + 1 : "");
	printf("PGP words:\n");
	{
		const char *p = sum->words;
		int w = 0;
		printf("  ");
		while (*p) {
			if (*p == ' ' && ++w % 8 == 0)
				printf("\n  ");
			else
				putchar(*p);
			p++;
		}
		printf("\n");
	}
	if (sum->rehearsal)
		printf("REHEARSAL: software token; nothing made here is for "
		    "production.\n");
	printf("Check later with: %s transcript verify %s --digest HEX\n",
	    kc_progname, kc_disp(sum->transcript));
}

/* A custodian's backup share, typed without echo (a root-restore step). */
static int
ask_share(void *arg, const char *role, const char *prompt,
    struct kc_secret **out)
{
	(void)arg;
	(void)role;
	fprintf(stderr, "%s\n", prompt);
	return kc_front_secret(NULL, "backup share", 0, out);
}

static int
set_role(struct kc_engine *e, const char *spec)
{
	char role[64];
	const char *eq = strchr(spec, '=');

	if (eq == NULL || eq == spec || (size_t)(eq - spec) >= sizeof(role))
		return kc_err(KC_ERR_USAGE, "--role wants ROLE=NAME, not '%s'",
		    spec);
	memcpy(role, spec, (size_t)(eq - spec));
	role[eq - spec] = '\0';
	return kc_engine_set_role(e, role, eq + 1);
}

int
cmd_run(int argc, char **argv)
{
	struct args a;
	const char *site_path, *module, *token;
	const char *serial, *pin_file, *state;
	const char *media, *network, *const *roles;
	struct kc_ceremony *cer = NULL;
	struct kc_site *site = NULL;
	struct kc_engine *e = NULL;
	struct kc_secret *pin = NULL;
	struct run_ui ru = { NULL, NULL, NULL };
	struct kc_engine_ui ui = { progress, confirm, &ru };
	struct kc_engine_summary sum;
	size_t nroles;
	int rc, batch, check_only, first, exit_rc = KC_EXIT_FAIL;

	/* Line by line: stdout and stderr sent to one pipe or file (2>&1 |
	 * tee) keep the order in which they were written. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&a, 0, sizeof(a));
	if ((rc = kc_opt_parse(&cmd_run_opts, argc, argv, &a, &first)) >= 0)
		return rc;
	if (a.roles.n > 32)
		return kc_front_usage("run: too many --role");
	site_path = a.site_path;
	module = a.module;
	token = a.token;
	serial = a.serial;
	pin_file = a.pin_file;
	state = a.state;
	media = a.media;
	network = a.network;
	roles = a.roles.v;
	nroles = (size_t)a.roles.n;
	batch = a.batch;
	check_only = a.check_only;
	if (first + 1 != argc) {
		kc_opt_usage_line(&cmd_run_opts, stderr);
		return kc_front_usage(first == argc ? "run: no ceremony file" :
		    "run: one ceremony file at a time");
	}
	if (network != NULL && strcmp(network, "warn") != 0 &&
	    strcmp(network, "refuse") != 0)
		return kc_front_usage("run: --network wants warn or refuse");

	/* The whole ceremony file and site profile are validated before
	 * anything else happens. */
	if ((rc = kc_ceremony_load(argv[first], &cer)) != KC_OK)
		goto fail;
	if (site_path != NULL)
		rc = kc_site_load(site_path, &site);
	else if ((rc = kc_site_new(&site)) == KC_OK)
		site->network = KC_POLICY_WARN;
	if (rc != KC_OK)
		goto fail;
	if ((module && (rc = kc_site_set(&site->module, module)) != KC_OK) ||
	    (token && (rc = kc_site_set(&site->token_label, token)) != KC_OK) ||
	    (serial && (rc = kc_site_set(&site->token_serial, serial)) !=
	    KC_OK) ||
	    (pin_file && (rc = kc_site_set(&site->pin_file, pin_file)) !=
	    KC_OK) ||
	    (state && (rc = kc_site_set(&site->state_dir, state)) != KC_OK) ||
	    (media && (rc = kc_site_set(&site->media_dir, media)) != KC_OK))
		goto fail;
	if (network != NULL)
		site->network = strcmp(network, "warn") == 0 ? KC_POLICY_WARN :
		    KC_POLICY_REFUSE;
	/* --check: the ceremony file alone (and the site profile when one
	 * is given); no token, no state directory. */
	if (check_only) {
		char *review = NULL;

		if ((rc = kc_ceremony_review(cer, &review)) != KC_OK)
			goto fail;
		print_text(stdout, "", review);
		free(review);
		if (site_path != NULL)
			printf("\nSite profile %s: valid (not used by --check)\n",
			    kc_disp_quoted(site_path));
		printf("\n%s: ceremony '%s' is valid: %zu roles, %zu steps "
		    "(SHA-256 %s)\n", kc_disp(argv[first]),
		    kc_disp(kc_ceremony_name(cer)),
		    kc_ceremony_nroles(cer), kc_ceremony_nsteps(cer),
		    kc_hash(kc_ceremony_sha256(cer)));
		exit_rc = fflush(stdout) == 0 ? KC_EXIT_OK : KC_EXIT_FAIL;
		goto out;
	}
	if ((rc = kc_site_complete(site)) != KC_OK)
		goto fail;
	if (batch && site->pin_file == NULL) {
		rc = kc_err(KC_ERR_USAGE, "--batch needs a PIN file (--pin-file "
		    "or pin-file in the site profile)");
		goto fail;
	}
	/* Roles are checked before anything is written. */
	for (size_t i = 0; i < nroles; i++) {
		const char *eq = strchr(roles[i], '=');
		size_t k;
		if (eq == NULL || eq == roles[i] || eq[1] == '\0') {
			rc = kc_err(KC_ERR_USAGE, "--role wants ROLE=NAME, not "
			    "'%s'", roles[i]);
			goto fail;
		}
		for (k = 0; k < kc_ceremony_nroles(cer); k++)
			if (strlen(kc_ceremony_role(cer, k)->id) ==
			    (size_t)(eq - roles[i]) && strncmp(kc_ceremony_role(
			    cer, k)->id, roles[i], (size_t)(eq - roles[i])) == 0)
				break;
		if (k == kc_ceremony_nroles(cer)) {
			rc = kc_err(KC_ERR_USAGE, "ceremony '%s' has no role "
			    "'%.*s'", kc_ceremony_name(cer),
			    (int)(eq - roles[i]), roles[i]);
			goto fail;
		}
	}
	/* A PIN file is read (and its permissions checked) before the token
	 * is touched. */
	if (site->pin_file != NULL &&
	    (rc = kc_secret_read_file(site->pin_file, "PIN", &pin)) != KC_OK)
		goto fail;

	if ((rc = kc_engine_new(cer, site, batch ? KC_ENGINE_BATCH : 0, &ui,
	    &e)) != KC_OK)
		goto fail;
	/* the export step writes the report of the closed transcript too */
	kc_engine_set_report(e, kc_paper_report_cb, NULL);
	for (size_t i = 0; i < nroles; i++)
		if ((rc = set_role(e, roles[i])) != KC_OK)
			goto fail;
	if ((a.backup_medium != NULL || a.share_files.n > 0) &&
	    (rc = kc_engine_set_backup(e, a.backup_medium,
	    (const char *const *)a.share_files.v, (size_t)a.share_files.n,
	    batch ? NULL : ask_share, NULL)) != KC_OK)
		goto fail;
	ru.cer = cer;
	if ((ru.names = calloc(kc_ceremony_nroles(cer) + 1,
	    sizeof(char *))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t k = 0; k < kc_ceremony_nroles(cer); k++) {
		const struct kc_role_info *ri = kc_ceremony_role(cer, k);
		for (size_t i = 0; i < nroles; i++)
			if (strncmp(roles[i], ri->id, strlen(ri->id)) == 0 &&
			    roles[i][strlen(ri->id)] == '=')
				ru.names[k] = strdup(roles[i] +
				    strlen(ri->id) + 1);
		if (ru.names[k] == NULL && !batch &&
		    (ru.names[k] = ask_name(ri)) != NULL &&
		    (rc = kc_engine_set_role(e, ri->id, ru.names[k])) != KC_OK)
			goto fail;
	}
	printf("Ceremony: %s (%s)\n  file %s\n  SHA-256 %s\n",
	    kc_disp_quoted(kc_ceremony_title(cer)),
	    kc_disp(kc_ceremony_name(cer)), kc_disp_quoted(argv[first]),
	    kc_hash(kc_ceremony_sha256(cer)));
	printf("Site: %s; token %s; state %s; media %s\n",
	    site->name ? kc_disp_quoted(site->name) : "(command line)",
	    kc_disp_quoted(site->token_label), kc_disp_quoted(site->state_dir),
	    kc_disp_quoted(site->media_dir));

	printf("\nPreflight:\n");
	for (size_t i = 0; i < kc_engine_ncheck(e); i++) {
		struct kc_check_result r;
		if ((rc = kc_engine_check(e, i, &r)) != KC_OK)
			goto fail;
		printf("  [%s] %s\n", kc_check_status_name(r.status),
		    kc_disp_line(r.title));
		indent(r.detail);
	}
	if (kc_engine_rehearsal(e))
		printf("\n*** REHEARSAL: the token is a software token ***\n");
	if ((rc = kc_engine_preflight(e)) != KC_OK)
		goto finish;
	if (pin == NULL) {
		char whose[300];

		/* the prompt names the token the PIN unlocks */
		snprintf(whose, sizeof(whose), "token '%s'", site->token_label);
		if ((rc = kc_front_secret_for(NULL, "PIN", whose, 0, &pin)) !=
		    KC_OK)
			goto finish;
	}
	if ((rc = kc_engine_begin(e, pin)) != KC_OK)
		goto finish;
	kc_secret_free(pin);
	pin = NULL;

	printf("\nSteps:\n");
	for (size_t i = 0; i < kc_ceremony_nsteps(cer); i++) {
		const struct kc_step_info *si = kc_ceremony_step(cer, i);
		struct kc_step_result r;

		printf("  %zu/%zu %s: %s\n", i + 1, kc_ceremony_nsteps(cer),
		    kc_disp(si->id), kc_disp_quoted(si->title));
		indent(si->summary);
		ru.cur = &r;
		rc = kc_engine_step(e, i, &r);
		ru.cur = NULL;
		if (rc != KC_OK) {
			printf("      %s\n", r.status == KC_STEP_DECLINED ?
			    "DECLINED" : "FAILED");
			goto finish;
		}
		indent(r.detail);
	}
finish:
	{
		char msg[1024];
		int step_rc = rc;

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		if ((rc = kc_engine_finish(e, &sum)) != KC_OK) {
			fprintf(stderr, "%s: %s\n", kc_progname, kc_errmsg());
			if (step_rc == KC_OK)
				step_rc = rc;
		} else {
			print_digest(&sum);
		}
		if (step_rc != KC_OK) {
			fprintf(stderr, "%s: %s\n", kc_progname, msg);
			exit_rc = KC_EXIT_FAIL;
			goto out;
		}
	}
	exit_rc = KC_EXIT_OK;
	goto out;
fail:
	exit_rc = kc_front_fail(rc);
out:
	if (ru.names != NULL)
		for (size_t k = 0; k < kc_ceremony_nroles(cer); k++)
			free(ru.names[k]);
	free(ru.names);
	kc_secret_free(pin);
	kc_engine_free(e);
	kc_site_free(site);
	kc_ceremony_free(cer);
	return exit_rc;
}

/* engine.c: a ceremony run: binding a ceremony to a site, the steps
 * through the same kc_op_* calls as the subcommands, each recorded in the
 * transcript (see kc/engine.h). Preflight checks are in preflight.c, the
 * step actions in engine_actions.c, the services all three use in
 * engine_io.c. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/media.h"
#include "kc/ceremony/ops.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "ceremony_int.h"
#include "engine_int.h"

static int
open_transcript(struct kc_engine *e)
{
	return kc_transcript_create_in(e->state, e->c->name, &e->tr);
}

int
kc_engine_new(const struct kc_ceremony *c, const struct kc_site *s,
    int flags, const struct kc_engine_ui *ui, struct kc_engine **out)
{
	struct kc_engine *e;
	char words[32 * 12];
	char kt[1024] = "";
	int rc;

	*out = NULL;
	if ((rc = kc_site_complete(s)) != KC_OK)
		return rc;
	for (size_t i = 0; i < c->nsteps; i++)
		if (!kc_engine_action_available(c->steps[i].info.action))
			return kc_err(KC_ERR_USAGE, "%s:%d: action '%s' is not "
			    "available in this build of keyceremony",
			    c->path, c->steps[i].info.line,
			    kc_action_name(c->steps[i].info.action));
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->role_names = calloc(c->nroles, sizeof(char *))) == NULL) {
		free(e);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	e->c = c;
	e->s = s;
	e->flags = flags;
	if (ui != NULL)
		e->ui = *ui;
	e->state = s->state_dir;
	e->media = s->media_dir;
	for (size_t i = 0; i < c->nroles; i++)
		if ((rc = kc_site_set(&e->role_names[i], (flags &
		    KC_ENGINE_BATCH) ? "batch" : "unnamed")) != KC_OK)
			goto fail;
	kc_preflight_init(e);
	if ((rc = open_transcript(e)) != KC_OK)
		goto fail;
	if (s->key_template != NULL)
		kc_key_template_text(s->key_template, kt, sizeof(kt));
	/* the file's SHA-256 as the witnesses compare it: hex and words */
	if ((rc = kc_hash_words(c->sha256, words, sizeof(words))) != KC_OK)
		goto fail;
	rc = kc_transcript_add(e->tr, "begin",
	    "ceremony", c->name,
	    "title", c->title,
	    "file", c->path,
	    "file-sha256", c->sha256,
	    "file-sha256-words", words,
	    "site", s->name ? s->name : "(command line)",
	    "module", s->module ? s->module : kc_token_default_module(),
	    "token", s->token_label,
	    "token-serial", s->token_serial ? s->token_serial : "any",
	    "state", s->state_dir,
	    "media", s->media_dir,
	    "mode", (flags & KC_ENGINE_BATCH) ? "batch" : "interactive",
	    "version", PACKAGE_VERSION,
	    /* the site's additions to the root key templates, if any */
	    s->key_template != NULL ? "key-template" : NULL, kt,
	    NULL);
	if (rc != KC_OK)
		goto fail;
	*out = e;
	return KC_OK;
fail:
	kc_engine_free(e);
	return rc;
}

static int
write_end(struct kc_engine *e, int completed)
{
	char n[32], done[32];

	snprintf(n, sizeof(n), "%zu", kc_transcript_count(e->tr) + 1);
	snprintf(done, sizeof(done), "%zu/%zu", e->next, e->c->nsteps);
	return kc_transcript_add(e->tr, "end",
	    "records", n,
	    "result", completed ? "completed" : "aborted",
	    "steps", done,
	    "rehearsal", e->rehearsal ? "yes" : "no",
	    NULL);
}

void
kc_engine_free(struct kc_engine *e)
{
	if (e == NULL)
		return;
	if (e->tr != NULL && !e->finished)
		(void)write_end(e, 0);
	kc_transcript_close(e->tr);
	kc_token_close(e->tok);
	kc_token_unload(e->ctx);
	kc_engine_restore_free(e);
	if (e->role_names != NULL)
		for (size_t i = 0; i < e->c->nroles; i++)
			free(e->role_names[i]);
	free(e->role_names);
	free(e);
}

int
kc_engine_set_role(struct kc_engine *e, const char *role, const char *name)
{
	if (e->begun)
		return kc_err(KC_ERR_USAGE, "roles are set before the ceremony "
		    "begins");
	if (name == NULL || name[0] == '\0' || strlen(name) > 80)
		return kc_err(KC_ERR_USAGE, "the name for role '%s' must be 1 "
		    "to 80 characters", role);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return kc_err(KC_ERR_USAGE, "the name for role '%s' must "
			    "be printable", role);
	for (size_t i = 0; i < e->c->nroles; i++)
		if (strcmp(e->c->roles[i].id, role) == 0)
			return kc_site_set(&e->role_names[i], name);
	return kc_err(KC_ERR_USAGE, "ceremony '%s' has no role '%s'",
	    e->c->name, role);
}

int
kc_engine_rehearsal(const struct kc_engine *e)
{
	return e->rehearsal;
}

/* Every root-key step's key-label free, now that the session sees the
 * private objects too (the preflight saw only what the token shows before
 * login). Recorded; refused before any step runs. */
static int
labels_free_after_login(struct kc_engine *e)
{
	char msg[1024];
	int used;

	for (size_t i = 0; i < e->c->nsteps; i++) {
		const struct kc_step *s = &e->c->steps[i];

		if ((s->info.action != KC_ACTION_ROOT_CREATE &&
		    s->info.action != KC_ACTION_ROOT_RESTORE) ||
		    s->key_label == NULL)
			continue;
		if (s->info.action == KC_ACTION_ROOT_RESTORE &&
		    kc_token_backup_mech_check(e->tok) != KC_OK) {
			/* issue 17: the restore needs C_UnwrapKey with it */
			snprintf(msg, sizeof(msg), "step %s: %s", s->id,
			    kc_errmsg());
			(void)kc_transcript_add(e->tr, "check", "check",
			    "backup", "result", "failed", "detail", msg, NULL);
			return kc_err(KC_ERR_POLICY, "%s", msg);
		}
		if (s->backup_k > 0) {
			/* issue 17: said before the key is generated */
			snprintf(msg, sizeof(msg), "step %s: the root key '%s' "
			    "is generated extractable only wrapped under a "
			    "trusted key, for its backup to a second HSM under "
			    "a wrap key split among %d custodians, any %d of "
			    "whom restore it", s->id, s->key_label, s->backup_n,
			    s->backup_k);
			if (kc_token_backup_mech_check(e->tok) != KC_OK) {
				snprintf(msg, sizeof(msg), "step %s: %s", s->id,
				    kc_errmsg());
				(void)kc_transcript_add(e->tr, "check", "check",
				    "backup", "result", "failed", "detail", msg,
				    NULL);
				return kc_err(KC_ERR_POLICY, "%s", msg);
			}
			(void)kc_transcript_add(e->tr, "check", "check",
			    "backup", "result", "ok", "detail", msg, NULL);
		}
		used = kc_token_key_exists(e->tok, s->key_label);
		if (used > 0 && s->info.action == KC_ACTION_ROOT_RESTORE &&
		    kc_token_restore_stale(e->tok, s->key_label) == 1) {
			/* what a restore killed before its unwrap left */
			snprintf(msg, sizeof(msg), "step %s: removed the public "
			    "key and the restore record of '%s' that an "
			    "interrupted restore left (it had not unwrapped "
			    "the key)", s->id, s->key_label);
			(void)kc_transcript_add(e->tr, "check", "check",
			    "key-label", "result", "ok", "detail", msg, NULL);
			used = kc_token_key_exists(e->tok, s->key_label);
		}
		if (used == 0)
			continue;
		if (used > 0)
			kc_err(KC_ERR_EXISTS, "step %s: key-label '%s' of "
			    "ceremony file %s is already used in token '%s': "
			    "this root key exists already; choose another "
			    "key-label in the ceremony file", s->id,
			    s->key_label, e->c->path, e->s->token_label);
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		(void)kc_transcript_add(e->tr, "check", "check", "key-label",
		    "result", "failed", "detail", msg, NULL);
		return kc_err(used > 0 ? KC_ERR_EXISTS : used, "%s", msg);
	}
	return KC_OK;
}

int
kc_engine_begin(struct kc_engine *e, const struct kc_secret *pin)
{
	int rc;

	if (e->begun)
		return kc_err(KC_ERR_USAGE, "the ceremony has already begun");
	for (size_t i = 0; i < KC_NCHECKS; i++) {
		if (e->checks[i].status == KC_CHECK_PENDING)
			return kc_err(KC_ERR_POLICY, "preflight check '%s' has "
			    "not been run", e->checks[i].id);
		if (e->checks[i].status == KC_CHECK_FAILED)
			return kc_err(KC_ERR_POLICY, "preflight check '%s' "
			    "failed: the ceremony cannot begin",
			    e->checks[i].id);
	}
	if (e->ctx == NULL)
		return kc_err(KC_ERR_INTERNAL, "token check left no module");
	for (size_t i = 0; i < e->c->nroles; i++)
		if ((rc = kc_transcript_add(e->tr, "role",
		    "role", e->c->roles[i].id,
		    "title", e->c->roles[i].title,
		    "name", e->role_names[i], NULL)) != KC_OK)
			return rc;
	if ((rc = kc_token_open(e->ctx, e->s->token_label, e->s->token_serial,
	    &e->tok)) != KC_OK ||
	    (rc = kc_token_login_file(e->tok, pin, e->s->pin_file)) != KC_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		(void)kc_transcript_add(e->tr, "login", "result", "failed",
		    "detail", msg, NULL);
		kc_token_close(e->tok);
		e->tok = NULL;
		return kc_err(rc, "%s", msg);
	}
	if ((rc = kc_transcript_add(e->tr, "login", "result", "ok",
	    "token", e->s->token_label, NULL)) != KC_OK)
		return rc;
	if ((rc = labels_free_after_login(e)) != KC_OK)
		return rc;
	e->begun = 1;
	return KC_OK;
}

size_t
kc_engine_next_step(const struct kc_engine *e)
{
	return e->next;
}

/* "name:sha256" of a state file, appended to a comma list. */
static void
list_file(const struct kc_engine *e, const char *rel, char *list,
    size_t listsz)
{
	char path[PATH_MAX], hex[65] = "missing";
	unsigned char *buf = NULL;
	size_t len, used = strlen(list);

	if (kc_engine_path(e, rel, path, sizeof(path)) == KC_OK &&
	    kc_file_read(path, KC_FILE_MAX, &buf, &len) == KC_OK)
		kc_sha256_hex(buf, len, hex);
	free(buf);
	kc_err_clear();
	snprintf(list + used, listsz - used, "%s%s:%s", used ? "," : "", rel,
	    hex);
}

static void
fmt_time(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
kc_engine_step(struct kc_engine *e, size_t i, struct kc_step_result *r)
{
	const struct kc_step *s;
	char ins[4096] = "", outs[8192] = "", how[256], text[4096];
	char nb[32] = "", na[32] = "";
	int rc, deferred;

	memset(r, 0, sizeof(*r));
	if (i >= e->c->nsteps)
		return kc_err(KC_ERR_USAGE, "no step %zu", i + 1);
	s = &e->c->steps[i];
	if (e->finished)
		return kc_err(KC_ERR_USAGE, "the ceremony is finished");
	if (!e->begun)
		return kc_err(KC_ERR_USAGE, "the ceremony has not begun "
		    "(preflight and login first)");
	if (e->failed)
		return kc_err(KC_ERR_POLICY, "an earlier step failed: step "
		    "'%s' is not run", s->id);
	if (i != e->next)
		return kc_err(KC_ERR_USAGE, "steps run in order: next is step "
		    "%zu", e->next + 1);

	if (s->issuer_cert)
		list_file(e, s->issuer_cert, ins, sizeof(ins));
	if (s->csr)
		list_file(e, s->csr, ins, sizeof(ins));
	if (s->renew)
		list_file(e, s->renew, ins, sizeof(ins));
	if (s->new_root)
		list_file(e, s->new_root, ins, sizeof(ins));
	if (s->code_file)
		list_file(e, s->code_file, ins, sizeof(ins));
	for (size_t k = 0; k < s->nrevoke; k++)
		list_file(e, s->revoke[k].cert, ins, sizeof(ins));
	if (s->info.action == KC_ACTION_ROOT_RESTORE)
		kc_engine_restore_ins(e, ins, sizeof(ins));

	snprintf(text, sizeof(text), "Step %zu of %zu: %s%s\n%s%s\nRun this "
	    "step?", i + 1, e->c->nsteps, s->title,
	    e->rehearsal ? " (REHEARSAL on a software token)" : "", s->summary,
	    s->witness ? "The witness checks the values above against the "
	    "reviewed ceremony file." : "");
	/* A signature is confirmed once, by the operation, with what will
	 * be issued (subject, key, validity, the CSR's SHA-256, what it asks
	 * for that is ignored): the step's own question would only say
	 * "as in the CSR". In batch mode the batch confirms the step. */
	deferred = s->info.action == KC_ACTION_INTERMEDIATE_SIGN &&
	    !(e->flags & KC_ENGINE_BATCH);
	e->op_how[0] = '\0';
	e->op_declined = 0;
	if (!deferred && !kc_engine_ask(e, s->role, text, how, sizeof(how))) {
		r->status = KC_STEP_DECLINED;
		snprintf(r->detail, sizeof(r->detail), "%s", how);
		e->failed = 1;
		(void)kc_transcript_add(e->tr, "step", "step", s->id,
		    "action", kc_action_name(s->info.action), "role", s->role,
		    "name", kc_engine_role_name(e, s->role), "in", ins,
		    "result", "declined", "confirm", how, NULL);
		return kc_err(KC_ERR_ABORT, "step '%s' was declined", s->id);
	}
	kc_engine_progress(e, "step %zu/%zu %s: %s", i + 1, e->c->nsteps,
	    s->id, s->title);
	rc = kc_engine_run_action(e, s, r, outs, sizeof(outs));
	if (deferred)
		snprintf(how, sizeof(how), "%s", e->op_how[0] ? e->op_how :
		    "not asked (the operation stopped before its question)");
	if (rc != KC_OK && deferred && e->op_declined) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		r->status = KC_STEP_DECLINED;
		snprintf(r->detail, sizeof(r->detail), "%s", how);
		e->failed = 1;
		(void)kc_transcript_add(e->tr, "step", "step", s->id,
		    "action", kc_action_name(s->info.action), "role", s->role,
		    "name", kc_engine_role_name(e, s->role), "in", ins,
		    "result", "declined", "confirm", how, NULL);
		return kc_err(KC_ERR_ABORT, "step '%s' was declined: %s", s->id,
		    msg);
	}
	if (rc != KC_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		r->status = KC_STEP_FAILED;
		snprintf(r->detail, sizeof(r->detail), "%s", msg);
		e->failed = 1;
		(void)kc_transcript_add(e->tr, "step", "step", s->id,
		    "action", kc_action_name(s->info.action), "role", s->role,
		    "name", kc_engine_role_name(e, s->role),
		    "witness", s->witness ? s->witness : "",
		    "witness-name", s->witness ?
		    kc_engine_role_name(e, s->witness) : "",
		    "confirm", how, "in", ins, "result", "failed",
		    "detail", msg, NULL);
		return kc_err(rc, "%s", msg);
	}
	r->status = KC_STEP_DONE;
	if (r->not_before)
		fmt_time(r->not_before, nb, sizeof(nb));
	if (r->not_after)
		fmt_time(r->not_after, na, sizeof(na));
	rc = kc_transcript_add(e->tr, "step", "step", s->id,
	    "action", kc_action_name(s->info.action), "role", s->role,
	    "name", kc_engine_role_name(e, s->role),
	    "witness", s->witness ? s->witness : "",
	    "witness-name", s->witness ? kc_engine_role_name(e, s->witness) :
	    "",
	    "confirm", how, "in", ins, "out", outs,
	    "subject", r->subject, "serial", r->serial,
	    "fingerprint", r->fingerprint,
	    "not-before", nb, "not-after", na,
	    /* which mechanism signed, where the public key came from */
	    "mechanism", s->info.action == KC_ACTION_EXPORT ? "" :
	    kc_token_sign_mech(e->tok),
	    "public-key", s->info.action == KC_ACTION_EXPORT ? "" :
	    kc_token_pub_source(e->tok),
	    "result", "ok",
	    /* a root past the cap: why (the list ends here when none) */
	    s->validity_reason ? "validity-reason" : NULL, s->validity_reason,
	    NULL);
	if (rc != KC_OK) {
		e->failed = 1;
		return rc;
	}
	e->next++;
	return KC_OK;
}

static int export_report(struct kc_engine *e, const char *transcript);

int
kc_engine_finish(struct kc_engine *e, struct kc_engine_summary *sum)
{
	unsigned char raw[32];
	int rc, completed;

	memset(sum, 0, sizeof(*sum));
	if (e->finished)
		return kc_err(KC_ERR_USAGE, "the ceremony is already finished");
	completed = e->begun && !e->failed && e->next == e->c->nsteps;
	kc_token_close(e->tok);
	e->tok = NULL;
	if ((rc = write_end(e, completed)) != KC_OK)
		return rc;
	e->finished = 1;
	snprintf(sum->transcript, sizeof(sum->transcript), "%s",
	    kc_transcript_path(e->tr));
	snprintf(sum->digest, sizeof(sum->digest), "%s",
	    kc_transcript_digest(e->tr));
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		sscanf(sum->digest + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	if ((rc = kc_pgpwords(raw, sizeof(raw), sum->words,
	    sizeof(sum->words))) != KC_OK)
		return rc;
	sum->rehearsal = e->rehearsal;
	sum->completed = completed;
	sum->records = kc_transcript_count(e->tr);
	kc_transcript_close(e->tr);
	e->tr = NULL;
	if (completed && e->c->has_export) {
		struct kc_export_result er;
		const char *paths[1] = { sum->transcript };

		memset(&er, 0, sizeof(er));
		kc_engine_progress(e, "copying the transcript to %s",
		    e->media);
		rc = kc_media_export_files(e->media, paths, 1, &er);
		kc_export_result_clear(&er);
		if (rc != KC_OK)
			return rc;
		if (e->report != NULL)
			return export_report(e, sum->transcript);
	}
	return KC_OK;
}

void
kc_engine_set_report(struct kc_engine *e, kc_engine_report_fn *fn, void *arg)
{
	e->report = fn;
	e->report_arg = arg;
}

/* The report of the closed transcript, drawn by the front end's
 * renderer, to the medium next to the transcript. */
static int
export_report(struct kc_engine *e, const char *transcript)
{
	struct kc_export_result er;
	unsigned char *pdf = NULL;
	const char *base = strrchr(transcript, '/');
	char name[256];
	size_t len = 0, n;
	int rc;

	base = base != NULL ? base + 1 : transcript;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".log") == 0)
		n -= 4;
	snprintf(name, sizeof(name), "%.*s-report.pdf", (int)n, base);
	kc_engine_progress(e, "writing the ceremony report %s to %s", name,
	    e->media);
	if ((rc = e->report(e->report_arg, transcript, e->state, &pdf, &len))
	    != KC_OK)
		return rc;
	memset(&er, 0, sizeof(er));
	rc = kc_media_export_report(e->media, name, pdf, len, &er);
	kc_export_result_clear(&er);
	free(pdf);
	return rc;
}

int
kc_engine_export(struct kc_engine *e, struct kc_export_result *res)
{
	if (!e->finished)
		return kc_err(KC_ERR_USAGE, "export after the ceremony is "
		    "finished (or with an export step)");
	return kc_media_export(e->state, e->media, 0, res);
}

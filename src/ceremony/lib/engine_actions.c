/* engine_actions.c: what each step action does: the same kc_op_* calls as
 * the subcommands, with paths inside the state directory. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/crl.h"
#include "kc/ceremony/cross.h"
#include "kc/ceremony/engine.h"
#include "kc/ceremony/media.h"
#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "ceremony_int.h"
#include "engine_int.h"

int
kc_engine_action_available(enum kc_action a)
{
	return a >= KC_ACTION_ROOT_CREATE && a <= KC_ACTION_ROOT_RESTORE;
}

static void
copy_result(const struct kc_op_result *o, struct kc_step_result *r)
{
	snprintf(r->out_sha256, sizeof(r->out_sha256), "%s", o->out_sha256);
	snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", o->fingerprint);
	snprintf(r->in_sha256, sizeof(r->in_sha256), "%s", o->in_sha256);
	snprintf(r->serial, sizeof(r->serial), "%s", o->serial);
	snprintf(r->subject, sizeof(r->subject), "%s", o->subject);
	r->not_before = o->not_before;
	r->not_after = o->not_after;
}

static int
root_create(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_root_params p;
	struct kc_op_result o;
	struct kc_key_template bt;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	if ((rc = kc_engine_path(e, s->output, r->out_path,
	    sizeof(r->out_path))) != KC_OK)
		return rc;
	p.key_label = s->key_label;
	p.alg = s->alg;
	p.subject = s->subject;
	p.days = s->days;
	p.validity_reason = s->validity_reason;
	p.out = r->out_path;
	p.state_dir = e->state;
	p.key_template = e->s->key_template;
	if (s->backup_k > 0) {
		/* backup: (issue 17): extractable only wrapped under a
		 * CKA_TRUSTED key, the site's template otherwise as it is */
		if (e->s->key_template != NULL)
			bt = *e->s->key_template;
		else
			memset(&bt, 0, sizeof(bt));
		bt.backup = 1;
		p.key_template = &bt;
	}
	if ((rc = kc_op_root_create(e->tok, &p, &o)) != KC_OK)
		return rc;
	copy_result(&o, r);
	snprintf(outs, outsz, "%s:%s", s->output, o.out_sha256);
	if (snprintf(r->detail, sizeof(r->detail), "root certificate %s\n"
	    "subject %s\nSHA-256 fingerprint %s", r->out_path, o.subject,
	    kc_hash(o.fingerprint)) >= (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 1] = '\0';
	return KC_OK;
}

/* The operation's own confirmation (what will be issued next to what the
 * CSR asked for) goes to the step's role. */
struct ask_arg {
	struct kc_engine	*e;
	const struct kc_step	*s;
	const struct kc_op_result *o;	/* in_sha256 set before the question */
	struct kc_step_result	*r;
	char			 how[256];
};

static int
op_confirm(const char *summary, void *arg)
{
	struct ask_arg *a = arg;
	struct kc_engine *e = a->e;
	char text[8192];
	int yes;

	if (a->o != NULL && a->r != NULL)
		snprintf(a->r->in_sha256, sizeof(a->r->in_sha256), "%s",
		    a->o->in_sha256);
	/* the step's one confirmation: the step, then what will be issued */
	snprintf(text, sizeof(text), "Step %zu of %zu: %s%s\n%s%sSign this?",
	    (size_t)(a->s - e->c->steps) + 1, e->c->nsteps, a->s->title,
	    e->rehearsal ? " (REHEARSAL on a software token)" : "", summary,
	    a->s->witness ? "The witness checks the values above against the "
	    "reviewed ceremony file and the CSR's SHA-256 against the value "
	    "the factory sent.\n" : "");
	yes = kc_engine_ask(e, a->s->role, text, e->op_how, sizeof(e->op_how));
	e->op_declined = !yes;
	return yes;
}

static void
cert_detail(struct kc_step_result *r, const char *what)
{
	if (snprintf(r->detail, sizeof(r->detail), "%s %s\nsubject %s\n"
	    "serial %s\nSHA-256 fingerprint %s", what, r->out_path, r->subject,
	    r->serial, kc_hash(r->fingerprint)) >= (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 1] = '\0';
}

/* The step's output and its issuer-cert, as paths in the state
 * directory: every signing step names both. */
static int
signer_paths(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char issuer[PATH_MAX])
{
	int rc;

	if ((rc = kc_engine_path(e, s->output, r->out_path,
	    sizeof(r->out_path))) != KC_OK)
		return rc;
	return kc_engine_path(e, s->issuer_cert, issuer, PATH_MAX);
}

/* A certificate a step signed (what, for the detail): its result, the
 * output record and the detail shown. */
static void
cert_done(const struct kc_step *s, const struct kc_op_result *o,
    struct kc_step_result *r, char *outs, size_t outsz, const char *what)
{
	copy_result(o, r);
	snprintf(outs, outsz, "%s:%s", s->output, o->out_sha256);
	cert_detail(r, what);
}

static void
ask_init(struct ask_arg *aa, struct kc_engine *e, const struct kc_step *s,
    const struct kc_op_result *o, struct kc_step_result *r)
{
	memset(aa, 0, sizeof(*aa));
	aa->e = e;
	aa->s = s;
	aa->o = o;
	aa->r = r;
}

static int
intermediate_sign(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_intermediate_params p;
	struct kc_op_result o;
	struct ask_arg aa;
	char issuer[PATH_MAX], csr[PATH_MAX], renew[PATH_MAX];
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	ask_init(&aa, e, s, &o, r);
	if ((rc = signer_paths(e, s, r, issuer)) != KC_OK ||
	    (rc = kc_engine_path(e, s->csr, csr, sizeof(csr))) != KC_OK ||
	    (s->renew != NULL && (rc = kc_engine_path(e, s->renew, renew,
	    sizeof(renew))) != KC_OK))
		return rc;
	p.renew = s->renew != NULL ? renew : NULL;
	p.key_label = s->issuer_key;
	p.issuer = issuer;
	p.csr = csr;
	p.subject = s->subject;
	p.days = s->days;
	p.path_len = s->path_len < 0 ? 0 : s->path_len;
	p.out = r->out_path;
	p.state_dir = e->state;
	/* In batch mode the step's confirmation stands for this one. */
	p.confirm = (e->flags & KC_ENGINE_BATCH) ? NULL : op_confirm;
	p.confirm_arg = &aa;
	if ((rc = kc_op_intermediate_sign(e->tok, &p, &o)) != KC_OK)
		return rc;
	cert_done(s, &o, r, outs, outsz, "intermediate certificate");
	return KC_OK;
}

/* cross-sign: the old root (issuer-key, issuer-cert) certifies new-root
 * (kc_op_cross_sign, as `keyceremony cross sign`). */
static int
cross_sign(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_cross_params p;
	struct kc_op_result o;
	struct ask_arg aa;
	char issuer[PATH_MAX], cert[PATH_MAX];
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	ask_init(&aa, e, s, &o, r);
	if ((rc = signer_paths(e, s, r, issuer)) != KC_OK ||
	    (rc = kc_engine_path(e, s->new_root, cert, sizeof(cert))) != KC_OK)
		return rc;
	p.key_label = s->issuer_key;
	p.issuer = issuer;
	p.cert = cert;
	p.days = s->days;
	p.out = r->out_path;
	p.state_dir = e->state;
	p.confirm = (e->flags & KC_ENGINE_BATCH) ? NULL : op_confirm;
	p.confirm_arg = &aa;
	if ((rc = kc_op_cross_sign(e->tok, &p, &o, NULL)) != KC_OK)
		return rc;
	cert_done(s, &o, r, outs, outsz, "cross-certificate");
	return KC_OK;
}

static int
verification_sign(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_verification_params p;
	struct kc_op_result o;
	char issuer[PATH_MAX], codepath[PATH_MAX], code[80];
	unsigned char *buf = NULL;
	size_t len;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	if ((rc = signer_paths(e, s, r, issuer)) != KC_OK)
		return rc;
	if (s->code_file != NULL) {
		if ((rc = kc_engine_path(e, s->code_file, codepath,
		    sizeof(codepath))) != KC_OK ||
		    (rc = kc_file_read(codepath, 256, &buf, &len)) != KC_OK)
			return rc;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		    buf[len - 1] == ' '))
			buf[--len] = '\0';
		snprintf(code, sizeof(code), "%s", (char *)buf);
		free(buf);
		if (kc_verification_code_check(code) != KC_OK) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", kc_errmsg());
			return kc_err(KC_ERR_INPUT, "%s: %s", codepath, msg);
		}
	} else {
		snprintf(code, sizeof(code), "%s", s->code);
	}
	p.key_label = s->issuer_key;
	p.issuer = issuer;
	p.code = code;
	p.days = s->days;
	p.out = r->out_path;
	p.state_dir = e->state;
	if ((rc = kc_op_verification_sign(e->tok, &p, &o)) != KC_OK)
		return rc;
	cert_done(s, &o, r, outs, outsz, "verification certificate");
	return KC_OK;
}

static int
crl_issue(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_crl_params p;
	struct kc_crl_result o;
	char issuer[PATH_MAX], revoke[PATH_MAX], nu[32];
	int rc, reason = KC_REASON_NONE;

	memset(&p, 0, sizeof(p));
	memset(&o, 0, sizeof(o));
	if ((rc = signer_paths(e, s, r, issuer)) != KC_OK)
		return rc;
	p.key_label = s->issuer_key;
	p.issuer = issuer;
	if (s->nrevoke > 0) {
		if ((rc = kc_engine_path(e, s->revoke[0].cert, revoke,
		    sizeof(revoke))) != KC_OK ||
		    (rc = kc_reason_parse(s->revoke[0].reason, &reason)) !=
		    KC_OK)
			return rc;
		p.revoke = revoke;
	}
	p.reason = reason;
	p.days = s->days;
	p.out = r->out_path;
	p.state_dir = e->state;
	if ((rc = kc_op_crl(e->tok, &p, &o)) != KC_OK)
		return rc;
	/* What was signed, for checking later registers against (the "crl"
	 * record, before this step's own record). */
	if ((rc = kc_crl_transcript_record(e->tr, r->out_path, issuer)) !=
	    KC_OK)
		return rc;
	snprintf(r->out_sha256, sizeof(r->out_sha256), "%s", o.out_sha256);
	r->not_before = o.this_update;
	r->not_after = o.next_update;
	snprintf(outs, outsz, "%s:%s", s->output, o.out_sha256);
	if (o.actions_path[0] != '\0') {
		/* the revocation actions beside it, for the export to check
		 * and the transcript to hold */
		const char *b = strrchr(o.actions_path, '/');
		size_t u = strlen(outs);
		snprintf(outs + u, outsz - u, ",%s:%s", b != NULL ? b + 1 :
		    o.actions_path, o.actions_sha256);
		snprintf(r->actions_path, sizeof(r->actions_path), "%s",
		    o.actions_path);
	}
	kc_time_utc(o.next_update, nu);
	if (snprintf(r->detail, sizeof(r->detail), "CRL %s: number %lld, %zu "
	    "revoked%s%s%s, next update %s", r->out_path, o.number,
	    o.n_revoked, o.revoked_serial[0] ? " (now revoked: serial " : "",
	    o.revoked_serial, o.revoked_serial[0] ? ")" : "", nu) >=
	    (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 1] = '\0';
	if (o.actions_path[0] != '\0') {
		size_t u = strlen(r->detail);
		snprintf(r->detail + u, sizeof(r->detail) - u, "; the cloud "
		    "services' revocation actions in %s (exported with it)",
		    o.actions_path);
	}
	return KC_OK;
}

static int
export_step(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	struct kc_export_result x;
	size_t used = 0;
	int rc;

	(void)s;
	memset(&x, 0, sizeof(x));
	kc_engine_progress(e, "exporting the public artefacts to %s",
	    e->media);
	if ((rc = kc_media_export(e->state, e->media,
	    KC_EXPORT_NO_TRANSCRIPTS, &x)) != KC_OK)
		return rc;
	outs[0] = '\0';
	for (size_t i = 0; i < x.n; i++) {
		int n = snprintf(outs + used, outsz - used, "%s%s:%s",
		    used ? "," : "", x.files[i].name, x.files[i].sha256);
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
	snprintf(r->out_path, sizeof(r->out_path), "%s", e->media);
	{
		size_t fresh = 0;
		for (size_t i = 0; i < x.n; i++)
			fresh += !x.files[i].skipped;
		snprintf(r->detail, sizeof(r->detail), "%zu file%s copied to "
		    "%s (%zu already there), listed in SHA256SUMS and read "
		    "back; the transcript follows when the ceremony is closed",
		    fresh, fresh == 1 ? "" : "s", e->media, x.n - fresh);
	}
	kc_export_result_clear(&x);
	return KC_OK;
}

int
kc_engine_run_action(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	switch (s->info.action) {
	case KC_ACTION_ROOT_CREATE:
		return root_create(e, s, r, outs, outsz);
	case KC_ACTION_INTERMEDIATE_SIGN:
		return intermediate_sign(e, s, r, outs, outsz);
	case KC_ACTION_VERIFICATION_SIGN:
		return verification_sign(e, s, r, outs, outsz);
	case KC_ACTION_CRL_ISSUE:
		return crl_issue(e, s, r, outs, outsz);
	case KC_ACTION_EXPORT:
		return export_step(e, s, r, outs, outsz);
	case KC_ACTION_CROSS_SIGN:
		return cross_sign(e, s, r, outs, outsz);
	case KC_ACTION_ROOT_RESTORE:
		return kc_engine_restore_step(e, s, r, outs, outsz);
	default:
		return kc_err(KC_ERR_USAGE, "action '%s' is not available in "
		    "this build", kc_action_name(s->info.action));
	}
}

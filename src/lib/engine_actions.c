/* engine_actions.c: what each step action does: the same kc_op_* calls as
 * the subcommands, with paths inside the state directory. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/engine.h"
#include "kc/error.h"
#include "kc/fileio.h"
#include "kc/media.h"
#include "kc/ops.h"
#include "ceremony_int.h"
#include "engine_int.h"

int
kc_engine_action_available(enum kc_action a)
{
	switch (a) {
	case KC_ACTION_ROOT_CREATE:
	case KC_ACTION_EXPORT:
		return 1;
	default:
		return 0;
	}
}

static void
copy_result(const struct kc_op_result *o, struct kc_step_result *r)
{
	snprintf(r->out_sha256, sizeof(r->out_sha256), "%s", o->out_sha256);
	snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", o->fingerprint);
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
	p.out = r->out_path;
	p.state_dir = e->state;
	if ((rc = kc_op_root_create(e->tok, &p, &o)) != KC_OK)
		return rc;
	copy_result(&o, r);
	snprintf(outs, outsz, "%s:%s", s->output, o.out_sha256);
	if (snprintf(r->detail, sizeof(r->detail), "root certificate %s\n"
	    "subject %s\nSHA-256 fingerprint %s", r->out_path, o.subject,
	    o.fingerprint) >= (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 1] = '\0';
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
	snprintf(r->detail, sizeof(r->detail), "%zu file%s copied to %s "
	    "with SHA256SUMS; the transcript follows when the ceremony is "
	    "closed", x.n, x.n == 1 ? "" : "s", e->media);
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
	case KC_ACTION_EXPORT:
		return export_step(e, s, r, outs, outsz);
	default:
		return kc_err(KC_ERR_USAGE, "action '%s' is not available in "
		    "this build", kc_action_name(s->info.action));
	}
}

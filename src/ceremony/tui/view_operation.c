/*
 * view_operation.c: one ceremony step at a time. Before: what the step
 * will do (the engine's summary: subject, key, validity, extensions, for a
 * CSR what was requested and what will be issued, SHA-256 values in groups
 * of four and as PGP words). Enter starts it; the engine then shows the
 * step for a typed confirmation (GENERATE, SIGN or EXPORT) and the worker
 * runs it while a spinner and the elapsed time show that the HSM works.
 * After: the result and the fingerprint to read aloud.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/engine.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "tui.h"

/* Lines of one screen's text: the summary, a result, and a CRL's
 * revocation actions (about 45 lines a revoked certificate, wrapped). */
#define TUI_OP_LINES 600

struct operation {
	size_t			step;
	int			ran;		/* the step was run */
	int			rc;
	char			err[1024];
	struct kc_step_result	res;
	int			top;		/* scroll */
};

struct step_job {
	struct kc_engine	*e;
	size_t			 i;
	struct kc_step_result	*r;
};

static int
run_step(void *arg)
{
	struct step_job *j = arg;

	return kc_engine_step(j->e, j->i, j->r);
}

static const char *
word_for(enum kc_action a)
{
	switch (a) {
	case KC_ACTION_ROOT_CREATE: return "GENERATE";
	case KC_ACTION_ROOT_RESTORE: return "RESTORE";
	case KC_ACTION_EXPORT: return "EXPORT";
	default: return "SIGN";
	}
}

static const char *
role_name(struct tui *t, const char *id)
{
	size_t n = kc_ceremony_nroles(t->ceremony);

	for (size_t i = 0; id != NULL && i < n && i < TUI_MAX_ROLES; i++)
		if (strcmp(kc_ceremony_role(t->ceremony, i)->id, id) == 0)
			return t->names[i];
	return id ? id : "-";
}

static int
op_init(struct tui *t, void **state)
{
	struct operation *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	o->step = kc_engine_next_step(t->engine);
	*state = o;
	if (o->step >= kc_ceremony_nsteps(t->ceremony))
		tui_goto(t, &tui_view_end);
	return KC_OK;
}

static void
op_free(void *state)
{
	free(state);
}

static void
fmt_time(time_t tt, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* A CRL's revocation actions as the step wrote them, read back as a
 * hostile file (no link followed, size cap) and escaped line by line by
 * tui_expand like every other text on the screen. */
static int
actions_lines(const char *path, int w, char lines[][128], int maxlines)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char head[1200];
	int n;

	snprintf(head, sizeof(head), "\nREVOCATION ACTIONS (Azure DPS, IoT Hub "
	    "and nRF Cloud do not read CRLs; run these there; the export step "
	    "puts the file on the medium): %s\n", path);
	n = tui_expand(head, w, lines, maxlines);
	if (kc_file_read(path, KC_REVACT_MAX, &buf, &len) != KC_OK) {
		char msg[1200];
		snprintf(msg, sizeof(msg), "cannot read it: %s", kc_errmsg());
		return n + tui_expand(msg, w, lines + n, maxlines - n);
	}
	n += tui_expand((const char *)buf, w, lines + n, maxlines - n);
	free(buf);
	return n;
}

static void
op_draw(struct tui *t, void *state)
{
	struct operation *o = state;
	size_t nsteps = kc_ceremony_nsteps(t->ceremony);
	const struct kc_step_info *si;
	static char l[TUI_OP_LINES][128];
	char title[128];
	int rows, cols, y = 2, n = 0, room;

	if (o->step >= nsteps)
		return;
	si = kc_ceremony_step(t->ceremony, o->step);
	tui_draw_size(&rows, &cols);
	snprintf(title, sizeof(title), "Step %zu of %zu: %s", o->step + 1,
	    nsteps, kc_action_name(si->action));
	tui_frame(t, title, !o->ran ?
	    "Enter start this step  PgUp/PgDn scroll  Ctrl-C abort" :
	    "Enter continue  PgUp/PgDn scroll");
	tui_draw_text(y++, 1, TA_BOLD, "%.*s", cols - 2, si->title);
	tui_draw_text(y++, 3, TA_NORMAL, "performed by %s (%s)%s%s",
	    role_name(t, si->role), si->role, si->witness ? ", witnessed by " :
	    "", si->witness ? role_name(t, si->witness) : "");
	if (si->days > 0)
		tui_draw_text(y++, 3, TA_BOLD, "validity %d days", si->days);
	y++;
	if (!o->ran) {
		n = tui_expand(si->summary ? si->summary : "", cols - 6, l,
		    TUI_OP_LINES);
	} else if (o->rc != KC_OK) {
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s; the ceremony stops here.\n"
		    "%s\n%s", o->res.status == KC_STEP_DECLINED ?
		    "DECLINED: nothing was done" : "THIS STEP FAILED", o->err,
		    o->res.detail);
		n = tui_expand(buf, cols - 6, l, TUI_OP_LINES);
	} else {
		char buf[8192], nb[40], na[40];
		fmt_time(o->res.not_before, nb, sizeof(nb));
		fmt_time(o->res.not_after, na, sizeof(na));
		/* the output's name and the subject are quoted (they may come
		 * from a CSR); the fingerprint is a block from its field */
		snprintf(buf, sizeof(buf), "%s%s%s%s%s%s%s%s%s%s%s%s%s%s\n%s",
		    o->res.status == KC_STEP_DECLINED ? "DECLINED by the "
		    "officer: nothing was done.\n" : "Done.\n",
		    o->res.out_path[0] ? "output: " : "", o->res.out_path[0] ?
		    kc_disp_quoted(o->res.out_path) : "",
		    o->res.out_path[0] ? "\n" : "",
		    o->res.subject[0] ? "subject: " : "", o->res.subject[0] ?
		    kc_disp_quoted(o->res.subject) : "",
		    o->res.subject[0] ? "\n" : "",
		    o->res.serial[0] ? "serial: " : "", o->res.serial,
		    o->res.serial[0] ? "\n" : "",
		    o->res.not_after ? "valid from " : "",
		    o->res.not_after ? nb : "", o->res.not_after ? " to " : "",
		    o->res.not_after ? na : "",
		    o->res.fingerprint[0] ? "" : o->res.detail);
		n = tui_expand(buf, cols - 6, l, TUI_OP_LINES);
		if (o->res.fingerprint[0] != '\0')
			n += tui_hash_block("certificate SHA-256 fingerprint "
			    "(read it aloud):", o->res.fingerprint, cols - 6,
			    l + n, TUI_OP_LINES - n);
		else if (o->res.out_sha256[0] != '\0')
			n += tui_hash_block("output SHA-256:", o->res.out_sha256,
			    cols - 6, l + n, TUI_OP_LINES - n);
		if (o->res.actions_path[0] != '\0')
			n += actions_lines(o->res.actions_path, cols - 6, l + n,
			    TUI_OP_LINES - n);
	}
	room = rows - 3 - y;
	if (o->top > n - room)
		o->top = n - room;
	if (o->top < 0)
		o->top = 0;
	for (int i = o->top; i < n && y < rows - 3; i++)
		tui_draw_text(y++, 3, strstr(l[i], "FAILED") || strstr(l[i],
		    "DECLINED") ? TA_BOLD | TA_REVERSE : TA_NORMAL, "%s", l[i]);
	if (n - o->top > room)
		tui_draw_text(rows - 3, cols - 20, TA_DIM, "(PgDn: more)");
}

static int
op_key(struct tui *t, void *state, int key)
{
	struct operation *o = state;
	const struct kc_step_info *si;
	size_t nsteps = kc_ceremony_nsteps(t->ceremony);
	char title[160];

	switch (key) {
	case TK_PGUP: case TK_UP:
		o->top -= key == TK_UP ? 1 : 10;
		return 1;
	case TK_PGDN: case TK_DOWN:
		o->top += key == TK_DOWN ? 1 : 10;
		return 1;
	case TK_ENTER:
		break;
	default:
		return 0;
	}
	if (o->ran) {
		if (o->rc != KC_OK || o->step + 1 >= nsteps) {
			tui_goto(t, &tui_view_end);
			return 1;
		}
		o->step = kc_engine_next_step(t->engine);
		o->ran = 0;
		o->top = 0;
		memset(&o->res, 0, sizeof(o->res));
		tui_status(t, 0, "%s", "");
		if (o->step >= nsteps)
			tui_goto(t, &tui_view_end);
		return 1;
	}
	si = kc_ceremony_step(t->ceremony, o->step);
	if (tui_shares_needed(t, si)) {
		/* the custodians type their backup shares first */
		tui_goto(t, &tui_view_shares);
		return 1;
	}
	{
		struct step_job j = { t->engine, o->step, &o->res };

		snprintf(title, sizeof(title), "%s", si->title);
		tui_job_set_word(word_for(si->action));
		/* the CSR's hash as the operation computed it from the
		 * file's bytes: the first thing the SIGN question shows */
		if (si->action == KC_ACTION_INTERMEDIATE_SIGN)
			tui_job_set_hash("CSR SHA-256 (of the CSR file's bytes, "
			    "computed by keyceremony; compare it with the "
			    "value the factory sent):", o->res.in_sha256);
		tui_status(t, 0, "%s", "");
		o->rc = tui_job(t, title, run_step, &j);
	}
	o->ran = 1;
	o->top = 0;
	if (o->res.status == KC_STEP_DECLINED) {
		o->rc = KC_ERR_ABORT;
		snprintf(o->err, sizeof(o->err), "%s", kc_errmsg());
		tui_status(t, 1, "step declined: the ceremony stops; press "
		    "Enter to close the transcript");
	} else if (o->rc != KC_OK) {
		snprintf(o->err, sizeof(o->err), "%s", kc_errmsg());
		tui_status(t, 1, "step %zu failed: press Enter to close the "
		    "transcript", o->step + 1);
	} else {
		tui_status(t, 0, "step %zu done; press Enter to go on",
		    o->step + 1);
	}
	return 1;
}

const struct tui_view tui_view_operation = {
	"operation", op_init, op_draw, op_key, op_free
};

/*
 * view_roles.c: who is in the room. One name per role of the ceremony file
 * (administrator, officers, witnesses...), all required; they go to the
 * transcript. Leaving this screen binds the ceremony to the site and opens
 * the transcript (kc_engine_new), so the names come first.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/paper.h"
#include "kc/core/error.h"
#include "tui.h"

struct roles {
	int			n, focus;
	struct tui_field	f[TUI_MAX_ROLES];
};

static void
ui_progress(void *arg, const char *msg)
{
	(void)arg;
	tui_job_progress(msg);
}

static int
ui_confirm(void *arg, const char *role, const char *text)
{
	(void)arg;
	(void)role;
	return tui_job_confirm(text, NULL);
}

static const struct kc_engine_ui engine_ui = {
	ui_progress, ui_confirm, NULL
};

static int
roles_init(struct tui *t, void **state)
{
	struct roles *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	r->n = (int)kc_ceremony_nroles(t->ceremony);
	if (r->n > TUI_MAX_ROLES)
		r->n = TUI_MAX_ROLES;
	for (int i = 0; i < r->n; i++) {
		if ((rc = tui_field_init(&r->f[i], TUI_NAME_MAX - 1, 0)) !=
		    KC_OK) {
			for (int j = 0; j < i; j++)
				tui_field_free(&r->f[j]);
			free(r);
			return rc;
		}
		tui_field_set(&r->f[i], t->names[i]);
		/* --role ROLE=NAME fills in a name not typed yet */
		for (int k = 0; t->names[i][0] == '\0' && k < t->opts.nroles;
		    k++) {
			const char *eq = strchr(t->opts.roles[k], '=');
			const char *id = kc_ceremony_role(t->ceremony,
			    (size_t)i)->id;
			if ((size_t)(eq - t->opts.roles[k]) == strlen(id) &&
			    strncmp(t->opts.roles[k], id, strlen(id)) == 0)
				tui_field_set(&r->f[i], eq + 1);
		}
	}
	*state = r;
	return KC_OK;
}

static void
roles_free(void *state)
{
	struct roles *r = state;

	for (int i = 0; i < r->n; i++)
		tui_field_free(&r->f[i]);
	free(r);
}

static void
roles_draw(struct tui *t, void *state)
{
	struct roles *r = state;
	int rows, cols, y = 2;

	tui_draw_size(&rows, &cols);
	tui_frame(t, "Roles", "Tab/Up/Down move  Enter next  Esc back  "
	    "Ctrl-C quit");
	tui_draw_text(y++, 1, TA_BOLD, "%.*s", cols - 2,
	    kc_ceremony_title(t->ceremony));
	tui_draw_text(y++, 1, TA_NORMAL, "Who is in the room? Every name "
	    "goes into the transcript.");
	y++;
	for (int i = 0; i < r->n && y < rows - 4; i++) {
		const struct kc_role_info *ri = kc_ceremony_role(t->ceremony,
		    (size_t)i);
		tui_draw_text(y, 3, i == r->focus ? TA_BOLD : TA_NORMAL,
		    "%-26.26s", ri->title);
		tui_field_draw(&r->f[i], y, 31, 40, i == r->focus);
		y++;
		if (ri->duty != NULL && ri->duty[0] != '\0' && y < rows - 4)
			tui_draw_text(y++, 5, TA_DIM, "%.*s", cols - 7,
			    ri->duty);
	}
}

static int
bind_engine(struct tui *t, struct roles *r)
{
	int rc;

	if (t->engine != NULL)
		return KC_OK;
	if ((rc = kc_engine_new(t->ceremony, t->site, 0, &engine_ui,
	    &t->engine)) != KC_OK)
		return rc;
	/* the export step writes the ceremony report too (kc/paper.h) */
	kc_engine_set_report(t->engine, kc_paper_report_cb, NULL);
	if ((rc = tui_backup_bind(t)) != KC_OK)
		return rc;
	for (int i = 0; i < r->n; i++) {
		const struct kc_role_info *ri = kc_ceremony_role(t->ceremony,
		    (size_t)i);
		if ((rc = kc_engine_set_role(t->engine, ri->id,
		    tui_field_text(&r->f[i]))) != KC_OK)
			return rc;
	}
	return KC_OK;
}

static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int
roles_key(struct tui *t, void *state, int key)
{
	struct roles *r = state;

	switch (key) {
	case TK_TAB:
	case TK_DOWN:
		r->focus = (r->focus + 1) % r->n;
		return 1;
	case TK_BTAB:
	case TK_UP:
		r->focus = (r->focus + r->n - 1) % r->n;
		return 1;
	case TK_ESC:
		for (int i = 0; i < r->n; i++)
			snprintf(t->names[i], TUI_NAME_MAX, "%s",
			    tui_field_text(&r->f[i]));
		tui_goto(t, &tui_view_home);
		return 1;
	case TK_ENTER:
		for (int i = 0; i < r->n; i++)
			snprintf(t->names[i], TUI_NAME_MAX, "%s",
			    tui_field_text(&r->f[i]));
		if (blank(tui_field_text(&r->f[r->focus]))) {
			tui_status(t, 1, "a name is needed for every role");
			return 1;
		}
		for (int i = 0; i < r->n; i++)
			if (blank(tui_field_text(&r->f[i]))) {
				r->focus = i;
				tui_status(t, 0, "%s", "");
				return 1;
			}
		if (bind_engine(t, r) != KC_OK) {
			tui_status(t, 1, "%s", kc_errmsg());
			kc_engine_free(t->engine);
			t->engine = NULL;
			return 1;
		}
		tui_status(t, 0, "%s", "");
		tui_goto(t, &tui_view_preflight);
		return 1;
	}
	return tui_field_key(&r->f[r->focus], key);
}

const struct tui_view tui_view_roles = {
	"roles", roles_init, roles_draw, roles_key, roles_free
};

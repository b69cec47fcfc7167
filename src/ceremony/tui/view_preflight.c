/*
 * view_preflight.c: the engine's preflight checks, run one by one in the
 * worker (the token check may take a while), each shown with its state.
 * The clock check asks an officer to confirm the UTC time (a typed YES).
 * The ceremony goes on only when every check ran and none failed.
 * The selected check's detail is shown below the list (PgDn/PgUp when it
 * is longer than the screen); once all have passed, the token check is
 * selected: which module file (real path, size, SHA-256), library, token
 * and environment (LD_PRELOAD...) the ceremony runs with.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "tui.h"

#define MAX_CHECKS 24

struct preflight {
	size_t			n;
	struct kc_check_result	r[MAX_CHECKS];
	int			ran[MAX_CHECKS];
	int			sel;	/* -1: the ceremony file */
	int			off;	/* first detail line shown */
};

#define DETAIL_MAX 64

struct check_job {
	struct kc_engine	*e;
	size_t			 i;
	struct kc_check_result	*r;
};

static int
run_check(void *arg)
{
	struct check_job *j = arg;

	return kc_engine_check(j->e, j->i, j->r);
}

static int
pf_init(struct tui *t, void **state)
{
	struct preflight *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	p->n = kc_engine_ncheck(t->engine);
	if (p->n > MAX_CHECKS)
		p->n = MAX_CHECKS;
	p->sel = -1;	/* the file's SHA-256 and words first */
	*state = p;
	return KC_OK;
}

static void
pf_free(void *state)
{
	free(state);
}

static const char *
badge(const struct preflight *p, size_t i)
{
	if (!p->ran[i])
		return "[      ]";
	switch (p->r[i].status) {
	case KC_CHECK_PASSED: return "[  OK  ]";
	case KC_CHECK_WARNED: return "[ WARN ]";
	case KC_CHECK_FAILED: return "[FAILED]";
	default: return "[  ..  ]";
	}
}

static int
all_ok(const struct preflight *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->ran[i] || p->r[i].status == KC_CHECK_FAILED)
			return 0;
	return 1;
}

static void
pf_draw(struct tui *t, void *state)
{
	struct preflight *p = state;
	int rows, cols, y = 2, n, avail;
	char l[DETAIL_MAX][128], hex[KC_HASH_SHOW_MAX], file_line[600];
	char file_row[600];
	const char *path = kc_ceremony_path(t->ceremony);
	const char *base = path ? strrchr(path, '/') : NULL;

	tui_draw_size(&rows, &cols);
	snprintf(file_line, sizeof(file_line), "ceremony file %s: compare its "
	    "SHA-256 with the paper record", base ? base + 1 : path ? path :
	    "?");
	snprintf(file_row, sizeof(file_row), "ceremony file %s (SHA-256 above, "
	    "PGP words: Up)", base ? base + 1 : path ? path : "?");
	tui_frame(t, "Preflight", all_ok(p) ?
	    "Up/Down details  PgDn more  Enter continue  r re-run  Ctrl-C" :
	    "Up/Down details  PgDn more  Enter run the checks  Ctrl-C abort");
	tui_draw_text(y++, 1, TA_BOLD, "Preflight checks");
	/* the ceremony file's SHA-256 stays in sight: the witnesses compare
	 * it with the paper record before the key is made */
	kc_hash_show(kc_ceremony_sha256(t->ceremony), 0, hex, sizeof(hex));
	tui_draw_text(y++, 1, TA_BOLD, "SHA-256 %s", hex);
	tui_draw_text(y, 3, TA_BOLD, "[ FILE ]");
	tui_draw_text(y++, 13, p->sel < 0 ? TA_UNDERLINE : TA_NORMAL, "%.*s",
	    cols - 15, kc_disp_line(file_row));
	for (size_t i = 0; i < p->n; i++) {
		const char *title = p->ran[i] ? p->r[i].title : NULL;
		tui_draw_text(y, 3, p->ran[i] && p->r[i].status ==
		    KC_CHECK_FAILED ? TA_BOLD | TA_REVERSE : TA_BOLD, "%s",
		    badge(p, i));
		tui_draw_text(y++, 13, (int)i == p->sel ? TA_UNDERLINE :
		    TA_NORMAL, "%.*s", cols - 15, title ? title :
		    "(not run yet)");
	}
	y++;
	if (p->sel < 0) {
		n = tui_hash_block(file_line, kc_ceremony_sha256(t->ceremony),
		    cols - 6, l, DETAIL_MAX);
	} else {
		if (!p->ran[p->sel] || p->r[p->sel].detail[0] == '\0')
			return;
		/* escaped line by line; a hash in the text stays plain */
		n = tui_expand(p->r[p->sel].detail, cols - 6, l, DETAIL_MAX);
	}
	avail = rows - 3 - y;
	if (avail < 2)
		return;
	if (p->off > n - (avail - 1))
		p->off = n - (avail - 1);
	if (p->off < 0)
		p->off = 0;
	for (int k = p->off; k < n && y < rows - 3; k++) {
		if (n > avail && y == rows - 4) {
			tui_draw_text(y++, 3, TA_BOLD, "(%d more line%s: PgDn; "
			    "PgUp back)", n - k, n - k == 1 ? "" : "s");
			break;
		}
		tui_draw_text(y++, 3, TA_NORMAL, "%s", l[k]);
	}
}

static void
run_checks(struct tui *t, struct preflight *p, int failed_only)
{
	for (size_t i = 0; i < p->n && !t->quit; i++) {
		struct check_job j = { t->engine, i, &p->r[i] };
		char title[128];

		if (failed_only && p->ran[i] && p->r[i].status !=
		    KC_CHECK_FAILED)
			continue;
		p->sel = (int)i;
		snprintf(title, sizeof(title), "preflight check %zu of %zu",
		    i + 1, p->n);
		tui_job_set_word("YES");
		if (tui_job(t, title, run_check, &j) != KC_OK) {
			tui_status(t, 1, "%s", kc_errmsg());
			return;
		}
		p->ran[i] = 1;
		if (kc_engine_rehearsal(t->engine))
			t->rehearsal = 1;
	}
	p->off = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].status == KC_CHECK_FAILED) {
			p->sel = (int)i;
			tui_status(t, 1, "check '%s' failed: fix it (see below) "
			    "and press r to run the failed checks again",
			    p->r[i].title);
			return;
		}
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].id != NULL && strcmp(p->r[i].id, "token") == 0)
			p->sel = (int)i;	/* what the ceremony runs with */
	tui_status(t, 0, "all checks passed%s; press Enter to log in to the "
	    "token", kc_engine_rehearsal(t->engine) ? " (REHEARSAL token)" :
	    "");
}

static int
pf_key(struct tui *t, void *state, int key)
{
	struct preflight *p = state;
	int any = 0;

	for (size_t i = 0; i < p->n; i++)
		any |= p->ran[i];
	switch (key) {
	case TK_UP:
		if (p->sel >= 0)
			p->sel--;
		p->off = 0;
		return 1;
	case TK_DOWN:
		if (p->sel + 1 < (int)p->n)
			p->sel++;
		p->off = 0;
		return 1;
	case TK_PGDN:
		p->off += 5;	/* clamped when drawn */
		return 1;
	case TK_PGUP:
		p->off = p->off > 5 ? p->off - 5 : 0;
		return 1;
	case 'r':
	case 'R':
		if (any)
			run_checks(t, p, 1);
		return 1;
	case TK_ENTER:
		if (!any) {
			run_checks(t, p, 0);
			return 1;
		}
		if (!all_ok(p)) {
			tui_status(t, 1, "a check failed: the ceremony cannot "
			    "go on; fix it and press r, or Ctrl-C to abort");
			return 1;
		}
		tui_status(t, 0, "%s", "");
		tui_goto(t, &tui_view_pin);
		return 1;
	}
	return 0;
}

const struct tui_view tui_view_preflight = {
	"preflight", pf_init, pf_draw, pf_key, pf_free
};

/*
 * view_pin.c: logging in to the token. The PIN comes from the site's PIN
 * file, is typed (masked, never echoed), or is rebuilt from K custodians'
 * shares typed one after the other (kc/quorum.h): each share is checked as
 * it is typed, so a mistyped or foreign share is refused before anything
 * reaches the token. The PIN lives in a struct kc_secret and is wiped
 * right after the login, whatever its result.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/quorum.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"
#include "tui.h"

enum pin_mode { MODE_FILE, MODE_TYPED, MODE_SHARES };

struct pinview {
	enum pin_mode		 mode;
	struct tui_field	 pin;
	struct tui_field	 share;
	struct kc_quorum	*q;
	struct kc_quorum_info	 last;
	int			 accepted[KC_QUORUM_MAX_SHARES];
	int			 naccepted;
	int			 attempts;
};

struct login_job {
	struct kc_engine	*e;
	const struct kc_secret	*pin;
};

static int
run_login(void *arg)
{
	struct login_job *j = arg;

	return kc_engine_begin(j->e, j->pin);
}

static void
quorum_reset(struct pinview *p)
{
	kc_quorum_free(p->q);
	p->q = NULL;
	kc_quorum_new(&p->q);
	p->naccepted = 0;
	memset(&p->last, 0, sizeof(p->last));
	tui_field_clear(&p->share);
}

static int
pin_init(struct tui *t, void **state)
{
	struct pinview *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rc = tui_field_init(&p->pin, 256, 1)) != KC_OK ||
	    (rc = tui_field_init(&p->share, KC_QUORUM_TEXT_MAX, 1)) != KC_OK ||
	    (rc = kc_quorum_new(&p->q)) != KC_OK) {
		tui_field_free(&p->pin);
		tui_field_free(&p->share);
		free(p);
		return rc;
	}
	p->share.group = 4;
	p->share.upper = 1;
	p->mode = t->site->pin_file != NULL ? MODE_FILE :
	    t->opts.quorum ? MODE_SHARES : MODE_TYPED;
	*state = p;
	return KC_OK;
}

static void
pin_free(void *state)
{
	struct pinview *p = state;

	tui_field_free(&p->pin);
	tui_field_free(&p->share);
	kc_quorum_free(p->q);
	free(p);
}

static void
pin_draw(struct tui *t, void *state)
{
	struct pinview *p = state;
	int rows, cols, y = 2;

	tui_draw_size(&rows, &cols);
	tui_frame(t, "Log in to the token", p->mode == MODE_FILE ?
	    "Enter log in  Ctrl-C abort" :
	    "Enter submit  Tab PIN/shares  Esc clear  Ctrl-C abort");
	tui_draw_text(y++, 1, TA_BOLD, "Token '%s'", t->site->token_label);
	y++;
	switch (p->mode) {
	case MODE_FILE:
		tui_draw_text(y++, 3, TA_NORMAL, "The PIN is read from %.*s",
		    cols - 26, t->site->pin_file);
		tui_draw_text(y++, 3, TA_NORMAL, "Press Enter to log in.");
		break;
	case MODE_TYPED:
		tui_draw_text(y++, 3, TA_NORMAL, "The officer types the user "
		    "PIN. It is not shown and not kept after the login.");
		y++;
		tui_draw_text(y, 3, TA_BOLD, "PIN");
		tui_field_draw(&p->pin, y++, 12, 34, 1);
		y++;
		tui_draw_text(y++, 3, TA_DIM, "Custodians holding shares of "
		    "the PIN: press Tab.");
		break;
	case MODE_SHARES: {
		int need = kc_quorum_needed(p->q);

		tui_draw_text(y++, 3, TA_NORMAL, "The PIN is rebuilt from the "
		    "custodians' shares, one after the other.");
		tui_draw_text(y++, 3, TA_NORMAL, "Each share is checked as it "
		    "is typed; nothing reaches the token until");
		tui_draw_text(y++, 3, TA_NORMAL, "enough good shares are "
		    "given. Dashes and case do not matter.");
		y++;
		if (p->naccepted > 0) {
			char list[128] = "";
			size_t o = 0;
			for (int i = 0; i < p->naccepted; i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o,
				    "%s%d", i ? ", " : "", p->accepted[i]);
			tui_draw_text(y++, 3, TA_NORMAL, "Set %s, %d of %d: "
			    "accepted share%s %s; %d more needed.",
			    p->last.set_id, p->last.k, p->last.n,
			    p->naccepted == 1 ? "" : "s", list, need);
		} else {
			tui_draw_text(y++, 3, TA_NORMAL, "No share given yet.");
		}
		y++;
		tui_draw_text(y, 3, TA_BOLD, "Custodian %d, type your share:",
		    p->naccepted + 1);
		tui_draw_text(y++, 40, TA_DIM, "(%zu characters typed)",
		    tui_field_len(&p->share));
		tui_field_draw(&p->share, y++, 5, cols - 10, 1);
		y++;
		tui_draw_text(y++, 3, TA_DIM, "To type the PIN itself instead: "
		    "press Tab.");
		break;
	}
	}
	if (p->attempts > 0)
		tui_draw_text(rows - 5, 3, TA_NORMAL, "Login attempts so far: "
		    "%d. A real HSM locks the PIN after a few wrong ones.",
		    p->attempts);
}

/* Logs in with pin and wipes it; 1 on success. */
static int
login(struct tui *t, struct pinview *p, struct kc_secret *pin)
{
	struct login_job j = { t->engine, pin };
	int rc;

	p->attempts++;
	rc = tui_job(t, "logging in to the token", run_login, &j);
	kc_secret_free(pin);
	if (rc != KC_OK) {
		tui_status(t, 1, "%s", kc_errmsg());
		return 0;
	}
	t->logged_in = 1;
	tui_status(t, 0, "logged in to token '%s'", t->site->token_label);
	tui_goto(t, &tui_view_operation);
	return 1;
}

static void
submit_share(struct tui *t, struct pinview *p)
{
	struct kc_quorum_info qi;
	struct kc_secret *pin = NULL;
	char msg[600];

	if (tui_field_len(&p->share) == 0)
		return;
	memset(&qi, 0, sizeof(qi));
	if (kc_quorum_add(p->q, tui_field_text(&p->share),
	    tui_field_len(&p->share), &qi) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		tui_status(t, 1, "%s%s", msg, strstr(msg, "token") ? "" :
		    "; nothing was sent to the token");
		tui_field_clear(&p->share);
		return;
	}
	tui_field_clear(&p->share);
	p->last = qi;
	p->accepted[p->naccepted++] = qi.index;
	if (kc_quorum_needed(p->q) > 0) {
		tui_status(t, 0, "share %d of %d accepted; custodian %d, please",
		    qi.index, qi.n, p->naccepted + 1);
		return;
	}
	if (kc_quorum_combine(p->q, &pin) != KC_OK) {
		tui_status(t, 1, "%s", kc_errmsg());
		quorum_reset(p);
		return;
	}
	quorum_reset(p);
	if (!login(t, p, pin))
		return;
}

static int
pin_key(struct tui *t, void *state, int key)
{
	struct pinview *p = state;
	struct kc_secret *pin = NULL;

	if (key == TK_TAB && p->mode != MODE_FILE) {
		p->mode = p->mode == MODE_TYPED ? MODE_SHARES : MODE_TYPED;
		tui_field_clear(&p->pin);
		quorum_reset(p);
		tui_status(t, 0, "%s", "");
		return 1;
	}
	if (key == TK_ESC) {
		tui_field_clear(&p->pin);
		if (p->mode == MODE_SHARES && tui_field_len(&p->share) == 0)
			quorum_reset(p);
		tui_field_clear(&p->share);
		return 1;
	}
	switch (p->mode) {
	case MODE_FILE:
		if (key != TK_ENTER)
			return 0;
		if (kc_secret_read_file(t->site->pin_file, "PIN", &pin) !=
		    KC_OK) {
			tui_status(t, 1, "%s", kc_errmsg());
			return 1;
		}
		login(t, p, pin);
		return 1;
	case MODE_TYPED:
		if (key != TK_ENTER)
			return tui_field_key(&p->pin, key);
		if (tui_field_len(&p->pin) == 0)
			return 1;
		if (kc_secret_from(tui_field_text(&p->pin),
		    tui_field_len(&p->pin), &pin) != KC_OK) {
			tui_status(t, 1, "%s", kc_errmsg());
			return 1;
		}
		tui_field_clear(&p->pin);
		login(t, p, pin);
		return 1;
	case MODE_SHARES:
		if (key == TK_ENTER) {
			submit_share(t, p);
			return 1;
		}
		if (key == '-' || key == ' ')
			return 1;	/* the groups are drawn for them */
		return tui_field_key(&p->share, key);
	}
	return 0;
}

const struct tui_view tui_view_pin = {
	"pin", pin_init, pin_draw, pin_key, pin_free
};

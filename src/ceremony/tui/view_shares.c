/*
 * view_shares.c: the Shares screen of a root-restore step (issue 17,
 * ceremony/restore-root.yaml): K custodians type their shares of the
 * backup's wrap key one after the other, as the PIN quorum's shares are
 * typed (view_pin.c). Each share is checked as it is typed (checksum, of
 * this backup's set, not twice), so a mistyped or foreign share is refused
 * before anything reaches the token; the accepted shares stay in locked
 * memory (struct kc_secret), never drawn, until the engine's step takes
 * them, and are wiped when the TUI ends. With --share-file the sheets go
 * to the engine directly and this screen is not shown.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/backup.h"
#include "kc/ceremony/engine.h"
#include "kc/ceremony/quorum.h"
#include "kc/core/error.h"
#include "tui.h"

struct shares {
	struct tui_field	 f;
	struct kc_quorum	*q;
	struct kc_bk_backup	 b;
	int			 loaded;
	char			 why[512];
	int			 accepted[16];
	int			 naccepted;
};

/* The engine's secret callback (in the worker): the typed shares in
 * order, each as a new secret. */
static int
take_typed(void *arg, const char *role, const char *prompt,
    struct kc_secret **out)
{
	struct tui *t = arg;
	const struct kc_secret *s;

	(void)role;
	(void)prompt;
	if (t->bk_next >= t->bk_nshares)
		return kc_err(KC_ERR_ABORT, "no more backup shares were typed");
	s = t->bk_shares[t->bk_next++];
	return kc_secret_from(s->buf, s->len, out);
}

int
tui_backup_bind(struct tui *t)
{
	if (t->opts.backup_medium == NULL && t->opts.nshare_files == 0)
		return KC_OK;
	return kc_engine_set_backup(t->engine, t->opts.backup_medium,
	    t->opts.share_files, (size_t)t->opts.nshare_files, take_typed, t);
}

int
tui_shares_needed(const struct tui *t, const struct kc_step_info *si)
{
	return si->action == KC_ACTION_ROOT_RESTORE &&
	    t->opts.nshare_files == 0 && t->bk_nshares == 0;
}

void
tui_shares_free(struct tui *t)
{
	for (int i = 0; i < t->bk_nshares; i++)
		kc_secret_free(t->bk_shares[i]);
	t->bk_nshares = t->bk_next = 0;
}

static int
sh_init(struct tui *t, void **state)
{
	struct shares *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rc = tui_field_init(&s->f, KC_QUORUM_TEXT_MAX, 1)) != KC_OK ||
	    (rc = kc_quorum_new(&s->q)) != KC_OK) {
		tui_field_free(&s->f);
		free(s);
		return rc;
	}
	s->f.group = 4;
	s->f.upper = 1;
	if (t->opts.backup_medium == NULL)
		snprintf(s->why, sizeof(s->why), "no backup medium: start "
		    "keyceremony tui with --backup-medium DIR");
	else if (kc_bk_load(t->opts.backup_medium, NULL, &s->b) != KC_OK)
		snprintf(s->why, sizeof(s->why), "%s", kc_errmsg());
	else
		s->loaded = 1;
	kc_err_clear();
	*state = s;
	return KC_OK;
}

static void
sh_free(void *state)
{
	struct shares *s = state;

	tui_field_free(&s->f);
	kc_quorum_free(s->q);
	kc_bk_backup_clear(&s->b);
	free(s);
}

static void
sh_draw(struct tui *t, void *state)
{
	struct shares *s = state;
	const struct kc_bk_manifest *m = &s->b.m;
	char list[128] = "";
	size_t o = 0;
	int rows, cols, y = 2;

	tui_draw_size(&rows, &cols);
	tui_frame(t, "Backup shares", "Enter submit  Esc clear  Ctrl-C abort");
	if (!s->loaded) {
		tui_draw_text(y++, 3, TA_BOLD, "%.*s", cols - 6, s->why);
		return;
	}
	tui_draw_text(y++, 1, TA_BOLD, "Restore key '%s' (%s) of token '%s'",
	    m->key_label, m->alg, m->token_label);
	y++;
	tui_draw_text(y++, 3, TA_NORMAL, "The wrap key is rebuilt from %d of "
	    "the %d custodians' shares (set %s),", m->k, m->n, m->set_id);
	tui_draw_text(y++, 3, TA_NORMAL, "typed one after the other. Each "
	    "share is checked as it is typed;");
	tui_draw_text(y++, 3, TA_NORMAL, "nothing reaches the token until "
	    "enough good shares are given.");
	y++;
	for (int i = 0; i < s->naccepted; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%d",
		    i ? ", " : "", s->accepted[i]);
	if (s->naccepted > 0)
		tui_draw_text(y++, 3, TA_NORMAL, "Accepted share%s %s; %d more "
		    "needed.", s->naccepted == 1 ? "" : "s", list,
		    kc_quorum_needed(s->q));
	else
		tui_draw_text(y++, 3, TA_NORMAL, "No share given yet.");
	y++;
	tui_draw_text(y, 3, TA_BOLD, "Custodian %d, type your backup share:",
	    s->naccepted + 1);
	tui_draw_text(y++, 45, TA_DIM, "(%zu characters typed)",
	    tui_field_len(&s->f));
	tui_field_draw(&s->f, y++, 5, cols - 10, 1);
}

/* One typed share: of this backup, not twice; kept when good. */
static void
submit(struct tui *t, struct shares *s)
{
	struct kc_quorum_info qi;
	const char *text = tui_field_text(&s->f);
	size_t len = tui_field_len(&s->f);
	int rc;

	if (len == 0)
		return;
	memset(&qi, 0, sizeof(qi));
	if (t->bk_nshares >= 16)
		rc = kc_err(KC_ERR_USAGE, "more than 16 shares: give the sheets "
		    "with --share-file");
	else if ((rc = kc_quorum_check(text, len, &qi)) == KC_OK &&
	    (rc = kc_bk_share_of(&s->b.m, &qi)) == KC_OK &&
	    (rc = kc_quorum_add(s->q, text, len, &qi)) == KC_OK)
		rc = kc_secret_from(text, len, &t->bk_shares[t->bk_nshares]);
	tui_field_clear(&s->f);
	if (rc != KC_OK) {
		tui_status(t, 1, "%s; nothing was sent to the token",
		    kc_errmsg());
		return;
	}
	t->bk_nshares++;
	s->accepted[s->naccepted++] = qi.index;
	if (kc_quorum_needed(s->q) > 0) {
		tui_status(t, 0, "share %d of %d accepted; custodian %d, please",
		    qi.index, qi.n, s->naccepted + 1);
		return;
	}
	tui_status(t, 0, "%d shares accepted: press Enter to restore the key",
	    s->naccepted);
	tui_goto(t, &tui_view_operation);
}

static int
sh_key(struct tui *t, void *state, int key)
{
	struct shares *s = state;

	if (!s->loaded)
		return 0;
	if (key == TK_ESC) {
		tui_field_clear(&s->f);
		return 1;
	}
	if (key == TK_ENTER) {
		submit(t, s);
		return 1;
	}
	if (key == '-' || key == ' ')
		return 1;	/* the groups are drawn for them */
	return tui_field_key(&s->f, key);
}

const struct tui_view tui_view_shares = {
	"shares", sh_init, sh_draw, sh_key, sh_free
};

/*
 * view_end.c: the end of the ceremony. The transcript is closed (completed
 * or aborted) and its final digest shown large enough to copy onto paper:
 * hex in the one form (kc_hash_show), and the 32 PGP words numbered for reading aloud.
 * Then the public artefacts go to the media (typed EXPORT) unless a step of
 * the ceremony already did it, also after an abort when steps wrote
 * outputs before it (they are not left unexported in the state directory).
 */
#include "config.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/media.h"
#include "kc/ceremony/qr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "tui.h"

struct endview {
	int			finished;
	int			rc;
	char			err[1024];
	struct kc_engine_summary sum;
	int			had_export_step;
	int			export_ran;	/* the export step was done */
	int			made;	/* steps done that wrote an output */
	size_t			nexported;
	char			export_msg[512];
	int			qr;	/* r: the digest as a QR code */
};

struct finish_job {
	struct kc_engine		*e;
	struct kc_engine_summary	*sum;
};

static int
run_finish(void *arg)
{
	struct finish_job *j = arg;

	return kc_engine_finish(j->e, j->sum);
}

struct export_job {
	struct kc_engine	*e;
	struct kc_export_result	*res;
};

static int
run_export(void *arg)
{
	struct export_job *j = arg;

	return kc_engine_export(j->e, j->res);
}

static void finish(struct tui *t, struct endview *v);

/* The End screen offers the export when no export was done yet and there
 * is something to export: a completed ceremony, or an aborted one whose
 * steps wrote outputs before it stopped (they are not left in the state
 * directory unexported). */
static int
offer_export(const struct endview *v)
{
	return v->rc == KC_OK && !v->export_ran && v->nexported == 0 &&
	    (v->sum.completed || v->made > 0);
}

static int
end_init(struct tui *t, void **state)
{
	struct endview *v = calloc(1, sizeof(*v));
	size_t n = kc_ceremony_nsteps(t->ceremony);

	if (v == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	size_t done = kc_engine_next_step(t->engine);

	for (size_t i = 0; i < n; i++) {
		int exp = kc_ceremony_step(t->ceremony, i)->action ==
		    KC_ACTION_EXPORT;

		v->had_export_step |= exp;
		if (i < done) {
			v->export_ran |= exp;
			v->made += !exp;
		}
	}
	*state = v;
	finish(t, v);
	return KC_OK;
}

static void
end_free(void *state)
{
	free(state);
}

static void
finish(struct tui *t, struct endview *v)
{
	struct finish_job j = { t->engine, &v->sum };

	v->finished = 1;
	v->rc = tui_job(t, "closing the transcript", run_finish, &j);
	if (v->rc != KC_OK) {
		snprintf(v->err, sizeof(v->err), "%s", kc_errmsg());
		tui_status(t, 1, "%s", v->err);
		return;
	}
	snprintf(t->summary_digest, sizeof(t->summary_digest), "%s",
	    v->sum.digest);
	snprintf(t->summary_words, sizeof(t->summary_words), "%s",
	    v->sum.words);
	snprintf(t->summary_transcript, sizeof(t->summary_transcript), "%s",
	    v->sum.transcript);
	t->summary_completed = v->sum.completed;
	t->summary_records = v->sum.records;
	if (!v->sum.completed)
		t->exit_status = 1;
	if (offer_export(v) && !v->sum.completed)
		tui_status(t, 0, "witnesses: copy the digest and the words; %d "
		    "step%s wrote outputs before the ceremony stopped: press e "
		    "to export them with the transcript, or q to leave",
		    v->made, v->made == 1 ? "" : "s");
	else
		tui_status(t, 0, "witnesses: copy the digest and the words; "
		    "then %s", offer_export(v) ? "press e to export to the "
		    "media" : "press q to leave");
}

/* The final digest (64 hex digits) as a QR code in half blocks: two
 * module rows per line, light modules drawn (a light-on-dark terminal
 * shows dark modules on light), a quiet zone of two modules. 37 columns
 * by 19 lines for the 33 modules of the digest (version 4, level L). */
static void
draw_qr(struct tui *t, struct endview *v)
{
	static const char *const cell[4] = { " ", "\u2584", "\u2580",
	    "\u2588" };	/* neither, bottom, top, both light */
	struct kc_qr *q = NULL;
	int rows, cols, side, x0, y0 = 2;

	tui_draw_size(&rows, &cols);
	tui_frame(t, "End: QR code", "r back to the digest and words  q leave");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		tui_draw_text(y0, 1, TA_BOLD, "The QR code needs a UTF-8 "
		    "terminal (half-block characters):");
		tui_draw_text(y0 + 1, 3, TA_NORMAL, "start keyceremony with "
		    "LANG=C.UTF-8 (this one is %.30s)", nl_langinfo(CODESET));
		return;
	}
	if (kc_qr_encode(v->sum.digest, KC_QR_ECC_L, &q) != KC_OK) {
		tui_draw_text(y0, 1, TA_BOLD, "%s", kc_errmsg());
		return;
	}
	side = q->width + 4;
	x0 = (cols - side) / 2;
	for (int y = -2, line = 0; y < q->width + 2; y += 2, line++)
		for (int x = -2; x < q->width + 2; x++) {
			int top = !kc_qr_dark(q, x, y);
			int bot = y + 1 < q->width + 2 && !kc_qr_dark(q, x, y + 1);

			tui_draw_text(y0 + line, x0 + x + 2, TA_NORMAL, "%s",
			    cell[top * 2 + bot]);
		}
	tui_draw_center(y0 + (side + 1) / 2 + 1, TA_NORMAL, "%s",
	    "scan: the final digest in hex, to compare with the paper");
	kc_qr_free(q);
}

static void
end_draw(struct tui *t, void *state)
{
	struct endview *v = state;
	int rows, cols, y = 2;
	char g[KC_HASH_SHOW_MAX], words[32][16], *gsave = NULL, *lsave = NULL;
	int nw = 0;

	if (v->qr && v->rc == KC_OK) {
		draw_qr(t, v);
		return;
	}
	tui_draw_size(&rows, &cols);
	tui_frame(t, "End of the ceremony", offer_export(v) ?
	    "e export to the media  r QR code  q leave" :
	    "r QR code  q leave");
	if (v->rc != KC_OK) {
		tui_draw_text(y++, 1, TA_BOLD, "The transcript could not be "
		    "closed:");
		tui_draw_text(y++, 3, TA_NORMAL, "%.*s", cols - 4, v->err);
		return;
	}
	tui_draw_text(y++, 1, TA_BOLD | (v->sum.completed ? 0 : TA_REVERSE),
	    "%s%s", v->sum.completed ? "CEREMONY COMPLETED" :
	    "CEREMONY ABORTED", v->sum.rehearsal ? " (REHEARSAL)" : "");
	tui_draw_text(y++, 1, TA_NORMAL, "transcript (%zu records):",
	    v->sum.records);
	tui_draw_text(y++, 3, TA_NORMAL, "%.*s", cols - 4, v->sum.transcript);
	tui_draw_text(y++, 1, TA_BOLD, "Final digest (SHA-256):");
	/* the one form (kc_hash_show): two lines of four groups of eight,
	 * spaced for copying by hand */
	kc_hash_show(v->sum.digest, KC_HASH_TWO_LINES, g, sizeof(g));
	for (char *line = strtok_r(g, "\n", &gsave); line != NULL;
	    line = strtok_r(NULL, "\n", &gsave)) {
		char out[80];
		size_t o = 0;
		for (char *grp = strtok_r(line, " ", &lsave); grp != NULL;
		    grp = strtok_r(NULL, " ", &lsave))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
			    o ? "   " : "", grp);
		tui_draw_center(y++, TA_BOLD, "%s", out);
	}
	y++;
	{
		char *copy = strdup(v->sum.words), *s, *save = NULL;
		for (s = copy ? strtok_r(copy, " ", &save) : NULL;
		    s != NULL && nw < 32; s = strtok_r(NULL, " ", &save))
			snprintf(words[nw++], sizeof(words[0]), "%s", s);
		free(copy);
	}
	tui_draw_text(y++, 1, TA_BOLD, "The same as PGP words:");
	for (int r = 0; r < 8 && r * 4 < nw; r++) {
		for (int c = 0; c < 4 && r * 4 + c < nw; c++)
			tui_draw_text(y, 4 + c * 19, TA_BOLD, "%2d %s",
			    r * 4 + c + 1, words[r * 4 + c]);
		y++;
	}
	if (v->export_msg[0] != '\0' && y < rows - 3)
		tui_draw_text(y, 1, TA_NORMAL, "%.*s", cols - 2, v->export_msg);
}

static void
do_export(struct tui *t, struct endview *v)
{
	struct kc_export_result res;
	struct export_job j = { t->engine, &res };
	const char *lines[] = {
		"The public artefacts of the state directory go to the media:",
		t->site->media_dir,
		"",
		"Every file is checked for private key material first; a file",
		"with any is refused and nothing is written.",
		NULL
	};

	if (!tui_confirm_word(t, "Export", lines, "EXPORT")) {
		tui_status(t, 0, "export not done");
		return;
	}
	memset(&res, 0, sizeof(res));
	tui_job_set_word("EXPORT");
	if (tui_job(t, "exporting to the media", run_export, &j) != KC_OK) {
		tui_status(t, 1, "%s", kc_errmsg());
		kc_export_result_clear(&res);
		return;
	}
	v->nexported = res.n;
	t->exported = 1;
	snprintf(v->export_msg, sizeof(v->export_msg), "exported %zu file%s "
	    "to %s (SHA256SUMS written)", res.n, res.n == 1 ? "" : "s",
	    t->site->media_dir);
	tui_status(t, 0, "%s; press q to leave", v->export_msg);
	kc_export_result_clear(&res);
}

static int
end_key(struct tui *t, void *state, int key)
{
	struct endview *v = state;

	switch (key) {
	case 'e':
	case 'E':
		if (offer_export(v))
			do_export(t, v);
		return 1;
	case 'r':
	case 'R':
		v->qr = !v->qr;
		return 1;
	case 'q':
	case 'Q':
		t->quit = 1;
		return 1;
	}
	return 0;
}

const struct tui_view tui_view_end = {
	"end", end_init, end_draw, end_key, end_free
};

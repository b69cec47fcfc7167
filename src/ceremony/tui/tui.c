/*
 * tui.c: the ceremony TUI's loop. It owns the terminal's life cycle (the
 * modes are restored on every exit path: normal return, atexit, SIGTERM,
 * SIGHUP and fatal signals), turns Ctrl-C into a question, draws the
 * frame, the modal questions and the progress box, and runs blocking
 * library calls in a worker thread so that the screen keeps moving.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/ceremony/engine.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "tui.h"

/* ---- terminal life cycle and signals ---- */

static int term_active;

static void
restore_at_exit(void)
{
	if (term_active) {
		term_active = 0;
		tui_draw_stop();
	}
}

static void
on_signal(int sig)
{
	tui_input_signal(sig);
}

#ifndef __SANITIZE_ADDRESS__
static void
on_fatal(int sig)
{
	static const char msg[] = "\r\nkeyceremony: fatal signal; terminal "
	    "modes restored\r\n";

	tui_draw_emergency_restore();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		(void)0;
	raise(sig);	/* SA_RESETHAND: the default action now */
}
#endif

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;	/* no SA_RESTART: getch() returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
#ifndef __SANITIZE_ADDRESS__
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
#endif
}

/* ---- status, frame ---- */

void
tui_status(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_error = error;
}

void
tui_goto(struct tui *t, const struct tui_view *v)
{
	t->next = v;
}

static int
too_small(void)
{
	int rows, cols;

	tui_draw_size(&rows, &cols);
	return rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS;
}

void
tui_frame(struct tui *t, const char *title, const char *keys)
{
	char clock[32];
	time_t now = time(NULL);
	struct tm tm;
	int rows, cols;

	tui_draw_size(&rows, &cols);
	gmtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%Y-%m-%d %H:%M:%S UTC", &tm);
	tui_draw_text(0, 0, TA_REVERSE, "%-*s", cols, "");
	tui_draw_text(0, 1, TA_REVERSE | TA_BOLD, "keyceremony");
	tui_draw_text(0, 14, TA_REVERSE, "%.*s", cols - 14 - 34, title);
	if (t->rehearsal)
		tui_draw_text(0, cols - 35, TA_REVERSE | TA_BOLD, "REHEARSAL");
	tui_draw_text(0, cols - 24, TA_REVERSE, "%s", clock);
	if (t->status[0] != '\0') {
		/* long messages take two lines, cut between words */
		char l[2][128];
		int n = tui_wrap(t->status, cols - 2, l, 2);

		for (int i = 0; i < n; i++)
			tui_draw_text(rows - 1 - n + i, 1, t->status_error ?
			    TA_REVERSE | TA_BOLD : TA_BOLD, "%s", l[i]);
	}
	tui_draw_text(rows - 1, 0, TA_REVERSE, "%-*s", cols, "");
	tui_draw_text(rows - 1, 1, TA_REVERSE, "%.*s", cols - 2, keys);
}

/* ---- modal layers drawn over the view ---- */

struct dialog {
	const char		*title;
	const char *const	*lines;
	char			 wrapped[64][128];
	int			 nwrapped;
	int			 top;		/* first line shown */
	const char		*prompt;
	struct tui_field	*field;		/* typed answer, or NULL */
	int			 seen_all;	/* the last line was shown */
};

struct jobbox {
	const char	*title;
	struct timespec	 start;
	char		 progress[256];
	int		 stop_after;
};

static struct dialog *cur_dialog;
static struct jobbox *cur_job;

static void
draw_job(const struct jobbox *j)
{
	static const char spin[] = "|/-\\";
	struct timespec now;
	long secs;
	int rows, cols, w = 64, h = 8, y, x;

	tui_draw_size(&rows, &cols);
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (long)(now.tv_sec - j->start.tv_sec);
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_draw_fill(y, x, h, w);
	tui_draw_box(y, x, h, w);
	tui_draw_text(y, x + 2, TA_BOLD, " Working ");
	tui_draw_text(y + 2, x + 3, TA_BOLD, "%c  %.*s",
	    spin[(now.tv_nsec / 250000000L + now.tv_sec * 4) % 4], w - 9,
	    j->title);
	tui_draw_text(y + 3, x + 6, TA_NORMAL, "elapsed %ld:%02ld", secs / 60,
	    secs % 60);
	tui_draw_text(y + 4, x + 6, TA_NORMAL, "%.*s", w - 9, j->progress);
	tui_draw_text(y + 6, x + 3, TA_DIM, "%.*s", w - 6, j->stop_after ?
	    "The ceremony stops when this operation ends." :
	    "The HSM is working; this cannot be interrupted.");
}

/* Width of the text inside a dialog for a screen of cols columns. */
static int
dialog_text_width(int cols)
{
	return (cols - 2 < 100 ? cols - 2 : 100) - 4;
}

static void
draw_dialog(struct dialog *d)
{
	int rows, cols, w, h, y, x, body, n;

	tui_draw_size(&rows, &cols);
	w = dialog_text_width(cols) + 4;
	if (d->nwrapped == 0) {
		for (int i = 0; d->lines[i] != NULL && d->nwrapped < 64; i++)
			d->nwrapped += tui_wrap(d->lines[i], w - 4,
			    d->wrapped + d->nwrapped, 64 - d->nwrapped);
	}
	/* up to the whole screen between the title and the key lines */
	body = d->nwrapped;
	if (body > rows - 7)
		body = rows - 7;
	h = body + 5;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	if (d->top > d->nwrapped - body)
		d->top = d->nwrapped - body;
	if (d->top < 0)
		d->top = 0;
	if (d->top + body >= d->nwrapped)
		d->seen_all = 1;
	tui_draw_fill(y, x, h, w);
	tui_draw_box(y, x, h, w);
	tui_draw_text(y, x + 2, TA_BOLD, " %s ", d->title);
	for (n = 0; n < body; n++)
		tui_draw_text(y + 1 + n, x + 2, TA_NORMAL, "%s",
		    d->wrapped[d->top + n]);
	if (d->nwrapped > body)
		tui_draw_text(y + h - 1, x + w - 30, TA_BOLD,
		    " lines %d-%d of %d, PgDn ", d->top + 1, d->top + body,
		    d->nwrapped);
	tui_draw_text(y + body + 2, x + 2, TA_BOLD, "%.*s", w - 4,
	    d->seen_all || d->field == NULL ? d->prompt :
	    "Read it all first: PgDn shows the rest.");
	if (d->field != NULL)
		tui_field_draw(d->field, y + body + 3, x + 2, 24, 1);
}

static void
draw_too_small(void)
{
	int rows, cols;

	tui_draw_size(&rows, &cols);
	tui_draw_clear();
	tui_draw_text(0, 0, TA_BOLD, "The terminal is now %dx%d.", cols, rows);
	tui_draw_text(1, 0, TA_NORMAL, "Enlarge it to at least %dx%d to "
	    "continue.", TUI_MIN_COLS, TUI_MIN_ROWS);
	tui_draw_text(2, 0, TA_NORMAL, "(A smaller console font gives more "
	    "rows and columns.)");
	tui_draw_text(3, 0, TA_NORMAL, "Nothing was lost.");
}

void
tui_redraw(struct tui *t)
{
	if (too_small()) {
		draw_too_small();
		tui_draw_flush();
		return;
	}
	tui_draw_clear();
	if (t->view != NULL)
		t->view->draw(t, t->vstate);
	if (cur_job != NULL)
		draw_job(cur_job);
	if (cur_dialog != NULL)
		draw_dialog(cur_dialog);
	tui_draw_flush();
}

/* Keys every waiting loop treats the same way; 1 when k was used. */
static int
common_key(struct tui *t, int k)
{
	switch (k) {
	case TK_RESIZE:
	case TK_REDRAW:
		tui_draw_invalidate();
		return 1;
	case TK_TERM:
		t->quit = 1;
		t->exit_status = 1;
		return 1;
	case TK_NONE:
		return 1;
	}
	return too_small();	/* no input until the screen is big enough */
}

int
tui_confirm_word(struct tui *t, const char *title, const char *const *lines,
    const char *word)
{
	struct dialog d, *saved = cur_dialog;
	struct tui_field f;
	char prompt[160];
	int answer = 0;

	if (tui_field_init(&f, 32, 0) != KC_OK)
		return 0;
	f.upper = 1;
	memset(&d, 0, sizeof(d));
	snprintf(prompt, sizeof(prompt), "Type %s and press Enter to go on; "
	    "Esc to decline.", word);
	d.title = title;
	d.lines = lines;
	d.prompt = prompt;
	d.field = &f;
	cur_dialog = &d;
	tui_input_flush();
	for (;;) {
		int k;

		tui_redraw(t);
		k = tui_input_key(1000);
		if (common_key(t, k)) {
			if (t->quit)
				break;
			continue;
		}
		if (k == TK_ESC && t->view != &tui_view_operation)
			break;	/* declining changes nothing for the ceremony */
		if (k == TK_ESC) {
			/* a step's question: declining ends the ceremony, so
			 * one key never does it; Esc asks, as Ctrl-C does */
			if (tui_ask_yes(t, "Decline this step? The ceremony "
			    "stops: the transcript records the step as "
			    "declined and the ceremony as aborted. Press n to "
			    "go back to the question."))
				break;
			continue;
		}
		if (k == TK_INTR) {
			/* Ctrl-C asks too; yes declines and aborts */
			if (tui_ask_yes(t, "Abort the ceremony? This question "
			    "is declined and the transcript records the "
			    "ceremony as aborted.")) {
				t->stop = 1;
				break;
			}
			continue;
		}
		if (k == TK_PGUP || k == TK_UP)
			d.top -= k == TK_UP ? 1 : 10;
		else if (k == TK_PGDN || k == TK_DOWN)
			d.top += k == TK_DOWN ? 1 : 10;
		else if (k == TK_ENTER) {
			if (!d.seen_all)
				continue;	/* the prompt says: PgDn first */
			if (strcmp(tui_field_text(&f), word) == 0) {
				answer = 1;
				break;
			}
			snprintf(prompt, sizeof(prompt), "That was not %s. Type "
			    "%s and press Enter; Esc to decline.", word, word);
			tui_field_clear(&f);
		} else
			tui_field_key(&f, k);
	}
	cur_dialog = saved;
	tui_field_free(&f);
	return answer;
}

int
tui_ask_yes(struct tui *t, const char *question)
{
	struct dialog d, *saved = cur_dialog;
	const char *lines[] = { question, NULL };
	int answer = -1;

	memset(&d, 0, sizeof(d));
	d.title = "Question";
	d.lines = lines;
	d.prompt = "Press y for yes, n for no.";
	cur_dialog = &d;
	tui_input_flush();
	while (answer < 0) {
		int k;

		tui_redraw(t);
		k = tui_input_key(1000);
		if (common_key(t, k)) {
			if (t->quit)
				answer = 0;
			continue;
		}
		if (k == 'y' || k == 'Y')
			answer = 1;
		else if (k == 'n' || k == 'N' || k == TK_ESC || k == TK_INTR)
			answer = 0;
	}
	cur_dialog = saved;
	return answer;
}

void
tui_interrupt(struct tui *t)
{
	int over = t->view == &tui_view_end;

	if (t->engine != NULL && !over) {
		/* the transcript is closed on the End screen, which shows
		 * the digest of the aborted ceremony for the paper record */
		if (tui_ask_yes(t, "Abort the ceremony? The transcript records "
		    "it as aborted; nothing more is signed."))
			t->stop = 1;
		return;
	}
	if (tui_ask_yes(t, over ? "Leave keyceremony?" :
	    "Leave keyceremony? Nothing has been done yet.")) {
		t->quit = 1;
		if (!over)
			t->exit_status = 1;
	}
}

/* ---- worker thread ---- */

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 done;
	int		 rc;
	int		 code;
	char		 msg[1024];
	char		 progress[256];
	const char	*ask_text;	/* a question waits */
	int		 answer;
	int		 answered;
	char		 word[32];
	int		 (*fn)(void *);
	void		*arg;
	/* a structured SHA-256 field the worker fills before it asks (the
	 * step result's in_sha256), shown first in its questions */
	const char	*hash_label;
	const char	*hash_hex;
} J = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	0, 0, 0, "", "", NULL, 0, 0, "", NULL, NULL, NULL, NULL };

static void *
worker(void *unused)
{
	int rc;

	(void)unused;
	kc_err_clear();
	rc = J.fn(J.arg);
	pthread_mutex_lock(&J.mu);
	J.rc = rc;
	J.code = kc_errcode();
	snprintf(J.msg, sizeof(J.msg), "%s", kc_errmsg());
	J.done = 1;
	pthread_cond_broadcast(&J.cv);
	pthread_mutex_unlock(&J.mu);
	return NULL;
}

void
tui_job_set_word(const char *word)
{
	pthread_mutex_lock(&J.mu);
	snprintf(J.word, sizeof(J.word), "%s", word);
	pthread_mutex_unlock(&J.mu);
}

void
tui_job_set_hash(const char *label, const char *hex)
{
	pthread_mutex_lock(&J.mu);
	J.hash_label = label;
	J.hash_hex = hex;
	pthread_mutex_unlock(&J.mu);
}

void
tui_job_progress(const char *msg)
{
	pthread_mutex_lock(&J.mu);
	snprintf(J.progress, sizeof(J.progress), "%s", msg);
	pthread_mutex_unlock(&J.mu);
}

int
tui_job_confirm(const char *text, const char *word)
{
	int a;

	pthread_mutex_lock(&J.mu);
	if (word != NULL)
		snprintf(J.word, sizeof(J.word), "%s", word);
	J.ask_text = text;
	J.answered = 0;
	while (!J.answered)
		pthread_cond_wait(&J.cv, &J.mu);
	a = J.answer;
	pthread_mutex_unlock(&J.mu);
	return a;
}

/* A question from the library, as a dialog in the UI thread. The
 * structured SHA-256 (tui_job_set_hash) comes first, as a block; the
 * library's text follows as plain, escaped text. */
static int
ask_in_ui(struct tui *t, const char *text, const char *word,
    const char *hlabel, const char *hhex)
{
	static char wrapped[60][128];
	const char *lines[61];
	int rows, cols, n = 0, w;

	tui_draw_size(&rows, &cols);
	w = dialog_text_width(cols);
	if (hlabel != NULL && hhex != NULL && hhex[0] != '\0' &&
	    (n = tui_hash_block(hlabel, hhex, w, wrapped, 60)) > 0)
		snprintf(wrapped[n++], 128, "%s", "");
	n += tui_expand(text, w, wrapped + n, 60 - n);
	for (int i = 0; i < n; i++)
		lines[i] = wrapped[i];
	lines[n] = NULL;
	return tui_confirm_word(t, "Confirm", lines, word[0] ? word : "YES");
}

int
tui_job(struct tui *t, const char *title, int (*fn)(void *), void *arg)
{
	struct jobbox box;
	pthread_t th;
	int rc, code;
	char msg[sizeof(J.msg)];

	memset(&box, 0, sizeof(box));
	box.title = title;
	clock_gettime(CLOCK_MONOTONIC, &box.start);
	pthread_mutex_lock(&J.mu);
	J.done = 0;
	J.fn = fn;
	J.arg = arg;
	J.progress[0] = '\0';
	J.ask_text = NULL;
	pthread_mutex_unlock(&J.mu);
	if ((errno = pthread_create(&th, NULL, worker, NULL)) != 0)
		return kc_err(KC_ERR_INTERNAL, "cannot start a thread: %s",
		    strerror(errno));
	cur_job = &box;
	for (;;) {
		const char *ask, *hlabel, *hhex;
		char word[32], hash[96];
		int k, done;

		pthread_mutex_lock(&J.mu);
		done = J.done;
		ask = J.ask_text;
		hlabel = J.hash_label;
		hhex = J.hash_hex;
		/* the worker wrote it before asking; it waits now */
		snprintf(hash, sizeof(hash), "%s", ask != NULL && hhex != NULL ?
		    hhex : "");
		snprintf(box.progress, sizeof(box.progress), "%s", J.progress);
		snprintf(word, sizeof(word), "%s", J.word);
		pthread_mutex_unlock(&J.mu);
		if (done)
			break;
		if (ask != NULL) {
			struct jobbox *hidden = cur_job;
			int a;

			cur_job = NULL;
			a = box.stop_after ? 0 : ask_in_ui(t, ask, word,
			    hlabel, hash);
			cur_job = hidden;
			pthread_mutex_lock(&J.mu);
			J.ask_text = NULL;	/* answered: not asked again */
			J.answer = a;
			J.answered = 1;
			pthread_cond_broadcast(&J.cv);
			pthread_mutex_unlock(&J.mu);
			continue;
		}
		tui_redraw(t);
		k = tui_input_key(200);
		if (k == TK_TERM) {
			/* leave as soon as the HSM call returns */
			box.stop_after = 1;
			t->quit = 1;
			t->exit_status = 1;
			continue;
		}
		if (k == TK_INTR) {
			if (tui_ask_yes(t, "The HSM is working and cannot be "
			    "interrupted. Stop the ceremony as soon as this "
			    "operation ends?"))
				box.stop_after = 1;
			continue;
		}
		common_key(t, k);
	}
	pthread_join(th, NULL);
	cur_job = NULL;
	pthread_mutex_lock(&J.mu);
	rc = J.rc;
	code = J.code;
	snprintf(msg, sizeof(msg), "%s", J.msg);
	J.word[0] = '\0';
	J.hash_label = J.hash_hex = NULL;
	pthread_mutex_unlock(&J.mu);
	if (rc != KC_OK)
		kc_err(code != KC_OK ? code : rc, "%s", msg[0] ? msg :
		    kc_err_name(rc));
	if (box.stop_after)
		t->stop = 1;
	return rc;
}

/* libkc's notes (progress, warnings) must not reach stderr while curses
 * owns the screen: they go to the progress line of the running job. */
static void
log_sink(enum kc_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level != KC_LOG_DEBUG)
		tui_job_progress(msg);
}

/* ---- the loop ---- */

static int
switch_view(struct tui *t, const struct tui_view *v)
{
	void *st = NULL;
	int rc;

	if (t->view != NULL && t->view->free != NULL)
		t->view->free(t->vstate);
	t->view = NULL;
	t->vstate = NULL;
	if (v->init != NULL && (rc = v->init(t, &st)) != KC_OK)
		return rc;
	t->view = v;
	t->vstate = st;
	return KC_OK;
}

/* The site profile with the command line's overrides, before the
 * screen starts so that a bad site file is a plain one-line error. */
static int
setup_site(const struct tui_opts *o, struct kc_site **out)
{
	struct kc_site *s = NULL;
	int rc;

	if ((rc = o->site ? kc_site_load(o->site, &s) : kc_site_new(&s)) !=
	    KC_OK)
		return rc;
	if ((o->module && (rc = kc_site_set(&s->module, o->module))) ||
	    (o->token && (rc = kc_site_set(&s->token_label, o->token))) ||
	    (o->serial && (rc = kc_site_set(&s->token_serial, o->serial))) ||
	    (o->pin_file && (rc = kc_site_set(&s->pin_file, o->pin_file))) ||
	    (o->state && (rc = kc_site_set(&s->state_dir, o->state))) ||
	    (o->media && (rc = kc_site_set(&s->media_dir, o->media)))) {
		kc_site_free(s);
		return rc;
	}
	if (o->network != NULL)
		s->network = strcmp(o->network, "refuse") == 0 ?
		    KC_POLICY_REFUSE : KC_POLICY_WARN;
	*out = s;
	return KC_OK;
}

int
tui_main(const struct tui_opts *opts)
{
	struct tui *t;
	int rc, status, had_engine;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	t->opts = *opts;
	t->exit_status = 0;
	if ((rc = setup_site(opts, &t->site)) != KC_OK) {
		free(t);
		return rc;
	}
	install_signals();
	kc_log_set_sink(log_sink, NULL);
	if ((rc = tui_draw_start()) != KC_OK) {
		kc_site_free(t->site);
		free(t);
		return rc;
	}
	term_active = 1;
	atexit(restore_at_exit);
	if ((rc = switch_view(t, &tui_view_home)) != KC_OK)
		goto out;
	while (!t->quit) {
		int k;

		if (t->stop && t->engine != NULL && t->view != &tui_view_end) {
			t->stop = 0;
			t->exit_status = 1;
			tui_goto(t, &tui_view_end);
		}
		while (t->next != NULL && !t->quit) {
			const struct tui_view *v = t->next;

			t->next = NULL;
			if ((rc = switch_view(t, v)) != KC_OK) {
				tui_status(t, 1, "%s", kc_errmsg());
				if (v == &tui_view_home ||
				    (rc = switch_view(t, &tui_view_home)) !=
				    KC_OK)
					goto out;	/* nothing to show */
			}
		}
		if (t->quit)
			break;
		tui_redraw(t);
		k = tui_input_key(1000);
		if (common_key(t, k))
			continue;
		if (k == TK_INTR) {
			tui_interrupt(t);
			continue;
		}
		if (!t->view->key(t, t->vstate, k) && k == TK_ESC)
			tui_status(t, 0, "%s", "");
	}
	rc = KC_OK;
out:
	if (t->view != NULL && t->view->free != NULL)
		t->view->free(t->vstate);
	restore_at_exit();
	had_engine = t->engine != NULL;
	kc_engine_free(t->engine);
	tui_shares_free(t);
	kc_ceremony_free(t->ceremony);
	kc_site_free(t->site);
	free(t->ceremony_path);
	status = t->exit_status;
	if (rc == KC_OK && t->summary_digest[0] != '\0') {
		/* the digest stays on the terminal for the paper record */
		printf("ceremony %s: transcript %s\nfinal digest %s\n%s\n",
		    t->summary_completed ? "completed" : "ABORTED",
		    kc_disp(t->summary_transcript),
		    kc_hash(t->summary_digest), t->summary_words);
	} else if (rc == KC_OK && had_engine) {
		fprintf(stderr, "keyceremony: ceremony aborted; the transcript "
		    "records how far it got\n");
	}
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
	if (rc != KC_OK)
		return rc;
	return status == 0 ? KC_OK : KC_ERR_ABORT;
}

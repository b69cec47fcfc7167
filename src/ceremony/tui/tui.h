/*
 * tui.h: the ceremony TUI's internal interfaces.
 *
 * Layers (as in tmux): draw.c and input.c are the only files that include
 * curses; tui.c owns the loop, the terminal's life cycle, signals, modal
 * questions and the worker thread that runs blocking library calls; each
 * screen is a struct tui_view (init / draw / key / free) in its own
 * view_*.c. Views never call curses: they draw through tui_draw_*() and get
 * keys already decoded (TK_*).
 */
#ifndef KC_TUI_H
#define KC_TUI_H

#include <stddef.h>

#include "kc/core/secret.h"

struct kc_ceremony;
struct kc_site;
struct kc_engine;
struct kc_step_info;

/* ---- keys (input.c) ---- */
enum {
	TK_NONE = -1,		/* timeout: nothing typed */
	TK_ENTER = 0x100,
	TK_BACKSPACE,
	TK_UP, TK_DOWN, TK_LEFT, TK_RIGHT, TK_PGUP, TK_PGDN, TK_HOME, TK_END,
	TK_TAB, TK_BTAB,
	TK_ESC,
	TK_RESIZE,		/* the terminal changed size */
	TK_INTR,		/* Ctrl-C (or SIGINT) */
	TK_TERM,		/* SIGTERM / SIGHUP: leave now */
	TK_REDRAW,		/* Ctrl-L */
	TK_OTHER,		/* a key we do not use */
};

/* Waits up to timeout_ms (-1: forever) for one key. */
int tui_input_key(int timeout_ms);
/* Throws away anything typed ahead (before a critical question). */
void tui_input_flush(void);
/* Records a signal for tui_input_key() to report (async-signal-safe). */
void tui_input_signal(int sig);

/* ---- drawing (draw.c) ---- */
#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24

enum {
	TA_NORMAL = 0,
	TA_BOLD = 1 << 0,
	TA_REVERSE = 1 << 1,
	TA_UNDERLINE = 1 << 2,
	TA_DIM = 1 << 3,
};

/* Saves the terminal modes, starts curses. KC_ERR_USAGE with a message
 * when stdin/stdout is not a terminal or it is below 80x24 (curses is
 * stopped again then). */
int tui_draw_start(void);
/* Stops curses and puts the saved modes back; safe to call twice, from
 * atexit() and after a failed start. */
void tui_draw_stop(void);
/* Only the saved-termios restore: async-signal-safe, for fatal signals. */
void tui_draw_emergency_restore(void);
void tui_draw_size(int *rows, int *cols);
void tui_draw_clear(void);
/* Text at (y, x), cut at the right edge. */
void tui_draw_text(int y, int x, int attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Text centred on row y. */
void tui_draw_center(int y, int attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tui_draw_box(int y, int x, int h, int w);
void tui_draw_hline(int y, int x, int w);
/* Blank rectangle (under a dialog). */
void tui_draw_fill(int y, int x, int h, int w);
/* Where the cursor rests after the frame (-1: hidden). */
void tui_draw_cursor(int y, int x);
void tui_draw_flush(void);
/* Full repaint on the next flush (after a resize or Ctrl-L). */
void tui_draw_invalidate(void);

/* ---- line editor (field.c): no curses, secrets in struct kc_secret ---- */
struct tui_field {
	struct kc_secret *s;	/* the text; a secret for masked fields */
	int	 masked;	/* show '*' for each character */
	int	 group;		/* masked display in groups of this size, 0 none */
	int	 upper;		/* fold letters to upper case */
	size_t	 max;		/* characters accepted */
};
int tui_field_init(struct tui_field *f, size_t max, int masked);
void tui_field_free(struct tui_field *f);
void tui_field_clear(struct tui_field *f);
int tui_field_set(struct tui_field *f, const char *text);
/* 1 when the key changed the field, 0 when it is not for the field. */
int tui_field_key(struct tui_field *f, int key);
const char *tui_field_text(const struct tui_field *f);
size_t tui_field_len(const struct tui_field *f);
/* Draws the field at (y, x) in width w (underlined) and places the
 * cursor there when focused. */
void tui_field_draw(const struct tui_field *f, int y, int x, int w,
    int focused);

/* ---- the application (tui.c) ---- */
struct tui_opts {
	const char	*file;		/* ceremony file, or NULL: choose on Home */
	const char	*site;		/* site profile, or NULL */
	const char	*module, *token, *pin_file, *state, *media;
	const char	*serial;	/* token serial */
	const char	*network;	/* "warn" or "refuse" */
	const char	*ceremony_dir;	/* where Home looks for ceremony files */
	int		 quorum;	/* start PIN entry with custodian shares */
	const char	*roles[16];	/* "role=name" to fill in the names */
	int		 nroles;
	/* a root-restore step (issue 17): the backup medium, and share
	 * sheets (else the custodians type them: view_shares.c) */
	const char	*backup_medium;
	const char	*share_files[16];
	int		 nshare_files;
};

#define TUI_MAX_ROLES 16
#define TUI_NAME_MAX 64

struct tui;
struct tui_view {
	const char *name;
	int	(*init)(struct tui *t, void **state);
	void	(*draw)(struct tui *t, void *state);
	/* Returns 1 when the key was used. */
	int	(*key)(struct tui *t, void *state, int key);
	void	(*free)(void *state);
};

struct tui {
	struct tui_opts		 opts;
	const struct tui_view	*view;
	void			*vstate;
	const struct tui_view	*next;	/* switch after the current key */
	int			 quit;	/* leave the loop */
	int			 stop;	/* abort: close the transcript (End) */
	int			 exit_status;
	char			 status[512];	/* message line */
	int			 status_error;

	/* the ceremony being run (NULL until chosen / bound) */
	char			*ceremony_path;
	struct kc_ceremony	*ceremony;
	struct kc_site		*site;
	struct kc_engine	*engine;
	int			 rehearsal;
	int			 logged_in;
	char			 names[TUI_MAX_ROLES][TUI_NAME_MAX];
	char			 summary_digest[65];
	char			 summary_words[400];
	char			 summary_transcript[1024];
	int			 summary_completed;
	size_t			 summary_records;
	int			 exported;
	/* backup shares typed on the Shares screen, for the engine's
	 * root-restore step (view_shares.c), never drawn */
	struct kc_secret	*bk_shares[16];
	int			 bk_nshares, bk_next;
};

extern const struct tui_view tui_view_home, tui_view_roles,
    tui_view_preflight, tui_view_pin, tui_view_operation, tui_view_end,
    tui_view_shares;

/* view_shares.c (issue 17): the engine gets the backup medium and the
 * sheets, or the shares typed on the Shares screen; 1 when step si is a
 * root-restore whose shares are still to be typed (the Operation screen
 * then goes to the Shares screen first); the typed shares wiped. */
int tui_backup_bind(struct tui *t);
int tui_shares_needed(const struct tui *t, const struct kc_step_info *si);
void tui_shares_free(struct tui *t);

/* Runs the TUI; returns the exit status. */
int tui_main(const struct tui_opts *opts);

/* Switches to view v after the current key is handled. */
void tui_goto(struct tui *t, const struct tui_view *v);
/* Sets the message line (error: shown in reverse video). */
void tui_status(struct tui *t, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Header (title, REHEARSAL, UTC time) and footer (keys) of every screen. */
void tui_frame(struct tui *t, const char *title, const char *keys);
/* Redraws the whole screen now (view + any dialog). */
void tui_redraw(struct tui *t);

/*
 * A typed confirmation, modal: lines of text (NULL-terminated) in a box,
 * then the officer types word and Enter. Esc declines (on the Operation
 * screen, where that ends the ceremony, after a y/n question, as Ctrl-C
 * asks). Typed-ahead keys are
 * thrown away first. 1 when confirmed.
 */
int tui_confirm_word(struct tui *t, const char *title,
    const char *const *lines, const char *word);
/* A yes/no question answered with y or n (for reversible things). */
int tui_ask_yes(struct tui *t, const char *question);
/* Ctrl-C: asks whether to abort; sets t->quit when the answer is yes. */
void tui_interrupt(struct tui *t);

/*
 * Runs fn(arg) in a worker thread while the screen shows title, a spinner
 * and the elapsed time, redrawing on resize. Confirmation questions the
 * library asks from inside fn (tui_job_confirm) are shown here, in the UI
 * thread. Ctrl-C asks whether to stop after the operation (an HSM call
 * cannot be interrupted). Returns fn's result; kc_errmsg() in the calling
 * thread holds the message fn left.
 */
int tui_job(struct tui *t, const char *title, int (*fn)(void *), void *arg);
/* For the engine's callbacks, called in the worker: a progress line; a
 * question (text: lines, last the question) answered by typing word. */
void tui_job_progress(const char *msg);
int tui_job_confirm(const char *text, const char *word);
/* The word the next confirmation asks for (set by a view before it
 * starts a step). */
void tui_job_set_word(const char *word);
/* A structured SHA-256 field (hex, 64 digits) the next job's worker fills
 * before it asks, with its label: its questions show it first, as a hash
 * block (tui_hash_block). Cleared when the job ends. */
void tui_job_set_hash(const char *label, const char *hex);

/* ---- helpers for the views (util.c) ---- */
/* "AB:CD:EF..." or "abcdef..." (SHA-256) in the one form of
 * kc_hash_show(): "abcdef01 23456789 ..." */
void tui_hex_groups(const char *hex, char *out, size_t outsz);
/* PGP words of a hex string; "" when it does not decode. */
void tui_hex_words(const char *hex, char *out, size_t outsz);
/* Word-wraps text into at most maxlines lines of width w; returns the
 * count. Each line is copied into lines[i] (w+1 bytes each). */
int tui_wrap(const char *text, int w, char lines[][128], int maxlines);
/* Multi-line text wrapped to width w, every line escaped (kc_display_line).
 * Nothing in the text is ever drawn as a hash: a SHA-256 in it stays
 * plain text. */
int tui_expand(const char *text, int w, char lines[][128], int maxlines);
/* A SHA-256 from a structured field (a result, never text): the label,
 * the value as two rows of four groups of eight hex digits, then its PGP
 * words. 0 lines when hex is not 64 hex digits (colons allowed). */
int tui_hash_block(const char *label, const char *hex, int w,
    char lines[][128], int maxlines);

#endif

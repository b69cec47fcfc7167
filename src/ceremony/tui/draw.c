/*
 * draw.c: the only drawing module (with input.c, the only files that
 * include curses). Monochrome on purpose: bold, reverse and underline work
 * on a VT100 and on any console an air-gapped machine has; no colour is
 * needed to read a screen.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "tui.h"

static struct termios saved_tio;
static int saved_ok;
static int started;
static SCREEN *screen;
static FILE *tty_out;

static attr_t
attr_of(int a)
{
	attr_t r = A_NORMAL;

	if (a & TA_BOLD)
		r |= A_BOLD;
	if (a & TA_REVERSE)
		r |= A_REVERSE;
	if (a & TA_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & TA_DIM)
		r |= A_DIM;
	return r;
}

int
tui_draw_start(void)
{
	int rows, cols;

	if (!isatty(STDIN_FILENO))
		return kc_err(KC_ERR_USAGE, "the ceremony screens need a "
		    "terminal; for a scripted run use 'keyceremony run "
		    "--batch'");
	/* stdout may be redirected (to keep the final digest printed at
	 * the end): the screens then go to the terminal itself */
	if (!isatty(STDOUT_FILENO) &&
	    (tty_out = fopen("/dev/tty", "w")) == NULL)
		return kc_err(KC_ERR_USAGE, "the ceremony screens need a "
		    "terminal: /dev/tty: %s", strerror(errno));
	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
		saved_ok = 1;
	/* the terminal's character set (LANG/LC_CTYPE): with UTF-8, text
	 * that kc_display_line let through (and the End screen's QR code
	 * in half blocks) is drawn as characters, not as escaped bytes */
	setlocale(LC_CTYPE, "");
	if ((screen = newterm(NULL, tty_out ? tty_out : stdout, stdin)) ==
	    NULL)
		return kc_err(KC_ERR_USAGE, "cannot drive this terminal "
		    "(TERM=%s): set TERM to the console's type (vt100 works)",
		    getenv("TERM") ? getenv("TERM") : "unset");
	set_term(screen);
	started = 1;
	getmaxyx(stdscr, rows, cols);
	if (rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS) {
		tui_draw_stop();
		return kc_err(KC_ERR_POLICY, "the terminal is %dx%d; the "
		    "ceremony screens need at least %dx%d: enlarge the window "
		    "(or use a smaller console font: it gives more rows and "
		    "columns) and start again", cols, rows, TUI_MIN_COLS,
		    TUI_MIN_ROWS);
	}
	raw();			/* Ctrl-C arrives as a key: we ask first */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	return KC_OK;
}

void
tui_draw_stop(void)
{
	if (started) {
		started = 0;
		curs_set(1);
		endwin();
		delscreen(screen);
		screen = NULL;
	}
	if (tty_out != NULL) {
		fclose(tty_out);
		tty_out = NULL;
	}
	if (saved_ok)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	fflush(stdout);
}

void
tui_draw_emergency_restore(void)
{
	if (saved_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

void
tui_draw_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

void
tui_draw_clear(void)
{
	erase();
}

/* Every text of every screen passes here: it is escaped once more
 * (kc_display_line: controls, C1, bidirectional and invisible characters
 * become \xHH or \u{XXXX}; backslashes are kept, so text escaped before
 * is shown as it was), so nothing a view draws can move the cursor,
 * reorder the line or hide text, whatever it came from. */
static void
put(int y, int x, int attr, const char *s)
{
	char safe[4096];
	int rows, cols, room;

	getmaxyx(stdscr, rows, cols);
	if (y < 0 || y >= rows || x < 0 || x >= cols)
		return;
	room = cols - x;
	kc_display_line(s, safe, sizeof(safe));
	attrset(attr_of(attr));
	mvaddnstr(y, x, safe, room);
	attrset(A_NORMAL);
}

void
tui_draw_text(int y, int x, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(y, x, attr, buf);
}

void
tui_draw_center(int y, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int rows, cols, x;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	getmaxyx(stdscr, rows, cols);
	(void)rows;
	x = (cols - (int)strlen(buf)) / 2;
	put(y, x < 0 ? 0 : x, attr, buf);
}

/* Plain ASCII lines: they look the same on a VT100, on a console without
 * line-drawing characters, in a screen capture and on paper. */
void
tui_draw_box(int y, int x, int h, int w)
{
	mvaddch(y, x, '+');
	mvhline(y, x + 1, '-', w - 2);
	mvaddch(y, x + w - 1, '+');
	mvvline(y + 1, x, '|', h - 2);
	mvvline(y + 1, x + w - 1, '|', h - 2);
	mvaddch(y + h - 1, x, '+');
	mvhline(y + h - 1, x + 1, '-', w - 2);
	mvaddch(y + h - 1, x + w - 1, '+');
}

void
tui_draw_hline(int y, int x, int w)
{
	mvhline(y, x, '-', w);
}

void
tui_draw_fill(int y, int x, int h, int w)
{
	for (int i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
}

static int cur_y = -1, cur_x = -1;

void
tui_draw_cursor(int y, int x)
{
	cur_y = y;
	cur_x = x;
}

void
tui_draw_flush(void)
{
	if (cur_y >= 0) {
		move(cur_y, cur_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
	cur_y = cur_x = -1;
}

void
tui_draw_invalidate(void)
{
	clearok(curscr, TRUE);
}

/*
 * input.c: keys from the terminal, decoded into TK_* (with draw.c, the
 * only files that include curses). Signals caught by tui.c are reported
 * here as keys, so that every wait for a key also notices them.
 */
#include "config.h"

#include <signal.h>

#include <curses.h>

#include "tui.h"

static volatile sig_atomic_t pending_sig;

void
tui_input_signal(int sig)
{
	pending_sig = sig;
}

static int
take_signal(void)
{
	int s = pending_sig;

	pending_sig = 0;
	if (s == SIGINT)
		return TK_INTR;
	if (s == SIGTERM || s == SIGHUP || s == SIGQUIT)
		return TK_TERM;
	return TK_NONE;
}

int
tui_input_key(int timeout_ms)
{
	int c, k;

	if ((k = take_signal()) != TK_NONE)
		return k;
	timeout(timeout_ms);
	c = getch();
	if ((k = take_signal()) != TK_NONE) {
		if (c != ERR)
			ungetch(c);
		return k;
	}
	switch (c) {
	case ERR:
		return TK_NONE;
	case 3:
		return TK_INTR;
	case 12:
		return TK_REDRAW;
	case '\n': case '\r': case KEY_ENTER:
		return TK_ENTER;
	case KEY_BACKSPACE: case 127: case 8:
		return TK_BACKSPACE;
	case KEY_UP: return TK_UP;
	case KEY_DOWN: return TK_DOWN;
	case KEY_LEFT: return TK_LEFT;
	case KEY_RIGHT: return TK_RIGHT;
	case KEY_PPAGE: return TK_PGUP;
	case KEY_NPAGE: return TK_PGDN;
	case KEY_HOME: return TK_HOME;
	case KEY_END: return TK_END;
	case '\t': return TK_TAB;
	case KEY_BTAB: return TK_BTAB;
	case 27: return TK_ESC;
	case KEY_RESIZE: return TK_RESIZE;
	}
	if (c >= 0x20 && c < 0x7f)
		return c;
	return TK_OTHER;
}

void
tui_input_flush(void)
{
	flushinp();
}

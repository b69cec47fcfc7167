/*
 * view_home.c: the first screen. The ceremony files available (the one
 * chosen is loaded and validated, its steps listed), the tokens the module
 * sees, the state and media directories. Enter goes on to the roles.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/media.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "tui.h"

#define MAX_FILES 32
#define MAX_TOKENS 8

#define HOME_ROWS	5	/* rows of the ceremony file list */

struct home {
	char			 dir[512];
	char			*files[MAX_FILES];
	int			 nfiles, sel;
	struct kc_ceremony	*preview;	/* the selected file, loaded */
	char			 preview_err[512];
	struct kc_token_info	 tokens[MAX_TOKENS];
	int			 ntokens;
	char			 token_err[256];
	char			 module[512];
	char			 state_info[512], media_info[512];
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_ceremony_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	    (l > 4 && strcmp(n + l - 4, ".yml") == 0));
}

/* A site profile is YAML too: it starts with "keyceremony-site:". */
static int
is_site_profile(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int site = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "keyceremony", 11) == 0) {
			site = strncmp(line, "keyceremony-site:", 17) == 0;
			break;
		}
	fclose(f);
	return site;
}

static void
add_file(struct home *h, const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (realpath(path, a) == NULL)
		snprintf(a, sizeof(a), "%s", path);
	for (int i = 0; i < h->nfiles; i++) {
		if (realpath(h->files[i], b) == NULL)
			snprintf(b, sizeof(b), "%s", h->files[i]);
		if (strcmp(a, b) == 0)
			return;
	}
	if (h->nfiles < MAX_FILES && (h->files[h->nfiles] = strdup(path)))
		h->nfiles++;
}

static void
find_files(struct tui *t, struct home *h)
{
	const char *dir = t->opts.ceremony_dir;
	DIR *d;
	struct dirent *e;
	char buf[1024];

	if (dir == NULL && t->opts.file != NULL) {
		const char *slash = strrchr(t->opts.file, '/');
		snprintf(h->dir, sizeof(h->dir), "%.*s",
		    slash ? (int)(slash - t->opts.file) : 1,
		    slash ? t->opts.file : ".");
	} else if (dir == NULL) {
		snprintf(h->dir, sizeof(h->dir), "%s",
		    access("ceremony", F_OK) == 0 ? "ceremony" :
		    KC_DATADIR "/ceremony");
	} else {
		snprintf(h->dir, sizeof(h->dir), "%s", dir);
	}
	if (t->opts.file != NULL)
		add_file(h, t->opts.file);
	if ((d = opendir(h->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (!is_ceremony_name(e->d_name))
				continue;
			snprintf(buf, sizeof(buf), "%s/%s", h->dir, e->d_name);
			if (!is_site_profile(buf))
				add_file(h, buf);
		}
		closedir(d);
	}
	if (h->nfiles > 1)
		qsort(h->files + (t->opts.file != NULL),
		    (size_t)h->nfiles - (t->opts.file != NULL),
		    sizeof(h->files[0]), cmp_str);
}

static void
preview(struct home *h)
{
	kc_ceremony_free(h->preview);
	h->preview = NULL;
	h->preview_err[0] = '\0';
	if (h->nfiles == 0)
		return;
	if (kc_ceremony_load(h->files[h->sel], &h->preview) != KC_OK)
		snprintf(h->preview_err, sizeof(h->preview_err), "%s",
		    kc_errmsg());
}

static void
find_tokens(struct tui *t, struct home *h)
{
	struct kc_token_ctx *ctx = NULL;
	struct kc_token_info *infos = NULL;
	size_t n = 0;

	if (kc_token_load(t->site->module, &ctx) != KC_OK) {
		snprintf(h->token_err, sizeof(h->token_err), "%s", kc_errmsg());
		snprintf(h->module, sizeof(h->module), "%s", t->site->module ?
		    t->site->module : kc_token_default_module());
		return;
	}
	snprintf(h->module, sizeof(h->module), "%s", kc_token_module(ctx));
	if (kc_token_list(ctx, &infos, &n) != KC_OK)
		snprintf(h->token_err, sizeof(h->token_err), "%s", kc_errmsg());
	for (size_t i = 0; i < n && h->ntokens < MAX_TOKENS; i++)
		if (infos[i].present && infos[i].initialized)
			h->tokens[h->ntokens++] = infos[i];
	free(infos);
	kc_token_unload(ctx);
}

static void
dir_info(const char *dir, int created, char *out, size_t outsz)
{
	int removable = -1;
	char mp[256] = "";
	struct stat st;

	if (dir == NULL) {
		snprintf(out, outsz, "not set");
		return;
	}
	/* the state directory is made when the ceremony starts: its
	 * absence is not an error (its parent must exist) */
	if (created && lstat(dir, &st) != 0 && errno == ENOENT) {
		snprintf(out, outsz, "does not exist yet: it will be created "
		    "when the ceremony starts (not an error)");
		return;
	}
	if (kc_media_probe(dir, &removable, mp, sizeof(mp)) != KC_OK) {
		snprintf(out, outsz, "%s", kc_errmsg());
		return;
	}
	snprintf(out, outsz, "writable%s", removable == 1 ? ", removable" :
	    removable == 0 ? ", not removable" : "");
}

static int
home_init(struct tui *t, void **state)
{
	struct home *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	find_files(t, h);
	preview(h);
	find_tokens(t, h);
	dir_info(t->site->state_dir, 1, h->state_info, sizeof(h->state_info));
	dir_info(t->site->media_dir, 0, h->media_info, sizeof(h->media_info));
	*state = h;
	return KC_OK;
}

static void
home_free(void *state)
{
	struct home *h = state;

	for (int i = 0; i < h->nfiles; i++)
		free(h->files[i]);
	kc_ceremony_free(h->preview);
	free(h);
}

/* Text wrapped to the screen from column x (continuation lines indented
 * by two), never past row maxy; returns the next row. */
static int
draw_wrapped(int y, int x, int attr, const char *text, int cols, int maxy)
{
	char l[8][128];
	int n = tui_wrap(text, cols - x - 1, l, 8);

	for (int i = 0; i < n && y < maxy; i++)
		tui_draw_text(y++, x, attr, "%s", l[i]);
	return y;
}

/* The selected file's SHA-256, hex and PGP words, for the witnesses to
 * compare with the paper record before anything is done. */
static int
draw_file_hash(struct home *h, int y, int cols, int maxy)
{
	const char *path = h->files[h->sel], *base = strrchr(path, '/');
	char hex[KC_HASH_SHOW_MAX], words[400], label[160];

	snprintf(label, sizeof(label), "SHA-256 of %s (compare it with the "
	    "paper record):", base ? base + 1 : path);
	y = draw_wrapped(y, 1, TA_BOLD, kc_disp_line(label), cols, maxy);
	kc_hash_show(kc_ceremony_sha256(h->preview), 0, hex, sizeof(hex));
	if (y < maxy)
		tui_draw_text(y++, 3, TA_BOLD, "%s", hex);
	tui_hex_words(kc_ceremony_sha256(h->preview), words, sizeof(words));
	return draw_wrapped(y, 3, TA_NORMAL, words, cols, maxy);
}

/* "state PATH  info", the info wrapped below when it is long: a message
 * and its hint stay visible at 80 columns. */
static int
draw_dir(int y, const char *what, const char *dir, const char *info,
    int cols, int maxy)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s %s  %s", what, dir ? kc_disp(dir) :
	    "-", info);
	return draw_wrapped(y, 3, TA_NORMAL, line, cols, maxy);
}

static void
home_draw(struct tui *t, void *state)
{
	struct home *h = state;
	int rows, cols, y = 2, maxy;

	tui_draw_size(&rows, &cols);
	maxy = rows - 3;	/* two status lines and the key line below */
	tui_frame(t, "Home", "Up/Down choose  Enter continue  Ctrl-C quit");
	{
		/* a long path keeps its end, the part that tells trees apart */
		int avail = cols - 24, len = (int)strlen(h->dir);
		if (avail < 8)
			avail = 8;
		if (len > avail)
			tui_draw_text(y++, 1, TA_BOLD, "Ceremony files in ...%s",
			    h->dir + len - (avail - 3));
		else
			tui_draw_text(y++, 1, TA_BOLD, "Ceremony files in %s",
			    h->dir);
	}
	if (h->nfiles == 0)
		tui_draw_text(y++, 3, TA_NORMAL, "(none: give one with 'keyceremony "
		    "tui FILE' or --ceremony-dir)");
	/* five rows of the list, scrolled so that the chosen file is on one
	 * (Down past the fifth file moves the window) */
	int top = h->sel >= HOME_ROWS ? h->sel - HOME_ROWS + 1 : 0;
	for (int i = top; i < h->nfiles && i < top + HOME_ROWS; i++) {
		const char *base = strrchr(h->files[i], '/');
		tui_draw_text(y++, 3, i == h->sel ? TA_REVERSE : TA_NORMAL,
		    "%c %-30.30s", i == h->sel ? '>' : ' ',
		    base ? base + 1 : h->files[i]);
	}
	if (h->preview != NULL) {
		int py = 3, n = (int)kc_ceremony_nsteps(h->preview);
		tui_draw_text(py++, 38, TA_BOLD, "%.*s", cols - 40,
		    kc_ceremony_title(h->preview));
		for (int i = 0; i < n && py < 8; i++) {
			const struct kc_step_info *s =
			    kc_ceremony_step(h->preview, (size_t)i);
			char l[3][128], num[16];
			int k = tui_wrap(s->title, cols - 43, l, 3);

			snprintf(num, sizeof(num), "%d.", i + 1);
			for (int j = 0; j < k && py < 8; j++)
				tui_draw_text(py++, 38, TA_NORMAL, "%-3s%s",
				    j == 0 ? num : "", l[j] + (j ? 2 : 0));
		}
		y = y < 8 ? 8 : y;
		y = draw_file_hash(h, y, cols, maxy);
	} else if (h->preview_err[0] != '\0') {
		char l[6][128];
		int n = tui_wrap(h->preview_err, cols - 40, l, 6);
		tui_draw_text(3, 38, TA_BOLD, "This file is refused:");
		for (int i = 0; i < n; i++)
			tui_draw_text(4 + i, 38, TA_NORMAL, "%s", l[i]);
		y = y < 10 ? 10 : y;
	}
	tui_draw_text(y, 1, TA_BOLD, "Tokens");
	tui_draw_text(y++, 9, TA_DIM, "module %.*s", cols - 18, h->module);
	if (h->token_err[0] != '\0')
		y = draw_wrapped(y, 3, TA_NORMAL, h->token_err, cols, maxy);
	else if (h->ntokens == 0)
		tui_draw_text(y++, 3, TA_NORMAL, "(no initialised token)");
	for (int i = 0; i < h->ntokens && i < 4 && y < maxy - 3; i++) {
		const struct kc_token_info *k = &h->tokens[i];
		int chosen = t->site->token_label != NULL &&
		    strcmp(t->site->token_label, k->label) == 0;
		tui_draw_text(y++, 3, chosen ? TA_BOLD : TA_NORMAL,
		    "%c %-20s serial %-16s %s %s%s%s", chosen ? '*' : ' ',
		    k->label, k->serial, k->manufacturer, k->model,
		    k->pin_locked ? "  PIN LOCKED" : "",
		    k->pin_final_try ? "  FINAL PIN TRY" :
		    k->pin_count_low ? "  wrong PIN entered before" : "");
	}
	y = draw_dir(y, "state", t->site->state_dir, h->state_info, cols, maxy);
	y = draw_dir(y, "media", t->site->media_dir, h->media_info, cols, maxy);
	if (t->site->token_label != NULL && y < maxy)
		tui_draw_text(y++, 3, TA_NORMAL, "token %s%s%s",
		    t->site->token_label, t->site->token_serial ?
		    " serial " : "", t->site->token_serial ?
		    t->site->token_serial : "");
	if (t->site->path != NULL && y < maxy)
		tui_draw_text(y++, 3, TA_DIM, "site  %.*s", cols - 10,
		    t->site->path);
}

static int
home_key(struct tui *t, void *state, int key)
{
	struct home *h = state;

	switch (key) {
	case TK_UP:
	case TK_DOWN:
		if (h->nfiles == 0)
			return 1;
		h->sel = (h->sel + (key == TK_UP ? h->nfiles - 1 : 1)) %
		    h->nfiles;
		preview(h);
		tui_status(t, 0, "%s", "");
		return 1;
	case TK_ENTER:
		if (h->preview == NULL) {
			tui_status(t, 1, "%s", h->nfiles == 0 ?
			    "no ceremony file to run" :
			    "this ceremony file is refused (see the reason)");
			return 1;
		}
		if (kc_site_complete(t->site) != KC_OK) {
			tui_status(t, 1, "%s", kc_errmsg());
			return 1;
		}
		kc_ceremony_free(t->ceremony);
		t->ceremony = h->preview;
		h->preview = NULL;
		free(t->ceremony_path);
		t->ceremony_path = strdup(h->files[h->sel]);
		tui_status(t, 0, "%s", "");
		tui_goto(t, &tui_view_roles);
		return 1;
	case 'q':
		tui_interrupt(t);
		return 1;
	}
	return 0;
}

const struct tui_view tui_view_home = {
	"home", home_init, home_draw, home_key, home_free
};

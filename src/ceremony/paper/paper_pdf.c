/*
 * paper_pdf.c: draws a paper document model (kc/paper.h) as PDF with cairo
 * and pango: A4 or letter, black on white (grey for hints and the
 * REHEARSAL watermark), DejaVu Sans and DejaVu Sans Mono, which cairo's
 * PDF surface embeds as subsets. Text is given to pango as text
 * (pango_layout_set_text), never as markup: the blocks hold escaped
 * strings already and nothing in them is layout.
 *
 * Two passes: the first counts the pages (to a stream that discards), the
 * second draws "page N of M".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "kc/ceremony/paper.h"
#include "kc/ceremony/qr.h"
#include "kc/core/error.h"

#define MARGIN	50.0
#define LABEL_W	150.0
#define GAP	6.0

struct out {
	unsigned char	*p;
	size_t		 len, cap;
	int		 failed, discard;
};

struct pen {
	cairo_t			*cr;
	const struct kc_paper	*d;
	double			 pw, ph, y;
	int			 page, pages;
	PangoFontDescription	*body, *bold, *mono, *small, *title, *head,
				*mark;
	int			 failed;
};

static cairo_status_t
out_write(void *arg, const unsigned char *data, unsigned int len)
{
	struct out *o = arg;

	if (o->discard || o->failed)
		return o->failed ? CAIRO_STATUS_WRITE_ERROR :
		    CAIRO_STATUS_SUCCESS;
	if (o->len + len > o->cap) {
		size_t ncap = (o->cap + len) * 2;
		unsigned char *np = realloc(o->p, ncap);

		if (np == NULL) {
			o->failed = 1;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
	return CAIRO_STATUS_SUCCESS;
}

static PangoLayout *
lay(struct pen *p, const PangoFontDescription *f, const char *text, double w,
    double *h)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	int pw, ph;

	pango_layout_set_font_description(l, f);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(l, text, -1);	/* text, never markup */
	pango_layout_get_size(l, &pw, &ph);
	*h = (double)ph / PANGO_SCALE;
	return l;
}

/* Draws text at (x, y) in width w; its height. */
static double
text_at(struct pen *p, const PangoFontDescription *f, const char *text,
    double x, double y, double w, double grey)
{
	double h;
	PangoLayout *l = lay(p, f, text, w, &h);

	cairo_set_source_rgb(p->cr, grey, grey, grey);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	g_object_unref(l);
	return h;
}

static double
text_h(struct pen *p, const PangoFontDescription *f, const char *text,
    double w)
{
	double h;

	g_object_unref(lay(p, f, text, w, &h));
	return h;
}

static void
watermark(struct pen *p)
{
	double h;
	PangoLayout *l = lay(p, p->mark, "REHEARSAL", p->ph, &h);
	int lw, lh;

	pango_layout_set_width(l, -1);
	pango_layout_get_size(l, &lw, &lh);
	cairo_save(p->cr);
	cairo_translate(p->cr, p->pw / 2, p->ph / 2);
	cairo_rotate(p->cr, -0.9);
	cairo_move_to(p->cr, -(double)lw / PANGO_SCALE / 2,
	    -(double)lh / PANGO_SCALE / 2);
	cairo_set_source_rgb(p->cr, 0.85, 0.85, 0.85);
	pango_cairo_show_layout(p->cr, l);
	cairo_restore(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	g_object_unref(l);
}

static void
page_end(struct pen *p)
{
	if (p->page == 0)
		return;
	text_at(p, p->small, p->d->footer, MARGIN, p->ph - MARGIN + 8,
	    p->pw - 2 * MARGIN, 0);
	cairo_show_page(p->cr);
}

static void
page_new(struct pen *p)
{
	char num[64];
	double w = p->pw - 2 * MARGIN;

	page_end(p);
	p->page++;
	if (p->d->rehearsal)
		watermark(p);
	if (p->pages > 0)
		snprintf(num, sizeof(num), "page %d of %d", p->page, p->pages);
	else
		snprintf(num, sizeof(num), "page %d of 999", p->page);
	text_at(p, p->small, p->d->header, MARGIN, MARGIN - 22, w - 80, 0);
	{
		double h;
		PangoLayout *l = lay(p, p->small, num, 80, &h);

		pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
		cairo_move_to(p->cr, p->pw - MARGIN - 80, MARGIN - 22);
		pango_cairo_show_layout(p->cr, l);
		g_object_unref(l);
	}
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, MARGIN, MARGIN - 6);
	cairo_line_to(p->cr, p->pw - MARGIN, MARGIN - 6);
	cairo_stroke(p->cr);
	p->y = MARGIN + 4;
}

static void
need(struct pen *p, double h)
{
	if (p->page == 0 || p->y + h > p->ph - MARGIN - 4)
		page_new(p);
}

/* label in the left column, value lines in the right one; a value longer
 * than a page goes on over the next pages, line by line. */
static void
pair(struct pen *p, const char *label, const char *value,
    const PangoFontDescription *vf)
{
	double x = MARGIN + LABEL_W, w = p->pw - MARGIN - x;
	const char *s = value;
	int first = 1, lpage = 0;
	double lbottom = 0;

	do {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		double h, lh;

		if (line == NULL) {
			p->failed = 1;
			return;
		}
		h = text_h(p, vf, line, w);
		lh = first ? text_h(p, p->bold, label, LABEL_W - GAP) : 0;
		need(p, h > lh ? h : lh);
		if (first) {
			text_at(p, p->bold, label, MARGIN, p->y, LABEL_W - GAP, 0);
			lbottom = p->y + lh;
			lpage = p->page;
		}
		text_at(p, vf, line, x, p->y, w, 0);
		p->y += h;
		free(line);
		first = 0;
		s += n;
		if (*s == '\n')
			s++;
	} while (*s != '\0');
	if (p->page == lpage && p->y < lbottom)	/* label longer than value */
		p->y = lbottom;
	p->y += 2;
}

/* Paragraph lines across the whole width (x offset indent). */
static void
para(struct pen *p, const PangoFontDescription *f, const char *text,
    double indent)
{
	double w = p->pw - 2 * MARGIN - indent;
	const char *s = text;

	while (*s != '\0') {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		double h;

		if (line == NULL) {
			p->failed = 1;
			return;
		}
		h = text_h(p, f, line[0] ? line : " ", w);
		need(p, h);
		text_at(p, f, line, MARGIN + indent, p->y, w, 0);
		p->y += h;
		free(line);
		s += n;
		if (*s == '\n')
			s++;
	}
	p->y += 3;
}

static void
box(struct pen *p, const struct kc_paper_block *b)
{
	const char *label = b->label[0] ? b->label : b->text;
	const char *hint = b->label[0] ? b->text : "";
	double lh = text_h(p, p->bold, label, LABEL_W - GAP), hh = 0, h;
	double x = MARGIN + LABEL_W;

	if (hint[0])
		hh = text_h(p, p->small, hint, LABEL_W - GAP);
	h = lh + hh > 24 ? lh + hh : 24;
	need(p, h + 4);
	text_at(p, p->bold, label, MARGIN, p->y, LABEL_W - GAP, 0);
	if (hint[0])
		text_at(p, p->small, hint, MARGIN, p->y + lh, LABEL_W - GAP,
		    0.3);
	cairo_set_line_width(p->cr, 0.8);
	cairo_rectangle(p->cr, x, p->y, p->pw - MARGIN - x, h);
	cairo_stroke(p->cr);
	p->y += h + 5;
}

static void
tick(struct pen *p, const struct kc_paper_block *b)
{
	double x = MARGIN + 20, w = p->pw - MARGIN - x;
	double h1 = text_h(p, p->bold, b->label, w);
	double h2 = text_h(p, p->body, b->text, w);

	need(p, h1 + h2 + 4);
	cairo_set_line_width(p->cr, 0.8);
	cairo_rectangle(p->cr, MARGIN + 2, p->y + 1, 11, 11);
	cairo_stroke(p->cr);
	text_at(p, p->bold, b->label, x, p->y, w, 0);
	text_at(p, p->body, b->text, x, p->y + h1, w, 0);
	p->y += h1 + h2 + 5;
}

static void
line_field(struct pen *p, const char *what, double x, double w)
{
	double h = text_h(p, p->small, what, w);

	text_at(p, p->small, what, x, p->y + 26, w, 0.3);
	cairo_move_to(p->cr, x, p->y + 24);
	cairo_line_to(p->cr, x + w, p->y + 24);
	cairo_stroke(p->cr);
	(void)h;
}

static void
sign(struct pen *p, const struct kc_paper_block *b)
{
	double w = p->pw - 2 * MARGIN;
	double h = text_h(p, p->bold, b->label, w);
	double hs = b->text[0] ? text_h(p, p->small, b->text, w) : 0;

	need(p, h + hs + 42);
	text_at(p, p->bold, b->label, MARGIN, p->y, w, 0);
	if (b->text[0])
		text_at(p, p->small, b->text, MARGIN, p->y + h, w, 0.3);
	p->y += h + hs;
	cairo_set_line_width(p->cr, 0.8);
	line_field(p, "Name", MARGIN, w * 0.42);
	cairo_rectangle(p->cr, MARGIN + w * 0.46, p->y + 2, w * 0.12, 22);
	cairo_stroke(p->cr);
	text_at(p, p->small, "Initials", MARGIN + w * 0.46, p->y + 26,
	    w * 0.12, 0.3);
	line_field(p, "Signature", MARGIN + w * 0.62, w * 0.38);
	p->y += 42;
}

static void
qr(struct pen *p, const struct kc_paper_block *b)
{
	struct kc_qr *q;
	double ms = 2.5, side;

	if (kc_qr_encode(b->text, KC_QR_ECC_M, &q) != KC_OK) {
		p->failed = 1;
		return;
	}
	side = (q->width + 8) * ms;
	need(p, side + 4);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			if (kc_qr_dark(q, x, y))
				cairo_rectangle(p->cr, MARGIN + (x + 4) * ms,
				    p->y + (y + 4) * ms, ms, ms);
	cairo_fill(p->cr);
	text_at(p, p->small, b->label[0] ? b->label : "QR code: the SHA-256 "
	    "above in plain hex", MARGIN + side + 8, p->y + 4 * ms,
	    p->pw - 2 * MARGIN - side - 8, 0.3);
	p->y += side + 4;
	kc_qr_free(q);
}

static void
block(struct pen *p, const struct kc_paper_block *b)
{
	double w = p->pw - 2 * MARGIN, h;

	switch (b->kind) {
	case KC_PAPER_TITLE:
		h = text_h(p, p->title, b->text, w);
		need(p, h + 8);
		text_at(p, p->title, b->text, MARGIN, p->y, w, 0);
		p->y += h + 8;
		break;
	case KC_PAPER_HEADING:
		h = text_h(p, p->head, b->text, w);
		need(p, h + 90);	/* kept with what follows */
		p->y += 8;
		text_at(p, p->head, b->text, MARGIN, p->y, w, 0);
		p->y += h + 2;
		cairo_set_line_width(p->cr, 0.5);
		cairo_move_to(p->cr, MARGIN, p->y);
		cairo_line_to(p->cr, MARGIN + w, p->y);
		cairo_stroke(p->cr);
		p->y += 4;
		break;
	case KC_PAPER_TEXT:
		para(p, p->body, b->text, 0);
		break;
	case KC_PAPER_FIELD:
		pair(p, b->label, b->text, p->body);
		break;
	case KC_PAPER_MONO:
		if (b->label[0])
			pair(p, b->label, b->text, p->mono);
		else
			para(p, p->mono, b->text, 0);
		break;
	case KC_PAPER_BOX:
		box(p, b);
		break;
	case KC_PAPER_TICK:
		tick(p, b);
		break;
	case KC_PAPER_SIGN:
		sign(p, b);
		break;
	case KC_PAPER_QR:
		qr(p, b);
		break;
	case KC_PAPER_BREAK:
		if (p->y > MARGIN + 4)
			page_new(p);
		break;
	}
}

static int
render(struct pen *p, struct out *o, enum kc_paper_size size)
{
	cairo_surface_t *s;
	cairo_status_t st;

	p->pw = size == KC_PAPER_LETTER ? 612 : 595;
	p->ph = size == KC_PAPER_LETTER ? 792 : 842;
	s = cairo_pdf_surface_create_for_stream(out_write, o, p->pw, p->ph);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
	    p->d->header);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
	    "keyceremony " PACKAGE_VERSION);
	p->cr = cairo_create(s);
	p->page = 0;
	p->failed = 0;
	for (size_t i = 0; i < p->d->n && !p->failed; i++)
		block(p, &p->d->b[i]);
	page_end(p);
	cairo_destroy(p->cr);
	cairo_surface_finish(s);
	st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (p->failed || o->failed)
		return kc_err(KC_ERR_NOMEM, "out of memory drawing the PDF");
	if (st != CAIRO_STATUS_SUCCESS)
		return kc_err(KC_ERR_INTERNAL, "cairo: %s",
		    cairo_status_to_string(st));
	return KC_OK;
}

int
kc_paper_pdf(const struct kc_paper *d, enum kc_paper_size size,
    unsigned char **data, size_t *len, int *pages)
{
	struct pen p = { 0 };
	struct out o = { NULL, 0, 0, 0, 1 };
	int rc;

	*data = NULL;
	*len = 0;
	p.d = d;
	p.body = pango_font_description_from_string("DejaVu Sans 9.5");
	p.bold = pango_font_description_from_string("DejaVu Sans Bold 9.5");
	p.mono = pango_font_description_from_string("DejaVu Sans Mono 10");
	p.small = pango_font_description_from_string("DejaVu Sans 7.5");
	p.title = pango_font_description_from_string("DejaVu Sans Bold 20");
	p.head = pango_font_description_from_string("DejaVu Sans Bold 12.5");
	p.mark = pango_font_description_from_string("DejaVu Sans Bold 90");
	if ((rc = render(&p, &o, size)) == KC_OK) {
		p.pages = p.page;
		o.discard = 0;
		rc = render(&p, &o, size);
	}
	pango_font_description_free(p.body);
	pango_font_description_free(p.bold);
	pango_font_description_free(p.mono);
	pango_font_description_free(p.small);
	pango_font_description_free(p.title);
	pango_font_description_free(p.head);
	pango_font_description_free(p.mark);
	/* The fonts and fontconfig's configuration are kept by pango's
	 * default font map until exit: let them go now (a later call loads
	 * them again), so a leak checker sees nothing held. Not
	 * cairo_debug_reset_static_data(): it asserts (abort) when a scaled
	 * font is still alive, which pango's caches allow; cairo's static
	 * data stays reachable and is no leak. */
	pango_cairo_font_map_set_default(NULL);
	FcFini();
	if (rc != KC_OK) {
		free(o.p);
		return rc;
	}
	*data = o.p;
	*len = o.len;
	if (pages != NULL)
		*pages = p.pages;
	return KC_OK;
}

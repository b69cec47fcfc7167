/*
 * kc/paper.h: the paper trail. The printed ceremony script (`keyceremony
 * script`) and the signed-off ceremony report (`keyceremony report`).
 *
 * The data and the drawing are apart: the builders (paper_model.c,
 * paper_report.c) make a document model, a list of blocks (titles, text,
 * "label: value" fields, hashes, boxes to write in, tick boxes, signature
 * lines, QR codes, page breaks), from a ceremony file and a site, or from
 * a verified transcript and its state directory. Two renderers draw a
 * model: kc_paper_pdf() (cairo + pango: A4 or letter, monochrome, DejaVu
 * fonts embedded as subsets) and kc_paper_text() (plain text).
 *
 * Every string in a block went through the display escaper
 * (kc_display_text) when it was added: a title or a subject from a CSR
 * reaches the page as its escaped text, and the PDF renderer gives it to
 * pango as text (pango_layout_set_text), never as markup.
 *
 * Ownership: a struct kc_paper owns its blocks and their strings; free it
 * with kc_paper_free(). Renderers return malloc'd bytes the caller frees.
 */
#ifndef KC_PAPER_H
#define KC_PAPER_H

#include <stddef.h>

#include "kc/ceremony/engine.h"

enum kc_paper_kind {
	KC_PAPER_TITLE = 1,	/* the document's big heading: text */
	KC_PAPER_HEADING,	/* a section; kept with what follows */
	KC_PAPER_TEXT,		/* paragraphs, '\n' separated */
	KC_PAPER_FIELD,		/* label: text */
	KC_PAPER_MONO,		/* label: text in a fixed-width font (hashes) */
	KC_PAPER_BOX,		/* label, a box to write in; text: a hint */
	KC_PAPER_TICK,		/* a tick box: label, text after it */
	KC_PAPER_SIGN,		/* label (a role): name line, initials box,
				 * signature line; text: who (may be "") */
	KC_PAPER_QR,		/* a QR code of text (not escaped: our own
				 * hex), label its caption */
	KC_PAPER_BREAK,		/* a new page */
};

struct kc_paper_block {
	enum kc_paper_kind	 kind;
	char			*label;	/* never NULL ("" when none) */
	char			*text;	/* never NULL */
};

struct kc_paper {
	char			*header;	/* top of each page */
	char			*footer;	/* bottom of each page */
	int			 rehearsal;	/* REHEARSAL on every page */
	struct kc_paper_block	*b;
	size_t			 n, cap;
};

enum kc_paper_size { KC_PAPER_A4 = 1, KC_PAPER_LETTER };
/* "a4" or "letter"; KC_ERR_USAGE otherwise. */
int kc_paper_size_parse(const char *s, enum kc_paper_size *out);

int kc_paper_new(const char *header, const char *footer, struct kc_paper **out);
/* Adds a block; label and text (NULL = "") are escaped copies. */
int kc_paper_add(struct kc_paper *d, enum kc_paper_kind kind,
    const char *label, const char *text);
/* The same with text from a format. */
int kc_paper_addf(struct kc_paper *d, enum kc_paper_kind kind,
    const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kc_paper_free(struct kc_paper *d);

/* The script of a ceremony file (validated, kc_ceremony_load) for a site
 * (NULL: none given; token lines left to be written in). Each step's
 * expected values are kc_ceremony_review_step()'s lines: the text of
 * `keyceremony run FILE --check`. Inputs already in the site's state
 * directory are shown with their SHA-256. */
int kc_paper_script(const struct kc_ceremony *c, const struct kc_site *site,
    struct kc_paper **out);

/* The report of a transcript, refused unless it verifies
 * (kc_transcript_scan over the bytes read once). state: the state
 * directory that holds the certificates and CRLs the records name (NULL:
 * the records only); each is shown only when its SHA-256 is the one
 * recorded, otherwise the report is refused. paper_digest (NULL: none):
 * the final digest the witnesses wrote (hex in any spacing, or PGP
 * words); a transcript whose last record was changed verifies by its
 * chain alone, not against the paper. */
int kc_paper_report(const char *transcript, const char *state,
    const char *paper_digest, struct kc_paper **out);

/* kc_engine_report_fn (kc/engine.h) for the ceremony's export step: the
 * report of the closed transcript as an A4 PDF (arg: NULL, or a pointer
 * to an enum kc_paper_size). */
int kc_paper_report_cb(void *arg, const char *transcript, const char *state,
    unsigned char **pdf, size_t *len);

/* Renders d as PDF; *data malloc'd. */
int kc_paper_pdf(const struct kc_paper *d, enum kc_paper_size size,
    unsigned char **data, size_t *len, int *pages);
/* Renders d as plain text (UTF-8; a value's lines as they are, boxes as
 * [____], a QR code as its payload); *data malloc'd, NUL-terminated. */
int kc_paper_text(const struct kc_paper *d, char **data, size_t *len);

#endif

/*
 * qr.c: a QR code of a short text of our own (a SHA-256 in hex) as a
 * module matrix (see kc/qr.h), with libqrencode.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "kc/ceremony/qr.h"
#include "kc/core/error.h"

int
kc_qr_encode(const char *text, enum kc_qr_ecc ecc, struct kc_qr **out)
{
	QRcode *c;
	struct kc_qr *q;
	size_t n;

	*out = NULL;
	if ((c = QRcode_encodeString8bit(text, 0,
	    ecc == KC_QR_ECC_L ? QR_ECLEVEL_L : QR_ECLEVEL_M)) == NULL)
		return kc_err(KC_ERR_INTERNAL, "cannot make a QR code of %zu "
		    "bytes: %s", strlen(text), strerror(errno));
	n = (size_t)c->width * (size_t)c->width;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->dark = malloc(n)) == NULL) {
		free(q);
		QRcode_free(c);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	q->width = c->width;
	for (size_t i = 0; i < n; i++)
		q->dark[i] = c->data[i] & 1;	/* bit 0: dark module */
	QRcode_free(c);
	*out = q;
	return KC_OK;
}

void
kc_qr_free(struct kc_qr *q)
{
	if (q == NULL)
		return;
	free(q->dark);
	free(q);
}

int
kc_qr_dark(const struct kc_qr *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->dark[(size_t)y * (size_t)q->width + (size_t)x];
}

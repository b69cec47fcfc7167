/*
 * kc/qr.h: QR codes (libqrencode) as a matrix of modules, for the printed
 * script and report (kc/paper.h) and the TUI's End screen.
 *
 * Ownership: kc_qr_encode() returns a struct the caller frees with
 * kc_qr_free(); the matrix is a copy (libqrencode's own object is freed
 * before it returns). The payload is our own text (a SHA-256 in plain
 * lower-case hex): it is encoded byte for byte, error correction level M,
 * the smallest version that holds it.
 */
#ifndef KC_QR_H
#define KC_QR_H

#include <stddef.h>

struct kc_qr {
	int		 width;		/* modules per side, without quiet zone */
	unsigned char	*dark;		/* width*width, 1 = dark, row major */
};

int kc_qr_encode(const char *text, struct kc_qr **out);
void kc_qr_free(struct kc_qr *q);
/* 1 when module (x, y) is dark; 0 outside the matrix (the quiet zone). */
int kc_qr_dark(const struct kc_qr *q, int x, int y);

#endif

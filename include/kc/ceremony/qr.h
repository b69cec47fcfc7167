/*
 * kc/qr.h: QR codes (libqrencode) as a matrix of modules, for the printed
 * script and report (kc/paper.h) and the TUI's End screen.
 *
 * Ownership: kc_qr_encode() returns a struct the caller frees with
 * kc_qr_free(); the matrix is a copy (libqrencode's own object is freed
 * before it returns). The payload is our own text (a SHA-256 in plain
 * lower-case hex): it is encoded byte for byte at the error correction
 * level asked for, in the smallest version that holds it (64 hex digits:
 * version 5, 37 modules, at M for paper; version 4, 33 modules, at L for
 * the 80x24 End screen).
 */
#ifndef KC_QR_H
#define KC_QR_H

#include <stddef.h>

struct kc_qr {
	int		 width;		/* modules per side, without quiet zone */
	unsigned char	*dark;		/* width*width, 1 = dark, row major */
};

enum kc_qr_ecc { KC_QR_ECC_L = 1, KC_QR_ECC_M };
int kc_qr_encode(const char *text, enum kc_qr_ecc ecc, struct kc_qr **out);
void kc_qr_free(struct kc_qr *q);
/* 1 when module (x, y) is dark; 0 outside the matrix (the quiet zone). */
int kc_qr_dark(const struct kc_qr *q, int x, int y);

#endif

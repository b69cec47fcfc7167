/* transcript_int.h (libkc-ceremony internal, owned by the ceremony side):
 * what the transcript writer and its verifier share: the fixed header and
 * record magic, and the one spelling of a value (transcript_enc.c), which
 * the writer writes and the verifier requires.
 *
 *   transcript.c       the writer (kc_transcript_create/add/close)
 *   transcript_enc.c   a value's spelling: quoting, escapes, unescape
 *   transcript_read.c  the reader and verifier (scan, verify) */
#ifndef KC_TRANSCRIPT_INT_H
#define KC_TRANSCRIPT_INT_H

#include <stddef.h>

#include "kc/ceremony/transcript.h"

#define TR_MAGIC "KC1"
#define TR_HEADER "# keyceremony transcript, format 1 (see keyceremony(1), " \
	"TRANSCRIPT).\n# Each record: KC1 seq prev-sha256 utc-time kind " \
	"key=value...; the final digest is the SHA-256 of the last line.\n"
#define TR_LINE_MAX KC_TRANSCRIPT_LINE_MAX
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

/* One character of a value that may be written as it is: printable
 * ASCII other than '"' and '\\' (a space only inside quotes), or a whole
 * UTF-8 sequence that kc_text_plain() accepts (no C1 controls, no bidi or
 * other format characters). Returns its length in bytes, 0 when it must
 * be escaped. */
size_t kc_tr_literal_len(const unsigned char *p, size_t n, int in_quotes);

/* Appends s (quoted and escaped when esc and needed) to buf at *used; 0
 * when it fits. */
int kc_tr_put(char *buf, size_t *used, const char *s, int esc);

#endif

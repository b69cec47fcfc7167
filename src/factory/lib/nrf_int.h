/*
 * nrf_int.h: internals of the nRF91 response parser shared by nrf.c (the
 * line, base64url) and nrf_cose.c (the COSE_Sign1 part). Not installed.
 */
#ifndef KC_NRF_INT_H
#define KC_NRF_INT_H

#include <stddef.h>

#include "kc/factory/nrf.h"

/*
 * The decoded COSE part (p, n) of a response whose first part is already
 * in m->body and whose wrapper ("%KEYGEN", "%ATTESTTOKEN" or "") is in
 * m->wrapper: checks it (bounded CBOR first, then the COSE_Sign1, the
 * %KEYGEN payload and its digest of m->body, or the identity message in
 * m->body when the payload is detached) and fills the rest of m. what is
 * for messages. Owns nothing past the call.
 */
int kc_nrf_cose_parse(const unsigned char *p, size_t n, const char *what,
    struct kc_nrf_msg *m);

#endif

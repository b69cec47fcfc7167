/*
 * token_int.h: what the token layer's files share (token.c, token_mech.c,
 * token_probe.c). Only these files include PKCS#11 headers. The handles
 * stay opaque: token.c owns the structs and lends their raw parts through
 * the accessors below.
 */
#ifndef KC_TOKEN_INT_H
#define KC_TOKEN_INT_H

#include <p11-kit/pkcs11.h>

#include "kc/hsm/token.h"

/* token.c: the raw function list, the raw R/W session of an open token,
 * whether it is logged in, and the name of a CK_RV. */
CK_FUNCTION_LIST_PTR kc_tok_funcs(const struct kc_token *tok);
CK_SESSION_HANDLE kc_tok_session(const struct kc_token *tok);
int kc_tok_logged_in(const struct kc_token *tok);
const char *kc_tok_ckr(CK_RV rv);

/* token_mech.c: fills ti's mi_* from C_GetMechanismInfo of slot id (a
 * mechanism the module refuses to describe stays 0..0, flags 0). */
void kc_tok_mech_info(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID id,
    struct kc_token_info *ti);

#endif

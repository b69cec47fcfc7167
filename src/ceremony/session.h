/* session.h: keyceremony's way into a token: load the module, open the
 * token by label, read the PIN (file or terminal), log in, wipe the PIN. */
#ifndef KC_SESSION_H
#define KC_SESSION_H

#include "kc/ceremony/ops.h"
#include "kc/hsm/token.h"

struct kc_session {
	struct kc_token_ctx	*ctx;
	struct kc_token		*tok;
};

/* module may be NULL (default module). The PIN comes from pin_file or the
 * terminal; it is wiped before this returns. On failure everything is
 * released and the error is in kc_errmsg(). */
int kc_session_open(const char *module, const char *token_label,
    const char *pin_file, struct kc_session *s);
/* Logs out, closes and unloads; safe on a zeroed or failed session. */
void kc_session_close(struct kc_session *s);

/* Prints "<what> certificate written to <out>" and the subject, serial and
 * validity of res, in the layout every command shares. */
void kc_session_print_issued(const char *what, const char *out,
    const struct kc_op_result *res);

#endif

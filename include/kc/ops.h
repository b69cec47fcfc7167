/*
 * kc/ops.h: the ceremony operations. Each subcommand of keyceremony is a
 * thin parser around one of these, and the ceremony engine (kc/engine.h)
 * calls the same functions, so that a scripted run and a typed command do
 * exactly the same thing.
 *
 * Every operation takes an open, logged-in token (kc/token.h), validates all
 * its inputs and checks that no output exists BEFORE it touches the token,
 * and writes its outputs atomically. On failure nothing is written and no
 * key is left behind. Results are filled in struct kc_op_result.
 */
#ifndef KC_OPS_H
#define KC_OPS_H

#include <time.h>

#include "kc/token.h"
#include "kc/x509.h"

struct kc_op_result {
	char	fingerprint[96];	/* SHA-256 of the output, AB:CD:... */
	char	fingerprint_hex[65];
	char	serial[41];		/* hex */
	char	subject[512];
	time_t	not_before, not_after;
	char	out_sha256[65];		/* SHA-256 of the output file bytes */
};

/* keyceremony root create */
struct kc_root_params {
	const char	*key_label;	/* CKA_LABEL of the new key pair */
	enum kc_alg	 alg;
	const char	*subject;	/* "/CN=.../O=.../C=.." */
	int		 days;
	const char	*out;		/* root certificate, PEM */
	const char	*state_dir;	/* register; NULL: none */
};
int kc_op_root_create(struct kc_token *tok, const struct kc_root_params *p,
    struct kc_op_result *res);

#endif

/* cross.h: keyceremony cross sign (root rollover, issue 15 item 4): the
 * old root (its key in the token, its certificate --issuer) signs a CA
 * certificate for the new root: the new root's subject and its
 * SubjectPublicKeyInfo byte for byte, the root profile's extensions
 * (basicConstraints critical CA:TRUE, keyUsage critical keyCertSign
 * cRLSign digitalSignature), SKI = the new root's SKI, AKI = the old
 * root's SKI; validity now .. now + days, capped at the old root's and at
 * the new root's notAfter. The new root must be self-signed (its
 * signature verifies with its own key) and a CA with an SKI. Recorded in
 * the register as an intermediate of the old root (so the old root's CRL
 * can revoke it). Like every operation (kc/ops.h): all inputs checked and
 * the output's absence checked before the token is touched. */
#ifndef KC_CROSS_H
#define KC_CROSS_H

#include "kc/ceremony/ops.h"

struct kc_cross_params {
	const char	*key_label;	/* the OLD root's key in the token */
	const char	*issuer;	/* the OLD root certificate */
	const char	*cert;		/* the NEW root certificate */
	int		 days;
	const char	*out;		/* cross-certificate, PEM */
	const char	*state_dir;	/* register; NULL: none */
	kc_confirm_fn	*confirm;
	void		*confirm_arg;
};

/* res->in_sha256 gets the SHA-256 of the new root certificate's DER;
 * *capped (may be NULL) is set to 1 when the validity was cut short. */
int kc_op_cross_sign(struct kc_token *tok, const struct kc_cross_params *p,
    struct kc_op_result *res, int *capped);

#endif

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

#include "kc/core/dps.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"

struct kc_op_result {
	char	fingerprint[96];	/* SHA-256 of the output, AB:CD:... */
	char	fingerprint_hex[65];
	char	serial[41];		/* hex */
	char	subject[512];
	time_t	not_before, not_after;
	char	out_sha256[65];		/* SHA-256 of the output file bytes */
	char	in_sha256[65];		/* SHA-256 of the input (CSR), or "" */
};

/* keyceremony root create */
struct kc_root_params {
	const char	*key_label;	/* CKA_LABEL of the new key pair */
	enum kc_alg	 alg;
	const char	*subject;	/* "/CN=.../O=.../C=.." */
	int		 days;
	const char	*out;		/* root certificate, PEM */
	const char	*state_dir;	/* register; NULL: none */
	/* why days exceeds KC_ROOT_DAYS_CAP; NULL: it may not */
	const char	*validity_reason;
	/* the site profile's key-template; NULL: none */
	const struct kc_key_template *key_template;
};
int kc_op_root_create(struct kc_token *tok, const struct kc_root_params *p,
    struct kc_op_result *res);

/*
 * Confirmation before the HSM signs: summary describes what will be issued
 * next to what was asked for (several lines, no trailing newline). Return
 * 1 to go ahead; anything else aborts with KC_ERR_ABORT and nothing is
 * signed. A NULL callback means no question (--yes, or a ceremony file
 * the officers already approved).
 */
typedef int kc_confirm_fn(const char *summary, void *arg);

/* keyceremony intermediate sign */
struct kc_intermediate_params {
	const char	*key_label;	/* the root key in the token */
	const char	*issuer;	/* the root certificate (PEM/DER) */
	const char	*csr;		/* the intermediate's CSR (PEM/DER) */
	const char	*subject;	/* NULL: the CSR's subject (checked) */
	int		 days;
	int		 path_len;	/* 0 or more */
	const char	*out;		/* intermediate certificate, PEM */
	const char	*state_dir;	/* register; NULL: none */
	const char	*renew;		/* NULL, or the intermediate this
					   renews: the CSR must carry its key,
					   the subject is its subject, the
					   register records the renewal */
	kc_confirm_fn	*confirm;
	void		*confirm_arg;
};
/* res->in_sha256 gets the CSR's SHA-256. A renewal (renew): the old
 * certificate must be a CA certificate (not a root, not a device) that
 * verifies under the issuer, is in the register (when there is one) as
 * an unrevoked intermediate of this root with the same SHA-256, and has
 * the CSR's key; the new one gets its subject and subjectKeyIdentifier,
 * so the devices it signed verify under either. */
int kc_op_intermediate_sign(struct kc_token *tok,
    const struct kc_intermediate_params *p, struct kc_op_result *res);

/* keyceremony verification sign: Azure DPS proof of possession. The
 * subject key is a throwaway P-256 key made in memory and freed at once;
 * its private half is never written anywhere. */
struct kc_verification_params {
	const char	*key_label;
	const char	*issuer;
	const char	*code;		/* 1..64 of [A-Za-z0-9]: the CN */
	int		 days;
	const char	*out;		/* PEM */
	const char	*state_dir;	/* register; NULL: none */
};
int kc_op_verification_sign(struct kc_token *tok,
    const struct kc_verification_params *p, struct kc_op_result *res);

/* keyceremony crl: a new CRL of the root, with every revocation the
 * register holds plus the one given (if any). */
struct kc_crl_params {
	const char	*key_label;
	const char	*issuer;
	const char	*revoke;	/* certificate file or hex serial; NULL:
					   re-issue the current list */
	int		 reason;	/* KC_REASON_* (kc/register.h) */
	int		 days;		/* until nextUpdate */
	const char	*out;		/* PEM */
	const char	*state_dir;	/* required */
};
struct kc_crl_result {
	long long	 number;
	size_t		 n_revoked;
	time_t		 this_update, next_update;
	char		 revoked_serial[41];	/* "" when none this time */
	char		 revoked_subject[512];
	char		 out_sha256[65];
	/* revocation-actions.txt beside out (kc/ceremony/crl.h), written
	 * after the CRL, replacing an older one there */
	char		 actions_path[1024];
	char		 actions_sha256[65];
};
int kc_op_crl(struct kc_token *tok, const struct kc_crl_params *p,
    struct kc_crl_result *res);

#endif

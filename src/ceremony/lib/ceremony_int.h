/*
 * ceremony_int.h (libkc-ceremony internal): the parsed form of a ceremony file,
 * shared by ceremony.c (parser, validation) and engine.c (the run).
 */
#ifndef KC_CEREMONY_INT_H
#define KC_CEREMONY_INT_H

#include "kc/ceremony/engine.h"
#include "kc/core/x509.h"

struct kc_revoke {
	char	*cert;		/* certificate file in the state dir */
	char	*reason;	/* CRL reason name, or NULL */
	int	 line;
};

struct kc_step {
	struct kc_step_info info;	/* public part; strings below */
	char	*id, *title, *role, *witness, *summary;
	/* parameters; NULL/0 when the action has none */
	char	*key_label;		/* root-create: the new key */
	enum kc_alg alg;
	char	*subject;
	int	 days;
	char	*validity_reason;	/* root-create: why days > the cap */
	int	 path_len;		/* -1: none */
	char	*issuer_key;		/* label of the signing key */
	char	*issuer_cert;		/* state path */
	char	*csr;			/* state path */
	char	*renew;			/* intermediate-sign: the certificate
					   it renews, state path; NULL: none */
	char	*new_root;		/* cross-sign: the new root, state path */
	char	*code;			/* DPS verification code, literal */
	char	*code_file;		/* or read from this state path */
	char	*output;		/* state path */
	struct kc_revoke *revoke;
	size_t	 nrevoke;
	int	 next_update_days;	/* crl-issue */
	int	 backup_k, backup_n;	/* root-create with backup: (issue
					   17); 0: none, the key never leaves */
};

struct kc_ceremony {
	char	*path, *name, *title, *description;
	char	 sha256[65];
	struct kc_role_info *roles;
	char	**role_strs;		/* owned strings of roles */
	size_t	 nroles;
	struct kc_step *steps;
	size_t	 nsteps;
	int	 has_export;
};

/* Looks a role up; NULL when the ceremony has none of that id. */
const struct kc_role_info *kc_ceremony_find_role(const struct kc_ceremony *c,
    const char *id);

#endif

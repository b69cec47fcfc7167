/* fcrl_int.h: what factory_crl.c and factory_crl_names.c share
 * (factorysign crl, kc/factory/crl.h); not installed. */
#ifndef KC_FCRL_INT_H
#define KC_FCRL_INT_H

#include "kc/factory/crl.h"

/* 1 when two hex serials are equal, leading zeros and case aside. */
int kc_fcrl_serial_eq(const char *a, const char *b);

/* A hex serial as given (0x, colons allowed) into lower-case hex without
 * leading zeros; KC_ERR_NOTFOUND (no message) when it is not one. */
int kc_fcrl_serial_arg(const char *s, char out[41]);

/* Resolves the n_revoke names of p into named[] (each the ledger row of
 * a certificate of f's intermediate): an ID (its live certificate), a hex
 * serial in the ledger, or a certificate file signed by the intermediate
 * and recorded under its serial. A one-line error for anything else. */
int kc_fcrl_resolve(struct kc_factory *f, const struct kc_fcrl_params *p,
    struct kc_fcrl_device *named);

/* The newest CRL in D/crl of every intermediate of D (kc_fcrl_set_load)
 * still valid at now whose SKI is not ski (the CRL being made: its
 * issuer and renewals), as PEM in *pem (malloc'd, NULL when none), for
 * crls.pem; an intermediate without one, or whose newest is past its
 * nextUpdate, is warned about. */
int kc_fcrl_others_pem(const char *dir, const char *ski, time_t now,
    char **pem, size_t *len);

#endif

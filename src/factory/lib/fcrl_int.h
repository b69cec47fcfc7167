/* fcrl_int.h: what factory_crl.c and factory_crl_names.c share
 * (factorysign crl, kc/factory/crl.h); not installed. */
#ifndef KC_FCRL_INT_H
#define KC_FCRL_INT_H

#include "kc/factory/crl.h"

/* 1 when two hex serials are equal, leading zeros and case aside. */
int kc_fcrl_serial_eq(const char *a, const char *b);

/* Resolves the n_revoke names of p into named[] (each the ledger row of
 * a certificate of f's intermediate): an ID (its live certificate), a hex
 * serial in the ledger, or a certificate file signed by the intermediate
 * and recorded under its serial. A one-line error for anything else. */
int kc_fcrl_resolve(struct kc_factory *f, const struct kc_fcrl_params *p,
    struct kc_fcrl_device *named);

#endif

/*
 * kc/ceremony/crl.h: the root's CRLs in the ceremony's records. Building,
 * signing and reading CRLs is the core's (kc/core/crl.h, included here);
 * this side adds the transcript record of a CRL the root signed and the
 * check of the register against the root's CRL files and transcripts
 * (src/ceremony/lib/crl_root.c). Ownership: nothing returned here needs
 * freeing.
 */
#ifndef KC_CRL_H
#define KC_CRL_H

#include "kc/core/crl.h"

/* The "crl" transcript record of a CRL the root just signed (path) with
 * the issuer certificate file: ca (SHA-256 of the root), number,
 * revoked-count, revoked (or revoked-sha256 when the list is too long for
 * one record), file and its SHA-256. The ceremony engine writes it after
 * every crl-issue step, so that a later CRL can be checked against the
 * transcripts too. */
struct kc_transcript;
int kc_crl_transcript_record(struct kc_transcript *tr, const char *path,
    const char *issuer_path);

#endif

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

/* The root's revocation-actions.txt (kc/core/revactions.h) for the CRL
 * crl_buf (the bytes of the file crl_name, in directory dir), signed by
 * root: every serial the CRL revokes, the certificate taken from dir's
 * certificate files when one there has that serial and verifies under
 * the root, else what reg (NULL: none) recorded. src/ceremony/lib/
 * revact_root.c. *text is malloc'd. */
struct kc_register;
int kc_revact_root_text(const char *dir, const char *crl_name,
    const unsigned char *crl_buf, size_t crl_len, const X509 *root,
    struct kc_register *reg, char **text, size_t *len);

/* The export's check of a revocation-actions.txt of the state directory
 * dir (buf, len; disp names it): its header names a CRL of dir with that
 * SHA-256, a root certificate of dir verifies the CRL, and the text is
 * byte for byte what kc_revact_root_text() makes from them and dir's
 * register. KC_ERR_POLICY (or KC_ERR_INPUT) naming disp otherwise. */
int kc_revact_root_check(const char *dir, const char *disp,
    const unsigned char *buf, size_t len);

#endif

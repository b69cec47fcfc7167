/*
 * ceremony_parse.h (libkc-ceremony internal, owned by the ceremony side):
 * what the parsers of ceremony files and site profiles share.
 *
 *   ceremony.c        a ceremony file into the model (kc_ceremony_load)
 *   ceremony_fields.c each field read from the YAML tree and checked
 *   ceremony_model.c  the model: freeing, roles, accessors
 *   site.c            site profiles (kc_site_load)
 */
#ifndef KC_CEREMONY_PARSE_H
#define KC_CEREMONY_PARSE_H

#include "kc/ceremony/engine.h"
#include "ceremony_int.h"
#include "yamltree.h"

/* A string that is one printable line (UTF-8 allowed). */
int kc_field_line(const struct yctx *y, int line, const char *key,
    const char *v, size_t max);

/* Identifiers: step ids, role ids, ceremony names, key labels. */
int kc_field_ident(const struct yctx *y, int line, const char *key,
    const char *v, size_t max);

/*
 * An output of a step: a plain name (check_state_path() already refused
 * '/', '..' and a leading '.') with the extension of its kind (.pem for a
 * certificate, .crl for a CRL), and none of the names the state directory
 * and the medium keep for themselves: the register and its journals,
 * SHA256SUMS, transcripts, the register dump, temporary files.
 */
int kc_field_output_name(const struct yctx *y, int line, enum kc_action a,
    const char *v);

/* A state path parameter: key (required or not) stored in *out. */
int kc_field_path(const struct yctx *y, struct ynode *m, const char *key,
    int required, char **out);

int kc_field_subject(const struct yctx *y, struct ynode *m, int required,
    char **out);

int kc_field_days(const struct yctx *y, struct ynode *m, const char *key,
    int required, int *out);

/* A root past KC_ROOT_DAYS_CAP days needs validity-reason beside its
 * days: one line of plain text, recorded in the step's summary (so in
 * run --check, the confirmation and the transcript). */
int kc_field_validity_reason(const struct yctx *y, struct ynode *m,
    struct kc_step *s);

int kc_field_label(const struct yctx *y, struct ynode *m, const char *key,
    char **out);

int kc_cer_dupstr(const char *s, char **out);

#endif

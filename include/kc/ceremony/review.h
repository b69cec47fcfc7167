/*
 * kc/review.h: the review text of a ceremony file, what `keyceremony run
 * FILE --check` prints for the witnesses before the day.
 *
 * Made from the validated file alone (kc_ceremony_load): no site profile,
 * no token, no state directory, no clock. For each step: what it issues,
 * the subject, the key (label and algorithm, or where it comes from), the
 * signing key, the validity window in days from the moment of signing, the
 * extensions the profile writes (kc_profile_extensions), the inputs (from
 * an earlier step or the state directory) and the output. The text is
 * deterministic: the same file gives the same bytes. It holds strings of
 * the ceremony file (titles, subjects): a front end escapes it before it
 * reaches a terminal (kc_display_text).
 */
#ifndef KC_REVIEW_H
#define KC_REVIEW_H

#include "kc/ceremony/engine.h"

/* *out: a new NUL-terminated text of lines ending in '\n' (free()). */
int kc_ceremony_review(const struct kc_ceremony *c, char **out);
/* The lines of step i (0-based) as kc_ceremony_review() prints them under
 * the step's "i/n id: title" heading, for the printed script (kc/paper.h),
 * so the text reviewed before the day is the text printed. *out as
 * above. */
int kc_ceremony_review_step(const struct kc_ceremony *c, size_t i,
    char **out);

#endif

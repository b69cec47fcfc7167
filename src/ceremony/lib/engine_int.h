/*
 * engine_int.h (libkc-ceremony internal): the state of a ceremony run, shared by
 * engine.c (the run), preflight.c (checks) and engine_actions.c (the step
 * actions calling kc_op_*), and the services they share (engine_io.c).
 * Calls go down only: engine.c calls preflight.c and engine_actions.c;
 * those two and engine.c call engine_restore.c (a root-restore step) and
 * engine_io.c; engine_restore.c calls engine_io.c, which calls none of
 * them.
 */
#ifndef KC_ENGINE_INT_H
#define KC_ENGINE_INT_H

#include <stddef.h>

#include "kc/ceremony/backup.h"
#include "kc/ceremony/engine.h"
#include "kc/ceremony/transcript.h"
#include "kc/hsm/token.h"
#include "ceremony_int.h"

#define KC_NCHECKS 5

struct kc_engine {
	const struct kc_ceremony *c;
	const struct kc_site	*s;
	int			 flags;
	struct kc_engine_ui	 ui;
	kc_engine_report_fn	*report;	/* NULL: no report exported */
	void			*report_arg;
	const char		*state, *media;
	struct kc_transcript	*tr;
	char			**role_names;
	struct kc_check_result	 checks[KC_NCHECKS];
	char			 why[KC_NCHECKS][512];	/* first failure */
	struct kc_token_ctx	*ctx;
	struct kc_token		*tok;
	int			 rehearsal;
	int			 begun, failed, finished;
	size_t			 next;
	/* a step whose operation asks its own, single confirmation (a
	 * signature: what will be issued): how it was answered */
	char			 op_how[256];
	int			 op_declined;
	/* a root-restore step (engine_restore.c): the medium, the sheets,
	 * the backup as the preflight read it */
	const char		*bk_medium;
	const char *const	*bk_files;
	size_t			 bk_nfiles;
	kc_engine_secret_fn	*bk_secret;
	void			*bk_arg;
	struct kc_bk_backup	 bk;
	int			 bk_loaded;
};

/* preflight.c */
void kc_preflight_init(struct kc_engine *e);
/* engine_actions.c */
int kc_engine_action_available(enum kc_action a);
int kc_engine_run_action(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz);

/* engine_restore.c: a root-restore step (issue 17). The preflight's
 * check of the backup medium against step s's root certificate (msg: what
 * was found, or the reason); the medium's files with their SHA-256 for
 * the step record's "in"; the step itself; the engine's copy freed. */
int kc_engine_restore_check(struct kc_engine *e, const struct kc_step *s,
    char *msg, size_t msgsz);
void kc_engine_restore_ins(struct kc_engine *e, char *list, size_t listsz);
int kc_engine_restore_step(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz);
void kc_engine_restore_free(struct kc_engine *e);

/* engine_io.c */
void kc_engine_progress(struct kc_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int kc_engine_ask(struct kc_engine *e, const char *role, const char *text,
    char *how, size_t howsz);
const char *kc_engine_role_name(const struct kc_engine *e, const char *role);
/* <state>/<rel> */
int kc_engine_path(const struct kc_engine *e, const char *rel, char *out,
    size_t outsz);

#endif

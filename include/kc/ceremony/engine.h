/*
 * kc/engine.h: ceremony files, site profiles and the ceremony engine.
 *
 * A ceremony file (YAML, docs/ceremony.5) says WHAT a ceremony does: roles
 * and steps, each step naming an action (root-create, intermediate-sign,
 * verification-sign, crl-issue, export, cross-sign, root-restore) with its profile, subject,
 * algorithm, validity, inputs and outputs. A site profile says WHERE: the
 * PKCS#11 module, the token label and serial, the PIN file, the state
 * directory and the media directory, and what preflight does about an
 * active network interface. Rehearsal and production run the same ceremony
 * file with different site profiles.
 *
 * kc_ceremony_load() parses and validates a whole ceremony file before
 * anything else happens: unknown or duplicate keys, wrong types, missing
 * fields, bad subjects or algorithms and paths that leave the state
 * directory are KC_ERR_INPUT with "file:line: reason".
 *
 * A run is driven step by step (the TUI does it screen by screen,
 * `keyceremony run --batch` in one go), always in this order:
 *
 *   kc_engine_new()            binds ceremony + site, opens the transcript
 *   kc_engine_set_role()       the name of each role (before begin)
 *   kc_engine_check() x N      preflight checks, one by one
 *   kc_engine_begin()          logs in; refused while a check failed
 *   kc_engine_step() x N       each step of the ceremony, in order
 *   kc_engine_finish()         closes the transcript, gives the digest
 *   kc_engine_export()         public artefacts to the media (optional:
 *                              a ceremony's "export" step does it too)
 *   kc_engine_free()
 *
 * The engine calls the same kc_op_* functions (kc/ops.h) as the
 * subcommands. Each check and step is appended to the hash-chained
 * transcript (kc/transcript.h) as it happens, so an aborted run leaves a
 * record of how far it got.
 *
 * Ownership: kc_ceremony_load / kc_site_load / kc_engine_new return objects
 * freed with their _free (NULL is a no-op). Strings returned by accessors
 * belong to the object and live until it is freed. An engine keeps
 * pointers to the ceremony and site it was made with: free it first.
 */
#ifndef KC_ENGINE_H
#define KC_ENGINE_H

#include <stddef.h>
#include <time.h>

#include "kc/core/secret.h"

/* ---- ceremony files ---------------------------------------------------- */

struct kc_ceremony;

enum kc_action {
	KC_ACTION_ROOT_CREATE = 1,	/* key pair in the token + self-signed root */
	KC_ACTION_INTERMEDIATE_SIGN,	/* sign an intermediate CA CSR */
	KC_ACTION_VERIFICATION_SIGN,	/* Azure DPS proof-of-possession cert */
	KC_ACTION_CRL_ISSUE,		/* CRL, optionally revoking certificates */
	KC_ACTION_EXPORT,		/* public artefacts to the media */
	KC_ACTION_CROSS_SIGN,		/* old root certifies a new root */
	KC_ACTION_ROOT_RESTORE,		/* the root key from a backup medium */
};
/* "root-create", ... */
const char *kc_action_name(enum kc_action a);

struct kc_role_info {
	const char	*id;		/* "officer" */
	const char	*title;		/* "Security officer" */
	const char	*duty;		/* what this person does; may be "" */
};

struct kc_step_info {
	const char	*id;		/* unique in the file, "create-root" */
	const char	*title;		/* one line for screens and transcript */
	enum kc_action	 action;
	const char	*role;		/* the role that performs it */
	const char	*witness;	/* the role that watches it, or NULL */
	int		 line;		/* line in the ceremony file */
	/* What the step will do, for the officer to read before confirming:
	 * several lines "key: value" (subject, algorithm, validity, inputs,
	 * outputs with their full paths once bound to a site). */
	const char	*summary;
	int		 days;		/* validity it writes; 0 when none */
};

/* Parses and validates path. On error *out is NULL and the message is
 * "path:line: reason". */
int kc_ceremony_load(const char *path, struct kc_ceremony **out);
void kc_ceremony_free(struct kc_ceremony *c);

const char *kc_ceremony_path(const struct kc_ceremony *c);
const char *kc_ceremony_name(const struct kc_ceremony *c);
const char *kc_ceremony_title(const struct kc_ceremony *c);
const char *kc_ceremony_description(const struct kc_ceremony *c);
/* SHA-256 (hex) of the file bytes, recorded in the transcript so that
 * witnesses can check it is the reviewed file. */
const char *kc_ceremony_sha256(const struct kc_ceremony *c);
size_t kc_ceremony_nroles(const struct kc_ceremony *c);
const struct kc_role_info *kc_ceremony_role(const struct kc_ceremony *c,
    size_t i);
size_t kc_ceremony_nsteps(const struct kc_ceremony *c);
const struct kc_step_info *kc_ceremony_step(const struct kc_ceremony *c,
    size_t i);

/* ---- site profiles ----------------------------------------------------- */

enum kc_policy { KC_POLICY_WARN = 1, KC_POLICY_REFUSE };

struct kc_key_template;	/* kc/token.h */

/* A site profile; the front end may override any field (the command-line
 * options --module, --token, --pin-file, --state, --media) before
 * kc_engine_new(). Strings are owned by the site (kc_site_set()). Relative
 * paths in a site file are taken relative to the current directory. */
struct kc_site {
	char		*path;		/* the file, or NULL when none */
	char		*name;		/* "rehearsal" */
	char		*module;	/* NULL: kc_token_default_module() */
	char		*token_label;
	char		*token_serial;	/* NULL: any */
	char		*pin_file;	/* NULL: ask on the terminal */
	char		*state_dir;
	char		*media_dir;
	enum kc_policy	 network;	/* an interface other than lo is up */
	enum kc_policy	 removable;	/* media not on a removable device */
	int		 production;	/* production: true 1, false 0; -1 not
					 * given (any token, software ones
					 * marked REHEARSAL) */
	struct kc_key_template *key_template;	/* key-template:, or NULL */
};

/* An empty site (policies: network refuse, removable warn). */
int kc_site_new(struct kc_site **out);
/* Parses path ("path:line: reason" on error). */
int kc_site_load(const char *path, struct kc_site **out);
/* Replaces one string field of s with a copy of value (NULL clears). */
int kc_site_set(char **field, const char *value);
/* KC_ERR_USAGE naming the missing field/option when token, state or
 * media is not set. */
int kc_site_complete(const struct kc_site *s);
void kc_site_free(struct kc_site *s);

/* ---- the engine ---------------------------------------------------------- */

struct kc_engine;

/* How the engine talks to the people in the room. Every member may be
 * NULL. In batch mode confirm is never called: the engine records
 * "confirmed-by-batch" with the time instead. */
struct kc_engine_ui {
	/* Progress lines ("generating ec-p384 key 'root-2026' in the
	 * token"). */
	void	(*progress)(void *arg, const char *msg);
	/* A question for the officer (multi-line text, last line the
	 * question). Returns 1 to go on, 0 to refuse (the check fails or the
	 * step is not run). */
	int	(*confirm)(void *arg, const char *role, const char *text);
	void	*arg;
};

enum kc_engine_flags {
	KC_ENGINE_BATCH = 1 << 0,	/* no terminal: no confirmations */
};

/* Binds a validated ceremony to a site (kc_site_complete must pass),
 * resolves every input and output path inside the state directory, and
 * creates the transcript file in <state>/transcripts/. Does not touch the
 * token. */
int kc_engine_new(const struct kc_ceremony *c, const struct kc_site *s,
    int flags, const struct kc_engine_ui *ui, struct kc_engine **out);
/* Closes the token and the transcript (an unfinished run is recorded as
 * aborted). */
void kc_engine_free(struct kc_engine *e);

/* Who plays role id (must be a role of the ceremony). Default names are
 * "unnamed" (interactive) or "batch". Recorded in the transcript at
 * kc_engine_begin(). */
int kc_engine_set_role(struct kc_engine *e, const char *role,
    const char *name);

/* A secret typed by one person: for a root-restore step a custodian's
 * backup share (prompt says which is needed). A new secret in *out, or an
 * error (KC_ERR_ABORT: not given). */
typedef int kc_engine_secret_fn(void *arg, const char *role,
    const char *prompt, struct kc_secret **out);
/* A ceremony with a root-restore step (ceremony/restore-root.yaml): the
 * backup medium `keyceremony backup create` wrote, and the custodians'
 * share sheets (files, 0600; n == 0: each share is typed through secret,
 * one custodian after the other; secret NULL: files only). Set before the
 * preflight, which reads the medium and checks it against the step's
 * root certificate; the strings are the caller's and must outlive the
 * run. Never a byte of a share or of the wrap key goes to the transcript,
 * the register or a message. */
int kc_engine_set_backup(struct kc_engine *e, const char *medium,
    const char *const *share_files, size_t n, kc_engine_secret_fn *secret,
    void *arg);

/* ---- preflight ---- */
enum kc_check_status {
	KC_CHECK_PENDING = 0,
	KC_CHECK_PASSED,
	KC_CHECK_WARNED,
	KC_CHECK_FAILED,
};
const char *kc_check_status_name(enum kc_check_status s);

struct kc_check_result {
	const char		*id;	/* "network", "clock", "token",
					   "media", "outputs" */
	const char		*title;	/* "Network interfaces down" */
	enum kc_check_status	 status;
	char			 detail[4096];	/* one or more lines */
};

size_t kc_engine_ncheck(const struct kc_engine *e);
/* Runs preflight check i (0..ncheck-1), fills r and records it. The clock
 * check shows the UTC time next to the validity the ceremony will write and
 * asks for confirmation (ui->confirm; batch: confirmed-by-batch). Returns
 * KC_OK when the check ran, whatever its status; an error only when it
 * could not be run or recorded. */
int kc_engine_check(struct kc_engine *e, size_t i, struct kc_check_result *r);
/* Runs every check not yet run; KC_ERR_POLICY naming the first failed
 * one (all are run and recorded anyway). */
int kc_engine_preflight(struct kc_engine *e);

/* 1 when the token is SoftHSM (known after the token check): the
 * transcript and every screen say REHEARSAL. */
int kc_engine_rehearsal(const struct kc_engine *e);

/* Logs in with pin (the caller reads it: site pin file, terminal or
 * quorum) and records the roles. Refused (KC_ERR_POLICY) unless every
 * check ran and none failed. */
int kc_engine_begin(struct kc_engine *e, const struct kc_secret *pin);

/* ---- steps ---- */
enum kc_step_status {
	KC_STEP_PENDING = 0,
	KC_STEP_DONE,
	KC_STEP_FAILED,
	KC_STEP_DECLINED,	/* the officer said no */
};
struct kc_step_result {
	enum kc_step_status status;
	char	out_path[1024];		/* main output, "" when none */
	char	out_sha256[65];
	char	fingerprint[96];	/* certificate SHA-256, AB:CD:.. */
	/* SHA-256 (hex) of the CSR or code the step signs, as the operation
	 * hashed it; set before the operation's own confirmation, so that a
	 * screen can show it from this field, never from the text. */
	char	in_sha256[65];
	char	serial[41];
	char	subject[512];
	time_t	not_before, not_after;
	char	detail[1024];		/* what happened, one or more lines */
	/* crl-issue: the CRL's revocation actions written beside it
	 * (kc/core/revactions.h), for a screen to show; "" when none */
	char	actions_path[1024];
};
/* Runs step i; steps run in order, each once. The step is shown
 * (ui->confirm with its summary; batch: confirmed-by-batch) and recorded
 * with the SHA-256 of its inputs and outputs. A failed step stops the
 * ceremony: later steps are refused. Returns the step's error. */
int kc_engine_step(struct kc_engine *e, size_t i, struct kc_step_result *r);
/* Index of the next step to run, or kc_ceremony_nsteps() when done. */
size_t kc_engine_next_step(const struct kc_engine *e);

/* ---- end ---- */
#define KC_PGPWORDS_MAX (32 * 12)	/* 32 words, longest 11 + space */
struct kc_engine_summary {
	char	transcript[1024];	/* path of the transcript */
	char	digest[65];		/* final digest, hex */
	char	words[KC_PGPWORDS_MAX];	/* the same as PGP words */
	int	rehearsal;
	int	completed;		/* every step done */
	size_t	records;
};
/* Closes the transcript (an "end" record: completed or aborted) and
 * logs out. When the ceremony had an export step, the closed transcript
 * is then copied to the media too and SHA256SUMS updated (the export
 * step itself copied everything else, before the transcript was
 * closed). After this only kc_engine_export() and kc_engine_free(). */
int kc_engine_finish(struct kc_engine *e, struct kc_engine_summary *sum);
/* A front end that can draw the ceremony report (keyceremony links the
 * renderer; libkc does not) sets fn before kc_engine_finish(): when the
 * ceremony completed and has an export step, fn gets the closed
 * transcript and the state directory and returns the PDF (malloc'd),
 * which goes to the medium as <transcript name>-report.pdf with the
 * transcript (kc_media_export_report). */
typedef int kc_engine_report_fn(void *arg, const char *transcript,
    const char *state, unsigned char **pdf, size_t *len);
void kc_engine_set_report(struct kc_engine *e, kc_engine_report_fn *fn,
    void *arg);

/* Public artefacts of the state directory to the site's media (see
 * kc/media.h). Allowed after kc_engine_finish(); a ceremony's export
 * step calls it itself. */
struct kc_export_result;
int kc_engine_export(struct kc_engine *e, struct kc_export_result *res);

#endif

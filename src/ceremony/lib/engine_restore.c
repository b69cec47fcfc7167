/*
 * engine_restore.c: a ceremony's root-restore step (issue 17,
 * ceremony/restore-root.yaml): the root key restored into the site's
 * token from the backup medium `keyceremony backup create` wrote, under
 * the wrap key rebuilt from K custodians' share sheets, through the same
 * kc_bk_* calls as `keyceremony backup restore` (kc/ceremony/backup.h).
 * The preflight reads the medium and checks it against the step's root
 * certificate before the token is touched; the step takes the shares
 * (files, or typed one custodian after the other), checks each before
 * anything is sent to the token, restores, checks the restored key (its
 * public key the root certificate's, a test signature that verifies) and
 * records the restore in the register. No byte of a share or of the wrap
 * key reaches the transcript, the register or a message.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "kc/ceremony/backup.h"
#include "kc/ceremony/engine.h"
#include "kc/ceremony/quorum.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "ceremony_int.h"
#include "engine_int.h"

int
kc_engine_set_backup(struct kc_engine *e, const char *medium,
    const char *const *share_files, size_t n, kc_engine_secret_fn *secret,
    void *arg)
{
	if (e->begun)
		return kc_err(KC_ERR_USAGE, "the backup medium is set before "
		    "the ceremony begins");
	if (n > KC_QUORUM_MAX_SHARES)
		return kc_err(KC_ERR_USAGE, "at most %d share sheets",
		    KC_QUORUM_MAX_SHARES);
	e->bk_medium = medium;
	e->bk_files = share_files;
	e->bk_nfiles = n;
	e->bk_secret = secret;
	e->bk_arg = arg;
	return KC_OK;
}

void
kc_engine_restore_free(struct kc_engine *e)
{
	kc_bk_backup_clear(&e->bk);
	e->bk_loaded = 0;
}

int
kc_engine_restore_check(struct kc_engine *e, const struct kc_step *s,
    char *msg, size_t msgsz)
{
	const struct kc_bk_manifest *m = &e->bk.m;
	char cert[PATH_MAX];
	int rc;

	if (e->bk_medium == NULL) {
		snprintf(msg, msgsz, "step %s restores the root key from a "
		    "backup medium: give it (keyceremony run --backup-medium "
		    "DIR)", s->id);
		return KC_ERR_USAGE;
	}
	kc_engine_restore_free(e);
	if ((rc = kc_engine_path(e, s->issuer_cert, cert, sizeof(cert))) !=
	    KC_OK || (rc = kc_bk_load(e->bk_medium, cert, &e->bk)) != KC_OK) {
		snprintf(msg, msgsz, "step %s: %s", s->id, kc_errmsg());
		kc_bk_backup_clear(&e->bk);
		return rc;
	}
	if (e->bk_nfiles > 0 && e->bk_nfiles < (size_t)m->k) {
		snprintf(msg, msgsz, "step %s: %zu share sheet%s given, this "
		    "backup needs %d of its %d custodians", s->id, e->bk_nfiles,
		    e->bk_nfiles == 1 ? "" : "s", m->k, m->n);
		kc_engine_restore_free(e);
		return KC_ERR_USAGE;
	}
	if (e->bk_nfiles == 0 && e->bk_secret == NULL) {
		snprintf(msg, msgsz, "step %s: no share sheets given and no one "
		    "to type them: give %d --share-file", s->id, m->k);
		kc_engine_restore_free(e);
		return KC_ERR_USAGE;
	}
	e->bk_loaded = 1;
	snprintf(msg, msgsz, "step %s: backup medium %s holds key '%s' (%s) "
	    "of token '%s' (serial %s), backed up %s; its public key is the "
	    "one of %s; any %d of the %d custodians' sheets (set %s) rebuild "
	    "the wrap key; %s", s->id, e->bk_medium, m->key_label, m->alg,
	    m->token_label, m->token_serial, m->created, s->issuer_cert, m->k,
	    m->n, m->set_id, e->bk_nfiles > 0 ? "the sheets are given as "
	    "files" : "the custodians type their shares");
	return KC_OK;
}

void
kc_engine_restore_ins(struct kc_engine *e, char *list, size_t listsz)
{
	if (e->bk_medium != NULL)
		kc_bk_medium_files(e->bk_medium, list, listsz);
}

/* Share i (0-based): sheet i, or typed by the next custodian. */
static int
take_share(struct kc_engine *e, const struct kc_step *s, struct kc_quorum *q,
    size_t i)
{
	const struct kc_bk_manifest *m = &e->bk.m;
	struct kc_quorum_info qi;
	struct kc_secret *sh = NULL;
	const char *src = e->bk_nfiles > 0 ? e->bk_files[i] : NULL;
	char prompt[256], msg[512];
	int rc;

	if (src != NULL)
		rc = kc_quorum_read_file(src, &sh, &qi);
	else {
		snprintf(prompt, sizeof(prompt), "Custodian %zu of the %d "
		    "needed: type your share of the backup's wrap key (set %s)",
		    i + 1, m->k, m->set_id);
		if ((rc = e->bk_secret(e->bk_arg, s->role, prompt, &sh)) ==
		    KC_OK)
			rc = kc_quorum_check(sh->buf, sh->len, &qi);
	}
	if (rc == KC_OK)
		rc = kc_bk_share_of(m, &qi);
	if (rc == KC_OK)
		rc = kc_quorum_add(q, sh->buf, sh->len, &qi);
	kc_secret_free(sh);
	if (rc != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return kc_err(rc, "%s%s%s; nothing was sent to the token",
		    src != NULL ? src : "", src != NULL ? ": " : "", msg);
	}
	kc_engine_progress(e, "share %d of %d (set %s) accepted; %d more "
	    "needed", qi.index, qi.n, qi.set_id, kc_quorum_needed(q));
	return KC_OK;
}

/* The wrap key from K shares, before anything is sent to the token. */
static int
wrap_key(struct kc_engine *e, const struct kc_step *s, struct kc_secret **wk)
{
	struct kc_quorum *q = NULL;
	size_t i;
	int rc;

	*wk = NULL;
	if ((rc = kc_quorum_new(&q)) != KC_OK)
		return rc;
	for (i = 0; rc == KC_OK && kc_quorum_needed(q) != 0; i++) {
		if (e->bk_nfiles > 0 && i == e->bk_nfiles) {
			rc = kc_err(KC_ERR_USAGE, "the %zu share sheets given "
			    "hold fewer than %d different shares; nothing was "
			    "sent to the token", e->bk_nfiles, e->bk.m.k);
			break;
		}
		if (e->bk_nfiles == 0 && i == KC_QUORUM_MAX_SHARES) {
			rc = kc_err(KC_ERR_USAGE, "too many shares typed");
			break;
		}
		rc = take_share(e, s, q, i);
	}
	if (rc == KC_OK)
		rc = kc_bk_combine(q, wk);
	kc_quorum_free(q);
	return rc;
}

/* The root certificate the restored key belongs to, in the step's result. */
static void
cert_result(const X509 *x, struct kc_step_result *r)
{
	char hex[65], *v;

	if (kc_cert_fingerprint(x, r->fingerprint, hex) != KC_OK)
		r->fingerprint[0] = '\0';
	if ((v = kc_cert_serial_hex(x)) != NULL) {
		snprintf(r->serial, sizeof(r->serial), "%s", v);
		free(v);
	}
	if ((v = kc_name_string(X509_get_subject_name(x))) != NULL) {
		snprintf(r->subject, sizeof(r->subject), "%s", v);
		free(v);
	}
	kc_err_clear();
}

int
kc_engine_restore_step(struct kc_engine *e, const struct kc_step *s,
    struct kc_step_result *r, char *outs, size_t outsz)
{
	const struct kc_bk_manifest *m = &e->bk.m;
	struct kc_register *reg = NULL;
	struct kc_secret *wk = NULL;
	int rc;

	if (!e->bk_loaded || e->bk.cert == NULL)
		return kc_err(KC_ERR_INTERNAL, "step %s: the backup medium was "
		    "not read at preflight", s->id);
	/* the register first: a restore is recorded, or not done */
	if ((rc = kc_register_open(e->state, 1, &reg)) != KC_OK)
		return rc;
	if ((rc = wrap_key(e, s, &wk)) != KC_OK)
		goto out;
	kc_engine_progress(e, "unwrapping key '%s' into token '%s' "
	    "(CKM_AES_KEY_WRAP_PAD), then a test signature", s->key_label,
	    e->s->token_label);
	rc = kc_bk_restore(e->tok, &e->bk, wk, s->key_label, NULL);
	kc_secret_free(wk);
	wk = NULL;
	if (rc != KC_OK ||
	    (rc = kc_bk_register(reg, "restore", m, e->s->token_label,
	    s->key_label, e->bk_medium)) != KC_OK)
		goto out;
	cert_result(e->bk.cert, r);
	snprintf(outs, outsz, "key:%s,public-key-sha256:%s,shares:set %s %d "
	    "of %d,wrap-key:destroyed", s->key_label, m->pub_sha256, m->set_id,
	    m->k, m->n);
	if (snprintf(r->detail, sizeof(r->detail), "key '%s' restored into "
	    "token '%s' from %s (backed up from token '%s', serial %s, %s)\n"
	    "its public key is the root certificate's (%s), SHA-256 %s; a test "
	    "signature verifies\n"
	    "CKA_LOCAL=FALSE, CKA_ALWAYS_SENSITIVE=FALSE (made by "
	    "C_UnwrapKey); sensitive, sign-only, CKA_WRAP_WITH_TRUSTED\n"
	    "the wrap key was a session object of this step and is destroyed",
	    s->key_label, e->s->token_label, e->bk_medium, m->token_label,
	    m->token_serial, m->created, s->issuer_cert,
	    kc_hash(m->pub_sha256)) >= (int)sizeof(r->detail))
		r->detail[sizeof(r->detail) - 1] = '\0';
out:
	kc_secret_free(wk);
	kc_register_close(reg);
	return rc;
}

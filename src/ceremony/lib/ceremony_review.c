/*
 * ceremony_review.c: the review text of a ceremony file (`keyceremony run
 * FILE --check`): what each step will issue, from the file alone (no site,
 * no token, no state directory), for the witnesses to compare with the
 * reviewed file before the day. Deterministic: the same file gives the
 * same text byte for byte (no clock, no paths but the file's own, no
 * random values); see kc/review.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/review.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/core/strbuf.h"
#include "ceremony_int.h"

/* Every line of text (several "name: value" lines) indented. */
static void
put_lines(struct kc_strbuf *b, const char *indent, const char *text)
{
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");

		kc_strbuf_add(b, "%s%.*s\n", indent, (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

static void
put_years(struct kc_strbuf *b, int days)
{
	kc_strbuf_add(b, "%d day%s", days, days == 1 ? "" : "s");
	if (days >= 365)
		kc_strbuf_add(b, " (%.1f years)", days / 365.25);
}

static void
put_exts(struct kc_strbuf *b, enum kc_profile p, int path_len, int rsa)
{
	char ext[1024];

	kc_strbuf_add(b, "      extensions (the profile decides; a CSR's requests are "
	    "ignored):\n");
	if (kc_profile_extensions(p, path_len, rsa, ext, sizeof(ext)) != KC_OK) {
		b->failed = 1;
		return;
	}
	put_lines(b, "        ", ext);
}

/* The step that writes name earlier in the ceremony, or NULL. */
static const struct kc_step *
writer_of(const struct kc_ceremony *c, size_t before, const char *name)
{
	for (size_t j = 0; j < before; j++)
		if (c->steps[j].output != NULL &&
		    strcmp(c->steps[j].output, name) == 0)
			return &c->steps[j];
	return NULL;
}

/* Where an input comes from: an earlier step, or the state directory. */
static void
put_input(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const char *what, const char *name)
{
	const struct kc_step *w = writer_of(c, i, name);

	if (w != NULL)
		kc_strbuf_add(b, "      %s: %s (written by step %s above)\n", what, name,
		    w->id);
	else
		kc_strbuf_add(b, "      %s: %s (must be in the state directory: imported "
		    "from the medium or kept from an earlier ceremony)\n", what,
		    name);
}

/* The signing key of a step: its label, and its algorithm when an earlier
 * step of this file made it. */
static void
put_signer(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	const struct kc_step *w = writer_of(c, i, s->issuer_cert);

	if (w != NULL && w->info.action == KC_ACTION_ROOT_CREATE &&
	    w->key_label != NULL && strcmp(w->key_label, s->issuer_key) == 0)
		kc_strbuf_add(b, "      signed by: key %s in the token (%s, made by step "
		    "%s above), signature with SHA-%s\n", s->issuer_key,
		    kc_alg_name(w->alg), w->id,
		    w->alg == KC_ALG_EC_P384 || w->alg == KC_ALG_RSA_4096 ?
		    "384" : "256");
	else
		kc_strbuf_add(b, "      signed by: key %s in the token, which must be the "
		    "key of the issuer certificate (checked before signing); "
		    "SHA-384 for a P-384 or RSA-4096 key, SHA-256 otherwise\n",
		    s->issuer_key);
	put_input(b, c, i, "issuer certificate", s->issuer_cert);
}

static void
review_root(struct kc_strbuf *b, const struct kc_step *s)
{
	int rsa = s->alg == KC_ALG_RSA_3072 || s->alg == KC_ALG_RSA_4096;

	kc_strbuf_add(b, "      issues: a self-signed root CA certificate (profile "
	    "root)\n");
	if (s->backup_k == 0)
		kc_strbuf_add(b, "      new key: label %s, algorithm %s, generated inside "
		    "the token: sign-only, sensitive, never extractable\n",
		    s->key_label, kc_alg_name(s->alg));
	else {
		kc_strbuf_add(b, "      new key: label %s, algorithm %s, generated inside "
		    "the token: sign-only, sensitive, extractable only wrapped "
		    "under a trusted key, for its backup\n", s->key_label,
		    kc_alg_name(s->alg));
		kc_strbuf_add(b, "      backup: the root key can be backed up to a second "
		    "HSM (keyceremony backup create) under a wrap key split "
		    "among %d custodians, any %d of whom restore it; it can "
		    "leave this HSM only wrapped that way, never in clear\n",
		    s->backup_n, s->backup_k);
	}
	kc_strbuf_add(b, "      subject: %s\n", s->subject);
	kc_strbuf_add(b, "      issuer: the same (self-signed)\n");
	kc_strbuf_add(b, "      signature: with the new key, SHA-%s\n",
	    s->alg == KC_ALG_EC_P384 || s->alg == KC_ALG_RSA_4096 ? "384" :
	    "256");
	kc_strbuf_add(b, "      serial: 127 random bits from the token\n");
	kc_strbuf_add(b, "      validity: notBefore = the moment of signing (UTC, the "
	    "clock confirmed at preflight), notAfter = notBefore + ");
	put_years(b, s->days);
	kc_strbuf_add(b, "\n");
	if (s->validity_reason)
		kc_strbuf_add(b, "      validity reason (past the %d-day cap): %s\n",
		    KC_ROOT_DAYS_CAP, s->validity_reason);
	put_exts(b, KC_PROFILE_ROOT, -1, rsa);
}

/* cross-sign (issue 15 item 4): see kc/cross.h. */
static void
review_cross(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	kc_strbuf_add(b, "      issues: a cross-certificate for a new root (profile "
	    "root, signed by the old root)\n");
	put_input(b, c, i, "new root certificate", s->new_root);
	kc_strbuf_add(b, "      subject and key: the new root's, its "
	    "SubjectPublicKeyInfo byte for byte; its self-signature must "
	    "verify; not the old root's key or name\n");
	put_signer(b, c, i, s);
	kc_strbuf_add(b, "      validity: notBefore = the moment of signing (UTC), "
	    "notAfter = notBefore + ");
	put_years(b, s->days);
	kc_strbuf_add(b, ", cut short at the end of the old (or the new) root's "
	    "validity\n");
	kc_strbuf_add(b, "      key identifiers: SKI = the new root's SKI, AKI = the old "
	    "root's SKI\n");
	put_exts(b, KC_PROFILE_ROOT, -1, 0);
}

static void
review_intermediate(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	kc_strbuf_add(b, "      issues: an intermediate CA certificate (profile "
	    "intermediate)\n");
	put_input(b, c, i, "CSR", s->csr);
	if (s->renew != NULL) {
		put_input(b, c, i, "renews", s->renew);
		kc_strbuf_add(b, "      renewal: the CSR must carry the key of the "
		    "certificate renewed, which this root issued (register); "
		    "its subject and key identifier, a new validity\n");
	}
	if (s->subject != NULL)
		kc_strbuf_add(b, "      subject: %s (replaces the CSR's subject)\n",
		    s->subject);
	else
		kc_strbuf_add(b, "      subject: the CSR's subject (shown on the day; not "
		    "the root's and not that of another valid intermediate)\n");
	kc_strbuf_add(b, "      subject key: the CSR's key (its signature is checked; "
	    "EC P-256, P-384 or RSA of at least 2048 bits; not the root's "
	    "key)\n");
	put_signer(b, c, i, s);
	kc_strbuf_add(b, "      serial: 127 random bits from the token, never used "
	    "before by this issuer (register)\n");
	kc_strbuf_add(b, "      validity: notBefore = the moment of signing (UTC), "
	    "notAfter = notBefore + ");
	put_years(b, s->days);
	kc_strbuf_add(b, "; refused if that is after the issuer certificate's "
	    "notAfter\n");
	put_exts(b, KC_PROFILE_INTERMEDIATE, s->path_len, 0);
}

static void
review_verification(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	kc_strbuf_add(b, "      issues: an Azure DPS proof-of-possession (verification) "
	    "certificate (profile verification)\n");
	if (s->code != NULL)
		kc_strbuf_add(b, "      subject: /CN=%s (the verification code)\n", s->code);
	else {
		kc_strbuf_add(b, "      subject: /CN=<the verification code>, 1 to 64 "
		    "letters and digits read from the code file\n");
		put_input(b, c, i, "code file", s->code_file);
	}
	kc_strbuf_add(b, "      subject key: a throwaway EC P-256 key made in memory and "
	    "freed at once (DPS checks only the signature)\n");
	put_signer(b, c, i, s);
	kc_strbuf_add(b, "      serial: 127 random bits from the token\n");
	kc_strbuf_add(b, "      validity: notBefore = the moment of signing (UTC), "
	    "notAfter = notBefore + ");
	put_years(b, s->days);
	kc_strbuf_add(b, "; refused if that is after the issuer certificate's "
	    "notAfter\n");
	put_exts(b, KC_PROFILE_VERIFICATION, -1, 0);
}

static void
review_crl(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	kc_strbuf_add(b, "      issues: a CRL (version 2) of the issuer\n");
	put_signer(b, c, i, s);
	for (size_t k = 0; k < s->nrevoke; k++) {
		put_input(b, c, i, "revokes", s->revoke[k].cert);
		kc_strbuf_add(b, "        with reason %s (its serial and subject are "
		    "shown on the day)\n", s->revoke[k].reason);
	}
	kc_strbuf_add(b, "      lists: %severy certificate of this issuer the register "
	    "records as revoked\n", s->nrevoke ? "that certificate and " : "");
	kc_strbuf_add(b, "      validity: thisUpdate = the moment of signing (UTC), "
	    "nextUpdate = thisUpdate + ");
	put_years(b, s->days);
	kc_strbuf_add(b, "\n");
	kc_strbuf_add(b, "      extensions: cRLNumber (the register's next number), "
	    "authorityKeyIdentifier (keyid of the issuer certificate); each "
	    "entry: revocation date, reasonCode\n");
}

/* root-restore (issue 17): what happens, in plain words. */
static void
review_restore(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i,
    const struct kc_step *s)
{
	kc_strbuf_add(b, "      restores: the root key from a backup medium (keyceremony "
	    "backup create wrote it; given at run time with --backup-medium) "
	    "into this token\n");
	kc_strbuf_add(b, "      new key: label %s, algorithm as backed up (read from the "
	    "medium), not generated here: unwrapped into this token (the "
	    "label must be free)\n", s->key_label);
	kc_strbuf_add(b, "      issues: nothing (the root certificate and its "
	    "extensions stay as they are)\n");
	kc_strbuf_add(b, "      shares: K of the N custodians each give their share "
	    "sheet (--share-file, or typed one after the other); every share "
	    "is checked (checksum, set, count) before anything is sent to the "
	    "token, and together they rebuild the wrap key\n");
	kc_strbuf_add(b, "      in the token: the wrap key is imported for this step only "
	    "(a session object, destroyed at its end), the key unwrapped with "
	    "CKM_AES_KEY_WRAP_PAD: sensitive, sign-only, extractable only "
	    "wrapped under a trusted key; it reads CKA_LOCAL=FALSE and "
	    "CKA_ALWAYS_SENSITIVE=FALSE (made outside this token)\n");
	kc_strbuf_add(b, "      checks: the restored key's public key must be the root "
	    "certificate's and a test signature must verify with it, else "
	    "the restored key is removed again\n");
	put_input(b, c, i, "root certificate", s->issuer_cert);
	kc_strbuf_add(b, "      recorded: the transcript (the medium's files with their "
	    "SHA-256, never a share or a byte of the wrap key) and the "
	    "register's backups table\n");
}

/* The lines of step i (after its "i/n id: title" heading): what it does,
 * who performs and witnesses it, what it issues, its inputs and output.
 * The same lines for run --check and the printed script. */
static void
put_step(struct kc_strbuf *b, const struct kc_ceremony *c, size_t i)
{
	const struct kc_step *s = &c->steps[i];

	kc_strbuf_add(b, "      action: %s (line %d), performed by %s%s%s\n",
	    kc_action_name(s->info.action), s->info.line, s->role,
	    s->witness ? ", witnessed by " : ", no witness named",
	    s->witness ? s->witness : "");
	switch (s->info.action) {
	case KC_ACTION_ROOT_CREATE:
		review_root(b, s);
		break;
	case KC_ACTION_INTERMEDIATE_SIGN:
		review_intermediate(b, c, i, s);
		break;
	case KC_ACTION_VERIFICATION_SIGN:
		review_verification(b, c, i, s);
		break;
	case KC_ACTION_CRL_ISSUE:
		review_crl(b, c, i, s);
		break;
	case KC_ACTION_CROSS_SIGN:
		review_cross(b, c, i, s);
		break;
	case KC_ACTION_ROOT_RESTORE:
		review_restore(b, c, i, s);
		break;
	case KC_ACTION_EXPORT:
		kc_strbuf_add(b, "      copies the public artefacts of the state "
		    "directory and the closed transcript to the "
		    "medium, with SHA256SUMS\n");
		break;
	}
	if (s->output != NULL)
		kc_strbuf_add(b, "      output: %s (in the state directory; must "
		    "not exist yet)\n", s->output);
}

int
kc_ceremony_review_step(const struct kc_ceremony *c, size_t i, char **out)
{
	struct kc_strbuf b = { NULL, 0, 0, 0 };

	*out = NULL;
	if (i >= c->nsteps)
		return kc_err(KC_ERR_INTERNAL, "no step %zu", i);
	if ((b.p = malloc(1024)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	b.cap = 1024;
	b.p[0] = '\0';
	put_step(&b, c, i);
	if (b.failed) {
		free(b.p);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*out = b.p;
	return KC_OK;
}

int
kc_ceremony_review(const struct kc_ceremony *c, char **out)
{
	struct kc_strbuf b = { NULL, 0, 0, 0 };

	*out = NULL;
	if ((b.p = malloc(4096)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	b.cap = 4096;
	b.p[0] = '\0';
	kc_strbuf_add(&b, "Ceremony %s: %s\n", c->name, c->title);
	kc_strbuf_add(&b, "  file %s\n", c->path);
	kc_strbuf_add(&b, "  SHA-256 %s\n", kc_hash(c->sha256));
	kc_strbuf_add(&b, "  (write the SHA-256 on the paper record: the transcript "
	    "records the SHA-256 of the file that runs)\n");
	if (c->description[0] != '\0') {
		kc_strbuf_add(&b, "\nDescription:\n");
		put_lines(&b, "  ", c->description);
	}
	kc_strbuf_add(&b, "\nRoles (%zu):\n", c->nroles);
	for (size_t i = 0; i < c->nroles; i++)
		kc_strbuf_add(&b, "  %s: %s%s%s\n", c->roles[i].id, c->roles[i].title,
		    c->roles[i].duty[0] ? " - " : "", c->roles[i].duty);
	kc_strbuf_add(&b, "\nSteps (%zu), what each will do and issue:\n", c->nsteps);
	for (size_t i = 0; i < c->nsteps; i++) {
		kc_strbuf_add(&b, "\n  %zu/%zu %s: %s\n", i + 1, c->nsteps,
		    c->steps[i].id, c->steps[i].title);
		put_step(&b, c, i);
	}
	if (!c->has_export)
		kc_strbuf_add(&b, "\nNo export step: export the outputs afterwards "
		    "(keyceremony export, or e on the End screen).\n");
	kc_strbuf_add(&b, "\nChecked: the file alone (format, keys, names, subjects, "
	    "algorithms, validity, paths). Not checked here: the site, the "
	    "token, the state directory and its inputs (preflight does that "
	    "on the day).\n");
	if (b.failed) {
		free(b.p);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*out = b.p;
	return KC_OK;
}

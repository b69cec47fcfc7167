/* ceremony.c: a ceremony file parsed strictly into the model (struct
 * kc_ceremony, ceremony_int.h) and validated as a whole before anything
 * touches a token: the actions and their keys, roles, steps and the
 * summary each shows before it runs, the checks across steps (see
 * kc/ceremony/engine.h and docs/ceremony.5). Owned by the ceremony side
 * (libkc-ceremony). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "ceremony_int.h"
#include "yamltree.h"
#include "ceremony_parse.h"

#define CEREMONY_VERSION 1

#define COMMON_KEYS "id", "title", "action", "role", "witness"

static const struct {
	const char	*name;
	enum kc_action	 action;
	const char	*keys[16];	/* every key a step of it may have */
} actions[] = {
	{ "root-create", KC_ACTION_ROOT_CREATE, { COMMON_KEYS, "key-label",
	  "algorithm", "subject", "days", "validity-reason", "output",
	  "backup", NULL } },
	{ "intermediate-sign", KC_ACTION_INTERMEDIATE_SIGN, { COMMON_KEYS,
	  "issuer-key", "issuer-cert", "csr", "subject", "days", "path-len",
	  "renew", "output", NULL } },
	{ "verification-sign", KC_ACTION_VERIFICATION_SIGN, { COMMON_KEYS,
	  "issuer-key", "issuer-cert", "code", "code-file", "days", "output",
	  NULL } },
	{ "crl-issue", KC_ACTION_CRL_ISSUE, { COMMON_KEYS, "issuer-key",
	  "issuer-cert", "next-update-days", "revoke", "reason", "output",
	  NULL } },
	{ "export", KC_ACTION_EXPORT, { COMMON_KEYS, NULL } },
	{ "cross-sign", KC_ACTION_CROSS_SIGN, { COMMON_KEYS, "issuer-key",
	  "issuer-cert", "new-root", "days", "output", NULL } },
	{ "root-restore", KC_ACTION_ROOT_RESTORE, { COMMON_KEYS, "key-label",
	  "issuer-cert", NULL } },
};

const char *
kc_action_name(enum kc_action a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].action == a)
			return actions[i].name;
	return "unknown";
}

static int
parse_roles(const struct yctx *y, struct ynode *seq, struct kc_ceremony *c)
{
	int rc;

	if (seq->n == 0)
		return yerr(y, seq->line, "'roles' is empty: name at least the "
		    "officer who runs the steps");
	if ((c->roles = calloc(seq->n, sizeof(*c->roles))) == NULL ||
	    (c->role_strs = calloc(3 * seq->n, sizeof(char *))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		struct ynode *m = seq->kids[i];
		const char *id, *title, *duty;

		static const char *const keys[] = { "id", "title", "duty",
		    NULL };

		if (m->type != Y_MAP)
			return yerr(y, m->line, "each role must be a mapping "
			    "with 'id' and 'title'");
		if ((rc = ymap_only(y, m, keys, "a role")) != KC_OK)
			return rc;
		if ((rc = ymap_str(y, m, "id", 1, &id)) != KC_OK ||
		    (rc = ymap_str(y, m, "title", 1, &title)) != KC_OK ||
		    (rc = ymap_str(y, m, "duty", 0, &duty)) != KC_OK ||
		    (rc = ymap_no_unknown(y, m, "a role")) != KC_OK)
			return rc;
		if ((rc = kc_field_ident(y, m->line, "id", id, 32)) != KC_OK ||
		    (rc = kc_field_line(y, m->line, "title", title,
		    80)) != KC_OK ||
		    (duty && (rc = kc_field_line(y, m->line, "duty", duty,
		    200)) != KC_OK))
			return rc;
		if (kc_ceremony_find_role(c, id) != NULL)
			return yerr(y, m->line, "role '%s' is defined twice",
			    id);
		if ((rc = kc_cer_dupstr(id, &c->role_strs[3 * i])) != KC_OK ||
		    (rc = kc_cer_dupstr(title,
		    &c->role_strs[3 * i + 1])) != KC_OK ||
		    (rc = kc_cer_dupstr(duty ? duty : "",
		    &c->role_strs[3 * i + 2])) != KC_OK)
			return rc;
		c->roles[i].id = c->role_strs[3 * i];
		c->roles[i].title = c->role_strs[3 * i + 1];
		c->roles[i].duty = c->role_strs[3 * i + 2];
		c->nroles = i + 1;
	}
	return KC_OK;
}

/* crl-issue: an optional certificate to revoke, with its reason. */
static int
parse_revoke(const struct yctx *y, struct ynode *m, struct kc_step *s)
{
	const char *reason;
	char *cert = NULL;
	int rc, code;

	if ((rc = kc_field_path(y, m, "revoke", 0, &cert)) != KC_OK)
		return rc;
	if (cert == NULL) {
		if (ymap_get(m, "reason") != NULL)
			return yerr(y, ymap_get(m, "reason")->line, "'reason' "
			    "without 'revoke'");
		return KC_OK;
	}
	if ((s->revoke = calloc(1, sizeof(*s->revoke))) == NULL) {
		free(cert);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	s->nrevoke = 1;
	s->revoke[0].cert = cert;
	s->revoke[0].line = ymap_get(m, "revoke")->line;
	if ((rc = ymap_str(y, m, "reason", 1, &reason)) != KC_OK)
		return rc;
	if (kc_reason_parse(reason, &code) != KC_OK)
		return yerr(y, ymap_get(m, "reason")->line, "unknown "
		    "revocation reason '%s' (use keyCompromise, cACompromise, "
		    "superseded or cessationOfOperation)", reason);
	return kc_cer_dupstr(reason, &s->revoke[0].reason);
}

static int
add_line(char **buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
add_line(char **buf, const char *fmt, ...)
{
	char line[1024];
	size_t old = *buf ? strlen(*buf) : 0;
	char *n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if ((n = realloc(*buf, old + strlen(line) + 2)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(n + old, line, strlen(line));
	n[old + strlen(line)] = '\n';
	n[old + strlen(line) + 1] = '\0';
	*buf = n;
	return KC_OK;
}

/* root-create's backup: {threshold: K, custodians: N} (issue 17): the
 * root key is generated so that it can leave the token only wrapped under
 * a CKA_TRUSTED key, for `keyceremony backup create`. */
static int
parse_backup(const struct yctx *y, struct ynode *m, struct kc_step *s)
{
	static const char *const keys[] = { "threshold", "custodians", NULL };
	struct ynode *b = NULL;
	long k, n;
	int rc;

	if ((rc = ymap_node(y, m, "backup", Y_MAP, 0, &b)) != KC_OK ||
	    b == NULL)
		return rc;
	if ((rc = ymap_only(y, b, keys, "backup")) != KC_OK ||
	    (rc = ymap_int(y, b, "threshold", 1, 2, 255, &k)) != KC_OK ||
	    (rc = ymap_int(y, b, "custodians", 1, 2, 255, &n)) != KC_OK)
		return rc;
	if (k > n)
		return yerr(y, b->line, "backup: threshold %ld is more than "
		    "custodians %ld", k, n);
	s->backup_k = (int)k;
	s->backup_n = (int)n;
	return KC_OK;
}

static int
build_summary(struct kc_step *s)
{
	char **b = &s->summary;
	int rc = KC_OK;

	rc |= add_line(b, "action: %s", kc_action_name(s->info.action));
	if (s->key_label && s->info.action == KC_ACTION_ROOT_CREATE &&
	    s->backup_k == 0)
		rc |= add_line(b, "new key: %s (%s, generated inside the "
		    "token, never extractable)", s->key_label,
		    kc_alg_name(s->alg));
	else if (s->key_label && s->info.action == KC_ACTION_ROOT_CREATE) {
		rc |= add_line(b, "new key: %s (%s, generated inside the "
		    "token, extractable only wrapped under a trusted key, "
		    "for its backup)", s->key_label, kc_alg_name(s->alg));
		rc |= add_line(b, "backup: the root key can be backed up to "
		    "a second HSM (keyceremony backup create) under a wrap "
		    "key split among %d custodians, any %d of whom restore "
		    "it; it can leave this HSM only wrapped that way, never "
		    "in clear", s->backup_n, s->backup_k);
	}
	if (s->info.action == KC_ACTION_ROOT_RESTORE) {
		rc |= add_line(b, "restored key: %s (into this token, from the "
		    "backup medium: C_UnwrapKey under the wrap key that K "
		    "custodians' share sheets rebuild; sensitive, sign-only, "
		    "extractable only wrapped under a trusted key)",
		    s->key_label);
		rc |= add_line(b, "checks: the restored key's public key must be "
		    "the root certificate's and a test signature must verify, "
		    "else the restored key is removed again; the wrap key "
		    "exists in the token only during this step");
	}
	if (s->issuer_key)
		rc |= add_line(b, "signing key: %s", s->issuer_key);
	if (s->issuer_cert)
		rc |= add_line(b, "issuer certificate: %s", s->issuer_cert);
	if (s->csr)
		rc |= add_line(b, "CSR: %s", s->csr);
	if (s->renew)
		rc |= add_line(b, "renews: %s (the same key and subject, a new "
		    "validity)", s->renew);
	if (s->new_root)
		rc |= add_line(b, "new root certificate (certified with its "
		    "subject and key): %s", s->new_root);
	if (s->subject)
		rc |= add_line(b, "subject: %s", s->subject);
	else if (s->info.action == KC_ACTION_INTERMEDIATE_SIGN)
		rc |= add_line(b, "subject: as in the CSR");
	if (s->code)
		rc |= add_line(b, "verification code: %s", s->code);
	if (s->code_file)
		rc |= add_line(b, "verification code from: %s", s->code_file);
	if (s->info.action == KC_ACTION_INTERMEDIATE_SIGN)
		rc |= add_line(b, "path length: %d", s->path_len);
	if (s->days && s->info.action == KC_ACTION_CRL_ISSUE)
		rc |= add_line(b, "next update: in %d days", s->days);
	else if (s->days)
		rc |= add_line(b, "validity: %d days (%.1f years)", s->days,
		    s->days / 365.25);
	if (s->validity_reason)
		rc |= add_line(b, "validity reason: %s", s->validity_reason);
	for (size_t i = 0; i < s->nrevoke; i++)
		rc |= add_line(b, "revoke: %s (%s)", s->revoke[i].cert,
		    s->revoke[i].reason);
	if (s->output)
		rc |= add_line(b, "output: %s", s->output);
	if (s->info.action == KC_ACTION_EXPORT)
		rc |= add_line(b, "copies the public artefacts and the "
		    "transcript to the media, with SHA256SUMS");
	return rc == KC_OK ? KC_OK : KC_ERR_NOMEM;
}

static int
parse_step(const struct yctx *y, struct ynode *m, struct kc_ceremony *c,
    struct kc_step *s)
{
	const char *id, *title, *action, *role, *witness;
	char where[128];
	size_t k;
	long pl = 0;
	int rc;

	s->path_len = -1;
	s->info.line = m->line;
	if ((rc = ymap_str(y, m, "id", 1, &id)) != KC_OK ||
	    (rc = kc_field_ident(y, m->line, "id", id, 48)) != KC_OK)
		return rc;
	snprintf(where, sizeof(where), "step '%s'", id);
	if ((rc = ymap_str(y, m, "title", 1, &title)) != KC_OK ||
	    (rc = kc_field_line(y, ymap_get(m, "title")->line, "title", title,
	    120)) != KC_OK ||
	    (rc = ymap_str(y, m, "action", 1, &action)) != KC_OK ||
	    (rc = ymap_str(y, m, "role", 1, &role)) != KC_OK ||
	    (rc = ymap_str(y, m, "witness", 0, &witness)) != KC_OK)
		return rc;
	for (k = 0; k < sizeof(actions) / sizeof(actions[0]); k++)
		if (strcmp(actions[k].name, action) == 0)
			break;
	if (k == sizeof(actions) / sizeof(actions[0]))
		return yerr(y, ymap_get(m, "action")->line, "unknown action "
		    "'%s' (use root-create, intermediate-sign, "
		    "verification-sign, crl-issue, cross-sign, root-restore "
		    "or export)",
		    action);
	s->info.action = actions[k].action;
	if ((rc = ymap_only(y, m, actions[k].keys, where)) != KC_OK)
		return rc;
	if (kc_ceremony_find_role(c, role) == NULL)
		return yerr(y, ymap_get(m, "role")->line, "role '%s' is not "
		    "in 'roles'", role);
	if (witness && kc_ceremony_find_role(c, witness) == NULL)
		return yerr(y, ymap_get(m, "witness")->line, "role '%s' is "
		    "not in 'roles'", witness);
	if ((rc = kc_cer_dupstr(id, &s->id)) != KC_OK ||
	    (rc = kc_cer_dupstr(title, &s->title)) != KC_OK ||
	    (rc = kc_cer_dupstr(role, &s->role)) != KC_OK ||
	    (rc = kc_cer_dupstr(witness, &s->witness)) != KC_OK)
		return rc;

	switch (s->info.action) {
	case KC_ACTION_ROOT_CREATE: {
		const char *alg;
		if ((rc = kc_field_label(y, m, "key-label", &s->key_label)) !=
		    KC_OK ||
		    (rc = ymap_str(y, m, "algorithm", 1, &alg)) != KC_OK)
			return rc;
		if (kc_alg_parse(alg, &s->alg) != KC_OK ||
		    s->alg == KC_ALG_RSA_2048)
			return yerr(y, ymap_get(m, "algorithm")->line,
			    "algorithm '%s' cannot make a root key (use "
			    "ec-p384, ec-p256, rsa-3072 or rsa-4096)", alg);
		if ((rc = kc_field_subject(y, m, 1, &s->subject)) != KC_OK ||
		    (rc = kc_field_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = kc_field_validity_reason(y, m, s)) != KC_OK ||
		    (rc = kc_field_path(y, m, "output", 1,
		    &s->output)) != KC_OK ||
		    (rc = parse_backup(y, m, s)) != KC_OK)
			return rc;
		break;
	}
	case KC_ACTION_INTERMEDIATE_SIGN:
		if ((rc = kc_field_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "issuer-cert", 1,
		    &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "csr", 1, &s->csr)) != KC_OK ||
		    (rc = kc_field_path(y, m, "renew", 0, &s->renew)) !=
		    KC_OK ||
		    (rc = kc_field_subject(y, m, 0, &s->subject)) != KC_OK ||
		    (rc = kc_field_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = ymap_int(y, m, "path-len", 0, 0, 8, &pl)) != KC_OK ||
		    (rc = kc_field_path(y, m, "output", 1,
		    &s->output)) != KC_OK)
			return rc;
		s->path_len = (int)pl;
		break;
	case KC_ACTION_VERIFICATION_SIGN: {
		const char *code;
		if ((rc = kc_field_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "issuer-cert", 1,
		    &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = ymap_str(y, m, "code", 0, &code)) != KC_OK ||
		    (rc = kc_field_path(y, m, "code-file", 0, &s->code_file)) !=
		    KC_OK)
			return rc;
		if ((code == NULL) == (s->code_file == NULL))
			return yerr(y, m->line, "step '%s' needs exactly one "
			    "of 'code' (the verification code) or 'code-file'",
			    id);
		if (code != NULL) {
			size_t cl = strlen(code);
			for (const char *q = code; *q; q++)
				if (!isalnum((unsigned char)*q))
					cl = 0;
			if (cl == 0 || cl > 64)
				return yerr(y, ymap_get(m, "code")->line,
				    "'code' must be the verification code "
				    "from the Azure portal: 1 to 64 letters "
				    "and digits");
		}
		if ((rc = kc_cer_dupstr(code, &s->code)) != KC_OK ||
		    (rc = kc_field_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = kc_field_path(y, m, "output", 1,
		    &s->output)) != KC_OK)
			return rc;
		break;
	}
	case KC_ACTION_CRL_ISSUE:
		if ((rc = kc_field_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "issuer-cert", 1,
		    &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = kc_field_days(y, m, "next-update-days", 1,
		    &s->days)) !=
		    KC_OK ||
		    (rc = parse_revoke(y, m, s)) != KC_OK ||
		    (rc = kc_field_path(y, m, "output", 1,
		    &s->output)) != KC_OK)
			return rc;
		break;
	case KC_ACTION_CROSS_SIGN:
		if ((rc = kc_field_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "issuer-cert", 1,
		    &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "new-root", 1, &s->new_root)) !=
		    KC_OK ||
		    (rc = kc_field_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = kc_field_path(y, m, "output", 1,
		    &s->output)) != KC_OK)
			return rc;
		break;
	case KC_ACTION_ROOT_RESTORE:
		/* issue 17: the key from a backup medium given at run time */
		if ((rc = kc_field_label(y, m, "key-label", &s->key_label)) !=
		    KC_OK ||
		    (rc = kc_field_path(y, m, "issuer-cert", 1,
		    &s->issuer_cert)) != KC_OK)
			return rc;
		break;
	case KC_ACTION_EXPORT:
		break;
	}
	if (s->output != NULL && (rc = kc_field_output_name(y,
	    ymap_get(m, "output")->line, s->info.action, s->output)) != KC_OK)
		return rc;
	if ((rc = ymap_no_unknown(y, m, where)) != KC_OK)
		return rc;
	if ((rc = build_summary(s)) != KC_OK)
		return kc_err(rc, "out of memory");
	s->info.id = s->id;
	s->info.title = s->title;
	s->info.role = s->role;
	s->info.witness = s->witness;
	s->info.summary = s->summary;
	s->info.days = s->days;
	return KC_OK;
}

/* Checks across steps: unique ids and outputs, no step reads an output
 * of a later step or overwrites an earlier input, export last. */
static int
cross_check(const struct yctx *y, struct kc_ceremony *c)
{
	for (size_t i = 0; i < c->nsteps; i++) {
		struct kc_step *s = &c->steps[i];
		const char *ins[5] = { s->issuer_cert, s->csr, s->code_file,
		    s->nrevoke ? s->revoke[0].cert : NULL, s->new_root };

		for (size_t j = 0; j < i; j++) {
			struct kc_step *p = &c->steps[j];
			if (strcmp(p->id, s->id) == 0)
				return yerr(y, s->info.line, "step id '%s' is "
				    "used twice (first at line %d)", s->id,
				    p->info.line);
			if (s->output && p->output &&
			    strcmp(p->output, s->output) == 0)
				return yerr(y, s->info.line, "output '%s' is "
				    "written twice (first by step '%s')",
				    s->output, p->id);
		}
		for (size_t k = 0; k < 4; k++) {
			if (ins[k] == NULL)
				continue;
			if (s->output && strcmp(ins[k], s->output) == 0)
				return yerr(y, s->info.line, "step '%s' reads "
				    "and writes '%s'", s->id, ins[k]);
			for (size_t j = i + 1; j < c->nsteps; j++)
				if (c->steps[j].output &&
				    strcmp(c->steps[j].output, ins[k]) == 0)
					return yerr(y, s->info.line, "step '%s' "
					    "reads '%s' before step '%s' "
					    "writes it", s->id, ins[k],
					    c->steps[j].id);
		}
		if (s->info.action == KC_ACTION_EXPORT) {
			if (i + 1 != c->nsteps)
				return yerr(y, s->info.line, "the export step "
				    "must be the last step");
			c->has_export = 1;
		}
	}
	return KC_OK;
}

int
kc_ceremony_load(const char *path, struct kc_ceremony **out)
{
	struct kc_ceremony *c = NULL;
	struct ynode *root = NULL, *roles, *steps;
	struct yctx y = { path };
	unsigned char *buf = NULL;
	size_t len;
	const char *name, *title, *desc;
	long version = 0;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &buf, &len)) != KC_OK)
		return rc;
	if ((rc = ytree_parse(path, buf, len, &root)) != KC_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	kc_sha256_hex(buf, len, c->sha256);
	{
		static const char *const keys[] = { "keyceremony", "name",
		    "title", "description", "roles", "steps", NULL };
		if ((rc = ymap_only(&y, root, keys, "the ceremony")) != KC_OK)
			goto out;
	}
	if ((rc = ymap_int(&y, root, "keyceremony", 1, 0, 1000, &version)) !=
	    KC_OK)
		goto out;
	if (version != CEREMONY_VERSION) {
		rc = yerr(&y, ymap_get(root, "keyceremony")->line, "ceremony "
		    "format version %ld is not supported (this keyceremony "
		    "reads version %d)", version, CEREMONY_VERSION);
		goto out;
	}
	if ((rc = ymap_str(&y, root, "name", 1, &name)) != KC_OK ||
	    (rc = kc_field_ident(&y, ymap_get(root, "name")->line, "name", name,
	    64)) != KC_OK ||
	    (rc = ymap_str(&y, root, "title", 1, &title)) != KC_OK ||
	    (rc = kc_field_line(&y, ymap_get(root, "title")->line, "title",
	    title,
	    120)) != KC_OK ||
	    (rc = ymap_str(&y, root, "description", 0, &desc)) != KC_OK ||
	    (rc = ymap_node(&y, root, "roles", Y_SEQ, 1, &roles)) != KC_OK ||
	    (rc = parse_roles(&y, roles, c)) != KC_OK ||
	    (rc = ymap_node(&y, root, "steps", Y_SEQ, 1, &steps)) != KC_OK)
		goto out;
	if (steps->n == 0) {
		rc = yerr(&y, steps->line, "'steps' is empty");
		goto out;
	}
	if ((c->steps = calloc(steps->n, sizeof(*c->steps))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < steps->n; i++) {
		if (steps->kids[i]->type != Y_MAP) {
			rc = yerr(&y, steps->kids[i]->line, "each step must be "
			    "a mapping (id, title, action, role, ...)");
			goto out;
		}
		c->nsteps = i + 1;
		if ((rc = parse_step(&y, steps->kids[i], c, &c->steps[i])) !=
		    KC_OK)
			goto out;
	}
	if ((rc = ymap_no_unknown(&y, root, "the ceremony")) != KC_OK ||
	    (rc = cross_check(&y, c)) != KC_OK)
		goto out;
	if ((rc = kc_cer_dupstr(path, &c->path)) != KC_OK ||
	    (rc = kc_cer_dupstr(name, &c->name)) != KC_OK ||
	    (rc = kc_cer_dupstr(title, &c->title)) != KC_OK ||
	    (rc = kc_cer_dupstr(desc ? desc : "", &c->description)) != KC_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	kc_ceremony_free(c);
	ytree_free(root);
	free(buf);
	return rc;
}

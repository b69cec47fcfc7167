/* ceremony.c: ceremony files and site profiles: strict parsing and whole-
 * file validation before anything touches a token (see kc/engine.h and
 * docs/ceremony.5). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"
#include "ceremony_int.h"
#include "yamltree.h"

#define CEREMONY_VERSION 1
#define SITE_VERSION 1
#define STATE_PATH_MAX 200

#define COMMON_KEYS "id", "title", "action", "role", "witness"
static const struct {
	const char	*name;
	enum kc_action	 action;
	const char	*keys[16];	/* every key a step of it may have */
} actions[] = {
	{ "root-create", KC_ACTION_ROOT_CREATE, { COMMON_KEYS, "key-label",
	  "algorithm", "subject", "days", "validity-reason", "output",
	  NULL } },
	{ "intermediate-sign", KC_ACTION_INTERMEDIATE_SIGN, { COMMON_KEYS,
	  "issuer-key", "issuer-cert", "csr", "subject", "days", "path-len",
	  "output", NULL } },
	{ "verification-sign", KC_ACTION_VERIFICATION_SIGN, { COMMON_KEYS,
	  "issuer-key", "issuer-cert", "code", "code-file", "days", "output",
	  NULL } },
	{ "crl-issue", KC_ACTION_CRL_ISSUE, { COMMON_KEYS, "issuer-key",
	  "issuer-cert", "next-update-days", "revoke", "reason", "output",
	  NULL } },
	{ "export", KC_ACTION_EXPORT, { COMMON_KEYS, NULL } },
	{ "cross-sign", KC_ACTION_CROSS_SIGN, { COMMON_KEYS, "issuer-key",
	  "issuer-cert", "new-root", "days", "output", NULL } },
};


const char *
kc_action_name(enum kc_action a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].action == a)
			return actions[i].name;
	return "unknown";
}

/* A string that is one printable line (UTF-8 allowed). */
static int
check_line(const struct yctx *y, int line, const char *key, const char *v,
    size_t max)
{
	if (strlen(v) > max)
		return yerr(y, line, "'%s' is longer than %zu characters", key,
		    max);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return yerr(y, line, "'%s' must be one line of "
			    "printable text", key);
	return KC_OK;
}

/* Identifiers: step ids, role ids, ceremony names, key labels. */
static int
check_ident(const struct yctx *y, int line, const char *key, const char *v,
    size_t max)
{
	if (v[0] == '\0' || strlen(v) > max)
		return yerr(y, line, "'%s' must be 1 to %zu characters", key,
		    max);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return yerr(y, line, "'%s' may only hold letters, "
			    "digits, '-', '_' and '.', not '%s'", key, v);
	return KC_OK;
}

/* A path inside the state directory: relative, no "..", no hidden or
 * empty components, a conservative character set, and not in the
 * transcripts/ directory the engine owns. */
static int
check_state_path(const struct yctx *y, int line, const char *key,
    const char *v)
{
	const char *p = v;

	if (v[0] == '/')
		return yerr(y, line, "'%s: %s' is outside the state directory "
		    "(absolute path); give a name inside it", key, v);
	if (strlen(v) > STATE_PATH_MAX)
		return yerr(y, line, "'%s' is longer than %d characters", key,
		    STATE_PATH_MAX);
	for (;;) {
		size_t n = strcspn(p, "/");
		if (n == 0)
			return yerr(y, line, "'%s: %s' has an empty path "
			    "component", key, v);
		if ((n == 2 && strncmp(p, "..", 2) == 0))
			return yerr(y, line, "'%s: %s' is outside the state "
			    "directory ('..'); give a name inside it", key, v);
		if (p[0] == '.')
			return yerr(y, line, "'%s: %s': names must not start "
			    "with '.'", key, v);
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-' &&
			    p[i] != '_' && p[i] != '.' && p[i] != '+')
				return yerr(y, line, "'%s: %s': only letters, "
				    "digits, '-', '_', '.', '+' and '/' are "
				    "allowed in names", key, v);
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (strncmp(v, "transcripts/", 12) == 0 || strcmp(v, "transcripts") == 0)
		return yerr(y, line, "'%s: %s': transcripts/ belongs to the "
		    "engine", key, v);
	/* Export and import work on the top of the state directory. */
	if (strchr(v, '/') != NULL)
		return yerr(y, line, "'%s: %s': give a file name in the state "
		    "directory, without '/'", key, v);
	return KC_OK;
}

/*
 * An output of a step: a plain name (check_state_path() already refused
 * '/', '..' and a leading '.') with the extension of its kind (.pem for a
 * certificate, .crl for a CRL), and none of the names the state directory
 * and the medium keep for themselves: the register and its journals,
 * SHA256SUMS, transcripts, the register dump, temporary files.
 */
static int
check_output_name(const struct yctx *y, int line, enum kc_action a,
    const char *v)
{
	const char *ext = a == KC_ACTION_CRL_ISSUE ? ".crl" : ".pem";
	size_t n = strlen(v), el = strlen(ext);

	if (kc_name_reserved(v))
		return yerr(y, line, "'output: %s' is a name the state "
		    "directory or the medium keeps for itself (the register, "
		    "SHA256SUMS, transcripts, temporary files); choose another",
		    v);
	if (n <= el || strcmp(v + n - el, ext) != 0)
		return yerr(y, line, "'output: %s': a %s is written to a name "
		    "ending in '%s'", v, a == KC_ACTION_CRL_ISSUE ? "CRL" :
		    "certificate", ext);
	return KC_OK;
}

static int
dupstr(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return KC_OK;
	if ((*out = strdup(s)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	return KC_OK;
}

static void
step_clear(struct kc_step *s)
{
	free(s->id);
	free(s->title);
	free(s->role);
	free(s->witness);
	free(s->summary);
	free(s->key_label);
	free(s->subject);
	free(s->validity_reason);
	free(s->issuer_key);
	free(s->issuer_cert);
	free(s->csr);
	free(s->new_root);
	free(s->code);
	free(s->code_file);
	free(s->output);
	for (size_t i = 0; i < s->nrevoke; i++) {
		free(s->revoke[i].cert);
		free(s->revoke[i].reason);
	}
	free(s->revoke);
}

void
kc_ceremony_free(struct kc_ceremony *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsteps; i++)
		step_clear(&c->steps[i]);
	free(c->steps);
	for (size_t i = 0; i < 3 * c->nroles; i++)
		free(c->role_strs[i]);
	free(c->role_strs);
	free(c->roles);
	free(c->path);
	free(c->name);
	free(c->title);
	free(c->description);
	free(c);
}

const struct kc_role_info *
kc_ceremony_find_role(const struct kc_ceremony *c, const char *id)
{
	for (size_t i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].id, id) == 0)
			return &c->roles[i];
	return NULL;
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
		if ((rc = check_ident(y, m->line, "id", id, 32)) != KC_OK ||
		    (rc = check_line(y, m->line, "title", title, 80)) != KC_OK ||
		    (duty && (rc = check_line(y, m->line, "duty", duty,
		    200)) != KC_OK))
			return rc;
		if (kc_ceremony_find_role(c, id) != NULL)
			return yerr(y, m->line, "role '%s' is defined twice",
			    id);
		if ((rc = dupstr(id, &c->role_strs[3 * i])) != KC_OK ||
		    (rc = dupstr(title, &c->role_strs[3 * i + 1])) != KC_OK ||
		    (rc = dupstr(duty ? duty : "", &c->role_strs[3 * i + 2])) !=
		    KC_OK)
			return rc;
		c->roles[i].id = c->role_strs[3 * i];
		c->roles[i].title = c->role_strs[3 * i + 1];
		c->roles[i].duty = c->role_strs[3 * i + 2];
		c->nroles = i + 1;
	}
	return KC_OK;
}

/*
 * An input of a step is read from the state directory, where import put
 * what came on the medium: its name has the extension of its kind, so that
 * no other file there (a PIN file, the register, a note) can be fed to a
 * step as a CSR, a certificate or a verification code (a PIN of letters and
 * digits is a valid code, and would become a certificate's subject).
 * Extensions without regard to case, as import takes them.
 */
static int
check_input_name(const struct yctx *y, int line, const char *key,
    const char *v)
{
	static const char *const csr[] = { ".csr", ".req", ".pem", ".der",
		NULL };
	static const char *const cert[] = { ".pem", ".crt", ".cer", ".der",
		NULL };
	static const char *const code[] = { ".code", NULL };
	const char *const *ext = NULL, *what = NULL, *list = NULL;
	size_t n = strlen(v);

	if (strcmp(key, "csr") == 0) {
		ext = csr;
		what = "a CSR";
		list = ".csr, .req, .pem or .der";
	} else if (strcmp(key, "issuer-cert") == 0 ||
	    strcmp(key, "revoke") == 0) {
		ext = cert;
		what = "a certificate";
		list = ".pem, .crt, .cer or .der";
	} else if (strcmp(key, "code-file") == 0) {
		ext = code;
		what = "a verification code";
		list = ".code";
	}
	if (ext == NULL)
		return KC_OK;
	for (; *ext != NULL; ext++) {
		size_t el = strlen(*ext);
		if (n > el && strcasecmp(v + n - el, *ext) == 0)
			return KC_OK;
	}
	return yerr(y, line, "'%s: %s': %s is read from a file whose name ends "
	    "in %s", key, v, what, list);
}

/* A state path parameter: key (required or not) stored in *out. */
static int
get_path(const struct yctx *y, struct ynode *m, const char *key, int required,
    char **out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, key, required, &v)) != KC_OK)
		return rc;
	if (v == NULL)
		return KC_OK;
	if ((rc = check_state_path(y, ymap_get(m, key)->line, key, v)) !=
	    KC_OK || (rc = check_input_name(y, ymap_get(m, key)->line, key,
	    v)) != KC_OK)
		return rc;
	return dupstr(v, out);
}

static int
get_subject(const struct yctx *y, struct ynode *m, int required, char **out)
{
	X509_NAME *n = NULL;
	const char *v;
	char msg[512];
	int rc;

	if ((rc = ymap_str(y, m, "subject", required, &v)) != KC_OK)
		return rc;
	if (v == NULL)
		return KC_OK;
	if (kc_name_parse(v, &n) != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return yerr(y, ymap_get(m, "subject")->line, "invalid subject "
		    "'%s': %s", v, msg);
	}
	X509_NAME_free(n);
	return dupstr(v, out);
}

static int
get_days(const struct yctx *y, struct ynode *m, const char *key, int required,
    int *out)
{
	long v = 0;
	int rc;

	if ((rc = ymap_int(y, m, key, required, 1, KC_DAYS_MAX, &v)) != KC_OK)
		return rc;
	*out = (int)v;
	return KC_OK;
}

/* A root past KC_ROOT_DAYS_CAP days needs validity-reason beside its
 * days: one line of plain text, recorded in the step's summary (so in
 * run --check, the confirmation and the transcript). */
static int
get_validity_reason(const struct yctx *y, struct ynode *m, struct kc_step *s)
{
	const char *v;
	char why[128];
	int rc, line;

	if ((rc = ymap_str(y, m, "validity-reason", 0, &v)) != KC_OK)
		return rc;
	line = ymap_get(m, v ? "validity-reason" : "days")->line;
	if (v == NULL && s->days > KC_ROOT_DAYS_CAP)
		return yerr(y, line, "'days: %d' exceeds the root validity "
		    "cap of %d days (25 years): add 'validity-reason' "
		    "beside it saying why", s->days, KC_ROOT_DAYS_CAP);
	if (v == NULL)
		return KC_OK;
	if (v[0] == '\0')
		return yerr(y, line, "'validity-reason' is empty");
	if ((rc = check_line(y, line, "validity-reason", v, 200)) != KC_OK)
		return rc;
	why[0] = '\0';
	if (kc_text_plain(v, strlen(v), why, sizeof(why)) != 1)
		return yerr(y, line, "'validity-reason' must be one line of "
		    "plain text%s%s", why[0] ? ": " : "", why);
	return dupstr(v, &s->validity_reason);
}

static int
get_label(const struct yctx *y, struct ynode *m, const char *key,
    char **out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, key, 1, &v)) != KC_OK)
		return rc;
	if ((rc = check_ident(y, ymap_get(m, key)->line, key, v, 64)) != KC_OK)
		return rc;
	return dupstr(v, out);
}

/* crl-issue: an optional certificate to revoke, with its reason. */
static int
parse_revoke(const struct yctx *y, struct ynode *m, struct kc_step *s)
{
	const char *reason;
	char *cert = NULL;
	int rc, code;

	if ((rc = get_path(y, m, "revoke", 0, &cert)) != KC_OK)
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
	return dupstr(reason, &s->revoke[0].reason);
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

static int
build_summary(struct kc_step *s)
{
	char **b = &s->summary;
	int rc = KC_OK;

	rc |= add_line(b, "action: %s", kc_action_name(s->info.action));
	if (s->key_label && s->info.action == KC_ACTION_ROOT_CREATE)
		rc |= add_line(b, "new key: %s (%s, generated inside the "
		    "token, never extractable)", s->key_label,
		    kc_alg_name(s->alg));
	if (s->issuer_key)
		rc |= add_line(b, "signing key: %s", s->issuer_key);
	if (s->issuer_cert)
		rc |= add_line(b, "issuer certificate: %s", s->issuer_cert);
	if (s->csr)
		rc |= add_line(b, "CSR: %s", s->csr);
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
	    (rc = check_ident(y, m->line, "id", id, 48)) != KC_OK)
		return rc;
	snprintf(where, sizeof(where), "step '%s'", id);
	if ((rc = ymap_str(y, m, "title", 1, &title)) != KC_OK ||
	    (rc = check_line(y, ymap_get(m, "title")->line, "title", title,
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
		    "verification-sign, crl-issue, cross-sign or export)",
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
	if ((rc = dupstr(id, &s->id)) != KC_OK ||
	    (rc = dupstr(title, &s->title)) != KC_OK ||
	    (rc = dupstr(role, &s->role)) != KC_OK ||
	    (rc = dupstr(witness, &s->witness)) != KC_OK)
		return rc;

	switch (s->info.action) {
	case KC_ACTION_ROOT_CREATE: {
		const char *alg;
		if ((rc = get_label(y, m, "key-label", &s->key_label)) !=
		    KC_OK ||
		    (rc = ymap_str(y, m, "algorithm", 1, &alg)) != KC_OK)
			return rc;
		if (kc_alg_parse(alg, &s->alg) != KC_OK ||
		    s->alg == KC_ALG_RSA_2048)
			return yerr(y, ymap_get(m, "algorithm")->line,
			    "algorithm '%s' cannot make a root key (use "
			    "ec-p384, ec-p256, rsa-3072 or rsa-4096)", alg);
		if ((rc = get_subject(y, m, 1, &s->subject)) != KC_OK ||
		    (rc = get_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = get_validity_reason(y, m, s)) != KC_OK ||
		    (rc = get_path(y, m, "output", 1, &s->output)) != KC_OK)
			return rc;
		break;
	}
	case KC_ACTION_INTERMEDIATE_SIGN:
		if ((rc = get_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "issuer-cert", 1, &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "csr", 1, &s->csr)) != KC_OK ||
		    (rc = get_subject(y, m, 0, &s->subject)) != KC_OK ||
		    (rc = get_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = ymap_int(y, m, "path-len", 0, 0, 8, &pl)) != KC_OK ||
		    (rc = get_path(y, m, "output", 1, &s->output)) != KC_OK)
			return rc;
		s->path_len = (int)pl;
		break;
	case KC_ACTION_VERIFICATION_SIGN: {
		const char *code;
		if ((rc = get_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "issuer-cert", 1, &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = ymap_str(y, m, "code", 0, &code)) != KC_OK ||
		    (rc = get_path(y, m, "code-file", 0, &s->code_file)) !=
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
		if ((rc = dupstr(code, &s->code)) != KC_OK ||
		    (rc = get_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = get_path(y, m, "output", 1, &s->output)) != KC_OK)
			return rc;
		break;
	}
	case KC_ACTION_CRL_ISSUE:
		if ((rc = get_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "issuer-cert", 1, &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = get_days(y, m, "next-update-days", 1, &s->days)) !=
		    KC_OK ||
		    (rc = parse_revoke(y, m, s)) != KC_OK ||
		    (rc = get_path(y, m, "output", 1, &s->output)) != KC_OK)
			return rc;
		break;
	case KC_ACTION_CROSS_SIGN:
		if ((rc = get_label(y, m, "issuer-key", &s->issuer_key)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "issuer-cert", 1, &s->issuer_cert)) !=
		    KC_OK ||
		    (rc = get_path(y, m, "new-root", 1, &s->new_root)) !=
		    KC_OK ||
		    (rc = get_days(y, m, "days", 1, &s->days)) != KC_OK ||
		    (rc = get_path(y, m, "output", 1, &s->output)) != KC_OK)
			return rc;
		break;
	case KC_ACTION_EXPORT:
		break;
	}
	if (s->output != NULL && (rc = check_output_name(y,
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
	    (rc = check_ident(&y, ymap_get(root, "name")->line, "name", name,
	    64)) != KC_OK ||
	    (rc = ymap_str(&y, root, "title", 1, &title)) != KC_OK ||
	    (rc = check_line(&y, ymap_get(root, "title")->line, "title", title,
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
	if ((rc = dupstr(path, &c->path)) != KC_OK ||
	    (rc = dupstr(name, &c->name)) != KC_OK ||
	    (rc = dupstr(title, &c->title)) != KC_OK ||
	    (rc = dupstr(desc ? desc : "", &c->description)) != KC_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	kc_ceremony_free(c);
	ytree_free(root);
	free(buf);
	return rc;
}

const char *kc_ceremony_path(const struct kc_ceremony *c) { return c->path; }
const char *kc_ceremony_name(const struct kc_ceremony *c) { return c->name; }
const char *kc_ceremony_title(const struct kc_ceremony *c) { return c->title; }
const char *
kc_ceremony_description(const struct kc_ceremony *c)
{
	return c->description;
}
const char *
kc_ceremony_sha256(const struct kc_ceremony *c)
{
	return c->sha256;
}
size_t kc_ceremony_nroles(const struct kc_ceremony *c) { return c->nroles; }
size_t kc_ceremony_nsteps(const struct kc_ceremony *c) { return c->nsteps; }

const struct kc_role_info *
kc_ceremony_role(const struct kc_ceremony *c, size_t i)
{
	return i < c->nroles ? &c->roles[i] : NULL;
}

const struct kc_step_info *
kc_ceremony_step(const struct kc_ceremony *c, size_t i)
{
	return i < c->nsteps ? &c->steps[i].info : NULL;
}

/* ---- site profiles ---- */

int
kc_site_new(struct kc_site **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	(*out)->network = KC_POLICY_REFUSE;
	(*out)->removable = KC_POLICY_WARN;
	(*out)->production = -1;
	return KC_OK;
}

void
kc_site_free(struct kc_site *s)
{
	if (s == NULL)
		return;
	free(s->path);
	free(s->name);
	free(s->module);
	free(s->token_label);
	free(s->token_serial);
	free(s->pin_file);
	free(s->state_dir);
	free(s->media_dir);
	free(s->key_template);
	free(s);
}

int
kc_site_set(char **field, const char *value)
{
	char *n = NULL;

	if (value != NULL && (n = strdup(value)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	free(*field);
	*field = n;
	return KC_OK;
}

static int
get_policy(const struct yctx *y, struct ynode *m, const char *key,
    enum kc_policy *out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, key, 0, &v)) != KC_OK || v == NULL)
		return rc;
	if (strcmp(v, "warn") == 0)
		*out = KC_POLICY_WARN;
	else if (strcmp(v, "refuse") == 0)
		*out = KC_POLICY_REFUSE;
	else
		return yerr(y, ymap_get(m, key)->line, "'%s' must be 'warn' or "
		    "'refuse', not '%s'", key, v);
	return KC_OK;
}

/* production: true | false (absent: -1). */
static int
get_production(const struct yctx *y, struct ynode *m, int *out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, "production", 0, &v)) != KC_OK)
		return rc;
	if (v == NULL) {
		if (ymap_get(m, "production") == NULL)
			return KC_OK;
		return yerr(y, ymap_get(m, "production")->line, "'production' "
		    "is empty: write true or false");
	}
	if (strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0)
		*out = 0;
	else
		return yerr(y, ymap_get(m, "production")->line, "'production' "
		    "must be 'true' or 'false', not '%s'", v);
	return KC_OK;
}

/* One half of key-template: ("public" or "private"):
 *   add: {CKA_NAME: true|false|NUMBER|hex:BYTES, ...}
 *   omit: [CKA_NAME, ...]
 * each entry checked by kc_key_template_add/omit. */
static int
get_template_half(const struct yctx *y, struct ynode *kt, const char *half,
    struct kc_key_template *t)
{
	struct ynode *h, *add, *omit;
	char why[512];
	int priv = strcmp(half, "private") == 0, rc;
	size_t i;

	if ((rc = ymap_node(y, kt, half, Y_MAP, 0, &h)) != KC_OK || h == NULL)
		return rc;
	if ((rc = ymap_node(y, h, "add", Y_MAP, 0, &add)) != KC_OK ||
	    (rc = ymap_node(y, h, "omit", Y_SEQ, 0, &omit)) != KC_OK)
		return rc;
	for (i = 0; add != NULL && i < add->n; i++) {
		struct ynode *v = add->kids[i];

		add->used[i] = 1;
		if (v->type != Y_SCALAR)
			return yerr(y, v->line, "key-template %s add %s: the "
			    "value must be true, false, a number or hex:BYTES",
			    half, add->keys[i]);
		if (kc_key_template_add(t, priv, add->keys[i], v->val, why,
		    sizeof(why)) != 0)
			return yerr(y, add->key_lines[i], "key-template %s add: "
			    "%s", half, why);
	}
	for (i = 0; omit != NULL && i < omit->n; i++) {
		struct ynode *v = omit->kids[i];

		if (v->type != Y_SCALAR)
			return yerr(y, v->line, "key-template %s omit: a list "
			    "of attribute names", half);
		if (kc_key_template_omit(t, priv, v->val, why, sizeof(why))
		    != 0)
			return yerr(y, v->line, "key-template %s omit: %s",
			    half, why);
	}
	return ymap_no_unknown(y, h, half);
}

/* key-template: {public: ..., private: ...} (absent: *out stays NULL). */
static int
get_key_template(const struct yctx *y, struct ynode *m,
    struct kc_key_template **out)
{
	struct kc_key_template *t;
	struct ynode *kt;
	int rc;

	if ((rc = ymap_node(y, m, "key-template", Y_MAP, 0, &kt)) != KC_OK ||
	    kt == NULL)
		return rc;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rc = get_template_half(y, kt, "public", t)) != KC_OK ||
	    (rc = get_template_half(y, kt, "private", t)) != KC_OK ||
	    (rc = ymap_no_unknown(y, kt, "key-template")) != KC_OK) {
		free(t);
		return rc;
	}
	*out = t;
	return KC_OK;
}

static int
get_site_path(const struct yctx *y, struct ynode *m, const char *key,
    int required, char **out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, key, required, &v)) != KC_OK || v == NULL)
		return rc;
	if ((rc = check_line(y, ymap_get(m, key)->line, key, v, 1000)) !=
	    KC_OK)
		return rc;
	return kc_site_set(out, v);
}

int
kc_site_load(const char *path, struct kc_site **out)
{
	struct kc_site *s = NULL;
	struct ynode *root = NULL, *tok;
	struct yctx y = { path };
	unsigned char *buf = NULL;
	size_t len;
	const char *name, *label, *serial;
	long version = 0;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &buf, &len)) != KC_OK)
		return rc;
	if ((rc = ytree_parse(path, buf, len, &root)) != KC_OK ||
	    (rc = kc_site_new(&s)) != KC_OK)
		goto out;
	{
		static const char *const keys[] = { "keyceremony-site", "name",
		    "module", "token", "pin-file", "state", "media", "network",
		    "removable-media", "production", "key-template", NULL };
		if ((rc = ymap_only(&y, root, keys, "the site profile")) !=
		    KC_OK)
			goto out;
	}
	if ((rc = ymap_int(&y, root, "keyceremony-site", 1, 0, 1000,
	    &version)) != KC_OK)
		goto out;
	if (version != SITE_VERSION) {
		rc = yerr(&y, ymap_get(root, "keyceremony-site")->line, "site "
		    "profile version %ld is not supported (this keyceremony "
		    "reads version %d)", version, SITE_VERSION);
		goto out;
	}
	if ((rc = ymap_str(&y, root, "name", 1, &name)) != KC_OK ||
	    (rc = check_ident(&y, ymap_get(root, "name")->line, "name", name,
	    64)) != KC_OK ||
	    (rc = kc_site_set(&s->name, name)) != KC_OK ||
	    (rc = get_site_path(&y, root, "module", 0, &s->module)) != KC_OK ||
	    (rc = ymap_node(&y, root, "token", Y_MAP, 1, &tok)) != KC_OK ||
	    (rc = ymap_str(&y, tok, "label", 1, &label)) != KC_OK ||
	    (rc = check_line(&y, ymap_get(tok, "label")->line, "label", label,
	    32)) != KC_OK ||
	    (rc = kc_site_set(&s->token_label, label)) != KC_OK ||
	    (rc = ymap_str(&y, tok, "serial", 0, &serial)) != KC_OK ||
	    (serial && (rc = check_line(&y, ymap_get(tok, "serial")->line,
	    "serial", serial, 16)) != KC_OK) ||
	    (rc = kc_site_set(&s->token_serial, serial)) != KC_OK ||
	    (rc = ymap_no_unknown(&y, tok, "'token'")) != KC_OK ||
	    (rc = get_site_path(&y, root, "pin-file", 0, &s->pin_file)) !=
	    KC_OK ||
	    (rc = get_site_path(&y, root, "state", 1, &s->state_dir)) != KC_OK ||
	    (rc = get_site_path(&y, root, "media", 1, &s->media_dir)) != KC_OK ||
	    (rc = get_policy(&y, root, "network", &s->network)) != KC_OK ||
	    (rc = get_policy(&y, root, "removable-media", &s->removable)) !=
	    KC_OK ||
	    (rc = get_production(&y, root, &s->production)) != KC_OK ||
	    (rc = get_key_template(&y, root, &s->key_template)) != KC_OK ||
	    (rc = ymap_no_unknown(&y, root, "the site profile")) != KC_OK ||
	    (rc = kc_site_set(&s->path, path)) != KC_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	kc_site_free(s);
	ytree_free(root);
	free(buf);
	return rc;
}

int
kc_site_complete(const struct kc_site *s)
{
	if (s->token_label == NULL)
		return kc_err(KC_ERR_USAGE, "no token label: give --site or "
		    "--token");
	if (s->state_dir == NULL)
		return kc_err(KC_ERR_USAGE, "no state directory: give --site "
		    "or --state");
	if (s->media_dir == NULL)
		return kc_err(KC_ERR_USAGE, "no media directory: give --site "
		    "or --media");
	return KC_OK;
}

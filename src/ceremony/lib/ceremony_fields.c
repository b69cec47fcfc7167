/* ceremony_fields.c: each field of a ceremony file or site profile read
 * from the YAML tree and checked: one-line text, identifiers, state paths,
 * output and input names by kind, subjects, days, labels
 * (ceremony_parse.h). Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "kc/ceremony/engine.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "ceremony_int.h"
#include "yamltree.h"
#include "ceremony_parse.h"

#define STATE_PATH_MAX 200

/* A string that is one printable line (UTF-8 allowed). */
int
kc_field_line(const struct yctx *y, int line, const char *key, const char *v,
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
int
kc_field_ident(const struct yctx *y, int line, const char *key, const char *v,
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
int
kc_field_output_name(const struct yctx *y, int line, enum kc_action a,
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
	    strcmp(key, "revoke") == 0 || strcmp(key, "renew") == 0) {
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
int
kc_field_path(const struct yctx *y, struct ynode *m, const char *key,
    int required, char **out)
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
	return kc_cer_dupstr(v, out);
}

int
kc_field_subject(const struct yctx *y, struct ynode *m, int required,
    char **out)
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
	return kc_cer_dupstr(v, out);
}

int
kc_field_days(const struct yctx *y, struct ynode *m, const char *key,
    int required, int *out)
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
int
kc_field_validity_reason(const struct yctx *y, struct ynode *m,
    struct kc_step *s)
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
	if ((rc = kc_field_line(y, line, "validity-reason", v, 200)) != KC_OK)
		return rc;
	why[0] = '\0';
	if (kc_text_plain(v, strlen(v), why, sizeof(why)) != 1)
		return yerr(y, line, "'validity-reason' must be one line of "
		    "plain text%s%s", why[0] ? ": " : "", why);
	return kc_cer_dupstr(v, &s->validity_reason);
}

int
kc_field_label(const struct yctx *y, struct ynode *m, const char *key,
    char **out)
{
	const char *v;
	int rc;

	if ((rc = ymap_str(y, m, key, 1, &v)) != KC_OK)
		return rc;
	if ((rc = kc_field_ident(y, ymap_get(m, key)->line, key, v,
	    64)) != KC_OK)
		return rc;
	return kc_cer_dupstr(v, out);
}

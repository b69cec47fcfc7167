/* site.c: site profiles (kc_site_load, see kc/ceremony/engine.h): the
 * module, policies, production flag, key templates and paths of a site,
 * parsed strictly. Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/hsm/token.h"
#include "yamltree.h"
#include "ceremony_parse.h"

#define SITE_VERSION 1

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
	if ((rc = kc_field_line(y, ymap_get(m, key)->line, key, v, 1000)) !=
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
	    (rc = kc_field_ident(&y, ymap_get(root, "name")->line, "name", name,
	    64)) != KC_OK ||
	    (rc = kc_site_set(&s->name, name)) != KC_OK ||
	    (rc = get_site_path(&y, root, "module", 0, &s->module)) != KC_OK ||
	    (rc = ymap_node(&y, root, "token", Y_MAP, 1, &tok)) != KC_OK ||
	    (rc = ymap_str(&y, tok, "label", 1, &label)) != KC_OK ||
	    (rc = kc_field_line(&y, ymap_get(tok, "label")->line, "label",
	    label,
	    32)) != KC_OK ||
	    (rc = kc_site_set(&s->token_label, label)) != KC_OK ||
	    (rc = ymap_str(&y, tok, "serial", 0, &serial)) != KC_OK ||
	    (serial && (rc = kc_field_line(&y, ymap_get(tok, "serial")->line,
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

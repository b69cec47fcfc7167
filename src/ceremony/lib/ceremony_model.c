/* ceremony_model.c: the parsed ceremony (ceremony_int.h): freeing it,
 * finding a role, the public
 * accessors of kc/ceremony/engine.h. Owned by the ceremony side
 * (libkc-ceremony). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/core/error.h"
#include "ceremony_int.h"
#include "ceremony_parse.h"

int
kc_cer_dupstr(const char *s, char **out)
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
	free(s->renew);
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

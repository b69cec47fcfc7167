/* yamltree.c: strict YAML reading for ceremony files and site profiles
 * (see yamltree.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kc/core/error.h"
#include "yamltree.h"

#define YTREE_DEPTH_MAX 16
#define YTREE_NODES_MAX 10000

struct reader {
	yaml_parser_t	 p;
	const char	*what;
	size_t		 nodes;
};

int
yerr(const struct yctx *y, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kc_err(KC_ERR_INPUT, "%s:%d: %s", y->file, line, msg);
}

void
ytree_free(struct ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		ytree_free(n->kids[i]);
		if (n->keys != NULL)
			free(n->keys[i]);
	}
	free(n->kids);
	free(n->keys);
	free(n->key_lines);
	free(n->used);
	free(n->val);
	free(n);
}

static int
next_event(struct reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->p, ev)) {
		const char *prob = r->p.problem ? r->p.problem : "syntax error";
		size_t line = r->p.problem_mark.line + 1;
		return kc_err(KC_ERR_INPUT, "%s:%zu: not valid YAML: %s%s%s",
		    r->what, line, prob, r->p.context ? " " : "",
		    r->p.context ? r->p.context : "");
	}
	return KC_OK;
}

static int
add_kid(struct ynode *parent, char *key, int key_line, struct ynode *kid)
{
	size_t n = parent->n + 1;
	struct ynode **kids = realloc(parent->kids, n * sizeof(*kids));

	if (kids == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	parent->kids = kids;
	if (parent->type == Y_MAP) {
		char **keys = realloc(parent->keys, n * sizeof(*keys));
		if (keys == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		parent->keys = keys;
		int *kl = realloc(parent->key_lines, n * sizeof(*kl));
		if (kl == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		parent->key_lines = kl;
		int *used = realloc(parent->used, n * sizeof(*used));
		if (used == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		parent->used = used;
		keys[parent->n] = key;
		kl[parent->n] = key_line;
		used[parent->n] = 0;
	}
	kids[parent->n] = kid;
	parent->n = n;
	return KC_OK;
}

static int parse_node(struct reader *r, yaml_event_t *ev, int depth,
    struct ynode **out);

/* Refuses what a configuration file has no business using. */
static int
check_event(struct reader *r, const yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int implicit = 1;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return kc_err(KC_ERR_INPUT, "%s:%d: aliases (*name) are not "
		    "allowed in a ceremony file", r->what, line);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		implicit = ev->data.scalar.plain_implicit ||
		    ev->data.scalar.quoted_implicit;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		implicit = ev->data.sequence_start.implicit;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		implicit = ev->data.mapping_start.implicit;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return kc_err(KC_ERR_INPUT, "%s:%d: anchors (&name) are not "
		    "allowed in a ceremony file", r->what, line);
	if (tag != NULL && !implicit)
		return kc_err(KC_ERR_INPUT, "%s:%d: tags (!!type) are not "
		    "allowed in a ceremony file", r->what, line);
	if (++r->nodes > YTREE_NODES_MAX)
		return kc_err(KC_ERR_INPUT, "%s:%d: too many nodes", r->what,
		    line);
	return KC_OK;
}

static int
parse_map(struct reader *r, struct ynode *map, int depth)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		char *key;
		int line;
		struct ynode *val = NULL;

		if ((rc = next_event(r, &ev)) != KC_OK)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return KC_OK;
		}
		line = (int)ev.start_mark.line + 1;
		if ((rc = check_event(r, &ev)) != KC_OK) {
			yaml_event_delete(&ev);
			return rc;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			return kc_err(KC_ERR_INPUT, "%s:%d: a key must be a "
			    "plain word", r->what, line);
		}
		key = strdup((const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (key == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < map->n; i++) {
			if (strcmp(map->keys[i], key) == 0) {
				rc = kc_err(KC_ERR_INPUT, "%s:%d: duplicate key "
				    "'%s' (first at line %d)", r->what, line,
				    key, map->key_lines[i]);
				free(key);
				return rc;
			}
		}
		if ((rc = next_event(r, &ev)) != KC_OK) {
			free(key);
			return rc;
		}
		rc = parse_node(r, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (rc != KC_OK) {
			free(key);
			return rc;
		}
		if ((rc = add_kid(map, key, line, val)) != KC_OK) {
			free(key);
			ytree_free(val);
			return rc;
		}
	}
}

static int
parse_seq(struct reader *r, struct ynode *seq, int depth)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		struct ynode *val = NULL;

		if ((rc = next_event(r, &ev)) != KC_OK)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return KC_OK;
		}
		rc = parse_node(r, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (rc != KC_OK)
			return rc;
		if ((rc = add_kid(seq, NULL, 0, val)) != KC_OK) {
			ytree_free(val);
			return rc;
		}
	}
}

/* ev is the node's first event (owned by the caller). */
static int
parse_node(struct reader *r, yaml_event_t *ev, int depth, struct ynode **out)
{
	struct ynode *n;
	int rc, line = (int)ev->start_mark.line + 1;

	*out = NULL;
	if ((rc = check_event(r, ev)) != KC_OK)
		return rc;
	if (depth > YTREE_DEPTH_MAX)
		return kc_err(KC_ERR_INPUT, "%s:%d: nested too deeply",
		    r->what, line);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	n->line = line;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->type = Y_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (memchr(ev->data.scalar.value, '\0',
		    ev->data.scalar.length) != NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s:%d: NUL character in a "
			    "value", r->what, line);
			break;
		}
		if ((n->val = strdup((const char *)ev->data.scalar.value)) ==
		    NULL)
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = Y_MAP;
		rc = parse_map(r, n, depth);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n->type = Y_SEQ;
		rc = parse_seq(r, n, depth);
		break;
	default:
		rc = kc_err(KC_ERR_INPUT, "%s:%d: unexpected YAML structure",
		    r->what, line);
		break;
	}
	if (rc != KC_OK) {
		ytree_free(n);
		return rc;
	}
	*out = n;
	return KC_OK;
}

int
ytree_parse(const char *what, const unsigned char *buf, size_t len,
    struct ynode **out)
{
	struct reader r;
	yaml_event_t ev;
	struct ynode *root = NULL;
	int rc, docs = 0;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.what = what;
	if (!yaml_parser_initialize(&r.p))
		return kc_err(KC_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&r.p, buf, len);
	yaml_parser_set_encoding(&r.p, YAML_UTF8_ENCODING);
	for (;;) {
		if ((rc = next_event(&r, &ev)) != KC_OK)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			int line = (int)ev.start_mark.line + 1;
			yaml_event_delete(&ev);
			if (++docs > 1) {
				rc = kc_err(KC_ERR_INPUT, "%s:%d: more than one "
				    "YAML document", what, line);
				goto out;
			}
			if ((rc = next_event(&r, &ev)) != KC_OK)
				goto out;
			rc = parse_node(&r, &ev, 0, &root);
			yaml_event_delete(&ev);
			if (rc != KC_OK)
				goto out;
			continue;
		}
		yaml_event_delete(&ev);
	}
	if (root == NULL || root->type != Y_MAP) {
		rc = kc_err(KC_ERR_INPUT, "%s:%d: expected a mapping of "
		    "'key: value' lines", what, root ? root->line : 1);
		goto out;
	}
	*out = root;
	root = NULL;
	rc = KC_OK;
out:
	ytree_free(root);
	yaml_parser_delete(&r.p);
	return rc;
}

struct ynode *
ymap_get(struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			map->used[i] = 1;
			return map->kids[i];
		}
	}
	return NULL;
}

static const char *
type_name(enum ynode_type t)
{
	return t == Y_MAP ? "a mapping" : t == Y_SEQ ? "a list" : "a value";
}

int
ymap_node(const struct yctx *y, struct ynode *map, const char *key,
    enum ynode_type type, int required, struct ynode **out)
{
	struct ynode *n = ymap_get(map, key);

	*out = NULL;
	if (n == NULL) {
		if (required)
			return yerr(y, map->line, "missing '%s'", key);
		return KC_OK;
	}
	if (n->type != type) {
		int line = n->line;
		for (size_t i = 0; i < map->n; i++)
			if (map->kids[i] == n)
				line = map->key_lines[i];
		return yerr(y, line, "'%s' must be %s, not %s", key,
		    type_name(type), type_name(n->type));
	}
	*out = n;
	return KC_OK;
}

int
ymap_str(const struct yctx *y, struct ynode *map, const char *key,
    int required, const char **out)
{
	struct ynode *n;
	int rc;

	*out = NULL;
	if ((rc = ymap_node(y, map, key, Y_SCALAR, required, &n)) != KC_OK)
		return rc;
	if (n == NULL)
		return KC_OK;
	if (n->plain && (n->val[0] == '\0' || strcmp(n->val, "~") == 0 ||
	    strcmp(n->val, "null") == 0)) {
		if (required)
			return yerr(y, n->line, "'%s' is empty", key);
		return KC_OK;
	}
	*out = n->val;
	return KC_OK;
}

int
ymap_int(const struct yctx *y, struct ynode *map, const char *key,
    int required, long min, long max, long *out)
{
	struct ynode *n;
	char *end;
	long v;
	int rc;

	if ((rc = ymap_node(y, map, key, Y_SCALAR, required, &n)) != KC_OK)
		return rc;
	if (n == NULL)
		return KC_OK;
	errno = 0;
	v = strtol(n->val, &end, 10);
	if (!n->plain || n->val[0] == '\0' || *end != '\0' || errno != 0 ||
	    (n->val[0] != '-' && (n->val[0] < '0' || n->val[0] > '9')))
		return yerr(y, n->line, "'%s' must be a whole number, not "
		    "'%s'", key, n->val);
	if (v < min || v > max)
		return yerr(y, n->line, "'%s' must be between %ld and %ld, "
		    "not %ld", key, min, max, v);
	*out = v;
	return KC_OK;
}

int
ymap_no_unknown(const struct yctx *y, const struct ynode *map,
    const char *where)
{
	for (size_t i = 0; i < map->n; i++)
		if (!map->used[i])
			return yerr(y, map->key_lines[i], "unknown key '%s' "
			    "in %s", map->keys[i], where);
	return KC_OK;
}

int
ymap_only(const struct yctx *y, const struct ynode *map,
    const char *const *allowed, const char *where)
{
	for (size_t i = 0; i < map->n; i++) {
		size_t k;
		for (k = 0; allowed[k] != NULL; k++)
			if (strcmp(allowed[k], map->keys[i]) == 0)
				break;
		if (allowed[k] == NULL)
			return yerr(y, map->key_lines[i], "unknown key '%s' "
			    "in %s", map->keys[i], where);
	}
	return KC_OK;
}

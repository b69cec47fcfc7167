/*
 * yamltree.h (libkc-ceremony internal): a strict YAML reader for ceremony files and
 * site profiles. libyaml's event API builds a small tree of maps,
 * sequences and scalars that keeps the line of every node; duplicate keys,
 * anchors, aliases, tags, non-scalar keys and multiple documents are
 * refused with "file:line: reason". Schema helpers check types, refuse
 * unknown keys and report missing ones.
 */
#ifndef KC_YAMLTREE_H
#define KC_YAMLTREE_H

#include <stddef.h>

enum ynode_type { Y_SCALAR = 1, Y_MAP, Y_SEQ };

struct ynode {
	enum ynode_type	 type;
	int		 line;		/* 1-based */
	char		*val;		/* scalars */
	int		 plain;		/* unquoted scalar */
	char		**keys;		/* maps: keys[i] -> kids[i] */
	int		*key_lines;
	int		*used;		/* maps: key consumed by the schema */
	struct ynode	**kids;
	size_t		 n;
};

/* Parses the file's bytes; what names it in messages. */
int ytree_parse(const char *what, const unsigned char *buf, size_t len,
    struct ynode **out);
void ytree_free(struct ynode *n);

/* Schema helpers; every error is "file:line: reason" (KC_ERR_INPUT). */
struct yctx {
	const char	*file;
};
/* Finds key in map (marks it used); NULL when absent. */
struct ynode *ymap_get(struct ynode *map, const char *key);
int ymap_str(const struct yctx *y, struct ynode *map, const char *key,
    int required, const char **out);
int ymap_int(const struct yctx *y, struct ynode *map, const char *key,
    int required, long min, long max, long *out);
int ymap_node(const struct yctx *y, struct ynode *map, const char *key,
    enum ynode_type type, int required, struct ynode **out);
/* Refuses the first key of map not consumed by ymap_*; where names the
 * map ("step 'create-root'"). */
int ymap_no_unknown(const struct yctx *y, const struct ynode *map,
    const char *where);
/* Refuses the first key of map that is not in allowed (NULL-terminated),
 * before any other check, so that a misspelt key is reported as unknown
 * rather than as a missing one. */
int ymap_only(const struct yctx *y, const struct ynode *map,
    const char *const *allowed, const char *where);
int yerr(const struct yctx *y, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

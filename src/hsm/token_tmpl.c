/*
 * token_tmpl.c: the site profile's key-template (kc/token.h): attributes a
 * vendor's module needs added to, or left out of, the root key pair's
 * public and private templates, and what no template may do.
 *
 * Refused, whatever the site says (checked when the profile is loaded,
 * and again when the key is generated):
 *  - in the private template, an attribute that would make the key
 *    extractable or non-sensitive, or able to decrypt, unwrap, derive,
 *    encrypt, wrap or sign-recover (CKA_EXTRACTABLE TRUE, CKA_SENSITIVE
 *    FALSE, CKA_DECRYPT TRUE, ...), and leaving out any attribute that
 *    keeps it so (CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_DECRYPT, CKA_UNWRAP,
 *    CKA_DERIVE) or that keyceremony needs (CKA_TOKEN, CKA_PRIVATE,
 *    CKA_SIGN, CKA_LABEL, CKA_ID);
 *  - in either, changing what keyceremony sets itself (CKA_TOKEN, CKA_ID,
 *    the curve, the modulus size, ...) or setting what only the token sets
 *    (CKA_LOCAL, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE).
 * Only CKA_MODIFIABLE and CKA_COPYABLE (private) and CKA_MODIFIABLE and
 * CKA_PRIVATE (public) may be left out; the read-back after generation
 * still checks every policy attribute, so an omission that the module
 * answers with a weaker default destroys the new pair.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "kc/hsm/token.h"

/* What keyceremony does with an attribute in each half. */
enum {
	T_BOOL = 1 << 0,	/* CK_BBOOL */
	T_SET_PUB = 1 << 1,	/* keyceremony sets it in the public template */
	T_SET_PRIV = 1 << 2,	/* ... in the private one */
	T_OMIT_PUB = 1 << 3,	/* the site may leave it out (public) */
	T_OMIT_PRIV = 1 << 4,	/* ... (private) */
	T_NO_TRUE = 1 << 5,	/* private: never TRUE */
	T_TOKEN_SETS = 1 << 6,	/* set by the token, never by a template */
};

static const struct tattr {
	CK_ATTRIBUTE_TYPE	 type;
	const char		*name;
	int			 flags;
	const char		*why;	/* what TRUE / leaving it out would do */
} tattrs[] = {
	{ CKA_TOKEN, "CKA_TOKEN", T_BOOL | T_SET_PUB | T_SET_PRIV, NULL },
	{ CKA_PRIVATE, "CKA_PRIVATE", T_BOOL | T_SET_PUB | T_SET_PRIV |
	  T_OMIT_PUB, NULL },
	{ CKA_LABEL, "CKA_LABEL", T_SET_PUB | T_SET_PRIV, NULL },
	{ CKA_ID, "CKA_ID", T_SET_PUB | T_SET_PRIV, NULL },
	{ CKA_SENSITIVE, "CKA_SENSITIVE", T_BOOL | T_SET_PRIV,
	  "non-sensitive" },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE", T_BOOL | T_SET_PRIV |
	  T_NO_TRUE, "extractable" },
	{ CKA_ENCRYPT, "CKA_ENCRYPT", T_BOOL | T_NO_TRUE, "able to encrypt" },
	{ CKA_DECRYPT, "CKA_DECRYPT", T_BOOL | T_SET_PRIV | T_NO_TRUE,
	  "able to decrypt" },
	{ CKA_WRAP, "CKA_WRAP", T_BOOL | T_NO_TRUE, "able to wrap keys" },
	{ CKA_UNWRAP, "CKA_UNWRAP", T_BOOL | T_SET_PRIV | T_NO_TRUE,
	  "able to unwrap keys" },
	{ CKA_SIGN, "CKA_SIGN", T_BOOL | T_SET_PRIV, NULL },
	{ CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER", T_BOOL | T_NO_TRUE,
	  "able to sign with recovery (raw RSA)" },
	{ CKA_VERIFY, "CKA_VERIFY", T_BOOL, NULL },
	{ CKA_VERIFY_RECOVER, "CKA_VERIFY_RECOVER", T_BOOL, NULL },
	{ CKA_DERIVE, "CKA_DERIVE", T_BOOL | T_SET_PRIV | T_NO_TRUE,
	  "able to derive keys" },
	{ CKA_TRUSTED, "CKA_TRUSTED", T_BOOL, NULL },
	{ CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", T_BOOL, NULL },
	{ CKA_ALWAYS_AUTHENTICATE, "CKA_ALWAYS_AUTHENTICATE", T_BOOL, NULL },
	{ CKA_MODIFIABLE, "CKA_MODIFIABLE", T_BOOL | T_SET_PUB | T_SET_PRIV |
	  T_OMIT_PUB | T_OMIT_PRIV, NULL },
	{ CKA_COPYABLE, "CKA_COPYABLE", T_BOOL | T_SET_PRIV | T_OMIT_PRIV,
	  NULL },
	{ CKA_DESTROYABLE, "CKA_DESTROYABLE", T_BOOL, NULL },
	{ CKA_LOCAL, "CKA_LOCAL", T_BOOL | T_TOKEN_SETS, NULL },
	{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", T_BOOL |
	  T_TOKEN_SETS, NULL },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", T_BOOL |
	  T_TOKEN_SETS, NULL },
	{ CKA_KEY_TYPE, "CKA_KEY_TYPE", T_SET_PUB | T_SET_PRIV, NULL },
	{ CKA_CLASS, "CKA_CLASS", T_SET_PUB | T_SET_PRIV, NULL },
	{ CKA_EC_PARAMS, "CKA_EC_PARAMS", T_SET_PUB, NULL },
	{ CKA_MODULUS_BITS, "CKA_MODULUS_BITS", T_SET_PUB, NULL },
	{ CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", T_SET_PUB, NULL },
};

#define NTATTRS (sizeof(tattrs) / sizeof(tattrs[0]))

static int tmpl_err(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
tmpl_err(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return -1;
}

/* The table entry of name, or NULL; *type gets the attribute (vendor
 * attributes as 0x80000000..0xffffffff). -1 for a name that is neither. */
static int
lookup(const char *name, const struct tattr **ta, unsigned long *type)
{
	size_t i;
	char *end;
	unsigned long v;

	*ta = NULL;
	for (i = 0; i < NTATTRS; i++)
		if (strcmp(tattrs[i].name, name) == 0) {
			*ta = &tattrs[i];
			*type = tattrs[i].type;
			return 0;
		}
	if (strncmp(name, "0x", 2) != 0 || name[2] == '\0')
		return -1;
	errno = 0;
	v = strtoul(name + 2, &end, 16);
	if (errno != 0 || *end != '\0' || v < CKA_VENDOR_DEFINED ||
	    v > 0xffffffffUL)
		return -1;
	*type = v;
	return 0;
}

static const char *
half_name(int priv)
{
	return priv ? "private" : "public";
}

const char *
kc_key_template_attr_name(unsigned long type)
{
	static _Thread_local char buf[16];
	size_t i;

	for (i = 0; i < NTATTRS; i++)
		if (tattrs[i].type == type)
			return tattrs[i].name;
	snprintf(buf, sizeof(buf), "0x%08lx", type);
	return buf;
}

/* Refuses a name that is unknown, or that a template may not touch. */
static int
touchable(const char *name, int priv, int omit, const struct tattr **ta,
    unsigned long *type, char *why, size_t whysz)
{
	if (lookup(name, ta, type) != 0)
		return tmpl_err(why, whysz, "%s is not a PKCS#11 attribute "
		    "keyceremony knows (names like CKA_VERIFY, or a vendor "
		    "attribute as 0x80000000 to 0xffffffff)", name);
	if (*ta == NULL)
		return 0;
	if ((*ta)->flags & T_TOKEN_SETS)
		return tmpl_err(why, whysz, "%s is set by the token itself, "
		    "never by a template", name);
	if (omit) {
		int may = (*ta)->flags & (priv ? T_OMIT_PRIV : T_OMIT_PUB);
		int set = (*ta)->flags & (priv ? T_SET_PRIV : T_SET_PUB);

		if (!set)
			return tmpl_err(why, whysz, "keyceremony does not put "
			    "%s in the %s template: nothing to leave out", name,
			    half_name(priv));
		if (!may && priv && (*ta)->why != NULL)
			return tmpl_err(why, whysz, "leaving %s out of the "
			    "private template could make the root key %s (the "
			    "module's default); refused", name, (*ta)->why);
		if (!may)
			return tmpl_err(why, whysz, "keyceremony needs %s in "
			    "the %s template; it cannot be left out", name,
			    half_name(priv));
	}
	return 0;
}

int
kc_key_template_omit(struct kc_key_template *t, int priv, const char *name,
    char *why, size_t whysz)
{
	const struct tattr *ta;
	unsigned long type = 0;
	size_t i, h = priv ? 1 : 0;

	if (touchable(name, priv, 1, &ta, &type, why, whysz) != 0)
		return -1;
	if (ta == NULL)
		return tmpl_err(why, whysz, "keyceremony does not put %s in the "
		    "%s template: nothing to leave out", name, half_name(priv));
	for (i = 0; i < t->nomit[h]; i++)
		if (t->omit[h][i] == type)
			return tmpl_err(why, whysz, "%s is listed twice", name);
	if (t->nomit[h] >= KC_TMPL_MAX)
		return tmpl_err(why, whysz, "at most %d attributes may be left "
		    "out of the %s template", KC_TMPL_MAX, half_name(priv));
	t->omit[h][t->nomit[h]++] = type;
	return 0;
}

/* value as the bytes of attribute type: "true"/"false" (CK_BBOOL), for a
 * vendor attribute also a decimal CK_ULONG or hex:BYTES (1 to 32). */
static int
parse_value(const struct tattr *ta, const char *name, const char *value,
    struct kc_tmpl_attr *a, char *why, size_t whysz)
{
	const char *p;
	char *end;
	unsigned long v;
	size_t n;

	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		a->val[0] = value[0] == 't' ? CK_TRUE : CK_FALSE;
		a->len = sizeof(CK_BBOOL);
		return 0;
	}
	if (ta != NULL)
		return tmpl_err(why, whysz, "%s takes true or false, not '%s'",
		    name, value);
	if (strncmp(value, "hex:", 4) == 0) {
		for (p = value + 4, n = 0; p[0] != '\0'; p += 2, n++) {
			unsigned int b;
			if (n == sizeof(a->val) || p[1] == '\0' ||
			    sscanf(p, "%2x", &b) != 1 ||
			    strchr("0123456789abcdefABCDEF", p[0]) == NULL ||
			    strchr("0123456789abcdefABCDEF", p[1]) == NULL)
				return tmpl_err(why, whysz, "%s: '%s' is not "
				    "hex:BYTES of 1 to %zu bytes", name, value,
				    sizeof(a->val));
			a->val[n] = (unsigned char)b;
		}
		if (n == 0)
			return tmpl_err(why, whysz, "%s: empty hex: value",
			    name);
		a->len = n;
		return 0;
	}
	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || errno != 0 || *end != '\0')
		return tmpl_err(why, whysz, "%s takes true, false, a decimal "
		    "number or hex:BYTES, not '%s'", name, value);
	{
		CK_ULONG u = (CK_ULONG)v;
		memcpy(a->val, &u, sizeof(u));
		a->len = sizeof(u);
	}
	return 0;
}

int
kc_key_template_add(struct kc_key_template *t, int priv, const char *name,
    const char *value, char *why, size_t whysz)
{
	const struct tattr *ta;
	struct kc_tmpl_attr a;
	unsigned long type = 0;
	size_t i, h = priv ? 1 : 0;

	memset(&a, 0, sizeof(a));
	if (touchable(name, priv, 0, &ta, &type, why, whysz) != 0 ||
	    parse_value(ta, name, value, &a, why, whysz) != 0)
		return -1;
	a.type = type;
	if (ta != NULL && priv) {
		int v = a.val[0] == CK_TRUE;
		if ((ta->flags & T_NO_TRUE) && v)
			return tmpl_err(why, whysz, "%s true would make the "
			    "root key %s; refused", name, ta->why);
		if (ta->type == CKA_SENSITIVE && !v)
			return tmpl_err(why, whysz, "%s false would make the "
			    "root key non-sensitive; refused", name);
	}
	if (ta != NULL && (ta->flags & (priv ? T_SET_PRIV : T_SET_PUB)))
		return tmpl_err(why, whysz, "keyceremony sets %s in the %s "
		    "template itself; a key template cannot change it", name,
		    half_name(priv));
	for (i = 0; i < t->nadd[h]; i++)
		if (t->add[h][i].type == type)
			return tmpl_err(why, whysz, "%s is listed twice", name);
	if (t->nadd[h] >= KC_TMPL_MAX)
		return tmpl_err(why, whysz, "at most %d attributes may be added "
		    "to the %s template", KC_TMPL_MAX, half_name(priv));
	t->add[h][t->nadd[h]++] = a;
	return 0;
}

int
kc_key_template_check(const struct kc_key_template *t, char *why,
    size_t whysz)
{
	struct kc_key_template copy;
	char val[80];
	size_t h, i, j, o;

	/* Every entry again, through the same rules (a template built by
	 * hand, not by the two functions above, is refused the same way). */
	memset(&copy, 0, sizeof(copy));
	for (h = 0; h < 2; h++) {
		if (t->nadd[h] > KC_TMPL_MAX || t->nomit[h] > KC_TMPL_MAX)
			return tmpl_err(why, whysz, "key template too large");
		for (i = 0; i < t->nomit[h]; i++)
			if (kc_key_template_omit(&copy, (int)h,
			    kc_key_template_attr_name(t->omit[h][i]), why,
			    whysz) != 0)
				return -1;
		for (i = 0; i < t->nadd[h]; i++) {
			const struct kc_tmpl_attr *a = &t->add[h][i];
			const char *name = kc_key_template_attr_name(a->type);
			char nm[40];

			snprintf(nm, sizeof(nm), "%s", name);
			if (a->len == 0 || a->len > sizeof(a->val))
				return tmpl_err(why, whysz, "%s: bad value", nm);
			if (a->len == sizeof(CK_BBOOL) && a->val[0] <= 1)
				snprintf(val, sizeof(val), "%s", a->val[0] ?
				    "true" : "false");
			else {
				o = (size_t)snprintf(val, sizeof(val), "hex:");
				for (j = 0; j < a->len && o + 3 < sizeof(val);
				    j++)
					o += (size_t)snprintf(val + o,
					    sizeof(val) - o, "%02x", a->val[j]);
			}
			if (kc_key_template_add(&copy, (int)h, nm, val, why,
			    whysz) != 0)
				return -1;
		}
	}
	return 0;
}

void
kc_key_template_text(const struct kc_key_template *t, char *buf, size_t sz)
{
	size_t h, i, o = 0;
	int w;

	buf[0] = '\0';
	for (h = 0; h < 2 && o < sz; h++) {
		for (i = 0; i < t->nadd[h] && o < sz; i++) {
			const struct kc_tmpl_attr *a = &t->add[h][i];
			w = snprintf(buf + o, sz - o, "%s%s +%s%s", o ? ", " :
			    "", half_name((int)h),
			    kc_key_template_attr_name(a->type),
			    a->len == sizeof(CK_BBOOL) ? (a->val[0] ?
			    "=TRUE" : "=FALSE") : "=(value)");
			if (w < 0)
				return;
			o += (size_t)w;
		}
		for (i = 0; i < t->nomit[h] && o < sz; i++) {
			w = snprintf(buf + o, sz - o, "%s%s -%s", o ? ", " :
			    "", half_name((int)h),
			    kc_key_template_attr_name(t->omit[h][i]));
			if (w < 0)
				return;
			o += (size_t)w;
		}
	}
	if (o == 0)
		snprintf(buf, sz, "(none)");
}

/*
 * token_probe.c: object-level reads for `keyceremony token probe` and the
 * preflight: whether a label is used by any object the session can see
 * (login-free where the token lists public objects), every object as a
 * sorted list (before/after comparison), and a public key's attributes as
 * read back. Key generation, signing and removal are token.c's, the very
 * code a ceremony runs.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "token_int.h"

#define KC_MAX_OBJECTS 65536

/* Every handle matching template t (nt attributes) into *out (malloc'd). */
static int
find_all(struct kc_token *tok, CK_ATTRIBUTE *t, CK_ULONG nt,
    CK_OBJECT_HANDLE **out, size_t *n)
{
	CK_FUNCTION_LIST_PTR f = kc_tok_funcs(tok);
	CK_SESSION_HANDLE s = kc_tok_session(tok);
	const char *l = kc_token_get_info(tok)->label;
	CK_OBJECT_HANDLE *hs = NULL, *nh;
	size_t nhs = 0, cap = 0;
	CK_ULONG got = 0;
	CK_RV rv;

	*out = NULL;
	*n = 0;
	if ((rv = f->C_FindObjectsInit(s, t, nt)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjectsInit "
		    "failed (%s)", l, kc_tok_ckr(rv));
	for (;;) {
		if (nhs == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > KC_MAX_OBJECTS ||
			    (nh = realloc(hs, cap * sizeof(*hs))) == NULL) {
				f->C_FindObjectsFinal(s);
				free(hs);
				return kc_err(KC_ERR_NOMEM, "token '%s': too many "
				    "objects or out of memory", l);
			}
			hs = nh;
		}
		if ((rv = f->C_FindObjects(s, hs + nhs, (CK_ULONG)(cap - nhs),
		    &got)) != CKR_OK) {
			f->C_FindObjectsFinal(s);
			free(hs);
			return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects "
			    "failed (%s)", l, kc_tok_ckr(rv));
		}
		if (got == 0)
			break;
		nhs += got;
	}
	f->C_FindObjectsFinal(s);
	*out = hs;
	*n = nhs;
	return KC_OK;
}

static const char *
class_name(CK_OBJECT_CLASS c)
{
	switch (c) {
	case CKO_DATA:		return "data";
	case CKO_CERTIFICATE:	return "certificate";
	case CKO_PUBLIC_KEY:	return "public key";
	case CKO_PRIVATE_KEY:	return "private key";
	case CKO_SECRET_KEY:	return "secret key";
	default:		return "other object";
	}
}

static CK_RV
get1(struct kc_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
    void *buf, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, buf, *len };
	CK_RV rv;

	rv = kc_tok_funcs(tok)->C_GetAttributeValue(kc_tok_session(tok), h, &a,
	    1);
	*len = a.ulValueLen;
	return rv;
}

int
kc_token_label_used(struct kc_token *tok, const char *label, char *what,
    size_t whatsz)
{
	CK_ATTRIBUTE t = { CKA_LABEL, (void *)(uintptr_t)label,
	    (CK_ULONG)strlen(label) };
	CK_OBJECT_HANDLE *hs = NULL;
	CK_OBJECT_CLASS c = 0;
	CK_ULONG len = sizeof(c);
	size_t n = 0;
	int rc;

	what[0] = '\0';
	if ((rc = find_all(tok, &t, 1, &hs, &n)) != KC_OK)
		return rc;
	if (n > 0) {
		if (get1(tok, hs[0], CKA_CLASS, &c, &len) == CKR_OK &&
		    len == sizeof(c))
			snprintf(what, whatsz, "%s", class_name(c));
		else
			snprintf(what, whatsz, "object");
	}
	free(hs);
	return n > 0;
}

/* One object as "class label=... id=... type=..." in buf. */
static void
object_line(struct kc_token *tok, CK_OBJECT_HANDLE h, char *buf,
    size_t bufsz)
{
	CK_OBJECT_CLASS c = (CK_OBJECT_CLASS)-1;
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	unsigned char v[256];
	char label[257], id[2 * 64 + 1];
	CK_ULONG len;
	size_t i;

	len = sizeof(c);
	if (get1(tok, h, CKA_CLASS, &c, &len) != CKR_OK || len != sizeof(c))
		c = (CK_OBJECT_CLASS)-1;
	len = sizeof(v);
	label[0] = '\0';
	if (get1(tok, h, CKA_LABEL, v, &len) == CKR_OK && len < sizeof(v)) {
		memcpy(label, v, len);
		label[len] = '\0';
	}
	len = sizeof(v);
	id[0] = '\0';
	if (get1(tok, h, CKA_ID, v, &len) == CKR_OK && len <= sizeof(v))
		for (i = 0; i < len && i < 64; i++)
			snprintf(id + 2 * i, 3, "%02x", v[i]);
	len = sizeof(kt);
	if (get1(tok, h, CKA_KEY_TYPE, &kt, &len) != CKR_OK ||
	    len != sizeof(kt))
		kt = (CK_KEY_TYPE)-1;
	snprintf(buf, bufsz, "%s label='%s' id=%s type=%s",
	    class_name(c), label, id[0] ? id : "-",
	    kt == CKK_RSA ? "RSA" : kt == CKK_EC ? "EC" :
	    kt == (CK_KEY_TYPE)-1 ? "-" : "other");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
kc_token_objects(struct kc_token *tok, char **list, size_t *count)
{
	CK_OBJECT_HANDLE *hs = NULL;
	char **lines = NULL, *out = NULL, buf[512];
	size_t n = 0, i, total = 1, used = 0;
	int rc;

	*list = NULL;
	*count = 0;
	if ((rc = find_all(tok, NULL, 0, &hs, &n)) != KC_OK)
		return rc;
	if (n > 0 && (lines = calloc(n, sizeof(*lines))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		object_line(tok, hs[i], buf, sizeof(buf));
		if ((lines[i] = strdup(buf)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		total += strlen(buf) + 1;
	}
	if (n > 0)
		qsort(lines, n, sizeof(*lines), cmp_str);
	if ((out = malloc(total)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);
		memcpy(out + used, lines[i], l);
		used += l;
		out[used++] = '\n';
		out[used] = '\0';
	}
	*list = out;
	*count = n;
	out = NULL;
	rc = KC_OK;
out:
	if (lines != NULL)
		for (i = 0; i < n; i++)
			free(lines[i]);
	free(lines);
	free(hs);
	free(out);
	return rc;
}

static int
bool1(struct kc_token *tok, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = CK_FALSE;
	CK_ULONG len = sizeof(v);

	if (get1(tok, h, type, &v, &len) != CKR_OK || len != sizeof(v))
		return -1;
	return v == CK_TRUE;
}

int
kc_token_pub_attrs(struct kc_token *tok, const char *label,
    struct kc_pub_attrs *pa)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)(uintptr_t)label,
		  (CK_ULONG)strlen(label) },
	};
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0;
	int rc;

	memset(pa, 0xff, sizeof(*pa));	/* every field -1: unknown */
	pa->objects = 0;
	if ((rc = find_all(tok, t, 2, &hs, &n)) != KC_OK)
		return rc;
	pa->objects = (int)n;
	if (n > 0) {
		pa->verify = bool1(tok, hs[0], CKA_VERIFY);
		pa->encrypt = bool1(tok, hs[0], CKA_ENCRYPT);
		pa->wrap = bool1(tok, hs[0], CKA_WRAP);
		pa->token = bool1(tok, hs[0], CKA_TOKEN);
		pa->private_ = bool1(tok, hs[0], CKA_PRIVATE);
		pa->modifiable = bool1(tok, hs[0], CKA_MODIFIABLE);
	}
	free(hs);
	return KC_OK;
}

/*
 * token_keys.c: the key objects of an open, logged-in token. Owns the
 * attribute policy of a private key (what CKA_SENSITIVE, CKA_EXTRACTABLE,
 * CKA_SIGN, ... must read: kc_tok_check_priv; what a backup-capable or
 * restored key may read instead, kc/hsm/wrap.h), the display of a public
 * object's usage flags, the lookup of the one private key with a label,
 * and kc_token_key_exists, kc_token_key_check, kc_token_key_destroy,
 * kc_token_key_list.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "token_int.h"

int
kc_token_key_exists(struct kc_token *tok, const char *label)
{
	CK_OBJECT_HANDLE h[1];
	size_t n;
	int rc;

	if ((rc = kc_tok_need_login(tok)) != KC_OK)
		return rc;
	if ((rc = kc_tok_find_objects(tok, CKO_PRIVATE_KEY, label, NULL, 0, h,
	    1, &n)) != KC_OK)
		return rc;
	if (n > 0)
		return 1;
	if ((rc = kc_tok_find_objects(tok, CKO_PUBLIC_KEY, label, NULL, 0, h, 1,
	    &n)) != KC_OK)
		return rc;
	return n > 0;
}

/* The checked attributes: which field of kc_key_attrs, the value policy
 * wants (-1: read, not checked). */
static const struct {
	CK_ATTRIBUTE_TYPE	 type;
	const char		*name;
	size_t			 off;
	int			 want;
} key_attrs[] = {
	{ CKA_SENSITIVE, "CKA_SENSITIVE",
	  offsetof(struct kc_key_attrs, sensitive), 1 },
	{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE",
	  offsetof(struct kc_key_attrs, always_sensitive), 1 },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE",
	  offsetof(struct kc_key_attrs, never_extractable), 1 },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE",
	  offsetof(struct kc_key_attrs, extractable), 0 },
	{ CKA_LOCAL, "CKA_LOCAL", offsetof(struct kc_key_attrs, local), 1 },
	{ CKA_SIGN, "CKA_SIGN", offsetof(struct kc_key_attrs, sign), 1 },
	{ CKA_DECRYPT, "CKA_DECRYPT",
	  offsetof(struct kc_key_attrs, decrypt), 0 },
	{ CKA_UNWRAP, "CKA_UNWRAP", offsetof(struct kc_key_attrs, unwrap), 0 },
	{ CKA_DERIVE, "CKA_DERIVE", offsetof(struct kc_key_attrs, derive), 0 },
	{ CKA_TOKEN, "CKA_TOKEN", offsetof(struct kc_key_attrs, token), 1 },
	{ CKA_PRIVATE, "CKA_PRIVATE",
	  offsetof(struct kc_key_attrs, private_), 1 },
};

/* 1 when the token holds the restore record of the key h (kc/hsm/wrap.h:
 * a CKO_DATA object of KC_RESTORE_APP whose CKA_VALUE is h's CKA_ID). */
static int
restore_record(struct kc_token *tok, CK_OBJECT_HANDLE h)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_OBJECT_HANDLE found[1];
	CK_ATTRIBUTE t[3];
	CK_ULONG got = 0;
	unsigned char *id = NULL;
	size_t idlen = 0;

	if (kc_tok_get_attr_alloc(tok, h, CKA_ID, "CKA_ID", &id, &idlen) !=
	    KC_OK) {
		kc_err_clear();
		return 0;
	}
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_APPLICATION;
	t[1].pValue = (void *)(uintptr_t)KC_RESTORE_APP;
	t[1].ulValueLen = (CK_ULONG)strlen(KC_RESTORE_APP);
	t[2].type = CKA_VALUE;
	t[2].pValue = id;
	t[2].ulValueLen = (CK_ULONG)idlen;
	if (f->C_FindObjectsInit(tok->session, t, 3) == CKR_OK) {
		if (f->C_FindObjects(tok->session, found, 1, &got) != CKR_OK)
			got = 0;
		f->C_FindObjectsFinal(tok->session);
	}
	free(id);
	return got > 0;
}

/* Whether value v of attribute type is what the policy wants: want, or
 * for a backup-capable key (wwt) also an extractable one, and for a
 * restored one (a restore record) also one made outside this token. */
static int
policy_ok(CK_ATTRIBUTE_TYPE type, int v, int want, int wwt, int restored)
{
	if (v == want)
		return 1;
	if (wwt == 1 && (type == CKA_EXTRACTABLE ||
	    type == CKA_NEVER_EXTRACTABLE))
		return 1;
	if (wwt == 1 && restored && (type == CKA_LOCAL ||
	    type == CKA_ALWAYS_SENSITIVE))
		return 1;
	return 0;
}

/* Reads and checks the private key h; what names it in messages. */
int
kc_tok_check_priv(struct kc_token *tok, CK_OBJECT_HANDLE h, const char *what,
    struct kc_key_attrs *attrs)
{
	struct kc_key_attrs a;
	size_t i;
	int rc = KC_OK, wwt, restored = 0;

	memset(&a, 0, sizeof(a));
	/* Only a sensitive key that leaves the token under a trusted key
	 * may be extractable at all (kc/hsm/wrap.h). */
	wwt = kc_tok_bool_attr(tok, h, CKA_WRAP_WITH_TRUSTED);
	if (wwt == 1 && kc_tok_bool_attr(tok, h, CKA_SENSITIVE) != 1)
		wwt = 0;
	if (wwt == 1 && kc_tok_bool_attr(tok, h, CKA_LOCAL) == 0)
		restored = restore_record(tok, h);
	for (i = 0; i < sizeof(key_attrs) / sizeof(key_attrs[0]); i++) {
		CK_BBOOL v = CK_FALSE;
		CK_ULONG len = sizeof(v);
		CK_RV rv = kc_tok_get_attr(tok, h, key_attrs[i].type, &v, &len);
		int *field = (int *)(void *)((char *)&a + key_attrs[i].off);

		if (rv != CKR_OK || len != sizeof(v)) {
			if (rc == KC_OK)
				rc = kc_err(KC_ERR_POLICY, "key '%s' in token "
				    "'%s': %s cannot be read (%s); refusing "
				    "to use it", what, tok->info.label,
				    key_attrs[i].name, kc_tok_ckr(rv));
			*field = -1;
			continue;
		}
		*field = v == CK_TRUE;
		if (rc == KC_OK && !policy_ok(key_attrs[i].type, *field,
		    key_attrs[i].want, wwt, restored))
			rc = kc_err(KC_ERR_POLICY, "key '%s' in token '%s': %s "
			    "is %s, must be %s; refusing to use it", what,
			    tok->info.label, key_attrs[i].name,
			    *field ? "TRUE" : "FALSE",
			    key_attrs[i].want ? "TRUE" : "FALSE");
	}
	a.modifiable = kc_tok_bool_attr(tok, h, CKA_MODIFIABLE);
	a.copyable = kc_tok_bool_attr(tok, h, CKA_COPYABLE);
	a.wrap_with_trusted = kc_tok_bool_attr(tok, h, CKA_WRAP_WITH_TRUSTED);
	a.restored = restored;
	if (attrs != NULL)
		*attrs = a;
	return rc;
}

/* The public object's usage flags as read, for display ("CKA_VERIFY=TRUE
 * CKA_ENCRYPT=FALSE CKA_WRAP=FALSE", "?" for one it does not show). They
 * are shown, not enforced: a public key verifies and encrypts in anyone's
 * software, and tpm2-pkcs11 ties them to the private key's DECRYPT/SIGN
 * (its public objects read CKA_VERIFY=FALSE). */
void
kc_tok_pub_usage(struct kc_token *tok, CK_OBJECT_HANDLE h, char *buf, size_t sz)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *name;
	} pa[] = {
		{ CKA_VERIFY, "CKA_VERIFY" },
		{ CKA_ENCRYPT, "CKA_ENCRYPT" },
		{ CKA_WRAP, "CKA_WRAP" },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(pa) / sizeof(pa[0]) && o < sz; i++) {
		int v = kc_tok_bool_attr(tok, h, pa[i].type);
		int w = snprintf(buf + o, sz - o, "%s%s=%s", i ? " " : "",
		    pa[i].name, v < 0 ? "?" : v ? "TRUE" : "FALSE");
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* The one private key with this label. */
int
kc_tok_find_priv(struct kc_token *tok, const char *label, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_HANDLE hs[2];
	size_t n;
	int rc;

	if ((rc = kc_tok_find_objects(tok, CKO_PRIVATE_KEY, label, NULL, 0, hs,
	    2, &n)) != KC_OK)
		return rc;
	if (n == 0)
		return kc_err(KC_ERR_NOTFOUND, "no private key labelled '%s' in "
		    "token '%s'", label, tok->info.label);
	if (n > 1)
		return kc_err(KC_ERR_POLICY, "key label '%s' is ambiguous in "
		    "token '%s': more than one private key carries it", label,
		    tok->info.label);
	*h = hs[0];
	return KC_OK;
}

int
kc_token_key_check(struct kc_token *tok, const char *label,
    struct kc_key_attrs *attrs)
{
	CK_OBJECT_HANDLE h;
	int rc;

	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(label)) != KC_OK ||
	    (rc = kc_tok_find_priv(tok, label, &h)) != KC_OK)
		return rc;
	return kc_tok_check_priv(tok, h, label, attrs);
}

int
kc_token_key_destroy(struct kc_token *tok, const char *label)
{
	static const CK_OBJECT_CLASS classes[] = {
		CKO_PRIVATE_KEY, CKO_PUBLIC_KEY
	};
	CK_OBJECT_HANDLE h[16];
	size_t n, i, c, total = 0;
	CK_RV rv;
	int rc;

	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(label)) != KC_OK)
		return rc;
	for (c = 0; c < 2; c++) {
		if ((rc = kc_tok_find_objects(tok, classes[c], label, NULL, 0,
		    h, 16, &n)) != KC_OK)
			return rc;
		for (i = 0; i < n; i++) {
			rv = tok->ctx->f->C_DestroyObject(tok->session, h[i]);
			if (rv != CKR_OK)
				return kc_err(KC_ERR_PKCS11, "token '%s': "
				    "destroying key '%s' failed (%s)",
				    tok->info.label, label, kc_tok_ckr(rv));
			total++;
		}
	}
	if (total == 0)
		return kc_err(KC_ERR_NOTFOUND, "no key labelled '%s' in token "
		    "'%s'", label, tok->info.label);
	kc_log(KC_LOG_INFO, "destroyed key '%s' in token '%s' (%zu objects)",
	    label, tok->info.label, total);
	return KC_OK;
}

/* The algorithm of the private key h from its public attributes. */
static enum kc_alg
priv_alg(struct kc_token *tok, CK_OBJECT_HANDLE h)
{
	CK_KEY_TYPE kt = 0;
	CK_ULONG len = sizeof(kt);
	unsigned char *a = NULL;
	size_t alen = 0;
	enum kc_alg alg = KC_ALG_NONE;

	if (kc_tok_get_attr(tok, h, CKA_KEY_TYPE, &kt, &len) != CKR_OK)
		return KC_ALG_NONE;
	if (kt == CKK_EC && kc_tok_get_attr_alloc(tok, h, CKA_EC_PARAMS,
	    "CKA_EC_PARAMS", &a, &alen) == KC_OK) {
		if (alen == sizeof(kc_tok_oid_p256) &&
		    memcmp(a, kc_tok_oid_p256, alen) == 0)
			alg = KC_ALG_EC_P256;
		else if (alen == sizeof(kc_tok_oid_p384) &&
		    memcmp(a, kc_tok_oid_p384, alen) == 0)
			alg = KC_ALG_EC_P384;
	} else if (kt == CKK_RSA && kc_tok_get_attr_alloc(tok, h, CKA_MODULUS,
	    "CKA_MODULUS", &a, &alen) == KC_OK) {
		size_t i = 0;
		while (i < alen && a[i] == 0)
			i++;
		alen -= i;
		alg = alen == 512 ? KC_ALG_RSA_4096 : alen == 384 ?
		    KC_ALG_RSA_3072 : alen == 256 ? KC_ALG_RSA_2048 :
		    KC_ALG_NONE;
	}
	free(a);
	kc_err_clear();
	return alg;
}

int
kc_token_key_list(struct kc_token *tok, struct kc_key_info **keys,
    size_t *n)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL, *nh;
	CK_ULONG got;
	size_t nhs = 0, cap = 0, i, j;
	struct kc_key_info *ki = NULL;
	struct kc_key_attrs ka;
	CK_RV rv;
	int rc;

	*keys = NULL;
	*n = 0;
	if ((rc = kc_tok_need_login(tok)) != KC_OK)
		return rc;
	if ((rv = f->C_FindObjectsInit(tok->session, &t, 1)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjectsInit "
		    "failed (%s)", tok->info.label, kc_tok_ckr(rv));
	for (;;) {
		if (nhs == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > 65536 || (nh = realloc(hs, cap *
			    sizeof(*hs))) == NULL) {
				f->C_FindObjectsFinal(tok->session);
				rc = kc_err(KC_ERR_NOMEM, "out of memory");
				goto out;
			}
			hs = nh;
		}
		rv = f->C_FindObjects(tok->session, hs + nhs,
		    (CK_ULONG)(cap - nhs), &got);
		if (rv != CKR_OK) {
			f->C_FindObjectsFinal(tok->session);
			rc = kc_err(KC_ERR_PKCS11, "token '%s': C_FindObjects "
			    "failed (%s)", tok->info.label, kc_tok_ckr(rv));
			goto out;
		}
		if (got == 0)
			break;
		nhs += got;
	}
	f->C_FindObjectsFinal(tok->session);
	if (nhs > 0 && (ki = calloc(nhs, sizeof(*ki))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nhs; i++) {
		unsigned char *v = NULL;
		size_t vlen = 0, m;
		CK_OBJECT_HANDLE ph[1];

		if (kc_tok_get_attr_alloc(tok, hs[i], CKA_LABEL, "CKA_LABEL",
		    &v, &vlen) == KC_OK) {
			kc_tok_padded_copy(ki[i].label, sizeof(ki[i].label), v,
			    vlen);
			free(v);
		}
		if (kc_tok_get_attr_alloc(tok, hs[i], CKA_ID, "CKA_ID", &v,
		    &vlen) == KC_OK) {
			for (j = 0; j < vlen && 2 * j + 2 < sizeof(ki[i].id_hex);
			    j++)
				snprintf(ki[i].id_hex + 2 * j, 3, "%02x", v[j]);
			if (kc_tok_find_objects(tok, CKO_PUBLIC_KEY, NULL, v,
			    vlen, ph, 1, &m) == KC_OK && m == 1) {
				ki[i].has_public = 1;
				kc_tok_pub_usage(tok, ph[0], ki[i].pub_usage,
				    sizeof(ki[i].pub_usage));
			}
			free(v);
		}
		ki[i].alg = priv_alg(tok, hs[i]);
		ki[i].modifiable = kc_tok_bool_attr(tok, hs[i], CKA_MODIFIABLE);
		ki[i].copyable = kc_tok_bool_attr(tok, hs[i], CKA_COPYABLE);
		if (kc_tok_check_priv(tok, hs[i], ki[i].label, &ka) == KC_OK)
			ki[i].policy_ok = 1;
		else
			snprintf(ki[i].policy, sizeof(ki[i].policy), "%s",
			    kc_errmsg());
		kc_err_clear();
		ki[i].backup = ka.wrap_with_trusted == 1 && ka.sensitive == 1 &&
		    ka.extractable == 1;
		ki[i].restored = ka.restored;
		ki[i].never_extractable = ka.never_extractable;
		ki[i].always_sensitive = ka.always_sensitive;
		ki[i].local = ka.local;
	}
	*keys = ki;
	*n = nhs;
	ki = NULL;
	rc = KC_OK;
out:
	free(hs);
	free(ki);
	return rc;
}

/*
 * token_keygen.c: key generation inside the token (kc_token_keygen,
 * kc_token_keygen_tmpl). Owns the public and private templates, the use
 * of the site profile's key-template section (token_tmpl.c checks and
 * describes it; here it is applied to the CK_ATTRIBUTE arrays), the fresh
 * random CKA_ID, the CKA_COPYABLE fallback, the backup-capable private
 * template (kc/hsm/wrap.h), the read-back of the new pair
 * against the policy, and the removal of a pair (or of the half-made
 * objects) whose generation or read-back failed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "token_int.h"

#define KC_KEY_ID_LEN 16

/* What a freshly generated pair must also show: both halves
 * CKA_MODIFIABLE=FALSE, the private one CKA_COPYABLE=FALSE unless the
 * module does not know the attribute. Not required of older keys. */
static int
check_new_pair(struct kc_token *tok, CK_OBJECT_HANDLE hpriv,
    CK_OBJECT_HANDLE hpub, const char *label)
{
	int m = kc_tok_bool_attr(tok, hpriv, CKA_MODIFIABLE);
	int pm = kc_tok_bool_attr(tok, hpub, CKA_MODIFIABLE);
	int c = kc_tok_bool_attr(tok, hpriv, CKA_COPYABLE);

	if (m != 0)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
		    "CKA_MODIFIABLE %s, must be FALSE; refusing to use it",
		    label, tok->info.label, m < 0 ? "cannot be read" :
		    "is TRUE");
	if (pm != 0)
		return kc_err(KC_ERR_POLICY, "public key '%s' in token '%s': "
		    "CKA_MODIFIABLE %s, must be FALSE", label, tok->info.label,
		    pm < 0 ? "cannot be read" : "is TRUE");
	if (c == 1)
		return kc_err(KC_ERR_POLICY, "key '%s' in token '%s': "
		    "CKA_COPYABLE is TRUE, must be FALSE; refusing to use it",
		    label, tok->info.label);
	return KC_OK;
}

/* What a backup-capable key must also show: CKA_WRAP_WITH_TRUSTED=TRUE
 * (a module that ignored it would let the key out under any key),
 * CKA_EXTRACTABLE=TRUE and still CKA_ALWAYS_SENSITIVE=TRUE. */
static int
check_backup(struct kc_token *tok, CK_OBJECT_HANDLE hpriv, const char *label)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *name;
	} want[] = {
		{ CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED" },
		{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE" },
		{ CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int v = kc_tok_bool_attr(tok, hpriv, want[i].type);
		if (v != 1)
			return kc_err(KC_ERR_POLICY, "backup-capable key '%s' "
			    "in token '%s': %s %s, must be TRUE; this module "
			    "cannot make a key for a backup ceremony", label,
			    tok->info.label, want[i].name, v < 0 ?
			    "cannot be read" : "is FALSE");
	}
	return KC_OK;
}

/* Destroys a pair just made whose read-back failed (rc, msg) and returns
 * rc with msg, saying what became of each half: a failed removal names
 * the label and its CKR. */
static int
destroy_new_pair(struct kc_token *tok, CK_OBJECT_HANDLE hpriv,
    CK_OBJECT_HANDLE hpub, const char *label, int rc, const char *msg)
{
	CK_RV r1 = CKR_OK, r2 = CKR_OK;

	if (hpriv != CK_INVALID_HANDLE)
		r1 = tok->ctx->f->C_DestroyObject(tok->session, hpriv);
	if (hpub != CK_INVALID_HANDLE)
		r2 = tok->ctx->f->C_DestroyObject(tok->session, hpub);
	if (r1 == CKR_OK && r2 == CKR_OK)
		return kc_err(rc, "%s; the new key pair was destroyed", msg);
	return kc_err(rc, "%s; removing the new key pair '%s' FAILED "
	    "(private key: %s, public key: %s): delete the objects labelled "
	    "'%s' by hand (pkcs11-tool --delete-object)", msg, label,
	    r1 == CKR_OK ? "removed" : kc_tok_ckr(r1),
	    r2 == CKR_OK ? "removed" : kc_tok_ckr(r2), label);
}

/* Leaves attribute type out of a[0..*n). */
static void
tmpl_drop(CK_ATTRIBUTE *a, CK_ULONG *n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i, o = 0;

	for (i = 0; i < *n; i++)
		if (a[i].type != type)
			a[o++] = a[i];
	*n = o;
}

/* The site's key template on one half (a has room for KC_TMPL_MAX more). */
static void
tmpl_apply(CK_ATTRIBUTE *a, CK_ULONG *n, const struct kc_key_template *t,
    size_t h)
{
	size_t i;

	for (i = 0; i < t->nomit[h]; i++)
		tmpl_drop(a, n, t->omit[h][i]);
	for (i = 0; i < t->nadd[h]; i++) {
		a[*n].type = t->add[h][i].type;
		a[*n].pValue = (void *)(uintptr_t)t->add[h][i].val;
		a[*n].ulValueLen = (CK_ULONG)t->add[h][i].len;
		(*n)++;
	}
}

/* After a failed C_GenerateKeyPair: removes whatever the module left with
 * the new CKA_ID, and returns rc with msg and what became of it. */
static int
keygen_failed(struct kc_token *tok, const unsigned char *id, size_t idlen,
    const char *label, int rc, const char *msg)
{
	static const CK_OBJECT_CLASS cls[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	CK_OBJECT_HANDLE h[4];
	size_t c, i, n, found = 0;
	CK_RV rv;

	for (c = 0; c < 2; c++) {
		if (kc_tok_find_objects(tok, cls[c], NULL, id, idlen, h, 4,
		    &n) != KC_OK) {
			kc_err_clear();
			continue;
		}
		for (i = 0; i < n; i++, found++)
			if ((rv = tok->ctx->f->C_DestroyObject(tok->session,
			    h[i])) != CKR_OK)
				return kc_err(rc, "%s; the half-made %s key "
				    "'%s' it left could not be removed (%s): "
				    "delete the objects labelled '%s' by hand",
				    msg, c == 0 ? "private" : "public", label,
				    kc_tok_ckr(rv), label);
	}
	if (found > 0)
		return kc_err(rc, "%s; the %zu half-made object%s it left %s "
		    "removed", msg, found, found == 1 ? "" : "s",
		    found == 1 ? "was" : "were");
	return kc_err(rc, "%s", msg);
}

int
kc_token_keygen(struct kc_token *tok, const char *label, enum kc_alg alg)
{
	return kc_token_keygen_tmpl(tok, label, alg, NULL);
}

int
kc_token_keygen_tmpl(struct kc_token *tok, const char *label,
    enum kc_alg alg, const struct kc_key_template *t)
{
	CK_FUNCTION_LIST_PTR f = tok->ctx->f;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE tmp[1];
	unsigned char id[KC_KEY_ID_LEN];
	const unsigned char *oid = NULL;
	size_t oidlen = 0, n, tries;
	CK_ULONG label_len;
	CK_RV rv;
	int rc, backup = t != NULL && t->backup;
	char msg[1024];

	if ((rc = kc_tok_need_login(tok)) != KC_OK ||
	    (rc = kc_tok_check_key_label(label)) != KC_OK)
		return rc;
	if (t != NULL && kc_key_template_check(t, msg, sizeof(msg)) != 0)
		return kc_err(KC_ERR_POLICY, "key template: %s", msg);
	label_len = (CK_ULONG)strlen(label);
	switch (alg) {
	case KC_ALG_EC_P256:
		oid = kc_tok_oid_p256;
		oidlen = sizeof(kc_tok_oid_p256);
		break;
	case KC_ALG_EC_P384:
		oid = kc_tok_oid_p384;
		oidlen = sizeof(kc_tok_oid_p384);
		break;
	case KC_ALG_RSA_3072:
		bits = 3072;
		break;
	case KC_ALG_RSA_4096:
		bits = 4096;
		break;
	default:
		return kc_err(KC_ERR_USAGE, "unsupported key algorithm for "
		    "generation (use ec-p384, ec-p256, rsa-3072 or rsa-4096)");
	}
	if (oid != NULL) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		if (!tok->info.mech_ec_keygen || !tok->info.mech_ecdsa)
			return kc_err(KC_ERR_PKCS11, "token '%s' does not offer "
			    "CKM_EC_KEY_PAIR_GEN and CKM_ECDSA; choose an RSA "
			    "algorithm", tok->info.label);
	} else {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		if (!tok->info.mech_rsa_keygen || !tok->info.mech_rsa_pkcs)
			return kc_err(KC_ERR_PKCS11, "token '%s' does not offer "
			    "CKM_RSA_PKCS_KEY_PAIR_GEN and CKM_RSA_PKCS; choose "
			    "an EC algorithm", tok->info.label);
	}
	if (!kc_token_alg_offered(&tok->info, alg, msg, sizeof(msg)))
		return kc_err(KC_ERR_PKCS11, "token '%s': %s", tok->info.label,
		    msg);
	if ((rc = kc_token_key_exists(tok, label)) < 0)
		return rc;
	if (rc == 1)
		return kc_err(KC_ERR_EXISTS, "key label '%s' is already used in "
		    "token '%s'; choose another --label", label,
		    tok->info.label);
	/* A fresh random CKA_ID that no object carries yet. */
	for (tries = 0;; tries++) {
		if (tries == 4)
			return kc_err(KC_ERR_PKCS11, "token '%s': the RNG keeps "
			    "returning CKA_IDs already in use", tok->info.label);
		if ((rc = kc_token_random(tok, id, sizeof(id))) != KC_OK)
			return rc;
		if ((rc = kc_tok_find_objects(tok, CKO_PRIVATE_KEY, NULL, id,
		    sizeof(id), tmp, 1, &n)) != KC_OK)
			return rc;
		if (n > 0)
			continue;
		if ((rc = kc_tok_find_objects(tok, CKO_PUBLIC_KEY, NULL, id,
		    sizeof(id), tmp, 1, &n)) != KC_OK)
			return rc;
		if (n == 0)
			break;
	}
	{
		CK_ATTRIBUTE pub[12 + KC_TMPL_MAX], priv[14 + KC_TMPL_MAX];
		CK_ULONG np = 0, nv = 0;

#define A(t, ty, v, l) do { (t).type = (ty); (t).pValue = (void *)(v); \
	(t).ulValueLen = (CK_ULONG)(l); } while (0)
		A(pub[np], CKA_TOKEN, &yes, sizeof(yes)); np++;
		A(pub[np], CKA_PRIVATE, &no, sizeof(no)); np++;
		/* No CKA_VERIFY/ENCRYPT/WRAP: tpm2-pkcs11 maps VERIFY and
		 * DECRYPT, SIGN and ENCRYPT, to one TPM bit each, so a public
		 * VERIFY=TRUE beside a private DECRYPT=FALSE is refused.
		 * The module's defaults are shown, not enforced. */
		A(pub[np], CKA_MODIFIABLE, &no, sizeof(no)); np++;
		A(pub[np], CKA_LABEL, (uintptr_t)label, label_len); np++;
		A(pub[np], CKA_ID, id, sizeof(id)); np++;
		if (oid != NULL) {
			A(pub[np], CKA_EC_PARAMS, (uintptr_t)oid, oidlen);
			np++;
		} else {
			A(pub[np], CKA_MODULUS_BITS, &bits, sizeof(bits));
			np++;
			A(pub[np], CKA_PUBLIC_EXPONENT, e65537,
			    sizeof(e65537));
			np++;
		}
		A(priv[nv], CKA_TOKEN, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_PRIVATE, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_SENSITIVE, &yes, sizeof(yes)); nv++;
		/* A backup-capable key (kc/hsm/wrap.h) leaves the token only
		 * wrapped under a CKA_TRUSTED key. */
		A(priv[nv], CKA_EXTRACTABLE, backup ? &yes : &no,
		    sizeof(no)); nv++;
		if (backup) {
			A(priv[nv], CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes));
			nv++;
		}
		A(priv[nv], CKA_SIGN, &yes, sizeof(yes)); nv++;
		A(priv[nv], CKA_DECRYPT, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_UNWRAP, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_DERIVE, &no, sizeof(no)); nv++;
		A(priv[nv], CKA_LABEL, (uintptr_t)label, label_len); nv++;
		A(priv[nv], CKA_ID, id, sizeof(id)); nv++;
		A(priv[nv], CKA_MODIFIABLE, &no, sizeof(no)); nv++;
		/* left out for a module that does not know it */
		A(priv[nv], CKA_COPYABLE, &no, sizeof(no)); nv++;
#undef A
		if (t != NULL) {
			tmpl_apply(pub, &np, t, 0);
			tmpl_apply(priv, &nv, t, 1);
			kc_key_template_text(t, msg, sizeof(msg));
			kc_log(KC_LOG_INFO, "key template of the site profile: "
			    "%s%s", msg, backup ? "; backup-capable: "
			    "CKA_EXTRACTABLE=TRUE, CKA_WRAP_WITH_TRUSTED=TRUE" :
			    "");
		}
		rv = f->C_GenerateKeyPair(tok->session, &mech, pub, np, priv,
		    nv, &hpub, &hpriv);
		if (rv == CKR_ATTRIBUTE_TYPE_INVALID) {
			CK_ULONG before = nv;
			tmpl_drop(priv, &nv, CKA_COPYABLE);
			if (nv != before) {
				kc_log(KC_LOG_INFO, "token '%s' does not know "
				    "CKA_COPYABLE: generating without it",
				    tok->info.label);
				hpub = hpriv = CK_INVALID_HANDLE;
				rv = f->C_GenerateKeyPair(tok->session, &mech,
				    pub, np, priv, nv, &hpub, &hpriv);
			}
		}
	}
	if (rv != CKR_OK) {
		snprintf(msg, sizeof(msg), "token '%s': generating %s key '%s' "
		    "failed (%s)%s", tok->info.label, oid != NULL ? "EC" : "RSA",
		    label, kc_tok_ckr(rv), backup && (rv ==
		    CKR_ATTRIBUTE_VALUE_INVALID || rv ==
		    CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT)
		    ? "; this module cannot make a backup-capable key "
		    "(CKA_EXTRACTABLE=TRUE, CKA_WRAP_WITH_TRUSTED=TRUE): it "
		    "cannot take part in a backup ceremony" : "");
		return keygen_failed(tok, id, sizeof(id), label, rv ==
		    CKR_PIN_EXPIRED || rv == CKR_USER_NOT_LOGGED_IN ?
		    KC_ERR_PIN : KC_ERR_PKCS11, msg);
	}
	if ((rc = kc_tok_check_priv(tok, hpriv, label, NULL)) != KC_OK ||
	    (rc = check_new_pair(tok, hpriv, hpub, label)) != KC_OK ||
	    (backup && (rc = check_backup(tok, hpriv, label)) != KC_OK)) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return destroy_new_pair(tok, hpriv, hpub, label, rc, msg);
	}
	kc_tok_pub_usage(tok, hpub, msg, sizeof(msg));
	kc_log(KC_LOG_INFO, "generated key '%s' inside token '%s' (public "
	    "key object: %s)", label, tok->info.label, msg);
	return KC_OK;
}

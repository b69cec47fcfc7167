/*
 * token_int.h: what the token layer's files share (src/hsm/token*.c; the
 * job of each file is listed in token.c). Only these files include
 * PKCS#11 headers. The handles are opaque to the rest of the project
 * (kc/hsm/token.h); inside the layer the structs below are the shared
 * state:
 *  - struct kc_token_ctx: one loaded module. Created by kc_token_load
 *    (token_load.c), freed by kc_token_unload; open_tokens counts the
 *    kc_token handles open on it (token_slot.c).
 *  - struct kc_token: one open token. Created by kc_token_open
 *    (token_slot.c), freed by kc_token_close; it borrows its ctx, owns its
 *    libp11 slot array and its raw R/W session. sign_mech and pub_src are
 *    written by token_pkey.c/token_sign.c for the last kc_token_key_get.
 * token_mech.c and token_probe.c use only the accessors.
 */
#ifndef KC_TOKEN_INT_H
#define KC_TOKEN_INT_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "kc/hsm/token.h"

struct kc_token_ctx {
	char			*module;	/* path as given (owned) */
	struct kc_module_info	 info;
	void			*dl;		/* our dlopen handle */
	CK_FUNCTION_LIST_PTR	 f;		/* raw function list */
	struct PKCS11_ctx_st	*p11;		/* libp11's PKCS11_CTX */
	int			 open_tokens;
	int			 raw_init;	/* we C_Initialize'd f: finalize it */
};

struct kc_token {
	struct kc_token_ctx	*ctx;		/* borrowed */
	struct PKCS11_slot_st	*slots;		/* this handle's libp11 slots */
	unsigned int		 nslots;
	struct PKCS11_slot_st	*slot;		/* one of slots */
	CK_SLOT_ID		 slot_id;
	CK_SESSION_HANDLE	 session;	/* raw R/W session */
	int			 have_session;
	int			 logged_in;
	struct kc_token_info	 info;
	char			 sign_mech[32];	/* of the last signature */
	char			 pub_src[192];	/* last kc_token_key_get's */
};

/* token.c: the raw function list, the raw R/W session of an open token,
 * whether it is logged in, and the name of a CK_RV (a static string, or
 * for an unknown value a per-thread buffer valid until the next call). */
CK_FUNCTION_LIST_PTR kc_tok_funcs(const struct kc_token *tok);
CK_SESSION_HANDLE kc_tok_session(const struct kc_token *tok);
int kc_tok_logged_in(const struct kc_token *tok);
const char *kc_tok_ckr(CK_RV rv);

/* token.c: the CK_RV libp11 queued on the OpenSSL error stack, or
 * CKR_GENERAL_ERROR when there is none; empties the queue. */
CK_RV kc_tok_p11_last_rv(void);

/* token.c: copies a blank-padded PKCS#11 string of n bytes into dst
 * (dstlen bytes, NUL-terminated, control characters as '?'). */
void kc_tok_padded_copy(char *dst, size_t dstlen, const unsigned char *src,
    size_t n);

/* token.c: up to max handles of class cls with the label and/or CKA_ID
 * given (NULL: any) into h, their number in *n. */
int kc_tok_find_objects(struct kc_token *tok, CK_OBJECT_CLASS cls,
    const char *label, const unsigned char *id, size_t idlen,
    CK_OBJECT_HANDLE *h, size_t max, size_t *n);

/* token.c: KC_ERR_INTERNAL unless tok is logged in. */
int kc_tok_need_login(struct kc_token *tok);

/* token.c: KC_ERR_USAGE for an empty key label, one over 64 bytes or one
 * with control characters. */
int kc_tok_check_key_label(const char *label);

/* token.c: one attribute of h into buf (*len in: its size, out: the
 * attribute's length); the CK_RV of C_GetAttributeValue. */
CK_RV kc_tok_get_attr(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG *len);

/* token.c: a variable-length attribute (1 to 65536 bytes) into *out,
 * malloc'd: the caller frees it with free(). name is for messages. */
int kc_tok_get_attr_alloc(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, const char *name, unsigned char **out,
    size_t *outlen);

/* token.c: a CK_BBOOL attribute: 1 TRUE, 0 FALSE, -1 unreadable. */
int kc_tok_bool_attr(struct kc_token *tok, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type);

/* token.c: the DER OIDs of P-256 and P-384, as CKA_EC_PARAMS. */
extern const unsigned char kc_tok_oid_p256[10];
extern const unsigned char kc_tok_oid_p384[7];

/* token_keys.c: reads the policy attributes of the private key h into
 * *attrs (may be NULL) and checks them; what names the key in messages. */
int kc_tok_check_priv(struct kc_token *tok, CK_OBJECT_HANDLE h,
    const char *what, struct kc_key_attrs *attrs);

/* token_keys.c: "CKA_VERIFY=TRUE CKA_ENCRYPT=FALSE CKA_WRAP=FALSE" of the
 * public object h into buf (shown, not enforced). */
void kc_tok_pub_usage(struct kc_token *tok, CK_OBJECT_HANDLE h, char *buf,
    size_t sz);

/* token_keys.c: the one private key labelled label (KC_ERR_NOTFOUND for
 * none, KC_ERR_POLICY for more than one). */
int kc_tok_find_priv(struct kc_token *tok, const char *label,
    CK_OBJECT_HANDLE *h);

/* token_wrap.c, for token_wrap_probe.c: C_CreateObject of the AES wrap
 * key key (trusted: CKA_TRUSTED=TRUE; priv: CKA_PRIVATE; keep_label: a
 * token object so labelled, else a session object); C_WrapKey of hkey
 * under hwrap with CKM_AES_KEY_WRAP_PAD into *blob (malloc'd: the caller
 * frees it); C_UnwrapKey with the restore template (token: CKA_TOKEN,
 * priv: CKA_PRIVATE; label and id may be NULL). */
CK_RV kc_tok_wrapkey_create(struct kc_token *tok, const struct kc_secret *key,
    int trusted, int priv, const char *keep_label, CK_OBJECT_HANDLE *h);
CK_RV kc_tok_wrap_raw(struct kc_token *tok, CK_OBJECT_HANDLE hwrap,
    CK_OBJECT_HANDLE hkey, unsigned char **blob, size_t *len);
CK_RV kc_tok_unwrap_raw(struct kc_token *tok, CK_OBJECT_HANDLE hwrap,
    const unsigned char *blob, size_t len, CK_KEY_TYPE kt, int token,
    int priv, const char *label, const unsigned char *id, size_t idlen,
    CK_OBJECT_HANDLE *h);

/* token_mech.c: fills ti's mi_* from C_GetMechanismInfo of slot id (a
 * mechanism the module refuses to describe stays 0..0, flags 0). */
void kc_tok_mech_info(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID id,
    struct kc_token_info *ti);

#endif

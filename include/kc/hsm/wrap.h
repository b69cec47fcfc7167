/*
 * kc/hsm/wrap.h: root key backup through the token (issue 17), standard
 * PKCS#11 v2.40 only (src/hsm/token_wrap.c).
 *
 * A backup-capable root key is generated CKA_SENSITIVE=TRUE,
 * CKA_EXTRACTABLE=TRUE, CKA_WRAP_WITH_TRUSTED=TRUE (struct kc_key_template
 * .backup, kc/hsm/token.h): it can leave the token only wrapped under a
 * key the security officer marked CKA_TRUSTED. The wrap key is an AES-256
 * CKO_SECRET_KEY that can only wrap and unwrap (CKA_WRAP, CKA_UNWRAP;
 * sensitive, not extractable); its 32 clear bytes come from the token's
 * RNG into locked memory (struct kc_secret) and are split K-of-N among
 * custodians by the caller. Wrapping is C_WrapKey with
 * CKM_AES_KEY_WRAP_PAD (RFC 5649), restoring C_UnwrapKey with a template
 * that makes the key sensitive, sign-only and CKA_WRAP_WITH_TRUSTED again.
 *
 * Ownership: handles of wrap keys (unsigned long) are the token's objects,
 * valid until kc_token_wrapkey_destroy() or, for a session object, until
 * kc_token_close(); blobs are malloc'd and the caller frees them with
 * free() (a wrapped key is not a secret: without the wrap key it is
 * noise); secrets stay the caller's.
 */
#ifndef KC_WRAP_H
#define KC_WRAP_H

#include <stddef.h>

#include <openssl/evp.h>

#include "kc/core/secret.h"
#include "kc/hsm/token.h"

#define KC_WRAP_KEY_LEN		32	/* AES-256 */
#define KC_WRAP_BLOB_MAX	8192	/* a wrapped RSA-4096 key is ~2.4 KB */
#define KC_WRAP_MECH_NAME	"CKM_AES_KEY_WRAP_PAD"
/* CKA_APPLICATION of the record `backup restore` leaves beside a restored
 * key (a CKO_DATA object labelled like the key, CKA_VALUE its CKA_ID): the
 * key policy accepts CKA_LOCAL=FALSE and CKA_ALWAYS_SENSITIVE=FALSE only
 * for a key that has it. */
#define KC_RESTORE_APP		"keyceremony backup restore"

/*
 * Fills key (capacity >= KC_WRAP_KEY_LEN) with KC_WRAP_KEY_LEN bytes of the
 * token's RNG. key stays the caller's.
 */
int kc_token_wrapkey_random(struct kc_token *tok, struct kc_secret *key);

/*
 * Imports key (KC_WRAP_KEY_LEN bytes) as the token's wrap key and reads it
 * back (class, AES, 32 bytes, sensitive, not extractable, wrap and unwrap
 * only, trusted when asked); a wrong read-back destroys it (KC_ERR_POLICY).
 *  - so_pin != NULL: made CKA_TRUSTED=TRUE by the security officer. tok
 *    must not be logged in: the SO logs in on tok's session, creates the
 *    key as a public object (the SO may create no private one; the key
 *    stays sensitive and unreadable), and logs out again.
 *  - so_pin == NULL: tok must be logged in as the user; the key is a
 *    private object without CKA_TRUSTED (enough to unwrap).
 * keep_label NULL: a session object, gone at kc_token_close() whatever
 * happens to the process; otherwise a token object with that label.
 * *h: its handle.
 */
int kc_token_wrapkey_import(struct kc_token *tok, const struct kc_secret *key,
    const struct kc_secret *so_pin, const char *keep_label, unsigned long *h);

/* Destroys the wrap key h (a session object the SO made needs no login;
 * others need the user's). */
int kc_token_wrapkey_destroy(struct kc_token *tok, unsigned long h);

/*
 * C_WrapKey of the private key key_label (needs login) under the wrap key
 * h with CKM_AES_KEY_WRAP_PAD. The key must read CKA_SENSITIVE=TRUE,
 * CKA_EXTRACTABLE=TRUE and CKA_WRAP_WITH_TRUSTED=TRUE (KC_ERR_POLICY
 * otherwise: a key generated without backup never leaves). A module that
 * refuses (CKR_KEY_NOT_WRAPPABLE for an untrusted wrap key,
 * CKR_MECHANISM_INVALID...) gives KC_ERR_PKCS11 naming the CK_RV. *blob
 * (*len bytes, at most KC_WRAP_BLOB_MAX): the caller frees it with free().
 */
int kc_token_wrap(struct kc_token *tok, unsigned long h, const char *key_label,
    unsigned char **blob, size_t *len);

/*
 * C_UnwrapKey of blob under the wrap key h into a new private key
 * labelled label (needs login; the label must be free): CKA_TOKEN,
 * CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE and CKA_WRAP_WITH_TRUSTED
 * TRUE, CKA_SIGN the only usage, CKA_MODIFIABLE=FALSE, a fresh CKA_ID;
 * then the public key object of pub (the public key of the backed-up key,
 * EC P-256/P-384 or RSA) with the same CKA_ID, and the restore record
 * (KC_RESTORE_APP). The new key is read back against the key policy; on
 * any failure every object made is destroyed. pub stays the caller's.
 */
int kc_token_unwrap(struct kc_token *tok, unsigned long h,
    const unsigned char *blob, size_t len, const char *label, EVP_PKEY *pub);

/* The public key and restore record a restore killed before its
 * C_UnwrapKey left under label (no private key): removed, 1; 0 when label
 * holds anything else or nothing. Needs login. kc_token_unwrap does it
 * itself; a ceremony's preflight calls it before it refuses a label. */
int kc_token_restore_stale(struct kc_token *tok, const char *label);

/* What a module does for a backup (kc_token_wrap_probe). */
struct kc_wrap_caps {
	int	aes_wrap_pad;	/* CKM_AES_KEY_WRAP_PAD with CKF_WRAP/UNWRAP */
	int	trusted;	/* the SO's CKA_TRUSTED reads TRUE */
	int	wrap_with_trusted; /* refused: wrapping under an untrusted key */
	int	wrap_private;	/* a private key wrapped under a trusted key */
	int	unwrap_private;	/* and unwrapped again */
	int	ok;		/* all of the above */
	char	why[256];	/* the first that failed, one line; "" if ok */
};

/*
 * Tries all of kc_wrap_caps with session objects only (nothing is left in
 * the token, even if the process dies): the SO logs in (tok must not be
 * logged in), makes a trusted and an untrusted AES key and a backup-capable
 * EC P-256 pair, wraps the private key under both, unwraps it, destroys
 * everything and logs out. KC_OK when the probe ran (caps->ok says the
 * result); an error when it could not (wrong SO PIN...).
 */
int kc_token_wrap_probe(struct kc_token *tok, const struct kc_secret *so_pin,
    struct kc_wrap_caps *caps);

/*
 * The preflight of a ceremony whose root key step asks for a backup (and
 * `token probe --backup`): kc_token_wrap_probe, then KC_OK when the module
 * can do all of it, else KC_ERR_POLICY "token 'L' cannot take part in a
 * root key backup ceremony: <the reason>". caps (may be NULL) gets what
 * was found.
 */
int kc_token_backup_check(struct kc_token *tok, const struct kc_secret *so_pin,
    struct kc_wrap_caps *caps);

/* What can be checked without the SO: the module offers
 * CKM_AES_KEY_WRAP_PAD for wrapping and unwrapping. KC_OK, or
 * KC_ERR_POLICY with the same message as kc_token_backup_check. */
int kc_token_backup_mech_check(struct kc_token *tok);

#endif

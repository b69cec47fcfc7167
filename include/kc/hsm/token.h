/*
 * kc/hsm/token.h: the token layer. src/hsm/token*.c are the only files in the
 * project that include libp11.h or PKCS#11 headers; everything else sees
 * these opaque handles and OpenSSL types.
 *
 * Ownership: kc_token_load() returns a context the caller frees with
 * kc_token_unload(); kc_token_open() returns a session handle on one token,
 * freed with kc_token_close() (which logs out) before the context is
 * unloaded. EVP_PKEYs returned here are new references the caller frees
 * with EVP_PKEY_free(); private ones stay bound to the open token handle
 * and must be freed before kc_token_close(). Each function below says who
 * owns what it returns: "caller frees with X", "borrowed until Y" (memory
 * of the handle: do not free it), "static" (never freed), or the caller's
 * buffer. Strings that come from the module or the token are raw: escape
 * them (kc_disp) for display.
 */
#ifndef KC_TOKEN_H
#define KC_TOKEN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "kc/core/secret.h"
#include "kc/core/x509.h"

struct kc_token_ctx;
struct kc_token;

struct kc_token_info {
	unsigned long	slot_id;
	char		slot_desc[65];
	int		present;	/* a token is in the slot */
	char		label[33];
	char		serial[17];
	char		manufacturer[33];
	char		model[17];
	char		hw_version[8];	/* "2.6" (C_GetTokenInfo) */
	char		fw_version[8];
	unsigned long	min_pin, max_pin; /* PIN length in bytes; 0 unknown */
	int		initialized;
	int		user_pin_initialized;
	int		login_required;
	int		has_rng;
	int		pin_count_low;	/* a wrong PIN was entered */
	int		pin_final_try;	/* the next wrong PIN locks the token */
	int		pin_locked;
	/* mechanisms a ceremony needs */
	int		mech_ec_keygen;	/* CKM_EC_KEY_PAIR_GEN */
	int		mech_ecdsa;	/* CKM_ECDSA */
	int		mech_rsa_keygen; /* CKM_RSA_PKCS_KEY_PAIR_GEN */
	int		mech_rsa_pkcs;	/* CKM_RSA_PKCS */
	/* What C_GetMechanismInfo states (token_mech.c): key sizes as the
	 * module gives them (RSA in bits; EC in bits for every module
	 * measured), 0..0 when it does not say; CKF_EC_* flags of the EC
	 * mechanisms (none at all: not stated, not refused). */
	struct kc_mech_sizes {
		int		present;
		unsigned long	min, max, flags;
	} mi_ec_gen, mi_ecdsa, mi_rsa_gen, mi_rsa_pkcs, mi_rsa_sha256,
	  mi_rsa_sha384;
};

/* Loads a PKCS#11 module. module NULL means the default: KEYCEREMONY_MODULE
 * from the environment, else the SoftHSM module found at configure time.
 * One context per process at a time (a second load fails until the first
 * is unloaded: unloading finalizes the module for everyone). *out: a new
 * context, the caller frees it with kc_token_unload() after closing every
 * token opened on it; NULL on error. module is copied. */
int kc_token_load(const char *module, struct kc_token_ctx **out);
/* Finalizes what kc_token_load initialised and frees ctx; NULL: no-op. */
void kc_token_unload(struct kc_token_ctx *ctx);
/* The module path actually loaded: borrowed until kc_token_unload(ctx). */
const char *kc_token_module(const struct kc_token_ctx *ctx);

/* The module file as it was loaded, and what C_GetInfo says about it
 * (borrowed until kc_token_unload(ctx)). kc_token_load() refuses a module
 * that someone other than root and the caller could have replaced: the
 * file, or a directory on its real path (symbolic links resolved), writable
 * by group or others (sticky ones such as /tmp too) or owned by another
 * user. It then hashes the very file it loads. Strings come from the
 * module: escape them for display. */
struct kc_module_info {
	char			realpath[4096];
	char			sha256[65];
	unsigned long long	size;
	char			manufacturer[33];	/* manufacturerID */
	char			description[33];	/* libraryDescription */
	char			version[16];		/* libraryVersion */
	char			cryptoki[16];		/* cryptokiVersion */
};
const struct kc_module_info *kc_token_module_info(
    const struct kc_token_ctx *ctx);

/* The environment variables that decide what code runs beside the module
 * or which configuration the module and OpenSSL read, recorded by every
 * ceremony: kc_token_env_name(i) for i = 0, 1, ... until NULL
 * (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH, OPENSSL_CONF, OPENSSL_MODULES,
 * OPENSSL_ENGINES, SOFTHSM2_CONF). Static strings. */
const char *kc_token_env_name(size_t i);
/* 1 when foreign code is preloaded into this process (LD_PRELOAD or
 * LD_AUDIT set, or /etc/ld.so.preload not empty), with what in the
 * caller's buffer why (whysz bytes, "" when 0); 0 when not. kc_token_open()
 * refuses such a process for any token that is not a rehearsal token. */
int kc_token_preloaded(char *why, size_t whysz);
/* 1 for a rehearsal token: one of the software tokens of
 * kc_token_rehearsal_kind(). */
int kc_token_is_rehearsal(const struct kc_token_info *ti);
/* What kind of software token ti is, by what it reports (measured):
 * "SoftHSM" (manufacturer or model says SoftHSM), "the openCryptoki soft
 * token" (manufacturer IBM..., model "IBM SoftTok"), "tpm2-pkcs11 on a
 * software TPM" (manufacturer "IBM", model "SW   TPM": swtpm); NULL for any
 * other token (hardware or unknown: production). A static string. */
const char *kc_token_rehearsal_kind(const struct kc_token_info *ti);

/* 1 when the token can generate a key of alg and sign with it: the
 * key-pair mechanism with alg's size inside its stated range (and, for EC,
 * prime-field named curves and uncompressed points when any CKF_EC_* flag
 * is stated), and CKM_ECDSA, or for RSA CKM_SHA256/384_RSA_PKCS or
 * CKM_RSA_PKCS, covering the size. 0 when not, with a one-line reason in
 * the caller's buffer why ("rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN
 * sizes 1024..3072"). */
int kc_token_alg_offered(const struct kc_token_info *ti, enum kc_alg alg,
    char *why, size_t whysz);
/* The same for signing only (an existing key of alg). */
int kc_token_sign_offered(const struct kc_token_info *ti, enum kc_alg alg,
    char *why, size_t whysz);
/* The root-key algorithms kc_token_alg_offered() accepts, in the order
 * ec-p384 ec-p256 rsa-3072 rsa-4096, blank-separated ("" for none), into
 * the caller's buffer. */
void kc_token_algs_offered(const struct kc_token_info *ti, char *buf,
    size_t bufsz);
/* "CKM_EC_KEY_PAIR_GEN 256..521 bits [F_P OID uncompressed]"-style text
 * of one kc_mech_sizes for display, into the caller's buffer. */
void kc_token_mech_text(const char *name, const struct kc_mech_sizes *m,
    char *buf, size_t bufsz);

/* 1 when any object the session can see (public objects without login,
 * every object after it) carries CKA_LABEL label, with its class
 * ("public key", "private key", "secret key", "certificate", "data") in
 * the caller's buffer what; 0 when none does; <0 on error. Needs no
 * login. */
int kc_token_label_used(struct kc_token *tok, const char *label,
    char *what, size_t whatsz);
/* The default module path (see kc_token_load): borrowed from the
 * environment (until KEYCEREMONY_MODULE changes) or static. */
const char *kc_token_default_module(void);

/* Every slot of the module, with or without a token. *infos (n entries,
 * NULL when none) is the caller's: free it with free(). */
int kc_token_list(struct kc_token_ctx *ctx, struct kc_token_info **infos,
    size_t *n);

/* Initialises the token in the first slot that has an uninitialised token
 * (SoftHSM always offers one), with this label, SO PIN and user PIN. */
int kc_token_init(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const struct kc_secret *user_pin);
/* The same; so_file / user_file (NULL: typed) name the PINs in the message
 * when a PIN's length is outside the token's ulMinPinLen..ulMaxPinLen,
 * checked before anything is sent to the token. */
int kc_token_init_named(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const char *so_file,
    const struct kc_secret *user_pin, const char *user_file);

/* Opens the token whose label matches exactly (labels are unique or the
 * call fails); serial, when not NULL, must match too. Refused
 * (KC_ERR_POLICY) when kc_token_preloaded() and the token is not a
 * rehearsal token. *out: a new handle that borrows ctx; the caller frees
 * it with kc_token_close() before kc_token_unload(ctx); NULL on error. */
int kc_token_open(struct kc_token_ctx *ctx, const char *label,
    const char *serial, struct kc_token **out);
/* Closes the session, logs out, releases libp11's slots (and its copy of
 * the PIN) and frees tok; NULL: no-op. */
void kc_token_close(struct kc_token *tok);
/* The token as listed when opened (PIN flags refreshed by the login):
 * borrowed until kc_token_close(tok). */
const struct kc_token_info *kc_token_get_info(const struct kc_token *tok);

/* Logs in as the user. A wrong PIN gives KC_ERR_PIN naming
 * CKR_PIN_INCORRECT and how many tries the token reports; a locked PIN
 * gives KC_ERR_PIN naming CKR_PIN_LOCKED. */
int kc_token_login(struct kc_token *tok, const struct kc_secret *pin);
/* The same; a PIN whose length is outside the token's ulMinPinLen ..
 * ulMaxPinLen is refused before C_Login (no try spent), the message naming
 * pin_file (NULL: the PIN was typed or combined from shares). */
int kc_token_login_file(struct kc_token *tok, const struct kc_secret *pin,
    const char *pin_file);

/* len random bytes from the token's RNG (C_GenerateRandom) into the
 * caller's buf. */
int kc_token_random(struct kc_token *tok, unsigned char *buf, size_t len);

/* 1 if a private or public key with this label exists, 0 if not, <0 on
 * error. Needs login. */
int kc_token_key_exists(struct kc_token *tok, const char *label);

/* Generates a sign-only, sensitive, never-extractable key pair inside the
 * token (raw C_GenerateKeyPair), then reads the attributes back
 * (kc_token_key_check) and destroys the pair if they are wrong. Both halves
 * are made CKA_MODIFIABLE=FALSE and the private one CKA_COPYABLE=FALSE
 * (left out only when the module does not know the attribute:
 * CKR_ATTRIBUTE_TYPE_INVALID); both are read back too. CKA_DESTROYABLE is
 * left as the module makes it. Refuses an existing label. */
int kc_token_keygen(struct kc_token *tok, const char *label, enum kc_alg alg);

/* A site profile's key-template (token_tmpl.c): attributes added to or
 * left out of the public ([0]) and private ([1]) templates of
 * kc_token_keygen for a vendor's module. It can never make the private key
 * extractable, non-sensitive, or able to decrypt, unwrap, derive, encrypt,
 * wrap or sign-recover, nor change what keyceremony sets itself (label,
 * ID, curve, size, CKA_TOKEN...): kc_key_template_add/omit refuse such an
 * entry with a one-line reason in why (-1; 0 when taken), and
 * kc_token_keygen_tmpl checks the whole template again. name: "CKA_VERIFY"
 * or a vendor attribute "0x80000001"; value: true / false (vendor ones
 * also a decimal number or hex:BYTES). */
#define KC_TMPL_MAX 8
struct kc_tmpl_attr {
	unsigned long	type;
	unsigned char	val[32];
	size_t		len;
};
struct kc_key_template {
	struct kc_tmpl_attr	add[2][KC_TMPL_MAX];
	size_t			nadd[2];
	unsigned long		omit[2][KC_TMPL_MAX];
	size_t			nomit[2];
	/* Not from the site profile: set by a ceremony with backup (issue
	 * 17, kc/hsm/wrap.h): the private key is made CKA_EXTRACTABLE=TRUE
	 * and CKA_WRAP_WITH_TRUSTED=TRUE (still sensitive, sign-only), so it
	 * can leave the token only wrapped under a CKA_TRUSTED key. */
	int			backup;
};
int kc_key_template_add(struct kc_key_template *t, int priv,
    const char *name, const char *value, char *why, size_t whysz);
int kc_key_template_omit(struct kc_key_template *t, int priv,
    const char *name, char *why, size_t whysz);
int kc_key_template_check(const struct kc_key_template *t, char *why,
    size_t whysz);
/* "public +CKA_VERIFY=TRUE, private -CKA_COPYABLE" ("(none)"), into the
 * caller's buffer. */
void kc_key_template_text(const struct kc_key_template *t, char *buf,
    size_t sz);
/* "CKA_VERIFY" (static), or "0x80000001" for another attribute (a
 * per-thread buffer, valid until the next call in the thread). */
const char *kc_key_template_attr_name(unsigned long type);
/* kc_token_keygen with the template t (NULL: none) applied. */
int kc_token_keygen_tmpl(struct kc_token *tok, const char *label,
    enum kc_alg alg, const struct kc_key_template *t);

/* Destroys both halves of a key pair (used to roll back a failed
 * ceremony step; never on a key that signed anything). */
int kc_token_key_destroy(struct kc_token *tok, const char *label);

struct kc_key_attrs {
	int sensitive, always_sensitive, never_extractable, extractable,
	    local, sign, decrypt, unwrap, derive, token, private_;
	int modifiable, copyable;	/* read, not checked; -1 unknown */
	int wrap_with_trusted;		/* -1 unknown */
	int restored;			/* the restore record is there */
};
/* Reads the private key's attributes and checks them: SENSITIVE,
 * ALWAYS_SENSITIVE, NEVER_EXTRACTABLE, LOCAL, SIGN true; EXTRACTABLE,
 * DECRYPT, UNWRAP, DERIVE false. A backup-capable key
 * (CKA_WRAP_WITH_TRUSTED=TRUE, kc/hsm/wrap.h) may read EXTRACTABLE=TRUE
 * and NEVER_EXTRACTABLE=FALSE; one restored by `backup restore` (its
 * restore record, KC_RESTORE_APP, is in the token) also LOCAL=FALSE and
 * ALWAYS_SENSITIVE=FALSE. KC_ERR_POLICY names the first wrong one.
 * attrs (may be NULL) is the caller's, filled as read. */
int kc_token_key_check(struct kc_token *tok, const char *label,
    struct kc_key_attrs *attrs);

/* The private key as an EVP_PKEY usable with X509_sign/X509_CRL_sign, and
 * the public key. Checks the attributes first, then runs a sign-and-verify
 * self-test. Either out-pointer may be NULL. *priv and *pub are new
 * references the caller frees with EVP_PKEY_free(); *priv signs through
 * tok's session, so it is freed before kc_token_close(tok); both NULL on
 * error. */
int kc_token_key_get(struct kc_token *tok, const char *label,
    EVP_PKEY **priv, EVP_PKEY **pub);
/* The same; cert (may be NULL) is the key's certificate, whose public key
 * is used when the token has no public key object and the private one
 * does not show it (CKA_EC_POINT, CKA_MODULUS). Every signature of *priv
 * is a C_Sign of the token: RSA with CKM_SHA256/384_RSA_PKCS when the
 * token offers the one of the digest, else CKM_RSA_PKCS over a DigestInfo;
 * EC with CKM_ECDSA over the digest. cert stays the caller's. */
int kc_token_key_get_cert(struct kc_token *tok, const char *label,
    const X509 *cert, EVP_PKEY **priv, EVP_PKEY **pub);
/* The mechanism of the token's last signature ("CKM_SHA256_RSA_PKCS"),
 * and where the last kc_token_key_get*() took the public key from, with
 * the public object's usage flags as read ("the public key object
 * (CKA_VERIFY=TRUE CKA_ENCRYPT=FALSE CKA_WRAP=FALSE)"); "" before any.
 * The flags are shown, not enforced. Both borrowed from tok: valid until
 * the next kc_token_key_get*() or kc_token_close(tok). */
const char *kc_token_sign_mech(const struct kc_token *tok);
const char *kc_token_pub_source(const struct kc_token *tok);

/* One private key of a token, as kc_token_key_list() sees it. */
struct kc_key_info {
	char		label[65];
	char		id_hex[65];	/* CKA_ID, lower-case hex (truncated) */
	enum kc_alg	alg;		/* KC_ALG_NONE: not a usable EC/RSA key */
	int		has_public;	/* a public key with the same CKA_ID */
	char		pub_usage[64];	/* its CKA_VERIFY/ENCRYPT/WRAP, shown */
	int		policy_ok;	/* kc_token_key_check() would pass */
	char		policy[192];	/* why not, "" when policy_ok */
	int		modifiable, copyable;	/* -1: the module does not say */
	/* issue 17 (kc/hsm/wrap.h), for display: backup-capable (sensitive,
	 * extractable only wrapped under a CKA_TRUSTED key), restored by
	 * `backup restore` (its record is there), and the attributes that
	 * say so honestly (1 TRUE, 0 FALSE, -1 unreadable) */
	int		backup, restored;
	int		never_extractable, always_sensitive, local;
};
/* The private keys of the token (needs login). *keys (n entries, NULL
 * when none) is the caller's: free it with free(). */
int kc_token_key_list(struct kc_token *tok, struct kc_key_info **keys,
    size_t *n);

/* ---- token probe (token_probe.c) ---- */

/* Every object the session sees (after login: all of them), one line per
 * object "class label=... id=... type=...", sorted, in a malloc'd string
 * (escape it for display) the caller frees with free(); *count objects.
 * For `token probe`'s before and after comparison. */
int kc_token_objects(struct kc_token *tok, char **list, size_t *count);

/* The public key object with this label, as read back into the caller's
 * *pa. */
struct kc_pub_attrs {
	int verify, encrypt, wrap, token, private_, modifiable; /* -1 unknown */
	int objects;			/* public key objects with the label */
};
int kc_token_pub_attrs(struct kc_token *tok, const char *label,
    struct kc_pub_attrs *pa);

#endif

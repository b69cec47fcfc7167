/*
 * factory_int.h: internals of factorysign's signer shared by factory.c,
 * factory_fast.c, formats.c and factory_check.c. Not installed.
 */
#ifndef KC_FACTORY_INT_H
#define KC_FACTORY_INT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/factory.h"

/* A device CSR taken apart without OpenSSL's generic decoders. Pointers
 * point into the caller's DER buffer. */
struct kc_fcsr {
	const unsigned char *cri;	size_t cri_len;	/* signed part, TLV */
	const unsigned char *subject;	size_t subject_len;	/* Name TLV */
	const unsigned char *spki;	size_t spki_len;	/* TLV */
	const unsigned char *keybits;	size_t keybits_len;	/* BIT STRING
							   value, no pad byte */
	const unsigned char *attrs;	size_t attrs_len; /* [0] contents */
	const unsigned char *sig;	size_t sig_len;
	const EVP_MD	*md;		/* of the CSR signature */
	int		 sig_ec;	/* ECDSA (else RSA PKCS#1 v1.5) */
	enum kc_alg	 alg;		/* of the subject key */
	char		 cn[KC_FACTORY_ID_MAX + 1];
	char		 ignored[256];
};

/* The signing side: the intermediate's key and the parts of every device
 * certificate that do not change. */
struct kc_signer {
	EVP_PKEY	*key;
	EVP_PKEY_CTX	*sign_ctx;	/* EVP_PKEY_sign, md set */
	const EVP_MD	*md;		/* fetched once */
	const EVP_MD	*sha256, *sha384, *sha512;
	EVP_PKEY_CTX	*ec_import;	/* EVP_PKEY_fromdata for EC keys */
	unsigned char	 sigalg[24];	size_t sigalg_len;
	unsigned char	*issuer;	size_t issuer_len;
	unsigned char	 akid[64];	size_t akid_len;
	time_t		 ca_not_before, ca_not_after;
};

int kc_signer_init(struct kc_signer *s, EVP_PKEY *key, const X509 *ca);
void kc_signer_clear(struct kc_signer *s);

/* Parses a CSR (DER). name is for messages. */
int kc_fcsr_parse(const unsigned char *der, size_t len, const char *name,
    struct kc_fcsr *c);
/* Key policy and self-signature. */
int kc_fcsr_verify(struct kc_signer *s, struct kc_fcsr *c, const char *name);
/* Subject (kc_name_check), CN = registration ID rules, requested
 * extensions (CA:TRUE refused, the rest noted in c->ignored). */
int kc_fcsr_check(struct kc_fcsr *c, const char *name);

/* Builds and signs a device (or verification) certificate: *der is
 * malloc'd. keyenc adds keyEncipherment (RSA subject keys). */
int kc_signer_issue(struct kc_signer *s, const unsigned char *subject,
    size_t subject_len, const unsigned char *spki, size_t spki_len,
    const unsigned char *keybits, size_t keybits_len, int keyenc,
    const unsigned char serial[KC_SERIAL_LEN], time_t nb, time_t na,
    unsigned char **der, size_t *der_len);

/* PEM of a DER certificate appended to a growing buffer. */
struct kc_buf {
	char	*p;
	size_t	 len, cap;
};
int kc_buf_add(struct kc_buf *b, const void *data, size_t len);
int kc_buf_pem(struct kc_buf *b, const char *label, const unsigned char *der,
    size_t len);
void kc_buf_free(struct kc_buf *b);

/* Output formats (formats.c). */
struct kc_outputs {
	const char	*id;
	const char	*leaf_pem;	size_t leaf_len;
	const char	*chain_pem;	size_t chain_len;	/* leaf + inter */
	const char	*full_pem;	size_t full_len;	/* + root */
	EVP_PKEY	*key;		/* generated here; NULL otherwise */
	X509		*leaf;		/* needed for pfx only */
	const X509	*inter, *root;
};
/* Renders one format into buf (no files). */
int kc_format_pfx(const struct kc_outputs *o, const struct kc_secret *pass,
    struct kc_buf *buf);
int kc_format_c(const struct kc_outputs *o, const char *key_pem,
    struct kc_buf *buf);
int kc_format_at(const struct kc_outputs *o, const char *key_pem,
    int sec_tag, struct kc_buf *buf);
/* Private key PEM: PKCS#8, encrypted (AES-256-CBC, PBKDF2 or scrypt) when
 * pass is not NULL. */
int kc_key_pem(EVP_PKEY *key, const struct kc_secret *pass, int scrypt,
    struct kc_buf *buf);
/* Loads an (encrypted) private key PEM; a wrong passphrase is KC_ERR_PIN. */
int kc_key_load(const char *path, const struct kc_secret *pass,
    EVP_PKEY **out);

#endif

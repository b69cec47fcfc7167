/*
 * token_sign.h: between token.c and the token layer's signing and
 * public-key files (token_sign.c, token_pubkey.c); libkc-hsm internal. Like
 * token.c these include the PKCS#11 headers; nothing else does.
 */
#ifndef KC_TOKEN_SIGN_H
#define KC_TOKEN_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "kc/hsm/token.h"

/* A private key in an open, logged-in session. */
struct kc_tsign_key {
	CK_FUNCTION_LIST_PTR	 f;
	CK_SESSION_HANDLE	 session;
	CK_OBJECT_HANDLE	 key;
	int			 rsa;		/* 0: EC */
	int			 sha256_rsa;	/* the token offers */
	int			 sha384_rsa;	/* CKM_SHA384_RSA_PKCS */
	int			 sha512_rsa;	/* CKM_SHA512_RSA_PKCS */
	char			 label[65];	/* for messages */
	char			 token[33];
	char			*used;		/* gets the mechanism name */
	size_t			 usedsz;	/* of every signature */
	const char		*(*ckr)(CK_RV);	/* CK_RV names (token.c) */
};

/* Which of CKM_SHA256/384/512_RSA_PKCS the token in slot offers
 * (C_GetMechanismList; none when it fails). */
void kc_tsign_mechs(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot,
    struct kc_tsign_key *k);

/* The PKCS#11 mechanism a signature with digest md uses: for RSA the
 * hash-and-sign mechanism of md when the token offers it, else
 * CKM_RSA_PKCS over a DigestInfo; for EC CKM_ECDSA over the digest. */
const char *kc_tsign_mech_name(const struct kc_tsign_key *k,
    const EVP_MD *md);

/* A new EVP_PKEY with pub's public key whose every signature
 * (EVP_DigestSign, X509_sign, X509_CRL_sign) is made by C_Sign with the
 * mechanism above on k->key in k->session; EVP_PKEY_sign is refused. The
 * session must outlive the EVP_PKEY. */
int kc_tsign_pkey(const struct kc_tsign_key *k, EVP_PKEY *pub,
    EVP_PKEY **out);

#endif

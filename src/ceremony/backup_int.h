/*
 * backup_int.h: between cmd_backup.c (keyceremony backup create/restore)
 * and backup_medium.c (the backup medium's files and the wrap key's
 * shares). See docs/keyceremony.1, "backup".
 *
 * A backup medium is a directory holding, for one root key:
 *   backup.manifest   what the backup is (struct kc_bk_manifest), written
 *                     last: a medium without it holds no backup;
 *   backup.wrapped    the key wrapped with CKM_AES_KEY_WRAP_PAD (0600);
 *   backup.pub.pem    its public key;
 *   backup.root.pem   the root certificate, when --issuer was given.
 * The wrap key's shares never go there: one sheet per custodian.
 */
#ifndef KC_BACKUP_INT_H
#define KC_BACKUP_INT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/secret.h"

#define KC_BK_MANIFEST	"backup.manifest"
#define KC_BK_WRAPPED	"backup.wrapped"
#define KC_BK_PUB	"backup.pub.pem"
#define KC_BK_ROOT	"backup.root.pem"
#define KC_BK_MANIFEST_MAX 4096

struct kc_bk_manifest {
	char	key_label[65];
	char	token_label[33];
	char	token_serial[17];
	char	alg[16];		/* kc_alg_name() */
	size_t	wrapped_bytes;
	char	wrapped_sha256[65];
	char	pub_sha256[65];		/* SHA-256 of the SubjectPublicKeyInfo */
	char	cert_sha256[65];	/* of backup.root.pem's DER; "" none */
	char	set_id[7];		/* the shares' set (kc/ceremony/quorum.h) */
	int	k, n;
	char	created[32];		/* UTC */
};

/* "DIR/name" into buf (KC_ERR_USAGE when too long). */
int kc_bk_path(const char *dir, const char *name, char *buf, size_t sz);

/* The manifest as text (malloc'd: the caller frees it), and back: parse
 * refuses (KC_ERR_INPUT naming path) anything but the exact fields. */
int kc_bk_manifest_text(const struct kc_bk_manifest *m, char **out,
    size_t *len);
int kc_bk_manifest_read(const char *path, struct kc_bk_manifest *m);

/* SHA-256 of pub's SubjectPublicKeyInfo (DER), hex. */
int kc_bk_pub_sha256(EVP_PKEY *pub, char out[65]);

/* The wrap key (KC_WRAP_KEY_LEN bytes) split K-of-N: shares[0..n-1] new
 * secrets holding the share texts (the caller frees each). */
int kc_bk_split(const struct kc_secret *key, int k, int n,
    struct kc_secret *shares[]);
/* The wrap key rebuilt from the K shares of q into a new secret (locked
 * memory) the caller frees; KC_ERR_INPUT when they do not make one. */
int kc_bk_combine(const struct kc_quorum *q, struct kc_secret **key);

/* One share sheet's text (malloc'd: the caller frees it with
 * OPENSSL_clear_free(*out, *len)). custodian may be NULL. */
int kc_bk_sheet(const struct kc_quorum_info *qi, const char *share,
    const struct kc_bk_manifest *m, const char *custodian, char **out,
    size_t *len);

/* Reads and checks the medium dir against its manifest m: the wrapped
 * blob (size, SHA-256) into *blob (the caller frees it), the public key
 * (its SHA-256) into *pub, the root certificate (when the manifest names
 * one, or cert_path is given: its public key must be pub) into *cert (NULL
 * when none). Nothing is sent to a token. */
int kc_bk_medium_load(const char *dir, const struct kc_bk_manifest *m,
    const char *cert_path, unsigned char **blob, size_t *bloblen,
    EVP_PKEY **pub, X509 **cert);

#endif

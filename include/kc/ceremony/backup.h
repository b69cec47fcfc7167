/*
 * kc/ceremony/backup.h: root key backup media and restore (issue 17),
 * for `keyceremony backup create/restore` (src/ceremony/cmd_backup.c) and
 * a ceremony's root-restore step (engine_actions.c): the backup medium's
 * files and the wrap key's shares (src/ceremony/lib/backup_medium.c) and
 * the restore into a token (src/ceremony/lib/op_restore.c). See
 * docs/keyceremony.1, "ROOT KEY BACKUP".
 *
 * A backup medium is a directory holding, for one root key:
 *   backup.manifest   what the backup is (struct kc_bk_manifest), written
 *                     last: a medium without it holds no backup;
 *   backup.wrapped    the key wrapped with CKM_AES_KEY_WRAP_PAD (0600);
 *   backup.pub.pem    its public key;
 *   backup.root.pem   the root certificate, when --issuer was given.
 * The wrap key's shares never go there: one sheet per custodian.
 */
#ifndef KC_CEREMONY_BACKUP_H
#define KC_CEREMONY_BACKUP_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/secret.h"
#include "kc/hsm/token.h"

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

/* ---- restore (src/ceremony/lib/op_restore.c) ---- */

/* A backup medium read and checked (kc_bk_load): its manifest, the
 * wrapped key, its public key and the root certificate (NULL when the
 * medium has none and none was given). */
struct kc_bk_backup {
	struct kc_bk_manifest	 m;
	unsigned char		*blob;
	size_t			 bloblen;
	EVP_PKEY		*pub;
	X509			*cert;
};

/* Reads dir's manifest and checks the medium against it
 * (kc_bk_medium_load); cert_path (may be NULL: the medium's copy) is the
 * root certificate whose key the backup must be. Nothing is sent to a
 * token. kc_bk_backup_clear frees what b holds (a cleared b is a no-op). */
int kc_bk_load(const char *dir, const char *cert_path, struct kc_bk_backup *b);
void kc_bk_backup_clear(struct kc_bk_backup *b);

/* KC_OK when the share qi is of the backup m (its set, K and N), else
 * KC_ERR_INPUT saying it is a sheet of another backup or of a PIN. */
int kc_bk_share_of(const struct kc_bk_manifest *m,
    const struct kc_quorum_info *qi);

/* The register's row of a backup or restore (kind "create" or "restore";
 * never a byte of the wrap key); reg NULL: KC_OK, nothing recorded. */
struct kc_register;
int kc_bk_register(struct kc_register *reg, const char *kind,
    const struct kc_bk_manifest *m, const char *token, const char *label,
    const char *medium);

/*
 * The backed-up key restored into tok (logged in as the user) as label
 * (free in the token): the wrap key wk imported, C_UnwrapKey of the blob
 * (kc_token_unwrap: sensitive, sign-only, CKA_WRAP_WITH_TRUSTED), then the
 * checks: the restored key signs a test value that verifies with the
 * backed-up public key, and that key is the root certificate's (when b
 * has one). On a failed check the restored key is removed again (the
 * message says so, or that removing it failed).
 * keep_label NULL: the wrap key was a session object and is destroyed
 * before this returns (and would be at the session's end anyway).
 * keep_label set: the wrap key stays in the token as a token object with
 * that label (private, not extractable, without CKA_TRUSTED: it can
 * unwrap this backup again into this token, never wrap the key out);
 * on failure it is destroyed too.
 */
int kc_bk_restore(struct kc_token *tok, const struct kc_bk_backup *b,
    const struct kc_secret *wk, const char *label, const char *keep_label);

/* ---- records (src/ceremony/lib/backup_record.c) ---- */

/* The medium's files that exist, "backup:NAME:SHA-256" comma-separated,
 * appended to list. */
void kc_bk_medium_files(const char *dir, char *list, size_t listsz);

/* backup create / restore --state: their own transcript in
 * <state>/transcripts/<cmd>-<stamp>.log, begun (cmd "backup-create" or
 * "backup-restore"); kc_bk_log_close records the one step (its n
 * key/value pairs in kv, then result ok or failed) and the end, and
 * closes it (t NULL: a no-op). Nothing secret is ever given to them. */
struct kc_transcript;
int kc_bk_log_open(const char *state, const char *cmd, const char *title,
    const char *module, const char *token, const char *medium,
    struct kc_transcript **out);
int kc_bk_log_close(struct kc_transcript *t, const char *cmd, int ok,
    int rehearsal, const char *const *kv, size_t n);

#endif

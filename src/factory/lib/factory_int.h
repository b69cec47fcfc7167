/*
 * factory_int.h: internals of libkc-factory shared by its files, not
 * installed. Who does what (each file's header says more):
 *   factory.c               the state directory: init, install, open, close
 *   factory_batch.c         batches and durability (sync, commit, rollback)
 *   factory_opts.c          the checks of a run's options
 *   factory_issue.c         the per-device issue path
 *   factory_verification.c  the DPS proof-of-possession certificate
 *   factory_csr.c           device CSR intake (PEM/DER, strict parse, checks)
 *   factory_fast.c          the signer and the DER certificate builder
 *   factory_buf.c           struct kc_buf (wiped text buffers), PEM
 *   formats.c               pfx, C, AT output formats; private-key PEM
 *   factory_out.c           a device's output files, the writer thread
 *   factory_rerun.c         reruns and repairs against the ledger
 *   factory_check.c         factorysign check (not on the issue path)
 */
#ifndef KC_FACTORY_INT_H
#define KC_FACTORY_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/factory/factory.h"

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

/* The CSR's bytes (csr, len: PEM or DER, no NUL needed) read and checked
 * but for its signature and key, which need the signer: the form, the
 * subject and the ID (id, when not NULL, must be the CN). *der (malloc'd,
 * the caller frees it, also on failure) holds the DER that c points into.
 * name is for messages. */
int kc_fcsr_read(const unsigned char *csr, size_t len, const char *name,
    const char *id, struct kc_fcsr *c, unsigned char **der, size_t *der_len);
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
/* ID.at and ID.at.sha256 (kc_nrf_at_make: the CA first when ca_pem is not
 * NULL, the chain, the key when key_pem is not NULL); size warnings into
 * warn ("" when none), errors with strict; cred_sha256 (when not NULL)
 * gets what AT%CMNG=1 lists for the chain. */
int kc_format_at(const struct kc_outputs *o, const char *key_pem,
    const char *ca_pem, int sec_tag, int strict, struct kc_buf *at,
    struct kc_buf *sums, char *warn, size_t warnsz, char cred_sha256[65]);
/* Private key PEM: PKCS#8, encrypted when pass is not NULL, as enc says:
 * PBKDF2-HMAC-SHA256 + AES-256-CBC (device keys), scrypt + AES-256-CBC
 * (the intermediate), or PBKDF2-HMAC-SHA256 + DES-EDE3-CBC (device keys
 * for mbedTLS 2.28, --key-format mbedtls2). */
enum { KC_KEYENC_PBKDF2_AES = 0, KC_KEYENC_SCRYPT = 1,
    KC_KEYENC_PBKDF2_3DES = 2 };
int kc_key_pem(EVP_PKEY *key, const struct kc_secret *pass, int enc,
    struct kc_buf *buf);
/* Loads an (encrypted) private key PEM; a wrong passphrase is KC_ERR_PIN. */
int kc_key_load(const char *path, const struct kc_secret *pass,
    EVP_PKEY **out);

/* --- output files (factory_out.c) ---------------------------------------- */

#define KC_FJOB_MAX	8

/* One output file of a device; the buffer belongs to the job. */
struct kc_fout {
	const char	*suffix;	/* static: ".cert.pem", ... */
	struct kc_buf	 data;
	mode_t		 mode;
};

/* All the output files of one device, OUT/ID<suffix>, written together:
 * fresh: each must not exist (O_EXCL; ID.cert.pem, the first, is
 * written unnamed (O_TMPFILE) and linked in, or through a temporary file +
 * rename, so that a rerun after a crash finds it complete or not at all);
 * else every file is staged in a temporary file and renamed over the old
 * one once all are written. No fsync (the caller syncs before its ledger
 * commit). Allocated by the caller (calloc)
 * with name and out_dir malloc'd; kc_fjob_free frees it all, buffers
 * cleansed (they may hold keys). */
struct kc_fjob {
	char		*name;		/* the CSR, for messages */
	char		*out_dir;
	char		 id[KC_FACTORY_ID_MAX + 1];
	int		 fresh;
	size_t		 n;
	struct kc_fout	 f[KC_FJOB_MAX];
};
/* Moves *data into the job (data is left empty). */
int kc_fjob_add(struct kc_fjob *j, const char *suffix, struct kc_buf *data,
    mode_t mode);
/* Writes the files now; on failure none of them is left and the message
 * names the CSR and the file. */
int kc_fjob_write(const struct kc_fjob *j);
void kc_fjob_free(struct kc_fjob *j);

/*
 * A writer thread with a bounded queue of jobs, so that file creation (the
 * kernel's work) overlaps with parsing and signing. The first failure is
 * kept: later jobs are dropped unwritten and every put/wait returns that
 * error (as this thread's kc_err) until kc_fwriter_reset. Only one thread
 * may call put/wait/reset.
 */
struct kc_fwriter;
int kc_fwriter_new(size_t depth, struct kc_fwriter **out);
/* Queues j (owned by the writer from now on, also on failure); blocks
 * while the queue is full. */
int kc_fwriter_put(struct kc_fwriter *w, struct kc_fjob *j);
/* Returns once every queued job is written or dropped. */
int kc_fwriter_wait(struct kc_fwriter *w);
void kc_fwriter_reset(struct kc_fwriter *w);
/* Writes what is queued, then stops the thread and frees; NULL: no-op. */
void kc_fwriter_free(struct kc_fwriter *w);

/* --- the factory handle -------------------------------------------------- */

/* What kc_factory_open loads and kc_factory_close frees (factory.c); the
 * batch fields belong to factory_batch.c, checked and abs_* to the issue
 * path (factory_issue.c). */
struct kc_factory {
	char		*dir;
	EVP_PKEY	*key;
	X509		*inter, *root;
	struct kc_signer sg;
	struct kc_ledger *ledger;
	struct kc_buf	 inter_pem, root_pem;
	int		 checked;	/* bit 1 << keyenc: the first certificate
					   of each shape was re-checked */
	int		 batch, commit_every, pending;
	char		*pending_dir;	/* out dir with unsynced files */
	struct kc_fwriter *writer;	/* batch: writes the files */
	long		 lost;		/* issued, then rolled back */
	struct kc_fpend	*pend;		/* files of the devices since the
					   last commit (factory_batch.c) */
	size_t		 npend, cappend;
	int		 doubt;		/* the failed commit may have happened */
	long		 lost_removed, lost_kept;	/* devices */
	long		 dropped;	/* refused at the commit (another
					   station's ID meanwhile) */
	void		(*on_dropped)(void *, const char *, const char *);
	void		*on_dropped_arg;
	long long	 batch_rowid;	/* ledger rows after it: this batch */
	char		*abs_src, *abs_dir;	/* realpath(abs_src) cached */
};

/* Waits for the writer's queue, then syncs the file system of the pending
 * output directory once (syncfs) for all the files since the last sync. */
int kc_factory_sync_outputs(struct kc_factory *f);
/* Makes the pending rows durable: outputs written and synced first, then
 * the ledger commit (the durability point). */
int kc_factory_flush(struct kc_factory *f);
/* A batch cannot go on as it was: the writer is reset and the rows since
 * the last commit are rolled back (counted in f->lost) and their files
 * removed, unless the failed commit may have happened (f->doubt: the files
 * stay, a rerun finds them recorded or replaces them). Returns rc. */
int kc_factory_batch_fail(struct kc_factory *f, int rc);

/* Records the SHA-256 of every file of j for the row with this serial (in
 * the row's transaction, as kc_fjob_record) and keeps them with the
 * device's paths until the commit: when the rows are rolled back instead,
 * kc_factory_batch_fail removes the files that still hold those bytes. */
int kc_factory_pend_job(struct kc_factory *f, const char *serial,
    const struct kc_fjob *j);
/* The rows since the last commit are gone (rolled back; not in a batch):
 * their files are removed as by kc_factory_batch_fail. */
void kc_factory_pend_drop(struct kc_factory *f);
/* Frees f->pend (kc_factory_close). */
void kc_factory_pend_free(struct kc_factory *f);

/* A fresh random serial (hex in hex) that is not in the ledger nor among
 * the uncommitted rows; f NULL: not looked up (the in-memory signer). */
int kc_factory_new_serial(struct kc_factory *f,
    unsigned char serial[KC_SERIAL_LEN], char hex[41]);
/* A device's validity from --days and --backdate (seconds; 0: the default
 * KC_FACTORY_BACKDATE), within the intermediate's: a notAfter past the
 * intermediate's is refused (KC_ERR_POLICY), a notBefore before its
 * notBefore is moved up to it. */
int kc_factory_validity(struct kc_factory *f, int days, int backdate,
    time_t *nb, time_t *na);

/* --- reruns against the ledger (factory_rerun.c) -------------------------- */

struct kc_ledger;
struct kc_ledger_row;
/* Records the SHA-256 of every file of j for the row with this serial (in
 * the row's transaction). */
int kc_fjob_record(struct kc_ledger *l, const char *serial,
    const struct kc_fjob *j);
/* A device already issued from the same input: j holds the files this run
 * makes from the ledger's certificate. Each recorded file of the live row
 * (in the directory of its cert_path) that is missing or damaged is
 * rewritten from j when j's bytes are the recorded ones, and logged;
 * *rewritten counts them. A file that cannot be rewritten so is
 * KC_ERR_EXISTS naming every such file (the others are repaired all the
 * same). A row without recorded hashes gets those of its certificate and
 * chain files (rewritten first when they differ from the ledger's). */
int kc_factory_rerun(struct kc_ledger *l, const struct kc_ledger_row *live,
    const struct kc_fjob *j, int *rewritten);

/* --- renewal and rekey (factory_rotate.c) ---------------------------------- */

/* install for D's own key: an installed certificate other than cert is
 * copied with D/root.pem to D/previous/SERIAL/ (named in retired, n
 * bytes; "" when nothing was kept). */
int kc_factory_retire_cert(const char *dir, const X509 *cert, char *retired,
    size_t n);
/* install for the pending rekey's key: D's key, CSR, certificate and
 * root moved to D/previous/SERIAL/ (retired), then D/rekey's key and CSR
 * to D; the caller writes the new certificate and root. */
int kc_factory_rekey_switch(const char *dir, char *retired, size_t n);
/* A directory of D's own (D/rekey, D/previous, D/previous/SERIAL): made
 * (0700) when missing and make is set (else a missing one is KC_OK); an
 * existing one must be a directory, not a symbolic link, owned by this
 * user or root. */
int kc_factory_own_dir(const char *path, int make);
/* init --rekey's checks (see kc_factory_rekey), then D/rekey made (0700)
 * and its path in rk. */
int kc_factory_rekey_prepare(const char *dir, const char *subject, char *rk,
    size_t rksz);

#endif

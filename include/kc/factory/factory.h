/*
 * kc/factory.h: the factory's device-certificate signer (factorysign).
 *
 * State lives in a directory D (default ./factory):
 *   D/intermediate.key   PKCS#8, AES-256-CBC under scrypt, mode 0600
 *   D/intermediate.csr   to carry to the ceremony
 *   D/intermediate.pem   the signed intermediate (after install)
 *   D/root.pem           the root it chains to (after install)
 *   D/ledger.sqlite      every certificate signed (kc/ledger.h)
 *   D/rekey/             a pending rekey: intermediate.key, .csr
 *   D/previous/SERIAL/   an intermediate no longer active, SERIAL its
 *                        serial (lower-case hex): intermediate.pem and
 *                        root.pem (replaced by a renewal), plus
 *                        intermediate.key and .csr (retired by a rekey)
 *
 * Issuing one device certificate (kc_factory_issue) does, in order: parse
 * the CSR (PEM or DER), verify its self-signature, apply the key policy (EC
 * P-256/P-384, RSA >= 2048), check the subject (kc_name_check) and the CN
 * against the DPS registration-ID rules, refuse a CSR that requests CA:TRUE
 * and report (then ignore) any other requested extension, check the ID
 * against the ledger, draw a random 127-bit serial not in the ledger, build
 * the certificate from the device profile (CA:FALSE; keyUsage critical
 * digitalSignature, + keyEncipherment for RSA keys; EKU clientAuth; SKI;
 * AKI) with notAfter inside the intermediate's validity, sign it, write
 * the outputs and record a ledger row. The first certificate signed through
 * a handle is also decoded again by OpenSSL, linted (kc_cert_lint) and its
 * signature verified, so that a fault in the fast builder stops the run.
 *
 * Durability: output files are written atomically (an unnamed file linked
 * in, or temp + rename; the whole set when replacing) but not
 * fsynced one by one; the ledger commit is the durability point. Before a
 * commit the output file system is synced, so every recorded certificate is
 * on disk. In a batch a writer thread creates the files while the signer
 * goes on (see kc_factory_batch_begin). Files of an interrupted run that never reached the ledger are
 * recognised on the next run (same issuer, serial unknown to the ledger) and
 * replaced; any other existing file is refused.
 *
 * Ownership: kc_factory_open() returns a handle the caller frees with
 * kc_factory_close(), which commits a pending batch first. Strings and
 * certificates returned through const pointers belong to the handle.
 */
#ifndef KC_FACTORY_H
#define KC_FACTORY_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/core/secret.h"
#include "kc/core/x509.h"
#include "kc/factory/csv.h"

#define KC_FACTORY_DIR		"./factory"
#define KC_FACTORY_DAYS		365	/* default device validity */
/* A device certificate's notBefore is set back by this many seconds
 * (a relying party whose clock is slow still accepts a fresh device),
 * never before the intermediate's notBefore; notAfter stays signing
 * time + days. KC_FACTORY_BACKDATE_NONE: no backdating. */
#define KC_FACTORY_BACKDATE	3600
#define KC_FACTORY_BACKDATE_MAX	86400
#define KC_FACTORY_BACKDATE_NONE (-1)
#define KC_FACTORY_ID_MAX	64	/* DPS registration ID, X.509 CN */

struct kc_factory;

/* Output formats (--format LIST). */
enum {
	KC_FMT_PEM = 1 << 0,	/* ID.cert.pem, ID.chain.pem, ID.full-chain.pem */
	KC_FMT_PFX = 1 << 1,	/* ID.pfx: key + chain, AES-256 + PBKDF2 */
	KC_FMT_C   = 1 << 2,	/* ID.c: C string literals (chain, key) */
	KC_FMT_AT  = 1 << 3,	/* ID.at: AT%CMNG script, CRLF lines */
};
/* Parses "pem,pfx,c,at"; KC_ERR_USAGE names an unknown word. */
int kc_format_parse(const char *list, unsigned *out);

/* 1 when id is a valid DPS registration ID: 1..64 characters of
 * [A-Za-z0-9-._:], the first a letter or a digit (a leading '-' reads as
 * an option, or as a formula in a spreadsheet opening the enrollment CSV),
 * the last alphanumeric or '-'. When not, and why is not NULL, *why says
 * what is wrong. */
int kc_factory_id_ok(const char *id, const char **why);

/* kc_csv_field: kc/factory/csv.h (csv.c), included above for the
 * commands. */

/*
 * factorysign init: makes D (0700) with a new key (alg) encrypted under
 * pass, and D/intermediate.csr with subject ("/CN=.../O=..."). Refuses an
 * existing key or CSR. Writes the CSR path (malloc'd) to *csr_path when not
 * NULL.
 */
int kc_factory_init(const char *dir, const char *subject, enum kc_alg alg,
    const struct kc_secret *pass, char **csr_path);

#define KC_FACTORY_REKEY	"rekey"
#define KC_FACTORY_PREVIOUS	"previous"

/*
 * factorysign init --rekey: a second key and CSR in D/rekey/ (made as
 * kc_factory_init makes D's), beside D's active ones, which stay in use.
 * Refused when D has no installed intermediate, when a rekey is already
 * pending (D/rekey/intermediate.key or .csr), and for the subject of the
 * active intermediate (both are valid at once).
 */
int kc_factory_rekey(const char *dir, const char *subject, enum kc_alg alg,
    const struct kc_secret *pass, char **csr_path);

/*
 * factorysign install: refuses unless cert's public key is D's key (read
 * from D/intermediate.csr, whose self-signature is checked) or the key of
 * a pending rekey (D/rekey/intermediate.csr), cert is a CA, cert verifies
 * to root (a self-signed CA) and both are valid now. Then keeps both as
 * D/intermediate.pem and D/root.pem. For D's key (a renewal), an
 * installed certificate that is another one is first copied with its root
 * to D/previous/SERIAL/; for the rekey's key, D's key, CSR, certificate
 * and root move to D/previous/SERIAL/ and the rekey's key and CSR become
 * D's. info->retired names that directory ("" when none).
 */
struct kc_factory_install_info {
	char	subject[512];
	char	root_subject[512];
	time_t	not_after;
	char	fingerprint[96];
	int	rekeyed;		/* D switched to the rekey's key */
	char	retired[4096];		/* D/previous/SERIAL, or "" */
};
int kc_factory_install(const char *dir, const char *cert_path,
    const char *root_path, struct kc_factory_install_info *info);

/*
 * Opens D for signing: decrypts the key with pass (a wrong passphrase is
 * KC_ERR_PIN), loads the installed intermediate and root (missing: "not
 * installed"), checks that the key matches, that the intermediate is valid
 * now, and opens the ledger.
 */
int kc_factory_open(const char *dir, const struct kc_secret *pass,
    struct kc_factory **out);
/* Commits a pending batch, then frees; NULL is a no-op. */
void kc_factory_close(struct kc_factory *f);

const X509 *kc_factory_intermediate(const struct kc_factory *f);
const X509 *kc_factory_root(const struct kc_factory *f);
const char *kc_factory_dir(const struct kc_factory *f);
/* The ledger of the handle (kc/ledger.h), for exports. */
struct kc_ledger *kc_factory_ledger(struct kc_factory *f);

struct kc_factory_opts {
	int			 days;		/* 0: KC_FACTORY_DAYS */
	int			 backdate;	/* seconds; 0: KC_FACTORY_BACKDATE,
						   KC_FACTORY_BACKDATE_NONE:
						   none */
	unsigned		 formats;	/* KC_FMT_*; 0: KC_FMT_PEM */
	const char		*out_dir;	/* must exist and be writable */
	int			 reissue;	/* supersede a live row of the ID */
	int			 resume;	/* same ID + same CSR + intact
						   files: skip, not an error */
	int			 sec_tag;	/* KC_FMT_AT; < 0: not given */
	const struct kc_secret	*pfx_pass;	/* KC_FMT_PFX */
	const struct kc_secret	*key_pass;	/* keys made here: ID.key.pem
						   encrypted under it */
	int			 plain_keys;	/* keys made here in clear (0600);
						   needed for KC_FMT_C/AT */
	int			 strict_size;	/* KC_FMT_AT: a size past the
						   modem's or at_host's limit
						   is an error, not a warning */
	const char		*at_ca_pem;	/* KC_FMT_AT: CA certificates
						   written first (type 0), or
						   NULL (keygen --ca-file) */
	int			 key_format;	/* KC_KEYFMT_*: encryption of
						   the ID.key.pem made here */
	EVP_PKEY		*device_key;	/* sign: the device's key for
						   KC_FMT_PFX (must match the
						   CSR), or NULL */
	int			 pending;	/* the row is recorded "pending"
						   (the line station: not yet
						   confirmed on the device) */
};

/* How device keys made here are encrypted (--key-format). */
enum {
	KC_KEYFMT_DEFAULT = 0,	/* PKCS#8 PBES2: PBKDF2-HMAC-SHA256,
				   AES-256-CBC (OpenSSL, mbedTLS 3.x) */
	KC_KEYFMT_MBEDTLS2,	/* PKCS#8 PBES2: PBKDF2-HMAC-SHA256,
				   DES-EDE3-CBC: the strongest an
				   unmodified mbedTLS 2.28 decrypts */
};

enum kc_factory_outcome {
	KC_FACTORY_ISSUED = 1,
	KC_FACTORY_SKIPPED,	/* resume: already issued from this CSR,
				   files intact */
	KC_FACTORY_REPAIRED,	/* resume: already issued; missing or
				   damaged files rewritten from the ledger
				   (rewritten counts them) */
};

struct kc_factory_result {
	enum kc_factory_outcome	outcome;
	char	id[KC_FACTORY_ID_MAX + 1];
	char	serial[41];
	char	cert_sha256[65];
	time_t	not_before, not_after;
	int	rewritten;	/* KC_FACTORY_REPAIRED: files rewritten */
	char	ignored[256];	/* requested extensions that were ignored,
				   comma separated; "" when none */
	char	warn[768];	/* size warnings of the outputs (KC_FMT_AT);
				   "" when none */
	char	at_sha256[65];	/* KC_FMT_AT: the SHA-256 AT%CMNG=1 lists
				   for the chain (type 1); "" otherwise */
};

/*
 * Checks the options (formats vs what they need, out_dir writable, days
 * within the intermediate) once, before a batch or a single issue, so that
 * a bad option fails before anything is signed.
 */
int kc_factory_check_opts(struct kc_factory *f,
    const struct kc_factory_opts *o, int keys_here);

/*
 * The checks of kc_factory_check_opts that need no secret, no key and no
 * file (formats against what they need, --key-format): the programs make
 * them before asking for any passphrase. key_given: the device's key will
 * be given (sign --key).
 */
int kc_factory_check_formats(const struct kc_factory_opts *o, int keys_here,
    int key_given);

/*
 * sign --key: loads the device's private key from path (PEM, encrypted
 * under pass, or in clear when pass is NULL; an encrypted key without
 * pass is KC_ERR_PIN) and refuses it (KC_ERR_POLICY) unless it is the key
 * of the CSR in csr/len (PEM or DER; name for messages). *out is the
 * caller's to free.
 */
int kc_factory_device_key(const char *path, const struct kc_secret *pass,
    const unsigned char *csr, size_t len, const char *name, EVP_PKEY **out);

/* The checks of kc_factory_issue() that need no key (the CSR's encoding,
 * subject and device ID, --id against its CN), so that a command refuses
 * bad input before it asks for the passphrase. The signature and the key
 * are checked by kc_factory_issue(). */
int kc_factory_csr_precheck(const unsigned char *csr, size_t len,
    const char *name, const char *id);

/*
 * Issues one device certificate from a CSR (PEM or DER in csr/len; name is
 * the file name used in messages). id, when not NULL, must equal the CSR's
 * CN. Writes the formats of o into o->out_dir as ID.* and records the
 * ledger row: durably before returning, unless a batch is open (then at
 * the next batch commit). On error nothing of this device is left on disk
 * or in the ledger, and the handle stays usable for the next CSR.
 */
int kc_factory_issue(struct kc_factory *f, const unsigned char *csr,
    size_t len, const char *name, const char *id,
    const struct kc_factory_opts *o, struct kc_factory_result *res);

/*
 * factorysign issue: generates a device key here (alg: P-256 or P-384; the
 * less secure path, the key exists outside the device), then as
 * kc_factory_issue with CN = id, and writes ID.key.pem (0600, encrypted
 * under o->key_pass unless o->plain_keys).
 */
int kc_factory_issue_keygen(struct kc_factory *f, const char *id,
    enum kc_alg alg, const struct kc_factory_opts *o,
    struct kc_factory_result *res);

/*
 * ledger verify --backfill: every live device row of D's ledger recorded
 * before file hashes were kept gets the SHA-256 of its ID.cert.pem,
 * ID.chain.pem and ID.full-chain.pem recorded when all three hold what
 * the ledger makes of the row (its certificate, then D's installed
 * intermediate, then root); a file that does not is logged (*differ
 * counts them) and its row left without hashes, for a rerun to repair.
 * Needs no passphrase. *rows counts the rows, *files the hashes recorded.
 * One transaction.
 */
int kc_factory_backfill(const char *dir, long *rows, long *files,
    long *differ);

/* Removes the temporary files an interrupted run left in out_dir
 * (ID.<suffix>.tmp-<16 hex>); *removed counts them. */
int kc_factory_clean_tmp(const char *out_dir, long *removed);

/*
 * Batches: between begin and end, the output files are written by a
 * writer thread while the next devices are signed, and the rows are
 * committed every commit_every devices (after the writer has caught up and
 * the outputs are synced) and at end. A device reported issued is durable
 * only once its rows are committed: when a write, sync or commit fails,
 * the rows since the last commit are rolled back and their files removed
 * (only files still holding the bytes written for them), the call that
 * finds the failure returns it, and *lost of kc_factory_batch_end counts
 * the devices that were reported issued and then rolled back. A commit
 * the ledger neither confirmed nor refused (the server gone during it, or
 * a SQLite commit failing) may have happened: then the files are kept, a
 * rerun finds them recorded or replaces them (kc_factory_lost_files says
 * which). begin fails only when the thread cannot start.
 */
#define KC_FACTORY_QUEUE	64	/* devices queued for the writer */
int kc_factory_batch_begin(struct kc_factory *f, int commit_every);
int kc_factory_batch_end(struct kc_factory *f, long *lost);
/* On a ledger that sends a batch's rows together at the commit
 * (PostgreSQL, kc_ledger_batch), a device reported issued can still be
 * refused there: another station recorded its ID after this one looked.
 * Then its files are removed, fn(arg, id, message) is called (message:
 * who issued it, when), and kc_factory_dropped counts it. Set before
 * kc_factory_batch_begin. */
void kc_factory_on_dropped(struct kc_factory *f,
    void (*fn)(void *arg, const char *id, const char *message), void *arg);
long kc_factory_dropped(const struct kc_factory *f);
/* A hint before the next n devices of a batch (their CSRs, or their IDs
 * with csrs NULL): their IDs are looked up in the ledger together, one
 * round trip instead of n (kc_ledger_prefetch; nothing on a SQLite
 * ledger). A CSR or ID that does not parse is left to kc_factory_issue
 * to report; an error is the ledger's (as a lookup's would be). */
int kc_factory_prefetch(struct kc_factory *f,
    const unsigned char *const *csrs, const size_t *lens,
    const char *const *ids, size_t n);
/* Since kc_factory_batch_begin: *removed, the devices not recorded whose
 * files were removed; *unconfirmed, those of a commit not confirmed, whose
 * files were kept. */
void kc_factory_lost_files(const struct kc_factory *f, long *removed,
    long *unconfirmed);

/*
 * The in-memory path of the benchmark: parse, verify, check, build, sign
 * and PEM-encode, with no files and no ledger. *pem is malloc'd.
 */
int kc_factory_sign_mem(struct kc_factory *f, const unsigned char *csr,
    size_t len, const char *name, int days, char **pem, size_t *pem_len);

/*
 * factorysign verification: a DPS proof-of-possession certificate, subject
 * CN = code, signed by the intermediate (profile VERIFICATION, 2 days),
 * written to out (refused if it exists) and recorded in the ledger.
 */
int kc_factory_verification(struct kc_factory *f, const char *code,
    const char *out, struct kc_factory_result *res);

/*
 * factorysign check: diagnoses a device credential set. fn is called once
 * per finding with its severity (0 ok, 1 warning, 2 problem), the finding
 * and the fix ("" for ok). Returns KC_OK when there is no problem,
 * KC_ERR_POLICY when there is one (the findings say which), or another
 * error when an input cannot be read at all. key_pass may be NULL.
 */
typedef void kc_check_fn(int severity, const char *finding, const char *fix,
    void *arg);
int kc_factory_check(const char *cert_path, const char *key_path,
    const char *root_path, const char *id, const struct kc_secret *key_pass,
    time_t now, kc_check_fn *fn, void *arg);

#endif

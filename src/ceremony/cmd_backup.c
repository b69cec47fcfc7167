/*
 * cmd_backup.c: keyceremony backup create / backup restore (issue 17): a
 * backup-capable root key (kc/hsm/wrap.h) wrapped under a fresh AES-256
 * wrap key from the token's RNG that the security officer marks
 * CKA_TRUSTED, the wrap key split K-of-N among custodians (one sheet
 * each, never on the backup medium), and its restore into a second token
 * from K sheets. The medium's files: kc/ceremony/backup.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc/ceremony/quorum.h"
#include "kc/ceremony/register.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"
#include "kc/ceremony/backup.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "session.h"

/* ---- backup create ---- */

struct create_args {
	const char *token, *label, *out_dir, *share_dir, *issuer;
	const char *pin_file, *so_pin_file, *module, *state;
	struct kc_optlist custodians;
	int k, n;
};

#define A struct create_args
static const struct kc_opt create_opts[] = {
	KC_O_STR_REQ(A, token, "token", "L", "label of the token holding the root key"),
	KC_O_STR_REQ(A, label, "label", "K", "label of the backup-capable root key"),
	KC_O_STR_REQ(A, out_dir, "out-dir", "DIR", "the backup medium (an existing directory):\n"
	    "the wrapped key, its public key and the manifest"),
	KC_O_INT(A, k, "threshold", "K", 2, KC_QUORUM_MAX_SHARES, "custodians needed to restore (2..N)"),
	KC_O_INT(A, n, "custodians", "N", 2, KC_QUORUM_MAX_SHARES, "custodians holding a share of the wrap key"),
	KC_O_STR(A, share_dir, "share-dir", "DIR", "write share-I-of-N.txt sheets (0600) there, never\n"
	    "on the backup medium; else printed one at a time"),
	KC_O_LIST(A, custodians, "custodian", "NAME", "name printed on the next sheet (repeat, N times)"),
	KC_O_STR(A, issuer, "issuer", "FILE", "the root certificate: its key must be the one\n"
	    "backed up; copied to the medium"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, so_pin_file, "so-pin-file", "F", "security officer PIN from F (it marks the wrap\n"
	    "key CKA_TRUSTED); else asked"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, state, "state", "DIR", "record the backup in DIR's register (never a byte\n"
	    "of the wrap key)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_backup_create_opts = {
	"backup create",
	"backup create --token L --label K --out-dir MEDIUM --threshold K\n"
	"           --custodians N [--share-dir DIR] [--custodian NAME ...]\n"
	"           [--issuer root.pem] [--pin-file F] [--so-pin-file F]\n"
	"           [--module PATH] [--state DIR]",
	"The key leaves the token only wrapped (CKM_AES_KEY_WRAP_PAD) under a\n"
	"wrap key the security officer marks CKA_TRUSTED; the wrap key exists\n"
	"in the token only for this command (a session object) and in clear\n"
	"only as the custodians' shares. A key generated without backup is\n"
	"refused: it never leaves its token.\n",
	create_opts, 0, 0, NULL, 0
};

/* An existing directory; its device and inode. */
static int
dir_check(const char *opt, const char *dir, struct stat *st)
{
	if (stat(dir, st) != 0)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "%s %s: %s", opt, dir, strerror(errno));
	if (!S_ISDIR(st->st_mode))
		return kc_err(KC_ERR_IO, "%s %s is %s, not a directory", opt,
		    dir, kc_file_kind(st->st_mode));
	return KC_OK;
}

/* The backup medium is a medium of its own: not a state directory, not
 * a public export medium (their files: kc_name_reserved). */
static int
medium_own(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int rc = KC_OK;

	if ((d = opendir(dir)) == NULL)
		return kc_err(KC_ERR_IO, "--out-dir %s: %s", dir,
		    strerror(errno));
	while (rc == KC_OK && (e = readdir(d)) != NULL)
		if (kc_name_reserved(e->d_name) &&
		    strstr(e->d_name, ".tmp-") == NULL)
			rc = kc_err(KC_ERR_POLICY, "--out-dir %s holds %s: it "
			    "is a state directory or a public export medium; "
			    "the wrapped root key goes on a backup medium of "
			    "its own, never with the public export", dir,
			    e->d_name);
	closedir(d);
	return rc;
}

/* Every output absent, the share directory not the medium. */
static int
create_check(const struct create_args *a)
{
	static const char *const files[] = {
		KC_BK_MANIFEST, KC_BK_WRAPPED, KC_BK_PUB, KC_BK_ROOT, NULL
	};
	struct stat m, s;
	char path[PATH_MAX];
	int rc, i;

	if (a->k > a->n)
		return kc_err(KC_ERR_USAGE, "--threshold %d is more than "
		    "--custodians %d", a->k, a->n);
	if (a->custodians.n != 0 && a->custodians.n != a->n)
		return kc_err(KC_ERR_USAGE, "%d --custodian names for %d "
		    "custodians", a->custodians.n, a->n);
	if ((rc = dir_check("--out-dir", a->out_dir, &m)) != KC_OK ||
	    (rc = medium_own(a->out_dir)) != KC_OK)
		return rc;
	for (i = 0; files[i] != NULL; i++)
		if ((rc = kc_bk_path(a->out_dir, files[i], path,
		    sizeof(path))) != KC_OK ||
		    (rc = kc_file_check_absent(path)) != KC_OK)
			return rc;
	if (a->share_dir == NULL)
		return KC_OK;
	if ((rc = dir_check("--share-dir", a->share_dir, &s)) != KC_OK)
		return rc;
	if (m.st_dev == s.st_dev && m.st_ino == s.st_ino)
		return kc_err(KC_ERR_USAGE, "--share-dir is the backup medium: "
		    "the shares of the wrap key must never travel with the "
		    "wrapped key");
	for (i = 1; i <= a->n; i++) {
		snprintf(path, sizeof(path), "%s/share-%d-of-%d.txt",
		    a->share_dir, i, a->n);
		if ((rc = kc_file_check_absent(path)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* Opens the token, the SO imports the trusted wrap key, then the user
 * logs in. The PINs are read before the module is touched. */
static int
create_open(const struct create_args *a, struct kc_session *s,
    struct kc_secret *wk, unsigned long *h)
{
	struct kc_secret *so = NULL, *pin = NULL;
	char whose[300];
	int rc;

	memset(s, 0, sizeof(*s));
	if ((a->so_pin_file != NULL && (rc = kc_secret_read_file(
	    a->so_pin_file, "SO PIN", &so)) != KC_OK) ||
	    (a->pin_file != NULL && (rc = kc_secret_read_file(a->pin_file,
	    "PIN", &pin)) != KC_OK))
		goto out;
	if ((rc = kc_token_load(a->module, &s->ctx)) != KC_OK ||
	    (rc = kc_token_open(s->ctx, a->token, NULL, &s->tok)) != KC_OK)
		goto out;
	snprintf(whose, sizeof(whose), "token '%s'", a->token);
	if ((so == NULL && (rc = kc_front_secret_for(NULL, "SO PIN", whose, 0,
	    &so)) != KC_OK) ||
	    (rc = kc_token_wrapkey_random(s->tok, wk)) != KC_OK ||
	    (rc = kc_token_wrapkey_import(s->tok, wk, so, NULL, h)) != KC_OK)
		goto out;
	kc_secret_free(so);
	so = NULL;
	if ((pin == NULL && (rc = kc_front_secret_for(NULL, "PIN", whose, 0,
	    &pin)) != KC_OK))
		goto out;
	rc = kc_token_login_file(s->tok, pin, a->pin_file);
out:
	kc_secret_free(so);
	kc_secret_free(pin);
	if (rc != KC_OK)
		kc_session_close(s);
	return rc;
}

/* Wraps the key and fills m from the token and the key. */
static int
create_wrap(const struct create_args *a, struct kc_session *s,
    unsigned long h, struct kc_bk_manifest *m, unsigned char **blob,
    size_t *bloblen, EVP_PKEY **pub, X509 **cert)
{
	const struct kc_token_info *ti = kc_token_get_info(s->tok);
	enum kc_alg alg;
	time_t now = time(NULL);
	int rc;

	if ((rc = kc_token_wrap(s->tok, h, a->label, blob, bloblen)) != KC_OK)
		return rc;
	if (a->issuer != NULL && (rc = kc_cert_load(a->issuer, cert)) != KC_OK)
		return rc;
	/* the key's public half, checked by a signature of the token */
	if ((rc = kc_token_key_get_cert(s->tok, a->label, *cert, NULL, pub)) !=
	    KC_OK || (rc = kc_alg_of_key(*pub, &alg)) != KC_OK)
		return rc;
	if (*cert != NULL && EVP_PKEY_eq(X509_get0_pubkey(*cert), *pub) != 1)
		return kc_err(KC_ERR_INPUT, "%s: its public key is not the one "
		    "of key '%s'", a->issuer, a->label);
	snprintf(m->key_label, sizeof(m->key_label), "%s", a->label);
	snprintf(m->token_label, sizeof(m->token_label), "%s", ti->label);
	snprintf(m->token_serial, sizeof(m->token_serial), "%s",
	    ti->serial[0] ? ti->serial : "-");
	snprintf(m->alg, sizeof(m->alg), "%s", kc_alg_name(alg));
	m->wrapped_bytes = *bloblen;
	kc_sha256_hex(*blob, *bloblen, m->wrapped_sha256);
	m->k = a->k;
	m->n = a->n;
	kc_time_utc(now, m->created);
	if ((rc = kc_bk_pub_sha256(*pub, m->pub_sha256)) != KC_OK)
		return rc;
	if (*cert != NULL) {
		unsigned char *der = NULL;
		int n = i2d_X509(*cert, &der);

		if (n <= 0)
			return kc_err_ssl(KC_ERR_INPUT, "%s: cannot be encoded",
			    a->issuer);
		kc_sha256_hex(der, (size_t)n, m->cert_sha256);
		OPENSSL_free(der);
	}
	return KC_OK;
}

/* One sheet: to --share-dir, or on the terminal for its custodian. */
static int
create_sheet(const struct create_args *a, const struct kc_bk_manifest *m,
    const struct kc_secret *share, int i)
{
	struct kc_quorum_info qi;
	const char *who = a->custodians.n > 0 ? a->custodians.v[i] : NULL;
	char path[PATH_MAX], prompt[256], *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kc_quorum_check(share->buf, share->len, &qi)) != KC_OK)
		return kc_err(KC_ERR_INTERNAL, "share %d does not read back",
		    i + 1);
	if ((rc = kc_bk_sheet(&qi, share->buf, m, who, &text, &len)) != KC_OK)
		return rc;
	if (a->share_dir != NULL) {
		snprintf(path, sizeof(path), "%s/share-%d-of-%d.txt",
		    a->share_dir, i + 1, a->n);
		rc = kc_file_write(path, text, len, 0600, KC_WRITE_EXCL);
	} else {
		snprintf(prompt, sizeof(prompt), "Share %d of %d is for %s. "
		    "Only that custodian may look now; type 'show' to show "
		    "it", i + 1, a->n, who != NULL ? kc_disp_quoted(who) :
		    "the next custodian");
		if (!kc_front_confirm_word(prompt, "show"))
			rc = kc_err(KC_ERR_ABORT, "share %d was not shown; no "
			    "backup was written", i + 1);
		else {
			fwrite(text, 1, len, stdout);
			fflush(stdout);
			if (!kc_front_confirm_word("Written down? type 'done' "
			    "to clear the screen", "done"))
				rc = kc_err(KC_ERR_ABORT, "share %d not "
				    "confirmed; no backup was written", i + 1);
			fputs("\033[2J\033[3J\033[H", stdout);
			fflush(stdout);
		}
	}
	OPENSSL_clear_free(text, len);
	return rc;
}

/* The medium's files, the manifest last; then read back. */
static int
create_write(const struct create_args *a, const struct kc_bk_manifest *m,
    const unsigned char *blob, size_t bloblen, EVP_PKEY *pub, X509 *cert)
{
	struct kc_bk_manifest back;
	unsigned char *b2 = NULL;
	EVP_PKEY *p2 = NULL;
	X509 *c2 = NULL;
	char path[PATH_MAX], *text = NULL, *pem = NULL;
	size_t len = 0, b2len = 0;
	BIO *bio = NULL;
	int rc;

	if ((rc = kc_bk_path(a->out_dir, KC_BK_WRAPPED, path, sizeof(path))) !=
	    KC_OK || (rc = kc_file_write(path, blob, bloblen, 0600,
	    KC_WRITE_EXCL)) != KC_OK)
		return rc;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PUBKEY(bio, pub) ||
	    (len = (size_t)BIO_get_mem_data(bio, &pem)) == 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "the public key cannot be "
		    "written");
		goto out;
	}
	if ((rc = kc_bk_path(a->out_dir, KC_BK_PUB, path, sizeof(path))) !=
	    KC_OK || (rc = kc_file_write(path, pem, len, 0644,
	    KC_WRITE_EXCL)) != KC_OK)
		goto out;
	if (cert != NULL) {
		char *cpem = NULL;
		size_t clen = 0;

		if ((rc = kc_cert_pem(cert, &cpem, &clen)) != KC_OK)
			goto out;
		if ((rc = kc_bk_path(a->out_dir, KC_BK_ROOT, path,
		    sizeof(path))) == KC_OK)
			rc = kc_file_write(path, cpem, clen, 0644,
			    KC_WRITE_EXCL);
		free(cpem);
		if (rc != KC_OK)
			goto out;
	}
	if ((rc = kc_bk_manifest_text(m, &text, &len)) != KC_OK ||
	    (rc = kc_bk_path(a->out_dir, KC_BK_MANIFEST, path,
	    sizeof(path))) != KC_OK ||
	    (rc = kc_file_write(path, text, len, 0644, KC_WRITE_EXCL)) !=
	    KC_OK)
		goto out;
	/* read back: what a restore will see */
	if ((rc = kc_bk_manifest_read(path, &back)) != KC_OK ||
	    (rc = kc_bk_medium_load(a->out_dir, &back, NULL, &b2, &b2len, &p2,
	    &c2)) != KC_OK)
		rc = kc_err(rc, "the backup medium does not read back: %s",
		    kc_errmsg());
out:
	BIO_free(bio);
	free(text);
	free(b2);
	EVP_PKEY_free(p2);
	X509_free(c2);
	return rc;
}

/* --state: the register opened before the token is touched (a state
 * directory that is the backup medium itself is refused). */
static int
record_open(const char *state, const char *medium, struct kc_register **reg)
{
	struct stat a, b;

	*reg = NULL;
	if (state == NULL)
		return KC_OK;
	if (stat(state, &a) == 0 && stat(medium, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return kc_err(KC_ERR_USAGE, "--state %s is the backup medium: "
		    "the register never goes with the wrapped key", state);
	return kc_register_open(state, 1, reg);
}

/* --state: the command's own transcript (kc_bk_log_open). */
static int
log_open(const char *state, const char *cmd, const char *title,
    const char *module, const char *token, const char *medium,
    struct kc_transcript **tr)
{
	*tr = NULL;
	if (state == NULL)
		return KC_OK;
	return kc_bk_log_open(state, cmd, title, module != NULL ? module :
	    kc_token_default_module(), token, medium, tr);
}

/* Its step record and end: kv on success; on failure the token, the key
 * and the message (kept as the error to print). */
static int
log_close(struct kc_transcript *tr, const char *cmd, int rc,
    const struct kc_session *s, const char *token, const char *label,
    const char *const *kv, size_t n)
{
	const struct kc_token_info *ti = s->tok != NULL ?
	    kc_token_get_info(s->tok) : NULL;
	int rh = ti != NULL && kc_token_is_rehearsal(ti);
	char msg[1024];

	if (tr == NULL)
		return rc;
	if (rc == KC_OK)
		return kc_bk_log_close(tr, cmd, 1, rh, kv, n);
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	{
		const char *f[] = { "token", token, "key-label", label,
		    "detail", msg };

		(void)kc_bk_log_close(tr, cmd, 0, rh, f, 3);
	}
	return kc_err(rc, "%s", msg);
}

int
cmd_backup_create(int argc, char **argv)
{
	struct create_args a;
	struct kc_session s = { NULL, NULL };
	struct kc_bk_manifest m;
	struct kc_secret *wk = NULL, *shares[KC_QUORUM_MAX_SHARES] = { 0 };
	struct kc_quorum_info qi;
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	unsigned long h = 0;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	struct kc_register *reg = NULL;
	struct kc_transcript *tr = NULL;
	char files[1024] = "", sh[128], names[1024] = "";
	int rc, i, st = KC_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	memset(&m, 0, sizeof(m));
	if ((rc = kc_opt_parse(&cmd_backup_create_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	if (a.k == 0 || a.n == 0)
		return kc_front_usage("backup create: --threshold and "
		    "--custodians are required");
	if (a.share_dir == NULL && !kc_front_tty())
		return kc_front_usage("backup create: no terminal to show the "
		    "shares on; give --share-dir DIR");
	if ((rc = create_check(&a)) != KC_OK ||
	    (rc = record_open(a.state, a.out_dir, &reg)) != KC_OK ||
	    (rc = log_open(a.state, "backup-create", "Root key backup "
	    "(keyceremony backup create)", a.module, a.token, a.out_dir,
	    &tr)) != KC_OK) {
		kc_register_close(reg);
		return kc_front_fail(rc);
	}
	if ((rc = kc_secret_new(KC_WRAP_KEY_LEN, &wk)) != KC_OK ||
	    (rc = create_open(&a, &s, wk, &h)) != KC_OK ||
	    (rc = create_wrap(&a, &s, h, &m, &blob, &bloblen, &pub, &cert)) !=
	    KC_OK ||
	    (rc = kc_bk_split(wk, a.k, a.n, shares)) != KC_OK ||
	    (rc = kc_quorum_check(shares[0]->buf, shares[0]->len, &qi)) !=
	    KC_OK)
		goto fail;
	/* the wrap key is no longer needed in clear, nor in the token */
	kc_secret_free(wk);
	wk = NULL;
	if ((rc = kc_token_wrapkey_destroy(s.tok, h)) != KC_OK)
		goto fail;
	h = 0;
	memcpy(m.set_id, qi.set_id, sizeof(m.set_id));
	for (i = 0; i < a.n; i++)
		if ((rc = create_sheet(&a, &m, shares[i], i)) != KC_OK)
			goto fail;
	if ((rc = create_write(&a, &m, blob, bloblen, pub, cert)) != KC_OK ||
	    (rc = kc_bk_register(reg, "create", &m, a.token, a.label,
	    a.out_dir)) !=
	    KC_OK)
		goto fail;
	kc_bk_medium_files(a.out_dir, files, sizeof(files));
	snprintf(sh, sizeof(sh), "set %s, any %d of %d rebuild the wrap key",
	    m.set_id, a.k, a.n);
	for (i = 0; i < a.custodians.n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s", i ? ", " : "", a.custodians.v[i]);
	{
		const char *kv[] = { "token", a.token, "key-label", a.label,
		    "out", files, "wrapped-sha256", m.wrapped_sha256,
		    "public-key-sha256", m.pub_sha256, "shares", sh,
		    "sheets", a.share_dir != NULL ? "written to --share-dir, "
		    "one file per custodian" : "shown on the terminal, one "
		    "custodian at a time", "custodians", names,
		    "wrap-key", "a session object of this command, destroyed "
		    "before the sheets were given out" };

		rc = log_close(tr, "backup-create", KC_OK, &s, a.token,
		    a.label, kv, 9);
		tr = NULL;
		if (rc != KC_OK)
			goto fail;
	}
	printf("key '%s' of token '%s' backed up to %s\n",
	    kc_disp(a.label), kc_disp(m.token_label), kc_disp(a.out_dir));
	printf("  %-14s %s, %zu bytes, SHA-256 %s\n", "wrapped",
	    KC_WRAP_MECH_NAME, bloblen, kc_hash(m.wrapped_sha256));
	printf("  %-14s %s\n", "public key", kc_hash(m.pub_sha256));
	printf("  %-14s set %s, any %d of %d rebuild the wrap key%s%s\n",
	    "shares", m.set_id, a.k, a.n, a.share_dir ? "; sheets in " : "",
	    a.share_dir ? kc_disp(a.share_dir) : "");
	st = KC_EXIT_OK;
	goto out;
fail:
	rc = log_close(tr, "backup-create", rc, &s, a.token, a.label, NULL,
	    0);
	tr = NULL;
	st = kc_front_fail(rc);
out:
	if (h != 0)
		kc_token_wrapkey_destroy(s.tok, h);
	kc_session_close(&s);
	kc_secret_free(wk);
	for (i = 0; i < KC_QUORUM_MAX_SHARES; i++)
		kc_secret_free(shares[i]);
	kc_register_close(reg);
	free(blob);
	EVP_PKEY_free(pub);
	X509_free(cert);
	return st;
}

/* ---- backup restore ---- */

struct restore_args {
	const char *token, *from, *label, *issuer, *pin_file, *module;
	const char *state, *keep;
	struct kc_optlist files;
};

#define A struct restore_args
static const struct kc_opt restore_opts[] = {
	KC_O_STR_REQ(A, token, "token", "L", "label of the token to restore the key into"),
	KC_O_STR_REQ(A, from, "from", "MEDIUM", "the backup medium 'backup create' wrote"),
	KC_O_STR(A, label, "label", "K", "label of the restored key (default: the backed-up\n"
	    "key's label)"),
	KC_O_LIST(A, files, "share-file", "FILE", "a custodian's share sheet (0600); repeat K times;\n"
	    "else the custodians type their shares (no echo)"),
	KC_O_STR(A, issuer, "issuer", "FILE", "the root certificate (default: the medium's copy)"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, state, "state", "DIR", "record the restore in DIR's register (never a byte\n"
	    "of the wrap key)"),
	KC_O_STR(A, keep, "keep-wrap-key", "LABEL", "keep the wrap key in the token as a token object\n"
	    "LABEL (default: destroyed; see keyceremony(1))"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_backup_restore_opts = {
	"backup restore",
	"backup restore --token L --from MEDIUM [--label K]\n"
	"           [--share-file FILE ...] [--issuer root.pem]\n"
	"           [--pin-file F] [--module PATH] [--state DIR]\n"
	"           [--keep-wrap-key LABEL]",
	"The shares are checked (checksum, set, count) before the module is\n"
	"loaded. The restored key is sensitive, sign-only and\n"
	"CKA_WRAP_WITH_TRUSTED; it must sign a test value that verifies with\n"
	"the backed-up public key, or it is removed again. The wrap key is a\n"
	"session object, destroyed at the end; --keep-wrap-key LABEL keeps it\n"
	"in the token instead: whoever has the user PIN and the backup medium\n"
	"can then restore the key into that token without the custodians.\n",
	restore_opts, 0, 0, NULL, 0
};

/* One share: its sheet, or typed; refused unless it is of this backup. */
static int
restore_share(const struct restore_args *a, const struct kc_bk_manifest *m,
    struct kc_quorum *q, int i)
{
	struct kc_quorum_info qi;
	struct kc_secret *s = NULL;
	char what[64], msg[512];
	const char *src = a->files.n > 0 ? a->files.v[i] : NULL;
	int rc;

	if (src != NULL)
		rc = kc_quorum_read_file(src, &s, &qi);
	else {
		snprintf(what, sizeof(what), "backup share %d", i + 1);
		if ((rc = kc_front_secret(NULL, what, 0, &s)) == KC_OK)
			rc = kc_quorum_check(s->buf, s->len, &qi);
	}
	if (rc == KC_OK)
		rc = kc_bk_share_of(m, &qi);
	if (rc == KC_OK)
		rc = kc_quorum_add(q, s->buf, s->len, &qi);
	kc_secret_free(s);
	if (rc != KC_OK) {
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return kc_err(rc, "%s%s%s; nothing was sent to the token",
		    src != NULL ? src : "", src != NULL ? ": " : "", msg);
	}
	fprintf(stderr, "%s: share %d of %d (set %s) accepted; %d more "
	    "needed\n", kc_progname, qi.index, qi.n, qi.set_id,
	    kc_quorum_needed(q));
	return KC_OK;
}

/* The wrap key from K shares, before any token is touched. */
static int
restore_key(const struct restore_args *a, const struct kc_bk_manifest *m,
    struct kc_secret **wk)
{
	struct kc_quorum *q = NULL;
	int rc, i;

	*wk = NULL;
	if (a->files.n > KC_QUORUM_MAX_SHARES)
		return kc_err(KC_ERR_USAGE, "at most %d --share-file",
		    KC_QUORUM_MAX_SHARES);
	if (a->files.n > 0 && a->files.n < m->k)
		return kc_err(KC_ERR_USAGE, "%d share sheet%s given, this "
		    "backup needs %d of its %d; nothing was sent to the token",
		    a->files.n, a->files.n == 1 ? "" : "s", m->k, m->n);
	if ((rc = kc_quorum_new(&q)) != KC_OK)
		return rc;
	for (i = 0; rc == KC_OK && kc_quorum_needed(q) != 0; i++) {
		if (a->files.n > 0 && i == a->files.n) {
			rc = kc_err(KC_ERR_USAGE, "the %d share sheets given "
			    "hold fewer than %d different shares; nothing was "
			    "sent to the token", a->files.n, m->k);
			break;
		}
		rc = restore_share(a, m, q, i);
	}
	if (rc == KC_OK)
		rc = kc_bk_combine(q, wk);
	kc_quorum_free(q);
	return rc;
}

/* --keep-wrap-key LABEL: a label of its own, free in the token. */
static int
keep_check(const struct restore_args *a, struct kc_session *s,
    const char *label)
{
	char what[32];
	size_t n;
	int used;

	if (a->keep == NULL)
		return KC_OK;
	n = strlen(a->keep);
	if (n == 0 || n > 64 || !kc_text_plain(a->keep, n, NULL, 0))
		return kc_err(KC_ERR_USAGE, "--keep-wrap-key: a label of 1 to "
		    "64 printable characters");
	if (strcmp(a->keep, label) == 0)
		return kc_err(KC_ERR_USAGE, "--keep-wrap-key %s is the label "
		    "of the restored key; give the wrap key a label of its "
		    "own", a->keep);
	if ((used = kc_token_label_used(s->tok, a->keep, what,
	    sizeof(what))) < 0)
		return used;
	if (used > 0)
		return kc_err(KC_ERR_EXISTS, "--keep-wrap-key %s: token '%s' "
		    "has a %s of that label already; nothing was restored",
		    a->keep, a->token, what);
	return KC_OK;
}

int
cmd_backup_restore(int argc, char **argv)
{
	struct restore_args a;
	struct kc_bk_backup b;
	struct kc_session s = { NULL, NULL };
	struct kc_secret *wk = NULL;
	struct kc_register *reg = NULL;
	struct kc_transcript *tr = NULL;
	const char *label = NULL;
	char files[1024] = "", sh[128];
	int rc, st = KC_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if ((rc = kc_opt_parse(&cmd_backup_restore_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	/* --state: the register and the transcript first, so that a
	 * refused restore is in the transcript too */
	if ((rc = record_open(a.state, a.from, &reg)) != KC_OK ||
	    (rc = log_open(a.state, "backup-restore", "Root key restore "
	    "(keyceremony backup restore)", a.module, a.token, a.from,
	    &tr)) != KC_OK)
		goto fail;
	label = a.label;
	if ((rc = kc_bk_load(a.from, a.issuer, &b)) != KC_OK ||
	    (rc = restore_key(&a, &b.m, &wk)) != KC_OK)
		goto fail;
	label = a.label != NULL ? a.label : b.m.key_label;
	if ((rc = kc_session_open(a.module, a.token, a.pin_file, &s)) !=
	    KC_OK || (rc = keep_check(&a, &s, label)) != KC_OK ||
	    (rc = kc_bk_restore(s.tok, &b, wk, label, a.keep)) != KC_OK)
		goto fail;
	kc_secret_free(wk);
	wk = NULL;
	if ((rc = kc_bk_register(reg, "restore", &b.m, a.token, label,
	    a.from)) !=
	    KC_OK)
		goto fail;
	kc_bk_medium_files(a.from, files, sizeof(files));
	snprintf(sh, sizeof(sh), "set %s, %d of its %d custodians' shares "
	    "given", b.m.set_id, b.m.k, b.m.n);
	{
		const char *kv[] = { "token", a.token, "key-label", label,
		    "in", files, "backed-up-from", b.m.token_label,
		    "public-key-sha256", b.m.pub_sha256, "check", "the "
		    "restored key's public key is the backed-up one (and the "
		    "root certificate's, when there is one); a test "
		    "signature verifies", "shares", sh, "wrap-key", a.keep ?
		    "KEPT in the token as a token object" : "a session "
		    "object of this command, destroyed", "wrap-key-label",
		    a.keep ? a.keep : "" };

		rc = log_close(tr, "backup-restore", KC_OK, &s, a.token, label,
		    kv, 9);
		tr = NULL;
		if (rc != KC_OK)
			goto fail;
	}
	printf("key '%s' restored into token '%s' from %s\n", kc_disp(label),
	    kc_disp(a.token), kc_disp(a.from));
	printf("  %-14s %s (backed up from token '%s', serial %s, %s)\n",
	    "algorithm", kc_disp(b.m.alg), kc_disp(b.m.token_label),
	    kc_disp(b.m.token_serial), kc_disp(b.m.created));
	printf("  %-14s %s (the backed-up key's; a test signature "
	    "verifies)\n", "public key", kc_hash(b.m.pub_sha256));
	printf("  %-14s %s\n", "signs with", kc_token_sign_mech(s.tok));
	printf("  %-14s CKA_LOCAL=FALSE, CKA_ALWAYS_SENSITIVE=FALSE (made "
	    "outside this token, by C_UnwrapKey); sensitive, sign-only, "
	    "CKA_WRAP_WITH_TRUSTED\n", "attributes");
	if (a.keep != NULL)
		printf("  %-14s KEPT in token '%s' as '%s' (a token object): "
		    "with the user PIN and this backup medium it restores the "
		    "key into this token again WITHOUT the custodians; "
		    "destroy it when that is no longer needed (pkcs11-tool "
		    "--delete-object --type secrkey --label '%s', or the "
		    "HSM's own tools)\n", "wrap key", kc_disp(a.token),
		    kc_disp(a.keep), kc_disp(a.keep));
	else
		printf("  %-14s destroyed (a session object of this command)\n",
		    "wrap key");
	st = KC_EXIT_OK;
	goto out;
fail:
	rc = log_close(tr, "backup-restore", rc, &s, a.token, label != NULL ?
	    label : "(the backup's)", NULL, 0);
	tr = NULL;
	st = kc_front_fail(rc);
out:
	kc_session_close(&s);
	kc_secret_free(wk);
	kc_register_close(reg);
	kc_bk_backup_clear(&b);
	return st;
}

/*
 * factory_issue.c: the per-device issue path. A device CSR (or a key made
 * here, factorysign issue) becomes a certificate: the ledger asked whether
 * the ID was issued (a rerun of the same input repairs the files instead,
 * factory_rerun.c), a fresh serial, the signature (factory_fast.c), the
 * first certificate of each shape re-checked with OpenSSL, the output
 * files (formats.c, factory_out.c), the ledger row, then durability
 * (factory_batch.c). Also the in-memory signer of the benchmark
 * (kc_factory_sign_mem). Owns the buffers and the job of one device.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

static void
hexify(const unsigned char *b, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A fresh serial that is not in the ledger (nor among the uncommitted
 * rows: they are in the same transaction). On a PostgreSQL ledger it is
 * not looked up first: the serial is the table's primary key there, so a
 * repeat (127 random bits: never, in practice) is refused by the server
 * at the insert (that device fails, naming the serial; nothing is
 * recorded for it) -- a round trip less per device. */
int
kc_factory_new_serial(struct kc_factory *f, unsigned char serial[KC_SERIAL_LEN],
    char hex[41])
{
	for (int tries = 0; tries < 8; tries++) {
		int r;
		if (RAND_bytes(serial, KC_SERIAL_LEN) != 1)
			return kc_err_ssl(KC_ERR_CRYPTO, "random serial");
		kc_serial_fix(serial, KC_SERIAL_LEN);
		hexify(serial, KC_SERIAL_LEN, hex);
		if (f == NULL || strcmp(kc_ledger_backend(f->ledger),
		    "postgresql") == 0)
			return KC_OK;
		if ((r = kc_ledger_serial_exists(f->ledger, hex)) == 0)
			return KC_OK;
		if (r < 0)
			return r;
	}
	return kc_err(KC_ERR_INTERNAL, "the random generator keeps repeating "
	    "serials; stop and check the system");
}

/* A device's validity: notBefore = now - backdate (seconds; 0: the
 * default KC_FACTORY_BACKDATE), never before the intermediate's
 * notBefore; notAfter = now + days, within the intermediate's. */
int
kc_factory_validity(struct kc_factory *f, int days, int backdate, time_t *nb,
    time_t *na)
{
	time_t now = time(NULL);
	char d[40];
	int rc;

	if (backdate == 0)
		backdate = KC_FACTORY_BACKDATE;
	else if (backdate == KC_FACTORY_BACKDATE_NONE)
		backdate = 0;
	if (backdate < 0 || backdate > KC_FACTORY_BACKDATE_MAX)
		return kc_err(KC_ERR_USAGE, "--backdate %d out of range (0 to "
		    "%d seconds)", backdate, KC_FACTORY_BACKDATE_MAX);
	if ((rc = kc_validity(days, now, nb, na)) != KC_OK)
		return rc;
	if (*na > f->sg.ca_not_after) {
		kc_time_utc(f->sg.ca_not_after, d);
		return kc_err(KC_ERR_POLICY, "--days %d: the certificate would "
		    "outlive the intermediate (valid until %s); at most %ld "
		    "days are possible", days, d,
		    (long)((f->sg.ca_not_after - now) / 86400));
	}
	*nb = now - backdate;
	if (*nb < f->sg.ca_not_before)
		*nb = f->sg.ca_not_before;
	return KC_OK;
}

/* Decodes the first certificate with OpenSSL, lints it and verifies its
 * signature: a bug in the builder stops the run before a second one. */
static int
self_check(struct kc_factory *f, const unsigned char *der, size_t len,
    enum kc_profile profile)
{
	const unsigned char *q = der;
	X509 *x;
	int rc = KC_OK;

	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL || q != der + len) {
		X509_free(x);
		return kc_err_ssl(KC_ERR_INTERNAL, "self-check: the signed "
		    "certificate does not decode (a bug)");
	}
	if ((rc = kc_cert_lint(x, f->inter, profile)) != KC_OK)
		rc = kc_err(KC_ERR_INTERNAL, "self-check: %s (a bug)",
		    kc_errmsg());
	else if (X509_verify(x, f->key) != 1)
		rc = kc_err_ssl(KC_ERR_INTERNAL, "self-check: the signature "
		    "does not verify (a bug)");
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* Whether an existing OUT/ID.cert.pem may be replaced: it was written by
 * an interrupted run of this factory (our issuer, serial not recorded) or
 * it is the live certificate being reissued. */
static int
replaceable(struct kc_factory *f, const char *path, const char *reissue_serial)
{
	unsigned char *data = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *serial = NULL;
	int ok = 0;

	if (kc_file_read(path, KC_FILE_MAX, &data, &len) != KC_OK)
		goto out;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		goto out;
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(f->inter)) != 0 ||
	    (serial = kc_cert_serial_hex(x)) == NULL)
		goto out;
	if (reissue_serial != NULL && strcasecmp(serial, reissue_serial) == 0)
		ok = 1;
	else
		ok = kc_ledger_serial_exists(f->ledger, serial) == 0;
out:
	ERR_clear_error();
	free(serial);
	X509_free(x);
	BIO_free(bio);
	free(data);
	return ok;
}

struct subject_in {
	const unsigned char	*subject;	size_t subject_len;
	const unsigned char	*spki;		size_t spki_len;
	const unsigned char	*keybits;	size_t keybits_len;
	enum kc_alg		 alg;
	const char		*cn;
	char			 csr_sha256[65];
	EVP_PKEY		*key;	/* generated here, or NULL */
	const char		*ignored;
};

/* The live row of the device came from this input: the same CSR, or
 * (keys made here: a new key every run) a row whose key was made here. */
static int
same_input(const struct kc_ledger_row *live, const struct subject_in *in)
{
	if (in->key != NULL)
		return live->csr_sha256[0] == '\0';
	return in->csr_sha256[0] != '\0' &&
	    strcmp(live->csr_sha256, in->csr_sha256) == 0;
}

/* A rerun: the certificate of the live row instead of a new one. */
static int
ledger_cert(const struct kc_ledger_row *live, char shex[41],
    unsigned char **der, size_t *der_len)
{
	if ((*der = malloc(live->cert_der_len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(*der, live->cert_der, live->cert_der_len);
	*der_len = live->cert_der_len;
	snprintf(shex, 41, "%s", live->serial);
	return KC_OK;
}

/* A rerun: the files against the ledger, repaired (factory_rerun.c);
 * hashes recorded for an old row are committed now, or with the batch. */
static int
rerun_done(struct kc_factory *f, const struct kc_ledger_row *live,
    const struct kc_fjob *job, const char *absdir,
    struct kc_factory_result *res)
{
	const char *sl = strrchr(live->cert_path, '/');
	int n = 0, rc;

	if (sl != NULL && (strlen(absdir) != (size_t)(sl - live->cert_path) ||
	    strncmp(absdir, live->cert_path, strlen(absdir)) != 0))
		kc_log(KC_LOG_INFO, "%s: its files are in %.*s, where it was "
		    "issued (not in %s)", live->device_id,
		    (int)(sl - live->cert_path), live->cert_path, job->out_dir);
	if ((rc = kc_factory_rerun(f->ledger, live, job, &n)) != KC_OK ||
	    (!f->batch && (rc = kc_ledger_commit(f->ledger)) != KC_OK))
		return rc;
	res->outcome = n > 0 ? KC_FACTORY_REPAIRED : KC_FACTORY_SKIPPED;
	res->rewritten = n;
	snprintf(res->id, sizeof(res->id), "%s", live->device_id);
	snprintf(res->serial, sizeof(res->serial), "%s", live->serial);
	snprintf(res->cert_sha256, sizeof(res->cert_sha256), "%s",
	    live->cert_sha256);
	res->not_before = live->issued_at;
	res->not_after = live->not_after;
	return KC_OK;
}

/* A shared ledger's live row (rows name their station): who issued it
 * and when, as the ledger says when two stations race for one ID. */
static int
issued_by(const struct kc_ledger_row *live, const char *name, const char *id)
{
	time_t t = live->recorded_at != 0 ? live->recorded_at : live->issued_at;
	struct tm tm;
	char d[32];

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return kc_err(KC_ERR_EXISTS, "%s: device ID '%s' was already issued "
	    "by station %s at %s (serial %s); nothing issued: a device ID is "
	    "issued once across the stations (use --reissue to replace it)",
	    name, id, live->station, d, live->serial);
}

/* The absolute path of out_dir (the ledger records absolute paths, so that
 * `ledger verify` works from any directory), cached for a batch. */
static int
abs_out_dir(struct kc_factory *f, const char *out_dir, const char **abs)
{
	char buf[PATH_MAX];

	if (f->abs_src == NULL || strcmp(f->abs_src, out_dir) != 0) {
		free(f->abs_src);
		free(f->abs_dir);
		f->abs_src = f->abs_dir = NULL;
		if (realpath(out_dir, buf) == NULL)
			return kc_err(KC_ERR_IO, "%s: %s", out_dir,
			    strerror(errno));
		if ((f->abs_src = strdup(out_dir)) == NULL ||
		    (f->abs_dir = strdup(buf)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*abs = f->abs_dir;
	return KC_OK;
}

static int
issue_one(struct kc_factory *f, const struct subject_in *in,
    const char *name, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;
	unsigned char serial[KC_SERIAL_LEN], *der = NULL;
	size_t der_len = 0;
	char shex[41], cert_path[PATH_MAX];
	const char *absdir = NULL;
	struct kc_ledger_row live, row;
	struct kc_buf leaf = { 0 }, chain = { 0 }, full = { 0 }, keyb = { 0 };
	struct kc_buf pfx = { 0 }, cfile = { 0 }, atf = { 0 }, plain = { 0 };
	struct kc_buf atsum = { 0 };
	char atwarn[sizeof(res->warn)] = "";
	struct kc_fjob *job = NULL;
	X509 *x = NULL;
	time_t nb, na;
	int rc, have_live = 0, r, fresh = 1, keyenc, key_in_c = 0, rerun;

	memset(&live, 0, sizeof(live));
	memset(&row, 0, sizeof(row));
	if ((rc = kc_factory_validity(f, o->days ? o->days : KC_FACTORY_DAYS,
	    o->backdate, &nb, &na)))
		return rc;
	if ((r = kc_ledger_begin(f->ledger)) != KC_OK)
		return r;
	if ((r = kc_ledger_find_id(f->ledger, in->cn, &live)) < 0) {
		rc = r;
		goto out;
	}
	have_live = r == 1;
	/* the files of that row may still be queued: let the writer catch
	 * up before looking at them */
	if (have_live && f->writer != NULL &&
	    (rc = kc_fwriter_wait(f->writer)) != KC_OK) {
		rc = kc_factory_batch_fail(f, rc);
		goto out;
	}
	/* the same input again: no new signature; the files are checked
	 * against the ledger and repaired (rerun_done) */
	rerun = have_live && o->resume && same_input(&live, in) &&
	    !(in->key != NULL && o->reissue) &&	/* issue --reissue: new keys */
	    strcmp(live.status, "pending") != 0;	/* not on its device */
	if (!rerun && have_live && f->batch && live.rowid > f->batch_rowid) {
		/* two CSRs of one device in a batch: which is the device's
		 * key cannot be told here, so the second one is not taken,
		 * also with --reissue */
		rc = kc_err(KC_ERR_EXISTS, "%s: device ID '%s' was issued "
		    "earlier in this batch from another CSR (serial %s); one "
		    "CSR per device ID in a batch", name, in->cn, live.serial);
		goto out;
	}
	if (!rerun && have_live && !o->reissue &&
	    strcmp(live.status, "pending") == 0) {
		rc = kc_err(KC_ERR_EXISTS, "%s: device ID '%s' is pending "
		    "(serial %s): the line station recorded it before its "
		    "credential was confirmed on the device; rerun factorysign "
		    "provision on that device (or use --reissue)", name, in->cn,
		    live.serial);
		goto out;
	}
	/* another station's device is no rerun here, even from the same
	 * input: its files are that station's */
	if (rerun && live.station[0] != '\0' &&
	    strcmp(live.station, kc_ledger_station(f->ledger)) != 0)
		rerun = 0;
	if (!rerun && have_live && !o->reissue && live.station[0] != '\0') {
		rc = issued_by(&live, name, in->cn);
		goto out;
	}
	if (!rerun && have_live && !o->reissue) {
		char d[40];
		kc_time_utc(live.issued_at, d);
		rc = kc_err(KC_ERR_EXISTS, "%s: device ID '%s' was already "
		    "issued (serial %s, %s); a device ID is issued once (use "
		    "--reissue to replace it)", name, in->cn, live.serial, d);
		goto out;
	}
	if ((rc = abs_out_dir(f, o->out_dir, &absdir)) != KC_OK ||
	    (rc = kc_fname_path(absdir, in->cn, ".cert.pem", cert_path,
	    sizeof(cert_path))) != KC_OK)
		goto out;
	fresh = access(cert_path, F_OK) != 0;
	if (!rerun && !fresh && !replaceable(f, cert_path,
	    have_live ? live.serial : NULL)) {
		rc = kc_err(KC_ERR_EXISTS, "%s: %s already exists and is not an "
		    "unrecorded output of this factory; refusing to overwrite "
		    "it", name, cert_path);
		goto out;
	}
	keyenc = in->alg == KC_ALG_RSA_2048 || in->alg == KC_ALG_RSA_3072 ||
	    in->alg == KC_ALG_RSA_4096;
	if (rerun)
		rc = ledger_cert(&live, shex, &der, &der_len);
	else if ((rc = kc_factory_new_serial(f, serial, shex)) == KC_OK)
		rc = kc_signer_issue(&f->sg, in->subject, in->subject_len,
		    in->spki, in->spki_len, in->keybits, in->keybits_len,
		    keyenc, serial, nb, na, &der, &der_len);
	if (rc != KC_OK)
		goto out;
	if (!rerun && !(f->checked & (1 << keyenc))) {
		if ((rc = self_check(f, der, der_len, KC_PROFILE_DEVICE)))
			goto out;
		f->checked |= 1 << keyenc;
	}
	if ((rc = kc_buf_pem(&leaf, "CERTIFICATE", der, der_len)) ||
	    (rc = kc_buf_add(&chain, leaf.p, leaf.len)) ||
	    (rc = kc_buf_add(&chain, f->inter_pem.p, f->inter_pem.len)) ||
	    (rc = kc_buf_add(&full, chain.p, chain.len)) ||
	    (rc = kc_buf_add(&full, f->root_pem.p, f->root_pem.len)))
		goto out;
	if (in->key != NULL) {
		if ((rc = kc_key_pem(in->key, NULL, 0, &plain)) != KC_OK ||
		    (rc = kc_key_pem(in->key, o->plain_keys ? NULL :
		    o->key_pass, o->key_format == KC_KEYFMT_MBEDTLS2 ?
		    KC_KEYENC_PBKDF2_3DES : KC_KEYENC_PBKDF2_AES, &keyb)) !=
		    KC_OK)
			goto out;
	}
	if (fm & (KC_FMT_PFX | KC_FMT_C | KC_FMT_AT)) {
		struct kc_outputs out = { in->cn, leaf.p, leaf.len, chain.p,
		    chain.len, full.p, full.len, in->key != NULL ? in->key :
		    o->device_key, NULL, f->inter, f->root };
		const unsigned char *q = der;
		const char *kp = in->key != NULL ? plain.p : NULL;

		if ((fm & KC_FMT_PFX) &&
		    ((x = d2i_X509(NULL, &q, (long)der_len)) == NULL)) {
			rc = kc_err_ssl(KC_ERR_INTERNAL, "certificate decode");
			goto out;
		}
		if ((fm & KC_FMT_PFX) && out.key != NULL &&
		    X509_check_private_key(x, out.key) != 1) {
			ERR_clear_error();
			rc = kc_err(KC_ERR_POLICY, "%s: --key is not the key of "
			    "this CSR (its public key differs); the PKCS#12 "
			    "file would not work", name);
			goto out;
		}
		out.leaf = x;
		if ((fm & KC_FMT_PFX) &&
		    (rc = kc_format_pfx(&out, o->pfx_pass, &pfx)) != KC_OK)
			goto out;
		if ((fm & KC_FMT_C) &&
		    (rc = kc_format_c(&out, kp, &cfile)) != KC_OK)
			goto out;
		if ((fm & KC_FMT_AT) &&
		    (rc = kc_format_at(&out, kp, o->at_ca_pem, o->sec_tag,
		    o->strict_size, &atf, &atsum, atwarn, sizeof(atwarn),
		    res->at_sha256)) != KC_OK)
			goto out;
		key_in_c = kp != NULL;
	}
	/* the files, ID.cert.pem first: its presence tells a rerun whether
	 * the other files of this ID are ours */
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->name = strdup(name)) == NULL ||
	    (job->out_dir = strdup(o->out_dir)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(job->id, sizeof(job->id), "%s", in->cn);
	job->fresh = fresh;
	kc_sha256_hex(der, der_len, row.cert_sha256);
	if ((rc = kc_fjob_add(job, ".cert.pem", &leaf, 0644)) ||
	    (rc = kc_fjob_add(job, ".chain.pem", &chain, 0644)) ||
	    (rc = kc_fjob_add(job, ".full-chain.pem", &full, 0644)) ||
	    (keyb.p != NULL &&
	    (rc = kc_fjob_add(job, ".key.pem", &keyb, 0600))) ||
	    (pfx.p != NULL && (rc = kc_fjob_add(job, ".pfx", &pfx, 0600))) ||
	    (cfile.p != NULL && (rc = kc_fjob_add(job, ".c", &cfile,
	    key_in_c ? 0600 : 0644))) ||
	    (atf.p != NULL && (rc = kc_fjob_add(job, ".at", &atf,
	    key_in_c ? 0600 : 0644))) ||
	    (atsum.p != NULL && (rc = kc_fjob_add(job, ".at.sha256", &atsum,
	    0644))))
		goto out;
	if (rerun) {
		rc = rerun_done(f, &live, job, absdir, res);
		goto out;
	}
	if (f->pending_dir != NULL && strcmp(f->pending_dir, o->out_dir) != 0 &&
	    (rc = kc_factory_sync_outputs(f)) != KC_OK) {
		if (f->batch)
			rc = kc_factory_batch_fail(f, rc);
		goto out;
	}
	if (f->pending_dir == NULL &&
	    (f->pending_dir = strdup(o->out_dir)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* The row first, then the files: the row becomes durable only with
	 * the commit below, after the files are written and synced. */
	memcpy(row.serial, shex, sizeof(shex));
	snprintf(row.device_id, sizeof(row.device_id), "%s", in->cn);
	memcpy(row.csr_sha256, in->csr_sha256, sizeof(row.csr_sha256));
	row.issued_at = nb;
	row.not_after = na;
	strcpy(row.kind, "device");
	strcpy(row.status, o->pending ? "pending" : "issued");
	row.cert_path = cert_path;
	row.cert_der = der;
	row.cert_der_len = der_len;
	if (have_live && (rc = kc_ledger_supersede(f->ledger, live.serial)))
		goto out;
	if ((rc = kc_ledger_record(f->ledger, &row)) != KC_OK ||
	    (rc = kc_factory_pend_job(f, shex, job)) != KC_OK)
		goto out;
	if (f->writer != NULL) {
		/* a failure of an earlier device's files surfaces here */
		rc = kc_fwriter_put(f->writer, job);
		job = NULL;
		if (rc != KC_OK) {
			rc = kc_factory_batch_fail(f, rc);
			goto out;
		}
	} else if ((rc = kc_fjob_write(job)) != KC_OK)
		goto out;
	f->pending++;
	if (!f->batch || f->pending >= f->commit_every) {
		if ((rc = kc_factory_flush(f)) != KC_OK) {
			if (f->batch) {
				/* this device is reported failed, not
				 * issued: the others are the lost ones */
				f->pending--;
				rc = kc_factory_batch_fail(f, rc);
			} else {
				/* the row is lost with the rollback, and
				 * its files with it (kept when the commit
				 * may have happened) */
				kc_ledger_rollback(f->ledger);
				f->pending = 0;
				kc_factory_pend_drop(f);
			}
			goto out;
		}
	}
	res->outcome = KC_FACTORY_ISSUED;
	snprintf(res->id, sizeof(res->id), "%s", in->cn);
	memcpy(res->serial, shex, sizeof(shex));
	memcpy(res->cert_sha256, row.cert_sha256, sizeof(row.cert_sha256));
	res->not_before = nb;
	res->not_after = na;
	snprintf(res->ignored, sizeof(res->ignored), "%s",
	    in->ignored != NULL ? in->ignored : "");
	memcpy(res->warn, atwarn, sizeof(res->warn));
out:
	/* not in a batch, a failed or skipped device leaves no row, nor
	 * files of its own */
	if (!f->batch && kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	if (!f->batch) {
		kc_factory_pend_drop(f);
		f->doubt = 0;
	}
	kc_fjob_free(job);
	kc_ledger_row_clear(&live);
	X509_free(x);
	free(der);
	kc_buf_free(&leaf);
	kc_buf_free(&chain);
	kc_buf_free(&full);
	kc_buf_free(&keyb);
	kc_buf_free(&plain);
	kc_buf_free(&pfx);
	kc_buf_free(&cfile);
	kc_buf_free(&atf);
	kc_buf_free(&atsum);
	return rc;
}

static int
take_csr(struct kc_factory *f, const unsigned char *csr, size_t len,
    const char *name, const char *id, struct kc_fcsr *c,
    unsigned char **der, size_t *der_len)
{
	int rc;

	if ((rc = kc_fcsr_read(csr, len, name, id, c, der, der_len)) != KC_OK)
		return rc;
	return kc_fcsr_verify(&f->sg, c, name);
}

int
kc_factory_issue(struct kc_factory *f, const unsigned char *csr, size_t len,
    const char *name, const char *id, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	struct kc_fcsr c;
	struct subject_in in;
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = take_csr(f, csr, len, name, id, &c, &der, &der_len)))
		goto out;
	memset(&in, 0, sizeof(in));
	in.subject = c.subject, in.subject_len = c.subject_len;
	in.spki = c.spki, in.spki_len = c.spki_len;
	in.keybits = c.keybits, in.keybits_len = c.keybits_len;
	in.alg = c.alg;
	in.cn = c.cn;
	in.ignored = c.ignored;
	kc_sha256_hex(der, der_len, in.csr_sha256);
	rc = issue_one(f, &in, name, o, res);
out:
	free(der);
	return rc;
}

int
kc_factory_sign_mem(struct kc_factory *f, const unsigned char *csr,
    size_t len, const char *name, int days, char **pem, size_t *pem_len)
{
	struct kc_fcsr c;
	unsigned char *der = NULL, *cert = NULL, serial[KC_SERIAL_LEN];
	size_t der_len = 0, cert_len = 0;
	struct kc_buf b = { 0 };
	char shex[41];
	time_t nb, na;
	int rc, keyenc;

	*pem = NULL;
	if ((rc = kc_factory_validity(f, days ? days : KC_FACTORY_DAYS, 0, &nb,
	    &na)) ||
	    (rc = take_csr(f, csr, len, name, NULL, &c, &der, &der_len)) ||
	    (rc = kc_factory_new_serial(NULL, serial, shex)) ||
	    (rc = kc_signer_issue(&f->sg, c.subject, c.subject_len, c.spki,
	    c.spki_len, c.keybits, c.keybits_len, c.alg != KC_ALG_EC_P256 &&
	    c.alg != KC_ALG_EC_P384, serial, nb, na, &cert, &cert_len)))
		goto out;
	keyenc = c.alg != KC_ALG_EC_P256 && c.alg != KC_ALG_EC_P384;
	if (!(f->checked & (1 << keyenc))) {
		if ((rc = self_check(f, cert, cert_len, KC_PROFILE_DEVICE)))
			goto out;
		f->checked |= 1 << keyenc;
	}
	if ((rc = kc_buf_pem(&b, "CERTIFICATE", cert, cert_len)) != KC_OK)
		goto out;
	*pem = b.p;
	*pem_len = b.len;
	b.p = NULL;
out:
	free(b.p);
	free(der);
	free(cert);
	return rc;
}

int
kc_factory_issue_keygen(struct kc_factory *f, const char *id,
    enum kc_alg alg, const struct kc_factory_opts *o,
    struct kc_factory_result *res)
{
	struct subject_in in;
	EVP_PKEY *key = NULL;
	X509_NAME *name = NULL;
	unsigned char *spki = NULL, *subj = NULL;
	int spki_len, subj_len, rc;
	const char *why;
	char dn[KC_FACTORY_ID_MAX + 8];

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	if (!kc_factory_id_ok(id, &why))
		return kc_err(KC_ERR_POLICY, "device ID '%s' is not a valid DPS "
		    "registration ID: %s", id, why);
	if (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384)
		return kc_err(KC_ERR_USAGE, "device keys made here are EC P-256 "
		    "or P-384");
	snprintf(dn, sizeof(dn), "/CN=%s", id);
	if ((rc = kc_name_parse(dn, &name)) != KC_OK)
		return rc;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    alg == KC_ALG_EC_P256 ? "P-256" : "P-384");
	if (key == NULL || (spki_len = i2d_PUBKEY(key, &spki)) <= 0 ||
	    (subj_len = i2d_X509_NAME(name, &subj)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "device key generation failed");
		goto out;
	}
	in.subject = subj, in.subject_len = (size_t)subj_len;
	in.spki = spki, in.spki_len = (size_t)spki_len;
	/* the BIT STRING is the last element of the SPKI: 03 len 00 point */
	{
		size_t pl = alg == KC_ALG_EC_P256 ? 65 : 97;
		if ((size_t)spki_len < pl + 1) {
			rc = kc_err(KC_ERR_INTERNAL, "unexpected SPKI");
			goto out;
		}
		in.keybits = spki + spki_len - pl;
		in.keybits_len = pl;
	}
	in.alg = alg;
	in.cn = id;
	in.key = key;
	rc = issue_one(f, &in, id, o, res);
out:
	OPENSSL_free(spki);
	OPENSSL_free(subj);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

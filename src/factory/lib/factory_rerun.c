/*
 * factory_rerun.c: the output files of a device against the ledger. At
 * issue time the SHA-256 of every file written is recorded with the row
 * (kc_fjob_record, same transaction, so committed only after the files are
 * synced). A rerun for a device already issued from the same input
 * (kc_factory_rerun) compares each file on disk with its record and
 * rewrites a missing or damaged one from what the ledger holds (the
 * certificate, the chain rebuilt from the installed intermediate and
 * root), without a new signature, when the rebuilt bytes are the recorded
 * ones. A file that cannot be rebuilt so (it holds the device key, which
 * the factory does not keep, or this run makes it with other options) is
 * reported. Rows recorded before hashes were kept get the hashes of their
 * certificate and chain files once those match the ledger, by a rerun or
 * by `ledger verify --backfill` (kc_factory_backfill).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

#define REC_MAX	16

int
kc_fjob_record(struct kc_ledger *l, const char *serial,
    const struct kc_fjob *j)
{
	char hex[65];
	int rc;

	for (size_t i = 0; i < j->n; i++) {
		kc_sha256_hex(j->f[i].data.p, j->f[i].data.len, hex);
		if ((rc = kc_ledger_file_record(l, serial, j->f[i].suffix,
		    hex)) != KC_OK)
			return rc;
	}
	return KC_OK;
}

/* The directory of a recorded certificate path. */
static void
rec_dir(const char *cert_path, char *out, size_t outsz)
{
	const char *sl = strrchr(cert_path, '/');

	if (sl == NULL)
		snprintf(out, outsz, ".");
	else if (sl == cert_path)
		snprintf(out, outsz, "/");
	else
		snprintf(out, outsz, "%.*s", (int)(sl - cert_path), cert_path);
}

/* The SHA-256 of a file: 1 when read, 0 when missing or unreadable (why
 * says which). */
static int
file_hash(const char *path, char hex[65], const char **why)
{
	unsigned char *data = NULL;
	size_t len;
	int rc;

	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK) {
		*why = rc == KC_ERR_NOTFOUND || access(path, F_OK) != 0 ?
		    "missing" : "unreadable";
		kc_err_clear();
		return 0;
	}
	kc_sha256_hex(data, len, hex);
	OPENSSL_clear_free(data, len);
	*why = "damaged";
	return 1;
}

static const struct kc_ledger_file *
rec_find(const struct kc_ledger_file *rec, size_t n, const char *suffix)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rec[i].suffix, suffix) == 0)
			return &rec[i];
	return NULL;
}

/* A file of an old row (no hashes) that the ledger alone decides. */
static int
ledger_made(const char *suffix)
{
	return strcmp(suffix, ".cert.pem") == 0 ||
	    strcmp(suffix, ".chain.pem") == 0 ||
	    strcmp(suffix, ".full-chain.pem") == 0;
}

/* Appends "PATH is WHY, WHAT" to a "; "-separated problem list. */
static void
note(char *buf, size_t bufsz, const char *path, const char *why,
    const char *what)
{
	size_t n = strlen(buf);

	if (n + 3 >= bufsz)
		return;
	if (n > 0) {
		strcpy(buf + n, "; ");
		n += 2;
	}
	snprintf(buf + n, bufsz - n, "%s is %s and %s", path, why, what);
}

int
kc_factory_rerun(struct kc_ledger *l, const struct kc_ledger_row *live,
    const struct kc_fjob *j, int *rewritten)
{
	struct kc_ledger_file rec[REC_MAX];
	char dir[PATH_MAX], path[PATH_MAX], have[65], want[65];
	char bad[1024] = "";
	const char *why;
	size_t nrec;
	int rc, old;

	*rewritten = 0;
	if ((rc = kc_ledger_files(l, live->serial, rec, REC_MAX, &nrec)))
		return rc;
	old = nrec == 0;
	rec_dir(live->cert_path, dir, sizeof(dir));
	for (size_t i = 0; i < j->n; i++) {
		const struct kc_fout *o = &j->f[i];
		const struct kc_ledger_file *r = rec_find(rec, nrec, o->suffix);
		int present;

		if (r == NULL && !(old && ledger_made(o->suffix)))
			continue;	/* not an output of that issue */
		if ((rc = kc_fname_path(dir, live->device_id, o->suffix, path,
		    sizeof(path))) != KC_OK)
			return rc;
		present = file_hash(path, have, &why);
		kc_sha256_hex(o->data.p, o->data.len, want);
		if (r != NULL && present && strcmp(have, r->sha256) == 0)
			continue;	/* intact */
		if (r == NULL && present && strcmp(have, want) == 0) {
			/* an old row's file, as the ledger makes it: from now
			 * on recorded */
			if ((rc = kc_ledger_file_record(l, live->serial,
			    o->suffix, want)) != KC_OK)
				return rc;
			continue;
		}
		if (r != NULL && strcmp(want, r->sha256) != 0) {
			note(bad, sizeof(bad), path, why, (o->mode & 077) == 0 ?
			    "cannot be rewritten: it holds the device key, "
			    "which the factory does not keep" : "this run would "
			    "write it differently (other --format options or "
			    "another installed chain): rerun with the options "
			    "of the first run");
			continue;
		}
		if ((rc = kc_file_write(path, o->data.p, o->data.len, o->mode,
		    0)) != KC_OK)
			return rc;
		if (r == NULL && (rc = kc_ledger_file_record(l, live->serial,
		    o->suffix, want)) != KC_OK)
			return rc;
		kc_log(KC_LOG_INFO, "%s: %s was %s; rewritten from the ledger "
		    "(serial %s, no new signature)", live->device_id, path, why,
		    live->serial);
		(*rewritten)++;
	}
	/* recorded files this run does not make: checked all the same */
	for (size_t k = 0; k < nrec; k++) {
		size_t i;

		for (i = 0; i < j->n; i++)
			if (strcmp(j->f[i].suffix, rec[k].suffix) == 0)
				break;
		if (i < j->n)
			continue;
		if ((rc = kc_fname_path(dir, live->device_id, rec[k].suffix,
		    path, sizeof(path))) != KC_OK)
			return rc;
		if (file_hash(path, have, &why) &&
		    strcmp(have, rec[k].sha256) == 0)
			continue;
		note(bad, sizeof(bad), path, why, "this run does not make it: "
		    "rerun with the --format options of the first run");
	}
	if (bad[0] != '\0')
		return kc_err(KC_ERR_EXISTS, "%s: already issued (serial %s), "
		    "but %s", live->device_id, live->serial, bad);
	return KC_OK;
}

/* --- ledger verify --backfill ---------------------------------------------- */

struct backfill {
	struct kc_ledger	*l;
	struct kc_buf		 inter, root;
	long			 rows, files, differ;
	int			 rc;
};

/* The certificate, chain and full-chain text the ledger makes of a row,
 * as issue_one writes them, into b[3]. */
static int
ledger_texts(const struct backfill *bf, const struct kc_ledger_row *r,
    struct kc_buf b[3])
{
	int rc;

	if ((rc = kc_buf_pem(&b[0], "CERTIFICATE", r->cert_der,
	    r->cert_der_len)) != KC_OK ||
	    (rc = kc_buf_add(&b[1], b[0].p, b[0].len)) != KC_OK ||
	    (rc = kc_buf_add(&b[1], bf->inter.p, bf->inter.len)) != KC_OK ||
	    (rc = kc_buf_add(&b[2], b[1].p, b[1].len)) != KC_OK)
		return rc;
	return kc_buf_add(&b[2], bf->root.p, bf->root.len);
}

static int
backfill_row(const struct kc_ledger_row *r, void *arg)
{
	static const char *const suffix[3] = { ".cert.pem", ".chain.pem",
	    ".full-chain.pem" };
	struct backfill *bf = arg;
	struct kc_ledger_file rec[REC_MAX];
	struct kc_buf b[3];
	char dir[PATH_MAX], path[PATH_MAX], have[65], want[3][65];
	const char *why;
	size_t nrec;
	int rc, bad = 0;

	if (strcmp(r->status, "issued") != 0)
		return 0;
	if ((rc = kc_ledger_files(bf->l, r->serial, rec, REC_MAX, &nrec)))
		return bf->rc = rc;
	if (nrec > 0)
		return 0;
	memset(b, 0, sizeof(b));
	bf->rows++;
	rec_dir(r->cert_path, dir, sizeof(dir));
	if ((rc = ledger_texts(bf, r, b)) != KC_OK)
		goto out;
	/* all three or none: a row left without hashes is repaired by a
	 * rerun as an old row */
	for (int i = 0; i < 3; i++) {
		if ((rc = kc_fname_path(dir, r->device_id, suffix[i], path,
		    sizeof(path))) != KC_OK)
			goto out;
		kc_sha256_hex(b[i].p, b[i].len, want[i]);
		if (!file_hash(path, have, &why) || strcmp(have, want[i]) != 0) {
			kc_log(KC_LOG_INFO, "%s: %s is %s: its files are not "
			    "recorded (a rerun with the same input rewrites it "
			    "from the ledger)", r->device_id, path,
			    strcmp(why, "damaged") == 0 ? "not what the ledger "
			    "and the installed chain make" : why);
			bf->differ++;
			bad = 1;
		}
	}
	for (int i = 0; !bad && i < 3; i++) {
		if ((rc = kc_ledger_file_record(bf->l, r->serial, suffix[i],
		    want[i])) != KC_OK)
			goto out;
		bf->files++;
	}
out:
	for (int i = 0; i < 3; i++)
		kc_buf_free(&b[i]);
	return rc != KC_OK ? (bf->rc = rc) : 0;
}

static int
pem_of(const char *dir, const char *name, struct kc_buf *b)
{
	char path[PATH_MAX];
	unsigned char *der = NULL;
	X509 *x = NULL;
	int n, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = kc_cert_load(path, &x)) != KC_OK)
		return rc;
	if ((n = i2d_X509(x, &der)) <= 0)
		rc = kc_err_ssl(KC_ERR_CRYPTO, "%s: encoding", path);
	else
		rc = kc_buf_pem(b, "CERTIFICATE", der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

int
kc_factory_backfill(const char *dir, long *rows, long *files, long *differ)
{
	struct backfill bf;
	char path[PATH_MAX];
	int rc;

	memset(&bf, 0, sizeof(bf));
	*rows = *files = *differ = 0;
	snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
	if ((rc = pem_of(dir, "intermediate.pem", &bf.inter)) != KC_OK ||
	    (rc = pem_of(dir, "root.pem", &bf.root)) != KC_OK ||
	    (rc = kc_ledger_open(path, 0, &bf.l)) != KC_OK ||
	    (rc = kc_ledger_begin(bf.l)) != KC_OK)
		goto out;
	if ((rc = kc_ledger_foreach(bf.l, "device", backfill_row, &bf)) ==
	    KC_OK)
		rc = kc_ledger_commit(bf.l);
	else if (bf.rc != KC_OK)
		rc = bf.rc;
	*rows = bf.rows;
	*files = bf.files;
	*differ = bf.differ;
out:
	kc_ledger_close(bf.l);	/* rolls back on failure */
	kc_buf_free(&bf.inter);
	kc_buf_free(&bf.root);
	return rc;
}

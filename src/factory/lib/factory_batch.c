/*
 * factory_batch.c: batches and durability. A device's ledger row becomes
 * durable only after its files are written (the writer thread drained) and
 * synced: kc_factory_sync_outputs, then the ledger commit
 * (kc_factory_flush), every commit_every devices in a batch or after each
 * device otherwise; a failure rolls the uncommitted rows back and removes
 * their files (kc_factory_batch_fail), unless the failed commit may have
 * happened. Also the cleanup of temporary files an interrupted run left
 * (kc_factory_clean_tmp). Owns f->writer, f->pending_dir, f->pend and the
 * batch counters of struct kc_factory.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

/* The files of a device since the last commit: where, and the first half
 * of the SHA-256 (hex) of the bytes written to each. */
struct kc_fpend {
	char		*out_dir;
	char		 id[KC_FACTORY_ID_MAX + 1];
	char		 serial[41];
	size_t		 n;
	struct {
		const char	*suffix;	/* static */
		char		 sha[33];
	}		 f[KC_FJOB_MAX];
};

/* A lost device's file is removed only when it still holds what was
 * written for it (not a file someone else put there since). */
#define PEND_FILE_MAX	(1024 * 1024)

static void
pend_clear(struct kc_factory *f)
{
	for (size_t i = 0; i < f->npend; i++)
		free(f->pend[i].out_dir);
	f->npend = 0;
}

int
kc_factory_pend_job(struct kc_factory *f, const char *serial,
    const struct kc_fjob *j)
{
	struct kc_fpend *p;
	char hex[65];
	int rc;

	if (f->npend == f->cappend) {
		size_t cap = f->cappend ? 2 * f->cappend : 64;
		if ((p = realloc(f->pend, cap * sizeof(*p))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		f->pend = p;
		f->cappend = cap;
	}
	p = &f->pend[f->npend];
	p->n = 0;
	snprintf(p->id, sizeof(p->id), "%s", j->id);
	snprintf(p->serial, sizeof(p->serial), "%s", serial);
	if ((p->out_dir = strdup(j->out_dir)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < j->n; i++) {
		kc_sha256_hex(j->f[i].data.p, j->f[i].data.len, hex);
		if ((rc = kc_ledger_file_record(f->ledger, serial,
		    j->f[i].suffix, hex)) != KC_OK) {
			free(p->out_dir);
			return rc;
		}
		p->f[i].suffix = j->f[i].suffix;
		memcpy(p->f[i].sha, hex, 32);
		p->f[i].sha[32] = '\0';
		p->n++;
	}
	f->npend++;
	return KC_OK;
}

/* 1 when path was removed: a regular file (not followed if a link) that
 * holds the bytes hashed to sha. kc_err is left alone: the error that
 * stopped the batch is the message. */
static int
pend_unlink(const char *path, const char *sha)
{
	unsigned char *data;
	struct stat st;
	ssize_t got = 0, r;
	char hex[65];
	int fd, ours = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC))
	    == -1)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PEND_FILE_MAX ||
	    (data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return 0;
	}
	while (got < st.st_size && (r = read(fd, data + got,
	    (size_t)(st.st_size - got))) > 0)
		got += r;
	close(fd);
	if (got == st.st_size) {
		kc_sha256_hex(data, (size_t)got, hex);
		ours = strncmp(hex, sha, 32) == 0;
	}
	OPENSSL_cleanse(data, (size_t)st.st_size);	/* may be a key */
	free(data);
	return ours && unlink(path) == 0;
}

/* The files of p that still hold what was written: the number removed. */
static int
pend_remove(const struct kc_fpend *p)
{
	char path[PATH_MAX];
	int gone = 0;

	/* the certificate last: while it is there, a rerun takes the other
	 * files of the ID for ours */
	for (size_t k = p->n; k-- > 0;)
		if (kc_fname_path(p->out_dir, p->id, p->f[k].suffix, path,
		    sizeof(path)) == KC_OK)
			gone += pend_unlink(path, p->f[k].sha);
	return gone;
}

void
kc_factory_pend_drop(struct kc_factory *f)
{
	for (size_t i = 0; i < f->npend; i++) {
		const struct kc_fpend *p = &f->pend[i];

		if (p->serial[0] == '\0')
			continue;	/* dropped at the commit: gone */
		if (f->doubt)
			f->lost_kept++;
		else if (pend_remove(p) > 0)
			f->lost_removed++;
	}
	pend_clear(f);
}

/* kc_ledger_batch's callback: the server refused the row of a device
 * reported issued (another station recorded its ID first). Its files
 * go, and it is told. */
static void
dropped(void *arg, const struct kc_ledger_row *row, const char *msg)
{
	struct kc_factory *f = arg;

	/* (sent before a commit the writer may still be at its files; a
	 * write error stays the writer's, reported by the next sync) */
	if (f->writer != NULL && kc_fwriter_wait(f->writer) != KC_OK)
		kc_err_clear();
	for (size_t i = 0; i < f->npend; i++) {
		struct kc_fpend *p = &f->pend[i];

		if (strcmp(p->serial, row->serial) != 0)
			continue;
		pend_remove(p);
		p->serial[0] = '\0';
		if (f->pending > 0)
			f->pending--;
		break;
	}
	f->dropped++;
	if (f->on_dropped != NULL)
		f->on_dropped(f->on_dropped_arg, row->device_id, msg);
}

void
kc_factory_on_dropped(struct kc_factory *f,
    void (*fn)(void *, const char *, const char *), void *arg)
{
	f->on_dropped = fn;
	f->on_dropped_arg = arg;
}

long
kc_factory_dropped(const struct kc_factory *f)
{
	return f->dropped;
}

void
kc_factory_pend_free(struct kc_factory *f)
{
	pend_clear(f);
	free(f->pend);
	f->pend = NULL;
	f->cappend = 0;
}

void
kc_factory_lost_files(const struct kc_factory *f, long *removed,
    long *unconfirmed)
{
	*removed = f->lost_removed;
	*unconfirmed = f->lost_kept;
}

int
kc_factory_sync_outputs(struct kc_factory *f)
{
	int fd, rc = KC_OK;

	if (f->writer != NULL && (rc = kc_fwriter_wait(f->writer)) != KC_OK)
		return rc;
	if (f->pending_dir == NULL)
		return KC_OK;
	if ((fd = open(f->pending_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1)
		return kc_err(KC_ERR_IO, "%s: %s", f->pending_dir,
		    strerror(errno));
	/* one syncfs for all the files of the batch (data and directory
	 * entries) instead of an fsync per file */
	if (syncfs(fd) == -1)
		rc = kc_err(KC_ERR_IO, "sync %s: %s", f->pending_dir,
		    strerror(errno));
	close(fd);
	if (rc == KC_OK) {
		free(f->pending_dir);
		f->pending_dir = NULL;
	}
	return rc;
}

/* Makes the pending rows durable: outputs written (the writer's queue
 * drained) and on disk first, then the ledger commit (the durability
 * point). */
int
kc_factory_flush(struct kc_factory *f)
{
	int rc;

	f->doubt = 0;
	if ((rc = kc_factory_sync_outputs(f)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_commit(f->ledger)) != KC_OK) {
		/* a commit that may still have happened (a server gone
		 * after the COMMIT was sent, a SQLite file that failed to
		 * sync): its files must stay */
		f->doubt = kc_ledger_commit_unknown(f->ledger);
		return rc;
	}
	f->pending = 0;
	pend_clear(f);
	return KC_OK;
}

/* A batch cannot go on as it was: the rows since the last commit are
 * rolled back and their files removed (kept when the failed commit may
 * have happened: a rerun finds them recorded or replaces them). Returns
 * rc. */
int
kc_factory_batch_fail(struct kc_factory *f, int rc)
{
	if (f->writer != NULL)
		kc_fwriter_reset(f->writer);	/* nothing is being written */
	if (kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	f->lost += f->pending;
	f->pending = 0;
	kc_factory_pend_drop(f);
	f->doubt = 0;
	return rc;
}

int
kc_factory_prefetch(struct kc_factory *f, const unsigned char *const *csrs,
    const size_t *lens, const char *const *ids, size_t n)
{
	char (*cn)[KC_FACTORY_ID_MAX + 1] = NULL;
	const char **v = NULL;
	size_t k = 0;
	int rc = KC_OK;

	if (n == 0 || !kc_ledger_prefetches(f->ledger))
		return KC_OK;
	if ((cn = malloc(n * sizeof(*cn))) == NULL ||
	    (v = malloc(n * sizeof(*v))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct kc_fcsr c;
		unsigned char *der = NULL;
		size_t dl = 0;

		if (csrs == NULL) {
			if (ids[i] != NULL && kc_factory_id_ok(ids[i], NULL))
				v[k++] = ids[i];
			continue;
		}
		/* one that does not read is kc_factory_issue's to report */
		if (csrs[i] != NULL && kc_fcsr_read(csrs[i], lens[i], "", NULL,
		    &c, &der, &dl) == KC_OK) {
			snprintf(cn[k], sizeof(cn[k]), "%s", c.cn);
			v[k] = cn[k];
			k++;
		}
		free(der);
	}
	kc_err_clear();
	if (k > 0)
		rc = kc_ledger_prefetch(f->ledger, v, k);
out:
	free(cn);
	free(v);
	return rc;
}

int
kc_factory_clean_tmp(const char *out_dir, long *removed)
{
	static const char *const suffixes[] = { ".cert.pem", ".chain.pem",
	    ".full-chain.pem", ".key.pem", ".pfx", ".c", ".at", ".at.sha256" };
	struct dirent *de;
	DIR *d;

	*removed = 0;
	if ((d = opendir(out_dir)) == NULL)
		return kc_err(KC_ERR_IO, "%s: %s", out_dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		const char *t = strstr(de->d_name, ".tmp-");
		char path[PATH_MAX];
		int ours = 0;

		if (t == NULL || strlen(t + 5) != 16 ||
		    strspn(t + 5, "0123456789abcdef") != 16)
			continue;
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes);
		    i++) {
			size_t sl = strlen(suffixes[i]);
			if ((size_t)(t - de->d_name) > sl &&
			    strncmp(t - sl, suffixes[i], sl) == 0)
				ours = 1;
		}
		if (!ours || (size_t)snprintf(path, sizeof(path), "%s/%s",
		    out_dir, de->d_name) >= sizeof(path))
			continue;
		if (unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
	return KC_OK;
}

int
kc_factory_batch_begin(struct kc_factory *f, int commit_every)
{
	int rc;

	if (f->writer == NULL &&
	    (rc = kc_fwriter_new(KC_FACTORY_QUEUE, &f->writer)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_last_rowid(f->ledger, &f->batch_rowid)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_batch(f->ledger, 1, dropped, f)) != KC_OK)
		return rc;
	f->batch = 1;
	f->lost = f->lost_removed = f->lost_kept = f->dropped = 0;
	f->commit_every = commit_every > 0 ? commit_every : 1000;
	return KC_OK;
}

int
kc_factory_batch_end(struct kc_factory *f, long *lost)
{
	int rc = KC_OK;

	if ((rc = kc_factory_flush(f)) != KC_OK)
		kc_factory_batch_fail(f, rc);
	/* (nothing is held after the flush: this only ends the mode) */
	if (kc_ledger_batch(f->ledger, 0, NULL, NULL) != KC_OK && rc == KC_OK)
		rc = kc_factory_batch_fail(f, KC_ERR_DB);
	kc_fwriter_free(f->writer);
	f->writer = NULL;
	f->batch = 0;
	if (lost != NULL)
		*lost = f->lost;
	return rc;
}

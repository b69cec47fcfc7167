/*
 * factory_batch.c: batches and durability. A device's ledger row becomes
 * durable only after its files are written (the writer thread drained) and
 * synced: kc_factory_sync_outputs, then the ledger commit
 * (kc_factory_flush), every commit_every devices in a batch or after each
 * device otherwise; a failure rolls the uncommitted rows back
 * (kc_factory_batch_fail). Also the cleanup of temporary files an
 * interrupted run left (kc_factory_clean_tmp). Owns f->writer,
 * f->pending_dir and the batch counters of struct kc_factory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

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

	if ((rc = kc_factory_sync_outputs(f)) != KC_OK)
		return rc;
	if ((rc = kc_ledger_commit(f->ledger)) != KC_OK)
		return rc;
	f->pending = 0;
	return KC_OK;
}

/* A batch cannot go on as it was: the rows since the last commit are
 * rolled back (their files, if written, stay as unrecorded outputs that a
 * rerun replaces). Returns rc. */
int
kc_factory_batch_fail(struct kc_factory *f, int rc)
{
	if (f->writer != NULL)
		kc_fwriter_reset(f->writer);
	if (kc_ledger_in_transaction(f->ledger))
		kc_ledger_rollback(f->ledger);
	f->lost += f->pending;
	f->pending = 0;
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
	f->batch = 1;
	f->lost = 0;
	f->commit_every = commit_every > 0 ? commit_every : 1000;
	return KC_OK;
}

int
kc_factory_batch_end(struct kc_factory *f, long *lost)
{
	int rc = KC_OK;

	if ((rc = kc_factory_flush(f)) != KC_OK)
		kc_factory_batch_fail(f, rc);
	kc_fwriter_free(f->writer);
	f->writer = NULL;
	f->batch = 0;
	if (lost != NULL)
		*lost = f->lost;
	return rc;
}

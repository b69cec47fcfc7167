/*
 * factory_out.c: writing a device's output files, directly or from a
 * writer thread that runs beside the signer (kc_fwriter). See
 * factory_int.h for the contract.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/fnames.h"
#include "factory_int.h"

/*
 * A new file that appears complete or not at all, never over an existing
 * one: an unnamed file (O_TMPFILE) linked in once written. Returns 1 when
 * the file system or the system cannot (no O_TMPFILE, no /proc): the
 * caller falls back to a temporary name and rename(2). Cheaper than that
 * fallback by a directory entry, and a crash leaves no temporary file.
 */
static int
new_unnamed(const char *dir, const char *path, const void *data, size_t len,
    mode_t mode)
{
	static atomic_int unusable;
	char proc[64];
	int fd, saved;

	if (atomic_load(&unusable))
		return 1;
	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode)) == -1) {
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
			atomic_store(&unusable, 1);
			return 1;
		}
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(errno));
	}
	if (kc_write_all(fd, data, len) == -1) {
		saved = errno;
		close(fd);
		return kc_err(KC_ERR_IO, "cannot write %s: %s", path,
		    strerror(saved));
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == -1) {
		saved = errno;
		close(fd);
		if (saved == EEXIST)
			return kc_err(KC_ERR_EXISTS, "cannot create %s: %s",
			    path, strerror(saved));
		if (saved == ENOENT || saved == EPERM || saved == EACCES) {
			/* no /proc (or no right to link from it) */
			atomic_store(&unusable, 1);
			return 1;
		}
		return kc_err(KC_ERR_IO, "cannot write %s: %s", path,
		    strerror(saved));
	}
	if (close(fd) == -1) {
		saved = errno;
		unlink(path);
		return kc_err(KC_ERR_IO, "cannot write %s: %s", path,
		    strerror(saved));
	}
	return KC_OK;
}

/*
 * One file. excl: a new file written in place (O_EXCL, so that a file that
 * appeared meanwhile is never clobbered). Else, without staged: a new file
 * that appears complete or not at all (new_unnamed, or a temporary file
 * renamed to path). With staged: a temporary file left for the caller to
 * rename over an old one (its name in staged). The mode is given at
 * creation, so the umask can only narrow it. No fsync: the batch commit
 * syncs the file system. On failure nothing of this file is left.
 */
static int
write_one(const char *dir, const char *path, const void *data, size_t len,
    mode_t mode, int excl, char *staged, size_t staged_sz)
{
	static atomic_ulong counter;
	static pid_t pid;
	char tmp[PATH_MAX + 32];
	const char *target = path;
	int fd, saved, r;

	if (!excl && staged == NULL &&
	    (r = new_unnamed(dir, path, data, len, mode)) != 1)
		return r;
	if (!excl) {
		if (pid == 0)
			pid = getpid();
		snprintf(tmp, sizeof(tmp), "%s.tmp-%08lx%08lx", path,
		    (unsigned long)pid & 0xffffffffUL,
		    (atomic_fetch_add(&counter, 1) + 1) & 0xffffffffUL);
		target = tmp;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd == -1)
		return kc_err(errno == EEXIST ? KC_ERR_EXISTS : KC_ERR_IO,
		    "cannot create %s: %s", path, strerror(errno));
	if (kc_write_all(fd, data, len) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (!excl && staged != NULL) {
		snprintf(staged, staged_sz, "%s", tmp);
		return KC_OK;
	}
	if (!excl && rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	return KC_OK;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(target);
	return kc_err(KC_ERR_IO, "cannot write %s: %s", path, strerror(saved));
}

int
kc_fjob_add(struct kc_fjob *j, const char *suffix, struct kc_buf *data,
    mode_t mode)
{
	if (j->n >= KC_FJOB_MAX)
		return kc_err(KC_ERR_INTERNAL, "too many output files");
	j->f[j->n].suffix = suffix;
	j->f[j->n].data = *data;	/* moved in */
	j->f[j->n].mode = mode;
	memset(data, 0, sizeof(*data));
	j->n++;
	return KC_OK;
}

/* OUT/STEM<suffix>: the one name mapping (kc/fnames.h) */
static void
file_path(const struct kc_fjob *j, size_t i, char *out, size_t outsz)
{
	if (kc_fname_path(j->out_dir, j->id, j->f[i].suffix, out, outsz) !=
	    KC_OK)
		out[0] = '\0';	/* refused by open(2) below */
}

int
kc_fjob_write(const struct kc_fjob *j)
{
	char path[PATH_MAX], staged[KC_FJOB_MAX][PATH_MAX + 32];
	size_t written;
	int rc = KC_OK;

	for (written = 0; written < j->n; written++) {
		const struct kc_fout *o = &j->f[written];

		file_path(j, written, path, sizeof(path));
		/* ID.cert.pem appears complete or not at all: a rerun after
		 * a crash must find it complete to recognise it as ours.
		 * Replacing: every file is staged first, renamed below, so
		 * that the old set is replaced only once the new one is
		 * complete. */
		if ((rc = write_one(j->out_dir, path, o->data.p, o->data.len,
		    o->mode, j->fresh && written > 0, j->fresh ? NULL :
		    staged[written], sizeof(staged[written]))) != KC_OK)
			goto fail;
	}
	for (size_t i = 0; !j->fresh && i < j->n; i++) {
		file_path(j, i, path, sizeof(path));
		if (rename(staged[i], path) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: cannot replace %s: %s",
			    j->name, path, strerror(errno));
			/* the ones renamed are complete new outputs of this
			 * factory (a rerun replaces them); the rest go */
			for (size_t k = i; k < j->n; k++)
				unlink(staged[k]);
			return rc;
		}
	}
	return KC_OK;
fail:
	/* this device leaves nothing behind */
	while (written > 0) {
		written--;
		if (j->fresh) {
			file_path(j, written, path, sizeof(path));
			unlink(path);
		} else
			unlink(staged[written]);
	}
	{
		char why[768];
		snprintf(why, sizeof(why), "%s", kc_errmsg());
		return kc_err(rc, "%s: %s (nothing of this device is kept)",
		    j->name, why);
	}
}

void
kc_fjob_free(struct kc_fjob *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n; i++)
		kc_buf_free(&j->f[i].data);	/* cleansed: keys may be in */
	free(j->name);
	free(j->out_dir);
	free(j);
}

/* --- the writer thread ----------------------------------------------------- */

#define KICK	8	/* jobs queued before an idle writer is woken */
#define PRESYNC	200	/* jobs between the writer's own syncfs calls */

struct kc_fwriter {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more, room;	/* signalled: a job queued; one done */
	struct kc_fjob	**ring;
	size_t		 depth, head, count;
	int		 busy;		/* a job is being written */
	int		 idle;		/* the writer sleeps on more */
	int		 waiting;	/* the signer sleeps on room */
	int		 stop;
	int		 err;		/* first error, sticky until reset */
	unsigned	 since_sync;	/* jobs written since the last syncfs */
	char		 msg[1024];
};

/* Starts the writeback early, in this thread, so that the syncfs before a
 * ledger commit (the one that counts; see factory.c) finds little left to
 * do and the signer waits less. Errors are left to that one. */
static void
presync(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)syncfs(fd);
	close(fd);
}

static void *
writer_main(void *arg)
{
	struct kc_fwriter *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct kc_fjob *j;
		int rc = KC_OK, failed;

		while (w->count == 0 && !w->stop) {
			w->idle = 1;
			pthread_cond_wait(&w->more, &w->mu);
			w->idle = 0;
		}
		if (w->count == 0)
			break;
		j = w->ring[w->head];
		w->head = (w->head + 1) % w->depth;
		w->count--;
		w->busy = 1;
		failed = w->err != KC_OK;
		pthread_mutex_unlock(&w->mu);

		/* after a failure the rest are not written: the caller rolls
		 * the uncommitted rows back */
		if (!failed)
			rc = kc_fjob_write(j);
		if (rc == KC_OK && ++w->since_sync >= PRESYNC) {
			presync(j->out_dir);
			w->since_sync = 0;
		}
		kc_fjob_free(j);

		pthread_mutex_lock(&w->mu);
		if (rc != KC_OK && w->err == KC_OK) {
			w->err = rc;
			snprintf(w->msg, sizeof(w->msg), "%s", kc_errmsg());
		}
		w->busy = 0;
		/* wake the signer only when it sleeps, and with room for
		 * several jobs: a wakeup per job costs as much as writing a
		 * small file */
		if (w->waiting && w->count <= w->depth / 2)
			pthread_cond_signal(&w->room);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
kc_fwriter_new(size_t depth, struct kc_fwriter **out)
{
	struct kc_fwriter *w;
	int e;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->ring = calloc(depth, sizeof(*w->ring))) == NULL) {
		free(w);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	w->depth = depth;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->room, NULL);
	if ((e = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->more);
		pthread_mutex_destroy(&w->mu);
		free(w->ring);
		free(w);
		return kc_err(KC_ERR_INTERNAL, "cannot start the writer "
		    "thread: %s", strerror(e));
	}
	*out = w;
	return KC_OK;
}

/* With w->mu held: waits for the writer to finish a job. */
static void
sleep_on_room(struct kc_fwriter *w)
{
	/* never both asleep: an idle writer with work is woken first
	 * (the queue may hold fewer than KICK jobs) */
	if (w->idle && w->count > 0)
		pthread_cond_signal(&w->more);
	w->waiting = 1;
	pthread_cond_wait(&w->room, &w->mu);
	w->waiting = 0;
}

/* With w->mu held: the sticky error as this thread's kc_err. */
static int
writer_error(struct kc_fwriter *w)
{
	if (w->err == KC_OK)
		return KC_OK;
	return kc_err(w->err, "%s", w->msg);
}

int
kc_fwriter_put(struct kc_fwriter *w, struct kc_fjob *j)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	if (w->count == w->depth)
		while (w->count > w->depth / 2 && w->err == KC_OK)
			sleep_on_room(w);
	if ((rc = writer_error(w)) != KC_OK) {
		pthread_mutex_unlock(&w->mu);
		kc_fjob_free(j);
		return rc;
	}
	w->ring[(w->head + w->count) % w->depth] = j;
	w->count++;
	/* the same for the writer: woken for a few jobs at a time */
	if (w->idle && w->count >= KICK)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	return KC_OK;
}

int
kc_fwriter_wait(struct kc_fwriter *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->count > 0 || w->busy)
		sleep_on_room(w);
	rc = writer_error(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
kc_fwriter_reset(struct kc_fwriter *w)
{
	/* waits as kc_fwriter_wait, leaving this thread's kc_err alone */
	pthread_mutex_lock(&w->mu);
	while (w->count > 0 || w->busy)
		sleep_on_room(w);
	w->err = KC_OK;
	w->msg[0] = '\0';
	pthread_mutex_unlock(&w->mu);
}

void
kc_fwriter_free(struct kc_fwriter *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->more);
	pthread_mutex_destroy(&w->mu);
	free(w->ring);
	free(w);
}

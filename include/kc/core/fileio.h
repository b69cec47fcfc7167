/*
 * kc/fileio.h: reading inputs with a size cap, and writing outputs so that
 * a reader never sees a half-written file.
 *
 * kc_file_write() writes to a temporary file in the target directory,
 * fsyncs it, then moves it into place (link(2) when the target must not
 * exist, so the check and the creation are one atomic step; rename(2)
 * otherwise), and fsyncs the directory. On any failure the temporary file is
 * removed and the target is untouched.
 */
#ifndef KC_FILEIO_H
#define KC_FILEIO_H

#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>

enum {
	KC_WRITE_EXCL = 1 << 0,	  /* refuse if path exists (KC_ERR_EXISTS) */
	KC_WRITE_NOSYNC = 1 << 1, /* skip fsyncs (bulk output whose durability
				     point is a ledger commit) */
};

/* Default cap for inputs (CSRs, certificates, ceremony files). */
#define KC_FILE_MAX (1024 * 1024)

int kc_file_write(const char *path, const void *data, size_t len,
    mode_t mode, int flags);

/* write(2) until all of data is written, retrying on EINTR; -1 with errno
 * set on failure. For writers that manage the file themselves. */
int kc_write_all(int fd, const void *data, size_t len);

/*
 * Opens path for reading as a hostile input: whatever the medium, a factory
 * or an attacker put there. The last component is not followed
 * (O_NOFOLLOW), the open does not block (O_NONBLOCK: a FIFO cannot hang
 * it), and the file must be a regular file owned by the caller or root, no
 * larger than max bytes. On success *fdp is an open descriptor (O_CLOEXEC,
 * blocking again) and *st its fstat; the caller closes it. On failure a
 * one-line message names the file and the reason: "is a symbolic link",
 * "is a FIFO", "is owned by uid N", "file too large".
 * what names the input in messages ("PIN file", "CSR"); NULL for none.
 */
int kc_file_open(const char *path, const char *what, size_t max, int *fdp,
    struct stat *st);
/* The same check for a file already opened (by openat(2) in a directory
 * walk); name is used in messages. KC_OK or an error, fd stays open. */
int kc_file_check_fd(int fd, const char *name, const char *what, size_t max,
    struct stat *st);

/* Reads at most max bytes of a file opened by kc_file_open() rules; a larger file is an error (KC_ERR_INPUT naming
 * the file and the limit). *data is NUL-terminated (not counted in *len);
 * the caller frees it with free(), or with OPENSSL_clear_free() when it may
 * hold a secret. */
int kc_file_read(const char *path, size_t max, unsigned char **data,
    size_t *len);

/* 1 when base (a file name without directory) is one of the names a
 * state directory and a medium keep for themselves, which no output may
 * take: the register and its journals (register.sqlite*), the register
 * dump (register-*), SHA256SUMS, transcripts, temporary files (*.tmp-*). */
int kc_name_reserved(const char *base);

/* KC_OK when path does not exist; KC_ERR_EXISTS (with message) when it
 * does. For checking all outputs before any work starts. */
int kc_file_check_absent(const char *path);

/* kc_file_check_absent, the name not reserved (kc_name_reserved), and
 * the directory that will hold path exists and is writable (KC_ERR_IO
 * naming it otherwise). */
int kc_file_check_output(const char *path);

/* Creates a directory (mode) if missing; KC_OK if it already is one. */
int kc_dir_ensure(const char *path, mode_t mode);

/* fsync of a directory. */
int kc_dir_sync(const char *path);

/* SHA-256 of a buffer as 64 lower-case hex characters + NUL. */
void kc_sha256_hex(const void *data, size_t len, char out[65]);

/* SHA-256 of an open file from its start, read in blocks (memory does not
 * grow with the file), as kc_sha256_hex() spells it. The file must hold
 * exactly size bytes (what fstat said when it was opened): one that grows
 * or shrinks while it is read is an error (KC_ERR_INPUT, "name: file
 * changed while it was read"), and a growing one is not read for ever. */
int kc_sha256_fd(int fd, const char *name, off_t size, char out[65]);

/* "a FIFO", "a symbolic link", "a directory"... for messages about a file
 * that is not a regular file. */
const char *kc_file_kind(mode_t mode);

#endif

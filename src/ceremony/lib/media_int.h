/* media_int.h: what the media files share (libkc-ceremony internal, owned
 * by the ceremony side): the export batch, the medium's SHA256SUMS, and
 * the hostile-safe open and read of a file on the medium or in the state
 * directory. The public API is kc/ceremony/media.h.
 *
 *   media_screen.c  the private-key screen, what a file is
 *   media_open.c    probing the medium, opening and reading its files
 *   media_batch.c   what an export takes: each file checked, re-encoded
 *   media_sums.c    the medium before an export: SHA256SUMS, its walk
 *   media_export.c  writing the batch, the register dump, the public API
 *   media_import.c  CSRs and codes brought in from a medium */
#ifndef KC_MEDIA_INT_H
#define KC_MEDIA_INT_H

#include <sys/stat.h>

#include <dirent.h>
#include <stddef.h>

#include "kc/ceremony/media.h"

#define MEDIA_FILE_MAX (16 * 1024 * 1024)
#define SUMS "SHA256SUMS"

struct item {
	char		 name[256];
	unsigned char	*data;		/* the re-encoded bytes to write */
	size_t		 len;
	char		 sha256[65];
	enum kc_artefact type;
	int		 skip;		/* identical file already there */
	int		 written;
};

struct batch {
	struct item	*items;
	size_t		 n;
	char		**ignored;	/* unused since the whitelist: every
					   file is exported or refused */
	size_t		 n_ignored;
	char		(*codes)[65];	/* SHA-256 of the verification
					   codes the register recorded */
	size_t		 n_codes;
};

#define CODE_MAX 256

struct sums {
	char	(*name)[256];
	char	(*sha)[65];
	size_t	  n;
};

int kc_media_pem_only(const unsigned char *buf, size_t len, const char *label);

/* Extensions are matched without regard to case (FAT media often hold
 * FACTORY.CSR). */
int kc_media_ends_with(const char *s, const char *suffix);

/*
 * A name of our own for a new file in the medium directory mfd: base
 * followed by 12 random hex digits; the file is created there (O_EXCL,
 * no link followed) and its descriptor returned. Everything an export
 * does on the medium goes through mfd: the directory that was checked is
 * the one written, even if its name is swapped for a link meanwhile.
 */
int kc_media_create_at(int mfd, const char *base, char *name, size_t namesz,
    mode_t mode);

/* Opens the media directory dir (*mfd) and probes it. */
int kc_media_open_dir(const char *dir, int *mfd, int *removable,
    char *mountpoint, size_t mpsz);

/* A name export and import handle: one plain component of letters,
 * digits, '-', '_', '.', '+', not hidden, not ours (SHA256SUMS, temp
 * files, the register). */
int kc_media_name_ok(const char *n);

/*
 * Opens name in the directory dirfd as a hostile input: lstat first, so a
 * link, FIFO, socket or device is refused before open(2) can follow or
 * block on it; then O_NOFOLLOW|O_NONBLOCK and kc_file_check_fd() (regular,
 * owned by the caller or root, at most max bytes). disp names the file in
 * messages. KC_ERR_NOTFOUND when absent.
 */
int kc_media_open_at(int dirfd, const char *name, const char *disp,
    const char *what, size_t max, int *fdp, struct stat *st);

/* Reads the whole of fd (size from st, checked against max by kc_media_open_at)
 * into a NUL-terminated buffer; the file may not grow meanwhile. */
int kc_media_read_fd(int fd, const char *disp, const struct stat *st,
    unsigned char **data, size_t *len);

void kc_media_batch_free(struct batch *b);

int kc_media_batch_add(struct batch *b, const char *name, unsigned char *data,
    size_t len, enum kc_artefact type);

/* A verification code: 1 to 64 letters and digits, an optional line end.
 * *code gets the code without it. */
int kc_media_code_text(const char *disp, const unsigned char *buf, size_t len,
    char code[65]);

/*
 * Validates one file of the state directory (dirfd/name, disp in messages)
 * and adds its re-encoded form to the batch; anything that is not one of
 * the kinds export knows, or does not validate, is refused by name.
 */
int kc_media_export_one(struct batch *b, int dirfd, const char *disp,
    const char *name, int in_transcripts);

/* The names in a directory, sorted; "." and ".." left out. */
int kc_media_list_dir(DIR *dp, const char *dir, char ***names, size_t *n);

void kc_media_free_names(char **v, size_t n);

/* Every file of a state directory (or of its transcripts/) is exported or
 * refused; the register and transcripts/ are handled by the caller. */
int kc_media_add_dir(struct batch *b, const char *dir, int transcripts);

void kc_media_sums_free(struct sums *s);

/*
 * The SHA256SUMS already on the medium, parsed strictly: every line is
 * "<64 lower-case hex>  <name>\n" with a name export could have written,
 * no name twice, and the file it names is on the medium, a regular file
 * with that SHA-256. Anything else is an error naming the line. Nothing
 * of the old file is copied: the new one is generated from these entries.
 */
int kc_media_sums_parse(int mfd, const char *media, struct sums *s);

/*
 * FAT and exFAT, the usual formats of USB sticks, take names that differ
 * only in case for one file: root.pem and ROOT.PEM would overwrite each
 * other, and a SHA256SUMS listing both would lie. Refuses the export when
 * two files to write, or a file to write and a different name on the
 * medium (SHA256SUMS included), differ only in case.
 */
int kc_media_case_clash(int mfd, const char *media, const struct batch *b);

int kc_media_scan_dir(int mfd, const char *media, int strict, const char *verb);

#endif

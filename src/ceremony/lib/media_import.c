/* media_import.c: kc_media_import: CSRs and verification codes brought in
 * from a medium into the state directory, each checked (SHA256SUMS, name,
 * kind, size, private-key screen) before anything is written; see
 * kc/ceremony/media.h. Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/ceremony/media.h"
#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "media_int.h"

/* ---- import ---- */

/* Caps of what comes in: CSRs are a few kB, codes one line. */
#define IMPORT_CSR_MAX (64 * 1024)
#define IMPORT_CODE_MAX CODE_MAX

static int
hex_equal(const char *a, const char *b)
{
	size_t n = 0;

	for (; *a && *b; a++, b++, n++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == '\0' && *b == '\0' && n == 64;
}

/* A name import looks at: *.csr, *.req, *.pem, *.der (CSRs) and *.code. */
static int
import_candidate(const char *name)
{
	return kc_media_ends_with(name, ".csr") || kc_media_ends_with(name,
	    ".req") ||
	    kc_media_ends_with(name, ".pem") || kc_media_ends_with(name,
	    ".der") ||
	    kc_media_ends_with(name, ".code");
}

/*
 * Reads and checks one file of the medium: no link or FIFO, size capped by
 * kind, no private key, a CSR whose signature verifies or a verification
 * code. *keep is 0 for a certificate or CRL met in a directory scan (not
 * imported, not an error). The bytes are returned (at most the cap) when
 * data is not NULL, freed otherwise: memory stays bounded by one file.
 */
static int
import_one(int mfd, const char *media, const char *name, int named,
    struct item *it, int *keep, unsigned char **datap)
{
	char disp[PATH_MAX], why[160], code[65];
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	int fd = -1, rc, is_code = kc_media_ends_with(name, ".code");

	*keep = 0;
	snprintf(disp, sizeof(disp), "%s/%s", media, name);
	if (!kc_media_name_ok(name)) {
		rc = kc_err(KC_ERR_USAGE, "%s: give a file name on the media, "
		    "not a path (letters, digits, '-', '_', '.', '+')", disp);
		goto out;
	}
	if (named && !import_candidate(name)) {
		rc = kc_err(KC_ERR_INPUT, "%s: import takes CSRs (*.csr, *.req, "
		    "*.pem, *.der) and verification codes (*.code); refusing "
		    "it", disp);
		goto out;
	}
	if ((rc = kc_media_open_at(mfd, name, disp,
	    is_code ? "verification code" : "CSR",
	    is_code ? IMPORT_CODE_MAX : IMPORT_CSR_MAX, &fd, &st)) != KC_OK ||
	    (rc = kc_media_read_fd(fd, disp, &st, &data, &len)) != KC_OK)
		goto out;
	if (kc_media_has_private(data, len, why, sizeof(why))) {
		rc = kc_err(KC_ERR_POLICY, "%s holds %s: refusing to import it",
		    disp, why);
		goto out;
	}
	memset(it, 0, sizeof(*it));
	snprintf(it->name, sizeof(it->name), "%s", name);
	kc_sha256_hex(data, len, it->sha256);
	it->len = len;
	if (is_code) {
		if ((rc = kc_media_code_text(disp, data, len, code)) != KC_OK)
			goto out;
		OPENSSL_cleanse(code, sizeof(code));
		it->type = KC_ART_CODE;
	} else {
		struct kc_csr *csr = NULL;
		enum kc_artefact k = kc_media_classify(name, data, len);

		if (!named && (k == KC_ART_CERT || k == KC_ART_CRL) &&
		    (kc_media_ends_with(name, ".pem") ||
		    kc_media_ends_with(name, ".der"))) {
			rc = KC_OK;	/* an exported certificate or CRL */
			goto out;
		}
		if ((rc = kc_csr_parse(data, len, disp, KC_CSR_NO_SUBJECT_CHECK,
		    &csr)) != KC_OK)
			goto out;
		kc_csr_free(csr);
		it->type = KC_ART_CSR;
	}
	*keep = 1;
	if (datap != NULL) {
		*datap = data;
		data = NULL;
	}
	rc = KC_OK;
out:
	if (fd != -1)
		close(fd);
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	return rc;
}

/* The names to import: those given, or the candidates of the medium
 * (every entry a regular file or a directory: anything else is refused by
 * name, as for a named file). */
static int
import_names(int mfd, const char *media, const char *const *names,
    char ***out, size_t *n)
{
	char disp[PATH_MAX], **v = NULL;
	size_t k = 0;
	struct stat st;
	DIR *dp;
	int dfd, rc = KC_OK;

	*out = NULL;
	*n = 0;
	if (names != NULL) {
		size_t c = 0;
		while (names[c] != NULL)
			c++;
		if ((v = calloc(c + 1, sizeof(*v))) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < c; i++) {
			for (size_t j = 0; j < i; j++)
				if (strcmp(names[j], names[i]) == 0) {
					kc_media_free_names(v, i);
					return kc_err(KC_ERR_USAGE, "%s/%s: "
					    "named twice", media, names[i]);
				}
			if ((v[i] = strdup(names[i])) == NULL) {
				kc_media_free_names(v, i);
				return kc_err(KC_ERR_NOMEM, "out of memory");
			}
		}
		*out = v;
		*n = c;
		return KC_OK;
	}
	if ((dfd = dup(mfd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return kc_err(KC_ERR_IO, "media directory %s: %s", media,
		    strerror(errno));
	}
	rewinddir(dp);	/* the offset is shared with mfd */
	rc = kc_media_list_dir(dp, media, &v, &k);
	closedir(dp);
	if (rc != KC_OK)
		return rc;
	for (size_t i = 0; i < k; i++) {
		snprintf(disp, sizeof(disp), "%s/%s", media, v[i]);
		if (fstatat(mfd, v[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", disp, strerror(errno));
			break;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			rc = kc_err(KC_ERR_POLICY, "%s: is %s; the medium must "
			    "hold only regular files and directories: refusing "
			    "to import anything", disp, kc_file_kind(st.st_mode));
			break;
		}
		if (S_ISDIR(st.st_mode) || !import_candidate(v[i])) {
			free(v[i]);
			v[i] = NULL;
		}
	}
	if (rc != KC_OK) {
		kc_media_free_names(v, k);
		return rc;
	}
	/* compact */
	{
		size_t j = 0;
		for (size_t i = 0; i < k; i++)
			if (v[i] != NULL)
				v[j++] = v[i];
		k = j;
	}
	*out = v;
	*n = k;
	return KC_OK;
}

/* Two imports, or an import and a file of the state directory, whose
 * names differ only in case: they would be one file on the next FAT
 * medium. */
static int
import_case_clash(const char *state_dir, const struct batch *b)
{
	char **names = NULL;
	size_t n = 0;
	DIR *dp;
	int rc = KC_OK;

	for (size_t i = 0; i < b->n; i++)
		for (size_t j = i + 1; j < b->n; j++)
			if (strcasecmp(b->items[i].name, b->items[j].name) == 0)
				return kc_err(KC_ERR_POLICY, "%s and %s on the "
				    "medium differ only in case: refusing to "
				    "import them (name the one to import)",
				    b->items[i].name, b->items[j].name);
	if ((dp = opendir(state_dir)) == NULL)
		return kc_err(KC_ERR_IO, "state directory %s: %s", state_dir,
		    strerror(errno));
	rc = kc_media_list_dir(dp, state_dir, &names, &n);
	closedir(dp);
	for (size_t k = 0; k < n && rc == KC_OK; k++)
		for (size_t i = 0; i < b->n && rc == KC_OK; i++)
			if (strcasecmp(names[k], b->items[i].name) == 0 &&
			    strcmp(names[k], b->items[i].name) != 0)
				rc = kc_err(KC_ERR_POLICY, "%s: differs only in "
				    "case from %s/%s (one file on a FAT medium); "
				    "refusing to import it", b->items[i].name,
				    state_dir, names[k]);
	kc_media_free_names(names, n);
	return rc;
}

int
kc_media_import(const char *media_dir, const char *state_dir,
    const char *const *names, const char *expect_sha256,
    struct kc_export_result *res)
{
	struct batch b;
	char path[PATH_MAX], **list = NULL, want[65];
	size_t nlist = 0;
	struct stat st;
	int rc = KC_OK, mfd = -1;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	/* as a person pastes it: any case, spaces, colons (kc_hash_parse) */
	if (expect_sha256 != NULL) {
		if (kc_hash_parse(expect_sha256, "--expect-sha256", want) !=
		    KC_OK)
			return KC_ERR_USAGE;
		expect_sha256 = want;
	}
	if (stat(media_dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_NOTFOUND, "media directory %s: %s; "
		    "insert and mount the medium", media_dir,
		    errno ? strerror(errno) : "not a directory");
	if ((mfd = open(media_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return kc_err(KC_ERR_IO, "media directory %s: %s", media_dir,
		    strerror(errno));
	if ((rc = kc_media_scan_dir(mfd, media_dir, 0,
	    "import anything")) != KC_OK ||
	    (rc = import_names(mfd, media_dir, names, &list, &nlist)) != KC_OK)
		goto out;
	/* Pass 1: every file checked, one at a time; only name, size and
	 * SHA-256 are kept. */
	for (size_t i = 0; i < nlist; i++) {
		struct item it, *nb;
		int keep;

		if ((rc = import_one(mfd, media_dir, list[i], names != NULL,
		    &it, &keep, NULL)) != KC_OK)
			goto out;
		if (!keep)
			continue;
		if ((nb = realloc(b.items, (b.n + 1) * sizeof(*nb))) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		b.items = nb;
		b.items[b.n++] = it;
	}
	if (b.n == 0) {
		rc = kc_err(KC_ERR_NOTFOUND, "no CSR on the media (%s)",
		    media_dir);
		goto out;
	}
	if (expect_sha256 != NULL) {
		size_t ncsr = 0;
		struct item *c = NULL;
		for (size_t i = 0; i < b.n; i++)
			if (b.items[i].type == KC_ART_CSR) {
				ncsr++;
				c = &b.items[i];
			}
		if (ncsr != 1) {
			rc = kc_err(KC_ERR_USAGE, "--expect-sha256 needs exactly "
			    "one CSR; the media has %zu (name the one to "
			    "import)", ncsr);
			goto out;
		}
		if (!hex_equal(c->sha256, expect_sha256)) {
			rc = kc_err(KC_ERR_POLICY, "%s/%s has SHA-256 %s, not the "
			    "expected %s: it is not the CSR the factory sent; "
			    "nothing was imported", media_dir, c->name,
			    kc_hash(c->sha256), kc_hash(expect_sha256));
			goto out;
		}
	}
	if ((rc = kc_dir_ensure(state_dir, 0700)) != KC_OK ||
	    (rc = import_case_clash(state_dir, &b)) != KC_OK)
		goto out;
	/* Check every target, then write. */
	for (size_t i = 0; i < b.n; i++) {
		unsigned char *buf = NULL;
		size_t len;
		char hex[65];

		snprintf(path, sizeof(path), "%s/%s", state_dir, b.items[i].name);
		rc = kc_file_read(path, KC_FILE_MAX, &buf, &len);
		if (rc == KC_ERR_NOTFOUND) {
			kc_err_clear();
			rc = KC_OK;
			continue;
		}
		if (rc != KC_OK)
			goto out;
		kc_sha256_hex(buf, len, hex);
		free(buf);
		if (strcmp(hex, b.items[i].sha256) != 0) {
			rc = kc_err(KC_ERR_EXISTS, "%s already exists in the "
			    "state directory with other content: refusing to "
			    "replace it", path);
			goto out;
		}
		b.items[i].skip = 1;
	}
	/* Pass 2: each file read again, checked again, the same bytes
	 * written. */
	for (size_t i = 0; i < b.n && rc == KC_OK; i++) {
		unsigned char *data = NULL;
		struct item again;
		int keep;

		if (b.items[i].skip)
			continue;
		rc = import_one(mfd, media_dir, b.items[i].name, 1, &again,
		    &keep, &data);
		if (rc == KC_OK && strcmp(again.sha256, b.items[i].sha256) != 0)
			rc = kc_err(KC_ERR_INPUT, "%s/%s: changed on the medium "
			    "while it was imported; nothing was imported",
			    media_dir, b.items[i].name);
		snprintf(path, sizeof(path), "%s/%s", state_dir, b.items[i].name);
		if (rc == KC_OK && (rc = kc_file_write(path, data, again.len,
		    0644, KC_WRITE_EXCL)) == KC_OK)
			b.items[i].written = 1;
		if (data != NULL)
			OPENSSL_clear_free(data, again.len);
	}
	if (rc != KC_OK) {
		for (size_t j = 0; j < b.n; j++)
			if (b.items[j].written) {
				snprintf(path, sizeof(path), "%s/%s", state_dir,
				    b.items[j].name);
				unlink(path);
			}
		goto out;
	}
	if ((res->files = calloc(b.n, sizeof(*res->files))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		struct kc_media_file *f = &res->files[i];
		snprintf(f->name, sizeof(f->name), "%s", b.items[i].name);
		memcpy(f->sha256, b.items[i].sha256, 65);
		f->type = b.items[i].type;
		f->size = b.items[i].len;
		f->skipped = b.items[i].skip;
	}
	res->n = b.n;
	rc = KC_OK;
out:
	if (mfd != -1)
		close(mfd);
	kc_media_free_names(list, nlist);
	kc_media_batch_free(&b);
	return rc;
}

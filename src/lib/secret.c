/* secret.c: locked, wiped buffers for PINs and passphrases. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc/error.h"
#include "kc/fileio.h"
#include "kc/secret.h"

int
kc_secret_new(size_t cap, struct kc_secret **out)
{
	struct kc_secret *s;

	*out = NULL;
	if (cap == 0 || cap > KC_SECRET_MAX)
		return kc_err(KC_ERR_USAGE, "secret size %zu out of range", cap);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((s->buf = calloc(1, cap + 1)) == NULL) {
		free(s);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	s->cap = cap;
	s->locked = mlock(s->buf, cap + 1) == 0;
	*out = s;
	return KC_OK;
}

void
kc_secret_free(struct kc_secret *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->buf, s->cap + 1);
	if (s->locked)
		munlock(s->buf, s->cap + 1);
	free(s->buf);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int
kc_secret_from(const void *data, size_t len, struct kc_secret **out)
{
	int rc;

	if ((rc = kc_secret_new(len ? len : 1, out)) != KC_OK)
		return rc;
	memcpy((*out)->buf, data, len);
	(*out)->len = len;
	return KC_OK;
}

int
kc_secret_read_file(const char *path, const char *what, struct kc_secret **out)
{
	struct kc_secret *s = NULL;
	struct stat st;
	char wf[64];
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	/* Not a link, not a FIFO (that would hang), a regular file of ours
	 * or root's. */
	snprintf(wf, sizeof(wf), "%s file", what);
	if ((rc = kc_file_open(path, wf, 64 * 1024, &fd, &st)) != KC_OK)
		return kc_err_recode(KC_ERR_PIN);
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return kc_err(KC_ERR_PIN, "%s file %s is accessible by group or "
		    "others (mode %03o); run chmod 600 %s", what, path,
		    (unsigned)(st.st_mode & 0777), path);
	}
	if ((rc = kc_secret_new(KC_SECRET_MAX, &s)) != KC_OK) {
		close(fd);
		return rc;
	}
	while (len < s->cap) {
		n = read(fd, s->buf + len, s->cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = kc_err(KC_ERR_PIN, "%s file %s: %s", what, path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* Only the first line counts. */
	for (size_t i = 0; i < len; i++) {
		if (s->buf[i] == '\n' || s->buf[i] == '\r') {
			len = i;
			break;
		}
		if (s->buf[i] == '\0') {
			rc = kc_err(KC_ERR_PIN, "%s file %s holds a NUL byte",
			    what, path);
			goto out;
		}
	}
	OPENSSL_cleanse(s->buf + len, s->cap + 1 - len);
	if (len == 0) {
		rc = kc_err(KC_ERR_PIN, "%s file %s is empty", what, path);
		goto out;
	}
	s->len = len;
	*out = s;
	s = NULL;
	rc = KC_OK;
out:
	close(fd);
	kc_secret_free(s);
	return rc;
}

int
kc_secret_equal(const struct kc_secret *a, const struct kc_secret *b)
{
	if (a->len != b->len)
		return 0;
	return CRYPTO_memcmp(a->buf, b->buf, a->len) == 0;
}

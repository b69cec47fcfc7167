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

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/secret.h"

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

/* --- strength of a new passphrase (kc_secret_check_strength) --- */

static const char *const pass_runs[] = {
	"abcdefghijklmnopqrstuvwxyz", "01234567890123456789",
	"qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn", "1234567890qwertyuiop",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "!@#$%^&*()_+",
	"1234567890-=", NULL
};
static const char *const pass_words[] = { "password", "passwort",
	"passphrase", "passw0rd", "secret", "letmein", "changeme", "welcome",
	"factory", "admin", "iloveyou", "monkey", "dragon", "default",
	"keyceremony", "factorysign", "trustno1", NULL };

static int
low(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c;
}

/* s[0..n) is one character repeated, or (case-insensitively) a piece of
 * one of pass_runs[], forwards or backwards. */
static int
pass_is_run(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n && low(s[i]) == low(s[0]); i++)
		;
	if (i == n)
		return 1;
	for (int k = 0; pass_runs[k] != NULL; k++) {
		const char *r = pass_runs[k];
		size_t rl = strlen(r);

		for (size_t off = 0; n <= rl && off + n <= rl; off++) {
			size_t f = 0, b = 0;

			while (f < n && low(s[f]) == r[off + f])
				f++;
			while (b < n && low(s[b]) == r[off + n - 1 - b])
				b++;
			if (f == n || b == n)
				return 1;
		}
	}
	return 0;
}

/* The longest run starting at s (at least 1). */
static size_t
pass_run_len(const char *s, size_t n)
{
	size_t best = 1;

	/* a piece of a run is a run: stop at the first length that is not */
	for (size_t l = 2; l <= n && pass_is_run(s, l); l++)
		best = l;
	return best;
}

static const char *
pass_weakness(const char *s, size_t n)
{
	unsigned char seen[256] = { 0 };
	size_t distinct = 0, segs = 0, i;

	for (i = 0; i < n; i++)
		if (!seen[low(s[i])]++)
			distinct++;
	OPENSSL_cleanse(seen, sizeof(seen));
	if (distinct < 5)
		return "it uses fewer than 5 different characters";
	for (size_t p = 1; p <= n / 2; p++) {
		for (i = p; i < n && low(s[i]) == low(s[i - p]); i++)
			;
		if (i == n)
			return "it repeats one short sequence";
	}
	for (i = 0; i < n && segs <= 2; segs++)
		i += pass_run_len(s + i, n - i);
	if (segs <= 2)
		return "it is a run of the alphabet, the digits or a keyboard "
		    "row (or two of them)";
	for (int k = 0; pass_words[k] != NULL; k++) {
		size_t wl = strlen(pass_words[k]);

		for (i = 0; i < wl && i < n && low(s[i]) == pass_words[k][i]; i++)
			;
		if (i == wl && (n == wl || pass_is_run(s + wl, n - wl)))
			return "it is a common word, at most followed by a run";
	}
	return NULL;
}

int
kc_secret_check_strength(const struct kc_secret *s, size_t min,
    const char *what)
{
	const char *why;

	if (s == NULL || s->len < min)
		return kc_err(KC_ERR_PIN, "the %s is too short: at least %zu "
		    "characters are needed; choose a phrase of several "
		    "unrelated words", what, min);
	if ((why = pass_weakness(s->buf, s->len)) != NULL)
		return kc_err(KC_ERR_PIN, "the %s is too weak: %s; choose a "
		    "phrase of several unrelated words", what, why);
	return KC_OK;
}

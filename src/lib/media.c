/* media.c: export of public artefacts to removable media, import of CSRs,
 * and the private-key screen every exported file goes through (see
 * kc/media.h).
 *
 * KC_TEST_MEDIA_FAIL_AFTER=N (tests only, for machines where a small
 * tmpfs cannot be mounted) makes the write after the N-th file of an
 * export fail with ENOSPC, to exercise the rollback. */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "kc/csr.h"
#include "kc/error.h"
#include "kc/fileio.h"
#include "kc/media.h"
#include "kc/register.h"

#define MEDIA_FILE_MAX (16 * 1024 * 1024)
#define SUMS "SHA256SUMS"

const char *
kc_artefact_name(enum kc_artefact a)
{
	switch (a) {
	case KC_ART_CERT: return "certificate";
	case KC_ART_CRL: return "CRL";
	case KC_ART_CSR: return "CSR";
	case KC_ART_TRANSCRIPT: return "transcript";
	case KC_ART_REGISTER: return "register dump";
	case KC_ART_CODE: return "verification code";
	default: return "unknown";
	}
}

/* ---- the private-key screen ---- */

struct tlv {
	unsigned char	 tag;
	const unsigned char *val;	/* content */
	size_t		 len;		/* content length */
	size_t		 total;		/* header + content */
};

/* One DER TLV at p (definite length, low tag numbers); 0 on success. */
static int
tlv_read(const unsigned char *p, size_t avail, struct tlv *t)
{
	size_t hl = 2, len;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = p[0];
	if (p[1] < 0x80) {
		len = p[1];
	} else {
		size_t nb = p[1] & 0x7f;
		if (nb == 0 || nb > 4 || avail < 2 + nb)
			return -1;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = (len << 8) | p[2 + i];
		hl += nb;
	}
	if (len > avail - hl)
		return -1;
	t->val = p + hl;
	t->len = len;
	t->total = hl + len;
	return 0;
}

/* The elements of a constructed value, at most max; -1 when they do not
 * exactly fill it. */
static int
tlv_children(const struct tlv *t, struct tlv *kids, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < t->len) {
		if (n == max)
			return n;	/* more than we look at */
		if (tlv_read(t->val + off, t->len - off, &kids[n]) != 0)
			return -1;
		off += kids[n].total;
		n++;
	}
	return n;
}

static int
is_small_int(const struct tlv *t, unsigned v)
{
	return t->tag == 0x02 && t->len == 1 && t->val[0] == v;
}

static const unsigned char oid_pkcs5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x05 };			/* 1.2.840.113549.1.5 (PBES1/PBES2) */
static const unsigned char oid_pkcs12pbe[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x0c, 0x01 };	/* 1.2.840.113549.1.12.1 */
static const unsigned char oid_pkcs7[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x07 };			/* 1.2.840.113549.1.7 */

static int
oid_under(const struct tlv *t, const unsigned char *arc, size_t arclen)
{
	return t->tag == 0x06 && t->len > arclen &&
	    memcmp(t->val, arc, arclen) == 0;
}

/* Does the SEQUENCE at p look like a private key structure? */
static const char *
der_private_shape(const unsigned char *p, size_t avail)
{
	struct tlv seq, k[10], alg[2];
	int n, na;

	if (tlv_read(p, avail, &seq) != 0 || seq.tag != 0x30)
		return NULL;
	if ((n = tlv_children(&seq, k, 10)) < 2)
		return NULL;
	/* RSAPrivateKey (9 INTEGERs) or DSA (6), version 0 */
	if (n >= 6 && is_small_int(&k[0], 0)) {
		int all = 1;
		for (int i = 0; i < 6; i++)
			all &= k[i].tag == 0x02;
		if (all)
			return n >= 9 ? "a raw RSA private key (PKCS#1 DER)" :
			    "a raw DSA private key (DER)";
	}
	/* ECPrivateKey (RFC 5915): version 1, OCTET STRING, [0], [1] */
	if (n <= 4 && is_small_int(&k[0], 1) && k[1].tag == 0x04 &&
	    (n < 3 || k[2].tag == 0xa0 || k[2].tag == 0xa1) &&
	    (n < 4 || k[3].tag == 0xa1))
		return "a raw EC private key (RFC 5915 DER)";
	/* PrivateKeyInfo / OneAsymmetricKey: version, AlgorithmIdentifier,
	 * OCTET STRING */
	if (n >= 3 && (is_small_int(&k[0], 0) || is_small_int(&k[0], 1)) &&
	    k[1].tag == 0x30 && k[2].tag == 0x04 &&
	    (na = tlv_children(&k[1], alg, 2)) >= 1 && alg[0].tag == 0x06)
		return "a PKCS#8 private key (DER)";
	/* EncryptedPrivateKeyInfo: AlgorithmIdentifier (a PBE), OCTET STRING */
	if (n == 2 && k[0].tag == 0x30 && k[1].tag == 0x04 &&
	    (na = tlv_children(&k[0], alg, 2)) >= 1 &&
	    (oid_under(&alg[0], oid_pkcs5, sizeof(oid_pkcs5)) ||
	    oid_under(&alg[0], oid_pkcs12pbe, sizeof(oid_pkcs12pbe))))
		return "an encrypted PKCS#8 private key (DER)";
	/* PFX: version 3, ContentInfo (PKCS#7 data or signedData) */
	if (is_small_int(&k[0], 3) && k[1].tag == 0x30 &&
	    (na = tlv_children(&k[1], alg, 2)) >= 1 &&
	    oid_under(&alg[0], oid_pkcs7, sizeof(oid_pkcs7)))
		return "a PKCS#12 file";
	return NULL;
}

static const char *
der_scan(const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i + 2 <= len; i++) {
		const char *what;
		if (buf[i] == 0x30 && (what = der_private_shape(buf + i,
		    len - i)) != NULL)
			return what;
	}
	return NULL;
}

static const unsigned char *
find_bytes(const unsigned char *h, size_t hl, const char *needle)
{
	size_t nl = strlen(needle);

	if (hl < nl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == (unsigned char)needle[0] &&
		    memcmp(h + i, needle, nl) == 0)
			return h + i;
	return NULL;
}

/* Decodes the base64 body of a PEM block (headers like Proc-Type are
 * skipped) and scans the bytes. */
static const char *
pem_body_scan(const unsigned char *b, size_t bl)
{
	unsigned char *clean = malloc(bl + 1), *bin = NULL;
	const char *what = NULL;
	size_t cl = 0;
	int n;

	if (clean == NULL)
		return NULL;
	for (size_t i = 0; i < bl; i++)
		if (isalnum(b[i]) || b[i] == '+' || b[i] == '/' || b[i] == '=')
			clean[cl++] = b[i];
		else if (b[i] == ':')	/* "Proc-Type: ..." header line */
			cl = 0;
	while (cl % 4)
		cl--;
	if (cl > 0 && (bin = malloc(cl)) != NULL &&
	    (n = EVP_DecodeBlock(bin, clean, (int)cl)) > 0)
		what = der_scan(bin, (size_t)n);
	free(bin);
	free(clean);
	return what;
}

int
kc_media_has_private(const unsigned char *buf, size_t len, char *why,
    size_t whysz)
{
	const unsigned char *p = buf, *end = buf + len;
	const char *what;

	while ((p = find_bytes(p, (size_t)(end - p), "-----BEGIN ")) != NULL) {
		const unsigned char *lab = p + 11, *le, *body, *stop;
		char label[64];
		size_t ll;

		le = find_bytes(lab, (size_t)(end - lab), "-----");
		if (le == NULL || (ll = (size_t)(le - lab)) >= sizeof(label))
			break;
		memcpy(label, lab, ll);
		label[ll] = '\0';
		if (strstr(label, "PRIVATE") != NULL ||
		    strstr(label, "PKCS12") != NULL ||
		    strstr(label, "ENCRYPTED") != NULL) {
			snprintf(why, whysz, "a PEM '%s' block", label);
			return 1;
		}
		body = le + 5;
		stop = find_bytes(body, (size_t)(end - body), "-----END ");
		if (stop == NULL)
			stop = end;
		if ((what = pem_body_scan(body, (size_t)(stop - body))) !=
		    NULL) {
			snprintf(why, whysz, "%s inside a PEM '%s' block", what,
			    label);
			return 1;
		}
		p = stop;
	}
	if (find_bytes(buf, len, "openssh-key-v1") != NULL) {
		snprintf(why, whysz, "an OpenSSH private key");
		return 1;
	}
	if (find_bytes(buf, len, "PuTTY-User-Key-File") != NULL) {
		snprintf(why, whysz, "a PuTTY private key");
		return 1;
	}
	if ((what = der_scan(buf, len)) != NULL) {
		snprintf(why, whysz, "%s", what);
		return 1;
	}
	return 0;
}

/* ---- what a file is ---- */

static int
pem_only(const unsigned char *buf, size_t len, const char *label)
{
	char begin[80];

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	return find_bytes(buf, len, begin) != NULL;
}

static enum kc_artefact
pem_kind(const unsigned char *buf, size_t len)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	enum kc_artefact k = KC_ART_UNKNOWN;
	void *x = NULL;

	if (b == NULL)
		return k;
	if (pem_only(buf, len, "CERTIFICATE") &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		k = KC_ART_CERT;
	} else if (pem_only(buf, len, "X509 CRL") &&
	    (x = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		X509_CRL_free(x);
		k = KC_ART_CRL;
	} else if ((pem_only(buf, len, "CERTIFICATE REQUEST") ||
	    pem_only(buf, len, "NEW CERTIFICATE REQUEST")) &&
	    (x = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)) != NULL) {
		X509_REQ_free(x);
		k = KC_ART_CSR;
	}
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static enum kc_artefact
der_kind(const unsigned char *buf, size_t len)
{
	const unsigned char *p;
	void *x;

	p = buf;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		X509_free(x);
		if (p == buf + len)
			return KC_ART_CERT;
	}
	p = buf;
	if ((x = d2i_X509_CRL(NULL, &p, (long)len)) != NULL) {
		X509_CRL_free(x);
		if (p == buf + len)
			return KC_ART_CRL;
	}
	p = buf;
	if ((x = d2i_X509_REQ(NULL, &p, (long)len)) != NULL) {
		X509_REQ_free(x);
		if (p == buf + len)
			return KC_ART_CSR;
	}
	ERR_clear_error();
	return KC_ART_UNKNOWN;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

enum kc_artefact
kc_media_classify(const char *name, const unsigned char *buf, size_t len)
{
	if (len >= 25 && memcmp(buf, "# keyceremony transcript", 24) == 0)
		return KC_ART_TRANSCRIPT;
	if (len >= 23 && memcmp(buf, "# keyceremony register", 22) == 0)
		return KC_ART_REGISTER;
	if (ends_with(name, ".code")) {
		size_t n = len;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (n == 0 || n > 64)
			return KC_ART_UNKNOWN;
		for (size_t i = 0; i < n; i++)
			if (!isalnum(buf[i]))
				return KC_ART_UNKNOWN;
		return KC_ART_CODE;
	}
	if (find_bytes(buf, len, "-----BEGIN ") != NULL)
		return pem_kind(buf, len);
	return der_kind(buf, len);
}

/* ---- probing the media ---- */

static const char *
sysfs(void)
{
	const char *s = getenv("KC_SYSFS");
	return s != NULL && s[0] != '\0' ? s : "/sys";
}

/* The mount point holding path (longest match in /proc/self/mountinfo). */
static void
mount_point(const char *real, char *mp, size_t mpsz)
{
	char line[4096], best[PATH_MAX] = "/";
	size_t bestlen = 1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char m[PATH_MAX];
			size_t ml;
			/* id parent major:minor root mountpoint ... */
			if (sscanf(line, "%*s %*s %*s %*s %4095s", m) != 1)
				continue;
			ml = strlen(m);
			if (ml >= bestlen && strncmp(real, m, ml) == 0 &&
			    (real[ml] == '/' || real[ml] == '\0' ||
			    strcmp(m, "/") == 0)) {
				snprintf(best, sizeof(best), "%s", m);
				bestlen = ml;
			}
		}
		fclose(f);
	}
	snprintf(mp, mpsz, "%s", best);
}

static int
removable_flag(dev_t dev)
{
	char path[PATH_MAX], buf[16];
	FILE *f;

	for (int up = 0; up < 2; up++) {
		snprintf(path, sizeof(path), "%s/dev/block/%u:%u/%sremovable",
		    sysfs(), major(dev), minor(dev), up ? "../" : "");
		if ((f = fopen(path, "re")) == NULL)
			continue;
		buf[0] = '\0';
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		if (buf[0] == '0' || buf[0] == '1')
			return buf[0] - '0';
	}
	return -1;
}

int
kc_media_probe(const char *dir, int *removable, char *mountpoint,
    size_t mpsz)
{
	char probe[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int fd;

	*removable = -1;
	if (mpsz > 0)
		mountpoint[0] = '\0';
	if (stat(dir, &st) == -1)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "media directory %s: %s; insert and mount the medium",
		    dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_IO, "media directory %s is not a "
		    "directory", dir);
	if ((size_t)snprintf(probe, sizeof(probe), "%s/.kc-probe-XXXXXX",
	    dir) >= sizeof(probe))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if ((fd = mkstemp(probe)) == -1)
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s%s", dir, strerror(errno), errno == EROFS ?
		    " (mounted read-only, or the write-protect switch is on)" :
		    "");
	if (write(fd, "k", 1) != 1 || fsync(fd) == -1) {
		int e = errno;
		close(fd);
		unlink(probe);
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s", dir, strerror(e));
	}
	close(fd);
	unlink(probe);
	if (realpath(dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", dir);
	mount_point(real, mountpoint, mpsz);
	*removable = removable_flag(st.st_dev);
	return KC_OK;
}

/* ---- export ---- */

struct item {
	char		 src[PATH_MAX];
	char		 name[256];
	unsigned char	*data;
	size_t		 len;
	char		 sha256[65];
	enum kc_artefact type;
	int		 skip;		/* identical file already there */
	int		 written;
};

struct batch {
	struct item	*items;
	size_t		 n;
	char		**ignored;
	size_t		 n_ignored;
};

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].data);
	free(b->items);
	for (size_t i = 0; i < b->n_ignored; i++)
		free(b->ignored[i]);
	free(b->ignored);
	memset(b, 0, sizeof(*b));
}

void
kc_export_result_clear(struct kc_export_result *r)
{
	free(r->files);
	for (size_t i = 0; i < r->n_ignored; i++)
		free(r->ignored[i]);
	free(r->ignored);
	memset(r, 0, sizeof(*r));
}

static int
add_ignored(struct batch *b, const char *path)
{
	char **n = realloc(b->ignored, (b->n_ignored + 1) * sizeof(*n));

	if (n == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	b->ignored = n;
	if ((n[b->n_ignored] = strdup(path)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	b->n_ignored++;
	return KC_OK;
}

/* Reads and screens one file; adds it when it is a public artefact. */
static int
add_file(struct batch *b, const char *path, const char *name)
{
	struct item it;
	char why[160];
	struct item *n;
	int rc;

	memset(&it, 0, sizeof(it));
	if ((rc = kc_file_read(path, MEDIA_FILE_MAX, &it.data, &it.len)) !=
	    KC_OK)
		return rc;
	if (kc_media_has_private(it.data, it.len, why, sizeof(why))) {
		OPENSSL_cleanse(it.data, it.len);
		free(it.data);
		return kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "anything; private keys never leave the room (remove the "
		    "file from the state directory)", path, why);
	}
	it.type = kc_media_classify(name, it.data, it.len);
	if (it.type == KC_ART_UNKNOWN) {
		free(it.data);
		return add_ignored(b, path);
	}
	snprintf(it.src, sizeof(it.src), "%s", path);
	snprintf(it.name, sizeof(it.name), "%s", name);
	kc_sha256_hex(it.data, it.len, it.sha256);
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->items[i].name, name) == 0) {
			free(it.data);
			return kc_err(KC_ERR_EXISTS, "two files named %s to "
			    "export", name);
		}
	if ((n = realloc(b->items, (b->n + 1) * sizeof(*n))) == NULL) {
		free(it.data);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	b->items = n;
	b->items[b->n++] = it;
	return KC_OK;
}

static int
name_ok(const char *n)
{
	if (n[0] == '.' || strcmp(n, SUMS) == 0 || strstr(n, ".tmp-") != NULL)
		return 0;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.' && *p != '+')
			return 0;
	return 1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files of dir (sorted, not following symlinks). */
static int
add_dir(struct batch *b, const char *dir, int transcripts_only)
{
	char path[PATH_MAX], **names = NULL;
	size_t n = 0;
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int rc = KC_OK;

	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT && transcripts_only)
			return KC_OK;
		return kc_err(KC_ERR_IO, "state directory %s: %s", dir,
		    strerror(errno));
	}
	while ((d = readdir(dp)) != NULL) {
		char **nn;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*nn))) == NULL ||
		    (nn[n] = strdup(d->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		names = nn;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (lstat(path, &st) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode) || strncmp(names[i], "register.sqlite",
		    15) == 0)
			continue;
		if (!S_ISREG(st.st_mode) || !name_ok(names[i])) {
			rc = add_ignored(b, path);
			continue;
		}
		if (transcripts_only && !ends_with(names[i], ".log")) {
			rc = add_ignored(b, path);
			continue;
		}
		rc = add_file(b, path, names[i]);
	}
out:
	closedir(dp);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * A new file on the medium: temporary file, fsync, then renamed into
 * place without replacing anything (RENAME_NOREPLACE; on a file system
 * without it, such as older vfat drivers, a plain rename after checking
 * the name is free: the medium is in the hands of one officer). Hard links,
 * which kc_file_write() uses for KC_WRITE_EXCL, do not exist on FAT, the
 * usual format of USB sticks. The directory is synced by the caller.
 */
static int
media_write(const char *path, const unsigned char *data, size_t len)
{
	char tmp[PATH_MAX + 32];
	unsigned char rnd[6];
	struct stat st;
	size_t off = 0;
	int fd, e;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return kc_err_ssl(KC_ERR_CRYPTO, "random bytes");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x",
	    path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]) >= sizeof(tmp))
		return kc_err(KC_ERR_USAGE, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1)
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n == 0 ? ENOSPC : errno;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		e = errno;
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		e = errno;
		goto fail;
	}
	fd = -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return KC_OK;
	e = errno;
	if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) {
		if (lstat(path, &st) == 0) {
			e = EEXIST;
		} else if (rename(tmp, path) == 0) {
			return KC_OK;
		} else {
			e = errno;
		}
	}
	unlink(tmp);
	if (e == EEXIST)
		return kc_err(KC_ERR_EXISTS, "%s already exists; refusing to "
		    "overwrite it", path);
	return kc_err(KC_ERR_IO, "cannot create %s: %s", path, strerror(e));
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return kc_err(KC_ERR_IO, "cannot write %s: %s", path, strerror(e));
}

static int
fail_injected(size_t written)
{
	const char *s = getenv("KC_TEST_MEDIA_FAIL_AFTER");

	return s != NULL && s[0] != '\0' && written >= strtoul(s, NULL, 10);
}

/* Reads path back from the medium (page cache dropped first) and compares
 * its SHA-256. */
static int
read_back(const char *path, const char *sha256)
{
	unsigned char *buf = NULL;
	char hex[65];
	size_t len;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		(void)fdatasync(fd);
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	if ((rc = kc_file_read(path, MEDIA_FILE_MAX, &buf, &len)) != KC_OK)
		return rc;
	kc_sha256_hex(buf, len, hex);
	free(buf);
	if (strcmp(hex, sha256) != 0)
		return kc_err(KC_ERR_IO, "%s reads back with SHA-256 %s, not "
		    "%s: the medium is faulty; use another", path, hex, sha256);
	return KC_OK;
}

/* SHA256SUMS lines already on the media, merged with the batch. */
static int
write_sums(const char *media, struct batch *b, char *sums_sha, size_t shasz)
{
	char path[PATH_MAX], *out = NULL;
	unsigned char *old = NULL;
	size_t oldlen = 0, used = 0, cap;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", media, SUMS);
	rc = kc_file_read(path, MEDIA_FILE_MAX, &old, &oldlen);
	if (rc != KC_OK && rc != KC_ERR_NOTFOUND)
		return rc;
	kc_err_clear();
	cap = oldlen + b->n * 400 + 1;
	if ((out = malloc(cap)) == NULL) {
		free(old);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	/* keep old lines for files not in this batch */
	for (char *line = (char *)old; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		int replaced = 0;
		if (ll > 66)
			for (size_t i = 0; i < b->n; i++)
				if (ll - 66 == strlen(b->items[i].name) &&
				    memcmp(line + 66, b->items[i].name, ll - 66)
				    == 0)
					replaced = 1;
		if (!replaced && ll > 0) {
			memcpy(out + used, line, ll);
			used += ll;
			out[used++] = '\n';
		}
		line = nl ? nl + 1 : line + ll;
	}
	for (size_t i = 0; i < b->n; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s  %s\n",
		    b->items[i].sha256, b->items[i].name);
	kc_sha256_hex(out, used, sums_sha);
	(void)shasz;
	rc = kc_file_write(path, out, used, 0644, 0);
	free(out);
	free(old);
	return rc;
}

static int
do_export(const char *media, struct batch *b, struct kc_export_result *res)
{
	char path[PATH_MAX], sums_sha[65], msg[1024];
	int removable, rc;
	size_t written = 0;
	unsigned char *old = NULL;
	size_t oldlen = 0;
	char sumspath[PATH_MAX];
	int had_sums;

	if ((rc = kc_media_probe(media, &removable, path, sizeof(path))) !=
	    KC_OK)
		return rc;
	/* Every target checked before anything is written. */
	for (size_t i = 0; i < b->n; i++) {
		unsigned char *buf = NULL;
		size_t len;
		char hex[65];

		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		rc = kc_file_read(path, MEDIA_FILE_MAX, &buf, &len);
		if (rc == KC_ERR_NOTFOUND) {
			kc_err_clear();
			continue;
		}
		if (rc != KC_OK)
			return rc;
		kc_sha256_hex(buf, len, hex);
		free(buf);
		if (strcmp(hex, b->items[i].sha256) != 0)
			return kc_err(KC_ERR_EXISTS, "%s already exists on the "
			    "media with other content: refusing to overwrite "
			    "it; use an empty medium", path);
		b->items[i].skip = 1;
	}
	snprintf(sumspath, sizeof(sumspath), "%s/%s", media, SUMS);
	had_sums = kc_file_read(sumspath, MEDIA_FILE_MAX, &old, &oldlen) ==
	    KC_OK;
	kc_err_clear();

	for (size_t i = 0; i < b->n; i++) {
		if (b->items[i].skip)
			continue;
		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		if (fail_injected(written)) {
			rc = kc_err(KC_ERR_IO, "cannot write %s: %s", path,
			    strerror(ENOSPC));
			goto rollback;
		}
		if ((rc = media_write(path, b->items[i].data,
		    b->items[i].len)) != KC_OK)
			goto rollback;
		b->items[i].written = 1;
		written++;
	}
	if (fail_injected(written)) {
		rc = kc_err(KC_ERR_IO, "cannot write %s: %s", sumspath,
		    strerror(ENOSPC));
		goto rollback;
	}
	if ((rc = write_sums(media, b, sums_sha, sizeof(sums_sha))) != KC_OK ||
	    (rc = kc_dir_sync(media)) != KC_OK)
		goto rollback;
	for (size_t i = 0; i < b->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		if ((rc = read_back(path, b->items[i].sha256)) != KC_OK)
			goto rollback;
	}
	if ((rc = read_back(sumspath, sums_sha)) != KC_OK)
		goto rollback;

	if ((res->files = calloc(b->n ? b->n : 1, sizeof(*res->files))) ==
	    NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct kc_media_file *f = &res->files[i];
		snprintf(f->name, sizeof(f->name), "%s", b->items[i].name);
		memcpy(f->sha256, b->items[i].sha256, 65);
		f->type = b->items[i].type;
		f->size = b->items[i].len;
		f->skipped = b->items[i].skip;
	}
	res->n = b->n;
	res->ignored = b->ignored;
	res->n_ignored = b->n_ignored;
	b->ignored = NULL;
	b->n_ignored = 0;
	rc = KC_OK;
	goto out;

rollback:
	/* Leave the media as it was: remove what this export created and
	 * put the old SHA256SUMS back. */
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	for (size_t i = 0; i < b->n; i++) {
		if (!b->items[i].written)
			continue;
		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		unlink(path);
	}
	if (had_sums)
		(void)kc_file_write(sumspath, old, oldlen, 0644, 0);
	else
		unlink(sumspath);
	(void)kc_dir_sync(media);
	kc_err(rc, "%s; the export was rolled back: the media holds what it "
	    "held before", msg);
out:
	free(old);
	return rc;
}

static void
utc(time_t t, char out[32])
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, 32, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The register as text, named by its content so that an unchanged
 * register is not exported twice. */
static int
add_register_dump(struct batch *b, const char *state_dir)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry *list = NULL;
	struct item it, *nb;
	char path[PATH_MAX], *text = NULL;
	size_t n = 0, cap, used = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", state_dir, KC_REGISTER_FILE);
	if (access(path, F_OK) != 0)
		return KC_OK;
	if ((rc = kc_register_open(state_dir, 0, &reg)) != KC_OK ||
	    (rc = kc_register_list(reg, &list, &n)) != KC_OK)
		goto out;
	cap = 256 + n * 1400;
	if ((text = malloc(cap)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	used = (size_t)snprintf(text, cap, "# keyceremony register dump: %zu "
	    "entries\n# kind\tserial-or-crl-number\tsubject\tnot-before\t"
	    "not-after\trevoked\treason\tsha256\tfile\tca\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct kc_reg_entry *e = &list[i];
		char nb_s[32], na_s[32], rv[32], num[48];

		utc(e->not_before, nb_s);
		utc(e->not_after, na_s);
		utc(e->revoked_at, rv);
		if (e->kind == KC_REG_CRL)
			snprintf(num, sizeof(num), "crl#%lld", e->crl_number);
		else
			snprintf(num, sizeof(num), "%s", e->serial);
		used += (size_t)snprintf(text + used, cap - used, "%s\t%s\t%s\t"
		    "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kc_reg_kind_name(e->kind),
		    num, e->subject, nb_s, na_s, rv, e->revoked_at ?
		    kc_reason_name(e->reason) : "-", e->sha256, e->path, e->ca);
		if (used >= cap) {
			rc = kc_err(KC_ERR_INTERNAL, "register dump too long");
			goto out;
		}
	}
	memset(&it, 0, sizeof(it));
	kc_sha256_hex(text, used, it.sha256);
	snprintf(it.name, sizeof(it.name), "register-%.12s.txt", it.sha256);
	snprintf(it.src, sizeof(it.src), "%s", path);
	it.data = (unsigned char *)text;
	it.len = used;
	it.type = KC_ART_REGISTER;
	if ((nb = realloc(b->items, (b->n + 1) * sizeof(*nb))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	b->items = nb;
	b->items[b->n++] = it;
	text = NULL;
	rc = KC_OK;
out:
	free(text);
	free(list);
	kc_register_close(reg);
	return rc;
}

int
kc_media_export(const char *state_dir, const char *media_dir, int flags,
    struct kc_export_result *res)
{
	struct batch b;
	char tdir[PATH_MAX];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if ((rc = add_dir(&b, state_dir, 0)) != KC_OK ||
	    (rc = add_register_dump(&b, state_dir)) != KC_OK)
		goto out;
	if (!(flags & KC_EXPORT_NO_TRANSCRIPTS)) {
		snprintf(tdir, sizeof(tdir), "%s/transcripts", state_dir);
		if ((rc = add_dir(&b, tdir, 1)) != KC_OK)
			goto out;
	}
	if (b.n == 0) {
		rc = kc_err(KC_ERR_NOTFOUND, "nothing to export in %s", state_dir);
		goto out;
	}
	rc = do_export(media_dir, &b, res);
out:
	batch_free(&b);
	return rc;
}

int
kc_media_export_files(const char *media_dir, const char *const *paths,
    size_t n, struct kc_export_result *res)
{
	struct batch b;
	int rc = KC_OK;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		const char *base = strrchr(paths[i], '/');
		base = base ? base + 1 : paths[i];
		if (!name_ok(base)) {
			rc = kc_err(KC_ERR_USAGE, "%s: not a name to export",
			    paths[i]);
			break;
		}
		if ((rc = add_file(&b, paths[i], base)) == KC_OK &&
		    b.n_ignored > 0)
			rc = kc_err(KC_ERR_POLICY, "%s is not a public artefact "
			    "(certificate, CRL, CSR, transcript)", paths[i]);
	}
	if (rc == KC_OK)
		rc = do_export(media_dir, &b, res);
	batch_free(&b);
	return rc;
}

/* ---- import ---- */

static int
hex_equal(const char *a, const char *b)
{
	size_t n = 0;

	for (; *a && *b; a++, b++, n++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == '\0' && *b == '\0' && n == 64;
}

int
kc_media_import(const char *media_dir, const char *state_dir,
    const char *const *names, const char *expect_sha256,
    struct kc_export_result *res)
{
	struct batch b, all;
	char path[PATH_MAX];
	int rc = KC_OK;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	if (expect_sha256 != NULL) {
		size_t n = 0;
		for (const char *p = expect_sha256; *p; p++, n++)
			if (!isxdigit((unsigned char)*p))
				n = 1000;
		if (n != 64)
			return kc_err(KC_ERR_USAGE, "--expect-sha256 must be 64 "
			    "hex digits");
	}
	if (names != NULL) {
		for (size_t i = 0; names[i] != NULL && rc == KC_OK; i++) {
			if (!name_ok(names[i])) {
				rc = kc_err(KC_ERR_USAGE, "%s: give a file name "
				    "on the media, not a path", names[i]);
				break;
			}
			snprintf(path, sizeof(path), "%s/%s", media_dir,
			    names[i]);
			rc = add_file(&all, path, names[i]);
			if (rc == KC_OK && all.n_ignored > 0)
				rc = kc_err(KC_ERR_INPUT, "%s is not a CSR", path);
		}
	} else {
		struct stat st;
		if (stat(media_dir, &st) == -1 || !S_ISDIR(st.st_mode))
			return kc_err(KC_ERR_NOTFOUND, "media directory %s: %s; "
			    "insert and mount the medium", media_dir,
			    errno ? strerror(errno) : "not a directory");
		rc = add_dir(&all, media_dir, 0);
	}
	if (rc != KC_OK)
		goto out;
	/* Only CSRs and verification codes come in. */
	for (size_t i = 0; i < all.n; i++) {
		struct item *it = &all.items[i];
		struct kc_csr *csr = NULL;
		struct item *nb;

		if (it->type != KC_ART_CSR && it->type != KC_ART_CODE) {
			if (names != NULL) {
				rc = kc_err(KC_ERR_INPUT, "%s is a %s, not a CSR",
				    it->src, kc_artefact_name(it->type));
				goto out;
			}
			continue;
		}
		if (it->type == KC_ART_CSR &&
		    (rc = kc_csr_parse(it->data, it->len, it->src,
		    KC_CSR_NO_SUBJECT_CHECK, &csr)) != KC_OK)
			goto out;
		kc_csr_free(csr);
		if ((nb = realloc(b.items, (b.n + 1) * sizeof(*nb))) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		b.items = nb;
		b.items[b.n++] = *it;
		it->data = NULL;
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
			rc = kc_err(KC_ERR_POLICY, "%s has SHA-256 %s, not the "
			    "expected %s: it is not the CSR the factory sent; "
			    "nothing was imported", c->src, c->sha256,
			    expect_sha256);
			goto out;
		}
	}
	if ((rc = kc_dir_ensure(state_dir, 0700)) != KC_OK)
		goto out;
	/* Check every target, then write. */
	for (size_t i = 0; i < b.n; i++) {
		unsigned char *buf = NULL;
		size_t len;
		char hex[65];

		snprintf(path, sizeof(path), "%s/%s", state_dir, b.items[i].name);
		rc = kc_file_read(path, MEDIA_FILE_MAX, &buf, &len);
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
	for (size_t i = 0; i < b.n; i++) {
		if (b.items[i].skip)
			continue;
		snprintf(path, sizeof(path), "%s/%s", state_dir, b.items[i].name);
		if ((rc = kc_file_write(path, b.items[i].data, b.items[i].len,
		    0644, KC_WRITE_EXCL)) != KC_OK) {
			for (size_t j = 0; j < i; j++)
				if (b.items[j].written) {
					snprintf(path, sizeof(path), "%s/%s",
					    state_dir, b.items[j].name);
					unlink(path);
				}
			goto out;
		}
		b.items[i].written = 1;
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
	batch_free(&b);
	batch_free(&all);
	return rc;
}

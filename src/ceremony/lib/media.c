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
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "kc/ceremony/media.h"
#include "kc/ceremony/register.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"

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
	case KC_ART_REPORT: return "ceremony report";
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

/* How run_scan() joins text into runs. */
enum run_mode {
	RUN_PLAIN,	/* base64 or hex, lines joined */
	RUN_SPACED,	/* base64 in groups split by blanks */
	RUN_COLONS,	/* hex bytes split by ':' or blanks (openssl -text) */
};
static const char *run_scan(const unsigned char *buf, size_t len,
    enum run_mode mode);

/* Decodes the base64 body of a PEM block (headers like Proc-Type are
 * skipped) and scans the bytes, as DER and as text. */
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
	    (n = EVP_DecodeBlock(bin, clean, (int)cl)) > 0 &&
	    (what = der_scan(bin, (size_t)n)) == NULL) {
		/* a key as text inside the object (a CSR attribute, a
		 * certificate comment) */
		for (int m = RUN_PLAIN; m <= RUN_COLONS && what == NULL; m++)
			what = run_scan(bin, (size_t)n, (enum run_mode)m);
	}
	free(bin);
	free(clean);
	return what;
}

static int
b64c(unsigned char c)
{
	return isalnum(c) || c == '+' || c == '/' || c == '=';
}

static unsigned
nib(unsigned char c)
{
	return isdigit(c) ? (unsigned)(c - '0') :
	    (unsigned)(tolower(c) - 'a' + 10);
}

static int
run_char(enum run_mode m, unsigned char c)
{
	return m == RUN_COLONS ? isxdigit(c) != 0 : b64c(c);
}

static int
run_joiner(enum run_mode m, unsigned char c)
{
	return c == '\n' || c == '\r' || (m != RUN_PLAIN && (c == ' ' ||
	    c == '\t')) || (m == RUN_COLONS && c == ':');
}

/* Runs of base64 or hex text without PEM armour (lines joined, and in the
 * looser modes groups split by blanks or colons), decoded and scanned: a
 * key pasted as bare base64 or hex, say into a transcript value, a
 * certificate comment or a CSR attribute, is seen too. */
static const char *
run_scan(const unsigned char *buf, size_t len, enum run_mode mode)
{
	unsigned char *clean = NULL, *bin = NULL;
	const char *what = NULL;
	size_t i = 0;

	while (i < len && what == NULL) {
		size_t cl = 0, j;
		int hex = 1;

		if (!run_char(mode, buf[i])) {
			i++;
			continue;
		}
		if (clean == NULL && ((clean = malloc(len + 1)) == NULL ||
		    (bin = malloc(len + 1)) == NULL))
			break;
		for (j = i; j < len && (run_char(mode, buf[j]) ||
		    run_joiner(mode, buf[j])); j++)
			if (run_char(mode, buf[j])) {
				clean[cl++] = buf[j];
				hex &= isxdigit(buf[j]) != 0;
			}
		if (cl >= 40) {
			for (size_t a = 0; a < 4 && what == NULL &&
			    mode != RUN_COLONS; a++) {
				size_t n = (cl - a) & ~(size_t)3;
				int m = EVP_DecodeBlock(bin, clean + a, (int)n);
				if (m > 0)
					what = der_scan(bin, (size_t)m);
			}
			for (size_t a = 0; a < 2 && what == NULL && hex &&
			    cl >= 64; a++) {
				for (size_t k = a; k + 1 < cl; k += 2)
					bin[(k - a) / 2] = (unsigned char)(
					    nib(clean[k]) << 4 | nib(clean[k + 1]));
				what = der_scan(bin, (cl - a) / 2);
			}
		}
		i = j;
	}
	if (clean != NULL)
		OPENSSL_clear_free(clean, len + 1);
	if (bin != NULL)
		OPENSSL_clear_free(bin, len + 1);
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
	if ((what = run_scan(buf, len, RUN_PLAIN)) != NULL) {
		snprintf(why, whysz, "%s, as bare base64 or hex text", what);
		return 1;
	}
	if ((what = run_scan(buf, len, RUN_SPACED)) != NULL) {
		snprintf(why, whysz, "%s, as base64 text split by blanks", what);
		return 1;
	}
	if ((what = run_scan(buf, len, RUN_COLONS)) != NULL) {
		snprintf(why, whysz, "%s, as hex bytes split by colons or "
		    "blanks", what);
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

/* Extensions are matched without regard to case (FAT media often hold
 * FACTORY.CSR). */
static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0;
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

/*
 * A name of our own for a new file in the medium directory mfd: base
 * followed by 12 random hex digits; the file is created there (O_EXCL,
 * no link followed) and its descriptor returned. Everything an export
 * does on the medium goes through mfd: the directory that was checked is
 * the one written, even if its name is swapped for a link meanwhile.
 */
static int
create_at(int mfd, const char *base, char *name, size_t namesz, mode_t mode)
{
	unsigned char rnd[6];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		ERR_clear_error();
		errno = EIO;
		return -1;
	}
	if ((size_t)snprintf(name, namesz, "%s%02x%02x%02x%02x%02x%02x", base,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]) >= namesz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return openat(mfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, mode);
}

/* kc_media_probe() on the directory already open as mfd. */
static int
probe_at(int mfd, const char *dir, const struct stat *st, int *removable,
    char *mountpoint, size_t mpsz)
{
	char probe[64], real[PATH_MAX];
	int fd;

	*removable = -1;
	if (mpsz > 0)
		mountpoint[0] = '\0';
	if ((fd = create_at(mfd, ".kc-probe-", probe, sizeof(probe), 0600)) ==
	    -1)
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s%s", dir, strerror(errno), errno == EROFS ?
		    " (mounted read-only, or the write-protect switch is on)" :
		    "");
	if (write(fd, "k", 1) != 1 || fsync(fd) == -1) {
		int e = errno;
		close(fd);
		unlinkat(mfd, probe, 0);
		return kc_err(KC_ERR_IO, "media directory %s is not writable: "
		    "%s", dir, strerror(e));
	}
	close(fd);
	unlinkat(mfd, probe, 0);
	if (realpath(dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", dir);
	mount_point(real, mountpoint, mpsz);
	*removable = removable_flag(st->st_dev);
	return KC_OK;
}

/* Opens the media directory dir (*mfd) and probes it. */
static int
media_open(const char *dir, int *mfd, int *removable, char *mountpoint,
    size_t mpsz)
{
	struct stat st;
	int rc;

	*mfd = -1;
	*removable = -1;
	if (mpsz > 0)
		mountpoint[0] = '\0';
	if ((*mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		int e = errno;
		if (e == ENOENT)
			return kc_err(KC_ERR_NOTFOUND, "media directory %s: %s; "
			    "insert and mount the medium", dir, strerror(e));
		if (e == ENOTDIR)
			return kc_err(KC_ERR_IO, "media directory %s is not a "
			    "directory", dir);
		return kc_err(KC_ERR_IO, "media directory %s: %s", dir,
		    strerror(e));
	}
	if (fstat(*mfd, &st) == -1)
		rc = kc_err(KC_ERR_IO, "media directory %s: %s", dir,
		    strerror(errno));
	else
		rc = probe_at(*mfd, dir, &st, removable, mountpoint, mpsz);
	if (rc != KC_OK) {
		close(*mfd);
		*mfd = -1;
	}
	return rc;
}

int
kc_media_probe(const char *dir, int *removable, char *mountpoint,
    size_t mpsz)
{
	int mfd, rc;

	if ((rc = media_open(dir, &mfd, removable, mountpoint, mpsz)) ==
	    KC_OK)
		close(mfd);
	return rc;
}

/* ---- opening files on the medium and in the state directory ---- */

/* A name export and import handle: one plain component of letters,
 * digits, '-', '_', '.', '+', not hidden, not ours (SHA256SUMS, temp
 * files, the register). */
static int
name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 200 || n[0] == '.' || strcmp(n, SUMS) == 0 ||
	    strstr(n, ".tmp-") != NULL || strncmp(n, KC_REGISTER_FILE,
	    strlen(KC_REGISTER_FILE)) == 0)
		return 0;
	for (const char *p = n; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.' && *p != '+')
			return 0;
	return 1;
}

/*
 * Opens name in the directory dirfd as a hostile input: lstat first, so a
 * link, FIFO, socket or device is refused before open(2) can follow or
 * block on it; then O_NOFOLLOW|O_NONBLOCK and kc_file_check_fd() (regular,
 * owned by the caller or root, at most max bytes). disp names the file in
 * messages. KC_ERR_NOTFOUND when absent.
 */
static int
open_at(int dirfd, const char *name, const char *disp, const char *what,
    size_t max, int *fdp, struct stat *st)
{
	struct stat lst;
	int fd, rc;

	*fdp = -1;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == -1)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "%s: %s", disp, strerror(errno));
	if (S_ISLNK(lst.st_mode))
		return kc_err(KC_ERR_POLICY, "%s: is a symbolic link; refusing "
		    "to follow it", disp);
	if (!S_ISREG(lst.st_mode))
		return kc_err(KC_ERR_INPUT, "%s: is %s, not a regular file; "
		    "refusing it", disp, kc_file_kind(lst.st_mode));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return kc_err(errno == ELOOP ? KC_ERR_POLICY : KC_ERR_IO,
		    "%s: %s", disp, errno == ELOOP ? "is a symbolic link; "
		    "refusing to follow it" : strerror(errno));
	if ((rc = kc_file_check_fd(fd, disp, what, max, st)) != KC_OK) {
		close(fd);
		return rc;
	}
	if (st->st_nlink > 1) {
		close(fd);
		return kc_err(KC_ERR_POLICY, "%s: has %lu hard links (another "
		    "name for the same file); refusing it", disp,
		    (unsigned long)st->st_nlink);
	}
	*fdp = fd;
	return KC_OK;
}

/* Reads the whole of fd (size from st, checked against max by open_at)
 * into a NUL-terminated buffer; the file may not grow meanwhile. */
static int
read_fd(int fd, const char *disp, const struct stat *st, unsigned char **data,
    size_t *len)
{
	size_t cap = (size_t)st->st_size, have = 0;
	unsigned char *buf;
	ssize_t n;

	*data = NULL;
	*len = 0;
	if ((buf = malloc(cap + 2)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory reading %s", disp);
	for (;;) {
		n = read(fd, buf + have, cap + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_IO, "%s: %s", disp, strerror(e));
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			OPENSSL_clear_free(buf, cap + 2);
			return kc_err(KC_ERR_INPUT, "%s: file changed while it "
			    "was read", disp);
		}
	}
	buf[have] = '\0';
	*data = buf;
	*len = have;
	return KC_OK;
}

/* ---- export ---- */

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

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].data);
	free(b->items);
	for (size_t i = 0; i < b->n_ignored; i++)
		free(b->ignored[i]);
	free(b->ignored);
	free(b->codes);
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
batch_add(struct batch *b, const char *name, unsigned char *data, size_t len,
    enum kc_artefact type)
{
	struct item *n;

	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->items[i].name, name) == 0) {
			OPENSSL_clear_free(data, len);
			return kc_err(KC_ERR_EXISTS, "two files named %s to "
			    "export", name);
		}
	if ((n = realloc(b->items, (b->n + 1) * sizeof(*n))) == NULL) {
		OPENSSL_clear_free(data, len);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	b->items = n;
	memset(&n[b->n], 0, sizeof(n[b->n]));
	snprintf(n[b->n].name, sizeof(n[b->n].name), "%s", name);
	n[b->n].data = data;
	n[b->n].len = len;
	n[b->n].type = type;
	kc_sha256_hex(data, len, n[b->n].sha256);
	b->n++;
	return KC_OK;
}

static int
only_space(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* The kinds a name may hold, by its extension. */
enum { K_CERT = 1, K_CRL = 2, K_CSR = 4 };

static int
kinds_of_name(const char *name, int *pem_only)
{
	*pem_only = 0;
	if (ends_with(name, ".pem")) {
		*pem_only = 1;
		return K_CERT | K_CRL | K_CSR;
	}
	if (ends_with(name, ".crt") || ends_with(name, ".cer"))
		return K_CERT;
	if (ends_with(name, ".der"))
		return K_CERT | K_CRL | K_CSR;
	if (ends_with(name, ".crl"))
		return K_CRL;
	if (ends_with(name, ".csr") || ends_with(name, ".req"))
		return K_CSR;
	return 0;
}

/*
 * One certificate, CRL or CSR, exactly: PEM with one block and nothing but
 * white space around it (no headers), or DER with no trailing byte; the
 * DER must be what OpenSSL re-encodes from the parsed object. *out is the
 * object re-encoded (canonical PEM, or DER when the input was DER).
 */
static int
reencode(const char *disp, const unsigned char *buf, size_t len, int kinds,
    int pem_only, enum kc_artefact *type, unsigned char **out, size_t *outlen)
{
	char *pname = NULL, *header = NULL;
	unsigned char *der = NULL, *re = NULL;
	const unsigned char *p, *start = buf;
	long derlen = 0;
	size_t skip = 0;
	int pem = 0, kind = 0, relen = -1, rc;
	void *obj = NULL;
	BIO *b = NULL, *w = NULL;
	BUF_MEM *bm;

	*out = NULL;
	while (skip < len && only_space(buf + skip, 1))
		skip++;
	if (len - skip >= 11 && memcmp(buf + skip, "-----BEGIN ", 11) == 0) {
		pem = 1;
		if ((b = BIO_new_mem_buf(buf + skip, (int)(len - skip))) ==
		    NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "BIO");
			goto out;
		}
		if (PEM_read_bio(b, &pname, &header, &der, &derlen) != 1) {
			rc = kc_err(KC_ERR_INPUT, "%s: not a valid PEM block; "
			    "refusing it", disp);
			goto out;
		}
		if (header[0] != '\0') {
			rc = kc_err(KC_ERR_INPUT, "%s: the PEM block has header "
			    "lines; refusing it", disp);
			goto out;
		}
		{
			char *rest;
			long rl = BIO_get_mem_data(b, &rest);
			if (rl > 0 && !only_space((unsigned char *)rest,
			    (size_t)rl)) {
				rc = kc_err(KC_ERR_INPUT, "%s: holds something "
				    "after the first PEM block (one object per "
				    "file); refusing it", disp);
				goto out;
			}
		}
		if (strcmp(pname, "CERTIFICATE") == 0)
			kind = K_CERT;
		else if (strcmp(pname, "X509 CRL") == 0)
			kind = K_CRL;
		else if (strcmp(pname, "CERTIFICATE REQUEST") == 0 ||
		    strcmp(pname, "NEW CERTIFICATE REQUEST") == 0)
			kind = K_CSR;
		if ((kind & kinds) == 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: a PEM '%s' block is not "
			    "what this file may hold; refusing it", disp,
			    pname);
			goto out;
		}
		start = der;
		len = (size_t)derlen;
	} else if (pem_only) {
		rc = kc_err(KC_ERR_INPUT, "%s: is not one PEM certificate, CRL "
		    "or CSR (it must start with '-----BEGIN '); refusing it",
		    disp);
		goto out;
	}
	/* The DER: each allowed type in turn, whole input consumed. */
	for (int k = K_CERT; k <= K_CSR && obj == NULL; k <<= 1) {
		if (!(kinds & k) || (kind != 0 && kind != k))
			continue;
		p = start;
		if (k == K_CERT)
			obj = d2i_X509(NULL, &p, (long)len);
		else if (k == K_CRL)
			obj = d2i_X509_CRL(NULL, &p, (long)len);
		else
			obj = d2i_X509_REQ(NULL, &p, (long)len);
		if (obj != NULL && p != start + len) {
			rc = kc_err(KC_ERR_INPUT, "%s: %zu bytes of trailing data "
			    "after the %s; refusing it", disp,
			    (size_t)(start + len - p), k == K_CERT ?
			    "certificate" : k == K_CRL ? "CRL" : "CSR");
			if (k == K_CERT)
				X509_free(obj);
			else if (k == K_CRL)
				X509_CRL_free(obj);
			else
				X509_REQ_free(obj);
			obj = NULL;
			goto out;
		}
		if (obj != NULL)
			kind = k;
	}
	if (obj == NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: is not a certificate, CRL or CSR "
		    "that parses; refusing it", disp);
		goto out;
	}
	if (kind == K_CERT)
		relen = i2d_X509(obj, &re);
	else if (kind == K_CRL)
		relen = i2d_X509_CRL(obj, &re);
	else
		relen = i2d_X509_REQ(obj, &re);
	if (relen <= 0 || (size_t)relen != len || memcmp(re, start, len) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: its DER is not canonical (it "
		    "does not re-encode to the same bytes); refusing it", disp);
		goto out;
	}
	{
		/* a key hidden inside the object's own DER (an extension, a
		 * name) is seen too */
		char why[160];
		if (kc_media_has_private(start, len, why, sizeof(why))) {
			rc = kc_err(KC_ERR_POLICY, "%s holds %s inside the %s: "
			    "refusing to export anything", disp, why,
			    kind == K_CERT ? "certificate" : kind == K_CRL ?
			    "CRL" : "CSR");
			goto out;
		}
	}
	if (!pem) {
		*out = re;
		*outlen = (size_t)relen;
		re = NULL;
	} else {
		int ok;
		if ((w = BIO_new(BIO_s_mem())) == NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "BIO");
			goto out;
		}
		ok = kind == K_CERT ? PEM_write_bio_X509(w, obj) :
		    kind == K_CRL ? PEM_write_bio_X509_CRL(w, obj) :
		    PEM_write_bio_X509_REQ(w, obj);
		BIO_get_mem_ptr(w, &bm);
		if (ok != 1 || bm == NULL || (*out = malloc(bm->length + 1)) ==
		    NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "PEM encoding of %s",
			    disp);
			goto out;
		}
		memcpy(*out, bm->data, bm->length);
		(*out)[bm->length] = '\0';
		*outlen = bm->length;
	}
	*type = kind == K_CERT ? KC_ART_CERT : kind == K_CRL ? KC_ART_CRL :
	    KC_ART_CSR;
	rc = KC_OK;
out:
	if (obj != NULL) {
		if (kind == K_CERT)
			X509_free(obj);
		else if (kind == K_CRL)
			X509_CRL_free(obj);
		else
			X509_REQ_free(obj);
	}
	OPENSSL_free(pname);
	OPENSSL_free(header);
	OPENSSL_free(der);
	OPENSSL_free(re);
	BIO_free(b);
	BIO_free(w);
	ERR_clear_error();
	return rc;
}

/* A verification code: 1 to 64 letters and digits, an optional line end.
 * *code gets the code without it. */
static int
code_text(const char *disp, const unsigned char *buf, size_t len,
    char code[65])
{
	size_t n = len;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		n--;
	if (n == 0 || n > 64)
		return kc_err(KC_ERR_INPUT, "%s: is not a verification code (1 "
		    "to 64 letters and digits on one line); refusing it", disp);
	for (size_t i = 0; i < n; i++)
		if (!isalnum(buf[i]))
			return kc_err(KC_ERR_INPUT, "%s: is not a verification "
			    "code (1 to 64 letters and digits on one line); "
			    "refusing it", disp);
	memcpy(code, buf, n);
	code[n] = '\0';
	return KC_OK;
}

#define EXPORT_KINDS "a certificate (.pem, .crt, .cer, .der), a CRL (.crl), " \
	"a CSR (.csr, .req), a verification code (.code) or a transcript " \
	"(transcripts/*.log)"

/* How big a file of each kind may be. */
#define CODE_MAX 256
#define X509_MAX KC_FILE_MAX
#define TRANSCRIPT_MAX MEDIA_FILE_MAX

/*
 * Validates one file of the state directory (dirfd/name, disp in messages)
 * and adds its re-encoded form to the batch; anything that is not one of
 * the kinds export knows, or does not validate, is refused by name.
 */
static int
export_one(struct batch *b, int dirfd, const char *disp, const char *name,
    int in_transcripts)
{
	unsigned char *data = NULL, *out = NULL;
	size_t len = 0, outlen = 0, max;
	enum kc_artefact type = KC_ART_UNKNOWN;
	char why[160], code[65], hex[65];
	struct stat st;
	int kinds = 0, pem_only = 0, fd = -1, rc;

	if (!name_ok(name))
		return kc_err(KC_ERR_POLICY, "%s: not a plain file name export "
		    "handles (letters, digits, '-', '_', '.', '+'); refusing "
		    "to export anything: remove it from the state directory",
		    disp);
	if (in_transcripts) {
		if (!ends_with(name, ".log"))
			return kc_err(KC_ERR_POLICY, "%s: not a transcript "
			    "(*.log); refusing to export anything: remove it "
			    "from the state directory", disp);
		type = KC_ART_TRANSCRIPT;
		max = TRANSCRIPT_MAX;
	} else if (ends_with(name, ".code")) {
		type = KC_ART_CODE;
		max = CODE_MAX;
	} else if ((kinds = kinds_of_name(name, &pem_only)) != 0) {
		max = X509_MAX;
	} else {
		max = MEDIA_FILE_MAX;	/* read only for the key screen */
	}
	if ((rc = open_at(dirfd, name, disp, NULL, max, &fd, &st)) != KC_OK)
		goto out;
	if ((rc = read_fd(fd, disp, &st, &data, &len)) != KC_OK)
		goto out;
	if (kc_media_has_private(data, len, why, sizeof(why))) {
		rc = kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "anything; private keys never leave the room (remove the "
		    "file from the state directory)", disp, why);
		goto out;
	}
	if (type == KC_ART_UNKNOWN && kinds == 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: not a file export knows (only "
		    EXPORT_KINDS " leave the room); refusing to export "
		    "anything: remove it from the state directory", disp);
		goto out;
	}
	switch (type) {
	case KC_ART_TRANSCRIPT:
		/* a killed ceremony's transcript is the valid prefix it is */
		if ((rc = kc_transcript_scan_mem(disp, data, len,
		    KC_TRANSCRIPT_UNFINISHED, NULL, NULL, NULL)) != KC_OK) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", kc_errmsg());
			rc = kc_err(KC_ERR_POLICY, "%s: does not verify as a "
			    "transcript (%s); refusing to export it", disp, msg);
			goto out;
		}
		/* what was verified is what was read: the bytes in hand */
		out = data;
		outlen = len;
		data = NULL;
		break;
	case KC_ART_CODE: {
		int known = 0;
		if ((rc = code_text(disp, data, len, code)) != KC_OK)
			goto out;
		kc_sha256_hex(code, strlen(code), hex);
		for (size_t i = 0; i < b->n_codes; i++)
			known |= strcmp(b->codes[i], hex) == 0;
		OPENSSL_cleanse(code, sizeof(code));
		if (!known) {
			rc = kc_err(KC_ERR_POLICY, "%s: no verification "
			    "certificate in the register was signed for this "
			    "code; only recorded verification codes are "
			    "exported (remove the file from the state "
			    "directory)", disp);
			goto out;
		}
		outlen = strlen((char *)data);
		if ((out = malloc(outlen + 2)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		(void)code_text(disp, data, len, (char *)out);
		outlen = strlen((char *)out);
		out[outlen++] = '\n';
		out[outlen] = '\0';
		break;
	}
	default:
		if ((rc = reencode(disp, data, len, kinds, pem_only, &type,
		    &out, &outlen)) != KC_OK)
			goto out;
		if (type == KC_ART_CSR) {
			struct kc_csr *csr = NULL;
			if ((rc = kc_csr_parse(data, len, disp,
			    KC_CSR_NO_SUBJECT_CHECK, &csr)) != KC_OK)
				goto out;
			kc_csr_free(csr);
		}
		break;
	}
	/* the second line: the bytes that leave, scanned again */
	if (kc_media_has_private(out, outlen, why, sizeof(why))) {
		rc = kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "anything; private keys never leave the room", disp, why);
		goto out;
	}
	rc = batch_add(b, name, out, outlen, type);
	out = NULL;
out:
	if (fd != -1)
		close(fd);
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	if (out != NULL)
		OPENSSL_clear_free(out, outlen);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted; "." and ".." left out. */
static int
list_dir(DIR *dp, const char *dir, char ***names, size_t *n)
{
	struct dirent *d;
	char **v = NULL;
	size_t k = 0;

	*names = NULL;
	*n = 0;
	errno = 0;
	while ((d = readdir(dp)) != NULL) {
		char **nv;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (k >= 100000 || (nv = realloc(v, (k + 1) * sizeof(*nv))) ==
		    NULL || (nv[k] = strdup(d->d_name)) == NULL) {
			if (k < 100000 && nv != NULL)
				v = nv;
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return kc_err(k >= 100000 ? KC_ERR_INPUT : KC_ERR_NOMEM,
			    "%s: %s", dir, k >= 100000 ? "more than 100000 "
			    "entries" : "out of memory");
		}
		v = nv;
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return KC_OK;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every file of a state directory (or of its transcripts/) is exported or
 * refused; the register and transcripts/ are handled by the caller. */
static int
add_dir(struct batch *b, const char *dir, int transcripts)
{
	char disp[PATH_MAX], **names = NULL;
	size_t n = 0;
	struct stat st;
	DIR *dp;
	int rc, fd;

	/* transcripts/ was seen to be a directory, not a link, by the scan
	 * of the state directory; the state directory itself is the
	 * officer's choice */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (transcripts ? O_NOFOLLOW : 0))) == -1 ||
	    (dp = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd != -1)
			close(fd);
		if (e == ENOENT && transcripts)
			return KC_OK;
		return kc_err(KC_ERR_IO, "state directory %s: %s", dir,
		    e == ELOOP ? "is a symbolic link" : strerror(e));
	}
	if ((rc = list_dir(dp, dir, &names, &n)) != KC_OK)
		goto out;
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		snprintf(disp, sizeof(disp), "%s/%s", dir, names[i]);
		if (!transcripts && strncmp(names[i], KC_REGISTER_FILE,
		    strlen(KC_REGISTER_FILE)) == 0)
			continue;	/* the register: dumped as text */
		if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", disp, strerror(errno));
			break;
		}
		if (!transcripts && S_ISDIR(st.st_mode) &&
		    strcmp(names[i], "transcripts") == 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			rc = kc_err(KC_ERR_POLICY, "%s: is %s; export takes only "
			    "regular files (" EXPORT_KINDS "); refusing to "
			    "export anything: remove it from the state "
			    "directory", disp, kc_file_kind(st.st_mode));
			break;
		}
		rc = export_one(b, fd, disp, names[i], transcripts);
	}
out:
	closedir(dp);
	free_names(names, n);
	return rc;
}

/* ---- the medium before an export ---- */

struct sums {
	char	(*name)[256];
	char	(*sha)[65];
	size_t	  n;
};

static void
sums_free(struct sums *s)
{
	free(s->name);
	free(s->sha);
	memset(s, 0, sizeof(*s));
}

static int
sums_add(struct sums *s, const char *name, const char *sha)
{
	char (*nn)[256], (*ns)[65];

	if ((nn = realloc(s->name, (s->n + 1) * sizeof(*nn))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	s->name = nn;
	if ((ns = realloc(s->sha, (s->n + 1) * sizeof(*ns))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	s->sha = ns;
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
	snprintf(s->sha[s->n], sizeof(s->sha[0]), "%s", sha);
	s->n++;
	return KC_OK;
}

/* What the files an existing SHA256SUMS lists may hold in all: each is
 * read and hashed, and sparse files cost nothing to plant. */
#define SUMS_LISTED_MAX (256 << 20)

/*
 * The SHA256SUMS already on the medium, parsed strictly: every line is
 * "<64 lower-case hex>  <name>\n" with a name export could have written,
 * no name twice, and the file it names is on the medium, a regular file
 * with that SHA-256. Anything else is an error naming the line. Nothing
 * of the old file is copied: the new one is generated from these entries.
 */
static int
sums_parse(int mfd, const char *media, struct sums *s)
{
	char disp[PATH_MAX], ldisp[PATH_MAX + 32], fdisp[PATH_MAX], hex[65];
	unsigned char *buf = NULL;
	size_t len = 0, off = 0;
	struct stat st;
	off_t listed = 0;
	int fd = -1, rc, line = 0;

	snprintf(disp, sizeof(disp), "%s/%s", media, SUMS);
	rc = open_at(mfd, SUMS, disp, NULL, KC_FILE_MAX, &fd, &st);
	if (rc == KC_ERR_NOTFOUND) {
		kc_err_clear();
		return KC_OK;
	}
	if (rc != KC_OK || (rc = read_fd(fd, disp, &st, &buf, &len)) != KC_OK)
		goto out;
	while (off < len && rc == KC_OK) {
		const char *l = (const char *)buf + off;
		const char *nl = memchr(l, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - l) : len - off, nlen;
		char name[256];
		int fok = 1;

		line++;
		snprintf(ldisp, sizeof(ldisp), "%s:%d", disp, line);
		for (size_t i = 0; i < 64 && i < ll; i++)
			fok &= (l[i] >= '0' && l[i] <= '9') ||
			    (l[i] >= 'a' && l[i] <= 'f');
		nlen = ll > 66 ? ll - 66 : 0;
		if (nl == NULL || ll < 67 || !fok || l[64] != ' ' ||
		    l[65] != ' ' || nlen >= sizeof(name) ||
		    memchr(l, '\0', ll) != NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s: not a line '<64 "
			    "lower-case hex>  <name>' (an existing %s must hold "
			    "only such lines); refusing to export: use an "
			    "empty medium", ldisp, SUMS);
			break;
		}
		memcpy(name, l + 66, nlen);
		name[nlen] = '\0';
		if (!name_ok(name)) {
			rc = kc_err(KC_ERR_INPUT, "%s: names a file export "
			    "would never write; refusing to export: use an "
			    "empty medium", ldisp);
			break;
		}
		/* without regard to case: on FAT both lines name one file */
		for (size_t i = 0; i < s->n && rc == KC_OK; i++)
			if (strcasecmp(s->name[i], name) == 0)
				rc = kc_err(KC_ERR_INPUT, "%s: %s is listed "
				    "twice%s; refusing to export: use an empty "
				    "medium", ldisp, name, strcmp(s->name[i],
				    name) ? " (the names differ only in case)" :
				    "");
		if (rc != KC_OK)
			break;
		snprintf(fdisp, sizeof(fdisp), "%s/%s", media, name);
		{
			int ffd;
			struct stat fst;
			if ((rc = open_at(mfd, name, fdisp, NULL, MEDIA_FILE_MAX,
			    &ffd, &fst)) != KC_OK) {
				char msg[512];
				snprintf(msg, sizeof(msg), "%s", kc_errmsg());
				rc = kc_err(rc, "%s: the file it lists cannot be "
				    "checked (%s); refusing to export: use an "
				    "empty medium", ldisp, msg);
				break;
			}
			if ((listed += fst.st_size) > SUMS_LISTED_MAX) {
				close(ffd);
				rc = kc_err(KC_ERR_INPUT, "%s: the files it lists "
				    "hold more than %d MiB; refusing to export: "
				    "use an empty medium", ldisp,
				    SUMS_LISTED_MAX >> 20);
				break;
			}
			rc = kc_sha256_fd(ffd, fdisp, fst.st_size, hex);
			close(ffd);
			if (rc != KC_OK)
				break;
		}
		if (memcmp(hex, l, 64) != 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: %s on the medium does not "
			    "have the SHA-256 listed; refusing to export: use "
			    "an empty medium", ldisp, name);
			break;
		}
		rc = sums_add(s, name, hex);
		off += ll + 1;
	}
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return rc;
}

/* A name export gives its temporary files on the medium (NAME.tmp- and
 * 12 hex digits, .kc-probe-XXXXXX...): one found there was left by an
 * export that was killed or lost power. */
static int
our_temp(const char *n)
{
	const char *t = strstr(n, ".tmp-");

	if (strncmp(n, ".kc-probe-", 10) == 0)
		return 1;
	for (; t != NULL; t = strstr(t + 1, ".tmp-")) {
		size_t k = 0;
		while (isxdigit((unsigned char)t[5 + k]))
			k++;
		if (k == 12 && t[5 + k] == '\0')
			return 1;
	}
	return 0;
}

/*
 * FAT and exFAT, the usual formats of USB sticks, take names that differ
 * only in case for one file: root.pem and ROOT.PEM would overwrite each
 * other, and a SHA256SUMS listing both would lie. Refuses the export when
 * two files to write, or a file to write and a different name on the
 * medium (SHA256SUMS included), differ only in case.
 */
static int
case_clash(int mfd, const char *media, const struct batch *b)
{
	char **names = NULL;
	size_t n = 0;
	DIR *dp;
	int dfd, rc = KC_OK;

	for (size_t i = 0; i < b->n; i++)
		for (size_t j = i + 1; j < b->n; j++)
			if (strcasecmp(b->items[i].name, b->items[j].name) == 0)
				return kc_err(KC_ERR_POLICY, "%s and %s differ "
				    "only in case: a FAT medium takes them for "
				    "one file; refusing to export (rename one in "
				    "the state directory)", b->items[i].name,
				    b->items[j].name);
	if ((dfd = dup(mfd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return kc_err(KC_ERR_IO, "%s: %s", media, strerror(errno));
	}
	rewinddir(dp);
	rc = list_dir(dp, media, &names, &n);
	closedir(dp);
	for (size_t k = 0; k < n && rc == KC_OK; k++) {
		const char *clash = NULL;
		if (strcasecmp(names[k], SUMS) == 0 && strcmp(names[k], SUMS))
			clash = SUMS;
		for (size_t i = 0; i < b->n && clash == NULL; i++)
			if (strcasecmp(names[k], b->items[i].name) == 0 &&
			    strcmp(names[k], b->items[i].name) != 0)
				clash = b->items[i].name;
		if (clash != NULL)
			rc = kc_err(KC_ERR_POLICY, "%s/%s: differs only in case "
			    "from %s, which this export writes (a FAT medium "
			    "takes them for one file); refusing to export: use "
			    "an empty medium", media, names[k], clash);
	}
	free_names(names, n);
	return rc;
}

/* How deep and how many entries the medium walk looks at. */
#define MEDIA_DEPTH_MAX 16
#define MEDIA_ENTRIES_MAX 100000

/*
 * Everything on the medium, in every directory, is a regular file or a
 * directory; anything else (a link, FIFO, socket, device) is refused by
 * name before anything is read or written. strict (export, onto a medium
 * of the room): a regular file must also belong to the caller or root and
 * have one link. verb names the operation in messages.
 */
static int
media_walk(int dirfd, const char *dir, int depth, int strict,
    const char *verb, size_t *count)
{
	char disp[PATH_MAX], **names = NULL;
	size_t n = 0;
	struct stat st;
	DIR *dp;
	int dfd, rc;

	if (depth > MEDIA_DEPTH_MAX)
		return kc_err(KC_ERR_POLICY, "%s: directories nested more than "
		    "%d deep on the medium: refusing to %s", dir,
		    MEDIA_DEPTH_MAX, verb);
	if ((dfd = dup(dirfd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
	}
	rewinddir(dp);
	if ((rc = list_dir(dp, dir, &names, &n)) != KC_OK)
		goto out;
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		snprintf(disp, sizeof(disp), "%s/%s", dir, names[i]);
		if (++*count > MEDIA_ENTRIES_MAX) {
			rc = kc_err(KC_ERR_POLICY, "%s: more than %d entries on "
			    "the medium: refusing to %s", dir,
			    MEDIA_ENTRIES_MAX, verb);
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", disp, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1) {
				rc = kc_err(KC_ERR_IO, "%s: %s", disp,
				    strerror(errno));
				break;
			}
			rc = media_walk(sub, disp, depth + 1, strict, verb, count);
			close(sub);
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = kc_err(KC_ERR_POLICY, "%s: is %s; the medium must "
			    "hold only regular files and directories: refusing "
			    "to %s (remove it, or use an empty medium)", disp,
			    kc_file_kind(st.st_mode), verb);
			break;
		}
		if (!strict)
			continue;
		if (depth == 0 && our_temp(names[i]))
			rc = kc_err(KC_ERR_POLICY, "%s: a temporary file left by "
			    "an export that did not finish (killed, or the "
			    "medium pulled): refusing to %s (check the medium "
			    "and remove it, or use an empty medium)", disp, verb);
		else if (st.st_uid != geteuid() && st.st_uid != 0)
			rc = kc_err(KC_ERR_POLICY, "%s: is owned by uid %lu, not "
			    "by you or root: refusing to %s (use an empty "
			    "medium)", disp, (unsigned long)st.st_uid, verb);
		else if (st.st_nlink > 1)
			rc = kc_err(KC_ERR_POLICY, "%s: has %lu hard links "
			    "(another name for the same file): refusing to %s "
			    "(use an empty medium)", disp,
			    (unsigned long)st.st_nlink, verb);
	}
out:
	closedir(dp);
	free_names(names, n);
	return rc;
}

static int
media_scan(int mfd, const char *media, int strict, const char *verb)
{
	size_t count = 0;

	return media_walk(mfd, media, 0, strict, verb, &count);
}

/*
 * A new file name in the medium directory mfd (media names it in
 * messages): temporary file, fsync, then renamed into place without
 * replacing anything (RENAME_NOREPLACE; on a file system without it, such
 * as older vfat drivers, a plain rename after checking the name is free:
 * the medium is in the hands of one officer). Hard links, which
 * kc_file_write() uses for KC_WRITE_EXCL, do not exist on FAT, the usual
 * format of USB sticks. replace: SHA256SUMS, which is renamed over the
 * old one. Every step is relative to mfd, never a path. The directory is
 * synced by the caller.
 */
static int
media_write(int mfd, const char *media, const char *name,
    const unsigned char *data, size_t len, int replace)
{
	char path[PATH_MAX], base[300], tmp[320];
	struct stat st;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", media, name);
	if ((size_t)snprintf(base, sizeof(base), "%s.tmp-", name) >=
	    sizeof(base))
		return kc_err(KC_ERR_USAGE, "%s: name too long", path);
	if ((fd = create_at(mfd, base, tmp, sizeof(tmp), 0644)) == -1)
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(errno));
	if (kc_write_all(fd, data, len) == -1) {
		e = errno == 0 ? ENOSPC : errno;
		goto fail;
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
	if (replace) {
		if (renameat(mfd, tmp, mfd, name) == 0)
			return KC_OK;
		e = errno;
		unlinkat(mfd, tmp, 0);
		return kc_err(KC_ERR_IO, "cannot create %s: %s", path,
		    strerror(e));
	}
	if (renameat2(mfd, tmp, mfd, name, RENAME_NOREPLACE) == 0)
		return KC_OK;
	e = errno;
	if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) {
		if (fstatat(mfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			e = EEXIST;
		} else if (renameat(mfd, tmp, mfd, name) == 0) {
			return KC_OK;
		} else {
			e = errno;
		}
	}
	unlinkat(mfd, tmp, 0);
	if (e == EEXIST)
		return kc_err(KC_ERR_EXISTS, "%s already exists; refusing to "
		    "overwrite it", path);
	return kc_err(KC_ERR_IO, "cannot create %s: %s", path, strerror(e));
fail:
	if (fd != -1)
		close(fd);
	unlinkat(mfd, tmp, 0);
	return kc_err(KC_ERR_IO, "cannot write %s: %s", path, strerror(e));
}

/* fsync of the medium directory itself. */
static int
media_sync(int mfd, const char *media)
{
	if (fsync(mfd) == -1 && errno != EINVAL)
		return kc_err(KC_ERR_IO, "fsync %s: %s", media, strerror(errno));
	return KC_OK;
}

static int
fail_injected(size_t written)
{
	const char *s = getenv("KC_TEST_MEDIA_FAIL_AFTER");

	return s != NULL && s[0] != '\0' && written >= strtoul(s, NULL, 10);
}

/* Reads name back from the medium (page cache dropped first, no link
 * followed) and compares its SHA-256. */
static int
read_back(int mfd, const char *media, const char *name, const char *sha256)
{
	char disp[PATH_MAX], hex[65];
	struct stat st;
	int fd, rc;

	snprintf(disp, sizeof(disp), "%s/%s", media, name);
	if ((rc = open_at(mfd, name, disp, NULL, MEDIA_FILE_MAX, &fd, &st)) !=
	    KC_OK)
		return rc;
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	rc = kc_sha256_fd(fd, disp, st.st_size, hex);
	close(fd);
	if (rc != KC_OK)
		return rc;
	if (strcmp(hex, sha256) != 0)
		return kc_err(KC_ERR_IO, "%s reads back with SHA-256 %s, not "
		    "%s: the medium is faulty; use another", disp, kc_hash(hex),
		    kc_hash(sha256));
	return KC_OK;
}

/* SHA256SUMS text: the validated old entries not in the batch, then the
 * batch. NULL b: the old entries only (for a rollback). */
static char *
sums_text(const struct sums *old, const struct batch *b, size_t *len)
{
	size_t cap = (old->n + (b ? b->n : 0)) * 330 + 1, used = 0;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < old->n; i++) {
		int again = 0;
		for (size_t j = 0; b != NULL && j < b->n; j++)
			again |= strcmp(b->items[j].name, old->name[i]) == 0;
		if (!again)
			used += (size_t)snprintf(out + used, cap - used,
			    "%s  %s\n", old->sha[i], old->name[i]);
	}
	for (size_t j = 0; b != NULL && j < b->n; j++)
		used += (size_t)snprintf(out + used, cap - used, "%s  %s\n",
		    b->items[j].sha256, b->items[j].name);
	*len = used;
	return out;
}

static int
do_export(const char *media, struct batch *b, struct kc_export_result *res)
{
	char path[PATH_MAX], sums_sha[65], msg[1024], sumspath[PATH_MAX];
	struct sums old;
	char *text = NULL;
	size_t written = 0, tlen = 0;
	int removable, rc, mfd = -1, had_sums = 0;

	memset(&old, 0, sizeof(old));
	if ((rc = media_open(media, &mfd, &removable, path, sizeof(path))) !=
	    KC_OK)
		return rc;
	if ((rc = media_scan(mfd, media, 1, "export")) != KC_OK ||
	    (rc = sums_parse(mfd, media, &old)) != KC_OK)
		goto out;
	snprintf(sumspath, sizeof(sumspath), "%s/%s", media, SUMS);
	{
		struct stat sst;
		had_sums = fstatat(mfd, SUMS, &sst, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if ((rc = case_clash(mfd, media, b)) != KC_OK)
		goto out;
	/* Every target checked before anything is written. */
	for (size_t i = 0; i < b->n; i++) {
		struct stat st;
		char hex[65];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		rc = open_at(mfd, b->items[i].name, path, NULL, MEDIA_FILE_MAX,
		    &fd, &st);
		if (rc == KC_ERR_NOTFOUND) {
			kc_err_clear();
			rc = KC_OK;
			continue;
		}
		if (rc != KC_OK) {
			snprintf(msg, sizeof(msg), "%s", kc_errmsg());
			rc = kc_err(rc, "%s; refusing to export: use an empty "
			    "medium", msg);
			goto out;
		}
		rc = kc_sha256_fd(fd, path, st.st_size, hex);
		close(fd);
		if (rc != KC_OK)
			goto out;
		if (strcmp(hex, b->items[i].sha256) != 0) {
			rc = kc_err(KC_ERR_EXISTS, "%s already exists on the "
			    "media with other content: refusing to overwrite "
			    "it; use an empty medium", path);
			goto out;
		}
		b->items[i].skip = 1;
	}

	for (size_t i = 0; i < b->n; i++) {
		if (b->items[i].skip)
			continue;
		snprintf(path, sizeof(path), "%s/%s", media, b->items[i].name);
		if (fail_injected(written)) {
			rc = kc_err(KC_ERR_IO, "cannot write %s: %s", path,
			    strerror(ENOSPC));
			goto rollback;
		}
		if ((rc = media_write(mfd, media, b->items[i].name,
		    b->items[i].data, b->items[i].len, 0)) != KC_OK)
			goto rollback;
		b->items[i].written = 1;
		written++;
	}
	if (fail_injected(written)) {
		rc = kc_err(KC_ERR_IO, "cannot write %s: %s", sumspath,
		    strerror(ENOSPC));
		goto rollback;
	}
	if ((text = sums_text(&old, b, &tlen)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto rollback;
	}
	kc_sha256_hex(text, tlen, sums_sha);
	if ((rc = media_write(mfd, media, SUMS, (unsigned char *)text, tlen,
	    1)) != KC_OK || (rc = media_sync(mfd, media)) != KC_OK)
		goto rollback;
	for (size_t i = 0; i < b->n; i++)
		if ((rc = read_back(mfd, media, b->items[i].name,
		    b->items[i].sha256)) != KC_OK)
			goto rollback;
	if ((rc = read_back(mfd, media, SUMS, sums_sha)) != KC_OK)
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
	rc = KC_OK;
	goto out;

rollback:
	/* Leave the media as it was: remove what this export created and
	 * put back a SHA256SUMS generated from the old, validated entries. */
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	for (size_t i = 0; i < b->n; i++) {
		if (!b->items[i].written)
			continue;
		if (unlinkat(mfd, b->items[i].name, 0) == -1 && errno != ENOENT)
			continue;
	}
	free(text);
	text = NULL;
	if (had_sums && (text = sums_text(&old, NULL, &tlen)) != NULL)
		(void)media_write(mfd, media, SUMS, (unsigned char *)text,
		    tlen, 1);
	else if (!had_sums)
		(void)unlinkat(mfd, SUMS, 0);
	(void)media_sync(mfd, media);
	kc_err(rc, "%s; the export was rolled back: the media holds what it "
	    "held before", msg);
out:
	free(text);
	sums_free(&old);
	if (mfd != -1)
		close(mfd);
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
 * register is not exported twice; the verification codes it recorded are
 * kept for the .code check. */
static int
add_register_dump(struct batch *b, const char *state_dir)
{
	struct kc_register *reg = NULL;
	struct kc_reg_entry *list = NULL;
	char path[PATH_MAX], name[64], sha[65], *text = NULL;
	size_t n = 0, cap, used = 0;
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", state_dir, KC_REGISTER_FILE);
	if (lstat(path, &st) != 0)
		return KC_OK;
	if (!S_ISREG(st.st_mode))
		return kc_err(KC_ERR_POLICY, "%s: is %s, not the register; "
		    "refusing to export", path, kc_file_kind(st.st_mode));
	if ((rc = kc_register_open(state_dir, 0, &reg)) != KC_OK ||
	    (rc = kc_register_list(reg, &list, &n)) != KC_OK)
		goto out;
	if (n > 0 && (b->codes = calloc(n, sizeof(*b->codes))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
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

		if (e->kind == KC_REG_VERIFICATION && e->inputs_sha256[0])
			snprintf(b->codes[b->n_codes++], sizeof(b->codes[0]),
			    "%s", e->inputs_sha256);
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
	{
		char why[160];
		if (kc_media_has_private((unsigned char *)text, used, why,
		    sizeof(why))) {
			rc = kc_err(KC_ERR_POLICY, "the register dump of %s holds "
			    "%s: refusing to export anything", path, why);
			goto out;
		}
	}
	kc_sha256_hex(text, used, sha);
	snprintf(name, sizeof(name), "register-%.12s.txt", sha);
	rc = batch_add(b, name, (unsigned char *)text, used, KC_ART_REGISTER);
	text = NULL;
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
	/* the register first: the .code check needs its codes */
	if ((rc = add_register_dump(&b, state_dir)) != KC_OK ||
	    (rc = add_dir(&b, state_dir, 0)) != KC_OK)
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
	{
		struct stat a, m;
		if (stat(state_dir, &a) == 0 && stat(media_dir, &m) == 0 &&
		    a.st_dev == m.st_dev && a.st_ino == m.st_ino) {
			rc = kc_err(KC_ERR_USAGE, "%s is the state directory "
			    "itself; export to the medium", media_dir);
			goto out;
		}
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
		char dir[PATH_MAX];
		const char *base = strrchr(paths[i], '/');
		int dfd;

		if (base == NULL) {
			snprintf(dir, sizeof(dir), ".");
			base = paths[i];
		} else {
			snprintf(dir, sizeof(dir), "%.*s",
			    (int)(base - paths[i]), paths[i]);
			base++;
			if (dir[0] == '\0')
				snprintf(dir, sizeof(dir), "/");
		}
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", dir, strerror(errno));
			break;
		}
		rc = export_one(&b, dfd, paths[i], base, ends_with(base,
		    ".log"));
		close(dfd);
	}
	if (rc == KC_OK)
		rc = do_export(media_dir, &b, res);
	batch_free(&b);
	return rc;
}

int
kc_media_export_report(const char *media_dir, const char *name,
    const unsigned char *data, size_t len, struct kc_export_result *res)
{
	struct batch b;
	unsigned char *copy;
	char why[160];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if (!name_ok(name) || !ends_with(name, ".pdf"))
		return kc_err(KC_ERR_INTERNAL, "%s: not a report name", name);
	if (len < 16 || memcmp(data, "%PDF-1.", 7) != 0 ||
	    memmem(data + len - (len < 32 ? len : 32), len < 32 ? len : 32,
	    "%%EOF", 5) == NULL)
		return kc_err(KC_ERR_INTERNAL, "%s: not a whole PDF; refusing "
		    "to export it", name);
	if (kc_media_has_private(data, len, why, sizeof(why)))
		return kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "it", name, why);
	if ((copy = malloc(len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	if ((rc = batch_add(&b, name, copy, len, KC_ART_REPORT)) == KC_OK)
		rc = do_export(media_dir, &b, res);
	batch_free(&b);
	return rc;
}

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
	return ends_with(name, ".csr") || ends_with(name, ".req") ||
	    ends_with(name, ".pem") || ends_with(name, ".der") ||
	    ends_with(name, ".code");
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
	int fd = -1, rc, is_code = ends_with(name, ".code");

	*keep = 0;
	snprintf(disp, sizeof(disp), "%s/%s", media, name);
	if (!name_ok(name)) {
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
	if ((rc = open_at(mfd, name, disp, is_code ? "verification code" :
	    "CSR", is_code ? IMPORT_CODE_MAX : IMPORT_CSR_MAX, &fd, &st)) !=
	    KC_OK || (rc = read_fd(fd, disp, &st, &data, &len)) != KC_OK)
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
		if ((rc = code_text(disp, data, len, code)) != KC_OK)
			goto out;
		OPENSSL_cleanse(code, sizeof(code));
		it->type = KC_ART_CODE;
	} else {
		struct kc_csr *csr = NULL;
		enum kc_artefact k = kc_media_classify(name, data, len);

		if (!named && (k == KC_ART_CERT || k == KC_ART_CRL) &&
		    (ends_with(name, ".pem") || ends_with(name, ".der"))) {
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
					free_names(v, i);
					return kc_err(KC_ERR_USAGE, "%s/%s: "
					    "named twice", media, names[i]);
				}
			if ((v[i] = strdup(names[i])) == NULL) {
				free_names(v, i);
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
	rc = list_dir(dp, media, &v, &k);
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
		free_names(v, k);
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
	rc = list_dir(dp, state_dir, &names, &n);
	closedir(dp);
	for (size_t k = 0; k < n && rc == KC_OK; k++)
		for (size_t i = 0; i < b->n && rc == KC_OK; i++)
			if (strcasecmp(names[k], b->items[i].name) == 0 &&
			    strcmp(names[k], b->items[i].name) != 0)
				rc = kc_err(KC_ERR_POLICY, "%s: differs only in "
				    "case from %s/%s (one file on a FAT medium); "
				    "refusing to import it", b->items[i].name,
				    state_dir, names[k]);
	free_names(names, n);
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
	if ((rc = media_scan(mfd, media_dir, 0, "import anything")) != KC_OK ||
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
	free_names(list, nlist);
	batch_free(&b);
	return rc;
}

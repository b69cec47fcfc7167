/*
 * quorum.c: K-of-N split of a PIN with libgfshare, and the share text
 * format (see kc/quorum.h).
 *
 * Share bytes: version (1) | set id (3) | K (1) | N (1) | number (1) |
 * y (66) | check (4) where check is the first four bytes of
 * SHA-256("keyceremony quorum share v1" | all bytes before it). The bytes
 * are written in Crockford base32, upper case, in groups of four.
 *
 * Version 2 (written since issue 12) always splits a 66-byte block
 * (length, PIN, random padding), so every share has 124 characters (31
 * groups) whatever the PIN's length, from 1 to 64 bytes (a 64-digit hex PIN
 * fits). Version 1 split 16, 32 or 64 bytes by PIN length (44, 69 or 120
 * characters: the length told whether the PIN was <= 15 or <= 31 bytes);
 * such shares are still read.
 */
#include "config.h"

#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libgfshare.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kc/ceremony/quorum.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"

#define Q_VERSION	2	/* written */
#define Q_VERSION_OLD	1	/* still read: 16, 32 or 64 bytes */
#define Q_HDR		7
#define Q_CHECK		4
#define Q_BLOCK_MAX	66	/* version 2 block (31 groups); version 1: <= 64 */
#define Q_BYTES_MAX	(Q_HDR + Q_BLOCK_MAX + Q_CHECK)
#define Q_CHARS_MAX	((Q_BYTES_MAX * 8 + 4) / 5)

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char q_domain[] = "keyceremony quorum share v1";

struct share {
	int		version;
	unsigned char	set[3];
	int		k, n, x;
	size_t		ylen;
	unsigned char	y[Q_BLOCK_MAX];
};

struct kc_quorum {
	int		given;
	struct share	s[KC_QUORUM_MAX_SHARES];
};

/* libgfshare takes its randomness through a global hook; a failure cannot
 * be returned through it, so it is recorded and checked after the call. */
static int rand_failed;

static void
q_rand(unsigned char *buf, unsigned int len)
{
	if (RAND_priv_bytes(buf, (int)len) != 1) {
		rand_failed = 1;
		OPENSSL_cleanse(buf, len);
	}
}

static void
q_check(const unsigned char *b, size_t len, unsigned char out[Q_CHECK])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(out, 0, Q_CHECK);
	if (c != NULL &&
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, q_domain, sizeof(q_domain) - 1) == 1 &&
	    EVP_DigestUpdate(c, b, len) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1)
		memcpy(out, md, Q_CHECK);
	EVP_MD_CTX_free(c);
}

/* Encodes len bytes as base32 in groups of four, into a new secret. */
static int
encode(const unsigned char *b, size_t len, struct kc_secret **out)
{
	struct kc_secret *s;
	size_t nchars = (len * 8 + 4) / 5, o = 0;
	int rc;

	if ((rc = kc_secret_new(KC_QUORUM_TEXT_MAX, &s)) != KC_OK)
		return rc;
	for (size_t i = 0; i < nchars; i++) {
		size_t bit = i * 5;
		unsigned v = 0;

		for (int j = 0; j < 5; j++, bit++) {
			v <<= 1;
			if (bit / 8 < len)
				v |= (b[bit / 8] >> (7 - bit % 8)) & 1;
		}
		if (i > 0 && i % 4 == 0)
			s->buf[o++] = '-';
		s->buf[o++] = b32[v];
	}
	s->buf[o] = '\0';
	s->len = o;
	*out = s;
	return KC_OK;
}

static int
b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	if (c == 'I' || c == 'L')
		c = '1';
	const char *p = c ? strchr(b32, c) : NULL;
	return p == NULL ? -1 : (int)(p - b32);
}

/* Text to share bytes; *blen set. Messages never quote the share. */
static int
decode(const char *text, size_t len, unsigned char *b, size_t *blen)
{
	unsigned char v[Q_CHARS_MAX];
	size_t nchars = 0, nbytes;

	for (size_t i = 0; i < len; i++) {
		int d;

		if (text[i] == '-' || text[i] == ' ')
			continue;
		if ((d = b32_value(text[i])) < 0) {
			OPENSSL_cleanse(v, sizeof(v));
			return kc_err(KC_ERR_INPUT, "share: character %zu is not "
			    "a share character (0-9 and A-Z without U); check "
			    "it and type the share again", nchars + 1);
		}
		if (nchars == sizeof(v)) {
			OPENSSL_cleanse(v, sizeof(v));
			return kc_err(KC_ERR_INPUT, "share: too long (more than "
			    "%zu characters); check it and type it again",
			    sizeof(v));
		}
		v[nchars++] = (unsigned char)d;
	}
	nbytes = nchars * 5 / 8;
	if (nchars == 0 || (nbytes != Q_HDR + 16 + Q_CHECK &&
	    nbytes != Q_HDR + 32 + Q_CHECK && nbytes != Q_HDR + 64 + Q_CHECK &&
	    nbytes != Q_HDR + Q_BLOCK_MAX + Q_CHECK) ||
	    (nbytes * 8 + 4) / 5 != nchars) {
		OPENSSL_cleanse(v, sizeof(v));
		return kc_err(KC_ERR_INPUT, "share: %zu characters; a share has "
		    "124 (in groups of four; shares made before version 2: 44, "
		    "69 or 120): a group is missing or doubled; type it again",
		    nchars);
	}
	memset(b, 0, nbytes);
	for (size_t i = 0; i < nchars; i++)
		for (int j = 0; j < 5; j++) {
			size_t bit = i * 5 + (size_t)j;
			unsigned one = (v[i] >> (4 - j)) & 1;

			if (bit / 8 < nbytes)
				b[bit / 8] |= (unsigned char)(one << (7 - bit % 8));
			else if (one) {
				OPENSSL_cleanse(v, sizeof(v));
				return kc_err(KC_ERR_INPUT, "share does not check "
				    "out: the last character is mistyped; type "
				    "the share again");
			}
		}
	OPENSSL_cleanse(v, sizeof(v));
	*blen = nbytes;
	return KC_OK;
}

static int
parse(const char *text, size_t len, struct share *sh,
    struct kc_quorum_info *info)
{
	unsigned char b[Q_BYTES_MAX], chk[Q_CHECK];
	size_t blen = 0;
	int rc;

	memset(sh, 0, sizeof(*sh));
	if ((rc = decode(text, len, b, &blen)) != KC_OK)
		goto out;
	/* a version 2 share of another length lost or gained a group (a
	 * mistyped first group falls to the checksum below) */
	if (b[0] == Q_VERSION && blen != Q_HDR + Q_BLOCK_MAX + Q_CHECK) {
		rc = kc_err(KC_ERR_INPUT, "share: %zu characters; a share has "
		    "124 (31 groups of four): a group is missing or doubled; "
		    "type it again", (blen * 8 + 4) / 5);
		goto out;
	}
	q_check(b, blen - Q_CHECK, chk);
	if (CRYPTO_memcmp(chk, b + blen - Q_CHECK, Q_CHECK) != 0) {
		rc = kc_err(KC_ERR_INPUT, "share does not check out (checksum "
		    "mismatch): a character is mistyped; nothing was sent to "
		    "the token; type the share again");
		goto out;
	}
	if ((b[0] != Q_VERSION && b[0] != Q_VERSION_OLD) ||
	    (b[0] == Q_VERSION_OLD && blen == Q_HDR + Q_BLOCK_MAX + Q_CHECK)) {
		rc = kc_err(KC_ERR_INPUT, "share: format version %u of %zu "
		    "characters; this program reads version %d (124 characters) "
		    "and version %d (44, 69 or 120)", b[0], (blen * 8 + 4) / 5,
		    Q_VERSION, Q_VERSION_OLD);
		goto out;
	}
	sh->version = b[0];
	memcpy(sh->set, b + 1, 3);
	sh->k = b[4];
	sh->n = b[5];
	sh->x = b[6];
	sh->ylen = blen - Q_HDR - Q_CHECK;
	memcpy(sh->y, b + Q_HDR, sh->ylen);
	if (sh->k < 2 || sh->k > sh->n || sh->n > KC_QUORUM_MAX_SHARES ||
	    sh->x < 1 || sh->x > sh->n) {
		rc = kc_err(KC_ERR_INPUT, "share: inconsistent header (share %d, "
		    "%d of %d)", sh->x, sh->k, sh->n);
		goto out;
	}
	if (info != NULL) {
		snprintf(info->set_id, sizeof(info->set_id), "%02X%02X%02X",
		    sh->set[0], sh->set[1], sh->set[2]);
		info->k = sh->k;
		info->n = sh->n;
		info->index = sh->x;
	}
out:
	OPENSSL_cleanse(b, sizeof(b));
	if (rc != KC_OK)
		OPENSSL_cleanse(sh, sizeof(*sh));
	return rc;
}

int
kc_quorum_check(const char *text, size_t len, struct kc_quorum_info *info)
{
	struct share sh;
	int rc = parse(text, len, &sh, info);

	OPENSSL_cleanse(&sh, sizeof(sh));
	return rc;
}

int
kc_quorum_split(const struct kc_secret *pin, int k, int n,
    struct kc_secret *shares[])
{
	unsigned char block[Q_BLOCK_MAX], b[Q_BYTES_MAX], set[3];
	unsigned char nrs[KC_QUORUM_MAX_SHARES];
	gfshare_ctx *g = NULL;
	size_t L;
	int rc = KC_OK, made = 0;

	if (n < 2 || n > KC_QUORUM_MAX_SHARES || k < 2 || k > n)
		return kc_err(KC_ERR_USAGE, "quorum %d of %d: need 2 <= K <= N "
		    "<= %d", k, n, KC_QUORUM_MAX_SHARES);
	for (int i = 0; i < n; i++)
		shares[i] = NULL;
	if (pin == NULL || pin->len == 0)
		return kc_err(KC_ERR_PIN, "empty PIN: nothing to split");
	if (pin->len > KC_QUORUM_PIN_MAX)
		return kc_err(KC_ERR_PIN, "PIN of %zu bytes: a quorum splits at "
		    "most %d", pin->len, KC_QUORUM_PIN_MAX);
	L = Q_BLOCK_MAX;	/* one length for every PIN: no length class */

	rand_failed = 0;
	block[0] = (unsigned char)pin->len;
	memcpy(block + 1, pin->buf, pin->len);
	q_rand(block + 1 + pin->len, (unsigned)(L - 1 - pin->len));
	q_rand(set, sizeof(set));
	for (int i = 0; i < n; i++)
		nrs[i] = (unsigned char)(i + 1);
	gfshare_fill_rand = q_rand;
	if (rand_failed ||
	    (g = gfshare_ctx_init_enc(nrs, (unsigned)n, (unsigned char)k,
	    (unsigned)L)) == NULL) {
		rc = kc_err(KC_ERR_CRYPTO, "cannot set up the %d-of-%d split%s",
		    k, n, rand_failed ? ": no random bytes" : "");
		goto out;
	}
	gfshare_ctx_enc_setsecret(g, block);
	for (made = 0; made < n; made++) {
		b[0] = Q_VERSION;
		memcpy(b + 1, set, 3);
		b[4] = (unsigned char)k;
		b[5] = (unsigned char)n;
		b[6] = nrs[made];
		gfshare_ctx_enc_getshare(g, (unsigned char)made, b + Q_HDR);
		q_check(b, Q_HDR + L, b + Q_HDR + L);
		if ((rc = encode(b, Q_HDR + L + Q_CHECK, &shares[made])) != KC_OK)
			goto out;
	}
	if (rand_failed)
		rc = kc_err(KC_ERR_CRYPTO, "the random generator failed during "
		    "the split");
out:
	if (g != NULL)
		gfshare_ctx_free(g);
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(b, sizeof(b));
	if (rc != KC_OK)
		for (int i = 0; i < n; i++) {
			kc_secret_free(shares[i]);
			shares[i] = NULL;
		}
	return rc;
}

int
kc_quorum_new(struct kc_quorum **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	return KC_OK;
}

void
kc_quorum_free(struct kc_quorum *q)
{
	if (q == NULL)
		return;
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

int
kc_quorum_add(struct kc_quorum *q, const char *text, size_t len,
    struct kc_quorum_info *info)
{
	struct share sh;
	const struct share *first = &q->s[0];
	int rc;

	if ((rc = parse(text, len, &sh, info)) != KC_OK)
		return rc;
	if (q->given > 0 && (memcmp(sh.set, first->set, 3) != 0 ||
	    sh.k != first->k || sh.n != first->n || sh.ylen != first->ylen ||
	    sh.version != first->version)) {
		rc = kc_err(KC_ERR_INPUT, "share %d belongs to set %02X%02X%02X "
		    "(%d of %d), the shares given so far to set %02X%02X%02X "
		    "(%d of %d): they come from different splits", sh.x,
		    sh.set[0], sh.set[1], sh.set[2], sh.k, sh.n, first->set[0],
		    first->set[1], first->set[2], first->k, first->n);
		goto out;
	}
	for (int i = 0; i < q->given; i++)
		if (q->s[i].x == sh.x) {
			rc = kc_err(KC_ERR_INPUT, "share %d of %d was already "
			    "given; the next custodian must type another share",
			    sh.x, sh.n);
			goto out;
		}
	if (q->given > 0 && q->given >= first->k) {
		rc = kc_err(KC_ERR_USAGE, "already %d shares: enough to rebuild "
		    "the PIN", q->given);
		goto out;
	}
	q->s[q->given++] = sh;
out:
	OPENSSL_cleanse(&sh, sizeof(sh));
	return rc;
}

int
kc_quorum_given(const struct kc_quorum *q)
{
	return q->given;
}

int
kc_quorum_needed(const struct kc_quorum *q)
{
	return q->given == 0 ? -1 : q->s[0].k - q->given;
}

int
kc_quorum_combine(const struct kc_quorum *q, struct kc_secret **pin)
{
	unsigned char nrs[KC_QUORUM_MAX_SHARES], block[Q_BLOCK_MAX];
	unsigned char y[Q_BLOCK_MAX];
	gfshare_ctx *g;
	size_t L;
	int rc;

	*pin = NULL;
	if (q->given == 0 || q->given < q->s[0].k)
		return kc_err(KC_ERR_USAGE, "%d share%s given, %d needed",
		    q->given, q->given == 1 ? "" : "s",
		    q->given == 0 ? 2 : q->s[0].k);
	L = q->s[0].ylen;
	for (int i = 0; i < q->given; i++)
		nrs[i] = (unsigned char)q->s[i].x;
	gfshare_fill_rand = q_rand;	/* gfshare_ctx_free() scrubs with it */
	if ((g = gfshare_ctx_init_dec(nrs, (unsigned)q->given,
	    (unsigned)L)) == NULL)
		return kc_err(KC_ERR_NOMEM, "cannot set up the recombination");
	for (int i = 0; i < q->given; i++) {
		memcpy(y, q->s[i].y, L);
		gfshare_ctx_dec_giveshare(g, (unsigned char)i, y);
	}
	OPENSSL_cleanse(y, sizeof(y));
	gfshare_ctx_dec_extract(g, block);
	gfshare_ctx_free(g);
	if (block[0] == 0 || block[0] >= L || block[0] > KC_QUORUM_PIN_MAX ||
	    (q->s[0].version == Q_VERSION_OLD && L > 16 &&
	    block[0] < (L == 32 ? 16 : 32))) {
		rc = kc_err(KC_ERR_INPUT, "the shares do not combine to a PIN: "
		    "one of them was altered (its checksum is right, its "
		    "content is not); nothing was sent to the token");
		goto out;
	}
	if (memchr(block + 1, '\0', block[0]) != NULL) {
		rc = kc_err(KC_ERR_INPUT, "the shares do not combine to a PIN "
		    "(it would hold a NUL byte): one of them was altered");
		goto out;
	}
	rc = kc_secret_from(block + 1, block[0], pin);
out:
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

/* ---- share sheets (kc_quorum_read_file) ---- */

#define SHEET_HEADING	"keyceremony PIN share "

/* A line (trimmed) that looks like a share: only share characters, dashes
 * and spaces, at least 16 share characters and a digit (every share starts
 * with its version, '0'; a name written on the sheet has none). */
static int
share_like(const char *l, size_t n)
{
	size_t chars = 0;
	int digit = 0;

	if (n >= sizeof(SHEET_HEADING) - 1 &&
	    strncmp(l, SHEET_HEADING, sizeof(SHEET_HEADING) - 1) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (l[i] == '-' || l[i] == ' ')
			continue;
		if (b32_value(l[i]) < 0)
			return 0;
		digit |= isdigit((unsigned char)l[i]) != 0;
		chars++;
	}
	return chars >= 16 && digit;
}

/* The heading split prints ("keyceremony PIN share 2 of 3    set 0A1B2C
 * any 2 of 3 rebuild the PIN"): 1 and *h filled when line is one. */
static int
sheet_heading(const char *l, size_t n, struct kc_quorum_info *h)
{
	char tmp[128], set[8] = "";
	int k2 = 0, n2 = 0, used = 0;

	if (n < sizeof(SHEET_HEADING) - 1 || n >= sizeof(tmp) ||
	    strncmp(l, SHEET_HEADING, sizeof(SHEET_HEADING) - 1) != 0)
		return 0;
	memcpy(tmp, l, n);
	tmp[n] = '\0';
	memset(h, 0, sizeof(*h));
	if (sscanf(tmp, SHEET_HEADING "%d of %d set %6[0-9A-F] any %d of %d "
	    "rebuild the PIN%n", &h->index, &h->n, set, &k2, &n2, &used) != 5 ||
	    (size_t)used != n || strlen(set) != 6)
		return -1;
	h->k = k2;
	memcpy(h->set_id, set, sizeof(h->set_id));
	return n2 == h->n ? 1 : -1;
}

/* Finds the one share line of a sheet in buf (len bytes, no NUL); the
 * share's offset and length in *off, *slen. Messages name path. */
static int
sheet_find(const char *path, const char *buf, size_t len, size_t *off,
    size_t *slen, struct kc_quorum_info *head, int *has_head)
{
	size_t pos = 0, lineno = 0, found_line = 0, head_line = 0;

	*has_head = 0;
	while (pos < len) {
		size_t e = pos, a, b;
		int hr;

		while (e < len && buf[e] != '\n')
			e++;
		lineno++;
		a = pos;
		b = e;
		if (b > a && buf[b - 1] == '\r')
			b--;
		while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
			a++;
		while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t'))
			b--;
		if ((hr = sheet_heading(buf + a, b - a, head)) != 0) {
			if (hr < 0)
				return kc_err(KC_ERR_INPUT, "%s:%zu: the heading "
				    "of the share sheet is damaged (not as "
				    "'quorum split' writes it)", path, lineno);
			if (*has_head)
				return kc_err(KC_ERR_INPUT, "%s: two share "
				    "headings (lines %zu and %zu): one sheet per "
				    "file, one --share-file per sheet", path,
				    head_line, lineno);
			*has_head = 1;
			head_line = lineno;
		} else if (share_like(buf + a, b - a)) {
			if (found_line != 0)
				return kc_err(KC_ERR_INPUT, "%s: lines %zu and "
				    "%zu both look like a share; a sheet holds "
				    "one share: give each in its own file", path,
				    found_line, lineno);
			found_line = lineno;
			*off = a;
			*slen = b - a;
		}
		pos = e + 1;
	}
	if (found_line == 0)
		return kc_err(KC_ERR_INPUT, "%s: no share in this file: a share "
		    "is one line of groups of four letters and digits "
		    "(0A1B-C2D3-...), as 'quorum split' prints it", path);
	return KC_OK;
}

int
kc_quorum_read_file(const char *path, struct kc_secret **out,
    struct kc_quorum_info *info)
{
	struct kc_quorum_info head, got;
	struct stat st;
	char *buf = NULL;
	size_t len = 0, off = 0, slen = 0;
	ssize_t r;
	int fd = -1, rc, has_head = 0;

	*out = NULL;
	if ((rc = kc_file_open(path, "share file", KC_QUORUM_SHEET_MAX, &fd,
	    &st)) != KC_OK)
		return kc_err_recode(KC_ERR_PIN);
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = kc_err(KC_ERR_PIN, "share file %s is accessible by group or "
		    "others (mode %03o); run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if ((buf = malloc(KC_QUORUM_SHEET_MAX + 1)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (len <= KC_QUORUM_SHEET_MAX) {
		r = read(fd, buf + len, KC_QUORUM_SHEET_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = kc_err(KC_ERR_IO, "share file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > KC_QUORUM_SHEET_MAX) {
		rc = kc_err(KC_ERR_INPUT, "share file %s: file too large (more "
		    "than %d bytes); a share sheet is one page", path,
		    KC_QUORUM_SHEET_MAX);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		rc = kc_err(KC_ERR_INPUT, "share file %s holds a NUL byte: not "
		    "a share sheet", path);
		goto out;
	}
	if ((rc = sheet_find(path, buf, len, &off, &slen, &head, &has_head)) !=
	    KC_OK)
		goto out;
	if ((rc = kc_quorum_check(buf + off, slen, &got)) != KC_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		rc = kc_err(rc, "%s: %s", path, msg);
		goto out;
	}
	if (has_head && (head.index != got.index || head.k != got.k ||
	    head.n != got.n || strcmp(head.set_id, got.set_id) != 0)) {
		rc = kc_err(KC_ERR_INPUT, "%s: the sheet's heading says share %d "
		    "of set %s (%d of %d) but its share is share %d of set %s "
		    "(%d of %d): the sheet was altered; nothing was sent to the "
		    "token", path, head.index, head.set_id, head.k, head.n,
		    got.index, got.set_id, got.k, got.n);
		goto out;
	}
	if ((rc = kc_secret_from(buf + off, slen, out)) != KC_OK)
		goto out;
	if (info != NULL)
		*info = got;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, KC_QUORUM_SHEET_MAX + 1);
	if (fd != -1)
		close(fd);
	OPENSSL_cleanse(&head, sizeof(head));
	return rc;
}

/* media_screen.c: the private-key screen every exported file goes through
 * (kc_media_has_private) and what a file on a medium is
 * (kc_media_classify); see kc/ceremony/media.h. Owned by the ceremony
 * side (libkc-ceremony). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc/ceremony/media.h"
#include "media_int.h"

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
	case KC_ART_ACTIONS: return "revocation actions";
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

int
kc_media_pem_only(const unsigned char *buf, size_t len, const char *label)
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
	if (kc_media_pem_only(buf, len, "CERTIFICATE") &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		k = KC_ART_CERT;
	} else if (kc_media_pem_only(buf, len, "X509 CRL") &&
	    (x = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		X509_CRL_free(x);
		k = KC_ART_CRL;
	} else if ((kc_media_pem_only(buf, len, "CERTIFICATE REQUEST") ||
	    kc_media_pem_only(buf, len, "NEW CERTIFICATE REQUEST")) &&
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
int
kc_media_ends_with(const char *s, const char *suffix)
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
	if (kc_media_ends_with(name, ".code")) {
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

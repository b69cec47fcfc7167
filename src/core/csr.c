/* csr.c: CSR intake: PEM/DER, legacy nRF91 repair, key policy,
 * self-signature, subject checks, what the CSR asks for (kc/csr.h). */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/keyquality.h"

/* A DER TLV inside buf: tag, where the value starts, its length, and the
 * total length of the TLV. Single-byte tags only (all we need). */
struct tlv {
	unsigned char	 tag;
	const unsigned char *val;
	size_t		 vlen;
	size_t		 total;
};

static int
tlv_read(const unsigned char *p, size_t avail, struct tlv *t)
{
	size_t hl = 2, vlen;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = p[0];
	if (p[1] < 0x80) {
		vlen = p[1];
	} else {
		size_t n = p[1] & 0x7f;
		if (n == 0 || n > 4 || avail < 2 + n || p[2] == 0)
			return -1;
		vlen = 0;
		for (size_t i = 0; i < n; i++)
			vlen = (vlen << 8) | p[2 + i];
		if (vlen < 0x80)
			return -1;	/* not minimal: not DER */
		hl += n;
	}
	if (vlen > avail - hl)
		return -1;
	t->val = p + hl;
	t->vlen = vlen;
	t->total = hl + vlen;
	return 0;
}

/* Writes a DER length; returns the number of bytes. */
static size_t
len_write(unsigned char *p, size_t len)
{
	size_t n = 0, i;

	if (len < 0x80) {
		p[0] = (unsigned char)len;
		return 1;
	}
	for (size_t l = len; l > 0; l >>= 8)
		n++;
	p[0] = (unsigned char)(0x80 | n);
	for (i = 0; i < n; i++)
		p[1 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
	return 1 + n;
}

int
kc_csr_der_normalise(unsigned char *der, size_t *len, int *changed)
{
	/* ecdsa-with-SHA256/384/512: 1.2.840.10045.4.3.{2,3,4} */
	static const unsigned char ecdsa_sha2[] = {
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03 };
	struct tlv outer, cri, alg, bits, oid;
	const unsigned char *p;
	unsigned char *tmp, *w;
	size_t rest, body;

	if (changed != NULL)
		*changed = 0;
	if (tlv_read(der, *len, &outer) != 0 || outer.tag != 0x30)
		return kc_err(KC_ERR_INPUT, "not a DER SEQUENCE");
	p = outer.val;
	rest = outer.vlen;
	if (tlv_read(p, rest, &cri) != 0)
		return KC_OK;
	p += cri.total;
	rest -= cri.total;
	if (tlv_read(p, rest, &alg) != 0 || alg.tag != 0x30)
		return KC_OK;
	p += alg.total;
	rest -= alg.total;
	if (tlv_read(p, rest, &bits) != 0 || bits.tag != 0x03 ||
	    bits.total != rest)
		return KC_OK;
	/* AlgorithmIdentifier = OID ecdsa-with-SHA2xx, NULL */
	if (tlv_read(alg.val, alg.vlen, &oid) != 0 || oid.tag != 0x06 ||
	    oid.total != sizeof(ecdsa_sha2) + 1 ||
	    memcmp(alg.val, ecdsa_sha2, sizeof(ecdsa_sha2)) != 0 ||
	    alg.val[sizeof(ecdsa_sha2)] < 2 || alg.val[sizeof(ecdsa_sha2)] > 4 ||
	    alg.vlen != oid.total + 2 ||
	    alg.val[oid.total] != 0x05 || alg.val[oid.total + 1] != 0x00)
		return KC_OK;

	body = cri.total + 2 + oid.total + bits.total;
	if ((tmp = malloc(body + 8)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	w = tmp;
	*w++ = 0x30;
	w += len_write(w, body);
	memcpy(w, cri.val - (cri.total - cri.vlen), cri.total);
	w += cri.total;
	*w++ = 0x30;
	*w++ = (unsigned char)oid.total;
	memcpy(w, alg.val, oid.total);
	w += oid.total;
	memcpy(w, bits.val - (bits.total - bits.vlen), bits.total);
	w += bits.total;
	/* Trailing bytes after the outer SEQUENCE are kept so that the
	 * caller's trailing-data check still sees them. */
	rest = *len - outer.total;
	memmove(der + (size_t)(w - tmp), der + outer.total, rest);
	memcpy(der, tmp, (size_t)(w - tmp));
	*len = (size_t)(w - tmp) + rest;
	free(tmp);
	if (changed != NULL)
		*changed = 1;
	return KC_OK;
}

void
kc_csr_free(struct kc_csr *csr)
{
	if (csr == NULL)
		return;
	X509_REQ_free(csr->req);
	free(csr->subject_str);
	for (size_t i = 0; i < csr->n_ext; i++) {
		free(csr->ext_names[i]);
		free(csr->ext_text[i]);
	}
	free(csr->ext_names);
	free(csr->ext_text);
	free(csr->der);
	free(csr);
}

static int
all_space(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace(p[i]))
			return 0;
	return 1;
}

/* The type of a PEM block that is not a CSR, for the message. */
static const char *
pem_kind(const char *name)
{
	if (strcmp(name, "CERTIFICATE") == 0 ||
	    strcmp(name, "X509 CERTIFICATE") == 0 ||
	    strcmp(name, "TRUSTED CERTIFICATE") == 0)
		return "a certificate";
	if (strstr(name, "PRIVATE KEY") != NULL)
		return "a private key";
	if (strstr(name, "PUBLIC KEY") != NULL)
		return "a public key";
	if (strcmp(name, "X509 CRL") == 0)
		return "a CRL";
	if (strcmp(name, "PKCS7") == 0 || strcmp(name, "CMS") == 0)
		return "a PKCS#7/CMS bundle";
	return NULL;
}

/* Decodes the first PEM block, which must be a CSR, into *der (freed by
 * the caller with OPENSSL_free()). */
static int
pem_decode(const unsigned char *data, size_t len, const char *what,
    unsigned char **der, size_t *der_len)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *d = NULL, rest[256];
	long dlen = 0;
	int n, rc;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (!PEM_read_bio(bio, &name, &header, &d, &dlen)) {
		rc = kc_err_ssl(KC_ERR_INPUT, "%s: truncated or damaged PEM; "
		    "expected one CERTIFICATE REQUEST block", what);
		goto out;
	}
	if (strcmp(name, "CERTIFICATE REQUEST") != 0 &&
	    strcmp(name, "NEW CERTIFICATE REQUEST") != 0) {
		const char *kind = pem_kind(name);
		if (kind != NULL)
			rc = kc_err(KC_ERR_INPUT, "%s: is %s, not a CSR "
			    "(PEM block '%s')", what, kind, name);
		else
			rc = kc_err(KC_ERR_INPUT, "%s: PEM block '%s' is not "
			    "a CSR (expected CERTIFICATE REQUEST)", what, name);
		goto out;
	}
	if (header != NULL && *header != '\0') {
		rc = kc_err(KC_ERR_INPUT, "%s: unexpected PEM headers in the "
		    "CSR (an encrypted or non-standard block)", what);
		goto out;
	}
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0) {
		if (!all_space(rest, (size_t)n)) {
			rc = kc_err(KC_ERR_INPUT, "%s: unexpected data after "
			    "the CSR's END line (one CSR per file)", what);
			goto out;
		}
	}
	*der = d;
	*der_len = (size_t)dlen;
	d = NULL;
	rc = KC_OK;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(d);
	BIO_free(bio);
	return rc;
}

/* Names what a DER blob is when it is not a CSR. */
static const char *
der_kind(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	EVP_PKEY *k;

	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		X509_free(x);
		return "a certificate";
	}
	p = der;
	if ((k = d2i_AutoPrivateKey(NULL, &p, (long)len)) != NULL) {
		EVP_PKEY_free(k);
		return "a private key";
	}
	ERR_clear_error();
	return NULL;
}

/* The refusal of DER that is not a CSR: what it is when der_kind knows,
 * else damaged DER (with OpenSSL's reason when ssl). Returns the code. */
static int
not_a_csr(const unsigned char *der, size_t len, const char *what, int ssl)
{
	const char *kind = der_kind(der, len);

	if (kind != NULL)
		return kc_err(KC_ERR_INPUT, "%s: is %s, not a CSR", what, kind);
	if (ssl)
		return kc_err_ssl(KC_ERR_INPUT, "%s: not a CSR (damaged or "
		    "truncated DER)", what);
	return kc_err(KC_ERR_INPUT, "%s: not a CSR (damaged or truncated "
	    "DER)", what);
}

static int
add_ext(struct kc_csr *csr, X509_EXTENSION *ext)
{
	ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
	int nid = OBJ_obj2nid(obj), crit = X509_EXTENSION_get_critical(ext);
	char name[80], *text = NULL, *buf = NULL;
	BIO *mem = NULL;
	BUF_MEM *bm;
	char **nn, **nt;
	int rc = KC_ERR_NOMEM;

	if (nid != NID_undef)
		snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
	else if (OBJ_obj2txt(name, sizeof(name), obj, 1) <= 0)
		snprintf(name, sizeof(name), "(unreadable OID)");
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	BIO_printf(mem, "%s%s: ", name, crit ? " (critical)" : "");
	if (!X509V3_EXT_print(mem, ext, 0, 0)) {
		ERR_clear_error();
		BIO_printf(mem, "(%d bytes not shown)",
		    ASN1_STRING_length(X509_EXTENSION_get_data(ext)));
	}
	BIO_get_mem_ptr(mem, &bm);
	if ((text = malloc(bm->length + 1)) == NULL)
		goto out;
	for (size_t i = 0; i < bm->length; i++) {
		unsigned char c = (unsigned char)bm->data[i];
		text[i] = (c == '\n' || c == '\r') ? ' ' :
		    (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	text[bm->length] = '\0';
	if ((buf = strdup(name)) == NULL)
		goto out;
	if ((nn = realloc(csr->ext_names,
	    (csr->n_ext + 1) * sizeof(*nn))) == NULL)
		goto out;
	csr->ext_names = nn;
	if ((nt = realloc(csr->ext_text,
	    (csr->n_ext + 1) * sizeof(*nt))) == NULL)
		goto out;
	csr->ext_text = nt;
	csr->ext_names[csr->n_ext] = buf;
	csr->ext_text[csr->n_ext] = text;
	csr->n_ext++;
	buf = text = NULL;
	if (nid == NID_basic_constraints) {
		BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(ext);
		if (bc != NULL && bc->ca)
			csr->ca_requested = 1;
		BASIC_CONSTRAINTS_free(bc);
		ERR_clear_error();
	}
	rc = KC_OK;
out:
	if (rc != KC_OK)
		kc_err(rc, "out of memory");
	free(buf);
	free(text);
	BIO_free(mem);
	return rc;
}

/* OpenSSL maps explicit curve parameters that happen to equal a named
 * curve back to its name, so the key alone cannot tell: look at the
 * encoding. An EC key must name its curve by OID (RFC 5480). */
static int
spki_named_curve(X509_REQ *req, const char *what)
{
	X509_PUBKEY *spki = X509_REQ_get_X509_PUBKEY(req);
	X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;

	if (spki == NULL || !X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg,
	    spki) || alg == NULL)
		return kc_err_ssl(KC_ERR_INPUT, "%s: unreadable public key",
		    what);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) == NID_X9_62_id_ecPublicKey &&
	    ptype != V_ASN1_OBJECT)
		return kc_err(KC_ERR_POLICY, "%s: key refused: EC key with "
		    "explicit curve parameters (use named P-256 or P-384)",
		    what);
	return KC_OK;
}

/* The cheap public-key validation: an EC point on its curve and not at
 * infinity, an RSA modulus and exponent of sane shape. */
static int
key_sane(EVP_PKEY *pkey, const char *what)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return kc_err_ssl(KC_ERR_NOMEM, "out of memory");
	ok = EVP_PKEY_public_check_quick(ctx);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return kc_err_ssl(KC_ERR_POLICY, "%s: key refused: the public "
		    "key is invalid (e.g. an EC point at infinity or not on "
		    "the curve)", what);
	ERR_clear_error();
	return KC_OK;
}

/* The self-signature's digest: SHA-256, SHA-384 or SHA-512 only. MD5 and
 * SHA-1 are refused even though they would verify (collisions). RSA-PSS
 * carries its digest in its parameters; OpenSSL checks it on verify. */
static int
sigalg_ok(const X509_REQ *req, const char *what)
{
	int sig = X509_REQ_get_signature_nid(req), md = NID_undef, pk;

	if (sig == NID_rsassaPss)
		return KC_OK;
	if (!OBJ_find_sigid_algs(sig, &md, &pk) || md == NID_undef)
		return kc_err(KC_ERR_POLICY, "%s: the CSR is signed with an "
		    "unknown or unsupported algorithm (%s); use ECDSA or RSA "
		    "with SHA-256 or better", what, OBJ_nid2sn(sig));
	if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)
		return kc_err(KC_ERR_POLICY, "%s: the CSR is signed with %s, "
		    "a broken digest (%s); refusing it: have it re-made with "
		    "SHA-256 or better", what,
		    md == NID_md5 ? "MD5" : md == NID_sha1 ? "SHA-1" :
		    OBJ_nid2sn(md), OBJ_nid2sn(sig));
	return KC_OK;
}

/* At most this many requested extensions (a real CSR has a handful). */
#define CSR_EXT_MAX 64

/* The extension request must be well-formed even though the profile
 * ignores it: not absurdly long, no extension twice (RFC 5280 4.2), no
 * critical extension this tool cannot even read, and every extension it
 * knows decodable. */
int
kc_csr_exts_check(const STACK_OF(X509_EXTENSION) *exts, const char *what)
{
	int n = exts != NULL ? sk_X509_EXTENSION_num(exts) : 0;
	char oid[80];

	if (n > CSR_EXT_MAX)
		return kc_err(KC_ERR_INPUT, "%s: requests %d extensions (at "
		    "most %d); refusing it", what, n, CSR_EXT_MAX);
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(e);
		int nid = OBJ_obj2nid(obj);
		const X509V3_EXT_METHOD *m;
		void *val;

		if (OBJ_obj2txt(oid, sizeof(oid), obj, 0) <= 0)
			snprintf(oid, sizeof(oid), "(unreadable OID)");
		for (int j = 0; j < i; j++)
			if (OBJ_cmp(obj, X509_EXTENSION_get_object(
			    sk_X509_EXTENSION_value(exts, j))) == 0)
				return kc_err(KC_ERR_INPUT, "%s: requests the "
				    "extension %s twice (duplicate extensions "
				    "are not allowed)", what, oid);
		m = nid != NID_undef ? X509V3_EXT_get_nid(nid) : NULL;
		if (m == NULL) {
			if (X509_EXTENSION_get_critical(e))
				return kc_err(KC_ERR_POLICY, "%s: requests the "
				    "unknown critical extension %s; refusing "
				    "it", what, oid);
			continue;
		}
		if ((val = X509V3_EXT_d2i(e)) == NULL)
			return kc_err_ssl(KC_ERR_INPUT, "%s: the requested "
			    "extension %s is damaged (does not decode)", what,
			    oid);
		if (m->it != NULL)
			ASN1_item_free(val, ASN1_ITEM_ptr(m->it));
		else if (m->ext_free != NULL)
			m->ext_free(val);
	}
	return KC_OK;
}

int
kc_csr_parse(const unsigned char *data, size_t len, const char *what,
    int flags, struct kc_csr **out)
{
	struct kc_csr *csr = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *pem_der = NULL;
	const unsigned char *p;
	char saved[768];
	size_t dlen;
	int rc, n;

	*out = NULL;
	if (what == NULL)
		what = "CSR";
	if (len == 0)
		return kc_err(KC_ERR_INPUT, "%s: is empty, not a CSR", what);
	if ((csr = calloc(1, sizeof(*csr))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	kc_sha256_hex(data, len, csr->sha256);

	if (data[0] == 0x30) {
		dlen = len;
		if ((csr->der = malloc(len)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(csr->der, data, len);
	} else if (memmem(data, len, "-----BEGIN ", 11) != NULL) {
		/* PEM is text: a NUL would silently cut a line short. */
		if (memchr(data, '\0', len) != NULL) {
			rc = kc_err(KC_ERR_INPUT, "%s: damaged PEM: holds a NUL "
			    "byte (not a text file)", what);
			goto out;
		}
		if ((rc = pem_decode(data, len, what, &pem_der, &dlen)) != KC_OK)
			goto out;
		csr->was_pem = 1;
		if ((csr->der = malloc(dlen ? dlen : 1)) == NULL) {
			OPENSSL_free(pem_der);
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(csr->der, pem_der, dlen);
		OPENSSL_free(pem_der);
	} else {
		rc = kc_err(KC_ERR_INPUT, "%s: not a CSR (neither PEM with "
		    "'-----BEGIN CERTIFICATE REQUEST-----' nor DER)", what);
		goto out;
	}
	kc_sha256_hex(csr->der, dlen, csr->der_sha256);

	if ((rc = kc_csr_der_normalise(csr->der, &dlen,
	    &csr->legacy_sigalg)) != KC_OK) {
		rc = not_a_csr(csr->der, dlen, what, 0);
		goto out;
	}
	csr->der_len = dlen;
	p = csr->der;
	if ((csr->req = d2i_X509_REQ(NULL, &p, (long)dlen)) == NULL) {
		rc = not_a_csr(csr->der, dlen, what, 1);
		goto out;
	}
	if (p != csr->der + dlen) {
		rc = kc_err(KC_ERR_INPUT, "%s: %zu bytes of unexpected data "
		    "after the CSR", what, (size_t)(csr->der + dlen - p));
		goto out;
	}
	if (X509_REQ_get_version(csr->req) != X509_REQ_VERSION_1) {
		rc = kc_err(KC_ERR_INPUT, "%s: unknown CSR version %ld (only "
		    "version 1 exists)", what,
		    X509_REQ_get_version(csr->req) + 1);
		goto out;
	}

	/* Key policy before anything else: a weak key is the clearer
	 * message even when its signature is also bad. */
	if ((csr->pubkey = X509_REQ_get0_pubkey(csr->req)) == NULL) {
		rc = kc_err_ssl(KC_ERR_POLICY, "%s: the CSR's public key cannot "
		    "be decoded (an unsupported type, or an EC point not on "
		    "its curve); use EC P-256/P-384 or RSA >= 2048", what);
		goto out;
	}
	if ((rc = spki_named_curve(csr->req, what)) != KC_OK)
		goto out;
	if ((rc = kc_alg_of_key(csr->pubkey, &csr->alg)) != KC_OK) {
		snprintf(saved, sizeof(saved), "%s", kc_errmsg());
		rc = kc_err(rc, "%s: key refused: %s", what, saved);
		goto out;
	}
	/* Key quality first: OpenSSL's check also refuses small factors,
	 * with a vaguer message. */
	if ((rc = kc_key_quality(csr->pubkey, what)) != KC_OK ||
	    (rc = key_sane(csr->pubkey, what)) != KC_OK)
		goto out;
	if ((rc = sigalg_ok(csr->req, what)) != KC_OK)
		goto out;

	/* The requester's proof of possession. */
	if (X509_REQ_verify(csr->req, csr->pubkey) != 1) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "%s: the CSR's self-signature "
		    "does not verify (altered, or not signed with its own "
		    "key); refusing it", what);
		goto out;
	}
	ERR_clear_error();

	csr->subject = X509_REQ_get_subject_name(csr->req);
	if ((csr->subject_str = kc_name_string(csr->subject)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = kc_name_check(csr->subject, what);
	csr->subject_ok = rc == KC_OK;
	if (rc != KC_OK && !(flags & KC_CSR_NO_SUBJECT_CHECK))
		goto out;
	kc_err_clear();

	/* What it asks for; reported, never obeyed. */
	exts = X509_REQ_get_extensions(csr->req);
	ERR_clear_error();
	n = exts != NULL ? sk_X509_EXTENSION_num(exts) : 0;
	if ((rc = kc_csr_exts_check(exts, what)) != KC_OK)
		goto out;
	for (int i = 0; i < n; i++)
		if ((rc = add_ext(csr, sk_X509_EXTENSION_value(exts, i)))
		    != KC_OK)
			goto out;

	*out = csr;
	csr = NULL;
	rc = KC_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	kc_csr_free(csr);
	return rc;
}

int
kc_csr_load(const char *path, int flags, struct kc_csr **out)
{
	unsigned char *data = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	rc = kc_csr_parse(data, len, path, flags, out);
	free(data);
	return rc;
}

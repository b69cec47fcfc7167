/*
 * test_nrf.c: unit tests of the nRF91 response parser (kc/nrf.h), the
 * AT%CMNG script and the nRF Cloud CSV row.
 *
 * Besides Nordic's public vectors (tests/fixtures/nrf), every test builds
 * its own responses: a fresh P-256 CSR from OpenSSL, a COSE_Sign1 built
 * with libcbor around it, then one defect at a time.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cbor.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "kc/factory/nrf.h"

#ifndef KC_VECTORS_DIR
#define KC_VECTORS_DIR "tests/fixtures/nrf"
#endif

static const char VEC_UUID[] = "50363154-3931-44f0-8022-121b6401627d";
static const unsigned char UUID[16] = {
	0x50, 0x36, 0x31, 0x54, 0x39, 0x31, 0x44, 0xf0,
	0x80, 0x22, 0x12, 0x1b, 0x64, 0x01, 0x62, 0x7d };
static const unsigned char NONCE[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

/* ---- helpers ---- */

/* The response line of a vector file (first line not starting with #). */
static char *
vector(const char *name)
{
	char path[512], *line = NULL, *p, *nl;
	unsigned char *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", KC_VECTORS_DIR, name);
	assert_int_equal(kc_file_read(path, KC_FILE_MAX, &data, &len), KC_OK);
	for (p = (char *)data; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (*p != '#' && *p != '\n') {
			line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
			break;
		}
	}
	free(data);
	assert_non_null(line);
	return line;
}

static char *
b64url(const unsigned char *d, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *s = malloc(n / 3 * 4 + 5), *o = s;
	size_t i;

	assert_non_null(s);
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = a[d[i] >> 2];
		*o++ = a[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		*o++ = a[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
		*o++ = a[d[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = a[d[i] >> 2];
		*o++ = a[(d[i] & 3) << 4];
	} else if (n - i == 2) {
		*o++ = a[d[i] >> 2];
		*o++ = a[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		*o++ = a[(d[i + 1] & 15) << 2];
	}
	*o = '\0';
	return s;
}

static EVP_PKEY *
key_gen(const char *kind)
{
	EVP_PKEY *k = NULL;

	if (strcmp(kind, "rsa1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind);
	assert_non_null(k);
	return k;
}

/* A CSR (DER) with CN cn for a key of kind ("P-256", "P-521", "rsa1024");
 * legacy: re-encode the signatureAlgorithm with a NULL parameter, as old
 * modem firmware does. */
static unsigned char *
csr_make(const char *cn, const char *kind, int legacy, size_t *len)
{
	EVP_PKEY *k = key_gen(kind);
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	int l;

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(r, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(r, k), 1);
	assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
	l = i2d_X509_REQ(r, &der);
	assert_true(l > 0);
	X509_NAME_free(n);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	*len = (size_t)l;
	if (legacy) {
		/* 30 82 LL LL <CRI> 30 0a 06 08 <oid> 03 ... */
		static const unsigned char alg[] = { 0x30, 0x0a, 0x06, 0x08,
		    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
		unsigned char *p, *nd;
		size_t off, outer;

		size_t hl = der[1] == 0x82 ? 4 : 3, off2;
		assert_int_equal(der[0], 0x30);
		p = memmem(der, *len, alg, sizeof(alg));
		assert_non_null(p);
		off = (size_t)(p - der);
		nd = malloc(*len + 3);
		assert_non_null(nd);
		/* outer header in DER's shortest length form */
		size_t nh;
		outer = *len - hl + 2;
		nd[0] = 0x30;
		if (outer < 256) {
			nd[1] = 0x81;
			nd[2] = (unsigned char)outer;
			nh = 3;
		} else {
			nd[1] = 0x82;
			nd[2] = (unsigned char)(outer >> 8);
			nd[3] = (unsigned char)outer;
			nh = 4;
		}
		off2 = nh + off - hl;
		memcpy(nd + nh, der + hl, off - hl);
		nd[off2] = 0x30;
		nd[off2 + 1] = 0x0c;
		memcpy(nd + off2 + 2, alg + 2, sizeof(alg) - 2);
		nd[off2 + sizeof(alg)] = 0x05;
		nd[off2 + sizeof(alg) + 1] = 0x00;
		memcpy(nd + off2 + sizeof(alg) + 2, der + off + sizeof(alg),
		    *len - off - sizeof(alg));
		*len = nh + outer;
		OPENSSL_free(der);
		return nd;
	}
	{
		unsigned char *c = malloc(*len);
		assert_non_null(c);
		memcpy(c, der, *len);
		OPENSSL_free(der);
		return c;
	}
}

/* Knobs for one COSE_Sign1; zero values mean "as the modem does". */
struct cose {
	uint64_t	 tag;		/* 0: 18 */
	size_t		 n_elems;	/* 0: 4 */
	int		 alg;		/* 0: -7 */
	int		 prot_not_bstr;
	int		 type;		/* 0: 9 */
	size_t		 uuid_len;	/* 0: 16 */
	size_t		 nonce_len;	/* 0: 16 */
	size_t		 digest_len;	/* 0: 32 */
	size_t		 sig_len;	/* 0: 64 */
	size_t		 payload_elems;	/* 0: 5 */
	int		 no_self_describe;
	int		 payload_null;
	int		 sec_tag_neg;	/* sec_tag encoded as -1 - sec_tag */
	uint64_t	 sec_tag;
	int		 sec_tag_text;	/* sec_tag as a text string inside */
	int		 sec_tag_trailing; /* extra byte after the integer */
	int		 digest_wrong;
};

static unsigned char *
ser(cbor_item_t *it, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0;

	*len = cbor_serialize_alloc(it, &buf, &cap);
	assert_true(*len > 0);
	return buf;
}

/* An integer in its shortest encoding, as the modem writes it. */
static cbor_item_t *
int_min(uint64_t v, int neg)
{
	if (v < 256)
		return neg ? cbor_build_negint8((uint8_t)v) :
		    cbor_build_uint8((uint8_t)v);
	if (v < 65536)
		return neg ? cbor_build_negint16((uint16_t)v) :
		    cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return neg ? cbor_build_negint32((uint32_t)v) :
		    cbor_build_uint32((uint32_t)v);
	return neg ? cbor_build_negint64(v) : cbor_build_uint64(v);
}

static unsigned char *
cose_make(const struct cose *c, const unsigned char *body, size_t body_len,
    size_t *len)
{
	unsigned char md[32], sig[128], *pb, *sb, *stb, *out;
	size_t pbl, sbl, stbl, i;
	cbor_item_t *prot, *pl, *arr, *st, *unprot, *kid, *top, *payload;

	SHA256(body, body_len, md);
	if (c->digest_wrong)
		md[5] ^= 0x40;
	memset(sig, 0x5a, sizeof(sig));

	prot = cbor_new_definite_map(1);
	assert_true(cbor_map_add(prot, (struct cbor_pair){
	    .key = cbor_move(cbor_build_uint8(1)),
	    .value = cbor_move(c->alg > 0 ? cbor_build_uint8((uint8_t)c->alg) :
		cbor_build_negint8((uint8_t)(-(c->alg ? c->alg : -7) - 1))) }));
	pb = ser(prot, &pbl);
	cbor_decref(&prot);

	/* sec_tag inside a bstr */
	if (c->sec_tag_text)
		st = cbor_build_string("17");
	else
		st = int_min(c->sec_tag, c->sec_tag_neg);
	stb = ser(st, &stbl);
	cbor_decref(&st);
	if (c->sec_tag_trailing) {
		stb = realloc(stb, stbl + 1);
		assert_non_null(stb);
		stb[stbl++] = 0x00;
	}

	pl = cbor_new_definite_array(c->payload_elems ? c->payload_elems : 5);
	assert_true(cbor_array_push(pl, cbor_move(cbor_build_uint8(
	    (uint8_t)(c->type ? c->type : 9)))));
	assert_true(cbor_array_push(pl, cbor_move(cbor_build_bytestring(UUID,
	    c->uuid_len ? c->uuid_len : 16))));
	assert_true(cbor_array_push(pl, cbor_move(cbor_build_bytestring(stb,
	    stbl))));
	assert_true(cbor_array_push(pl, cbor_move(cbor_build_bytestring(md,
	    c->digest_len ? c->digest_len : 32))));
	for (i = 4; i < (c->payload_elems ? c->payload_elems : 5); i++)
		assert_true(cbor_array_push(pl, cbor_move(
		    cbor_build_bytestring(NONCE,
		    c->nonce_len ? c->nonce_len : 16))));
	free(stb);
	if (!c->no_self_describe)
		pl = cbor_build_tag(55799, cbor_move(pl));
	sb = ser(pl, &sbl);
	cbor_decref(&pl);

	arr = cbor_new_definite_array(c->n_elems ? c->n_elems : 4);
	if (c->prot_not_bstr)
		assert_true(cbor_array_push(arr, cbor_move(
		    cbor_build_uint8(1))));
	else
		assert_true(cbor_array_push(arr, cbor_move(
		    cbor_build_bytestring(pb, pbl))));
	unprot = cbor_new_definite_map(1);
	kid = cbor_build_bytestring((const unsigned char *)"\x21", 1);
	assert_true(cbor_map_add(unprot, (struct cbor_pair){
	    .key = cbor_move(cbor_build_uint8(4)), .value = cbor_move(kid) }));
	assert_true(cbor_array_push(arr, cbor_move(unprot)));
	payload = c->payload_null ? cbor_new_null() :
	    cbor_build_bytestring(sb, sbl);
	assert_true(cbor_array_push(arr, cbor_move(payload)));
	for (i = 3; i < (c->n_elems ? c->n_elems : 4); i++)
		assert_true(cbor_array_push(arr, cbor_move(
		    cbor_build_bytestring(sig, c->sig_len ? c->sig_len : 64))));
	free(pb);
	free(sb);
	top = cbor_build_tag(c->tag ? c->tag : 18, cbor_move(arr));
	out = ser(top, len);
	cbor_decref(&top);
	return out;
}

/* "<b64url(body)>.<b64url(cose)>" */
static char *
line_make(const unsigned char *body, size_t body_len,
    const unsigned char *cose, size_t cose_len)
{
	char *a = b64url(body, body_len), *b = b64url(cose, cose_len), *s;

	assert_true(asprintf(&s, "%s.%s", a, b) > 0);
	free(a);
	free(b);
	return s;
}

/* A complete response around a fresh CSR; knobs in c. */
static char *
response(const struct cose *c, const char *cn, const char *kind, int legacy)
{
	unsigned char *csr, *cose;
	size_t csr_len, cose_len;
	char *s;

	csr = csr_make(cn, kind, legacy, &csr_len);
	cose = cose_make(c, csr, csr_len, &cose_len);
	s = line_make(csr, csr_len, cose, cose_len);
	free(csr);
	free(cose);
	return s;
}

static struct kc_nrf_msg *
parse_ok(const char *line)
{
	struct kc_nrf_msg *m = NULL;
	int rc = kc_nrf_parse(line, strlen(line), "t:1", &m);

	if (rc != KC_OK)
		fail_msg("parse failed: %s", kc_errmsg());
	assert_non_null(m);
	return m;
}

/* Parses and expects code and a message containing what. */
static void
parse_bad(const char *line, int code, const char *what)
{
	struct kc_nrf_msg *m = NULL;
	int rc = kc_nrf_parse(line, strlen(line), "t:1", &m);

	if (rc == KC_OK)
		fail_msg("accepted a bad response (expected \"%s\")", what);
	assert_null(m);
	if (code != 0)
		assert_int_equal(rc, code);
	if (strstr(kc_errmsg(), what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", kc_errmsg(), what);
	assert_non_null(strstr(kc_errmsg(), "t:1: "));
}

static void
bad_cose(const struct cose *c, int code, const char *what)
{
	char *s = response(c, VEC_UUID, "P-256", 0);
	parse_bad(s, code, what);
	free(s);
}

/* ---- Nordic's vectors ---- */

static void
test_vector_keygen_csr(void **state)
{
	char *line = vector("nRFCloud-utils_test_modem_credentials_parser_"
	    "KEYGEN_CSR.txt");
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	char *cn;

	(void)state;
	m = parse_ok(line);
	assert_int_equal(m->type, KC_NRF_CSR);
	assert_string_equal(m->uuid_str, VEC_UUID);
	assert_int_equal(m->sec_tag, 17);
	assert_int_equal(m->cose_alg, -7);
	assert_true(m->has_kid);
	assert_int_equal(m->kid, -2);
	assert_string_equal(m->digest_hex, "702a3d56f05b2f72531d650825e20041"
	    "e2e9d9318c34b6853ab9066e5c72e80c");
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_OK);
	assert_true(csr->legacy_sigalg);
	assert_int_equal(csr->alg, KC_ALG_EC_P256);
	cn = kc_nrf_csr_cn(csr);
	assert_string_equal(cn, VEC_UUID);
	free(cn);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	free(line);
}

static void
test_vector_pubkey(void **state)
{
	char *line = vector("nRFCloud-utils_ADVANCED_md_KEYGEN_pubkey.txt");
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;

	(void)state;
	m = parse_ok(line);
	assert_int_equal(m->type, KC_NRF_PUBKEY);
	assert_string_equal(m->uuid_str, VEC_UUID);
	assert_int_equal(m->sec_tag, 16);
	assert_int_equal(m->body_len, 91);	/* P-256 SubjectPublicKeyInfo */
	/* a public-key response where a CSR is needed */
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_ERR_INPUT);
	assert_null(csr);
	assert_non_null(strstr(kc_errmsg(), "public-key response"));
	kc_nrf_msg_free(m);
	free(line);
}

static void
test_vector_attesttoken(void **state)
{
	char *line = vector("nRFCloud-utils_test_modem_credentials_parser_"
	    "ATTESTTOKEN.txt");
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	char *w;

	(void)state;
	m = parse_ok(line);
	assert_int_equal(m->type, KC_NRF_IDENTITY);
	assert_string_equal(m->uuid_str, VEC_UUID);
	assert_int_equal(m->dev_type, 3);
	assert_int_equal(m->sec_tag, -1);
	assert_string_equal(m->digest_hex, "");
	assert_int_equal(strlen(m->fw_uuid_str), 36);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "attestation token"));
	kc_nrf_msg_free(m);

	/* with its wrapper; and the wrong wrapper */
	assert_true(asprintf(&w, "%%ATTESTTOKEN: \"%s\"\r\n", line) > 0);
	m = parse_ok(w);
	assert_string_equal(m->wrapper, "%ATTESTTOKEN");
	kc_nrf_msg_free(m);
	free(w);
	assert_true(asprintf(&w, "%%KEYGEN: \"%s\"", line) > 0);
	parse_bad(w, KC_ERR_INPUT, "without a COSE payload");
	free(w);
	free(line);
}

/* ---- wrapper, lines ---- */

static void
test_wrappers(void **state)
{
	struct cose c = { .sec_tag = 42 };
	char *s = response(&c, VEC_UUID, "P-256", 0), *w;
	struct kc_nrf_msg *m;
	const char *pre[] = { "%KEYGEN: \"", "%KEYGEN:\"", "  ", "\"",
	    "%KEYGEN: ", "\t%KEYGEN: \"" };
	const char *post[] = { "\"\r\n", "\"", " \r\n", "\"", "\n", "\"\t" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		assert_true(asprintf(&w, "%s%s%s", pre[i], s, post[i]) > 0);
		m = parse_ok(w);
		assert_int_equal(m->sec_tag, 42);
		kc_nrf_msg_free(m);
		free(w);
	}
	assert_true(asprintf(&w, "%%KEYGEN: \"%s", s) > 0);
	parse_bad(w, KC_ERR_INPUT, "unterminated quote");
	free(w);
	assert_true(asprintf(&w, "%s\"", s) > 0);
	parse_bad(w, KC_ERR_INPUT, "quote at the end");
	free(w);
	assert_true(asprintf(&w, "%%ATTESTTOKEN: \"%s\"", s) > 0);
	parse_bad(w, KC_ERR_INPUT, "with a COSE payload");
	free(w);
	assert_true(asprintf(&w, "%%XLOG: \"%s\"", s) > 0);
	parse_bad(w, KC_ERR_INPUT, "not a %KEYGEN or %ATTESTTOKEN");
	free(w);
	parse_bad("", KC_ERR_INPUT, "empty response");
	parse_bad("%KEYGEN: \"\"", KC_ERR_INPUT, "empty response");
	free(s);

	assert_true(kc_nrf_line_skip("", 0));
	assert_true(kc_nrf_line_skip("\r\n", 2));
	assert_true(kc_nrf_line_skip("OK\r", 3));
	assert_true(kc_nrf_line_skip("# note", 6));
	assert_true(kc_nrf_line_skip("AT%KEYGEN=17,2,0", 16));
	assert_false(kc_nrf_line_skip("OKAY", 4));
	assert_false(kc_nrf_line_skip("MIIB.0oRD", 9));
	assert_false(kc_nrf_line_skip("%KEYGEN: \"x\"", 12));
}

/* ---- generated responses ---- */

static void
test_generated_ok(void **state)
{
	struct cose c = { .sec_tag = 2147483647 };
	char *s;
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	unsigned char md[32];
	char hex[65];

	(void)state;
	s = response(&c, VEC_UUID, "P-256", 0);
	m = parse_ok(s);
	assert_int_equal(m->type, KC_NRF_CSR);
	assert_int_equal(m->sec_tag, 2147483647);
	assert_memory_equal(m->nonce, NONCE, 16);
	SHA256(m->body, m->body_len, md);
	kc_sha256_hex(m->body, m->body_len, hex);
	assert_string_equal(m->digest_hex, hex);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_OK);
	assert_false(csr->legacy_sigalg);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	free(s);

	/* without the self-describe tag, sec_tag 0, a non-UUID CN */
	c.sec_tag = 0;
	c.no_self_describe = 1;
	s = response(&c, "nrf-355025930000000", "P-256", 0);
	m = parse_ok(s);
	assert_int_equal(m->sec_tag, 0);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_OK);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	free(s);
}

static void
test_generated_legacy(void **state)
{
	struct cose c = { .sec_tag = 17 };
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	unsigned char *der, *cose;
	size_t der_len, cose_len;
	char *s, hex[65];

	(void)state;
	der = csr_make(VEC_UUID, "P-256", 1, &der_len);
	cose = cose_make(&c, der, der_len, &cose_len);
	s = line_make(der, der_len, cose, cose_len);
	m = parse_ok(s);
	/* the digest is over the original (legacy) bytes */
	kc_sha256_hex(der, der_len, hex);
	assert_string_equal(m->digest_hex, hex);
	assert_int_equal(m->body_len, der_len);
	assert_memory_equal(m->body, der, der_len);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_OK);
	assert_true(csr->legacy_sigalg);
	assert_int_equal(csr->der_len, der_len - 2);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	free(s);

	/* a COSE digest over the normalised bytes is refused */
	free(cose);
	{
		unsigned char *norm = malloc(der_len);
		size_t nl = der_len;
		int changed = 0;
		memcpy(norm, der, der_len);
		assert_int_equal(kc_csr_der_normalise(norm, &nl, &changed),
		    KC_OK);
		assert_true(changed);
		cose = cose_make(&c, norm, nl, &cose_len);
		free(norm);
	}
	s = line_make(der, der_len, cose, cose_len);
	parse_bad(s, KC_ERR_INPUT, "digest mismatch");
	free(s);
	free(cose);
	free(der);
}

static void
test_unsupported_key(void **state)
{
	const char *kinds[] = { "P-521", "rsa1024" };
	struct cose c = { .sec_tag = 17 };
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < 2; i++) {
		s = response(&c, VEC_UUID, kinds[i], 0);
		m = parse_ok(s);	/* the envelope is fine */
		assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr),
		    KC_ERR_POLICY);
		assert_null(csr);
		assert_non_null(strstr(kc_errmsg(), "t:1"));
		kc_nrf_msg_free(m);
		free(s);
	}
}

static void
test_cn_uuid_mismatch(void **state)
{
	struct cose c = { .sec_tag = 17 };
	struct kc_nrf_msg *m;
	struct kc_csr *csr = NULL;
	char *s;

	(void)state;
	s = response(&c, "11111111-2222-4333-8444-555555555555", "P-256", 0);
	m = parse_ok(s);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "not the attested device UUID"));
	kc_nrf_msg_free(m);
	free(s);
	/* case does not matter */
	s = response(&c, "50363154-3931-44F0-8022-121B6401627D", "P-256", 0);
	m = parse_ok(s);
	assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_OK);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	free(s);
}

/* ---- malformed input ---- */

static void
test_truncated(void **state)
{
	struct cose c = { .sec_tag = 17 };
	char *s = response(&c, VEC_UUID, "P-256", 0);
	struct kc_nrf_msg *m;
	size_t n, len = strlen(s);

	(void)state;
	/* every proper prefix is refused */
	for (n = 0; n < len; n++) {
		m = NULL;
		if (kc_nrf_parse(s, n, "t:1", &m) == KC_OK)
			fail_msg("prefix of %zu/%zu characters accepted", n,
			    len);
		assert_null(m);
		assert_true(strlen(kc_errmsg()) > 4);
	}
	m = parse_ok(s);
	kc_nrf_msg_free(m);
	free(s);
}

static void
test_base64url(void **state)
{
	struct cose c = { .sec_tag = 17 };
	char *s = response(&c, VEC_UUID, "P-256", 0), *t, *dot;

	(void)state;
	t = strdup(s);
	t[10] = '*';
	parse_bad(t, KC_ERR_INPUT, "bad base64url in the first part: "
	    "character 0x2a at column 11");
	free(t);
	t = strdup(s);
	t[5] = '+';		/* standard base64, not base64url */
	parse_bad(t, KC_ERR_INPUT, "bad base64url");
	free(t);
	t = strdup(s);
	dot = strchr(t, '.');
	dot[3] = '/';
	parse_bad(t, KC_ERR_INPUT, "bad base64url in the COSE part");
	free(t);
	assert_true(asprintf(&t, "%s=", s) > 0);
	parse_bad(t, KC_ERR_INPUT, "padding");
	free(t);
	/* missing '.', two '.' */
	t = strdup(s);
	dot = strchr(t, '.');
	memmove(dot, dot + 1, strlen(dot));
	parse_bad(t, KC_ERR_INPUT, "no '.'");
	free(t);
	assert_true(asprintf(&t, "%s.AAAA", s) > 0);
	parse_bad(t, KC_ERR_INPUT, "more than one '.'");
	free(t);
	t = strdup(s);
	*strchr(t, '.') = '\0';
	parse_bad(t, KC_ERR_INPUT, "no '.'");
	free(t);
	assert_true(asprintf(&t, ".%s", strchr(s, '.') + 1) > 0);
	parse_bad(t, KC_ERR_INPUT, "first part is empty");
	free(t);
	/* a NUL inside */
	t = strdup(s);
	t[7] = '\0';
	{
		struct kc_nrf_msg *m = NULL;
		assert_int_equal(kc_nrf_parse(t, strlen(s), "t:1", &m),
		    KC_ERR_INPUT);
		assert_non_null(strstr(kc_errmsg(), "NUL"));
	}
	free(t);
	free(s);
	/* non-canonical trailing bits: "AB" decodes to one byte with
	 * leftover bits set */
	parse_bad("MB.0oQ", KC_ERR_INPUT, "non-zero bits");
}

static void
test_digest_and_flips(void **state)
{
	struct cose c = { .sec_tag = 17 };
	unsigned char *csr, *cose, *t;
	size_t csr_len, cose_len, i, j, k, passed;
	struct kc_nrf_msg *m;
	struct kc_csr *cs;
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	size_t uuid_at, nonce_at, sig_at, kid_at, st_at, type_at;
	char *s;
	int rc;

	(void)state;
	csr = csr_make(VEC_UUID, "P-256", 0, &csr_len);
	cose = cose_make(&c, csr, csr_len, &cose_len);

	/* digest mismatch as such */
	c.digest_wrong = 1;
	bad_cose(&c, KC_ERR_INPUT, "digest mismatch");
	c.digest_wrong = 0;

	/* every flipped byte of the CSR is refused */
	t = malloc(csr_len);
	for (i = 0; i < csr_len; i++) {
		for (k = 0; k < sizeof(masks); k++) {
			memcpy(t, csr, csr_len);
			t[i] ^= masks[k];
			s = line_make(t, csr_len, cose, cose_len);
			m = NULL;
			rc = kc_nrf_parse(s, strlen(s), "t:1", &m);
			if (rc == KC_OK)
				fail_msg("CSR byte %zu ^ %02x accepted", i,
				    masks[k]);
			if (strstr(kc_errmsg(), i == 0 ? "not DER" :
			    "digest mismatch") == NULL &&
			    strstr(kc_errmsg(), "digest mismatch") == NULL)
				fail_msg("CSR byte %zu ^ %02x: %s", i,
				    masks[k], kc_errmsg());
			free(s);
		}
	}
	free(t);

	/* flips in the COSE part: refused, except in the fields that only
	 * the (unverifiable) signature protects: the signature, the nonce,
	 * the kid, the sec_tag value (any valid tag) and the UUID (caught
	 * by the CN check when the CN is the UUID) */
	uuid_at = (size_t)((unsigned char *)memmem(cose, cose_len, UUID, 16) -
	    cose);
	nonce_at = (size_t)((unsigned char *)memmem(cose, cose_len, NONCE, 16)
	    - cose);
	sig_at = cose_len - 64;
	kid_at = (size_t)((unsigned char *)memmem(cose, cose_len,
	    "\xa1\x04\x41\x21", 4) - cose) + 3;
	assert_non_null(memmem(cose, cose_len, "\x41\x11\x58\x20", 4));
	st_at = (size_t)((unsigned char *)memmem(cose, cose_len,
	    "\x41\x11\x58\x20", 4) - cose) + 1;
	type_at = (size_t)((unsigned char *)memmem(cose, cose_len,
	    "\xd9\xd9\xf7\x85\x09", 5) - cose) + 4;
	t = malloc(cose_len);
	passed = 0;
	for (i = 0; i < cose_len; i++) {
		for (k = 0; k < sizeof(masks); k++) {
			memcpy(t, cose, cose_len);
			t[i] ^= masks[k];
			s = line_make(csr, csr_len, t, cose_len);
			m = NULL;
			rc = kc_nrf_parse(s, strlen(s), "t:1", &m);
			free(s);
			if (rc != KC_OK) {
				assert_null(m);
				continue;
			}
			passed++;
			/* the unprotected header (kid label and value) */
			if (i >= sig_at || (i >= nonce_at && i < nonce_at + 16) ||
			    (i >= kid_at - 2 && i <= kid_at)) {
				kc_nrf_msg_free(m);
				continue;
			}
			if (i == st_at) {
				assert_int_not_equal(m->sec_tag, 17);
				kc_nrf_msg_free(m);
				continue;
			}
			/* the UUID, or the type (9 -> 8: a public key) */
			if ((i >= uuid_at && i < uuid_at + 16) || i == type_at) {
				cs = NULL;
				assert_int_not_equal(kc_nrf_csr(m, "t:1", 0,
				    &cs), KC_OK);
				assert_null(cs);
				kc_nrf_msg_free(m);
				continue;
			}
			fail_msg("COSE byte %zu ^ %02x accepted", i, masks[k]);
		}
	}
	/* sanity: the unprotected fields were reached */
	assert_true(passed >= 3 * (64 + 16 + 16));
	(void)j;
	free(t);
	free(cose);
	free(csr);
}

static void
test_structure(void **state)
{
	(void)state;
	bad_cose(&(struct cose){ .tag = 17 }, KC_ERR_INPUT,
	    "COSE part has CBOR tag 17, expected 18");
	bad_cose(&(struct cose){ .tag = 98 }, KC_ERR_INPUT, "tag 98");
	bad_cose(&(struct cose){ .n_elems = 3 }, KC_ERR_INPUT,
	    "COSE_Sign1 array has 3 elements, expected 4");
	bad_cose(&(struct cose){ .n_elems = 5 }, KC_ERR_INPUT,
	    "COSE_Sign1 array has 5 elements");
	bad_cose(&(struct cose){ .alg = -35 }, KC_ERR_INPUT, "not ES256");
	bad_cose(&(struct cose){ .alg = 7 }, KC_ERR_INPUT, "not ES256");
	bad_cose(&(struct cose){ .prot_not_bstr = 1 }, KC_ERR_INPUT,
	    "protected header");
	bad_cose(&(struct cose){ .payload_elems = 4 }, KC_ERR_INPUT,
	    "COSE payload array has 4 elements, expected 5");
	bad_cose(&(struct cose){ .payload_elems = 6 }, KC_ERR_INPUT,
	    "has 6 elements");
	bad_cose(&(struct cose){ .type = 7 }, KC_ERR_INPUT,
	    "message type 7 is not a %KEYGEN");
	bad_cose(&(struct cose){ .type = 1 }, KC_ERR_INPUT, "message type 1");
	bad_cose(&(struct cose){ .uuid_len = 15 }, KC_ERR_INPUT,
	    "UUID is not a 16-byte");
	bad_cose(&(struct cose){ .nonce_len = 15 }, KC_ERR_INPUT,
	    "nonce is not a 16-byte");
	bad_cose(&(struct cose){ .digest_len = 31 }, KC_ERR_INPUT,
	    "digest is not a 32-byte");
	bad_cose(&(struct cose){ .sig_len = 63 }, KC_ERR_INPUT,
	    "signature is not a 64-byte");
	bad_cose(&(struct cose){ .sig_len = 96 }, KC_ERR_INPUT,
	    "signature is not a 64-byte");
	bad_cose(&(struct cose){ .sec_tag_text = 1 }, KC_ERR_INPUT,
	    "sec_tag is not a CBOR integer");
	bad_cose(&(struct cose){ .sec_tag = 5, .sec_tag_trailing = 1 },
	    KC_ERR_INPUT, "trailing bytes");
	/* a pubkey-type payload over a CSR parses; kc_nrf_csr refuses it */
	{
		char *s = response(&(struct cose){ .type = 8, .sec_tag = 16 },
		    VEC_UUID, "P-256", 0);
		struct kc_nrf_msg *m = parse_ok(s);
		struct kc_csr *csr = NULL;
		assert_int_equal(m->type, KC_NRF_PUBKEY);
		assert_int_equal(kc_nrf_csr(m, "t:1", 0, &csr), KC_ERR_INPUT);
		assert_non_null(strstr(kc_errmsg(), "public-key response"));
		kc_nrf_msg_free(m);
		free(s);
	}
	/* a detached payload with a DER first part */
	bad_cose(&(struct cose){ .payload_null = 1 }, KC_ERR_INPUT,
	    "identity message");
}

static void
test_sec_tag_range(void **state)
{
	char *s;
	struct kc_nrf_msg *m;

	(void)state;
	bad_cose(&(struct cose){ .sec_tag = 2147483648ULL }, KC_ERR_POLICY,
	    "sec_tag 2147483648 outside 0..2147483647");
	bad_cose(&(struct cose){ .sec_tag = UINT64_MAX }, KC_ERR_POLICY,
	    "outside 0..2147483647");
	bad_cose(&(struct cose){ .sec_tag = 0, .sec_tag_neg = 1 },
	    KC_ERR_POLICY, "sec_tag -1 outside");
	bad_cose(&(struct cose){ .sec_tag = 2147483647, .sec_tag_neg = 1 },
	    KC_ERR_POLICY, "sec_tag -2147483648 outside");
	s = response(&(struct cose){ .sec_tag = 16842753 }, VEC_UUID,
	    "P-256", 0);
	m = parse_ok(s);
	assert_int_equal(m->sec_tag, 16842753);
	kc_nrf_msg_free(m);
	free(s);
}

/* Hand-made CBOR that libcbor must never see. */
static void
test_hostile_cbor(void **state)
{
	static const struct { const unsigned char *b; size_t n;
	    const char *why; } v[] = {
		/* tag 18, array of 2^64-1 */
		{ (const unsigned char *)"\xd2\x9b\xff\xff\xff\xff\xff\xff"
		  "\xff\xff\x40", 11, "more elements declared" },
		/* tag 18, map of 2^32-1 */
		{ (const unsigned char *)"\xd2\xba\xff\xff\xff\xff\x40", 7,
		  "more elements declared" },
		/* tag 18, bstr of 2^32 */
		{ (const unsigned char *)"\xd2\x5b\x00\x00\x00\x01\x00\x00\x00"
		  "\x00", 10, "string longer than the data" },
		/* tag 18, indefinite array */
		{ (const unsigned char *)"\xd2\x9f\x40\x40\xff", 5,
		  "indefinite-length" },
		/* tag 18, [1.5] */
		{ (const unsigned char *)"\xd2\x81\xf9\x3e\x00", 5,
		  "floating-point" },
		/* reserved additional information */
		{ (const unsigned char *)"\xd2\x1c", 2, "reserved" },
		/* trailing bytes */
		{ (const unsigned char *)"\xd2\x80\x00", 3, "trailing" },
		/* nested arrays, 20 deep */
		{ (const unsigned char *)"\xd2\x81\x81\x81\x81\x81\x81\x81\x81"
		  "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x00", 22,
		  "nested too deeply" },
		/* tag 18 around nothing */
		{ (const unsigned char *)"\xd2", 1, "truncated" },
	};
	unsigned char body[4] = { 0x30, 0x02, 0x05, 0x00 };
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = line_make(body, sizeof(body), v[i].b, v[i].n);
		parse_bad(s, KC_ERR_INPUT, v[i].why);
		free(s);
	}
	/* an over-long line */
	s = malloc(KC_NRF_LINE_MAX + 2);
	memset(s, 'A', KC_NRF_LINE_MAX + 1);
	s[KC_NRF_LINE_MAX + 1] = '\0';
	parse_bad(s, KC_ERR_INPUT, "line longer");
	free(s);
}

/* ---- outputs ---- */

static const char PEM1[] = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\nBBBB\n"
    "-----END CERTIFICATE-----\n";
static const char PEM2[] = "-----BEGIN CERTIFICATE-----\r\nMIICCCC\r\n"
    "-----END CERTIFICATE-----";

/* The text between the quotes of the line starting with prefix. */
static char *
quoted(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix), *q;

	assert_non_null(p);
	p += strlen(prefix);
	q = strchr(p, '"');
	assert_non_null(q);
	return strndup(p, (size_t)(q - p));
}

static void
upper_sha(const char *s, char out[65])
{
	size_t i;

	kc_sha256_hex(s, strlen(s), out);
	for (i = 0; i < 64; i++)
		if (out[i] >= 'a')
			out[i] = (char)(out[i] - 'a' + 'A');
}

static void
test_at_script(void **state)
{
	char *text = NULL, *cred, *ca, h1[65], h2[65], want[65];
	size_t len, i;
	char cred_pem[512];

	(void)state;
	snprintf(cred_pem, sizeof(cred_pem), "%s%s", PEM1, PEM2);
	assert_int_equal(kc_nrf_at_script(17, PEM2, cred_pem, &text, &len,
	    h1, h2), KC_OK);
	assert_int_equal(strlen(text), len);
	assert_true(strncmp(text, "AT+CFUN=4\r\nAT%CMNG=0,17,0,\"", 27) == 0);
	assert_non_null(strstr(text, "\"\r\nAT%CMNG=0,17,1,\"-----BEGIN"));
	assert_true(len > 11 && strcmp(text + len - 11, "AT+CFUN=1\r\n") == 0);
	for (i = 0; i < len; i++)	/* every LF follows a CR */
		if (text[i] == '\n')
			assert_int_equal(text[i - 1], '\r');
	cred = quoted(text, "AT%CMNG=0,17,1,\"");
	ca = quoted(text, "AT%CMNG=0,17,0,\"");
	upper_sha(cred, want);
	assert_string_equal(h1, want);
	upper_sha(ca, want);
	assert_string_equal(h2, want);
	/* both certificates, CRLF-terminated */
	assert_non_null(strstr(cred, "BBBB\r\n-----END CERTIFICATE-----\r\n"
	    "-----BEGIN CERTIFICATE-----\r\nMIICCCC\r\n"));
	assert_true(strcmp(cred + strlen(cred) - 27,
	    "-----END CERTIFICATE-----\r\n") == 0);
	free(cred);
	free(ca);
	free(text);

	/* without the CA */
	assert_int_equal(kc_nrf_at_script(0, NULL, PEM1, &text, &len, h1, h2),
	    KC_OK);
	assert_null(strstr(text, ",0,\""));
	assert_non_null(strstr(text, "AT%CMNG=0,0,1,\""));
	free(text);

	/* refusals */
	assert_int_equal(kc_nrf_at_script(-1, NULL, PEM1, &text, &len, h1,
	    h2), KC_ERR_USAGE);
	assert_int_equal(kc_nrf_at_script(2147483648L, NULL, PEM1, &text,
	    &len, h1, h2), KC_ERR_USAGE);
	assert_int_equal(kc_nrf_at_script(1, NULL, "-----BEGIN \"x\n", &text,
	    &len, h1, h2), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "0x22"));
	assert_int_equal(kc_nrf_at_script(1, NULL, "a\rb\n", &text, &len, h1,
	    h2), KC_ERR_INPUT);
	assert_int_equal(kc_nrf_at_script(1, NULL, "", &text, &len, h1, h2),
	    KC_ERR_INPUT);
	{
		char *big = malloc(5000);
		memset(big, 'A', 4999);
		big[4999] = '\0';
		assert_int_equal(kc_nrf_at_script(1, NULL, big, &text, &len,
		    h1, h2), KC_ERR_INPUT);
		assert_non_null(strstr(kc_errmsg(), "4096"));
		free(big);
	}
	assert_null(text);
}

static void
test_cloud_row(void **state)
{
	char *row = NULL;
	size_t len;

	(void)state;
	assert_int_equal(kc_nrf_cloud_row("dev-1", "", "a|b", "APP|MODEM",
	    PEM1, &row, &len), KC_OK);
	assert_string_equal(row, "\"dev-1\",\"\",\"a|b\",\"APP|MODEM\","
	    "\"-----BEGIN "
	    "CERTIFICATE-----\nMIIBAAAA\nBBBB\n-----END CERTIFICATE-----\n\"\n");
	assert_int_equal(strlen(row), len);
	free(row);
	assert_int_equal(kc_nrf_cloud_row("dev-2", "st", "", "", PEM2, &row,
	    &len), KC_OK);
	assert_string_equal(row, "\"dev-2\",\"st\",\"\",\"\","
	    "\"-----BEGIN CERTIFICATE-----\n"
	    "MIICCCC\n-----END CERTIFICATE-----\n\"\n");
	free(row);
	row = NULL;
	assert_int_equal(kc_nrf_cloud_row("a,b", "", "", "", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_int_equal(kc_nrf_cloud_row("a", "", "x\"y", "", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "tags"));
	assert_int_equal(kc_nrf_cloud_row("a", "", "", "A\nB", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_int_equal(kc_nrf_cloud_row("", "", "", "", PEM1, &row, &len),
	    KC_ERR_INPUT);
	/* a field a spreadsheet would run as a formula (issue 12) */
	assert_int_equal(kc_nrf_cloud_row("-2-3", "", "", "", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "formula"));
	assert_int_equal(kc_nrf_cloud_row("a", "=1+1", "", "", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_int_equal(kc_nrf_cloud_row("a", "", "@SUM(A1)", "", PEM1, &row,
	    &len), KC_ERR_INPUT);
	assert_int_equal(kc_nrf_cloud_row("a", "", "", "+APP", PEM1, &row,
	    &len), KC_ERR_INPUT);
	/* RFC 4180: quoted, quotes doubled; formulas refused */
	{
		char *q = NULL;

		assert_int_equal(kc_csv_field("a\"b\"\"c,d", "x", &q), KC_OK);
		assert_string_equal(q, "\"a\"\"b\"\"\"\"c,d\"");
		free(q);
		assert_int_equal(kc_csv_field("", "x", &q), KC_OK);
		assert_string_equal(q, "\"\"");
		free(q);
		for (const char *const *f = (const char *const[]){ "=1", "+1",
		    "-1", "@1", "\t1", "\r1", NULL }; *f != NULL; f++) {
			assert_int_equal(kc_csv_field(*f, "x", &q), KC_ERR_INPUT);
			assert_null(q);
		}
	}
	assert_int_equal(kc_nrf_cloud_row("a", "", "", "", "junk", &row,
	    &len), KC_ERR_INPUT);
	assert_null(row);
}

static void
test_lines(void **state)
{
	static const char f[] = "# comment\r\nOK\r\n\r\nAAA.BBB\r\n"
	    "AT%KEYGEN=17,2,0\n  \t\nCCC.DDD";
	struct kc_nrf_lines it;
	const char *line;
	size_t len;
	unsigned long n;

	(void)state;
	kc_nrf_lines_init(&it, f, strlen(f));
	assert_int_equal(kc_nrf_lines_next(&it, &line, &len, &n), 1);
	assert_int_equal(n, 4);
	assert_int_equal(len, 8);
	assert_memory_equal(line, "AAA.BBB\r", 8);
	assert_int_equal(kc_nrf_lines_next(&it, &line, &len, &n), 1);
	assert_int_equal(n, 7);
	assert_int_equal(len, 7);
	assert_int_equal(kc_nrf_lines_next(&it, &line, &len, &n), 0);
	kc_nrf_lines_init(&it, "", 0);
	assert_int_equal(kc_nrf_lines_next(&it, &line, &len, &n), 0);
}

static void
test_fuzz_entry(void **state)
{
	char *a = vector("nRFCloud-utils_test_modem_credentials_parser_"
	    "KEYGEN_CSR.txt");
	char *b = vector("nRFCloud-utils_test_modem_credentials_parser_"
	    "ATTESTTOKEN.txt");
	char *all;
	unsigned char junk[512];
	size_t i;

	(void)state;
	assert_true(asprintf(&all, "%s\r\nOK\n%%KEYGEN: \"%s\"\n\n%s", a, a,
	    b) > 0);
	assert_int_equal(kc_nrf_fuzz((const uint8_t *)all, strlen(all)), 0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	assert_int_equal(kc_nrf_fuzz(junk, sizeof(junk)), 0);
	assert_int_equal(kc_nrf_fuzz(junk, 0), 0);
	/* the binary entry point: a real response as bytes, too short an
	 * input, a part1 length beyond the data */
	{
		struct cose c = { .sec_tag = 17 };
		unsigned char *csr, *cose, *raw;
		size_t csr_len, cose_len;

		csr = csr_make(VEC_UUID, "P-256", 0, &csr_len);
		cose = cose_make(&c, csr, csr_len, &cose_len);
		raw = malloc(2 + csr_len + cose_len);
		raw[0] = (unsigned char)csr_len;
		raw[1] = (unsigned char)(csr_len >> 8);
		memcpy(raw + 2, csr, csr_len);
		memcpy(raw + 2 + csr_len, cose, cose_len);
		assert_int_equal(kc_nrf_fuzz_raw(raw, 2 + csr_len + cose_len),
		    0);
		assert_int_equal(kc_nrf_fuzz_raw(raw, 1), 0);
		raw[0] = 0xff;
		raw[1] = 0xff;
		assert_int_equal(kc_nrf_fuzz_raw(raw, 2 + csr_len + cose_len),
		    0);
		free(raw);
		free(cose);
		free(csr);
	}
	free(all);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_keygen_csr),
		cmocka_unit_test(test_vector_pubkey),
		cmocka_unit_test(test_vector_attesttoken),
		cmocka_unit_test(test_wrappers),
		cmocka_unit_test(test_generated_ok),
		cmocka_unit_test(test_generated_legacy),
		cmocka_unit_test(test_unsupported_key),
		cmocka_unit_test(test_cn_uuid_mismatch),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_digest_and_flips),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_sec_tag_range),
		cmocka_unit_test(test_hostile_cbor),
		cmocka_unit_test(test_at_script),
		cmocka_unit_test(test_cloud_row),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_fuzz_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

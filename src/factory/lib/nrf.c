/*
 * nrf.c: parser of nRF91 modem responses (%KEYGEN, %ATTESTTOKEN): the
 * line wrapper, base64url, a bounded CBOR well-formedness check, then the
 * COSE_Sign1 and payload structure through libcbor, and the digest check.
 *
 * All input is untrusted: every length is checked before use, CBOR is
 * pre-scanned (definite lengths only, nesting <= NRF_DEPTH_MAX, declared
 * sizes within the remaining bytes) before libcbor allocates anything, and
 * nothing asserts on input.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/nrf.h"

#define NRF_DEPTH_MAX	8
#define NRF_PART1_MAX	4096	/* decoded bytes */
#define NRF_COSE_MAX	1024
#define CBOR_TAG_COSE_SIGN1	18
#define CBOR_TAG_SELF_DESCRIBE	55799
#define COSE_ALG_ES256	(-7)

const char *
kc_nrf_type_name(int type)
{
	switch (type) {
	case KC_NRF_IDENTITY:	return "device_identity_msg_v1";
	case KC_NRF_PUBKEY:	return "pubkey_msg_v2";
	case KC_NRF_CSR:	return "CSR_msg_v1";
	default:		return "unknown";
	}
}

/* Nordic's numbering (nrf_device_type in the nRF Connect SDK's
 * modem_attest_token.h; 4..6 from nRF Cloud utils). */
const char *
kc_nrf_device_type_name(long t)
{
	switch (t) {
	case 1:	return "nRF9160 SIAA";
	case 2:	return "nRF9160 SIBA";
	case 3:	return "nRF9160 SICA";
	case 4:	return "nRF9161 LACA";
	case 5:	return "nRF9131 LACA";
	case 6:	return "nRF9151 LACA";
	default: return NULL;
	}
}

void
kc_nrf_msg_free(struct kc_nrf_msg *m)
{
	if (m == NULL)
		return;
	free(m->body);
	free(m);
}

/* ---- line and base64url ---- */

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && blank((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && blank((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

int
kc_nrf_line_skip(const char *line, size_t len)
{
	trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 1;
	if (len == 2 && memcmp(line, "OK", 2) == 0)
		return 1;
	if (len >= 2 && (line[0] == 'A' || line[0] == 'a') &&
	    (line[1] == 'T' || line[1] == 't'))
		return 1;
	return 0;
}

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict base64url without padding: alphabet, length (n % 4 != 1) and
 * canonical trailing bits. *out is malloc'd. */
static int
b64url_decode(const char *s, size_t n, const char *what, const char *part,
    size_t max, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	*out = NULL;
	if (n == 0)
		return kc_err(KC_ERR_INPUT, "%s: the %s part is empty", what,
		    part);
	for (i = 0; i < n; i++) {
		if (b64url_val((unsigned char)s[i]) < 0) {
			unsigned char c = (unsigned char)s[i];
			if (c == '=')
				return kc_err(KC_ERR_INPUT, "%s: bad base64url "
				    "in the %s part: padding '=' at column %zu "
				    "(modem output has none)", what, part,
				    i + 1);
			return kc_err(KC_ERR_INPUT, "%s: bad base64url in the "
			    "%s part: %s 0x%02x at column %zu", what, part,
			    isprint(c) ? "character" : "byte", c, i + 1);
		}
	}
	if (n % 4 == 1)
		return kc_err(KC_ERR_INPUT, "%s: bad base64url in the %s part: "
		    "impossible length %zu (truncated?)", what, part, n);
	if (n / 4 * 3 + 2 > max)
		return kc_err(KC_ERR_INPUT, "%s: the %s part is too long "
		    "(%zu characters, at most %zu bytes accepted)", what, part,
		    n, max);
	if ((buf = malloc(n / 4 * 3 + 3)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		v = b64url_val((unsigned char)s[i]);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {
		free(buf);
		return kc_err(KC_ERR_INPUT, "%s: bad base64url in the %s part: "
		    "non-zero bits after the last byte (altered or truncated)",
		    what, part);
	}
	*out = buf;
	*outlen = o;
	return KC_OK;
}

/* ---- bounded CBOR pre-scan ---- */

/* Checks that p[*pos..len) starts with one well-formed item of definite
 * length whose declared sizes fit in the bytes left, nested at most
 * NRF_DEPTH_MAX deep, with no floats and only false/true/null/undefined
 * as simple values. */
static int
cbor_scan(const unsigned char *p, size_t len, size_t *pos, int depth,
    const char **why)
{
	unsigned mt, ai, nb, i;
	uint64_t v = 0, k;

	if (depth > NRF_DEPTH_MAX) {
		*why = "nested too deeply";
		return -1;
	}
	if (*pos >= len) {
		*why = "truncated";
		return -1;
	}
	mt = p[*pos] >> 5;
	ai = p[*pos] & 31;
	(*pos)++;
	if (ai < 24) {
		v = ai;
	} else if (ai <= 27) {
		nb = 1u << (ai - 24);
		if (len - *pos < nb) {
			*why = "truncated";
			return -1;
		}
		for (i = 0; i < nb; i++)
			v = (v << 8) | p[(*pos)++];
	} else {
		*why = ai == 31 ? "indefinite-length item" :
		    "reserved additional information";
		return -1;
	}
	switch (mt) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		if (v > len - *pos) {
			*why = "string longer than the data (truncated)";
			return -1;
		}
		*pos += (size_t)v;
		return 0;
	case 4:
	case 5:
		if (v > (len - *pos) / (mt == 5 ? 2 : 1)) {
			*why = "more elements declared than bytes left "
			    "(truncated)";
			return -1;
		}
		for (k = 0; k < v * (mt == 5 ? 2 : 1); k++)
			if (cbor_scan(p, len, pos, depth + 1, why) != 0)
				return -1;
		return 0;
	case 6:
		return cbor_scan(p, len, pos, depth + 1, why);
	default: /* 7 */
		if (ai >= 20 && ai <= 23)
			return 0;
		*why = ai >= 25 ? "floating-point value" : "unknown simple value";
		return -1;
	}
}

/* Exactly one well-formed item filling the buffer, loaded with libcbor.
 * The caller cbor_decref()s *out. */
static int
cbor_parse(const unsigned char *p, size_t len, const char *what,
    const char *part, cbor_item_t **out)
{
	struct cbor_load_result res;
	const char *why = "";
	size_t pos = 0;
	cbor_item_t *it;

	*out = NULL;
	if (cbor_scan(p, len, &pos, 0, &why) != 0)
		return kc_err(KC_ERR_INPUT, "%s: %s is not valid CBOR: %s at "
		    "byte %zu", what, part, why, pos);
	if (pos != len)
		return kc_err(KC_ERR_INPUT, "%s: %s has %zu trailing bytes "
		    "after the CBOR item", what, part, len - pos);
	memset(&res, 0, sizeof(res));
	it = cbor_load(p, len, &res);
	if (it == NULL || res.error.code != CBOR_ERR_NONE || res.read != len) {
		if (it != NULL)
			cbor_decref(&it);
		if (res.error.code == CBOR_ERR_MEMERROR)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		return kc_err(KC_ERR_INPUT, "%s: %s is not valid CBOR "
		    "(libcbor error %d at byte %zu)", what, part,
		    (int)res.error.code, res.error.position);
	}
	*out = it;
	return KC_OK;
}

/* Strips an optional self-describe tag 55799: returns a new reference to
 * the inner item (or to it). */
static cbor_item_t *
cbor_untag_sd(cbor_item_t *it)
{
	if (cbor_isa_tag(it) && cbor_tag_value(it) == CBOR_TAG_SELF_DESCRIBE)
		return cbor_tag_item(it);
	return cbor_incref(it);
}

/* A definite byte string of exactly n bytes (n 0: any length up to max). */
static int
bstr_get(cbor_item_t *it, size_t n, const unsigned char **data,
    size_t *len)
{
	if (it == NULL || !cbor_isa_bytestring(it) ||
	    !cbor_bytestring_is_definite(it))
		return -1;
	if (n != 0 && cbor_bytestring_length(it) != n)
		return -1;
	*data = cbor_bytestring_handle(it);
	*len = cbor_bytestring_length(it);
	if (*len > 0 && *data == NULL)
		return -1;
	return 0;
}

/* An integer in [lo, hi]; 1 on success, 0 not an integer, -1 out of
 * range (*v then holds the value clamped to LONG range for messages). */
static int
int_get(cbor_item_t *it, long lo, long hi, long *v)
{
	uint64_t u;

	if (it == NULL)
		return 0;
	if (cbor_isa_uint(it)) {
		u = cbor_get_int(it);
		*v = u > LONG_MAX ? LONG_MAX : (long)u;
	} else if (cbor_isa_negint(it)) {
		u = cbor_get_int(it);
		*v = u >= (uint64_t)LONG_MAX ? LONG_MIN : -1 - (long)u;
	} else {
		return 0;
	}
	return *v >= lo && *v <= hi ? 1 : -1;
}

static void
uuid_fmt(const unsigned char u[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[u[i] >> 4];
		out[o++] = hx[u[i] & 15];
	}
	out[o] = '\0';
}

/* Protected header: a bstr holding exactly the map {1: -7}. */
static int
cose_protected(cbor_item_t *it, const char *what, struct kc_nrf_msg *m)
{
	const unsigned char *d;
	size_t n;
	cbor_item_t *map = NULL;
	struct cbor_pair *pr;
	long k, v;
	int rc;

	if (bstr_get(it, 0, &d, &n) != 0 || n == 0)
		return kc_err(KC_ERR_INPUT, "%s: COSE_Sign1 protected header is "
		    "not a non-empty byte string", what);
	if ((rc = cbor_parse(d, n, what, "the COSE protected header",
	    &map)) != KC_OK)
		return rc;
	rc = KC_ERR_INPUT;
	if (!cbor_isa_map(map) || !cbor_map_is_definite(map) ||
	    cbor_map_size(map) != 1) {
		kc_err(rc, "%s: COSE protected header is not a map with one "
		    "entry (alg)", what);
		goto out;
	}
	pr = cbor_map_handle(map);
	if (int_get(pr[0].key, 1, 1, &k) != 1) {
		kc_err(rc, "%s: COSE protected header has no alg (label 1)",
		    what);
		goto out;
	}
	if (int_get(pr[0].value, COSE_ALG_ES256, COSE_ALG_ES256, &v) != 1) {
		kc_err(rc, "%s: COSE algorithm is not ES256 (-7)", what);
		goto out;
	}
	m->cose_alg = COSE_ALG_ES256;
	rc = KC_OK;
out:
	cbor_decref(&map);
	return rc;
}

/* Unprotected header: a map; kid (label 4), when present, a bstr that
 * Nordic fills with a CBOR integer naming the key (-2 identity key). */
static int
cose_unprotected(cbor_item_t *it, const char *what, struct kc_nrf_msg *m)
{
	struct cbor_pair *pr;
	const unsigned char *d;
	size_t i, n, pos;
	const char *why;
	long k, v;

	if (!cbor_isa_map(it) || !cbor_map_is_definite(it))
		return kc_err(KC_ERR_INPUT, "%s: COSE_Sign1 unprotected header "
		    "is not a map", what);
	pr = cbor_map_handle(it);
	for (i = 0; i < cbor_map_size(it); i++) {
		if (int_get(pr[i].key, 4, 4, &k) != 1)
			continue;
		if (bstr_get(pr[i].value, 0, &d, &n) != 0)
			return kc_err(KC_ERR_INPUT, "%s: COSE kid is not a byte "
			    "string", what);
		/* a one-item CBOR integer inside: decode by hand */
		pos = 0;
		why = "";
		if (n >= 1 && n <= 9 && (d[0] >> 5) <= 1 &&
		    cbor_scan(d, n, &pos, 0, &why) == 0 && pos == n) {
			cbor_item_t *ki = NULL;
			if (cbor_parse(d, n, what, "the COSE kid", &ki) ==
			    KC_OK) {
				if (int_get(ki, LONG_MIN, LONG_MAX, &v) == 1) {
					m->has_kid = 1;
					m->kid = v;
				}
				cbor_decref(&ki);
			}
			kc_err_clear();
		}
	}
	return KC_OK;
}

/* %KEYGEN payload: [type, UUID, bstr(CBOR sec_tag), SHA-256, nonce]. */
static int
keygen_payload(cbor_item_t *it, const char *what, struct kc_nrf_msg *m)
{
	cbor_item_t *root = NULL, *pl = NULL, *e[5] = { NULL }, *st = NULL;
	const unsigned char *d;
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t n, i;
	long v;
	int rc, r;

	if (bstr_get(it, 0, &d, &n) != 0 || n == 0)
		return kc_err(KC_ERR_INPUT, "%s: COSE payload is not a "
		    "non-empty byte string", what);
	if ((rc = cbor_parse(d, n, what, "the COSE payload", &root)) != KC_OK)
		return rc;
	pl = cbor_untag_sd(root);
	rc = KC_ERR_INPUT;
	if (!cbor_isa_array(pl) || !cbor_array_is_definite(pl)) {
		kc_err(rc, "%s: COSE payload is not an array", what);
		goto out;
	}
	if (cbor_array_size(pl) != 5) {
		kc_err(rc, "%s: COSE payload array has %zu elements, expected "
		    "5 (type, UUID, sec_tag, digest, nonce)", what,
		    cbor_array_size(pl));
		goto out;
	}
	for (i = 0; i < 5; i++)
		e[i] = cbor_array_get(pl, i);
	r = int_get(e[0], 0, 255, &v);
	if (r != 1 || (v != KC_NRF_CSR && v != KC_NRF_PUBKEY)) {
		if (r == 0)
			kc_err(rc, "%s: message type in the COSE payload is "
			    "not an integer", what);
		else
			kc_err(rc, "%s: message type %ld is not a %%KEYGEN "
			    "response (9 CSR or 8 public key)", what, v);
		goto out;
	}
	m->type = (int)v;
	if (bstr_get(e[1], 16, &d, &n) != 0) {
		kc_err(rc, "%s: device UUID is not a 16-byte string", what);
		goto out;
	}
	memcpy(m->uuid, d, 16);
	uuid_fmt(m->uuid, m->uuid_str);
	if (bstr_get(e[2], 0, &d, &n) != 0 || n == 0) {
		kc_err(rc, "%s: sec_tag is not a non-empty byte string", what);
		goto out;
	}
	if ((rc = cbor_parse(d, n, what, "the sec_tag", &st)) != KC_OK)
		goto out;
	rc = KC_ERR_INPUT;
	r = int_get(st, 0, KC_NRF_SEC_TAG_MAX, &v);
	if (r == 0) {
		kc_err(rc, "%s: sec_tag is not a CBOR integer", what);
		goto out;
	}
	if (r < 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: sec_tag %ld outside "
		    "0..2147483647", what, v);
		goto out;
	}
	m->sec_tag = v;
	if (bstr_get(e[3], 32, &d, &n) != 0) {
		kc_err(rc, "%s: digest is not a 32-byte string", what);
		goto out;
	}
	SHA256(m->body, m->body_len, md);
	if (CRYPTO_memcmp(md, d, 32) != 0) {
		kc_err(rc, "%s: digest mismatch: the SHA-256 in the COSE payload "
		    "is not that of the %s bytes (altered, truncated or mixed "
		    "up response)", what,
		    m->type == KC_NRF_CSR ? "CSR" : "public key");
		goto out;
	}
	for (i = 0; i < 32; i++)
		snprintf(m->digest_hex + 2 * i, 3, "%02x", md[i]);
	if (bstr_get(e[4], 16, &d, &n) != 0) {
		kc_err(rc, "%s: nonce is not a 16-byte string", what);
		goto out;
	}
	memcpy(m->nonce, d, 16);
	rc = KC_OK;
out:
	for (i = 0; i < 5; i++)
		if (e[i] != NULL)
			cbor_decref(&e[i]);
	if (st != NULL)
		cbor_decref(&st);
	if (pl != NULL)
		cbor_decref(&pl);
	cbor_decref(&root);
	return rc;
}

/* %ATTESTTOKEN part1: [1, UUID, device type, firmware UUID, nonce]. */
static int
identity_body(const char *what, struct kc_nrf_msg *m)
{
	cbor_item_t *root = NULL, *pl = NULL, *e[5] = { NULL };
	const unsigned char *d;
	unsigned char fw[16];
	size_t n, i;
	long v;
	int rc;

	if ((rc = cbor_parse(m->body, m->body_len, what,
	    "the identity message", &root)) != KC_OK)
		return rc;
	pl = cbor_untag_sd(root);
	rc = KC_ERR_INPUT;
	if (!cbor_isa_array(pl) || !cbor_array_is_definite(pl)) {
		kc_err(rc, "%s: identity message is not an array", what);
		goto out;
	}
	if (cbor_array_size(pl) != 5) {
		kc_err(rc, "%s: identity message array has %zu elements, "
		    "expected 5 (type, UUID, device type, firmware UUID, "
		    "nonce)", what, cbor_array_size(pl));
		goto out;
	}
	for (i = 0; i < 5; i++)
		e[i] = cbor_array_get(pl, i);
	if (int_get(e[0], KC_NRF_IDENTITY, KC_NRF_IDENTITY, &v) != 1) {
		kc_err(rc, "%s: identity message type is not 1", what);
		goto out;
	}
	m->type = KC_NRF_IDENTITY;
	if (bstr_get(e[1], 16, &d, &n) != 0) {
		kc_err(rc, "%s: device UUID is not a 16-byte string", what);
		goto out;
	}
	memcpy(m->uuid, d, 16);
	uuid_fmt(m->uuid, m->uuid_str);
	if (int_get(e[2], 0, 65535, &v) != 1) {
		kc_err(rc, "%s: device type is not an integer 0..65535", what);
		goto out;
	}
	m->dev_type = v;
	if (bstr_get(e[3], 16, &d, &n) != 0) {
		kc_err(rc, "%s: modem firmware UUID is not a 16-byte string",
		    what);
		goto out;
	}
	memcpy(fw, d, 16);
	uuid_fmt(fw, m->fw_uuid_str);
	if (bstr_get(e[4], 16, &d, &n) != 0) {
		kc_err(rc, "%s: nonce is not a 16-byte string", what);
		goto out;
	}
	memcpy(m->nonce, d, 16);
	rc = KC_OK;
out:
	for (i = 0; i < 5; i++)
		if (e[i] != NULL)
			cbor_decref(&e[i]);
	if (pl != NULL)
		cbor_decref(&pl);
	cbor_decref(&root);
	return rc;
}

/* The head of the item at p (len > 0, already scanned): major type,
 * value and header length. */
static void
cbor_head(const unsigned char *p, size_t len, unsigned *mt, uint64_t *v,
    size_t *hlen)
{
	unsigned ai = p[0] & 31, i, nb;

	*mt = p[0] >> 5;
	*v = ai;
	*hlen = 1;
	if (ai >= 24 && ai <= 27) {
		nb = 1u << (ai - 24);
		*v = 0;
		for (i = 0; i < nb && 1 + i < len; i++)
			*v = (*v << 8) | p[1 + i];
		*hlen = 1 + nb;
	}
}

static int
cose_parse(const unsigned char *p, size_t n, const char *what,
    struct kc_nrf_msg *m)
{
	cbor_item_t *arr = NULL, *e[4] = { NULL };
	const unsigned char *d;
	const char *why = "";
	size_t dn, i, pos = 0, hlen;
	unsigned mt;
	uint64_t tag;
	int rc;

	/* The tag is read here, not by libcbor: libcbor 0.8 refuses tags
	 * 6..20 (COSE_Sign1 is 18) as "unassigned". */
	if (cbor_scan(p, n, &pos, 0, &why) != 0)
		return kc_err(KC_ERR_INPUT, "%s: the COSE part is not valid "
		    "CBOR: %s at byte %zu", what, why, pos);
	if (pos != n)
		return kc_err(KC_ERR_INPUT, "%s: the COSE part has %zu trailing "
		    "bytes after the CBOR item", what, n - pos);
	cbor_head(p, n, &mt, &tag, &hlen);
	if (mt != 6)
		return kc_err(KC_ERR_INPUT, "%s: COSE part is not tagged 18 "
		    "(COSE_Sign1)", what);
	if (tag != CBOR_TAG_COSE_SIGN1)
		return kc_err(KC_ERR_INPUT, "%s: COSE part has CBOR tag %llu, "
		    "expected 18 (COSE_Sign1)", what, (unsigned long long)tag);
	if ((rc = cbor_parse(p + hlen, n - hlen, what, "the COSE_Sign1",
	    &arr)) != KC_OK)
		return rc;
	rc = KC_ERR_INPUT;
	if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr)) {
		kc_err(rc, "%s: COSE_Sign1 is not an array", what);
		goto out;
	}
	if (cbor_array_size(arr) != 4) {
		kc_err(rc, "%s: COSE_Sign1 array has %zu elements, expected 4",
		    what, cbor_array_size(arr));
		goto out;
	}
	for (i = 0; i < 4; i++)
		e[i] = cbor_array_get(arr, i);
	if ((rc = cose_protected(e[0], what, m)) != KC_OK)
		goto out;
	if ((rc = cose_unprotected(e[1], what, m)) != KC_OK)
		goto out;
	rc = KC_ERR_INPUT;
	if (bstr_get(e[3], 64, &d, &dn) != 0) {
		kc_err(rc, "%s: COSE signature is not a 64-byte string (ES256)",
		    what);
		goto out;
	}
	memcpy(m->sig, d, 64);
	if (cbor_is_null(e[2])) {
		/* detached payload: an identity message in part1 */
		if (*m->wrapper != '\0' && strcmp(m->wrapper, "%KEYGEN") == 0) {
			kc_err(rc, "%s: %%KEYGEN response without a COSE "
			    "payload", what);
			goto out;
		}
		rc = identity_body(what, m);
	} else if (cbor_isa_bytestring(e[2])) {
		if (strcmp(m->wrapper, "%ATTESTTOKEN") == 0) {
			kc_err(rc, "%s: %%ATTESTTOKEN response with a COSE "
			    "payload (a %%KEYGEN response?)", what);
			goto out;
		}
		if (m->body_len == 0 || m->body[0] != 0x30) {
			kc_err(rc, "%s: the first part of a %%KEYGEN response "
			    "is not DER", what);
			goto out;
		}
		rc = keygen_payload(e[2], what, m);
	} else {
		kc_err(rc, "%s: COSE payload is neither a byte string nor nil",
		    what);
	}
out:
	for (i = 0; i < 4; i++)
		if (e[i] != NULL)
			cbor_decref(&e[i]);
	cbor_decref(&arr);
	return rc;
}

int
kc_nrf_parse(const char *line, size_t len, const char *what,
    struct kc_nrf_msg **out)
{
	struct kc_nrf_msg *m = NULL;
	unsigned char *cose = NULL;
	const char *dot, *wrapper = "";
	size_t cose_len = 0;
	int rc;

	*out = NULL;
	if (what == NULL)
		what = "response";
	if (len > KC_NRF_LINE_MAX)
		return kc_err(KC_ERR_INPUT, "%s: line longer than %d characters",
		    what, KC_NRF_LINE_MAX);
	if (memchr(line, '\0', len) != NULL)
		return kc_err(KC_ERR_INPUT, "%s: NUL byte in the line", what);
	trim(&line, &len);
	if (len >= 8 && memcmp(line, "%KEYGEN:", 8) == 0) {
		wrapper = "%KEYGEN";
		line += 8;
		len -= 8;
	} else if (len >= 13 && memcmp(line, "%ATTESTTOKEN:", 13) == 0) {
		wrapper = "%ATTESTTOKEN";
		line += 13;
		len -= 13;
	} else if (len > 0 && line[0] == '%') {
		return kc_err(KC_ERR_INPUT, "%s: not a %%KEYGEN or %%ATTESTTOKEN "
		    "response", what);
	}
	trim(&line, &len);
	if (len > 0 && line[0] == '"') {
		if (len < 2 || line[len - 1] != '"')
			return kc_err(KC_ERR_INPUT, "%s: unterminated quote "
			    "(truncated response?)", what);
		line++;
		len -= 2;
	} else if (len > 0 && line[len - 1] == '"') {
		return kc_err(KC_ERR_INPUT, "%s: quote at the end but not at "
		    "the start", what);
	}
	if (len == 0)
		return kc_err(KC_ERR_INPUT, "%s: empty response", what);
	if ((dot = memchr(line, '.', len)) == NULL)
		return kc_err(KC_ERR_INPUT, "%s: no '.' between the two "
		    "base64url parts (truncated response, or the COSE part "
		    "missing)", what);
	if (memchr(dot + 1, '.', len - (size_t)(dot + 1 - line)) != NULL)
		return kc_err(KC_ERR_INPUT, "%s: more than one '.' in the "
		    "response", what);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	m->wrapper = wrapper;
	m->sec_tag = -1;
	m->dev_type = -1;
	if ((rc = b64url_decode(line, (size_t)(dot - line), what, "first",
	    NRF_PART1_MAX, &m->body, &m->body_len)) != KC_OK)
		goto out;
	if ((rc = b64url_decode(dot + 1, len - (size_t)(dot + 1 - line), what,
	    "COSE", NRF_COSE_MAX, &cose, &cose_len)) != KC_OK)
		goto out;
	if ((rc = cose_parse(cose, cose_len, what, m)) != KC_OK)
		goto out;
	*out = m;
	m = NULL;
out:
	free(cose);
	kc_nrf_msg_free(m);
	return rc;
}

/* ---- the CSR inside ---- */

char *
kc_nrf_csr_cn(const struct kc_csr *csr)
{
	const X509_NAME_ENTRY *e;
	unsigned char *u = NULL;
	char *s;
	int i, n;

	if (csr == NULL || csr->subject == NULL)
		return NULL;
	i = X509_NAME_get_index_by_NID(csr->subject, NID_commonName, -1);
	if (i < 0 || (e = X509_NAME_get_entry(csr->subject, i)) == NULL)
		return NULL;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return NULL;
	if ((s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, u, (size_t)n);
		s[n] = '\0';
	}
	OPENSSL_free(u);
	return s;
}

/* 1 when s has the shape 8-4-4-4-12 hex digits. */
static int
uuid_shaped(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int
kc_nrf_csr(const struct kc_nrf_msg *m, const char *what, int flags,
    struct kc_csr **out)
{
	struct kc_csr *csr = NULL;
	char *cn = NULL;
	int rc;

	*out = NULL;
	if (m->type == KC_NRF_PUBKEY)
		return kc_err(KC_ERR_INPUT, "%s: a public-key response "
		    "(AT%%KEYGEN=<sec_tag>,2,1) where a CSR is needed: run "
		    "AT%%KEYGEN=<sec_tag>,2,0", what);
	if (m->type != KC_NRF_CSR)
		return kc_err(KC_ERR_INPUT, "%s: an attestation token where a "
		    "%%KEYGEN CSR is needed: run AT%%KEYGEN=<sec_tag>,2,0",
		    what);
	if ((rc = kc_csr_parse(m->body, m->body_len, what, flags, &csr)) !=
	    KC_OK)
		return rc;
	cn = kc_nrf_csr_cn(csr);
	if (cn != NULL && uuid_shaped(cn) &&
	    OPENSSL_strcasecmp(cn, m->uuid_str) != 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR's CN %s is a UUID but "
		    "not the attested device UUID %s (mixed-up or altered "
		    "response)", what, cn, m->uuid_str);
		goto out;
	}
	*out = csr;
	csr = NULL;
out:
	free(cn);
	kc_csr_free(csr);
	return rc;
}

/* ---- lines of a file ---- */

void
kc_nrf_lines_init(struct kc_nrf_lines *it, const void *data, size_t len)
{
	it->p = data;
	it->len = len;
	it->pos = 0;
	it->lineno = 0;
}

int
kc_nrf_lines_next(struct kc_nrf_lines *it, const char **line, size_t *len,
    unsigned long *lineno)
{
	const char *s, *nl;
	size_t n;

	while (it->pos < it->len) {
		s = it->p + it->pos;
		nl = memchr(s, '\n', it->len - it->pos);
		n = nl != NULL ? (size_t)(nl - s) : it->len - it->pos;
		it->pos += n + (nl != NULL);
		it->lineno++;
		if (kc_nrf_line_skip(s, n))
			continue;
		*line = s;
		*len = n;
		*lineno = it->lineno;
		return 1;
	}
	return 0;
}

/* ---- fuzzing entry point ---- */

int
kc_nrf_fuzz(const uint8_t *data, size_t len)
{
	struct kc_nrf_lines it;
	struct kc_nrf_msg *m;
	struct kc_csr *csr;
	const char *line;
	unsigned long lineno;
	size_t n;

	kc_nrf_lines_init(&it, data, len);
	while (kc_nrf_lines_next(&it, &line, &n, &lineno)) {
		if (kc_nrf_parse(line, n, "fuzz", &m) != KC_OK)
			continue;
		if (m->type == KC_NRF_CSR &&
		    kc_nrf_csr(m, "fuzz", KC_CSR_NO_SUBJECT_CHECK, &csr) ==
		    KC_OK)
			kc_csr_free(csr);
		kc_nrf_msg_free(m);
	}
	kc_err_clear();
	return 0;
}

static size_t
b64url_encode(const uint8_t *d, size_t n, char *o)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, k = 0;

	for (i = 0; i + 2 < n; i += 3) {
		o[k++] = a[d[i] >> 2];
		o[k++] = a[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		o[k++] = a[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
		o[k++] = a[d[i + 2] & 63];
	}
	if (n - i == 1) {
		o[k++] = a[d[i] >> 2];
		o[k++] = a[(d[i] & 3) << 4];
	} else if (n - i == 2) {
		o[k++] = a[d[i] >> 2];
		o[k++] = a[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		o[k++] = a[(d[i + 1] & 15) << 2];
	}
	return k;
}

int
kc_nrf_fuzz_raw(const uint8_t *data, size_t len)
{
	struct kc_nrf_msg *m;
	struct kc_csr *csr;
	size_t p1, k;
	char *line;

	if (len < 2 || len > KC_NRF_LINE_MAX)
		return 0;
	p1 = (size_t)data[0] | (size_t)data[1] << 8;
	data += 2;
	len -= 2;
	if (p1 > len)
		p1 = len;
	if ((line = malloc(2 * len + 8)) == NULL)
		return 0;
	k = b64url_encode(data, p1, line);
	line[k++] = '.';
	k += b64url_encode(data + p1, len - p1, line + k);
	if (kc_nrf_parse(line, k, "fuzz", &m) == KC_OK) {
		if (m->type == KC_NRF_CSR &&
		    kc_nrf_csr(m, "fuzz", KC_CSR_NO_SUBJECT_CHECK, &csr) ==
		    KC_OK)
			kc_csr_free(csr);
		kc_nrf_msg_free(m);
	}
	free(line);
	kc_err_clear();
	return 0;
}

/*
 * nrf_cose.c: the COSE_Sign1 part of an nRF91 response: a bounded CBOR
 * well-formedness check, then the COSE_Sign1 structure (protected header
 * ES256, kid), the %KEYGEN payload (type, device UUID, sec_tag, the
 * SHA-256 of the first part, nonce) or the %ATTESTTOKEN identity message,
 * through libcbor. The signature is kept, not verified here.
 *
 * All input is untrusted: CBOR is pre-scanned (definite lengths only,
 * nesting <= NRF_DEPTH_MAX, declared sizes within the remaining bytes)
 * before libcbor allocates anything, and nothing asserts on input.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "kc/core/error.h"
#include "kc/factory/nrf.h"
#include "nrf_int.h"

#define NRF_DEPTH_MAX	8
#define CBOR_TAG_COSE_SIGN1	18
#define CBOR_TAG_SELF_DESCRIBE	55799
#define COSE_ALG_ES256	(-7)

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

/* A payload of five items: [type, ...] in CBOR, with an optional
 * self-describe tag. The references in e[] and the two below are the
 * caller's, released by five_free (also after a failure). */
struct five {
	cbor_item_t	*root, *pl, *e[5];
};

/* Loads the five items of d (n bytes) into f; noun names the payload in
 * messages ("COSE payload"), fields lists its items. */
static int
five_load(const unsigned char *d, size_t n, const char *what,
    const char *part, const char *noun, const char *fields, struct five *f)
{
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = cbor_parse(d, n, what, part, &f->root)) != KC_OK)
		return rc;
	f->pl = cbor_untag_sd(f->root);
	if (!cbor_isa_array(f->pl) || !cbor_array_is_definite(f->pl))
		return kc_err(KC_ERR_INPUT, "%s: %s is not an array", what,
		    noun);
	if (cbor_array_size(f->pl) != 5)
		return kc_err(KC_ERR_INPUT, "%s: %s array has %zu elements, "
		    "expected 5 (%s)", what, noun, cbor_array_size(f->pl),
		    fields);
	for (size_t i = 0; i < 5; i++)
		f->e[i] = cbor_array_get(f->pl, i);
	return KC_OK;
}

static void
five_free(struct five *f)
{
	for (size_t i = 0; i < 5; i++)
		if (f->e[i] != NULL)
			cbor_decref(&f->e[i]);
	if (f->pl != NULL)
		cbor_decref(&f->pl);
	if (f->root != NULL)
		cbor_decref(&f->root);
}

/* A 16-byte string (UUID, nonce) into out; name for the message. */
static int
get16(cbor_item_t *it, const char *what, const char *name,
    unsigned char out[16])
{
	const unsigned char *d;
	size_t n;

	if (bstr_get(it, 16, &d, &n) != 0)
		return kc_err(KC_ERR_INPUT, "%s: %s is not a 16-byte string",
		    what, name);
	memcpy(out, d, 16);
	return KC_OK;
}

/* %KEYGEN payload: [type, UUID, bstr(CBOR sec_tag), SHA-256, nonce]. */
static int
keygen_payload(cbor_item_t *it, const char *what, struct kc_nrf_msg *m)
{
	struct five f;
	cbor_item_t *st = NULL, **e = f.e;
	const unsigned char *d;
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t n, i;
	long v;
	int rc, r;

	if (bstr_get(it, 0, &d, &n) != 0 || n == 0)
		return kc_err(KC_ERR_INPUT, "%s: COSE payload is not a "
		    "non-empty byte string", what);
	if ((rc = five_load(d, n, what, "the COSE payload", "COSE payload",
	    "type, UUID, sec_tag, digest, nonce", &f)) != KC_OK)
		goto out;
	rc = KC_ERR_INPUT;
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
	if ((rc = get16(e[1], what, "device UUID", m->uuid)) != KC_OK)
		goto out;
	uuid_fmt(m->uuid, m->uuid_str);
	rc = KC_ERR_INPUT;
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
	rc = get16(e[4], what, "nonce", m->nonce);
out:
	if (st != NULL)
		cbor_decref(&st);
	five_free(&f);
	return rc;
}

/* %ATTESTTOKEN part1: [1, UUID, device type, firmware UUID, nonce]. */
static int
identity_body(const char *what, struct kc_nrf_msg *m)
{
	struct five f;
	unsigned char fw[16];
	long v;
	int rc;

	if ((rc = five_load(m->body, m->body_len, what, "the identity message",
	    "identity message", "type, UUID, device type, firmware UUID, "
	    "nonce", &f)) != KC_OK)
		goto out;
	rc = KC_ERR_INPUT;
	if (int_get(f.e[0], KC_NRF_IDENTITY, KC_NRF_IDENTITY, &v) != 1) {
		kc_err(rc, "%s: identity message type is not 1", what);
		goto out;
	}
	m->type = KC_NRF_IDENTITY;
	if ((rc = get16(f.e[1], what, "device UUID", m->uuid)) != KC_OK)
		goto out;
	uuid_fmt(m->uuid, m->uuid_str);
	if (int_get(f.e[2], 0, 65535, &v) != 1) {
		rc = kc_err(KC_ERR_INPUT, "%s: device type is not an integer "
		    "0..65535", what);
		goto out;
	}
	m->dev_type = v;
	if ((rc = get16(f.e[3], what, "modem firmware UUID", fw)) != KC_OK)
		goto out;
	uuid_fmt(fw, m->fw_uuid_str);
	rc = get16(f.e[4], what, "nonce", m->nonce);
out:
	five_free(&f);
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

int
kc_nrf_cose_parse(const unsigned char *p, size_t n, const char *what,
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

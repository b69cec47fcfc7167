/*
 * nrf.c: parser of nRF91 modem responses (%KEYGEN, %ATTESTTOKEN): the
 * line wrapper (prefix, quotes, the two parts), strict base64url, the
 * lines of a response file, the CSR inside a %KEYGEN response, and the
 * fuzzing entry points. The COSE_Sign1 part (bounded CBOR, the payloads,
 * the digest check) is nrf_cose.c.
 *
 * All input is untrusted: every length is checked before use and nothing
 * asserts on input.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/factory/nrf.h"
#include "nrf_int.h"

#define NRF_PART1_MAX	4096	/* decoded bytes */
#define NRF_COSE_MAX	1024

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
	if ((rc = kc_nrf_cose_parse(cose, cose_len, what, m)) != KC_OK)
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

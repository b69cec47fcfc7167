/*
 * nrf_out.c: what goes back to nRF91 devices and to nRF Cloud: the
 * AT%CMNG provisioning script (with the SHA-256 the modem will list) and
 * nRF Cloud onboarding CSV rows.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "kc/error.h"
#include "kc/factory.h"
#include "kc/nrf.h"

/* The modem's limit for one credential. */
#define NRF_CRED_MAX 4096

/* A growable text buffer. */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	char *np;
	size_t nc;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		nc = b->cap ? b->cap : 1024;
		while (nc < b->len + n + 1)
			nc *= 2;
		if ((np = realloc(b->p, nc)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* PEM text with every line ending in CRLF (LF or CRLF accepted on input;
 * a missing final newline is added). Refuses quotes and anything outside
 * printable ASCII. */
static int
pem_crlf(const char *pem, const char *what, struct buf *out)
{
	const char *p;

	if (pem == NULL || *pem == '\0')
		return kc_err(KC_ERR_INPUT, "%s: empty PEM", what);
	for (p = pem; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n') {
			buf_add(out, "\r\n", 2);
		} else if (c == '\r') {
			if (p[1] != '\n')
				return kc_err(KC_ERR_INPUT, "%s: bare CR in "
				    "the PEM", what);
		} else if (c == '"' || c < 0x20 || c > 0x7e) {
			return kc_err(KC_ERR_INPUT, "%s: the PEM holds a byte "
			    "0x%02x that cannot go inside an AT%%CMNG string",
			    what, c);
		} else {
			buf_add(out, p, 1);
		}
	}
	if (out->len < 2 || out->p[out->len - 1] != '\n')
		buf_add(out, "\r\n", 2);
	if (out->err)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (out->len > NRF_CRED_MAX)
		return kc_err(KC_ERR_INPUT, "%s: %zu bytes, more than the "
		    "modem's %d-byte limit for one credential", what,
		    out->len, NRF_CRED_MAX);
	return KC_OK;
}

static void
sha256_upper(const char *s, size_t n, char out[65])
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)s, n, md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
}

int
kc_nrf_at_script(long sec_tag, const char *ca_pem, const char *cred_pem,
    char **text, size_t *len, char cred_sha256[65], char ca_sha256[65])
{
	struct buf b = { 0 }, ca = { 0 }, cred = { 0 };
	char line[64];
	int rc;

	*text = NULL;
	*len = 0;
	if (sec_tag < 0 || sec_tag > KC_NRF_SEC_TAG_MAX)
		return kc_err(KC_ERR_USAGE, "sec_tag %ld outside 0..2147483647",
		    sec_tag);
	if (ca_pem != NULL &&
	    (rc = pem_crlf(ca_pem, "CA certificate", &ca)) != KC_OK)
		goto out;
	if ((rc = pem_crlf(cred_pem, "client certificate chain", &cred)) !=
	    KC_OK)
		goto out;
	buf_str(&b, "AT+CFUN=4\r\n");
	if (ca_pem != NULL) {
		snprintf(line, sizeof(line), "AT%%CMNG=0,%ld,0,\"", sec_tag);
		buf_str(&b, line);
		buf_add(&b, ca.p, ca.len);
		buf_str(&b, "\"\r\n");
		sha256_upper(ca.p, ca.len, ca_sha256);
	}
	snprintf(line, sizeof(line), "AT%%CMNG=0,%ld,1,\"", sec_tag);
	buf_str(&b, line);
	buf_add(&b, cred.p, cred.len);
	buf_str(&b, "\"\r\n");
	sha256_upper(cred.p, cred.len, cred_sha256);
	buf_str(&b, "AT+CFUN=1\r\n");
	if (b.err) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	*text = b.p;
	*len = b.len;
	b.p = NULL;
	rc = KC_OK;
out:
	free(b.p);
	free(ca.p);
	free(cred.p);
	return rc;
}

/* A CSV field of the onboarding file: printable ASCII without ',' '"'. */
static int
csv_field_ok(const char *s, const char *name, const char *id)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e || c == ',' || c == '"')
			return kc_err(KC_ERR_INPUT, "device %s: %s \"%s\" holds "
			    "a character not allowed in the nRF Cloud CSV "
			    "(comma, quote, control or non-ASCII)", id, name, s);
	}
	return KC_OK;
}

int
kc_nrf_cloud_row(const char *device_id, const char *subtype,
    const char *tags, const char *fw_types, const char *cert_pem,
    char **row, size_t *len)
{
	struct buf b = { 0 };
	const char *p;
	int rc;

	*row = NULL;
	*len = 0;
	if (device_id == NULL || *device_id == '\0')
		return kc_err(KC_ERR_INPUT, "empty device ID in the nRF Cloud "
		    "CSV");
	if ((rc = csv_field_ok(device_id, "device ID", device_id)) != KC_OK ||
	    (rc = csv_field_ok(subtype, "subtype", device_id)) != KC_OK ||
	    (rc = csv_field_ok(tags, "tags", device_id)) != KC_OK ||
	    (rc = csv_field_ok(fw_types, "fw_types", device_id)) != KC_OK)
		return rc;
	if (cert_pem == NULL || strstr(cert_pem, "-----BEGIN CERTIFICATE-----")
	    == NULL)
		return kc_err(KC_ERR_INPUT, "device %s: no certificate PEM",
		    device_id);
	{
		/* every field quoted (RFC 4180); no field a spreadsheet would
		 * run as a formula, whoever opens the file */
		const char *v[4] = { device_id, subtype, tags, fw_types };
		static const char *const what[4] = { "device ID", "subtype",
		    "tags", "fw_types" };

		for (int i = 0; i < 4; i++) {
			char *q = NULL;

			if ((rc = kc_csv_field(v[i], what[i], &q)) != KC_OK) {
				free(b.p);
				return rc;
			}
			buf_str(&b, q);
			buf_str(&b, ",");
			free(q);
		}
	}
	buf_str(&b, "\"");
	for (p = cert_pem; *p != '\0'; p++) {
		if (*p == '"') {
			free(b.p);
			return kc_err(KC_ERR_INPUT, "device %s: quote in the "
			    "certificate PEM", device_id);
		}
		if (*p != '\r')
			buf_add(&b, p, 1);
	}
	while (b.len > 0 && b.p[b.len - 1] == '\n')
		b.len--;
	buf_str(&b, "\n\"\n");
	if (b.err) {
		free(b.p);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*row = b.p;
	*len = b.len;
	return KC_OK;
}

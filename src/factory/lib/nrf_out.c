/*
 * nrf_out.c: what goes back to nRF91 devices and to nRF Cloud: the one
 * AT%CMNG provisioning script of factorysign (keygen and --format at),
 * with the SHA-256 values the modem will list and its size limits, and
 * nRF Cloud onboarding CSV rows.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "kc/core/error.h"
#include "kc/factory/csv.h"
#include "kc/factory/nrf.h"
#include "factory_int.h"

/* A growable text buffer: struct kc_buf (never realloc'd: the AT script
 * may hold a device key in clear, and realloc would leave the old block
 * unwiped), whose first failure sticks and is checked once at the end. */
struct buf {
	struct kc_buf	 kb;
	int		 err;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (!b->err && kc_buf_add(&b->kb, s, n) != KC_OK)
		b->err = 1;
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
	if (out->kb.len < 2 || out->kb.p[out->kb.len - 1] != '\n')
		buf_add(out, "\r\n", 2);
	if (out->err)
		return kc_err(KC_ERR_NOMEM, "out of memory");
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

/* Appends "; " and the text to the warnings (cut when full). */
static void
warn_add(struct kc_nrf_at *at, const char *text)
{
	size_t n = strlen(at->warn);

	if (n + 2 < sizeof(at->warn))
		snprintf(at->warn + n, sizeof(at->warn) - n, "%s%s",
		    n > 0 ? "; " : "", text);
}

/* The size limits of one credential (its text) and of its AT command
 * (without the final CRLF): past them, a warning, or with strict an
 * error. */
static int
size_check(struct kc_nrf_at *at, const char *what, size_t cred_len,
    size_t cmd_len, int strict)
{
	char msg[256];

	if (cred_len > KC_NRF_CRED_MAX) {
		snprintf(msg, sizeof(msg), "the %s is %zu bytes, more than the "
		    "modem's %d-byte (4 kB) limit for one credential", what,
		    cred_len, KC_NRF_CRED_MAX);
		if (strict)
			return kc_err(KC_ERR_INPUT, "%s", msg);
		warn_add(at, msg);
	}
	if (cmd_len > KC_NRF_AT_CMD_MAX) {
		snprintf(msg, sizeof(msg), "the AT%%CMNG command writing the %s "
		    "is %zu bytes, more than the %d that the nRF Connect SDK "
		    "at_host buffer (CONFIG_AT_HOST_CMD_MAX_LEN=4096) takes",
		    what, cmd_len, KC_NRF_AT_CMD_MAX);
		if (strict)
			return kc_err(KC_ERR_INPUT, "%s", msg);
		warn_add(at, msg);
	}
	return KC_OK;
}

/* One AT%CMNG=0 write of a credential of type type, and its line in the
 * sums. */
static int
at_write(struct kc_nrf_at *at, struct buf *b, struct buf *sums,
    long sec_tag, int type, const char *pem, const char *what,
    char sha[65], int strict)
{
	struct buf c = { 0 };
	char line[96];
	size_t start = b->kb.len;
	int rc;

	if ((rc = pem_crlf(pem, what, &c)) != KC_OK)
		goto out;
	snprintf(line, sizeof(line), "AT%%CMNG=0,%ld,%d,\"", sec_tag, type);
	buf_str(b, line);
	buf_add(b, c.kb.p, c.kb.len);
	buf_str(b, "\"");
	if ((rc = size_check(at, what, c.kb.len, b->kb.len - start,
	    strict)) != KC_OK)
		goto out;
	buf_str(b, "\r\n");
	sha256_upper(c.kb.p, c.kb.len, sha);
	snprintf(line, sizeof(line), "%ld,%d,", sec_tag, type);
	buf_str(sums, line);
	buf_str(sums, sha);
	buf_str(sums, "\n");
	rc = KC_OK;
out:
	kc_buf_free(&c.kb);
	return rc;
}

int
kc_nrf_at_make(long sec_tag, const char *ca_pem, const char *cred_pem,
    const char *key_pem, int strict, struct kc_nrf_at *at)
{
	struct buf b = { 0 }, sums = { 0 };
	int rc;

	memset(at, 0, sizeof(*at));
	if (sec_tag < 0 || sec_tag > KC_NRF_SEC_TAG_MAX)
		return kc_err(KC_ERR_USAGE, "sec_tag %ld outside 0..2147483647",
		    sec_tag);
	buf_str(&b, "AT+CFUN=4\r\n");
	if ((ca_pem != NULL && (rc = at_write(at, &b, &sums, sec_tag, 0,
	    ca_pem, "CA certificate", at->ca_sha256, strict)) != KC_OK) ||
	    (rc = at_write(at, &b, &sums, sec_tag, 1, cred_pem,
	    "client certificate chain", at->cred_sha256, strict)) != KC_OK ||
	    (key_pem != NULL && (rc = at_write(at, &b, &sums, sec_tag, 2,
	    key_pem, "private key", at->key_sha256, strict)) != KC_OK))
		goto out;
	buf_str(&b, "AT+CFUN=1\r\n");
	if (b.err || sums.err) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	at->text = b.kb.p;
	at->len = b.kb.len;
	at->sums = sums.kb.p;
	at->sums_len = sums.kb.len;
	b.kb.p = sums.kb.p = NULL;
	rc = KC_OK;
out:
	kc_buf_free(&b.kb);
	free(sums.kb.p);
	return rc;
}

void
kc_nrf_at_free(struct kc_nrf_at *at)
{
	if (at == NULL)
		return;
	if (at->text != NULL)
		OPENSSL_cleanse(at->text, at->len);
	free(at->text);
	free(at->sums);
	memset(at, 0, sizeof(*at));
}

int
kc_nrf_at_script(long sec_tag, const char *ca_pem, const char *cred_pem,
    char **text, size_t *len, char cred_sha256[65], char ca_sha256[65])
{
	struct kc_nrf_at at;
	int rc;

	*text = NULL;
	*len = 0;
	if ((rc = kc_nrf_at_make(sec_tag, ca_pem, cred_pem, NULL, 1, &at)) !=
	    KC_OK)
		return rc;
	memcpy(cred_sha256, at.cred_sha256, 65);
	if (ca_pem != NULL)
		memcpy(ca_sha256, at.ca_sha256, 65);
	*text = at.text;
	*len = at.len;
	free(at.sums);
	return KC_OK;
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
				free(b.kb.p);
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
			free(b.kb.p);
			return kc_err(KC_ERR_INPUT, "device %s: quote in the "
			    "certificate PEM", device_id);
		}
		if (*p != '\r')
			buf_add(&b, p, 1);
	}
	while (b.kb.len > 0 && b.kb.p[b.kb.len - 1] == '\n')
		b.kb.len--;
	buf_str(&b, "\n\"\n");
	if (b.err) {
		free(b.kb.p);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	*row = b.kb.p;
	*len = b.kb.len;
	return KC_OK;
}

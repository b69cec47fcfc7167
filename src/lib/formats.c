/*
 * formats.c: factorysign's output formats and private-key files.
 *   pfx  PKCS#12: key + leaf + intermediate, AES-256-CBC under PBKDF2
 *        (HMAC-SHA256), MAC HMAC-SHA256, for .NET/Windows clients
 *   c    C string literals named as in the Azure IoT C SDK custom HSM
 *        sample (COMMON_NAME, CERTIFICATE, PRIVATE_KEY)
 *   at   an AT%CMNG script for nRF91 modems, CRLF line ends
 * Keys: PKCS#8 PEM, encrypted with AES-256-CBC under scrypt (the
 * intermediate) or PBKDF2 (device keys), or in clear when asked for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "kc/error.h"
#include "kc/factory.h"
#include "kc/fileio.h"
#include "factory_int.h"

#define KC_PBKDF2_ITER	100000	/* device keys and PKCS#12 */
/* The intermediate key: scrypt N = 2^14, r = 8 (16 MiB: N * r * 128; N =
 * 2^15 would need 32 MiB + 2 KiB, over OpenSSL's default 32 MiB limit for
 * decoding) and p = 10, which makes unlocking take about 0.45 s on one core
 * of the 2-core reference machine (p = 1: 0.05 s). Keys written with other
 * parameters (before issue 12: p = 1) open as before: OpenSSL reads them
 * from the PKCS#8. */
#define KC_SCRYPT_N	16384
#define KC_SCRYPT_R	8
#define KC_SCRYPT_P	10

int
kc_key_pem(EVP_PKEY *key, const struct kc_secret *pass, int scrypt,
    struct kc_buf *buf)
{
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_SIG *p8 = NULL;
	X509_ALGOR *alg = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem;
	int rc = KC_OK, ok;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return kc_err_ssl(KC_ERR_NOMEM, "key encoding");
	if (pass == NULL) {
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
		    NULL);
	} else {
		if ((p8inf = EVP_PKEY2PKCS8(key)) == NULL)
			goto ssl;
		if (scrypt)
			alg = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0,
			    NULL, KC_SCRYPT_N, KC_SCRYPT_R, KC_SCRYPT_P);
		else
			alg = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(),
			    KC_PBKDF2_ITER, NULL, 0, NULL, NID_hmacWithSHA256);
		if (alg == NULL)
			goto ssl;
		if ((p8 = PKCS8_set0_pbe(pass->buf, (int)pass->len, p8inf,
		    alg)) == NULL)
			goto ssl;
		alg = NULL;
		ok = PEM_write_bio_PKCS8(bio, p8);
	}
	if (!ok)
		goto ssl;
	BIO_get_mem_ptr(bio, &mem);
	rc = kc_buf_add(buf, mem->data, mem->length);
	goto out;
ssl:
	rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the private key");
out:
	X509_ALGOR_free(alg);
	X509_SIG_free(p8);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	BIO_free(bio);
	return rc;
}

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct kc_secret *s = u;

	(void)rwflag;
	if (s == NULL || s->len == 0 || (int)s->len > size)
		return -1;
	memcpy(buf, s->buf, s->len);
	return (int)s->len;
}

int
kc_key_load(const char *path, const struct kc_secret *pass, EVP_PKEY **out)
{
	unsigned char *data = NULL;
	size_t len;
	BIO *bio = NULL;
	int rc, encrypted;

	*out = NULL;
	if ((rc = kc_file_read(path, 64 * 1024, &data, &len)) != KC_OK)
		return rc;
	encrypted = strstr((char *)data, "-----BEGIN ENCRYPTED PRIVATE KEY")
	    != NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		rc = kc_err_ssl(KC_ERR_NOMEM, "%s", path);
		goto out;
	}
	*out = PEM_read_bio_PrivateKey(bio, NULL, pass_cb,
	    (void *)(uintptr_t)pass);
	if (*out == NULL) {
		ERR_clear_error();
		if (encrypted && pass == NULL)
			rc = kc_err(KC_ERR_PIN, "%s: the key is encrypted; a "
			    "passphrase is needed", path);
		else if (encrypted)
			rc = kc_err(KC_ERR_PIN, "%s: wrong passphrase (the key "
			    "cannot be decrypted with it)", path);
		else
			rc = kc_err(KC_ERR_INPUT, "%s: not a PEM private key",
			    path);
	}
out:
	BIO_free(bio);
	OPENSSL_clear_free(data, len);
	return rc;
}

int
kc_format_pfx(const struct kc_outputs *o, const struct kc_secret *pass,
    struct kc_buf *buf)
{
	STACK_OF(X509) *ca = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int n, rc = KC_OK;

	if (o->key == NULL || o->leaf == NULL || pass == NULL)
		return kc_err(KC_ERR_USAGE, "--format pfx needs the device key "
		    "and --pfx-pass-file");
	if ((ca = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(ca, (X509 *)(uintptr_t)o->inter))
		goto ssl;
	p12 = PKCS12_create_ex(pass->buf, o->id, o->key, o->leaf, ca,
	    NID_aes_256_cbc, NID_aes_256_cbc, KC_PBKDF2_ITER, -1, 0, NULL,
	    NULL);
	if (p12 == NULL ||
	    !PKCS12_set_mac(p12, pass->buf, (int)pass->len, NULL, 0,
	    KC_PBKDF2_ITER, EVP_sha256()))
		goto ssl;
	if ((n = i2d_PKCS12(p12, &der)) <= 0)
		goto ssl;
	rc = kc_buf_add(buf, der, (size_t)n);
	goto out;
ssl:
	rc = kc_err_ssl(KC_ERR_CRYPTO, "%s: cannot make the PKCS#12 file",
	    o->id);
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS12_free(p12);
	sk_X509_free(ca);
	return rc;
}

/* PEM text as C string literal lines: "line\n" */
static int
c_literal(struct kc_buf *b, const char *pem)
{
	int rc = KC_OK;

	while (*pem != '\0' && rc == KC_OK) {
		size_t n = strcspn(pem, "\n");
		if ((rc = kc_buf_add(b, "\"", 1)) == KC_OK &&
		    (rc = kc_buf_add(b, pem, n)) == KC_OK)
			rc = kc_buf_add(b, pem[n] == '\n' ? "\\n\"\n" : "\"\n",
			    pem[n] == '\n' ? 4 : 2);
		pem += n + (pem[n] == '\n');
	}
	return rc;
}

int
kc_format_c(const struct kc_outputs *o, const char *key_pem,
    struct kc_buf *b)
{
	char head[512];
	int rc;

	snprintf(head, sizeof(head),
	    "/*\n * Device credentials for %s, written by factorysign.\n"
	    " * CERTIFICATE is the chain the device presents (leaf +\n"
	    " * intermediate)%s. Names as in the Azure IoT C SDK custom HSM\n"
	    " * sample (custom_hsm_example.c).\n */\n"
	    "static const char* const COMMON_NAME = \"%s\";\n"
	    "static const char* const CERTIFICATE =\n",
	    o->id, key_pem != NULL ? "; PRIVATE_KEY is the device key IN "
	    "CLEAR TEXT: keep this file secret" : "", o->id);
	if ((rc = kc_buf_add(b, head, strlen(head))) != KC_OK ||
	    (rc = c_literal(b, o->chain_pem)) != KC_OK ||
	    (rc = kc_buf_add(b, ";\n", 2)) != KC_OK)
		return rc;
	if (key_pem == NULL)
		return KC_OK;
	snprintf(head, sizeof(head),
	    "static const char* const PRIVATE_KEY =\n");
	if ((rc = kc_buf_add(b, head, strlen(head))) != KC_OK ||
	    (rc = c_literal(b, key_pem)) != KC_OK)
		return rc;
	return kc_buf_add(b, ";\n", 2);
}

/* PEM with CRLF line ends, no trailing line end. */
static int
crlf(struct kc_buf *b, const char *pem)
{
	int rc = KC_OK;

	while (*pem != '\0' && rc == KC_OK) {
		size_t n = strcspn(pem, "\n");
		rc = kc_buf_add(b, pem, n);
		pem += n;
		if (*pem == '\n')
			pem++;
		if (rc == KC_OK && *pem != '\0')
			rc = kc_buf_add(b, "\r\n", 2);
	}
	return rc;
}

int
kc_format_at(const struct kc_outputs *o, const char *key_pem, int sec_tag,
    struct kc_buf *b)
{
	char line[128];
	int rc;

	if (sec_tag < 0)
		return kc_err(KC_ERR_USAGE, "--format at needs --sec-tag");
	/* writing credentials needs the modem offline (CFUN=4) */
	snprintf(line, sizeof(line), "AT+CFUN=4\r\nAT%%CMNG=0,%d,1,\"",
	    sec_tag);
	if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK ||
	    (rc = crlf(b, o->chain_pem)) != KC_OK ||
	    (rc = kc_buf_add(b, "\"\r\n", 3)) != KC_OK)
		return rc;
	if (key_pem != NULL) {
		snprintf(line, sizeof(line), "AT%%CMNG=0,%d,2,\"", sec_tag);
		if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK ||
		    (rc = crlf(b, key_pem)) != KC_OK ||
		    (rc = kc_buf_add(b, "\"\r\n", 3)) != KC_OK)
			return rc;
	}
	/* list: the modem answers with the SHA-256 of what it stored */
	snprintf(line, sizeof(line), "AT%%CMNG=1,%d\r\n", sec_tag);
	return kc_buf_add(b, line, strlen(line));
}

int
kc_csv_field(const char *s, const char *what, char **out)
{
	size_t n = 0, o = 0;
	char *q;

	*out = NULL;
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r')
		return kc_err(KC_ERR_INPUT, "%s '%s' starts with a character a "
		    "spreadsheet reads as a formula (= + - @ tab CR); refusing "
		    "to write it into a CSV", what, s);
	for (const char *p = s; *p != '\0'; p++)
		n += *p == '"' ? 2 : 1;
	if ((q = malloc(n + 3)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	q[o++] = '"';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			q[o++] = '"';
		q[o++] = *p;
	}
	q[o++] = '"';
	q[o] = '\0';
	*out = q;
	return KC_OK;
}

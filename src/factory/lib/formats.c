/*
 * formats.c: factorysign's output formats and private-key files.
 *   pfx  PKCS#12: key + leaf + intermediate, AES-256-CBC under PBKDF2
 *        (HMAC-SHA256), MAC HMAC-SHA256, for .NET/Windows clients
 *   c    C string literals named as in the Azure IoT C SDK custom HSM
 *        sample (COMMON_NAME, CERTIFICATE, PRIVATE_KEY)
 *   at   the AT%CMNG script for nRF91 modems (kc_nrf_at_make) and the
 *        SHA-256 values AT%CMNG=1 will list
 * Keys: PKCS#8 PEM, encrypted with AES-256-CBC under scrypt (the
 * intermediate) or PBKDF2 (device keys; DES-EDE3-CBC under PBKDF2 for
 * mbedTLS 2.28 when asked for), or in clear when asked for.
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

#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "kc/factory/nrf.h"
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
kc_key_pem(EVP_PKEY *key, const struct kc_secret *pass, int enc,
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
		if (enc == KC_KEYENC_SCRYPT)
			alg = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0,
			    NULL, KC_SCRYPT_N, KC_SCRYPT_R, KC_SCRYPT_P);
		else if (enc == KC_KEYENC_PBKDF2_3DES)
			/* mbedTLS 2.28 decrypts PBES2 only with DES or
			 * 3DES (tests/first-use/mbedkey.c): the KDF stays */
			alg = PKCS5_pbe2_set_iv(EVP_des_ede3_cbc(),
			    KC_PBKDF2_ITER, NULL, 0, NULL, NID_hmacWithSHA256);
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

/* Characters C99 compilers must accept in one string literal, after
 * adjacent literals are joined (C99 5.2.4.1). */
#define KC_C_LITERAL_MAX 4095

/* n characters of PEM text as C string literal lines: "line\n" */
static int
c_literal(struct kc_buf *b, const char *pem, size_t len, const char *indent)
{
	const char *end = pem + len;
	int rc = KC_OK;

	while (pem < end && rc == KC_OK) {
		const char *nl = memchr(pem, '\n', (size_t)(end - pem));
		size_t n = nl != NULL ? (size_t)(nl - pem) : (size_t)(end - pem);

		if ((rc = kc_buf_add(b, indent, strlen(indent))) == KC_OK &&
		    (rc = kc_buf_add(b, "\"", 1)) == KC_OK &&
		    (rc = kc_buf_add(b, pem, n)) == KC_OK)
			rc = kc_buf_add(b, nl != NULL ? "\\n\"\n" : "\"\n",
			    nl != NULL ? 4 : 2);
		pem += n + (nl != NULL);
	}
	return rc;
}

/*
 * static const char* const NAME = the PEM text. Up to KC_C_LITERAL_MAX
 * characters it is one literal, as in the Azure sample; a longer text
 * (an RSA-4096 chain) is cut at line ends into parts of at most that
 * many, kept one after the other in one object (char arrays without
 * padding, which a C99 array-size check proves at compile time), and NAME
 * points at the whole text, as before.
 */
static int
c_string(struct kc_buf *b, const char *name, const char *pem)
{
	size_t len = strlen(pem), off, cut[64], nparts = 0, i;
	char line[256];
	int rc;

	if (len <= KC_C_LITERAL_MAX) {
		snprintf(line, sizeof(line), "static const char* const %s =\n",
		    name);
		if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK ||
		    (rc = c_literal(b, pem, len, "")) != KC_OK)
			return rc;
		return kc_buf_add(b, ";\n", 2);
	}
	for (off = 0; off < len; ) {
		size_t n = len - off, l;

		if (n > KC_C_LITERAL_MAX) {
			/* the last line end within the limit */
			for (l = KC_C_LITERAL_MAX; l > 0 && pem[off + l - 1] !=
			    '\n'; l--)
				;
			n = l > 0 ? l : KC_C_LITERAL_MAX;
		}
		if (nparts == sizeof(cut) / sizeof(cut[0]))
			return kc_err(KC_ERR_INPUT, "%s: %zu characters, too "
			    "long for the C output", name, len);
		cut[nparts++] = n;
		off += n;
	}
	snprintf(line, sizeof(line), "/* %s: %zu characters, more than the "
	    "%d a C99 compiler must take\n * in one string literal: %zu parts, "
	    "one after the other. */\nstatic const struct {\n", name, len,
	    KC_C_LITERAL_MAX, nparts);
	if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK)
		return rc;
	for (i = 0; i < nparts; i++) {
		snprintf(line, sizeof(line), "\tchar part%zu[%zu] "
		    "KC_NONSTRING;\n", i + 1, cut[i]);
		if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK)
			return rc;
	}
	snprintf(line, sizeof(line), "\tchar nul;\n} %s_PARTS = {\n", name);
	if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK)
		return rc;
	for (i = 0, off = 0; i < nparts; off += cut[i], i++)
		if ((rc = c_literal(b, pem + off, cut[i], "\t")) != KC_OK ||
		    (rc = kc_buf_add(b, "\t,\n", 3)) != KC_OK)
			return rc;
	snprintf(line, sizeof(line), "\t'\\0'\n};\ntypedef char "
	    "%s_PARTS_have_no_padding[sizeof(%s_PARTS) == %zu ? 1 : -1];\n"
	    "static const char* const %s = (const char *)&%s_PARTS;\n", name,
	    name, len + 1, name, name);
	return kc_buf_add(b, line, strlen(line));
}

int
kc_format_c(const struct kc_outputs *o, const char *key_pem,
    struct kc_buf *b)
{
	char head[1024];
	int rc;

	snprintf(head, sizeof(head),
	    "/*\n * Device credentials for %s, written by factorysign.\n"
	    " * CERTIFICATE is the chain the device presents (leaf +\n"
	    " * intermediate)%s. Names as in the Azure IoT C SDK custom HSM\n"
	    " * sample (custom_hsm_example.c).\n */\n"
	    "#if defined(__has_attribute)\n"
	    "#if __has_attribute(nonstring)\n"
	    "#define KC_NONSTRING __attribute__((nonstring))\n"
	    "#endif\n"
	    "#endif\n"
	    "#ifndef KC_NONSTRING\n"
	    "#define KC_NONSTRING\n"
	    "#endif\n"
	    "static const char* const COMMON_NAME = \"%s\";\n",
	    o->id, key_pem != NULL ? "; PRIVATE_KEY is the device key IN "
	    "CLEAR TEXT: keep this file secret" : "", o->id);
	if ((rc = kc_buf_add(b, head, strlen(head))) != KC_OK ||
	    (rc = c_string(b, "CERTIFICATE", o->chain_pem)) != KC_OK)
		return rc;
	if (key_pem == NULL)
		return KC_OK;
	return c_string(b, "PRIVATE_KEY", key_pem);
}

/* The AT%CMNG script through the one writer of factorysign
 * (kc_nrf_at_make: the keygen form, CRLF inside the quotes), and the
 * ID.at.sha256 text with what AT%CMNG=1 will list. */
int
kc_format_at(const struct kc_outputs *o, const char *key_pem,
    const char *ca_pem, int sec_tag, int strict, struct kc_buf *b,
    struct kc_buf *sums, char *warn, size_t warnsz, char cred_sha256[65])
{
	struct kc_nrf_at at;
	int rc;

	if (sec_tag < 0)
		return kc_err(KC_ERR_USAGE, "--format at needs --sec-tag");
	if ((rc = kc_nrf_at_make(sec_tag, ca_pem, o->chain_pem, key_pem,
	    strict, &at)) != KC_OK) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		return kc_err(rc, "%s: %s%s", o->id, msg, strict ? " "
		    "(--strict-size)" : "");
	}
	if ((rc = kc_buf_add(b, at.text, at.len)) == KC_OK)
		rc = kc_buf_add(sums, at.sums, at.sums_len);
	if (warn != NULL && warnsz > 0)
		snprintf(warn, warnsz, "%s", at.warn);
	if (cred_sha256 != NULL)
		memcpy(cred_sha256, at.cred_sha256, 65);
	kc_nrf_at_free(&at);
	return rc;
}

/* x509.c: algorithms, names and validity (see kc/x509.h). Certificate
 * profiles, lint and signing are in profile.c and lint.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

static const struct {
	const char *name;
	enum kc_alg alg;
} algs[] = {
	{ "ec-p256", KC_ALG_EC_P256 },
	{ "ec-p384", KC_ALG_EC_P384 },
	{ "rsa-2048", KC_ALG_RSA_2048 },
	{ "rsa-3072", KC_ALG_RSA_3072 },
	{ "rsa-4096", KC_ALG_RSA_4096 },
};

int
kc_alg_parse(const char *s, enum kc_alg *out)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (s != NULL && strcmp(s, algs[i].name) == 0) {
			*out = algs[i].alg;
			return KC_OK;
		}
	*out = KC_ALG_NONE;
	return kc_err(KC_ERR_USAGE, "unsupported algorithm '%s' (use ec-p384, "
	    "ec-p256, rsa-3072 or rsa-4096)", s ? s : "");
}

const char *
kc_alg_name(enum kc_alg alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "none";
}

#define KC_RSA_MAX_BITS 16384

int
kc_alg_of_key(const EVP_PKEY *pkey, enum kc_alg *out)
{
	char group[64];
	size_t glen = 0;
	int bits;

	*out = KC_ALG_NONE;
	if (pkey == NULL)
		return kc_err(KC_ERR_INPUT, "no public key");
	bits = EVP_PKEY_get_bits(pkey);
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
			ERR_clear_error();
			return kc_err(KC_ERR_POLICY, "EC key with explicit or "
			    "unknown curve parameters refused (use named "
			    "P-256 or P-384)");
		}
		{
			char enc[32];
			size_t elen = 0;
			if (EVP_PKEY_get_utf8_string_param(pkey,
			    OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
			    &elen) && strcmp(enc, "explicit") == 0)
				return kc_err(KC_ERR_POLICY, "EC key with "
				    "explicit curve parameters refused (use "
				    "the named curve P-256 or P-384)");
			ERR_clear_error();
		}
		if (strcmp(group, "prime256v1") == 0 ||
		    strcmp(group, "P-256") == 0)
			*out = KC_ALG_EC_P256;
		else if (strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0)
			*out = KC_ALG_EC_P384;
		else
			return kc_err(KC_ERR_POLICY, "EC curve %s refused (use "
			    "P-256 or P-384)", group);
		return KC_OK;
	case EVP_PKEY_RSA: {
		BIGNUM *e = NULL, *n = NULL;
		int odd_e, odd_n, e_ok;

		if (bits < 2048)
			return kc_err(KC_ERR_POLICY, "RSA-%d key refused (at "
			    "least 2048 bits)", bits);
		if (bits > KC_RSA_MAX_BITS)
			return kc_err(KC_ERR_POLICY, "RSA-%d key refused (at "
			    "most %d bits)", bits, KC_RSA_MAX_BITS);
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n)) {
			BN_free(e);
			BN_free(n);
			return kc_err_ssl(KC_ERR_INPUT, "cannot read RSA key");
		}
		odd_e = BN_is_odd(e);
		odd_n = BN_is_odd(n);
		e_ok = BN_num_bits(e) >= 2 && BN_num_bits(e) <= 256 &&
		    !BN_is_word(e, 1);
		BN_free(e);
		BN_free(n);
		if (!odd_e || !e_ok)
			return kc_err(KC_ERR_POLICY, "RSA key with an invalid "
			    "public exponent refused");
		if (!odd_n)
			return kc_err(KC_ERR_POLICY, "RSA key with an even "
			    "modulus refused");
		*out = bits >= 4096 ? KC_ALG_RSA_4096 :
		    bits >= 3072 ? KC_ALG_RSA_3072 : KC_ALG_RSA_2048;
		return KC_OK;
	}
	default:
		return kc_err(KC_ERR_POLICY, "key type %s refused (use EC "
		    "P-256/P-384 or RSA >= 2048)",
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)));
	}
}

const EVP_MD *
kc_alg_digest(enum kc_alg alg)
{
	return alg == KC_ALG_EC_P384 || alg == KC_ALG_RSA_4096 ?
	    EVP_sha384() : EVP_sha256();
}

/* ---- names ---- */

static const struct {
	const char *key;
	int nid;
	int maxlen;	/* characters */
} name_attrs[] = {
	{ "CN", NID_commonName, 64 },
	{ "O", NID_organizationName, 64 },
	{ "OU", NID_organizationalUnitName, 64 },
	{ "C", NID_countryName, 2 },
	{ "L", NID_localityName, 128 },
	{ "ST", NID_stateOrProvinceName, 128 },
	{ "serialNumber", NID_serialNumber, 64 },
	{ "emailAddress", NID_pkcs9_emailAddress, 255 },
	{ "DC", NID_domainComponent, 63 },
};

/* Counts UTF-8 characters; -1 if s is not valid UTF-8 or holds a control
 * character. */
static int
utf8_printable_len(const unsigned char *s, size_t len)
{
	int chars = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return -1;
			n = 1;
			cp = c;
		} else if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		} else
			return -1;
		if (i + n > len)
			return -1;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return -1;
		i += n;
		chars++;
	}
	return chars;
}

static int
check_value(int nid, const unsigned char *v, size_t len, const char *what)
{
	const char *sn = OBJ_nid2sn(nid);
	char why[128];
	int chars, maxlen = 64;

	for (size_t i = 0; i < sizeof(name_attrs) / sizeof(name_attrs[0]); i++)
		if (name_attrs[i].nid == nid)
			maxlen = name_attrs[i].maxlen;
	if (len == 0)
		return kc_err(KC_ERR_INPUT, "%s: empty %s", what, sn);
	if (memchr(v, '\0', len) != NULL)
		return kc_err(KC_ERR_INPUT, "%s: %s contains a NUL byte", what,
		    sn);
	/* C0, DEL, C1, bidirectional and invisible format characters and
	 * bad UTF-8 are refused, naming the character (kc/display.h). */
	if (!kc_text_plain(v, len, why, sizeof(why)))
		return kc_err(KC_ERR_INPUT, "%s: %s contains %s; a subject may "
		    "hold only printable UTF-8 text", what, sn, why);
	if ((chars = utf8_printable_len(v, len)) < 0)
		return kc_err(KC_ERR_INPUT, "%s: %s contains control characters "
		    "or invalid UTF-8", what, sn);
	if (nid == NID_countryName && (len != 2 || v[0] < 'A' || v[0] > 'Z' ||
	    v[1] < 'A' || v[1] > 'Z'))
		return kc_err(KC_ERR_INPUT, "%s: C must be two upper-case "
		    "letters (ISO 3166), not '%.*s'", what, (int)len, v);
	if (chars > maxlen)
		return kc_err(KC_ERR_INPUT, "%s: %s is %d characters long (at "
		    "most %d)", what, sn, chars, maxlen);
	return KC_OK;
}

int
kc_name_parse(const char *s, X509_NAME **out)
{
	X509_NAME *name = NULL;
	char *buf = NULL, *val;
	size_t slen, i, j;
	int rc = KC_OK;

	*out = NULL;
	if (s == NULL || s[0] != '/')
		return kc_err(KC_ERR_USAGE, "subject '%s' must look like "
		    "\"/CN=Example Root CA/O=Example/C=DE\"", s ? s : "");
	slen = strlen(s);
	if (slen > 4096)
		return kc_err(KC_ERR_USAGE, "subject too long");
	if ((buf = malloc(slen + 1)) == NULL || (name = X509_NAME_new()) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	i = 1;
	while (i <= slen) {
		char *key;
		int nid = NID_undef;

		/* Unescape one RDN into buf. */
		for (j = 0; i < slen && s[i] != '/'; i++) {
			if (s[i] == '\\' && i + 1 < slen)
				i++;
			buf[j++] = s[i];
		}
		buf[j] = '\0';
		i++;
		key = buf;
		if ((val = strchr(buf, '=')) == NULL) {
			rc = kc_err(KC_ERR_USAGE, "subject '%s': '%s' is not "
			    "KEY=value", s, buf);
			goto out;
		}
		*val++ = '\0';
		for (size_t k = 0; k < sizeof(name_attrs) / sizeof(name_attrs[0]); k++)
			if (strcmp(key, name_attrs[k].key) == 0)
				nid = name_attrs[k].nid;
		if (nid == NID_undef) {
			rc = kc_err(KC_ERR_USAGE, "subject '%s': unknown "
			    "attribute '%s' (use CN, O, OU, C, L, ST, "
			    "serialNumber, emailAddress, DC)", s, key);
			goto out;
		}
		if ((rc = check_value(nid, (unsigned char *)val, strlen(val),
		    "subject")) != KC_OK) {
			rc = KC_ERR_USAGE;
			goto out;
		}
		if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
		    (unsigned char *)val, -1, -1, 0)) {
			rc = kc_err_ssl(KC_ERR_USAGE, "subject '%s': cannot "
			    "encode %s", s, key);
			goto out;
		}
	}
	if (X509_NAME_entry_count(name) == 0) {
		rc = kc_err(KC_ERR_USAGE, "subject '%s' is empty", s);
		goto out;
	}
	*out = name;
	name = NULL;
out:
	if (rc != KC_OK)
		kc_err_recode(rc);
	free(buf);
	X509_NAME_free(name);
	return rc;
}

int
kc_name_check(const X509_NAME *n, const char *what)
{
	int count = X509_NAME_entry_count(n);

	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *utf8 = NULL;
		int len, rc;

		if (ASN1_STRING_length(d) > 1024)
			return kc_err(KC_ERR_INPUT, "%s: attribute too long",
			    what);
		if (memchr(ASN1_STRING_get0_data(d), '\0',
		    (size_t)ASN1_STRING_length(d)) != NULL &&
		    ASN1_STRING_type(d) != V_ASN1_BMPSTRING &&
		    ASN1_STRING_type(d) != V_ASN1_UNIVERSALSTRING)
			return kc_err(KC_ERR_INPUT, "%s: %s contains a NUL "
			    "byte", what, OBJ_nid2sn(nid));
		if ((len = ASN1_STRING_to_UTF8(&utf8, d)) < 0) {
			ERR_clear_error();
			return kc_err(KC_ERR_INPUT, "%s: %s is not a valid "
			    "string", what, OBJ_nid2sn(nid));
		}
		rc = check_value(nid, utf8, (size_t)len, what);
		OPENSSL_free(utf8);
		if (rc != KC_OK)
			return rc;
	}
	return KC_OK;
}

int
kc_name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, eq;

	la = i2d_X509_NAME(a, &da);
	lb = i2d_X509_NAME(b, &db);
	eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

char *
kc_name_string(const X509_NAME *n)
{
	int count = X509_NAME_entry_count(n);
	size_t cap = 1, len = 0;
	char *s;

	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		cap += 2 + strlen(OBJ_nid2sn(OBJ_obj2nid(
		    X509_NAME_ENTRY_get_object(e)))) +
		    2 * (size_t)ASN1_STRING_length(X509_NAME_ENTRY_get_data(e)) * 2;
	}
	if ((s = malloc(cap + 1)) == NULL)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const char *sn = OBJ_nid2sn(OBJ_obj2nid(
		    X509_NAME_ENTRY_get_object(e)));
		unsigned char *u = NULL;
		int ulen = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));

		if (ulen < 0) {
			ERR_clear_error();
			free(s);
			return NULL;
		}
		len += (size_t)snprintf(s + len, cap + 1 - len, "/%s=", sn);
		for (int k = 0; k < ulen && len + 2 < cap; k++) {
			unsigned char c = u[k];
			if (c == '/' || c == '\\')
				s[len++] = '\\';
			/* never print control bytes to a terminal */
			s[len++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
		}
		s[len] = '\0';
		OPENSSL_free(u);
	}
	return s;
}

/* ---- validity, serials ---- */

int
kc_validity(int days, time_t now, time_t *not_before, time_t *not_after)
{
	if (days <= 0 || days > KC_DAYS_MAX)
		return kc_err(KC_ERR_USAGE, "--days %d out of range (1 to %d, "
		    "30 years)", days, KC_DAYS_MAX);
	*not_before = now;
	*not_after = now + (time_t)days * 86400;
	return KC_OK;
}

void
kc_serial_fix(unsigned char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] &= 0x7f;
	if (buf[0] == 0)
		buf[0] = 0x01;
}

/* ---- loading and encoding ---- */

int
kc_cert_load(const char *path, X509 **out)
{
	unsigned char *data = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x = NULL;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	if (len >= 11 && memmem(data, len, "-----BEGIN ", 11) != NULL) {
		BIO *b = BIO_new_mem_buf(data, (int)len);
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;

		if (b == NULL || !PEM_read_bio(b, &name, &header, &der, &dlen)) {
			rc = kc_err_ssl(KC_ERR_INPUT, "%s: malformed PEM", path);
		} else if (strcmp(name, "CERTIFICATE") != 0 &&
		    strcmp(name, "X509 CERTIFICATE") != 0 &&
		    strcmp(name, "TRUSTED CERTIFICATE") != 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: holds a '%s' PEM block, "
			    "not a certificate", path, name);
		} else {
			p = der;
			x = d2i_X509(NULL, &p, dlen);
			if (x == NULL || p != der + dlen) {
				X509_free(x);
				x = NULL;
				rc = kc_err_ssl(KC_ERR_INPUT, "%s: malformed "
				    "certificate", path);
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		BIO_free(b);
	} else {
		p = data;
		x = d2i_X509(NULL, &p, (long)len);
		if (x == NULL || p != data + len) {
			X509_free(x);
			x = NULL;
			rc = kc_err_ssl(KC_ERR_INPUT, "%s: not a PEM or DER "
			    "certificate", path);
		}
	}
	free(data);
	if (x != NULL) {
		*out = x;
		rc = KC_OK;
	}
	return rc;
}

int
kc_bio_take(BIO *b, const char *what, char **buf, size_t *len)
{
	char *p;
	long n;

	*buf = NULL;
	*len = 0;
	n = BIO_get_mem_data(b, &p);
	if (n < 0 || (*buf = malloc((size_t)n + 1)) == NULL) {
		BIO_free(b);
		return kc_err(KC_ERR_NOMEM, "out of memory encoding %s", what);
	}
	memcpy(*buf, p, (size_t)n);
	(*buf)[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return KC_OK;
}

int
kc_cert_pem(const X509 *x, char **pem, size_t *len)
{
	BIO *b;

	*pem = NULL;
	*len = 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return kc_err_ssl(KC_ERR_CRYPTO, "PEM encoding failed");
	}
	return kc_bio_take(b, "a certificate", pem, len);
}

int
kc_cert_fingerprint(const X509 *x, char colon[96], char hex[65])
{
	static const char hx[] = "0123456789ABCDEF";
	static const char lhx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		return kc_err_ssl(KC_ERR_CRYPTO, "certificate digest failed");
	for (unsigned i = 0; i < 32; i++) {
		if (colon != NULL) {
			colon[3 * i] = hx[md[i] >> 4];
			colon[3 * i + 1] = hx[md[i] & 15];
			colon[3 * i + 2] = i == 31 ? '\0' : ':';
		}
		if (hex != NULL) {
			hex[2 * i] = lhx[md[i] >> 4];
			hex[2 * i + 1] = lhx[md[i] & 15];
		}
	}
	if (hex != NULL)
		hex[64] = '\0';
	return KC_OK;
}

char *
kc_cert_serial_hex(const X509 *x)
{
	return kc_serial_hex(X509_get0_serialNumber(x));
}

char *
kc_serial_hex(const ASN1_INTEGER *a)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	char *h, *s;

	if (bn == NULL)
		return NULL;
	h = BN_bn2hex(bn);
	BN_free(bn);
	if (h == NULL)
		return NULL;
	s = strdup(h);
	OPENSSL_free(h);
	for (char *p = s; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* below profile.c and lint.c, which both name profiles in messages */
const char *
kc_profile_name(enum kc_profile p)
{
	switch (p) {
	case KC_PROFILE_ROOT: return "root";
	case KC_PROFILE_INTERMEDIATE: return "intermediate";
	case KC_PROFILE_VERIFICATION: return "verification";
	case KC_PROFILE_DEVICE: return "device";
	}
	return "unknown";
}

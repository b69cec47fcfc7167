/* crl.c: CRL v2 of any CA (the root, the factory's intermediate): build,
 * RFC 5280 lint, sign-then-verify, PEM written atomically, a CRL file read
 * back as a hostile input, the reason names (see kc/core/crl.h). Owned by
 * the core: no register, ledger or transcript here; those are the
 * callers'. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

static const struct { int code; const char *name; } reasons[] = {
	{ KC_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ KC_REASON_CA_COMPROMISE, "cACompromise" },
	{ KC_REASON_SUPERSEDED, "superseded" },
	{ KC_REASON_CESSATION, "cessationOfOperation" },
	{ KC_REASON_UNSPECIFIED, "unspecified" },
};

int
kc_reason_parse(const char *s, int *reason)
{
	for (size_t i = 0; i < 4; i++)
		if (strcmp(s, reasons[i].name) == 0) {
			*reason = reasons[i].code;
			return KC_OK;
		}
	return kc_err(KC_ERR_USAGE, "unknown revocation reason '%s' (use "
	    "keyCompromise, cACompromise, superseded or cessationOfOperation)",
	    s);
}

const char *
kc_reason_name(int reason)
{
	if (reason == KC_REASON_NONE)
		return "none";
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return "unknown";
}

/* How messages name the CA: "root" for a self-signed certificate (the
 * ceremony side's words, unchanged), "issuing CA" otherwise. */
static const char *
role(const X509 *ca)
{
	return X509_self_signed((X509 *)ca, 0) == 1 ? "root" : "issuing CA";
}

#define LINT(cond, ...) do { if (!(cond)) { \
	rc = kc_err(KC_ERR_INTERNAL, "CRL lint: " __VA_ARGS__); goto out; } \
	} while (0)

static ASN1_INTEGER *
hex_to_integer(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	int n = BN_hex2bn(&bn, hex);

	if (n > 0 && (size_t)n == strlen(hex))
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

int
kc_crl_build(const struct kc_crl_req *r, X509_CRL **out)
{
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL, *serial = NULL;
	ASN1_ENUMERATED *reason = NULL;
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *ski;
	int rc = KC_OK;

	*out = NULL;
	if (r->issuer == NULL || r->number < 1)
		return kc_err(KC_ERR_USAGE, "incomplete CRL request");
	if ((ski = X509_get0_subject_key_id((X509 *)r->issuer)) == NULL)
		return kc_err(KC_ERR_INPUT, "the %s certificate has no "
		    "subjectKeyIdentifier; cannot name it in a CRL",
		    role(r->issuer));
	if ((crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(r->issuer)) ||
	    (t = ASN1_TIME_set(NULL, r->this_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_set(t, r->next_update) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto ssl_fail;
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct kc_crl_entry *e = &r->entries[i];

		if ((serial = hex_to_integer(e->serial)) == NULL) {
			rc = kc_err(KC_ERR_INPUT, "bad serial '%s' in the "
			    "register", e->serial);
			goto out;
		}
		if ((rev = X509_REVOKED_new()) == NULL ||
		    !X509_REVOKED_set_serialNumber(rev, serial) ||
		    ASN1_TIME_set(t, e->revoked_at) == NULL ||
		    !X509_REVOKED_set_revocationDate(rev, t))
			goto ssl_fail;
		if (e->reason != KC_REASON_NONE) {
			if ((reason = ASN1_ENUMERATED_new()) == NULL ||
			    !ASN1_ENUMERATED_set(reason, e->reason) ||
			    !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason,
			    reason, 0, 0))
				goto ssl_fail;
			ASN1_ENUMERATED_free(reason);
			reason = NULL;
		}
		if (!X509_CRL_add0_revoked(crl, rev))
			goto ssl_fail;
		rev = NULL;
		ASN1_INTEGER_free(serial);
		serial = NULL;
	}
	if (!X509_CRL_sort(crl) || (num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_int64(num, r->number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid,
	    0, 0))
		goto ssl_fail;
	*out = crl;
	crl = NULL;
	goto out;
ssl_fail:
	rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot build the CRL");
out:
	X509_CRL_free(crl);
	X509_REVOKED_free(rev);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(serial);
	ASN1_ENUMERATED_free(reason);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

int
kc_crl_lint(X509_CRL *crl, const X509 *issuer)
{
	const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl);
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuer);
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	AUTHORITY_KEYID *aki = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_ENUMERATED *reason = NULL;
	BIGNUM *bn = NULL, *prev = NULL;
	const char *who = role(issuer);
	int rc = KC_OK, crit;

	LINT(X509_CRL_get_version(crl) == X509_CRL_VERSION_2, "not a v2 CRL");
	LINT(kc_name_der_equal(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(issuer)),
	    "issuer name differs from the %s's subject", who);
	LINT(last != NULL && next != NULL, "thisUpdate or nextUpdate missing");
	LINT(ASN1_TIME_compare(last, next) < 0,
	    "thisUpdate is not before nextUpdate");
	LINT(ASN1_TIME_compare(next, X509_get0_notAfter(issuer)) <= 0,
	    "nextUpdate is after the %s's notAfter", who);
	LINT(X509_get_key_usage((X509 *)issuer) & KU_CRL_SIGN,
	    "the %s's keyUsage does not allow cRLSign", who);
	LINT(X509_CRL_get_ext_count(crl) == 2, "unexpected CRL extensions");

	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit,
	    NULL);
	LINT(aki != NULL && aki->keyid != NULL, "authorityKeyIdentifier "
	    "missing");
	LINT(crit == 0, "authorityKeyIdentifier must not be critical");
	LINT(ski != NULL && ASN1_OCTET_STRING_cmp(aki->keyid, ski) == 0,
	    "authorityKeyIdentifier differs from the %s's "
	    "subjectKeyIdentifier", who);

	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	LINT(num != NULL, "cRLNumber missing");
	LINT(crit == 0, "cRLNumber must not be critical");
	bn = ASN1_INTEGER_to_BN(num, NULL);
	LINT(bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
	    BN_num_bytes(bn) <= 20, "cRLNumber must be positive, at most 20 "
	    "octets");
	BN_free(bn);
	bn = NULL;

	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		X509_REVOKED *rv = sk_X509_REVOKED_value(revs, i);
		bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(rv),
		    NULL);
		LINT(bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
		    BN_num_bytes(bn) <= 20, "revoked serial must be positive, "
		    "at most 20 octets");
		LINT(prev == NULL || BN_cmp(prev, bn) < 0,
		    "revoked serials not unique and sorted");
		LINT(ASN1_TIME_compare(X509_REVOKED_get0_revocationDate(rv),
		    next) <= 0, "revocation date after nextUpdate");
		BN_free(prev);
		prev = bn;
		bn = NULL;
		reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit,
		    NULL);
		LINT(reason != NULL || crit == -1, "unreadable reasonCode");
		if (reason != NULL) {
			long v = ASN1_ENUMERATED_get(reason);
			LINT(crit == 0, "reasonCode must not be critical");
			LINT(v == KC_REASON_KEY_COMPROMISE ||
			    v == KC_REASON_CA_COMPROMISE ||
			    v == KC_REASON_SUPERSEDED ||
			    v == KC_REASON_CESSATION, "reasonCode %ld not "
			    "allowed", v);
			ASN1_ENUMERATED_free(reason);
			reason = NULL;
		}
		LINT(X509_REVOKED_get_ext_count(rv) <= 1,
		    "unexpected CRL entry extensions");
	}
out:
	AUTHORITY_KEYID_free(aki);
	ASN1_INTEGER_free(num);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	BN_free(prev);
	return rc;
}

/* The bytes of the first element of a DER SEQUENCE (the TBS). */
static int
first_child(const unsigned char *p, size_t len, const unsigned char **c,
    size_t *clen)
{
	size_t hl, n, i, vlen;

	for (int depth = 0; depth < 2; depth++) {
		if (len < 2 || p[0] != 0x30)
			return -1;
		if (p[1] < 0x80) {
			hl = 2;
			vlen = p[1];
		} else {
			n = p[1] & 0x7f;
			if (n == 0 || n > 4 || len < 2 + n)
				return -1;
			for (vlen = 0, i = 0; i < n; i++)
				vlen = (vlen << 8) | p[2 + i];
			hl = 2 + n;
		}
		if (vlen > len - hl)
			return -1;
		if (depth == 1) {
			*c = p;
			*clen = hl + vlen;
			return 0;
		}
		p += hl;
		len = vlen;
	}
	return -1;
}

int
kc_crl_sign(X509_CRL *crl, EVP_PKEY *signer, const X509 *issuer)
{
	EVP_PKEY *pub = X509_get0_pubkey(issuer);
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *p, *signed_tbs;
	size_t signed_len;
	X509_CRL *fresh = NULL;
	enum kc_alg alg;
	int tbs_len, len, rc;

	if ((rc = kc_alg_of_key(pub, &alg)) != KC_OK)
		return rc;
	if ((rc = kc_crl_lint(crl, issuer)) != KC_OK)
		return rc;
	if (X509_CRL_sign(crl, signer, kc_alg_digest(alg)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "signing the CRL failed");
		goto out;
	}
	/* The linted fields, encoded afresh (signing only set the
	 * signature algorithm), must be exactly what was signed. */
	if ((tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the CRL");
		goto out;
	}
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		rc = kc_err_ssl(KC_ERR_CRYPTO, "cannot encode the signed CRL");
		goto out;
	}
	p = der;
	if ((fresh = d2i_X509_CRL(NULL, &p, len)) == NULL || p != der + len) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the signed CRL does not "
		    "parse");
		goto out;
	}
	if (X509_CRL_verify(fresh, pub) != 1) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "the CRL's signature does not "
		    "verify with the %s's public key; nothing was written",
		    role(issuer));
		goto out;
	}
	if (first_child(der, (size_t)len, &signed_tbs, &signed_len) != 0 ||
	    signed_len != (size_t)tbs_len ||
	    memcmp(signed_tbs, tbs, signed_len) != 0) {
		rc = kc_err(KC_ERR_INTERNAL, "the signed CRL is not the one "
		    "that was checked; nothing was written");
		goto out;
	}
	rc = kc_crl_lint(fresh, issuer);
out:
	ERR_clear_error();
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	X509_CRL_free(fresh);
	return rc;
}

int
kc_crl_pem(const X509_CRL *crl, char **pem, size_t *len)
{
	BIO *b;

	*pem = NULL;
	*len = 0;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_CRL(b, (X509_CRL *)crl)) {
		BIO_free(b);
		return kc_err_ssl(KC_ERR_CRYPTO, "PEM encoding failed");
	}
	return kc_bio_take(b, "a CRL", pem, len);
}

int
kc_crl_make(const struct kc_crl_req *req, EVP_PKEY *signer, X509_CRL **out)
{
	int rc;

	if ((rc = kc_crl_build(req, out)) != KC_OK)
		return rc;
	if ((rc = kc_crl_sign(*out, signer, req->issuer)) != KC_OK) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	return rc;
}

int
kc_crl_write(const char *path, const X509_CRL *crl, mode_t mode, int flags)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kc_crl_pem(crl, &pem, &len)) != KC_OK)
		return rc;
	rc = kc_file_write(path, pem, len, mode, flags);
	free(pem);
	return rc;
}

/* ---- reading a signed CRL back ---- */

void
kc_crl_info_free(struct kc_crl_info *info)
{
	if (info == NULL)
		return;
	free(info->revoked);
	info->revoked = NULL;
	info->n = 0;
}

/* Exactly one CRL, PEM or DER. */
static int
crl_parse(const char *path, const unsigned char *data, size_t len,
    X509_CRL **out)
{
	const unsigned char *p = data;
	X509_CRL *crl = NULL;
	BIO *b = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen = 0;

	*out = NULL;
	if (len > 11 && memcmp(data, "-----BEGIN ", 11) == 0) {
		if ((b = BIO_new_mem_buf(data, (int)len)) == NULL ||
		    !PEM_read_bio(b, &name, &header, &der, &dlen) ||
		    strcmp(name, "X509 CRL") != 0 || header[0] != '\0') {
			BIO_free(b);
			OPENSSL_free(name);
			OPENSSL_free(header);
			OPENSSL_free(der);
			ERR_clear_error();
			return kc_err(KC_ERR_INPUT, "%s: not a PEM CRL", path);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		name = NULL;
		/* Nothing but blank space after the one block. */
		{
			char rest[64];
			int r;
			while ((r = BIO_read(b, rest, sizeof(rest))) > 0)
				for (int i = 0; i < r; i++)
					if (!isspace((unsigned char)rest[i])) {
						BIO_free(b);
						OPENSSL_free(der);
						return kc_err(KC_ERR_INPUT, "%s: "
						    "more than one CRL, or data "
						    "after it", path);
					}
		}
		BIO_free(b);
		p = der;
		len = (size_t)dlen;
		data = der;
	}
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (crl == NULL || p != data + len) {
		X509_CRL_free(crl);
		OPENSSL_free(der);
		ERR_clear_error();
		return kc_err(KC_ERR_INPUT, "%s: not a CRL (or data after it)",
		    path);
	}
	OPENSSL_free(der);
	*out = crl;
	return KC_OK;
}

int
kc_crl_file_load(const char *path, X509_CRL **out)
{
	unsigned char *data = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	rc = crl_parse(path, data, len, out);
	free(data);
	return rc;
}

/* A CRL read as "every serial the issuer revoked" must be the complete
 * CRL of that issuer with nothing a relying party stops at: no
 * issuingDistributionPoint (a CRL of part of its certificates, or an
 * indirect CRL), no deltaCRLIndicator, no critical extension other than
 * those (cRLNumber and authorityKeyIdentifier are never critical), no
 * critical entry extension. OpenSSL's chain check (-crl_check_all) refuses
 * every certificate under the issuer with such a CRL ("different CRL
 * scope", "unhandled critical CRL extension"). */
static int
crl_complete(X509_CRL *crl, const char *path)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	char oid[80];

	for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *e = X509_CRL_get_ext(crl, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));

		if (nid == NID_issuing_distribution_point)
			return kc_err(KC_ERR_POLICY, "%s: has an "
			    "issuingDistributionPoint (a CRL of part of the "
			    "CA's certificates, or an indirect CRL): not a "
			    "complete CRL; relying parties that check the "
			    "chain would refuse every certificate under it",
			    path);
		if (nid == NID_delta_crl)
			return kc_err(KC_ERR_POLICY, "%s: is a delta CRL "
			    "(deltaCRLIndicator), not a complete CRL", path);
		if (X509_EXTENSION_get_critical(e)) {
			OBJ_obj2txt(oid, sizeof(oid),
			    X509_EXTENSION_get_object(e), 0);
			return kc_err(KC_ERR_POLICY, "%s: carries the critical "
			    "extension %s, which relying parties do not "
			    "process: they would refuse every certificate "
			    "under it", path, oid);
		}
	}
	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		const STACK_OF(X509_EXTENSION) *ex = X509_REVOKED_get0_extensions(
		    sk_X509_REVOKED_value(revs, i));

		for (int k = 0; k < sk_X509_EXTENSION_num(ex); k++) {
			X509_EXTENSION *e = sk_X509_EXTENSION_value(ex, k);

			if (!X509_EXTENSION_get_critical(e))
				continue;
			OBJ_obj2txt(oid, sizeof(oid),
			    X509_EXTENSION_get_object(e), 0);
			return kc_err(KC_ERR_POLICY, "%s: entry %d carries the "
			    "critical extension %s, which relying parties do "
			    "not process: they would refuse every certificate "
			    "under it", path, i + 1, oid);
		}
	}
	return KC_OK;
}

int
kc_crl_info_load(const char *path, const X509 *issuer,
    struct kc_crl_info *info)
{
	X509_CRL *crl = NULL;
	STACK_OF(X509_REVOKED) *revs;
	ASN1_INTEGER *num = NULL;
	BIGNUM *bn = NULL;
	struct tm tm;
	int rc, crit;

	memset(info, 0, sizeof(*info));
	if ((rc = kc_crl_file_load(path, &crl)) != KC_OK)
		return rc;
	if (!kc_name_der_equal(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(issuer))) {
		rc = kc_err(KC_ERR_NOTFOUND, "%s: a CRL of another CA", path);
		goto out;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_CRYPTO, "%s: names the %s as its issuer but "
		    "its signature does not verify with the %s's key", path,
		    role(issuer), role(issuer));
		goto out;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	if (num == NULL || (bn = ASN1_INTEGER_to_BN(num, NULL)) == NULL ||
	    BN_is_negative(bn) || BN_num_bits(bn) > 62) {
		rc = kc_err(KC_ERR_INPUT, "%s: no usable CRL number", path);
		goto out;
	}
	if ((rc = crl_complete(crl, path)) != KC_OK)
		goto out;
	info->number = (long long)BN_get_word(bn);
	if (ASN1_TIME_to_tm(X509_CRL_get0_lastUpdate(crl), &tm))
		info->this_update = timegm(&tm);
	if (X509_CRL_get0_nextUpdate(crl) != NULL &&
	    ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(crl), &tm))
		info->next_update = timegm(&tm);
	revs = X509_CRL_get_REVOKED(crl);
	if (sk_X509_REVOKED_num(revs) > 0 && (info->revoked = calloc(
	    (size_t)sk_X509_REVOKED_num(revs), sizeof(*info->revoked)))
	    == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		X509_REVOKED *rv = sk_X509_REVOKED_value(revs, i);
		ASN1_ENUMERATED *reason;
		BIGNUM *s = ASN1_INTEGER_to_BN(
		    X509_REVOKED_get0_serialNumber(rv), NULL);
		char *h = s != NULL ? BN_bn2hex(s) : NULL;
		struct kc_crl_revoked *e = &info->revoked[info->n];

		BN_free(s);
		if (h == NULL || strlen(h) >= sizeof(e->serial)) {
			OPENSSL_free(h);
			rc = kc_err(KC_ERR_INPUT, "%s: a revoked serial that is "
			    "not a certificate serial of this tool", path);
			goto out;
		}
		for (size_t k = 0; h[k]; k++)
			e->serial[k] = (char)tolower((unsigned char)h[k]);
		OPENSSL_free(h);
		e->reason = KC_REASON_NONE;
		reason = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit,
		    NULL);
		if (reason != NULL)
			e->reason = (int)ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
		info->n++;
	}
	rc = KC_OK;
out:
	if (rc != KC_OK)
		kc_crl_info_free(info);
	ERR_clear_error();
	ASN1_INTEGER_free(num);
	BN_free(bn);
	X509_CRL_free(crl);
	return rc;
}

int
kc_crl_dir_each(const char *dir, const X509 *issuer, kc_crl_dir_fn *fn,
    void *arg)
{
	struct dirent **names = NULL;
	struct kc_crl_info info;
	char path[PATH_MAX + 64];
	int cnt, lrc, rc = KC_OK;

	if ((cnt = scandir(dir, &names, NULL, alphasort)) < 0)
		return KC_OK;	/* no directory: nothing to compare with */
	for (int i = 0; i < cnt && rc == KC_OK; i++) {
		size_t l = strlen(names[i]->d_name);

		if (l < 5 || strcmp(names[i]->d_name + l - 4, ".crl") != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= sizeof(path))
			continue;
		if ((lrc = kc_crl_info_load(path, issuer, &info)) != KC_OK) {
			if (lrc != KC_ERR_NOTFOUND)
				rc = fn(path, NULL, arg);
			if (rc == KC_OK)
				kc_err_clear();
			continue;
		}
		rc = fn(path, &info, arg);
		kc_crl_info_free(&info);
	}
	for (int i = 0; i < cnt; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
kc_crl_revoked_format(const struct kc_crl_info *info, char **out)
{
	size_t cap = 1 + info->n * 64, used = 0;
	char *s;

	if ((s = malloc(cap)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	s[0] = '\0';
	for (size_t i = 0; i < info->n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%s:%s",
		    i ? "," : "", info->revoked[i].serial,
		    kc_reason_name(info->revoked[i].reason));
	*out = s;
	return KC_OK;
}

int
kc_crl_revoked_parse(const char *s, struct kc_crl_info *info)
{
	size_t n = *s != '\0', k = 0;
	const char *p;

	info->n = 0;
	info->revoked = NULL;
	for (p = s; *p; p++)
		n += *p == ',';
	if (n > 0 && (info->revoked = calloc(n, sizeof(*info->revoked))) ==
	    NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	for (p = s; n > 0 && k < n; k++) {
		struct kc_crl_revoked *e = &info->revoked[k];
		size_t sl = strspn(p, "0123456789abcdef"), rl;
		char reason[32];

		if (sl == 0 || sl >= sizeof(e->serial) || p[sl] != ':')
			goto bad;
		memcpy(e->serial, p, sl);
		p += sl + 1;
		rl = strcspn(p, ",");
		if (rl == 0 || rl >= sizeof(reason))
			goto bad;
		memcpy(reason, p, rl);
		reason[rl] = '\0';
		if (strcmp(reason, "none") == 0)
			e->reason = KC_REASON_NONE;
		else if (strcmp(reason, "unspecified") == 0)
			e->reason = KC_REASON_UNSPECIFIED;
		else if (kc_reason_parse(reason, &e->reason) != KC_OK)
			goto bad;
		p += rl;
		if (*p == ',')
			p++;
	}
	if (*p != '\0')
		goto bad;
	info->n = n;
	return KC_OK;
bad:
	kc_crl_info_free(info);
	return kc_err(KC_ERR_INPUT, "a revoked list that is not "
	    "serial:reason,...");
}


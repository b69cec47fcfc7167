/* test_crl.c: the core's CRL API (kc/core/crl.h) with libkc-core alone,
 * as the factory side uses it: a CRL of an intermediate (not self-signed)
 * made, written atomically, read back hostile-safe, found in a directory
 * among foreign, broken and linked files; the reason names. Built with
 * the layering #error headers first on its include path. */
#include "config.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

#include "tmpdir.h"

static X509 *
make_ca(EVP_PKEY *k, const char *dn, const X509 *issuer, EVP_PKEY *signer,
    unsigned char fill)
{
	struct kc_cert_req req;
	X509_NAME *n = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];
	enum kc_profile prof = issuer == NULL ? KC_PROFILE_ROOT :
	    KC_PROFILE_INTERMEDIATE;

	memset(&req, 0, sizeof(req));
	memset(serial, fill, sizeof(serial));
	assert_int_equal(kc_name_parse(dn, &n), KC_OK);
	req.profile = prof;
	req.subject = n;
	req.subject_key = k;
	req.issuer = issuer;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = issuer == NULL ? -1 : 0;
	assert_int_equal(kc_validity(issuer == NULL ? 400 : 300,
	    time(NULL) - 10, &req.not_before, &req.not_after), KC_OK);
	assert_int_equal(kc_cert_build(&req, &x), KC_OK);
	if (kc_cert_sign(x, signer, issuer, prof) != KC_OK)
		fail_msg("%s", kc_errmsg());
	X509_NAME_free(n);
	return x;
}

struct seen {
	int good, bad;
	long long number;
	time_t next;
	size_t n;
	char serial[41];
};

static int
on_crl(const char *path, const struct kc_crl_info *info, void *arg)
{
	struct seen *s = arg;

	if (info == NULL) {
		s->bad++;
		assert_non_null(strstr(kc_errmsg(), path));
		return KC_OK;
	}
	s->good++;
	s->number = info->number;
	s->next = info->next_update;
	s->n = info->n;
	if (info->n > 0)
		snprintf(s->serial, sizeof(s->serial), "%s",
		    info->revoked[0].serial);
	return KC_OK;
}

static void
test_intermediate_crl(void **state)
{
	EVP_PKEY *rk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ik = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ok = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root = make_ca(rk, "/CN=Unit Root", NULL, rk, 0x41);
	X509 *inter = make_ca(ik, "/CN=Unit Factory CA", root, rk, 0x42);
	X509 *other = make_ca(ok, "/CN=Other CA", NULL, ok, 0x43);
	struct kc_crl_entry ent = { "0badc0de", 0, KC_REASON_CESSATION };
	struct kc_crl_req req;
	struct kc_crl_info info;
	struct seen s;
	X509_CRL *crl = NULL, *back = NULL;
	time_t now = time(NULL);
	char path[256], dir[96], *list = NULL;
	FILE *f;

	(void)state;
	ent.revoked_at = now;
	memset(&req, 0, sizeof(req));
	req.issuer = inter;
	req.number = 3;
	req.this_update = now;
	req.next_update = now + 7 * 86400;
	req.entries = &ent;
	req.n_entries = 1;

	/* Signed by the root's key, not the intermediate's: refused, and the
	 * message names the issuing CA, not a root. */
	assert_int_equal(kc_crl_make(&req, rk, &crl), KC_ERR_INTERNAL);
	assert_null(crl);
	assert_non_null(strstr(kc_errmsg(), "issuing CA's public key"));
	if (kc_crl_make(&req, ik, &crl) != KC_OK)
		fail_msg("%s", kc_errmsg());

	snprintf(dir, sizeof(dir), "%s/crls", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/intermediate.crl", dir);
	assert_int_equal(kc_crl_write(path, crl, 0644, KC_WRITE_EXCL), KC_OK);
	assert_int_equal(kc_crl_write(path, crl, 0644, KC_WRITE_EXCL),
	    KC_ERR_EXISTS);
	assert_int_equal(kc_crl_file_load(path, &back), KC_OK);
	assert_int_equal(X509_CRL_verify(back, X509_get0_pubkey(inter)), 1);
	X509_CRL_free(back);

	assert_int_equal(kc_crl_info_load(path, inter, &info), KC_OK);
	assert_int_equal(info.number, 3);
	assert_int_equal(info.next_update, now + 7 * 86400);
	assert_int_equal(info.n, 1);
	assert_string_equal(info.revoked[0].serial, "0badc0de");
	assert_int_equal(kc_crl_revoked_format(&info, &list), KC_OK);
	assert_string_equal(list, "0badc0de:cessationOfOperation");
	free(list);
	kc_crl_info_free(&info);
	/* Another CA's CRL. */
	assert_int_equal(kc_crl_info_load(path, other, &info), KC_ERR_NOTFOUND);

	/* The walk: a foreign CRL (skipped), junk and a symbolic link
	 * (reported, not followed), the real one. */
	X509_CRL_free(crl);
	crl = NULL;
	req.issuer = other;
	req.n_entries = 0;
	assert_int_equal(kc_crl_make(&req, ok, &crl), KC_OK);
	snprintf(path, sizeof(path), "%s/other.crl", dir);
	assert_int_equal(kc_crl_write(path, crl, 0644, 0), KC_OK);
	snprintf(path, sizeof(path), "%s/junk.crl", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/link.crl", dir);
	assert_int_equal(symlink("intermediate.crl", path), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(kc_crl_dir_each(dir, inter, on_crl, &s), KC_OK);
	assert_int_equal(s.good, 1);
	assert_int_equal(s.bad, 2);
	assert_int_equal(s.number, 3);
	assert_string_equal(s.serial, "0badc0de");
	/* No directory: nothing to compare with. */
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	assert_int_equal(kc_crl_dir_each(path, inter, on_crl, &s), KC_OK);

	X509_CRL_free(crl);
	X509_free(root);
	X509_free(inter);
	X509_free(other);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(ok);
}

static void
test_reason_names(void **state)
{
	static const char *names[] = { "keyCompromise", "cACompromise",
	    "superseded", "cessationOfOperation" };
	int r;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(kc_reason_parse(names[i], &r), KC_OK);
		assert_string_equal(kc_reason_name(r), names[i]);
	}
	assert_int_equal(kc_reason_parse("none", &r), KC_ERR_USAGE);
	assert_string_equal(kc_reason_name(KC_REASON_NONE), "none");
	assert_string_equal(kc_reason_name(KC_REASON_UNSPECIFIED),
	    "unspecified");
	assert_string_equal(kc_reason_name(3), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intermediate_crl),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

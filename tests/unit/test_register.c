/* test_register.c: the issuance register (SQLite) and CRL build/lint/sign
 * with software keys. */
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

#include "kc/ceremony/crl.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

#include "tmpdir.h"

static void
entry(struct kc_reg_entry *e, enum kc_reg_kind kind, const char *serial)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = KC_REASON_NONE;
	strcpy(e->ca, "ca1");
	snprintf(e->serial, sizeof(e->serial), "%s", serial);
	strcpy(e->subject, "/CN=x");
	strcpy(e->sha256, "00");
	e->time = 1000;
	e->not_before = 1000;
	e->not_after = 2000;
}

static void
test_register(void **state)
{
	char state_dir[128], out[160];
	struct kc_register *r = NULL;
	struct kc_reg_entry e, *l;
	struct stat st;
	size_t n;
	long long num;

	(void)state;
	snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
	assert_int_equal(kc_register_open(state_dir, 0, &r), KC_ERR_NOTFOUND);
	assert_null(r);
	assert_non_null(strstr(kc_errmsg(), "register.sqlite"));
	assert_int_equal(kc_register_open(state_dir, 1, &r), KC_OK);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	entry(&e, KC_REG_ROOT, "0A");
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	entry(&e, KC_REG_INTERMEDIATE, "1b2c");
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	/* Same serial (any case) from the same CA: refused. */
	entry(&e, KC_REG_VERIFICATION, "1B2C");
	assert_int_equal(kc_register_add(r, &e), KC_ERR_EXISTS);
	assert_non_null(strstr(kc_errmsg(), "already issued"));
	/* Another CA may use it. */
	strcpy(e.ca, "ca2");
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	assert_int_equal(kc_register_serial_used(r, "ca1", "1B2C"), 1);
	assert_int_equal(kc_register_serial_used(r, "ca1", "99"), 0);

	/* Revocation. */
	assert_int_equal(kc_register_revoke(r, "ca1", "77", 1, 1500),
	    KC_ERR_NOTFOUND);
	assert_int_equal(kc_register_revoke(r, "ca1", "1b2c",
	    KC_REASON_KEY_COMPROMISE, 1500), KC_OK);
	assert_int_equal(kc_register_revoke(r, "ca1", "1b2c",
	    KC_REASON_KEY_COMPROMISE, 1600), KC_ERR_EXISTS);
	assert_int_equal(kc_register_revoked(r, "ca1", &l, &n), KC_OK);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].serial, "1b2c");
	assert_int_equal(l[0].reason, KC_REASON_KEY_COMPROMISE);
	assert_int_equal(l[0].revoked_at, 1500);
	free(l);
	assert_int_equal(kc_register_revoked(r, "ca2", &l, &n), KC_OK);
	assert_int_equal(n, 0);
	free(l);

	/* CRL numbers increase, enforced by the database. */
	assert_int_equal(kc_register_next_crl_number(r, "ca1", &num), KC_OK);
	assert_int_equal(num, 1);
	entry(&e, KC_REG_CRL, "");
	e.crl_number = 1;
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	assert_int_equal(kc_register_next_crl_number(r, "ca1", &num), KC_OK);
	assert_int_equal(num, 2);
	assert_int_equal(kc_register_add(r, &e), KC_ERR_EXISTS);
	e.crl_number = 5;
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	e.crl_number = 3;
	assert_int_equal(kc_register_add(r, &e), KC_ERR_EXISTS);
	assert_non_null(strstr(kc_errmsg(), "does not increase"));

	/* A transaction rolled back leaves nothing. */
	assert_int_equal(kc_register_begin(r), KC_OK);
	entry(&e, KC_REG_INTERMEDIATE, "abcd");
	assert_int_equal(kc_register_add(r, &e), KC_OK);
	kc_register_rollback(r);
	assert_int_equal(kc_register_serial_used(r, "ca1", "abcd"), 0);

	/* Write + record: an existing output means no entry. */
	snprintf(out, sizeof(out), "%s/out.pem", tmpdir);
	assert_int_equal(kc_file_write(out, "x", 1, 0644, 0), KC_OK);
	entry(&e, KC_REG_INTERMEDIATE, "beef");
	assert_int_equal(kc_register_write(r, &e, out, "y", 1, 0644),
	    KC_ERR_EXISTS);
	assert_int_equal(kc_register_serial_used(r, "ca1", "beef"), 0);
	unlink(out);
	assert_int_equal(kc_register_write(r, &e, out, "y", 1, 0644), KC_OK);
	assert_int_equal(kc_register_serial_used(r, "ca1", "beef"), 1);
	assert_int_equal(access(out, F_OK), 0);

	assert_int_equal(kc_register_list(r, &l, &n), KC_OK);
	assert_int_equal(n, 6);
	assert_int_equal(l[0].kind, KC_REG_ROOT);
	assert_string_equal(l[0].serial, "0a");
	free(l);
	kc_register_close(r);

	/* Reopen without create: still there, and read-only. */
	assert_int_equal(kc_register_open(state_dir, 0, &r), KC_OK);
	assert_int_equal(kc_register_serial_used(r, "ca1", "0a"), 1);
	entry(&e, KC_REG_INTERMEDIATE, "cafe");
	assert_int_equal(kc_register_add(r, &e), KC_ERR_DB);
	kc_register_close(r);
	kc_register_close(NULL);
}

static void
test_reasons(void **state)
{
	int r;

	(void)state;
	assert_int_equal(kc_reason_parse("keyCompromise", &r), KC_OK);
	assert_int_equal(r, 1);
	assert_int_equal(kc_reason_parse("cessationOfOperation", &r), KC_OK);
	assert_int_equal(r, 5);
	assert_int_equal(kc_reason_parse("unspecified", &r), KC_ERR_USAGE);
	assert_int_equal(kc_reason_parse("KeyCompromise", &r), KC_ERR_USAGE);
	assert_string_equal(kc_reason_name(2), "cACompromise");
}

/* A self-signed root with a software key. */
static X509 *
make_root(EVP_PKEY *k, int days)
{
	struct kc_cert_req req;
	X509_NAME *n = NULL;
	X509 *x = NULL;
	unsigned char serial[KC_SERIAL_LEN];

	memset(&req, 0, sizeof(req));
	memset(serial, 0x42, sizeof(serial));
	assert_int_equal(kc_name_parse("/CN=Unit Root/O=Example", &n), KC_OK);
	req.profile = KC_PROFILE_ROOT;
	req.subject = n;
	req.subject_key = k;
	req.serial = serial;
	req.serial_len = sizeof(serial);
	req.path_len = -1;
	assert_int_equal(kc_validity(days, time(NULL) - 10, &req.not_before,
	    &req.not_after), KC_OK);
	assert_int_equal(kc_cert_build(&req, &x), KC_OK);
	assert_int_equal(kc_cert_sign(x, k, NULL, KC_PROFILE_ROOT), KC_OK);
	X509_NAME_free(n);
	return x;
}

static void
test_crl(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *root = make_root(k, 100);
	struct kc_crl_entry ents[2] = {
		{ "7f01", 0, KC_REASON_KEY_COMPROMISE },
		{ "0a", 0, KC_REASON_NONE },
	};
	struct kc_crl_req req;
	X509_CRL *crl = NULL;
	STACK_OF(X509_REVOKED) *revs;
	ASN1_INTEGER *num;
	time_t now = time(NULL);
	char *pem;
	size_t len;

	(void)state;
	ents[0].revoked_at = ents[1].revoked_at = now;
	memset(&req, 0, sizeof(req));
	req.issuer = root;
	req.number = 7;
	req.this_update = now;
	req.next_update = now + 30 * 86400;
	req.entries = ents;
	req.n_entries = 2;
	assert_int_equal(kc_crl_build(&req, &crl), KC_OK);
	if (kc_crl_sign(crl, k, root) != KC_OK)
		fail_msg("%s", kc_errmsg());
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(root)), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	revs = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revs), 2);
	/* Sorted by serial: 0a before 7f01. */
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
	    sk_X509_REVOKED_value(revs, 0))), 0x0a);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(num), 7);
	ASN1_INTEGER_free(num);
	assert_int_equal(kc_crl_pem(crl, &pem, &len), KC_OK);
	assert_non_null(strstr(pem, "BEGIN X509 CRL"));
	free(pem);
	X509_CRL_free(crl);

	/* Signed by a key that is not the root's: caught after signing. */
	assert_int_equal(kc_crl_build(&req, &crl), KC_OK);
	assert_int_equal(kc_crl_sign(crl, other, root), KC_ERR_INTERNAL);
	assert_non_null(strstr(kc_errmsg(), "does not verify"));
	X509_CRL_free(crl);

	/* nextUpdate after the root's end: lint refuses before signing. */
	req.next_update = now + 200 * 86400;
	assert_int_equal(kc_crl_build(&req, &crl), KC_OK);
	assert_int_equal(kc_crl_sign(crl, k, root), KC_ERR_INTERNAL);
	assert_non_null(strstr(kc_errmsg(), "nextUpdate"));
	X509_CRL_free(crl);

	/* Bad serial text. */
	req.next_update = now + 86400;
	ents[1].serial = "zz";
	assert_int_equal(kc_crl_build(&req, &crl), KC_ERR_INPUT);
	assert_null(crl);

	X509_free(root);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_crl),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_factory.c: unit tests of factorysign's library parts: DPS
 * registration-ID rules, --format lists, the ledger's uniqueness rules, and
 * the fast CSR path against the shared CSR intake (kc_csr_parse): on
 * generated CSRs and on every DER file of the hostile corpus, both must
 * accept or refuse the same inputs; the output writer (kc_fjob,
 * kc_fwriter): files, modes, order, and a failure that stops the queue.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "factory_int.h"

#include "tmpdir.h"

static void
test_id_rules(void **state)
{
	static const char *good[] = { "a", "dev-0001", "A.b_c:d", "x-",
	    "1234567890123456789012345678901234567890123456789012345678901234" };
	static const char *bad[] = { "", "dev.", "dev_", "dev:", "a b", "dév",
	    "a/b", "12345678901234567890123456789012345678901234567890123456789"
	    "012345" };
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(kc_factory_id_ok(good[i], NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		assert_false(kc_factory_id_ok(bad[i], &why));
		assert_non_null(why);
	}
}

static void
test_formats(void **state)
{
	unsigned f;

	(void)state;
	assert_int_equal(kc_format_parse("pem", &f), KC_OK);
	assert_int_equal(f, KC_FMT_PEM);
	assert_int_equal(kc_format_parse("pem,pfx,c,at", &f), KC_OK);
	assert_int_equal(f, KC_FMT_PEM | KC_FMT_PFX | KC_FMT_C | KC_FMT_AT);
	assert_int_equal(kc_format_parse("pem,,c", &f), KC_ERR_USAGE);
	assert_int_equal(kc_format_parse("zip", &f), KC_ERR_USAGE);
	assert_non_null(strstr(kc_errmsg(), "zip"));
	assert_int_equal(kc_format_parse("", &f), KC_ERR_USAGE);
}

static void
row(struct kc_ledger_row *r, const char *serial, const char *id)
{
	static unsigned char der[] = { 0x30, 0x00 };

	memset(r, 0, sizeof(*r));
	snprintf(r->serial, sizeof(r->serial), "%s", serial);
	snprintf(r->device_id, sizeof(r->device_id), "%s", id);
	strcpy(r->cert_sha256, "00");
	strcpy(r->kind, "device");
	strcpy(r->status, "issued");
	r->issued_at = 1;
	r->not_after = 2;
	r->cert_path = (char *)"x.pem";
	r->cert_der = der;
	r->cert_der_len = sizeof(der);
}

static void
test_ledger(void **state)
{
	struct kc_ledger *l = NULL;
	struct kc_ledger_row r, found;
	char path[128];
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/ledger.sqlite", tmpdir);
	assert_int_equal(kc_ledger_open(path, 0, &l), KC_ERR_NOTFOUND);
	assert_int_equal(kc_ledger_open(path, 1, &l), KC_OK);
	row(&r, "01", "Dev-1");
	assert_int_equal(kc_ledger_record(l, &r), KC_OK);
	assert_int_equal(kc_ledger_serial_exists(l, "01"), 1);
	assert_int_equal(kc_ledger_serial_exists(l, "02"), 0);
	/* a serial twice: refused */
	row(&r, "01", "dev-2");
	assert_int_equal(kc_ledger_record(l, &r), KC_ERR_EXISTS);
	/* a live ID twice, in another case: refused (DPS ignores case) */
	row(&r, "03", "dev-1");
	assert_int_equal(kc_ledger_record(l, &r), KC_ERR_EXISTS);
	assert_int_equal(kc_ledger_find_id(l, "DEV-1", &found), 1);
	assert_string_equal(found.serial, "01");
	kc_ledger_row_clear(&found);
	/* after superseding, the ID may be issued again */
	assert_int_equal(kc_ledger_supersede(l, "01"), KC_OK);
	assert_int_equal(kc_ledger_record(l, &r), KC_OK);
	assert_int_equal(kc_ledger_find_id(l, "dev-1", &found), 1);
	assert_string_equal(found.serial, "03");
	kc_ledger_row_clear(&found);
	/* verification rows do not take device IDs */
	row(&r, "04", "dev-1");
	strcpy(r.kind, "verification");
	assert_int_equal(kc_ledger_record(l, &r), KC_OK);
	/* a rolled-back transaction leaves nothing */
	assert_int_equal(kc_ledger_begin(l), KC_OK);
	row(&r, "05", "dev-5");
	assert_int_equal(kc_ledger_record(l, &r), KC_OK);
	assert_int_equal(kc_ledger_rollback(l), KC_OK);
	assert_int_equal(kc_ledger_serial_exists(l, "05"), 0);
	assert_int_equal(kc_ledger_count(l, &n), KC_OK);
	assert_int_equal(n, 3);
	kc_ledger_close(l);
}

/* --- the fast path and kc_csr_parse agree ------------------------------ */

static struct kc_signer signer;

static int
fast_accepts(const unsigned char *der, size_t len)
{
	struct kc_fcsr c;

	return kc_fcsr_parse(der, len, "t", &c) == KC_OK &&
	    kc_fcsr_verify(&signer, &c, "t") == KC_OK &&
	    kc_fcsr_check(&c, "t") == KC_OK;
}

/* kc_csr_parse, plus what the factory adds: CA:TRUE refused, exactly one
 * CN that is a registration ID. */
static int
intake_accepts(const unsigned char *der, size_t len)
{
	struct kc_csr *c = NULL;
	X509_NAME *n;
	int ok = 0, i;

	if (kc_csr_parse(der, len, "t", 0, &c) != KC_OK)
		return 0;
	n = X509_REQ_get_subject_name(c->req);
	i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	if (!c->ca_requested && i >= 0 &&
	    X509_NAME_get_index_by_NID(n, NID_commonName, i) < 0) {
		unsigned char *u = NULL;
		int l = ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
		ok = l > 0 && (size_t)l == strlen((char *)u) &&
		    kc_factory_id_ok((char *)u, NULL);
		OPENSSL_free(u);
	}
	kc_csr_free(c);
	return ok;
}

static void
make_csr(EVP_PKEY *k, const char *cn, const char *ext, int corrupt,
    unsigned char **der, int *len)
{
	X509_REQ *r = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();

	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_REQ_set_subject_name(r, n));
	assert_true(X509_REQ_set_pubkey(r, k));
	if (ext != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		char name[64], value[128];
		sscanf(ext, "%63[^=]=%127[^\n]", name, value);
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf(NULL, NULL, name,
		    value));
		assert_true(X509_REQ_add_extensions(r, exts));
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_true(X509_REQ_sign(r, k, EVP_sha256()) > 0);
	*der = NULL;
	*len = i2d_X509_REQ(r, der);
	assert_true(*len > 0);
	if (corrupt) {
		unsigned char *p = memmem(*der, (size_t)*len, cn, strlen(cn));
		assert_non_null(p);
		p[0] ^= 0x01;
	}
	X509_NAME_free(n);
	X509_REQ_free(r);
}

static void
test_fast_vs_intake_generated(void **state)
{
	static const char *curves[] = { "P-256", "P-384", "secp256k1",
	    "P-521" };
	static const struct {
		const char *cn, *ext;
		int corrupt;
	} cases[] = {
		{ "dev-1", NULL, 0 },
		{ "dev-1", "keyUsage=critical,digitalSignature,keyEncipherment",
		  0 },
		{ "dev-1", "subjectAltName=DNS:x.example", 0 },
		{ "dev-1", "basicConstraints=critical,CA:TRUE", 0 },
		{ "dev-1", "basicConstraints=critical,CA:FALSE", 0 },
		{ "dev-1", NULL, 1 },
		{ "dev.", NULL, 0 },
		{ "a b", NULL, 0 },
		{ "dév", NULL, 0 },
	};
	EVP_PKEY *keys[6];
	int nk = 0, accepted = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(curves) / sizeof(*curves); i++)
		keys[nk++] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
	keys[nk++] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[nk++] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	for (int k = 0; k < nk; k++) {
		assert_non_null(keys[k]);
		for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
			unsigned char *der;
			int len, a, b;
			make_csr(keys[k], cases[i].cn, cases[i].ext,
			    cases[i].corrupt, &der, &len);
			a = fast_accepts(der, (size_t)len);
			b = intake_accepts(der, (size_t)len);
			if (a != b)
				fail_msg("key %d case %zu: fast %d, intake %d "
				    "(%s)", k, i, a, b, kc_errmsg());
			accepted += a;
			OPENSSL_free(der);
		}
		EVP_PKEY_free(keys[k]);
	}
	/* P-256, P-384, RSA-2048 x cases 0, 1, 2, 4; nothing else */
	assert_int_equal(accepted, 12);
}

static void
test_fast_vs_intake_corpus(void **state)
{
	const char *top = getenv("KC_TOP_SRCDIR");
	char dir[1024];
	struct dirent *de;
	DIR *d;
	int n = 0, accepted = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/hostile/csr", top ? top : ".");
	if ((d = opendir(dir)) == NULL)
		fail_msg("%s: missing (KC_TOP_SRCDIR?)", dir);
	while ((de = readdir(d)) != NULL) {
		char path[2048];
		unsigned char *data;
		size_t len;
		const char *dot = strrchr(de->d_name, '.');
		int a, b;

		if (dot == NULL || strcmp(dot, ".der") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (kc_file_read(path, KC_FILE_MAX, &data, &len) != KC_OK)
			continue;
		a = len > 0 && fast_accepts(data, len);
		b = len > 0 && intake_accepts(data, len);
		/* the legacy nRF91 encoding: intake repairs it, the fast path
		 * verifies it as it is; both accept */
		if (a != b)
			fail_msg("%s: fast %d, intake %d", de->d_name, a, b);
		free(data);
		accepted += a;
		n++;
	}
	closedir(d);
	assert_true(n >= 20);
	assert_true(accepted >= 3 && accepted < n);
}

static int
signer_setup(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *ca = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int rc;

	(void)state;
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"CA", -1, -1, 0);
	X509_set_version(ca, 2);
	X509_set_subject_name(ca, n);
	X509_set_issuer_name(ca, n);
	X509_gmtime_adj(X509_getm_notBefore(ca), 0);
	X509_gmtime_adj(X509_getm_notAfter(ca), 86400);
	X509_set_pubkey(ca, k);
	X509V3_set_ctx(&ctx, ca, ca, NULL, NULL, 0);
	e = X509V3_EXT_conf(NULL, &ctx, "subjectKeyIdentifier", "hash");
	X509_add_ext(ca, e, -1);
	X509_EXTENSION_free(e);
	X509_sign(ca, k, EVP_sha256());
	rc = kc_signer_init(&signer, k, ca);
	EVP_PKEY_free(k);
	X509_free(ca);
	X509_NAME_free(n);
	return rc == KC_OK ? 0 : -1;
}

static int
signer_teardown(void **state)
{
	(void)state;
	kc_signer_clear(&signer);
	return 0;
}

/* A job for OUT/ID with the three default files (contents "ID<suffix>"). */
static struct kc_fjob *
job(const char *out, const char *id, int fresh)
{
	static const char *const sfx[] = { ".cert.pem", ".chain.pem",
	    ".full-chain.pem" };
	struct kc_fjob *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->name = strdup(id);
	j->out_dir = strdup(out);
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->fresh = fresh;
	for (size_t i = 0; i < 3; i++) {
		struct kc_buf b = { 0 };
		char text[128];
		snprintf(text, sizeof(text), "%s%s", id, sfx[i]);
		assert_int_equal(kc_buf_add(&b, text, strlen(text)), KC_OK);
		assert_int_equal(kc_fjob_add(j, sfx[i], &b, i == 2 ? 0600 :
		    0644), KC_OK);
		assert_null(b.p);	/* moved */
	}
	return j;
}

static int
has(const char *dir, const char *name, const char *want, mode_t mode)
{
	char path[256], buf[256];
	struct stat st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return stat(path, &st) == 0 && (st.st_mode & 0777) == mode &&
	    strcmp(buf, want) == 0;
}

static void
test_fjob_write(void **state)
{
	struct kc_fjob *j;
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	umask(022);
	j = job(tmpdir, "dev-1", 1);
	assert_int_equal(kc_fjob_write(j), KC_OK);
	kc_fjob_free(j);
	assert_true(has(tmpdir, "dev-1.cert.pem", "dev-1.cert.pem", 0644));
	assert_true(has(tmpdir, "dev-1.chain.pem", "dev-1.chain.pem", 0644));
	assert_true(has(tmpdir, "dev-1.full-chain.pem",
	    "dev-1.full-chain.pem", 0600));
	/* fresh again: every file exists, nothing is overwritten */
	j = job(tmpdir, "dev-1", 1);
	assert_int_equal(kc_fjob_write(j), KC_ERR_EXISTS);
	assert_non_null(strstr(kc_errmsg(), "dev-1.cert.pem"));
	kc_fjob_free(j);
	/* replacing: the new set, no temporary file left */
	j = job(tmpdir, "dev-1", 0);
	kc_buf_free(&j->f[0].data);
	assert_int_equal(kc_buf_add(&j->f[0].data, "new", 3), KC_OK);
	assert_int_equal(kc_fjob_write(j), KC_OK);
	kc_fjob_free(j);
	assert_true(has(tmpdir, "dev-1.cert.pem", "new", 0644));
	assert_non_null(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 3);
}

static void
test_fwriter(void **state)
{
	struct kc_fwriter *w;
	char bad[128];

	(void)state;
	assert_int_equal(kc_fwriter_new(4, &w), KC_OK);
	/* more jobs than the queue holds: put blocks, then all are written
	 * in order */
	for (int i = 0; i < 50; i++) {
		char id[16];
		snprintf(id, sizeof(id), "w-%02d", i);
		assert_int_equal(kc_fwriter_put(w, job(tmpdir, id, 1)), KC_OK);
	}
	assert_int_equal(kc_fwriter_wait(w), KC_OK);
	assert_true(has(tmpdir, "w-49.full-chain.pem", "w-49.full-chain.pem",
	    0600));
	/* a failure (no such directory) is kept: the jobs after it are
	 * dropped unwritten, and put and wait report it in this thread */
	snprintf(bad, sizeof(bad), "%s/missing", tmpdir);
	assert_int_equal(kc_fwriter_put(w, job(bad, "x-1", 1)), KC_OK);
	(void)kc_fwriter_wait(w);
	assert_int_equal(kc_fwriter_put(w, job(tmpdir, "x-2", 1)),
	    KC_ERR_IO);
	assert_non_null(strstr(kc_errmsg(), "x-1: cannot create"));
	assert_non_null(strstr(kc_errmsg(), "missing/x-1.cert.pem"));
	assert_int_equal(kc_fwriter_wait(w), KC_ERR_IO);
	assert_false(has(tmpdir, "x-2.cert.pem", "x-2.cert.pem", 0644));
	/* reset: writing again */
	kc_fwriter_reset(w);
	assert_int_equal(kc_fwriter_put(w, job(tmpdir, "x-3", 1)), KC_OK);
	kc_fwriter_free(w);	/* writes what is queued */
	assert_true(has(tmpdir, "x-3.cert.pem", "x-3.cert.pem", 0644));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_rules),
		cmocka_unit_test(test_formats),
		cmocka_unit_test_setup_teardown(test_ledger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_vs_intake_generated,
		    signer_setup, signer_teardown),
		cmocka_unit_test_setup_teardown(test_fast_vs_intake_corpus,
		    signer_setup, signer_teardown),
		cmocka_unit_test_setup_teardown(test_fjob_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fwriter, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

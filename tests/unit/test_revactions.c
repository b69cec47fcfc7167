/* test_revactions.c: revocation-actions.txt (kc/core/revactions.h) with
 * libkc-core alone: the text line by line for one and for two revoked
 * intermediates and for devices, the same request giving the same bytes,
 * hostile subjects and device IDs (controls, newlines, bidi, shell
 * metacharacters) that cannot add a line or reach a command, the header
 * read back, the plain-text check, the atomic write beside the CRL. Built
 * with the layering #error headers first on its include path. */
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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "kc/core/x509.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static EVP_PKEY *key;
static X509 *root;

/* A certificate with any subject CN (raw bytes, nothing checked), signed
 * by the test key: hostile subjects cannot be made by kc_name_parse(). */
static X509 *
make_cert(const char *cn, long serial, int ca)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UTF8STRING,
	    (const unsigned char *)cn, (int)strlen(cn), -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Example", -1, -1, 0));
	if (!X509_set_subject_name(x, n)) {
		/* not valid UTF-8: OpenSSL cannot canonicalise it */
		ERR_clear_error();
		X509_NAME_free(n);
		X509_free(x);
		return NULL;
	}
	assert_true(X509_set_issuer_name(x, root != NULL ?
	    X509_get_subject_name(root) : n));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 1700000000));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 1900000000));
	assert_true(X509_set_pubkey(x, key));
	(void)ca;
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

static int
setup(void **state)
{
	(void)state;
	key = EVP_EC_gen("P-256");
	assert_non_null(key);
	root = make_cert("Example Root", 1, 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root);
	EVP_PKEY_free(key);
	return 0;
}

static void
req_init(struct kc_revact_req *r, const struct kc_revact_cert *c, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->writer = "keyceremony crl";
	r->issuer = root;
	r->crl_file = "root-0002.crl";
	r->crl_number = 2;
	r->crl_sha256 = SHA;
	r->written = 1764626400;	/* 2025-12-01 22:00:00 UTC */
	r->certs = c;
	r->n = n;
}

/* The n-th line (1-based) of text, in buf. */
static const char *
line_of(const char *text, size_t want, char *buf, size_t bufsz)
{
	size_t k = 1;
	const char *p = text;

	while (k < want) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
		k++;
	}
	snprintf(buf, bufsz, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Every line that is not a note is an az or curl command, and every
 * line is plain. */
static void
check_shape(const char *text, size_t len)
{
	char why[160];
	const char *p = text;

	assert_true(kc_revact_plain(text, len, why, sizeof(why)));
	while (*p) {
		size_t n = strcspn(p, "\n");
		if (n > 0 && p[0] != '#')
			assert_true(strncmp(p, "az iot ", 7) == 0 ||
			    strncmp(p, "curl -X DELETE ", 15) == 0);
		p += n + 1;
	}
}

static void
test_one_intermediate(void **state)
{
	struct kc_revact_cert c;
	struct kc_revact_req r;
	X509 *x = make_cert("Factory 1", 0x1234, 1);
	char *text = NULL, *again = NULL, l[512], crl[256], sha[65];
	size_t len = 0, len2 = 0;
	long long num = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = KC_REVACT_CA;
	c.cert = x;
	c.revoked_at = 1764626400;
	c.reason = KC_REASON_KEY_COMPROMISE;
	req_init(&r, &c, 1);
	if (kc_revact_text(&r, &text, &len) != KC_OK)
		fail_msg("%s", kc_errmsg());
	check_shape(text, len);
	assert_string_equal(line_of(text, 1, l, sizeof(l)),
	    "# Revocation actions: what to run at the cloud services "
	    "after a revocation");
	assert_non_null(strstr(text, "\n# Source: Microsoft, "));
	assert_non_null(strstr(text, "https://learn.microsoft.com/en-us/"
	    "azure/iot-dps/how-to-revoke-device-access-portal\n"));
	assert_non_null(strstr(text, "\n# Written by: keyceremony crl\n"));
	assert_non_null(strstr(text, "\n# Written at: 2025-12-01 22:00:00 UTC "
	    "(the CRL's thisUpdate)\n"));
	assert_non_null(strstr(text, "\n# CRL file: root-0002.crl\n"
	    "# CRL number: 2\n# CRL SHA-256: " SHA "\n"
	    "# CRL issuer: /CN=Example Root/O=Example\n"
	    "# Revoked certificates: 1 (1 CA, 0 device, 0 other)\n"));
	assert_non_null(strstr(text, "\n## 1 of 1: CA (intermediate) "
	    "certificate 1234\n#   subject:    /CN=Factory 1/O=Example\n"
	    "#   issuer:     /CN=Example Root/O=Example\n"
	    "#   serial:     1234\n"
	    "#   not after:  2030-03-17 17:46:40 UTC\n"
	    "#   revoked:    2025-12-01 22:00:00 UTC, reason keyCompromise\n"));
	{
		char colon[96], hex[65], up[65], want[200];
		unsigned char md[20];
		unsigned int mdlen;
		kc_cert_fingerprint(x, colon, hex);
		for (int i = 0; i < 65; i++)
			up[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
		snprintf(want, sizeof(want), "\n#   SHA-256 thumbprint: %s\n",
		    up);
		assert_non_null(strstr(text, want));
		X509_digest(x, EVP_sha1(), md, &mdlen);
		snprintf(want, sizeof(want), "\n#   SHA-1 thumbprint:   ");
		for (int i = 0; i < 20; i++)
			snprintf(want + strlen(want), 3, "%02X", md[i]);
		strcat(want, " (what az shows as \"thumbprint\")\n");
		assert_non_null(strstr(text, want));
	}
	assert_non_null(strstr(text, "\naz iot dps enrollment-group update "
	    "--dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> "
	    "--enrollment-id <ENROLLMENT-GROUP-ID> --provisioning-status "
	    "disabled\n"));
	assert_non_null(strstr(text, "\naz iot dps certificate delete "
	    "--dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> "
	    "--certificate-name <CA-CERTIFICATE-NAME> --etag <ETAG>\n"));
	assert_non_null(strstr(text, "\naz iot dps enrollment-group "
	    "registration list --dps-name <DPS-NAME> --resource-group "
	    "<RESOURCE-GROUP> --group-id <ENROLLMENT-GROUP-ID>\n"));
	assert_non_null(strstr(text, "\naz iot hub device-identity update "
	    "--hub-name <HUB-NAME> --device-id <DEVICE-ID> --status "
	    "disabled\n"));
	assert_non_null(strstr(text, "\naz iot hub certificate delete "
	    "--hub-name <HUB-NAME> --resource-group <RESOURCE-GROUP> --name "
	    "<CA-CERTIFICATE-NAME> --etag <ETAG>\n"));
	assert_int_equal(count(text, "\naz "), 6);
	assert_int_equal(count(text, "\n## "), 1);
	assert_null(strstr(text, "az iot dps enrollment create"));
	/* the last line */
	assert_non_null(strstr(text, "\n# end of the revocation actions of "
	    "root-0002.crl\n"));
	assert_int_equal(text[len - 1], '\n');
	assert_null(strstr(text, "\n\n\n"));

	/* the same request, the same bytes */
	assert_int_equal(kc_revact_text(&r, &again, &len2), KC_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(text, again, len);

	/* the header read back */
	assert_int_equal(kc_revact_header(text, len, "t", crl, &num, sha),
	    KC_OK);
	assert_string_equal(crl, "root-0002.crl");
	assert_int_equal(num, 2);
	assert_string_equal(sha, SHA);
	free(text);
	free(again);
	X509_free(x);
}

static void
test_two_intermediates(void **state)
{
	struct kc_revact_cert c[2];
	struct kc_revact_req r;
	X509 *x = make_cert("Factory 1", 0x1234, 1);
	char *text = NULL, *a, *b;
	size_t len = 0;

	(void)state;
	memset(c, 0, sizeof(c));
	c[0].kind = KC_REVACT_CA;
	c[0].cert = x;
	c[0].reason = KC_REASON_SUPERSEDED;
	c[0].revoked_at = 1764626400;
	/* the second revoked by serial: no certificate at hand */
	c[1].kind = KC_REVACT_CA;
	c[1].serial = "0abc";
	c[1].subject = "/CN=Factory 2/O=Example";
	c[1].sha256 = SHA;
	c[1].not_after = 1900000000;
	c[1].revoked_at = 1764630000;
	c[1].reason = KC_REASON_NONE;
	req_init(&r, c, 2);
	assert_int_equal(kc_revact_text(&r, &text, &len), KC_OK);
	check_shape(text, len);
	if (getenv("KC_REVACT_SHOW") != NULL)	/* for a person to read */
		fputs(text, stderr);
	assert_non_null(strstr(text, "# Revoked certificates: 2 (2 CA, 0 "
	    "device, 0 other)\n"));
	a = strstr(text, "\n## 1 of 2: CA (intermediate) certificate 1234\n"
	    "#   subject:    /CN=Factory 1/O=Example\n");
	b = strstr(text, "\n## 2 of 2: CA (intermediate) certificate 0abc\n"
	    "#   subject:    /CN=Factory 2/O=Example\n"
	    "#   serial:     0abc\n"
	    "#   not after:  2030-03-17 17:46:40 UTC\n"
	    "#   revoked:    2025-12-01 23:00:00 UTC, reason none\n"
	    "#   SHA-256 thumbprint: " "0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF\n"
	    "#   SHA-1 thumbprint:   not known here");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(text, "reason superseded\n"));
	assert_int_equal(count(text, "\naz iot dps enrollment-group update "),
	    2);
	assert_int_equal(count(text, "\naz "), 12);
	free(text);
	X509_free(x);
}

static void
test_devices(void **state)
{
	struct kc_revact_cert c[2];
	struct kc_revact_req r;
	X509 *d1 = make_cert("sensor-0001", 0x51, 0);
	X509 *d2 = make_cert("sensor-0002", 0x52, 0);
	char *text = NULL;
	size_t len = 0;

	(void)state;
	memset(c, 0, sizeof(c));
	c[0].kind = KC_REVACT_DEVICE;
	c[0].cert = d1;
	c[0].reason = KC_REASON_KEY_COMPROMISE;
	c[1].kind = KC_REVACT_DEVICE;
	c[1].cert = d2;
	c[1].device_id = "sensor-0002";
	c[1].cert_file = "devices/sensor-0002.cert.pem";
	req_init(&r, c, 2);
	r.writer = "factorysign crl";
	r.crl_file = "intermediate.crl";
	assert_int_equal(kc_revact_text(&r, &text, &len), KC_OK);
	check_shape(text, len);
	assert_non_null(strstr(text, "(0 CA, 2 device, 0 other)\n"));
	assert_non_null(strstr(text, "\naz iot dps enrollment create "
	    "--dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> "
	    "--enrollment-id sensor-0001 --attestation-type x509 "
	    "--certificate-path sensor-0001.cert.pem --provisioning-status "
	    "disabled\n"));
	assert_non_null(strstr(text, "--enrollment-id sensor-0002 "
	    "--attestation-type x509 --certificate-path "
	    "devices/sensor-0002.cert.pem --provisioning-status disabled\n"));
	assert_non_null(strstr(text, "\naz iot hub device-identity update "
	    "--hub-name <HUB-NAME> --device-id sensor-0001 --status "
	    "disabled\n"));
	assert_non_null(strstr(text, "\ncurl -X DELETE -H \"Authorization: "
	    "Bearer $NRF_CLOUD_API_KEY\" https://api.nrfcloud.com/v1/devices/"
	    "sensor-0002\n"));
	assert_int_equal(count(text, "\naz "), 4);
	assert_int_equal(count(text, "\ncurl "), 2);
	free(text);
	X509_free(d1);
	X509_free(d2);
}

/* Subjects and IDs an attacker chose: nothing of them adds a line, a
 * control reaches the file, or a shell metacharacter reaches a command. */
static void
test_hostile(void **state)
{
	static const char *bad[] = {
		"evil\n--provisioning-status enabled",
		"x\r\naz iot dps enrollment-group delete",
		"\x1b]0;pwn\x07\x1b[2J",
		"a\xe2\x80\xae" "cba",		/* U+202E */
		"$(rm -rf ~)", "`id`", "a;b", "a b", "a'b", "a\"b", "a|b",
		"a&b", "-rf", "a\\nb", "a\xc2\x9b" "31m", "\xff\xfe",
		"a\xe2\x80\xa8" "b", "a\xef\xbb\xbf" "b", "<DEVICE-ID>",
		"a*b", "a?b", "~root", "a>b", "a%0ab",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kc_revact_cert c[3];
		struct kc_revact_req r;
		X509 *ca = make_cert(bad[i], 0x60 + (long)i, 1);
		X509 *dev = make_cert(bad[i], 0x61 + (long)i, 0);

		if (ca == NULL)
			ca = make_cert("plain", 0x60 + (long)i, 1);
		if (dev == NULL)
			dev = make_cert("<x>", 0x61 + (long)i, 0);
		char *text = NULL, why[160];
		size_t len = 0;
		const char *p;

		memset(c, 0, sizeof(c));
		c[0].kind = KC_REVACT_CA;
		c[0].cert = ca;
		c[1].kind = KC_REVACT_DEVICE;
		c[1].cert = dev;		/* ID from the hostile CN */
		c[2].kind = KC_REVACT_DEVICE;
		c[2].serial = "77";
		c[2].sha256 = SHA;
		c[2].subject = bad[i];
		c[2].device_id = bad[i];
		c[2].cert_file = bad[i];
		req_init(&r, c, 3);
		r.writer = bad[i];
		r.crl_file = bad[i];
		if (kc_revact_text(&r, &text, &len) != KC_OK)
			fail_msg("%zu: %s", i, kc_errmsg());
		assert_true(kc_revact_plain(text, len, why, sizeof(why)));
		if (getenv("KC_REVACT_SHOW") != NULL && i == 0)
			fputs(text, stderr);
		check_shape(text, len);
		assert_int_equal(strlen(text), len);
		/* the same commands as for a plain ID, with placeholders */
		assert_int_equal(count(text, "\naz "), 6 + 2 + 2);
		assert_int_equal(count(text, "\n## "), 3);
		assert_int_equal(count(text, "--enrollment-id <DEVICE-ID> "
		    "--attestation-type x509 --certificate-path "), 2);
		/* no command line holds a byte of the hostile string */
		for (p = text; *p; p += strcspn(p, "\n") + 1) {
			size_t n = strcspn(p, "\n");
			if (p[0] == '#' || n == 0)
				continue;
			for (size_t k = 0; k < n; k++)
				assert_null(strchr("`;|&'\\()*?~", p[k]));
			assert_null(memchr(p, '$', n) != NULL &&
			    strncmp(p, "curl ", 5) != 0 ? p : NULL);
		}
		assert_null(strstr(text, "\n--provisioning-status enabled"));
		assert_null(strstr(text, "\naz iot dps enrollment-group "
		    "delete"));
		free(text);
		X509_free(ca);
		X509_free(dev);
	}
}

static void
test_plain_and_header(void **state)
{
	const char *first = "# Revocation actions: what to run at the "
	    "cloud services after a revocation\n";
	char buf[1024], why[160], crl[256], sha[65];
	long long num;

	(void)state;
	assert_false(kc_revact_plain("hello\n", 6, why, sizeof(why)));
	assert_non_null(strstr(why, "first line"));
	snprintf(buf, sizeof(buf), "%s# x\x1b[2J\n", first);
	assert_false(kc_revact_plain(buf, strlen(buf), why, sizeof(why)));
	assert_non_null(strstr(why, "line 2"));
	snprintf(buf, sizeof(buf), "%s# no line end", first);
	assert_false(kc_revact_plain(buf, strlen(buf), why, sizeof(why)));
	snprintf(buf, sizeof(buf), "%s# ok\n", first);
	assert_true(kc_revact_plain(buf, strlen(buf), why, sizeof(why)));
	memcpy(buf + strlen(first) + 2, "\0k", 2);
	assert_false(kc_revact_plain(buf, strlen(first) + 5, why,
	    sizeof(why)));
	/* a header without the CRL */
	snprintf(buf, sizeof(buf), "%s# CRL file: a.crl\n# CRL number: 2\n",
	    first);
	assert_int_equal(kc_revact_header(buf, strlen(buf), "f", crl, &num,
	    sha), KC_ERR_INPUT);
	snprintf(buf, sizeof(buf), "%s# CRL file: a.crl\n# CRL number: 0\n"
	    "# CRL SHA-256: " SHA "\n", first);
	assert_int_equal(kc_revact_header(buf, strlen(buf), "f", crl, &num,
	    sha), KC_ERR_INPUT);
	snprintf(buf, sizeof(buf), "%s# CRL file: a.crl\n# CRL number: 7\n"
	    "# CRL SHA-256: " SHA "\n", first);
	assert_int_equal(kc_revact_header(buf, strlen(buf), "f", crl, &num,
	    sha), KC_OK);
	assert_int_equal(num, 7);
	/* only the header counts: a field after the first blank line is
	 * not read */
	snprintf(buf, sizeof(buf), "%s\n# CRL file: a.crl\n# CRL number: 7\n"
	    "# CRL SHA-256: " SHA "\n", first);
	assert_int_equal(kc_revact_header(buf, strlen(buf), "f", crl, &num,
	    sha), KC_ERR_INPUT);
}

static void
test_write(void **state)
{
	char dir[64] = "/tmp/kc-unit.XXXXXX", crl[512], path[512];
	char *text = NULL;
	unsigned char *back = NULL;
	size_t len = 0, blen = 0;
	struct kc_revact_req r;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(crl, sizeof(crl), "%s/root-0002.crl", dir);
	assert_int_equal(kc_revact_path(crl, path, sizeof(path)), KC_OK);
	assert_non_null(strstr(path, "/root-0002.revocation-actions.txt"));
	assert_int_equal(strncmp(path, dir, strlen(dir)), 0);
	assert_int_equal(kc_revact_path("a.crl", crl, sizeof(crl)), KC_OK);
	assert_string_equal(crl, "a.revocation-actions.txt");
	assert_int_equal(kc_revact_path("d.x/ROOT.PEM", crl, sizeof(crl)),
	    KC_OK);
	assert_string_equal(crl, "d.x/ROOT.revocation-actions.txt");
	assert_int_equal(kc_revact_path("d/.crl", crl, sizeof(crl)), KC_OK);
	assert_string_equal(crl, "d/.crl.revocation-actions.txt");
	assert_int_equal(kc_revact_path("c.der", crl, sizeof(crl)), KC_OK);
	assert_string_equal(crl, "c.der.revocation-actions.txt");
	assert_int_equal(kc_revact_path("d/", crl, sizeof(crl)),
	    KC_ERR_USAGE);
	req_init(&r, NULL, 0);
	assert_int_equal(kc_revact_text(&r, &text, &len), KC_OK);
	assert_non_null(strstr(text, "Nothing is revoked"));
	assert_int_equal(kc_revact_write(path, "old\n", 4), KC_OK);
	assert_int_equal(kc_revact_write(path, text, len), KC_OK);
	assert_int_equal(kc_file_read(path, KC_REVACT_MAX, &back, &blen),
	    KC_OK);
	assert_int_equal(blen, len);
	assert_memory_equal(back, text, len);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	free(back);
	free(text);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_intermediate),
		cmocka_unit_test(test_two_intermediates),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_plain_and_header),
		cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * mkcsrs.c: test helper: mkcsrs DIR N PREFIX writes N PEM CSRs
 * DIR/PREFIX-00001.csr ... (CN = PREFIX-00001 ...), all with one fresh
 * P-256 key, fast (no process per CSR). For the fault-injection tests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

int
main(int argc, char **argv)
{
	EVP_PKEY *key;
	long n;

	if (argc != 4 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: mkcsrs DIR N PREFIX\n");
		return 2;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL)
		return 1;
	for (long i = 1; i <= n; i++) {
		char cn[64], path[4096];
		X509_REQ *req = X509_REQ_new();
		X509_NAME *name = X509_NAME_new();
		FILE *f;

		snprintf(cn, sizeof(cn), "%s-%05ld", argv[3], i);
		if (snprintf(path, sizeof(path), "%s/%s.csr", argv[1], cn) >=
		    (int)sizeof(path))
			return 1;
		if (req == NULL || name == NULL ||
		    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		    (const unsigned char *)cn, -1, -1, 0) ||
		    !X509_REQ_set_subject_name(req, name) ||
		    !X509_REQ_set_pubkey(req, key) ||
		    !X509_REQ_sign(req, key, EVP_sha256()) ||
		    (f = fopen(path, "w")) == NULL)
			return 1;
		if (!PEM_write_X509_REQ(f, req) || fclose(f) != 0)
			return 1;
		X509_NAME_free(name);
		X509_REQ_free(req);
	}
	EVP_PKEY_free(key);
	return 0;
}

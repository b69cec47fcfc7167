/*
 * gencsr.c: writes COUNT device CSRs (PEM, each with its own EC key) into
 * DIR as PREFIX<number>.csr with CN = PREFIX<number>, for the batch and
 * crash tests and for `make bench`. Keys are not kept (--keys DIR keeps
 * them, unencrypted, for tests that connect).
 *   gencsr DIR COUNT PREFIX [--p384] [--keys KEYDIR] [--start N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

int
main(int argc, char **argv)
{
	const char *dir, *prefix, *keys = NULL, *curve = "P-256";
	long count, start = 1;
	char path[4096], cn[128];

	if (argc < 4) {
		fprintf(stderr, "usage: gencsr DIR COUNT PREFIX [--p384] "
		    "[--keys KEYDIR] [--start N]\n");
		return 2;
	}
	dir = argv[1];
	count = strtol(argv[2], NULL, 10);
	prefix = argv[3];
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--p384") == 0)
			curve = "P-384";
		else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc)
			keys = argv[++i];
		else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc)
			start = strtol(argv[++i], NULL, 10);
	}
	for (long n = start; n < start + count; n++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
		X509_REQ *r = X509_REQ_new();
		X509_NAME *name = X509_NAME_new();
		FILE *f;

		snprintf(cn, sizeof(cn), "%s%06ld", prefix, n);
		if (k == NULL || r == NULL || name == NULL ||
		    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		    (unsigned char *)cn, -1, -1, 0) ||
		    !X509_REQ_set_subject_name(r, name) ||
		    !X509_REQ_set_pubkey(r, k) ||
		    X509_REQ_sign(r, k, EVP_sha256()) <= 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%s.csr", dir, cn);
		if ((f = fopen(path, "w")) == NULL ||
		    !PEM_write_X509_REQ(f, r) || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		if (keys != NULL) {
			snprintf(path, sizeof(path), "%s/%s.key", keys, cn);
			if ((f = fopen(path, "w")) == NULL ||
			    !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
			    NULL) || fclose(f) != 0) {
				perror(path);
				return 1;
			}
		}
		X509_NAME_free(name);
		X509_REQ_free(r);
		EVP_PKEY_free(k);
	}
	return 0;
}

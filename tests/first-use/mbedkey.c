/*
 * mbedkey.c: mbedkey KEYFILE [PASSPHRASE-FILE]: reads a private key the
 * way a device running mbedTLS does (mbedtls_pk_parse_keyfile, the
 * library Debian 12 ships: mbedTLS 2.28) and prints "ok <type>" (exit 0)
 * or "error -0xNNNN <mbedTLS's text>" (exit 1). The passphrase is the
 * first line of the file. Test build only: factorysign never links
 * mbedTLS.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

int
main(int argc, char **argv)
{
	mbedtls_pk_context pk;
	char pass[256] = "", msg[200];
	FILE *f;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mbedkey KEYFILE [PASSPHRASE-FILE]\n");
		return 2;
	}
	if (argc == 3) {
		if ((f = fopen(argv[2], "r")) == NULL ||
		    fgets(pass, sizeof(pass), f) == NULL) {
			perror(argv[2]);
			return 2;
		}
		fclose(f);
		pass[strcspn(pass, "\r\n")] = '\0';
	}
	mbedtls_pk_init(&pk);
	rc = mbedtls_pk_parse_keyfile(&pk, argv[1], argc == 3 ? pass : NULL);
	if (rc != 0) {
		mbedtls_strerror(rc, msg, sizeof(msg));
		printf("error -0x%04x %s (mbedTLS %s)\n", (unsigned)-rc, msg,
		    MBEDTLS_VERSION_STRING);
		mbedtls_pk_free(&pk);
		return 1;
	}
	printf("ok %s (mbedTLS %s)\n", mbedtls_pk_get_name(&pk),
	    MBEDTLS_VERSION_STRING);
	mbedtls_pk_free(&pk);
	return 0;
}

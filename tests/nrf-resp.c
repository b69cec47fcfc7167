/*
 * nrf-resp.c: test helper that builds an nRF91 %KEYGEN response around a
 * DER file (a CSR or a public key), the way the modem does: base64url(DER)
 * '.' base64url(COSE_Sign1), the COSE built with libcbor. The signature is
 * filler (nobody but Nordic can check it). Knobs make one defect at a time.
 *
 *   nrf-resp FILE.der SEC_TAG UUID32HEX [knob...]
 *   knobs: type=N tag=N elems=N plelems=N digest-bad neg-sec-tag no-sd
 *          wrap
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/sha.h>

#include "kc/core/fileio.h"

static void
b64url(const unsigned char *d, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i;

	for (i = 0; i + 2 < n; i += 3)
		printf("%c%c%c%c", a[d[i] >> 2],
		    a[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
		    a[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)], a[d[i + 2] & 63]);
	if (n - i == 1)
		printf("%c%c", a[d[i] >> 2], a[(d[i] & 3) << 4]);
	else if (n - i == 2)
		printf("%c%c%c", a[d[i] >> 2],
		    a[((d[i] & 3) << 4) | (d[i + 1] >> 4)],
		    a[(d[i + 1] & 15) << 2]);
}

static cbor_item_t *
int_min(uint64_t v, int neg)
{
	if (v < 256)
		return neg ? cbor_build_negint8((uint8_t)v) :
		    cbor_build_uint8((uint8_t)v);
	if (v < 65536)
		return neg ? cbor_build_negint16((uint16_t)v) :
		    cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return neg ? cbor_build_negint32((uint32_t)v) :
		    cbor_build_uint32((uint32_t)v);
	return neg ? cbor_build_negint64(v) : cbor_build_uint64(v);
}

static unsigned char *
ser(cbor_item_t *it, size_t *len)
{
	unsigned char *b = NULL;
	size_t cap = 0;

	*len = cbor_serialize_alloc(it, &b, &cap);
	if (*len == 0) {
		fprintf(stderr, "nrf-resp: cbor_serialize_alloc failed\n");
		exit(2);
	}
	return b;
}

int
main(int argc, char **argv)
{
	unsigned char *der, uuid[16], md[32], sig[64], nonce[16];
	unsigned char *pb, *stb, *plb, *cb;
	size_t der_len, pbl, stbl, plbl, cbl, i;
	uint64_t sec_tag, tag = 18, type = 9, elems = 4, plelems = 5;
	int digest_bad = 0, neg = 0, sd = 1, wrap = 0;
	cbor_item_t *prot, *pl, *arr, *unprot, *top;

	if (argc < 4 || kc_file_read(argv[1], KC_FILE_MAX, &der, &der_len) != 0
	    || strlen(argv[3]) != 32) {
		fprintf(stderr, "usage: nrf-resp FILE.der SEC_TAG UUID32HEX "
		    "[knob...]\n");
		return 2;
	}
	sec_tag = strtoull(argv[2], NULL, 10);
	for (i = 0; i < 16; i++)
		if (sscanf(argv[3] + 2 * i, "%2hhx", &uuid[i]) != 1)
			return 2;
	for (i = 4; i < (size_t)argc; i++) {
		if (strncmp(argv[i], "type=", 5) == 0)
			type = strtoull(argv[i] + 5, NULL, 10);
		else if (strncmp(argv[i], "tag=", 4) == 0)
			tag = strtoull(argv[i] + 4, NULL, 10);
		else if (strncmp(argv[i], "elems=", 6) == 0)
			elems = strtoull(argv[i] + 6, NULL, 10);
		else if (strncmp(argv[i], "plelems=", 8) == 0)
			plelems = strtoull(argv[i] + 8, NULL, 10);
		else if (strcmp(argv[i], "digest-bad") == 0)
			digest_bad = 1;
		else if (strcmp(argv[i], "neg-sec-tag") == 0)
			neg = 1;
		else if (strcmp(argv[i], "no-sd") == 0)
			sd = 0;
		else if (strcmp(argv[i], "wrap") == 0)
			wrap = 1;
		else
			return 2;
	}
	SHA256(der, der_len, md);
	if (digest_bad)
		md[0] ^= 1;
	for (i = 0; i < 64; i++)
		sig[i] = (unsigned char)(i * 7);
	for (i = 0; i < 16; i++)
		nonce[i] = (unsigned char)(0xc0 + i);

	prot = cbor_new_definite_map(1);
	cbor_map_add(prot, (struct cbor_pair){ cbor_move(cbor_build_uint8(1)),
	    cbor_move(cbor_build_negint8(6)) });
	pb = ser(prot, &pbl);
	cbor_decref(&prot);

	top = int_min(sec_tag, neg);
	stb = ser(top, &stbl);
	cbor_decref(&top);

	pl = cbor_new_definite_array(plelems);
	cbor_array_push(pl, cbor_move(cbor_build_uint8((uint8_t)type)));
	cbor_array_push(pl, cbor_move(cbor_build_bytestring(uuid, 16)));
	cbor_array_push(pl, cbor_move(cbor_build_bytestring(stb, stbl)));
	cbor_array_push(pl, cbor_move(cbor_build_bytestring(md, 32)));
	for (i = 4; i < plelems; i++)
		cbor_array_push(pl, cbor_move(cbor_build_bytestring(nonce, 16)));
	if (sd)
		pl = cbor_build_tag(55799, cbor_move(pl));
	plb = ser(pl, &plbl);
	cbor_decref(&pl);

	arr = cbor_new_definite_array(elems);
	cbor_array_push(arr, cbor_move(cbor_build_bytestring(pb, pbl)));
	unprot = cbor_new_definite_map(1);
	cbor_map_add(unprot, (struct cbor_pair){
	    cbor_move(cbor_build_uint8(4)),
	    cbor_move(cbor_build_bytestring((const unsigned char *)"\x21",
	    1)) });
	cbor_array_push(arr, cbor_move(unprot));
	cbor_array_push(arr, cbor_move(cbor_build_bytestring(plb, plbl)));
	for (i = 3; i < elems; i++)
		cbor_array_push(arr, cbor_move(cbor_build_bytestring(sig, 64)));
	top = cbor_build_tag(tag, cbor_move(arr));
	cb = ser(top, &cbl);
	cbor_decref(&top);

	if (wrap)
		printf("%%KEYGEN: \"");
	b64url(der, der_len);
	putchar('.');
	b64url(cb, cbl);
	printf(wrap ? "\"\r\n" : "\n");
	free(pb);
	free(stb);
	free(plb);
	free(cb);
	free(der);
	return 0;
}

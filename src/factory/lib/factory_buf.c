/*
 * factory_buf.c: struct kc_buf, the growing text buffer of factorysign's
 * outputs (PEM, PKCS#12, C, AT), and PEM into it. Its blocks may hold
 * device keys in clear: they are never realloc'd, and wiped when freed.
 * The buffer owns its block; kc_buf_free wipes and frees it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "kc/core/error.h"
#include "factory_int.h"

int
kc_buf_add(struct kc_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 1024;
		char *np;
		while (nc < b->len + len + 1)
			nc *= 2;
		/* no realloc: these buffers hold device keys in clear (the
		 * PEM, the C and AT formats), and realloc would leave the old
		 * block unwiped in the heap; copy, then wipe and free it */
		if ((np = malloc(nc)) == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			OPENSSL_clear_free(b->p, b->cap);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return KC_OK;
}

int
kc_buf_pem(struct kc_buf *b, const char *label, const unsigned char *der,
    size_t len)
{
	char line[80];
	int rc;

	snprintf(line, sizeof(line), "-----BEGIN %s-----\n", label);
	if ((rc = kc_buf_add(b, line, strlen(line))) != KC_OK)
		return rc;
	for (size_t off = 0; off < len; off += 48) {
		size_t n = len - off < 48 ? len - off : 48;
		int o = EVP_EncodeBlock((unsigned char *)line, der + off, (int)n);
		line[o] = '\n';
		if ((rc = kc_buf_add(b, line, (size_t)o + 1)) != KC_OK)
			return rc;
	}
	snprintf(line, sizeof(line), "-----END %s-----\n", label);
	return kc_buf_add(b, line, strlen(line));
}

void
kc_buf_free(struct kc_buf *b)
{
	if (b->p != NULL)
		OPENSSL_cleanse(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

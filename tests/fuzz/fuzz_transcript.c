/*
 * fuzz_transcript.c: libFuzzer target for the transcript verifier
 * (kc_transcript_verify) and the PGP-word decoder. Each input is verified
 * as it is, and once more "re-chained": every record's prev field replaced
 * by the SHA-256 of the line before, so that mutations get past the hash
 * chain into the record parsing (otherwise almost every mutation stops at
 * the first changed line). The first line of the input doubles as the
 * digest the witnesses wrote on paper. Replayed in every build by
 * tests/fuzz/replay_transcript (see replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* A copy of data with the prev field (the third word) of every line that
 * starts with "KC1 " set to the SHA-256 of the previous line. */
static char *
rechain(const uint8_t *data, size_t len, size_t *outlen)
{
	char *out = malloc(len + 1), *line, *nl, prev[65];

	if (out == NULL)
		return NULL;
	memcpy(out, data, len);
	out[len] = '\0';
	memset(prev, '0', 64);
	prev[64] = '\0';
	for (line = out; line < out + len; line = nl + 1) {
		char *sp1, *sp2;

		if ((nl = memchr(line, '\n', (size_t)(out + len - line))) ==
		    NULL)
			nl = out + len;
		if (line[0] != '#' && nl - line > 4 + 2 + 64 &&
		    memcmp(line, "KC1 ", 4) == 0 &&
		    (sp1 = memchr(line + 4, ' ', (size_t)(nl - line - 4))) !=
		    NULL && nl - sp1 > 65 && (sp2 = sp1 + 65) < nl &&
		    *sp2 == ' ')
			memcpy(sp1 + 1, prev, 64);
		if (line[0] != '#')
			kc_sha256_hex(line, (size_t)(nl - line), prev);
	}
	*outlen = len;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kc_transcript_check chk;
	char paper[256], *re, *u;
	unsigned char bytes[64];
	size_t relen, plen, n;
	const char *path;

	path = fuzz_file("t.log", data, len);
	memset(&chk, 0, sizeof(chk));
	if (kc_transcript_verify(path, NULL, &chk) == KC_OK &&
	    strlen(chk.digest) != 64)
		__builtin_trap();
	if ((re = rechain(data, len, &relen)) != NULL) {
		path = fuzz_file("t.log", re, relen);
		memset(&chk, 0, sizeof(chk));
		if (kc_transcript_verify(path, NULL, &chk) == KC_OK) {
			/* The digest it reports must verify as paper digest,
			 * in hex and as words. */
			char words[KC_PGPWORDS_MAX];
			unsigned char d[32];
			for (int i = 0; i < 32; i++) {
				unsigned v;
				if (sscanf(chk.digest + 2 * i, "%2x", &v) != 1)
					__builtin_trap();
				d[i] = (unsigned char)v;
			}
			if (kc_transcript_verify(path, chk.digest, NULL) !=
			    KC_OK ||
			    kc_pgpwords(d, 32, words, sizeof(words)) != KC_OK ||
			    kc_transcript_verify(path, words, NULL) != KC_OK)
				__builtin_trap();
		}
		free(re);
	}
	/* The first line as a paper digest (hex or words). */
	{
		const uint8_t *eol = memchr(data, '\n', len);
		plen = eol != NULL ? (size_t)(eol - data) : len;
	}
	if (plen >= sizeof(paper))
		plen = sizeof(paper) - 1;
	memcpy(paper, data, plen);
	paper[plen] = '\0';
	if (strlen(paper) == plen) {
		kc_pgpwords_decode(paper, bytes, sizeof(bytes), &n);
		if ((u = kc_transcript_unescape(paper)) != NULL)
			free(u);
	}
	if (strchr(kc_errmsg(), '\n') != NULL)
		__builtin_trap();
	kc_err_clear();
	return 0;
}

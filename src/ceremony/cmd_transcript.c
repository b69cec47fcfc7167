/* cmd_transcript.c: keyceremony transcript verify. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

struct args {
	const char *digest;
	int json;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, digest, "digest", "D", "the final digest written on paper"),
	KC_O_FLAG(struct args, json, "json", "the result as one JSON document on stdout\n"
	    "(schema: docs/json.md); a transcript that does not\n"
	    "verify prints nothing there, its error on stderr"),
	KC_O_END
};

const struct kc_optdef cmd_transcript_verify_opts = {
	"transcript verify",
	"transcript verify FILE [--digest HEX|WORDS] [--json] [--quiet|--verbose]",
	"\nChecks a ceremony transcript: every record chains to the one before\n"
	"(SHA-256), the numbering has no gap, the end record closes it, and\n"
	"with --digest the final digest is the one the witnesses wrote on\n"
	"paper (64 hex digits, spaces and colons allowed, or the 32 PGP\n"
	"words). Without --digest, a transcript rewritten from scratch\n"
	"cannot be told from the real one: always compare with the paper.\n",
	opts, 0, -1, "FILE", KC_OPTDEF_VERBOSITY
};

int
cmd_transcript_verify(int argc, char **argv)
{
	struct args a = { NULL, 0 };
	struct kc_transcript_check chk;
	const char *digest;
	char words[32 * 12];
	unsigned char raw[32];
	int rc, first;

	if ((rc = kc_opt_parse(&cmd_transcript_verify_opts, argc, argv, &a,
	    &first)) >= 0)
		return rc;
	digest = a.digest;
	if (first + 1 != argc) {
		kc_opt_usage_line(&cmd_transcript_verify_opts, stderr);
		return kc_front_usage("transcript verify: give one transcript "
		    "file");
	}
	kc_front_verbose("transcript verify: reading %s: each record's SHA-256 "
	    "chain to the one before, the numbering, the end record%s",
	    argv[first], digest != NULL ? ", the final digest against --digest" :
	    "");
	if ((rc = kc_transcript_verify(argv[first], digest, &chk)) != KC_OK)
		return kc_front_fail(rc);
	kc_front_verbose("transcript verify: %zu records chain, %s", chk.records,
	    chk.ended ? "closed by an end record" : "no end record");
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		sscanf(chk.digest + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	if (kc_pgpwords(raw, sizeof(raw), words, sizeof(words)) != KC_OK)
		return kc_front_fail(KC_ERR_INTERNAL);
	if (kc_front_verbosity < 0 && !a.json)
		return KC_EXIT_OK;
	if (a.json) {
		printf("{\"schema\":1,\"file\":");
		kc_front_json_bytes(argv[first]);
		printf(",\"records\":%zu,\"chain\":\"intact\",\"ceremony\":",
		    chk.records);
		kc_front_json_bytes(chk.ceremony);
		printf(",\"ended\":%s,\"completed\":%s,\"rehearsal\":%s,"
		    "\"file_sha256\":", chk.ended ? "true" : "false",
		    chk.completed ? "true" : "false",
		    chk.rehearsal ? "true" : "false");
		if (chk.file_sha256[0] != '\0')
			kc_front_json_bytes(chk.file_sha256);
		else
			printf("null");
		printf(",\"digest\":");
		kc_front_json_bytes(chk.digest);
		printf(",\"pgp_words\":");
		kc_front_json_bytes(words);
		printf(",\"digest_checked\":%s}\n", digest != NULL ? "true" :
		    "false");
		return KC_EXIT_OK;
	}
	/* The file name and the ceremony field are not ours (a forged
	 * transcript chains correctly too): quoted and escaped. The digest
	 * is ours, computed over the bytes. */
	printf("%s: %zu records, chain intact, ceremony %s %s%s\n",
	    kc_disp_quoted(argv[first]), chk.records,
	    kc_disp_quoted(chk.ceremony),
	    chk.completed ? "completed" : "ABORTED",
	    chk.rehearsal ? " (REHEARSAL on a software token)" : "");
	/* a value of the transcript (not computed here), shown only when it
	 * is a SHA-256: the file the ceremony ran, for the paper record */
	if (chk.file_sha256[0] != '\0')
		printf("ceremony file SHA-256: %s\n", kc_hash(chk.file_sha256));
	printf("final digest: %s\n", kc_hash(chk.digest));
	printf("PGP words:    %s\n", words);
	if (digest != NULL)
		printf("matches the digest written on paper\n");
	else
		printf("compare the digest with the one written on paper "
		    "(--digest)\n");
	return KC_EXIT_OK;
}

/* cmd_attest.c: factorysign attest: what an nRF91 modem's %KEYGEN or
 * %ATTESTTOKEN responses say, one report per response line, as text or
 * JSON. Reads only; writes nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/nrf.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

static const char unverified[] = "the COSE signature was NOT verified: it "
    "is made with the modem's identity key, which only Nordic's identity "
    "service can check";

struct args {
	const char *input;
	int json;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR_REQ(A, input, "input", "FILE", "the modems' %KEYGEN or %ATTESTTOKEN responses, one a line"),
	KC_O_FLAG(A, json, "json", "a JSON array, one object per response"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_attest_opts = {
	"attest",
	"attest --input FILE [--json]",
	"Reads only. The COSE signature is not verified (only Nordic's identity\n"
	"service can); exit status 1 when any response was refused.\n",
	opts, 0, 0, NULL, 0
};

static void
jkey(int *first, const char *k)
{
	printf("%s\n    ", *first ? "" : ",");
	*first = 0;
	kc_front_json_str(k);
	fputs(": ", stdout);
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * n] = '\0';
}

/* What one line yielded, for either output form. */
struct report {
	const char		*file;
	unsigned long		 line;
	const struct kc_nrf_msg	*m;		/* NULL when the envelope failed */
	const struct kc_csr	*csr;		/* CSR responses */
	char			*cn;
	char			 key[64];	/* key algorithm */
	char			 key_sha256[65]; /* SHA-256 of the SPKI DER */
	const char		*error;		/* NULL when ok */
};

static void
key_of(EVP_PKEY *k, struct report *r)
{
	enum kc_alg alg;
	unsigned char *der = NULL;
	int n;

	if (kc_alg_of_key(k, &alg) == KC_OK)
		snprintf(r->key, sizeof(r->key), "%s", kc_alg_name(alg));
	else
		snprintf(r->key, sizeof(r->key), "%s (not allowed)",
		    EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) :
		    "unknown");
	kc_err_clear();
	if ((n = i2d_PUBKEY(k, &der)) > 0)
		kc_sha256_hex(der, (size_t)n, r->key_sha256);
	OPENSSL_free(der);
}

static void
print_text(const struct report *r)
{
	const struct kc_nrf_msg *m = r->m;
	char nonce[33];

	if (m == NULL) {
		fprintf(stderr, "%s: %s\n", kc_progname, r->error);
		return;
	}
	printf("%s:%lu: %s%s%s (message type %d)\n", kc_disp(r->file),
	    r->line, *m->wrapper ? kc_disp(m->wrapper) : "",
	    *m->wrapper ? " " : "",
	    kc_nrf_type_name(m->type), m->type);
	printf("  device UUID:     %s\n", kc_disp(m->uuid_str));
	if (m->type == KC_NRF_IDENTITY) {
		const char *dn = kc_nrf_device_type_name(m->dev_type);
		printf("  device type:     %ld%s%s%s\n", m->dev_type,
		    dn ? " (" : "", dn ? dn : "", dn ? ")" : "");
		printf("  modem firmware:  %s\n", kc_disp(m->fw_uuid_str));
	} else {
		printf("  sec_tag:         %ld\n", m->sec_tag);
		printf("  digest:          match: SHA-256 of the %s = %s\n",
		    m->type == KC_NRF_CSR ? "CSR" : "public key",
		    kc_hash(m->digest_hex));
	}
	if (r->csr != NULL) {
		printf("  CSR subject (from the CSR): %s\n",
		    kc_disp_quoted(r->csr->subject_str));
		printf("  CSR signature:   valid%s\n", r->csr->legacy_sigalg ?
		    " (legacy ecdsa-with-SHA256 NULL parameter, normalised)" :
		    "");
	}
	if (r->key[0] != '\0') {
		printf("  %s key:%s%s\n", r->csr ? "CSR" : "public",
		    r->csr ? "         " : "      ", kc_disp(r->key));
		printf("  key SHA-256:     %s\n", kc_hash(r->key_sha256));
	}
	hex(m->nonce, 16, nonce);
	printf("  nonce:           %s\n", nonce);
	if (m->has_kid)
		printf("  COSE:            ES256, kid %ld%s\n", m->kid,
		    m->kid == -2 ? " (identity key)" : "");
	else
		printf("  COSE:            ES256\n");
	printf("  NOTE:            %s\n", unverified);
	if (r->error != NULL)
		fprintf(stderr, "%s: %s\n", kc_progname, r->error);
}

static void
print_json(const struct report *r, int first_obj)
{
	const struct kc_nrf_msg *m = r->m;
	int first = 1;
	char nonce[33];

	printf("%s  {", first_obj ? "" : ",\n");
	jkey(&first, "file");
	kc_front_json_str(r->file);
	jkey(&first, "line");
	printf("%lu", r->line);
	jkey(&first, "ok");
	fputs(r->error == NULL ? "true" : "false", stdout);
	if (r->error != NULL) {
		jkey(&first, "error");
		kc_front_json_str(r->error);
	}
	if (m != NULL) {
		jkey(&first, "wrapper");
		kc_front_json_str(m->wrapper);
		jkey(&first, "message_type");
		printf("%d", m->type);
		jkey(&first, "message");
		kc_front_json_str(kc_nrf_type_name(m->type));
		jkey(&first, "uuid");
		kc_front_json_str(m->uuid_str);
		jkey(&first, "sec_tag");
		if (m->sec_tag >= 0)
			printf("%ld", m->sec_tag);
		else
			fputs("null", stdout);
		jkey(&first, "device_type");
		if (m->dev_type >= 0)
			printf("%ld", m->dev_type);
		else
			fputs("null", stdout);
		jkey(&first, "device_type_name");
		if (kc_nrf_device_type_name(m->dev_type) != NULL)
			kc_front_json_str(kc_nrf_device_type_name(m->dev_type));
		else
			fputs("null", stdout);
		jkey(&first, "firmware_uuid");
		if (m->fw_uuid_str[0] != '\0')
			kc_front_json_str(m->fw_uuid_str);
		else
			fputs("null", stdout);
		jkey(&first, "digest_match");
		fputs(m->digest_hex[0] != '\0' ? "true" : "null", stdout);
		jkey(&first, "digest");
		if (m->digest_hex[0] != '\0')
			kc_front_json_str(m->digest_hex);
		else
			fputs("null", stdout);
		jkey(&first, "csr_subject");
		if (r->csr != NULL)
			kc_front_json_str(r->csr->subject_str);
		else
			fputs("null", stdout);
		jkey(&first, "csr_cn");
		if (r->cn != NULL)
			kc_front_json_str(r->cn);
		else
			fputs("null", stdout);
		jkey(&first, "csr_legacy_sigalg");
		if (r->csr != NULL)
			fputs(r->csr->legacy_sigalg ? "true" : "false", stdout);
		else
			fputs("null", stdout);
		jkey(&first, "key");
		if (r->key[0] != '\0')
			kc_front_json_str(r->key);
		else
			fputs("null", stdout);
		jkey(&first, "key_sha256");
		if (r->key_sha256[0] != '\0')
			kc_front_json_str(r->key_sha256);
		else
			fputs("null", stdout);
		hex(m->nonce, 16, nonce);
		jkey(&first, "nonce");
		kc_front_json_str(nonce);
		jkey(&first, "cose_alg");
		kc_front_json_str("ES256");
		jkey(&first, "kid");
		if (m->has_kid)
			printf("%ld", m->kid);
		else
			fputs("null", stdout);
		jkey(&first, "cose_signature_verified");
		fputs("false", stdout);
		jkey(&first, "note");
		kc_front_json_str(unverified);
	}
	fputs("\n  }", stdout);
	if (r->error != NULL)
		fprintf(stderr, "%s: %s\n", kc_progname, r->error);
}

/* One response line: parse, then the CSR or public key inside. */
static int
one(const char *file, unsigned long lineno, const char *line, size_t len,
    int json, int first_obj)
{
	struct kc_nrf_msg *m = NULL;
	struct kc_csr *csr = NULL;
	struct report r;
	char what[512], *err = NULL;
	EVP_PKEY *pk = NULL;
	const unsigned char *p;
	int rc;

	memset(&r, 0, sizeof(r));
	r.file = file;
	r.line = lineno;
	snprintf(what, sizeof(what), "%s:%lu", file, lineno);
	rc = kc_nrf_parse(line, len, what, &m);
	if (rc == KC_OK && m->type == KC_NRF_CSR) {
		rc = kc_nrf_csr(m, what, KC_CSR_NO_SUBJECT_CHECK, &csr);
		if (csr != NULL) {
			r.cn = kc_nrf_csr_cn(csr);
			key_of(csr->pubkey, &r);
			/* the name rules' own reason (which character,
			 * which attribute) */
			if (!csr->subject_ok &&
			    (rc = kc_name_check(csr->subject, what)) == KC_OK)
				rc = kc_err(KC_ERR_POLICY, "%s: CSR subject %s "
				    "refused by the name rules", what,
				    csr->subject_str);
		}
	} else if (rc == KC_OK && m->type == KC_NRF_PUBKEY) {
		p = m->body;
		if ((pk = d2i_PUBKEY(NULL, &p, (long)m->body_len)) == NULL ||
		    p != m->body + m->body_len)
			rc = kc_err_ssl(KC_ERR_INPUT, "%s: the public key is "
			    "not a DER SubjectPublicKeyInfo", what);
		else
			key_of(pk, &r);
	}
	if (rc != KC_OK)
		err = strdup(kc_errmsg());
	r.m = m;
	r.csr = csr;
	r.error = rc == KC_OK ? NULL : (err ? err : "out of memory");
	if (json)
		print_json(&r, first_obj);
	else
		print_text(&r);
	free(err);
	free(r.cn);
	EVP_PKEY_free(pk);
	kc_csr_free(csr);
	kc_nrf_msg_free(m);
	return rc;
}

int
cmd_attest(int argc, char **argv)
{
	struct args a;
	struct kc_nrf_lines it;
	unsigned char *data = NULL;
	const char *line;
	size_t len, dlen;
	unsigned long lineno, n = 0, bad = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = kc_opt_parse(&cmd_attest_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if ((rc = kc_file_read(a.input, KC_NRF_FILE_MAX, &data, &dlen)) !=
	    KC_OK)
		return kc_front_fail(rc);
	kc_nrf_lines_init(&it, data, dlen);
	if (a.json)
		fputs("[\n", stdout);
	while (kc_nrf_lines_next(&it, &line, &len, &lineno)) {
		if (one(a.input, lineno, line, len, a.json, n == 0) != KC_OK)
			bad++;
		n++;
	}
	free(data);
	if (a.json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	if (n == 0) {
		kc_err(KC_ERR_INPUT, "%s: no %%KEYGEN or %%ATTESTTOKEN response "
		    "in the file", a.input);
		return kc_front_fail(KC_ERR_INPUT);
	}
	if (bad > 0) {
		fprintf(stderr, "%s: %lu of %lu responses in %s refused\n",
		    kc_progname, bad, n, kc_disp_quoted(a.input));
		return KC_EXIT_FAIL;
	}
	return KC_EXIT_OK;
}

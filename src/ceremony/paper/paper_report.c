/*
 * paper_report.c: the ceremony report (kc/paper.h) from a transcript that
 * verifies and the state directory that holds what it issued. The
 * transcript's bytes are read once and verified (kc_transcript_scan_mem):
 * the report shows exactly what was verified. Each certificate and CRL a
 * step record names is read from the state directory and shown only when
 * its SHA-256 is the recorded one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kc/ceremony/paper.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

#define MAX_OUT 256

struct out_file {
	char	*name;
	char	 hex[65];
	char	*step;
};

struct rep {
	struct kc_paper	*records;	/* every record, in order */
	struct kc_paper	*checks;	/* the preflight results */
	struct kc_paper	*token;		/* module and token recorded */
	struct kc_paper	*roles;		/* signature lines */
	struct out_file	 out[MAX_OUT];
	size_t		 nout;
	char		*title, *file, *site, *end_result, *steps;
};

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* "name:hex,name:hex" of a step record's out= */
static int
add_outputs(struct rep *r, const char *step, const char *v)
{
	while (v != NULL && *v != '\0') {
		size_t n = strcspn(v, ","), c;
		const char *colon = memchr(v, ':', n);

		c = colon != NULL ? (size_t)(colon - v) : n;
		if (colon != NULL && n - c - 1 == 64) {
			int seen = 0;

			for (size_t i = 0; i < r->nout; i++)
				if (strncmp(r->out[i].hex, colon + 1, 64) == 0 &&
				    strlen(r->out[i].name) == c &&
				    strncmp(r->out[i].name, v, c) == 0)
					seen = 1;
			if (!seen && r->nout < MAX_OUT) {
				struct out_file *o = &r->out[r->nout];

				if ((o->name = strndup(v, c)) == NULL ||
				    (o->step = strdup(step)) == NULL)
					return kc_err(KC_ERR_NOMEM,
					    "out of memory");
				memcpy(o->hex, colon + 1, 64);
				o->hex[64] = '\0';
				r->nout++;
			}
		}
		v += n;
		if (*v == ',')
			v++;
	}
	return KC_OK;
}

static const char *const token_keys[] = {
	"module-path", "module-sha256", "library", "token-manufacturer",
	"token-model", "token-serial", "token-hardware", "token-firmware",
	NULL
};

static int
on_record(const struct kc_transcript_rec *rec, void *arg)
{
	struct rep *r = arg;
	const char *v;
	int rc;

	if ((rc = kc_paper_addf(r->records, KC_PAPER_FIELD, "Record",
	    "%zu  %s  %s", rec->seq, rec->time, rec->kind)) != KC_OK)
		return rc;
	for (size_t i = 0; i < rec->n; i++)
		if ((rc = kc_paper_add(r->records, KC_PAPER_FIELD,
		    rec->keys[i], rec->values[i])) != KC_OK)
			return rc;
	if (strcmp(rec->kind, "begin") == 0) {
		free(r->title);
		free(r->file);
		free(r->site);
		r->title = dup_or_empty(kc_transcript_rec_get(rec, "title"));
		r->file = dup_or_empty(kc_transcript_rec_get(rec, "file"));
		r->site = dup_or_empty(kc_transcript_rec_get(rec, "site"));
		if ((rc = kc_paper_add(r->token, KC_PAPER_FIELD, "module",
		    kc_transcript_rec_get(rec, "module"))) ||
		    (rc = kc_paper_add(r->token, KC_PAPER_FIELD, "token",
		    kc_transcript_rec_get(rec, "token"))))
			return rc;
	} else if (strcmp(rec->kind, "check") == 0) {
		const char *c = kc_transcript_rec_get(rec, "check");
		const char *res = kc_transcript_rec_get(rec, "result");
		const char *det = kc_transcript_rec_get(rec, "detail");

		if ((rc = kc_paper_addf(r->checks, KC_PAPER_FIELD,
		    c ? c : "?", "%s%s%s", res ? res : "?", det ? "\n" : "",
		    det ? det : "")) != KC_OK)
			return rc;
		if (c != NULL && strcmp(c, "token") == 0)
			for (size_t k = 0; token_keys[k] != NULL; k++)
				if ((v = kc_transcript_rec_get(rec,
				    token_keys[k])) != NULL &&
				    (rc = kc_paper_add(r->token, KC_PAPER_FIELD,
				    token_keys[k], v)) != KC_OK)
					return rc;
	} else if (strcmp(rec->kind, "role") == 0) {
		const char *t = kc_transcript_rec_get(rec, "title");
		const char *n = kc_transcript_rec_get(rec, "name");

		if ((rc = kc_paper_addf(r->roles, KC_PAPER_SIGN, t ? t : "",
		    "%s, recorded as %s", kc_transcript_rec_get(rec, "role") ?
		    kc_transcript_rec_get(rec, "role") : "", n ? n : "")))
			return rc;
	} else if (strcmp(rec->kind, "step") == 0) {
		const char *st = kc_transcript_rec_get(rec, "step");

		if ((rc = add_outputs(r, st ? st : "",
		    kc_transcript_rec_get(rec, "out"))) != KC_OK)
			return rc;
	} else if (strcmp(rec->kind, "end") == 0) {
		free(r->end_result);
		free(r->steps);
		r->end_result = dup_or_empty(kc_transcript_rec_get(rec,
		    "result"));
		r->steps = dup_or_empty(kc_transcript_rec_get(rec, "steps"));
	}
	return KC_OK;
}

static char *
bio_str(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	/* a memory BIO's data has no NUL: copy exactly n bytes (strndup
	 * may look at the byte past them) */
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

static int
show_time(struct kc_paper *d, const char *label, const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s;
	int rc;

	if (b == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if (t != NULL)
		ASN1_TIME_print(b, t);
	s = bio_str(b);
	BIO_free(b);
	rc = kc_paper_add(d, KC_PAPER_FIELD, label, s ? s : "");
	free(s);
	return rc;
}

static int
show_cert(struct kc_paper *d, X509 *x)
{
	char colon[96], hex[65], *subj, *iss, *ser;
	enum kc_alg alg;
	EVP_PKEY *k = X509_get0_pubkey(x);
	int rc;

	subj = kc_name_string(X509_get_subject_name(x));
	iss = kc_name_string(X509_get_issuer_name(x));
	ser = kc_cert_serial_hex(x);
	rc = kc_paper_add(d, KC_PAPER_FIELD, "subject", subj);
	if (!rc)
		rc = kc_paper_add(d, KC_PAPER_FIELD, "issuer", iss);
	if (!rc)
		rc = kc_paper_add(d, KC_PAPER_FIELD, "serial", ser);
	free(subj);
	free(iss);
	free(ser);
	if (!rc)
		rc = show_time(d, "not before", X509_get0_notBefore(x));
	if (!rc)
		rc = show_time(d, "not after", X509_get0_notAfter(x));
	if (!rc)
		rc = kc_paper_add(d, KC_PAPER_FIELD, "key", k != NULL &&
		    kc_alg_of_key(k, &alg) == KC_OK ? kc_alg_name(alg) :
		    "(other)");
	for (int i = 0; !rc && i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		BIO *b = BIO_new(BIO_s_mem());
		char name[80], *s;

		if (b == NULL)
			return kc_err(KC_ERR_NOMEM, "out of memory");
		OBJ_obj2txt(name, sizeof(name), X509_EXTENSION_get_object(e),
		    0);
		if (!X509V3_EXT_print(b, e, 0, 0))
			BIO_puts(b, "(not shown)");
		s = bio_str(b);
		BIO_free(b);
		rc = kc_paper_addf(d, KC_PAPER_FIELD, name, "%s%s", s ? s : "",
		    X509_EXTENSION_get_critical(e) ? " (critical)" : "");
		free(s);
	}
	if (!rc && kc_cert_fingerprint(x, colon, hex) == KC_OK) {
		char shown[KC_HASH_SHOW_MAX];

		kc_hash_show(hex, KC_HASH_TWO_LINES, shown, sizeof(shown));
		rc = kc_paper_add(d, KC_PAPER_MONO, "SHA-256 fingerprint",
		    shown);
	}
	return rc;
}

static int
show_crl(struct kc_paper *d, X509_CRL *c)
{
	char *iss = kc_name_string(X509_CRL_get_issuer(c));
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(c);
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL,
	    NULL);
	int rc;

	rc = kc_paper_add(d, KC_PAPER_FIELD, "issuer", iss);
	free(iss);
	if (!rc)
		rc = kc_paper_addf(d, KC_PAPER_FIELD, "CRL number", "%ld",
		    num ? ASN1_INTEGER_get(num) : -1L);
	ASN1_INTEGER_free(num);
	if (!rc)
		rc = show_time(d, "this update", X509_CRL_get0_lastUpdate(c));
	if (!rc)
		rc = show_time(d, "next update", X509_CRL_get0_nextUpdate(c));
	if (!rc)
		rc = kc_paper_addf(d, KC_PAPER_FIELD, "revoked", "%d "
		    "certificate(s)", rv ? sk_X509_REVOKED_num(rv) : 0);
	for (int i = 0; !rc && rv && i < sk_X509_REVOKED_num(rv); i++) {
		const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(
		    sk_X509_REVOKED_value(rv, i));
		BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
		char *h = bn ? BN_bn2hex(bn) : NULL;

		rc = kc_paper_add(d, KC_PAPER_FIELD, "revoked serial", h ? h :
		    "?");
		OPENSSL_free(h);
		BN_free(bn);
	}
	return rc;
}

/* One output of the ceremony, from the state directory. */
static int
show_output(struct kc_paper *d, const char *state, const struct out_file *o)
{
	char path[4096], hex[65], shown[KC_HASH_SHOW_MAX];
	unsigned char *data = NULL;
	size_t len, n = strlen(o->name);
	int rc, crl = n > 4 && strcmp(o->name + n - 4, ".crl") == 0;
	int pem = n > 4 && strcmp(o->name + n - 4, ".pem") == 0;
	BIO *b;

	if (!crl && !pem)
		return KC_OK;
	kc_hash_show(o->hex, KC_HASH_TWO_LINES, shown, sizeof(shown));
	if ((rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "%s %s (step %s)",
	    crl ? "CRL" : "Certificate", o->name, o->step)) ||
	    (rc = kc_paper_add(d, KC_PAPER_MONO, "file SHA-256 (recorded)",
	    shown)))
		return rc;
	if (state == NULL)
		return kc_paper_add(d, KC_PAPER_TEXT, "", "(no --state given: "
		    "the file is not shown)");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state, o->name) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", state);
	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK)
		return rc;
	kc_sha256_hex(data, len, hex);
	if (strcmp(hex, o->hex) != 0) {
		free(data);
		return kc_err(KC_ERR_INPUT, "%s: its SHA-256 %s is not the one "
		    "the transcript records (%s); refusing to report it", path,
		    hex, o->hex);
	}
	if ((b = BIO_new_mem_buf(data, (int)len)) == NULL) {
		free(data);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if (crl) {
		X509_CRL *c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);

		rc = c ? show_crl(d, c) : kc_err(KC_ERR_INPUT, "%s: not a PEM "
		    "CRL", path);
		X509_CRL_free(c);
	} else {
		X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

		rc = x ? show_cert(d, x) : kc_err(KC_ERR_INPUT, "%s: not a PEM "
		    "certificate", path);
		X509_free(x);
	}
	BIO_free(b);
	free(data);
	return rc;
}

/* Moves the blocks of src to the end of dst (src is left empty). */
static int
append(struct kc_paper *dst, struct kc_paper *src)
{
	for (size_t i = 0; i < src->n; i++) {
		int rc = kc_paper_add(dst, src->b[i].kind, "", "");

		if (rc != KC_OK)
			return rc;
		free(dst->b[dst->n - 1].label);
		free(dst->b[dst->n - 1].text);
		dst->b[dst->n - 1].label = src->b[i].label;
		dst->b[dst->n - 1].text = src->b[i].text;
		src->b[i].label = src->b[i].text = NULL;
	}
	src->n = 0;
	return KC_OK;
}

static void
rep_free(struct rep *r)
{
	kc_paper_free(r->records);
	kc_paper_free(r->checks);
	kc_paper_free(r->token);
	kc_paper_free(r->roles);
	for (size_t i = 0; i < r->nout; i++) {
		free(r->out[i].name);
		free(r->out[i].step);
	}
	free(r->title);
	free(r->file);
	free(r->site);
	free(r->end_result);
	free(r->steps);
}

static int
assemble(struct kc_paper *d, struct rep *r, const char *transcript,
    const struct kc_transcript_check *res, const char *state, int paper)
{
	char shown[KC_HASH_SHOW_MAX], words[KC_PGPWORDS_MAX];
	int rc;

	if ((rc = kc_paper_add(d, KC_PAPER_TITLE, "", "Ceremony report")) ||
	    (rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "%s: %s",
	    res->ceremony, r->title ? r->title : "")) ||
	    (rc = res->rehearsal ? kc_paper_add(d, KC_PAPER_TEXT, "",
	    "REHEARSAL: the transcript records a rehearsal; nothing made in "
	    "it is for production.") : KC_OK) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Transcript", transcript)) ||
	    (rc = kc_paper_addf(d, KC_PAPER_FIELD, "Verified", "%zu records, "
	    "chain and end record checked%s", res->records, paper ?
	    "; the final digest is the one written on paper" : "")) ||
	    (rc = kc_paper_addf(d, KC_PAPER_FIELD, "Result", "%s, steps %s",
	    r->end_result ? r->end_result : "", r->steps ? r->steps : "")) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Ceremony file", r->file)) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "Site", r->site)))
		return rc;
	if (res->file_sha256[0] != '\0') {
		kc_hash_show(res->file_sha256, KC_HASH_TWO_LINES, shown,
		    sizeof(shown));
		if ((rc = kc_paper_add(d, KC_PAPER_MONO, "Ceremony file SHA-256",
		    shown)))
			return rc;
	}
	kc_hash_show(res->digest, KC_HASH_TWO_LINES, shown, sizeof(shown));
	if ((rc = kc_hash_words(res->digest, words, sizeof(words))) ||
	    (rc = kc_paper_add(d, KC_PAPER_MONO, "Final digest", shown)) ||
	    (rc = kc_paper_add(d, KC_PAPER_FIELD, "PGP words", words)) ||
	    (rc = kc_paper_add(d, KC_PAPER_QR, "QR code: the final digest in "
	    "plain hex", res->digest)) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Module and token")) ||
	    (rc = append(d, r->token)) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Preflight results")) ||
	    (rc = append(d, r->checks)))
		return rc;
	for (size_t i = 0; i < r->nout; i++)
		if ((rc = show_output(d, state, &r->out[i])) != KC_OK)
			return rc;
	if ((rc = kc_paper_add(d, KC_PAPER_BREAK, "", "")) ||
	    (rc = kc_paper_addf(d, KC_PAPER_HEADING, "", "Every record (%zu)",
	    res->records)) ||
	    (rc = append(d, r->records)) ||
	    (rc = kc_paper_add(d, KC_PAPER_HEADING, "", "Signatures")) ||
	    (rc = kc_paper_add(d, KC_PAPER_TEXT, "", "We were present and the "
	    "final digest above is the one the screen showed at the end.")) ||
	    (rc = append(d, r->roles)) ||
	    (rc = kc_paper_add(d, KC_PAPER_SIGN, "Auditor", "")))
		return rc;
	return KC_OK;
}

/* KC_OK when the paper digest (hex or PGP words) is res's. */
static int
paper_check(const char *transcript, const char *paper,
    const struct kc_transcript_check *res)
{
	char hex[65];
	unsigned char b[64];
	size_t n = 0;

	if (kc_hash_parse(paper, "--digest", hex) != KC_OK) {
		if (kc_pgpwords_decode(paper, b, sizeof(b), &n) != KC_OK ||
		    n != 32)
			return kc_err(KC_ERR_USAGE, "--digest: neither 64 hex "
			    "digits nor 32 PGP words");
		for (size_t i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
	}
	if (strcmp(hex, res->digest) != 0)
		return kc_err(KC_ERR_CRYPTO, "%s: its final digest %s is not "
		    "the one written on paper (%s): the transcript is not the "
		    "one the witnesses saw end", transcript, res->digest, hex);
	return KC_OK;
}

int
kc_paper_report(const char *transcript, const char *state,
    const char *paper_digest, struct kc_paper **out)
{
	struct rep r = { 0 };
	struct kc_transcript_check res;
	struct kc_paper *d = NULL;
	unsigned char *data = NULL;
	size_t len;
	char head[512], foot[256];
	int rc;

	*out = NULL;
	if ((rc = kc_file_read(transcript, KC_TRANSCRIPT_FILE_MAX, &data,
	    &len)) != KC_OK)
		return rc;
	if ((rc = kc_paper_new("", "", &r.records)) ||
	    (rc = kc_paper_new("", "", &r.checks)) ||
	    (rc = kc_paper_new("", "", &r.token)) ||
	    (rc = kc_paper_new("", "", &r.roles)))
		goto out;
	if ((rc = kc_transcript_scan_mem(transcript, data, len, 0, on_record,
	    &r, &res)) != KC_OK)
		goto out;
	if (paper_digest != NULL &&
	    (rc = paper_check(transcript, paper_digest, &res)) != KC_OK)
		goto out;
	snprintf(head, sizeof(head), "Ceremony report: %s%s", res.ceremony,
	    res.rehearsal ? " (REHEARSAL)" : "");
	snprintf(foot, sizeof(foot), "final digest %.8s...%s", res.digest,
	    res.digest + 56);
	if ((rc = kc_paper_new(head, foot, &d)) != KC_OK)
		goto out;
	d->rehearsal = res.rehearsal;
	if ((rc = assemble(d, &r, transcript, &res, state,
	    paper_digest != NULL)) != KC_OK)
		goto out;
	*out = d;
	d = NULL;
out:
	kc_paper_free(d);
	rep_free(&r);
	free(data);
	return rc;
}

int
kc_paper_report_cb(void *arg, const char *transcript, const char *state,
    unsigned char **pdf, size_t *len)
{
	const enum kc_paper_size *size = arg;
	struct kc_paper *d = NULL;
	int rc;

	if ((rc = kc_paper_report(transcript, state, NULL, &d)) != KC_OK)
		return rc;
	rc = kc_paper_pdf(d, size != NULL ? *size : KC_PAPER_A4, pdf, len,
	    NULL);
	kc_paper_free(d);
	return rc;
}

/* media_batch.c: what an export takes from the state directory: every
 * file checked by kind, re-encoded, screened for private keys, collected
 * in a batch (media_int.h). Owned by the ceremony side (libkc-ceremony). */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc/ceremony/crl.h"
#include "kc/ceremony/media.h"
#include "kc/ceremony/register.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "media_int.h"

/* ---- export ---- */


void
kc_media_batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->items[i].data);
	free(b->items);
	for (size_t i = 0; i < b->n_ignored; i++)
		free(b->ignored[i]);
	free(b->ignored);
	free(b->codes);
	memset(b, 0, sizeof(*b));
}

void
kc_export_result_clear(struct kc_export_result *r)
{
	free(r->files);
	for (size_t i = 0; i < r->n_ignored; i++)
		free(r->ignored[i]);
	free(r->ignored);
	memset(r, 0, sizeof(*r));
}

int
kc_media_batch_add(struct batch *b, const char *name, unsigned char *data,
    size_t len, enum kc_artefact type)
{
	struct item *n;

	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->items[i].name, name) == 0) {
			OPENSSL_clear_free(data, len);
			return kc_err(KC_ERR_EXISTS, "two files named %s to "
			    "export", name);
		}
	if ((n = realloc(b->items, (b->n + 1) * sizeof(*n))) == NULL) {
		OPENSSL_clear_free(data, len);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	b->items = n;
	memset(&n[b->n], 0, sizeof(n[b->n]));
	snprintf(n[b->n].name, sizeof(n[b->n].name), "%s", name);
	n[b->n].data = data;
	n[b->n].len = len;
	n[b->n].type = type;
	kc_sha256_hex(data, len, n[b->n].sha256);
	b->n++;
	return KC_OK;
}

static int
only_space(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* The kinds a name may hold, by its extension. */
enum { K_CERT = 1, K_CRL = 2, K_CSR = 4 };

static int
kinds_of_name(const char *name, int *kc_media_pem_only)
{
	*kc_media_pem_only = 0;
	if (kc_media_ends_with(name, ".pem")) {
		*kc_media_pem_only = 1;
		return K_CERT | K_CRL | K_CSR;
	}
	if (kc_media_ends_with(name, ".crt") || kc_media_ends_with(name,
	    ".cer"))
		return K_CERT;
	if (kc_media_ends_with(name, ".der"))
		return K_CERT | K_CRL | K_CSR;
	if (kc_media_ends_with(name, ".crl"))
		return K_CRL;
	if (kc_media_ends_with(name, ".csr") || kc_media_ends_with(name,
	    ".req"))
		return K_CSR;
	return 0;
}

/*
 * One certificate, CRL or CSR, exactly: PEM with one block and nothing but
 * white space around it (no headers), or DER with no trailing byte; the
 * DER must be what OpenSSL re-encodes from the parsed object. *out is the
 * object re-encoded (canonical PEM, or DER when the input was DER).
 */
static int
reencode(const char *disp, const unsigned char *buf, size_t len, int kinds,
    int kc_media_pem_only, enum kc_artefact *type, unsigned char **out,
    size_t *outlen)
{
	char *pname = NULL, *header = NULL;
	unsigned char *der = NULL, *re = NULL;
	const unsigned char *p, *start = buf;
	long derlen = 0;
	size_t skip = 0;
	int pem = 0, kind = 0, relen = -1, rc;
	void *obj = NULL;
	BIO *b = NULL, *w = NULL;
	BUF_MEM *bm;

	*out = NULL;
	while (skip < len && only_space(buf + skip, 1))
		skip++;
	if (len - skip >= 11 && memcmp(buf + skip, "-----BEGIN ", 11) == 0) {
		pem = 1;
		if ((b = BIO_new_mem_buf(buf + skip, (int)(len - skip))) ==
		    NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "BIO");
			goto out;
		}
		if (PEM_read_bio(b, &pname, &header, &der, &derlen) != 1) {
			rc = kc_err(KC_ERR_INPUT, "%s: not a valid PEM block; "
			    "refusing it", disp);
			goto out;
		}
		if (header[0] != '\0') {
			rc = kc_err(KC_ERR_INPUT, "%s: the PEM block has header "
			    "lines; refusing it", disp);
			goto out;
		}
		{
			char *rest;
			long rl = BIO_get_mem_data(b, &rest);
			if (rl > 0 && !only_space((unsigned char *)rest,
			    (size_t)rl)) {
				rc = kc_err(KC_ERR_INPUT, "%s: holds something "
				    "after the first PEM block (one object per "
				    "file); refusing it", disp);
				goto out;
			}
		}
		if (strcmp(pname, "CERTIFICATE") == 0)
			kind = K_CERT;
		else if (strcmp(pname, "X509 CRL") == 0)
			kind = K_CRL;
		else if (strcmp(pname, "CERTIFICATE REQUEST") == 0 ||
		    strcmp(pname, "NEW CERTIFICATE REQUEST") == 0)
			kind = K_CSR;
		if ((kind & kinds) == 0) {
			rc = kc_err(KC_ERR_INPUT, "%s: a PEM '%s' block is not "
			    "what this file may hold; refusing it", disp,
			    pname);
			goto out;
		}
		start = der;
		len = (size_t)derlen;
	} else if (kc_media_pem_only) {
		rc = kc_err(KC_ERR_INPUT, "%s: is not one PEM certificate, CRL "
		    "or CSR (it must start with '-----BEGIN '); refusing it",
		    disp);
		goto out;
	}
	/* The DER: each allowed type in turn, whole input consumed. */
	for (int k = K_CERT; k <= K_CSR && obj == NULL; k <<= 1) {
		if (!(kinds & k) || (kind != 0 && kind != k))
			continue;
		p = start;
		if (k == K_CERT)
			obj = d2i_X509(NULL, &p, (long)len);
		else if (k == K_CRL)
			obj = d2i_X509_CRL(NULL, &p, (long)len);
		else
			obj = d2i_X509_REQ(NULL, &p, (long)len);
		if (obj != NULL && p != start + len) {
			rc = kc_err(KC_ERR_INPUT, "%s: %zu bytes of trailing data "
			    "after the %s; refusing it", disp,
			    (size_t)(start + len - p), k == K_CERT ?
			    "certificate" : k == K_CRL ? "CRL" : "CSR");
			if (k == K_CERT)
				X509_free(obj);
			else if (k == K_CRL)
				X509_CRL_free(obj);
			else
				X509_REQ_free(obj);
			obj = NULL;
			goto out;
		}
		if (obj != NULL)
			kind = k;
	}
	if (obj == NULL) {
		rc = kc_err(KC_ERR_INPUT, "%s: is not a certificate, CRL or CSR "
		    "that parses; refusing it", disp);
		goto out;
	}
	if (kind == K_CERT)
		relen = i2d_X509(obj, &re);
	else if (kind == K_CRL)
		relen = i2d_X509_CRL(obj, &re);
	else
		relen = i2d_X509_REQ(obj, &re);
	if (relen <= 0 || (size_t)relen != len || memcmp(re, start, len) != 0) {
		rc = kc_err(KC_ERR_INPUT, "%s: its DER is not canonical (it "
		    "does not re-encode to the same bytes); refusing it", disp);
		goto out;
	}
	{
		/* a key hidden inside the object's own DER (an extension, a
		 * name) is seen too */
		char why[160];
		if (kc_media_has_private(start, len, why, sizeof(why))) {
			rc = kc_err(KC_ERR_POLICY, "%s holds %s inside the %s: "
			    "refusing to export anything", disp, why,
			    kind == K_CERT ? "certificate" : kind == K_CRL ?
			    "CRL" : "CSR");
			goto out;
		}
	}
	if (!pem) {
		*out = re;
		*outlen = (size_t)relen;
		re = NULL;
	} else {
		int ok;
		if ((w = BIO_new(BIO_s_mem())) == NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "BIO");
			goto out;
		}
		ok = kind == K_CERT ? PEM_write_bio_X509(w, obj) :
		    kind == K_CRL ? PEM_write_bio_X509_CRL(w, obj) :
		    PEM_write_bio_X509_REQ(w, obj);
		BIO_get_mem_ptr(w, &bm);
		if (ok != 1 || bm == NULL || (*out = malloc(bm->length + 1)) ==
		    NULL) {
			rc = kc_err_ssl(KC_ERR_NOMEM, "PEM encoding of %s",
			    disp);
			goto out;
		}
		memcpy(*out, bm->data, bm->length);
		(*out)[bm->length] = '\0';
		*outlen = bm->length;
	}
	*type = kind == K_CERT ? KC_ART_CERT : kind == K_CRL ? KC_ART_CRL :
	    KC_ART_CSR;
	rc = KC_OK;
out:
	if (obj != NULL) {
		if (kind == K_CERT)
			X509_free(obj);
		else if (kind == K_CRL)
			X509_CRL_free(obj);
		else
			X509_REQ_free(obj);
	}
	OPENSSL_free(pname);
	OPENSSL_free(header);
	OPENSSL_free(der);
	OPENSSL_free(re);
	BIO_free(b);
	BIO_free(w);
	ERR_clear_error();
	return rc;
}

/* A verification code: 1 to 64 letters and digits, an optional line end.
 * *code gets the code without it. */
int
kc_media_code_text(const char *disp, const unsigned char *buf, size_t len,
    char code[65])
{
	size_t n = len;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		n--;
	if (n == 0 || n > 64)
		return kc_err(KC_ERR_INPUT, "%s: is not a verification code (1 "
		    "to 64 letters and digits on one line); refusing it", disp);
	for (size_t i = 0; i < n; i++)
		if (!isalnum(buf[i]))
			return kc_err(KC_ERR_INPUT, "%s: is not a verification "
			    "code (1 to 64 letters and digits on one line); "
			    "refusing it", disp);
	memcpy(code, buf, n);
	code[n] = '\0';
	return KC_OK;
}

#define EXPORT_KINDS "a certificate (.pem, .crt, .cer, .der), a CRL (.crl), " \
	"a CSR (.csr, .req), a verification code (.code), a CRL's revocation " \
	"actions (*" KC_REVACT_SUFFIX ") or a transcript (transcripts/*.log)"

/* How big a file of each kind may be. */
#define X509_MAX KC_FILE_MAX
#define TRANSCRIPT_MAX MEDIA_FILE_MAX

/* A CRL's revocation actions leave only as the bytes keyceremony
 * regenerates from that CRL and the state directory (disp is
 * "<state dir>/<name>"). */
static int
actions_check(const char *disp, const char *name, const unsigned char *buf,
    size_t len)
{
	char dir[PATH_MAX], msg[768];
	size_t dl = strlen(disp), nl = strlen(name);
	int rc;

	if (dl <= nl + 1 || dl - nl - 1 >= sizeof(dir) ||
	    strcmp(disp + dl - nl, name) != 0)
		return kc_err(KC_ERR_INTERNAL, "%s: not in a directory", disp);
	snprintf(dir, sizeof(dir), "%.*s", (int)(dl - nl - 1), disp);
	if ((rc = kc_revact_root_check(dir, disp, buf, len)) == KC_OK)
		return KC_OK;
	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	return kc_err(KC_ERR_POLICY, "%s; refusing to export anything: issue "
	    "the CRL again (keyceremony crl) to write its revocation actions "
	    "anew, or remove the file from the state directory", msg);
}

/*
 * Validates one file of the state directory (dirfd/name, disp in messages)
 * and adds its re-encoded form to the batch; anything that is not one of
 * the kinds export knows, or does not validate, is refused by name.
 */
int
kc_media_export_one(struct batch *b, int dirfd, const char *disp,
    const char *name, int in_transcripts)
{
	unsigned char *data = NULL, *out = NULL;
	size_t len = 0, outlen = 0, max;
	enum kc_artefact type = KC_ART_UNKNOWN;
	char why[160], code[65], hex[65];
	struct stat st;
	int kinds = 0, kc_media_pem_only = 0, fd = -1, rc;

	if (!kc_media_name_ok(name))
		return kc_err(KC_ERR_POLICY, "%s: not a plain file name export "
		    "handles (letters, digits, '-', '_', '.', '+'); refusing "
		    "to export anything: remove it from the state directory",
		    disp);
	if (in_transcripts) {
		if (!kc_media_ends_with(name, ".log"))
			return kc_err(KC_ERR_POLICY, "%s: not a transcript "
			    "(*.log); refusing to export anything: remove it "
			    "from the state directory", disp);
		type = KC_ART_TRANSCRIPT;
		max = TRANSCRIPT_MAX;
	} else if (kc_media_ends_with(name, ".code")) {
		type = KC_ART_CODE;
		max = CODE_MAX;
	} else if (kc_media_ends_with(name, KC_REVACT_SUFFIX)) {
		type = KC_ART_ACTIONS;
		max = KC_REVACT_MAX;
	} else if ((kinds = kinds_of_name(name, &kc_media_pem_only)) != 0) {
		max = X509_MAX;
	} else {
		max = MEDIA_FILE_MAX;	/* read only for the key screen */
	}
	if ((rc = kc_media_open_at(dirfd, name, disp, NULL, max, &fd,
	    &st)) != KC_OK)
		goto out;
	if ((rc = kc_media_read_fd(fd, disp, &st, &data, &len)) != KC_OK)
		goto out;
	if (kc_media_has_private(data, len, why, sizeof(why))) {
		rc = kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "anything; private keys never leave the room (remove the "
		    "file from the state directory)", disp, why);
		goto out;
	}
	if (type == KC_ART_UNKNOWN && kinds == 0) {
		rc = kc_err(KC_ERR_POLICY, "%s: not a file export knows (only "
		    EXPORT_KINDS " leave the room); refusing to export "
		    "anything: remove it from the state directory", disp);
		goto out;
	}
	switch (type) {
	case KC_ART_TRANSCRIPT:
		/* a killed ceremony's transcript is the valid prefix it is */
		if ((rc = kc_transcript_scan_mem(disp, data, len,
		    KC_TRANSCRIPT_UNFINISHED, NULL, NULL, NULL)) != KC_OK) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", kc_errmsg());
			rc = kc_err(KC_ERR_POLICY, "%s: does not verify as a "
			    "transcript (%s); refusing to export it", disp, msg);
			goto out;
		}
		/* what was verified is what was read: the bytes in hand */
		out = data;
		outlen = len;
		data = NULL;
		break;
	case KC_ART_ACTIONS:
		if ((rc = actions_check(disp, name, data, len)) != KC_OK)
			goto out;
		out = data;	/* what was regenerated is what was read */
		outlen = len;
		data = NULL;
		break;
	case KC_ART_CODE: {
		int known = 0;
		if ((rc = kc_media_code_text(disp, data, len, code)) != KC_OK)
			goto out;
		kc_sha256_hex(code, strlen(code), hex);
		for (size_t i = 0; i < b->n_codes; i++)
			known |= strcmp(b->codes[i], hex) == 0;
		OPENSSL_cleanse(code, sizeof(code));
		if (!known) {
			rc = kc_err(KC_ERR_POLICY, "%s: no verification "
			    "certificate in the register was signed for this "
			    "code; only recorded verification codes are "
			    "exported (remove the file from the state "
			    "directory)", disp);
			goto out;
		}
		outlen = strlen((char *)data);
		if ((out = malloc(outlen + 2)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		(void)kc_media_code_text(disp, data, len, (char *)out);
		outlen = strlen((char *)out);
		out[outlen++] = '\n';
		out[outlen] = '\0';
		break;
	}
	default:
		if ((rc = reencode(disp, data, len, kinds, kc_media_pem_only,
		    &type,
		    &out, &outlen)) != KC_OK)
			goto out;
		if (type == KC_ART_CSR) {
			struct kc_csr *csr = NULL;
			if ((rc = kc_csr_parse(data, len, disp,
			    KC_CSR_NO_SUBJECT_CHECK, &csr)) != KC_OK)
				goto out;
			kc_csr_free(csr);
		}
		break;
	}
	/* the second line: the bytes that leave, scanned again */
	if (kc_media_has_private(out, outlen, why, sizeof(why))) {
		rc = kc_err(KC_ERR_POLICY, "%s holds %s: refusing to export "
		    "anything; private keys never leave the room", disp, why);
		goto out;
	}
	rc = kc_media_batch_add(b, name, out, outlen, type);
	out = NULL;
out:
	if (fd != -1)
		close(fd);
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	if (out != NULL)
		OPENSSL_clear_free(out, outlen);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted; "." and ".." left out. */
int
kc_media_list_dir(DIR *dp, const char *dir, char ***names, size_t *n)
{
	struct dirent *d;
	char **v = NULL;
	size_t k = 0;

	*names = NULL;
	*n = 0;
	errno = 0;
	while ((d = readdir(dp)) != NULL) {
		char **nv;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (k >= 100000 || (nv = realloc(v, (k + 1) * sizeof(*nv))) ==
		    NULL || (nv[k] = strdup(d->d_name)) == NULL) {
			if (k < 100000 && nv != NULL)
				v = nv;
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return kc_err(k >= 100000 ? KC_ERR_INPUT : KC_ERR_NOMEM,
			    "%s: %s", dir, k >= 100000 ? "more than 100000 "
			    "entries" : "out of memory");
		}
		v = nv;
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return KC_OK;
}

void
kc_media_free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every file of a state directory (or of its transcripts/) is exported or
 * refused; the register and transcripts/ are handled by the caller. */
int
kc_media_add_dir(struct batch *b, const char *dir, int transcripts)
{
	char disp[PATH_MAX], **names = NULL;
	size_t n = 0;
	struct stat st;
	DIR *dp;
	int rc, fd;

	/* transcripts/ was seen to be a directory, not a link, by the scan
	 * of the state directory; the state directory itself is the
	 * officer's choice */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (transcripts ? O_NOFOLLOW : 0))) == -1 ||
	    (dp = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd != -1)
			close(fd);
		if (e == ENOENT && transcripts)
			return KC_OK;
		return kc_err(KC_ERR_IO, "state directory %s: %s", dir,
		    e == ELOOP ? "is a symbolic link" : strerror(e));
	}
	if ((rc = kc_media_list_dir(dp, dir, &names, &n)) != KC_OK)
		goto out;
	for (size_t i = 0; i < n && rc == KC_OK; i++) {
		snprintf(disp, sizeof(disp), "%s/%s", dir, names[i]);
		if (!transcripts && strncmp(names[i], KC_REGISTER_FILE,
		    strlen(KC_REGISTER_FILE)) == 0)
			continue;	/* the register: dumped as text */
		if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rc = kc_err(KC_ERR_IO, "%s: %s", disp, strerror(errno));
			break;
		}
		if (!transcripts && S_ISDIR(st.st_mode) &&
		    strcmp(names[i], "transcripts") == 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			rc = kc_err(KC_ERR_POLICY, "%s: is %s; export takes only "
			    "regular files (" EXPORT_KINDS "); refusing to "
			    "export anything: remove it from the state "
			    "directory", disp, kc_file_kind(st.st_mode));
			break;
		}
		rc = kc_media_export_one(b, fd, disp, names[i], transcripts);
	}
out:
	closedir(dp);
	kc_media_free_names(names, n);
	return rc;
}

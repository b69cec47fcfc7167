/*
 * factory_crl_issuer.c: which intermediate a CRL of factorysign crl is
 * for (--intermediate SERIAL, kc/factory/crl.h): D's active one or one
 * retired by a rekey to D/previous/SERIAL/, whose key (still encrypted)
 * signs the CRL for the devices it issued; and the set of D's
 * intermediates (active first, then D/previous/ in name order) that
 * crls.pem and the refusals of --revoke name. Nothing here signs or
 * writes: factory_crl.c does. The serial helpers of fcrl_int.h live here
 * too (factory_crl_names.c uses them).
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc/core/crl.h"
#include "kc/core/error.h"
#include "kc/core/strbuf.h"
#include "kc/core/x509.h"
#include "kc/factory/crl.h"
#include "kc/factory/ledger.h"
#include "kc/factory/fnames.h"
#include "factory_int.h"
#include "fcrl_int.h"

/* Serials compare without leading zeros, in any case. */
int
kc_fcrl_serial_eq(const char *a, const char *b)
{
	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	return strcasecmp(a, b) == 0;
}

/* A hex serial as given (0x, colons allowed) into the lower-case form
 * kc_cert_serial_hex() writes; KC_ERR_NOTFOUND when it is not one. */
int
kc_fcrl_serial_arg(const char *s, char out[41])
{
	BIGNUM *bn = NULL;
	char clean[64], *h;
	size_t j = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || j >= 40)
			return KC_ERR_NOTFOUND;
		clean[j++] = *s;
	}
	clean[j] = '\0';
	if (j == 0 || BN_hex2bn(&bn, clean) != (int)j)
		return KC_ERR_NOTFOUND;
	if (BN_is_zero(bn) || (h = BN_bn2hex(bn)) == NULL) {
		BN_free(bn);
		return KC_ERR_NOTFOUND;
	}
	for (size_t i = 0; h[i]; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	snprintf(out, 41, "%s", h);
	OPENSSL_free(h);
	BN_free(bn);
	return KC_OK;
}

/* An entry of D/previous (or D/previous itself): a real directory of
 * this user's or root's, never a symbolic link; missing: KC_ERR_NOTFOUND. */
static int
real_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return kc_err(errno == ENOENT ? KC_ERR_NOTFOUND : KC_ERR_IO,
		    "%s: %s", path, strerror(errno));
	return kc_factory_own_dir(path, 0);
}

int
kc_fcrl_ski_hex(const X509 *x, char out[65])
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)x);
	static const char hx[] = "0123456789abcdef";
	int n;

	if (ski == NULL || (n = ASN1_STRING_length(ski)) < 1 || n > 32)
		return kc_err(KC_ERR_INPUT, "the intermediate has no usable "
		    "subjectKeyIdentifier; cannot name it in a CRL");
	for (int i = 0; i < n; i++) {
		out[2 * i] = hx[ASN1_STRING_get0_data(ski)[i] >> 4];
		out[2 * i + 1] = hx[ASN1_STRING_get0_data(ski)[i] & 15];
	}
	out[2 * n] = '\0';
	return KC_OK;
}

/* One intermediate certificate of D: loaded, its serial and SKI. */
static int
load_one(const char *path, int current, struct kc_fcrl_inter *v)
{
	char *s;
	int rc;

	memset(v, 0, sizeof(*v));
	v->current = current;
	snprintf(v->path, sizeof(v->path), "%s", path);
	if ((rc = kc_cert_load(path, &v->cert)) != KC_OK)
		return rc;
	if ((s = kc_cert_serial_hex(v->cert)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	snprintf(v->serial, sizeof(v->serial), "%s", s);
	free(s);
	if (kc_fcrl_ski_hex(v->cert, v->ski) != KC_OK) {
		kc_err_clear();
		v->ski[0] = '\0';
	}
	return KC_OK;
}

void
kc_fcrl_set_free(struct kc_fcrl_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		X509_free(s->v[i].cert);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int
kc_fcrl_set_load(const char *dir, int warn, struct kc_fcrl_set *s)
{
	char path[PATH_MAX], base[PATH_MAX], sub[PATH_MAX];
	struct dirent **names = NULL;
	int n, rc;

	memset(s, 0, sizeof(*s));
	if ((rc = kc_fname_join(path, sizeof(path), dir, "intermediate.pem")) ||
	    (rc = kc_fname_join(base, sizeof(base), dir, KC_FACTORY_PREVIOUS)))
		return rc;
	n = real_dir(base) == KC_OK ? scandir(base, &names, NULL, alphasort) :
	    0;
	kc_err_clear();
	if (n < 0)
		n = 0;
	if ((s->v = calloc((size_t)n + 1, sizeof(*s->v))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = load_one(path, 1, &s->v[0])) != KC_OK)
		goto out;
	s->n = 1;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] == '.' ||
		    kc_fname_join(sub, sizeof(sub), base, names[i]->d_name) != KC_OK ||
		    real_dir(sub) != KC_OK ||
		    kc_fname_join(path, sizeof(path), sub, "intermediate.pem") != KC_OK ||
		    access(path, F_OK) != 0) {
			kc_err_clear();
			continue;
		}
		if (load_one(path, 0, &s->v[s->n]) != KC_OK) {
			if (warn)
				kc_log(KC_LOG_WARN, "%s; not counted among "
				    "the intermediates of %s", kc_errmsg(), dir);
			kc_err_clear();
			X509_free(s->v[s->n].cert);
			continue;
		}
		s->n++;
	}
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc != KC_OK)
		kc_fcrl_set_free(s);
	return rc;
}

const struct kc_fcrl_inter *
kc_fcrl_set_issuer_of(const struct kc_fcrl_set *s, const X509 *x)
{
	for (size_t i = 0; i < s->n; i++) {
		int ok = X509_check_issued(s->v[i].cert, (X509 *)x) ==
		    X509_V_OK;

		ERR_clear_error();
		if (ok)
			return &s->v[i];
	}
	return NULL;
}

void
kc_fcrl_inter_name(const struct kc_fcrl_inter *v, char *out, size_t n)
{
	if (v == NULL)
		snprintf(out, n, "no intermediate of this factory");
	else if (v->current)
		snprintf(out, n, "intermediate %s (the active one)", v->serial);
	else
		snprintf(out, n, "intermediate %s (retired, %s)", v->serial,
		    v->path);
}

/* The serials of D's intermediates, for "no such serial" ("a, b"). */
static void
list_serials(const struct kc_fcrl_set *s, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 1; i < s->n && len + 1 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		    i > 1 ? ", " : "", s->v[i].serial);
	if (out[0] == '\0')
		snprintf(out, n, "none");
}

static int
same_key(const X509 *a, const X509 *b)
{
	int eq = EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;

	ERR_clear_error();
	return eq;
}

int
kc_fcrl_issuer_find(const char *dir, const char *serial,
    struct kc_fcrl_issuer *is)
{
	struct kc_fcrl_set s;
	const struct kc_fcrl_inter *v = NULL;
	char want[41], base[PATH_MAX], sub[PATH_MAX + 320], key[PATH_MAX + 400];
	char list[512];
	struct dirent **names = NULL;
	int n = 0, rc;

	memset(is, 0, sizeof(*is));
	if (kc_fcrl_serial_arg(serial, want) != KC_OK)
		return kc_err(KC_ERR_USAGE, "--intermediate %s: not a serial "
		    "(hex, as D/previous/ names them)", serial);
	if ((rc = kc_fcrl_set_load(dir, 0, &s)) != KC_OK)
		return rc;
	if (kc_fcrl_serial_eq(s.v[0].serial, want)) {
		is->current = 1;
		snprintf(is->serial, sizeof(is->serial), "%s", s.v[0].serial);
		goto out;
	}
	/* D/previous/SERIAL itself, looked at with lstat: a symbolic link,
	 * a file or a foreign directory is refused, not skipped */
	if ((rc = kc_fname_join(base, sizeof(base), dir, KC_FACTORY_PREVIOUS)) != KC_OK)
		goto out;
	if ((rc = real_dir(base)) != KC_OK && rc != KC_ERR_NOTFOUND) {
		rc = kc_err(rc, "--intermediate %s: %s", serial, kc_errmsg());
		goto out;
	}
	if (rc == KC_OK && (n = scandir(base, &names, NULL, alphasort)) < 0)
		n = 0;
	rc = KC_OK;
	kc_err_clear();
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] == '.' ||
		    !kc_fcrl_serial_eq(names[i]->d_name, want))
			continue;
		if ((rc = kc_fname_join(sub, sizeof(sub), base, names[i]->d_name)) ==
		    KC_OK && (rc = real_dir(sub)) == KC_OK &&
		    (rc = kc_fname_join(key, sizeof(key), sub, "intermediate.pem")) ==
		    KC_OK && access(key, F_OK) != 0)
			rc = kc_err(KC_ERR_NOTFOUND, "%s: missing; %s is not a "
			    "retired intermediate", key, sub);
		if (rc != KC_OK)
			rc = kc_err(rc, "--intermediate %s: %s", serial,
			    kc_errmsg());
		break;
	}
	if (rc != KC_OK)
		goto out;
	for (size_t i = 1; i < s.n; i++)
		if (kc_fcrl_serial_eq(s.v[i].serial, want)) {
			v = &s.v[i];
			break;
		}
	if (v == NULL) {
		/* a directory named so whose certificate is not of that
		 * serial (or unreadable) */
		for (int i = 0; i < n; i++)
			if (names[i]->d_name[0] != '.' &&
			    kc_fcrl_serial_eq(names[i]->d_name, want)) {
				struct kc_fcrl_inter t;

				snprintf(sub, sizeof(sub), "%s/%s/"
				    "intermediate.pem", base, names[i]->d_name);
				if ((rc = load_one(sub, 0, &t)) == KC_OK) {
					rc = kc_err(KC_ERR_POLICY, "--intermediate "
					    "%s: %s is the certificate of serial "
					    "%s, not %s; the directory is not "
					    "what rotation left there", serial,
					    sub, t.serial, want);
				} else
					rc = kc_err(rc, "--intermediate %s: %s",
					    serial, kc_errmsg());
				X509_free(t.cert);
				goto out;
			}
		list_serials(&s, list, sizeof(list));
		rc = kc_err(KC_ERR_NOTFOUND, "--intermediate %s: no "
		    "intermediate with this serial in %s (the active one is %s; "
		    "retired in %s/previous: %s)", serial, dir, s.v[0].serial,
		    dir, list);
		goto out;
	}
	snprintf(is->serial, sizeof(is->serial), "%s", v->serial);
	if (same_key(v->cert, s.v[0].cert)) {
		/* replaced by a renewal: the same key and name, so its
		 * devices are in the active intermediate's CRL */
		is->current = 1;
		snprintf(is->serial, sizeof(is->serial), "%s", s.v[0].serial);
		snprintf(is->note, sizeof(is->note), "intermediate %s was "
		    "replaced by a renewal of the same key: its devices are in "
		    "the CRL of the active intermediate %s", v->serial,
		    s.v[0].serial);
		goto out;
	}
	/* the retired key: beside the certificate, or (a renewal of a key
	 * retired later) beside the certificate that renewed it */
	for (size_t i = 0; i < s.n && is->key[0] == '\0'; i++) {
		const struct kc_fcrl_inter *w = i == 0 ? v : &s.v[i];
		char *slash;

		if (i > 0 && (w == v || !same_key(w->cert, v->cert)))
			continue;
		snprintf(sub, sizeof(sub), "%s", w->path);
		if ((slash = strrchr(sub, '/')) != NULL)
			*slash = '\0';
		snprintf(key, sizeof(key), "%s/intermediate.key", sub);
		if (access(key, F_OK) != 0)
			continue;
		snprintf(is->dir, sizeof(is->dir), "%s", sub);
		snprintf(is->cert, sizeof(is->cert), "%s", w->path);
		snprintf(is->key, sizeof(is->key), "%s", key);
		if (w != v) {
			snprintf(is->note, sizeof(is->note), "intermediate %s "
			    "was renewed as %s (the same key and name): that "
			    "certificate signs their CRL", v->serial, w->serial);
			snprintf(is->serial, sizeof(is->serial), "%s",
			    w->serial);
		}
	}
	if (is->key[0] == '\0')
		rc = kc_err(KC_ERR_NOTFOUND, "--intermediate %s: %s/"
		    "intermediate.key is missing (and no retired key of %s is "
		    "that certificate's): its CRL cannot be signed here",
		    serial, sub, dir);
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	kc_fcrl_set_free(&s);
	return rc;
}

int
kc_fcrl_open_retired(const char *dir, const struct kc_fcrl_issuer *is,
    const struct kc_secret *pass, struct kc_factory **out)
{
	struct kc_factory *f;
	char path[PATH_MAX];
	struct tm tm;
	time_t na;
	int rc;

	*out = NULL;
	if (is->current || is->key[0] == '\0')
		return kc_err(KC_ERR_USAGE, "kc_fcrl_open_retired: not a "
		    "retired intermediate");
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->dir = strdup(dir)) == NULL) {
		free(f);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if ((rc = kc_cert_load(is->cert, &f->inter)) != KC_OK ||
	    (rc = kc_fname_join(path, sizeof(path), dir, "root.pem")) != KC_OK ||
	    (rc = kc_cert_load(path, &f->root)) != KC_OK)
		goto fail;
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(f->inter), &tm) ||
	    (na = timegm(&tm)) <= time(NULL)) {
		rc = kc_err(KC_ERR_POLICY, "--intermediate %s: %s has ended "
		    "(notAfter passed): every device it signed has ended too, "
		    "no CRL is needed for it", is->serial, is->cert);
		goto fail;
	}
	if ((rc = kc_key_load(is->key, pass, &f->key)) != KC_OK)
		goto fail;
	if (X509_check_private_key(f->inter, f->key) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_POLICY, "%s does not belong to %s; refusing "
		    "to sign with it", is->cert, is->key);
		goto fail;
	}
	if ((rc = kc_fname_join(path, sizeof(path), dir, "ledger.sqlite")) ||
	    (rc = kc_ledger_open(path, 0, &f->ledger)))
		goto fail;
	*out = f;
	return KC_OK;
fail:
	kc_factory_close(f);
	return rc;
}

/* ---- the other intermediates' CRLs, for crls.pem ---- */

struct newest {
	long long	 number;
	char		 path[PATH_MAX + 64];
	time_t		 next_update;
};

static int
on_newest(const char *path, const struct kc_crl_info *info, void *arg)
{
	struct newest *w = arg;

	if (info != NULL && info->number > w->number) {
		w->number = info->number;
		w->next_update = info->next_update;
		snprintf(w->path, sizeof(w->path), "%s", path);
	}
	return KC_OK;
}

int
kc_fcrl_others_pem(const char *dir, const char *ski, time_t now,
    char **pem, size_t *len)
{
	struct kc_fcrl_set s;
	struct kc_strbuf b;
	char arch[PATH_MAX];
	int rc;

	*pem = NULL;
	*len = 0;
	memset(&b, 0, sizeof(b));
	if ((rc = kc_fname_join(arch, sizeof(arch), dir, "crl")) != KC_OK)
		return rc;
	if (kc_fcrl_set_load(dir, 1, &s) != KC_OK) {
		kc_err_clear();
		return KC_OK;	/* no active intermediate to compare with */
	}
	for (size_t i = 0; i < s.n && rc == KC_OK; i++) {
		const struct kc_fcrl_inter *v = &s.v[i];
		struct newest w;
		X509_CRL *c = NULL;
		char *one = NULL;
		size_t olen = 0, k;
		struct tm tm;

		/* this CRL's issuer (and its renewals), an intermediate seen
		 * already under another serial, one that has ended */
		if (v->ski[0] == '\0' || strcmp(v->ski, ski) == 0)
			continue;
		for (k = 0; k < i && strcmp(s.v[k].ski, v->ski) != 0; k++)
			;
		if (k < i || !ASN1_TIME_to_tm(X509_get0_notAfter(v->cert),
		    &tm) || timegm(&tm) <= now)
			continue;
		memset(&w, 0, sizeof(w));
		if ((rc = kc_crl_dir_each(arch, v->cert, on_newest, &w)) !=
		    KC_OK)
			break;
		if (w.number == 0) {
			kc_log(KC_LOG_WARN, "crls.pem holds no CRL of "
			    "intermediate %s (%s; none in %s): a broker with "
			    "a crlfile refuses every device it signed; issue one "
			    "with factorysign crl --dir %s%s%s --out ...",
			    v->serial, v->current ? "the active one" : v->path,
			    arch, dir, v->current ? "" : " --intermediate ",
			    v->current ? "" : v->serial);
			continue;
		}
		if (w.next_update != 0 && w.next_update <= now)
			kc_log(KC_LOG_WARN, "%s, the newest CRL of intermediate "
			    "%s, is past its nextUpdate: relying parties refuse "
			    "its devices until it is renewed (factorysign crl "
			    "--dir %s%s%s --out ...)", w.path, v->serial, dir,
			    v->current ? "" : " --intermediate ",
			    v->current ? "" : v->serial);
		if ((rc = kc_crl_file_load(w.path, &c)) == KC_OK &&
		    (rc = kc_crl_pem(c, &one, &olen)) == KC_OK)
			kc_strbuf_add(&b, "%.*s", (int)olen, one);
		X509_CRL_free(c);
		free(one);
	}
	kc_fcrl_set_free(&s);
	if (rc == KC_OK && b.failed)
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
	if (rc != KC_OK) {
		free(b.p);
		return rc;
	}
	*pem = b.p;
	*len = b.len;
	return KC_OK;
}

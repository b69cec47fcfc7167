/* cmd_keygen.c: factorysign keygen: device certificates for nRF91 modems
 * from their AT%KEYGEN responses (one per line), issued through the same
 * signer, checks and ledger as "sign", each with an AT%CMNG script that
 * writes it back, and the SHA-256 the modem will list for it. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "kc/factory/nrf.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *input, *ca_file, *id, *pass_file;
	long sec_tag;
	int resume;	/* --resume: always so, kept for old scripts */
	struct kc_factory_opts o;
};

static int
sec_tag(const char *value, void *target)
{
	return fs_int("--sec-tag", value, 0, KC_NRF_SEC_TAG_MAX, target);
}

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(A, input, "input", "FILE", "the modems' AT%KEYGEN responses, one a line"),
	KC_O_FN(A, sec_tag, "sec-tag", "T", sec_tag, "the sec_tag the keys were made in (default: the\n"
	    "response's)"),
	KC_O_STR(A, ca_file, "ca-file", "CA.pem", "server CA certificates the devices are to trust"),
	KC_O_STR(A, id, "id", "ID", "the device ID the CSR's CN must equal"),
	KC_O_FN(A, o.days, "days", "N", fs_opt_days, "validity in days (default 365), within the intermediate's"),
	KC_O_FN(A, o.backdate, "backdate", "S", fs_opt_backdate, "notBefore S seconds before signing (default 3600;\n"
	    "0 to 86400, 0: none)"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	KC_O_STR_REQ(A, o.out_dir, "out-dir", "OUT", "where ID.cert.pem, ID.at... go (made if missing)"),
	KC_O_FLAG(A, resume, "resume", "accepted for older scripts; reruns always resume"),
	KC_O_FLAG(A, o.reissue, "reissue", "a new certificate for a modem that made a new key"),
	KC_O_FLAG(A, o.strict_size, "strict-size", "refuse outputs past the modem's and C99's size limits"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_keygen_opts = {
	"keygen",
	"keygen [--dir D] --input FILE [--sec-tag T] [--ca-file CA.pem] [--id ID]\n"
	"           [--days N] [--backdate S] [--reissue] [--strict-size]\n"
	"           [--pass-file F] --out-dir OUT",
	"Each device gets the pem files, ID.at (the AT%CMNG script that writes\n"
	"them to the modem) and ID.at.sha256 (what AT%CMNG=1 will list).\n",
	opts, 0, 0, NULL, 0
};

/* A response that passed every check that needs no key. */
struct item {
	unsigned long		 lineno;
	struct kc_nrf_msg	*m;
	struct kc_csr		*csr;
	char			*id;
	int			 outcome;	/* enum kc_factory_outcome */
};

static void
item_clear(struct item *it)
{
	kc_nrf_msg_free(it->m);
	kc_csr_free(it->csr);
	free(it->id);
	memset(it, 0, sizeof(*it));
}

/* OUT/STEM<ext> (kc/fnames.h); NULL when out of memory or too long. */
static char *
out_path(const char *dir, const char *id, const char *ext)
{
	char buf[PATH_MAX];

	if (kc_fname_path(dir, id, ext, buf, sizeof(buf)) != KC_OK)
		return NULL;
	return strdup(buf);
}

/* Envelope, CSR, sec_tag, --id. Existing outputs are the signer's
 * business: a device already issued from this response is a rerun (its
 * files checked and repaired from the ledger), other files are refused. */
static int
check_one(const struct args *a, const char *what, const char *line,
    size_t len, struct item *it)
{
	const char *why;
	int rc;

	if ((rc = kc_nrf_parse(line, len, what, &it->m)) != KC_OK ||
	    (rc = kc_nrf_csr(it->m, what, 0, &it->csr)) != KC_OK)
		return rc;
	if (a->sec_tag >= 0 && it->m->sec_tag != a->sec_tag)
		return kc_err(KC_ERR_POLICY, "%s: the key was generated in "
		    "sec_tag %ld, not --sec-tag %ld (the certificate must go "
		    "next to its key)", what, it->m->sec_tag, a->sec_tag);
	if ((it->id = kc_nrf_csr_cn(it->csr)) == NULL)
		return kc_err(KC_ERR_POLICY, "%s: the CSR has no CN to use as "
		    "the device ID", what);
	if (a->id != NULL && strcmp(a->id, it->id) != 0)
		return kc_err(KC_ERR_POLICY, "%s: --id '%s' does not match the "
		    "CSR's CN '%s'", what, a->id, it->id);
	if (!kc_factory_id_ok(it->id, &why))
		return kc_err(KC_ERR_POLICY, "%s: CN '%s' is not a valid device "
		    "ID: %s", what, it->id, why);
	return KC_OK;
}

/* 1 when the ledger holds the hash of the certificate's ID.at. */
static int
at_recorded(struct kc_factory *f, const char *serial)
{
	struct kc_ledger_file rec[16];
	size_t n = 0;

	if (kc_ledger_files(kc_factory_ledger(f), serial, rec, 16, &n) !=
	    KC_OK) {
		kc_err_clear();
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(rec[i].suffix, ".at") == 0)
			return 1;
	return 0;
}

/* leaf + intermediate PEM of the live row of id. */
static int
chain_pem(struct kc_factory *f, const char *id, char **out)
{
	struct kc_ledger_row row;
	const unsigned char *p;
	X509 *leaf = NULL;
	char *lp = NULL, *ip = NULL;
	size_t ll, il;
	int rc, r;

	*out = NULL;
	memset(&row, 0, sizeof(row));
	if ((r = kc_ledger_find_id(kc_factory_ledger(f), id, &row)) < 0)
		return r;
	if (r == 0)
		return kc_err(KC_ERR_INTERNAL, "%s: issued but not in the "
		    "ledger", id);
	p = row.cert_der;
	if ((leaf = d2i_X509(NULL, &p, (long)row.cert_der_len)) == NULL) {
		rc = kc_err_ssl(KC_ERR_INTERNAL, "%s: ledger certificate "
		    "unreadable", id);
		goto out;
	}
	if ((rc = kc_cert_pem(leaf, &lp, &ll)) != KC_OK ||
	    (rc = kc_cert_pem(kc_factory_intermediate(f), &ip, &il)) != KC_OK)
		goto out;
	if (asprintf(out, "%s%s", lp, ip) < 0) {
		*out = NULL;
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
	}
out:
	X509_free(leaf);
	free(lp);
	free(ip);
	kc_ledger_row_clear(&row);
	return rc;
}

/* Issues one checked item: OUT/ID.at and OUT/ID.at.sha256 are written
 * with the certificates by the one AT writer of the signer (--format at,
 * the sizes checked before anything is recorded); a device already issued
 * (--resume) gets them again from the ledger. */
static int
issue_one(const struct args *a, struct kc_factory *f, const char *what,
    const char *ca_pem, struct item *it)
{
	struct kc_factory_result res;
	struct kc_factory_opts o = a->o;
	struct kc_nrf_at script;
	char *chain = NULL, *at = NULL, *sum = NULL;
	int rc;

	memset(&script, 0, sizeof(script));
	o.formats |= KC_FMT_AT;
	o.sec_tag = (int)it->m->sec_tag;
	o.at_ca_pem = ca_pem;
	if ((rc = kc_factory_issue(f, it->csr->der, it->csr->der_len, what,
	    it->id, &o, &res)) != KC_OK)
		return rc;
	if ((at = out_path(a->o.out_dir, res.id, ".at")) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	it->outcome = res.outcome;
	/* a rerun of a device whose scripts are in the ledger: the signer
	 * checked (and repaired) them */
	if (res.outcome == KC_FACTORY_ISSUED || at_recorded(f, res.serial))
		goto done;
	if ((rc = chain_pem(f, res.id, &chain)) != KC_OK ||
	    (rc = kc_nrf_at_make(it->m->sec_tag, ca_pem, chain, NULL,
	    a->o.strict_size, &script)) != KC_OK)
		goto out;
	snprintf(res.warn, sizeof(res.warn), "%s", script.warn);
	memcpy(res.at_sha256, script.cred_sha256, sizeof(res.at_sha256));
	if ((sum = out_path(a->o.out_dir, res.id, ".at.sha256")) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kc_file_write(at, script.text, script.len, 0644, 0)) !=
	    KC_OK || (rc = kc_file_write(sum, script.sums, script.sums_len,
	    0644, 0)) != KC_OK) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		rc = kc_err(rc, "%s: certificate %s issued and in the ledger, "
		    "but the AT script could not be written: %s", what,
		    res.serial, msg);
		goto out;
	}
done:
	fs_print_result(&res, a->o.out_dir);
	printf("%s: sec_tag %ld -> %s; AT%%CMNG=1 lists %ld,1 with SHA-256 "
	    "%s\n", kc_disp(res.id), it->m->sec_tag, kc_disp(at),
	    it->m->sec_tag, res.at_sha256);
	rc = KC_OK;
out:
	kc_nrf_at_free(&script);
	free(chain);
	free(at);
	free(sum);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	struct args a;
	struct kc_factory *f = NULL;
	struct kc_nrf_lines lines;
	struct item *items = NULL, *nitems;
	unsigned char *data = NULL;
	char *ca_pem = NULL, what[512];
	const char *line;
	size_t len, dlen, n = 0, cap = 0, i;
	unsigned long lineno, total = 0, bad = 0, done = 0, already = 0;
	unsigned long repaired = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	a.dir = KC_FACTORY_DIR;
	a.sec_tag = -1;
	a.o.sec_tag = -1;
	a.o.formats = KC_FMT_PEM;
	/* a rerun of the same responses, as in batch: already issued
	 * devices are checked and repaired, not refused */
	a.o.resume = 1;
	if ((rc = kc_opt_parse(&cmd_keygen_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if ((rc = kc_factory_check_opts(NULL, &a.o, 0)) != KC_OK ||
	    (a.ca_file != NULL &&
	    (rc = fs_ca_pem_load(a.ca_file, &ca_pem)) != KC_OK) ||
	    (rc = kc_file_read(a.input, KC_NRF_FILE_MAX, &data, &dlen)) !=
	    KC_OK) {
		rc = kc_front_fail(rc);
		goto out;
	}

	/* every check that needs no key first, one line per bad response */
	kc_nrf_lines_init(&lines, data, dlen);
	while (kc_nrf_lines_next(&lines, &line, &len, &lineno)) {
		total++;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nitems = realloc(items, cap * sizeof(*items))) ==
			    NULL) {
				rc = kc_front_fail(kc_err(KC_ERR_NOMEM,
				    "out of memory"));
				goto out;
			}
			items = nitems;
		}
		memset(&items[n], 0, sizeof(items[n]));
		items[n].lineno = lineno;
		snprintf(what, sizeof(what), "%s:%lu", a.input, lineno);
		if (check_one(&a, what, line, len, &items[n]) != KC_OK) {
			fprintf(stderr, "%s: %s\n", kc_progname, kc_errmsg());
			item_clear(&items[n]);
			bad++;
			continue;
		}
		/* the same device twice in one file */
		for (i = 0; i < n; i++)
			if (OPENSSL_strcasecmp(items[i].id, items[n].id) == 0)
				break;
		if (i < n) {
			fprintf(stderr, "%s: %s: device %s already on line "
			    "%lu\n", kc_progname, kc_disp(what), kc_disp(items[n].id),
			    items[i].lineno);
			item_clear(&items[n]);
			bad++;
			continue;
		}
		n++;
	}
	if (total == 0) {
		rc = kc_front_fail(kc_err(KC_ERR_INPUT, "%s: no %%KEYGEN "
		    "response in the file", a.input));
		goto out;
	}

	if (n > 0) {
		if ((f = fs_open(a.dir, a.pass_file, &rc)) == NULL)
			goto out;
		if ((rc = kc_factory_check_opts(f, &a.o, 0)) != KC_OK) {
			rc = kc_front_fail(rc);
			goto out;
		}
		for (i = 0; i < n; i++) {
			snprintf(what, sizeof(what), "%s:%lu", a.input,
			    items[i].lineno);
			if (issue_one(&a, f, what, ca_pem, &items[i]) !=
			    KC_OK) {
				fprintf(stderr, "%s: %s\n", kc_progname,
				    kc_errmsg());
				bad++;
			} else if (items[i].outcome == KC_FACTORY_ISSUED) {
				done++;
			} else if (items[i].outcome == KC_FACTORY_REPAIRED) {
				repaired++;
			} else {
				already++;
			}
		}
	}
	fprintf(stderr, "%s: %lu issued, %lu already issued, %lu repaired, "
	    "%lu failed, of %lu responses in %s\n", kc_progname, done,
	    already, repaired, bad, total, kc_disp(a.input));
	fprintf(stderr, "%s: note: the modems' COSE signatures were NOT "
	    "verified (only Nordic's identity service holds their keys); the "
	    "CSR digests were checked\n", kc_progname);
	rc = bad > 0 ? KC_EXIT_FAIL : KC_EXIT_OK;
out:
	kc_factory_close(f);
	for (i = 0; i < n; i++)
		item_clear(&items[i]);
	free(items);
	free(ca_pem);
	free(data);
	return rc;
}

/* provision.c: the line station, one nRF91 device over its serial port
 * (factorysign provision; kc/factory/provision.h). The dialogue with the
 * modem is in provision_at.c; this file runs the steps against the
 * signer and the ledger and keeps the journal of a device in progress. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "kc/factory/nrf.h"
#include "kc/factory/provision.h"
#include "provision_int.h"

static const char *const step_names[KC_PROV_NSTEPS] = {
	"open", "hello", "identify", "offline", "keygen", "sign", "write",
	"verify", "online"
};

const char *
kc_prov_step_name(int step)
{
	return step >= 0 && step < KC_PROV_NSTEPS ? step_names[step] : "?";
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --- the journal: D/provision/<ID> exists from just before the
 * certificate is signed until the device holds it (checked) --- */

static int
journal_path(struct kc_factory *f, const char *id, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "%s/provision%s%s", kc_factory_dir(f),
	    id ? "/" : "", id ? id : "");

	if (n < 0 || (size_t)n >= sz)
		return kc_err(KC_ERR_USAGE, "%s: path too long",
		    kc_factory_dir(f));
	return KC_OK;
}

static int
journal_exists(struct kc_factory *f, const char *id)
{
	char p[PATH_MAX];
	struct stat st;

	if (journal_path(f, id, p, sizeof(p)) != KC_OK) {
		kc_err_clear();
		return 0;
	}
	return lstat(p, &st) == 0;
}

static int
journal_put(struct kc_factory *f, const char *id, const char *port)
{
	char d[PATH_MAX], p[PATH_MAX], text[PATH_MAX + 64];
	int rc, n;

	if ((rc = journal_path(f, NULL, d, sizeof(d))) != KC_OK ||
	    (rc = journal_path(f, id, p, sizeof(p))) != KC_OK ||
	    (rc = kc_dir_ensure(d, 0700)) != KC_OK)
		return rc;
	n = snprintf(text, sizeof(text), "device %s\nport %s\nsince %lld\n",
	    id, port, (long long)time(NULL));
	if ((rc = kc_file_write(p, text, (size_t)n, 0600, 0)) != KC_OK)
		return rc;
	return kc_dir_sync(d);
}

static int
journal_drop(struct kc_factory *f, const char *id)
{
	char d[PATH_MAX], p[PATH_MAX];
	int rc;

	if ((rc = journal_path(f, NULL, d, sizeof(d))) != KC_OK ||
	    (rc = journal_path(f, id, p, sizeof(p))) != KC_OK)
		return rc;
	if (unlink(p) != 0 && errno != ENOENT)
		return kc_err(KC_ERR_IO, "%s: %s", p, strerror(errno));
	return kc_dir_sync(d);
}

/* --- the ledger side --- */

/* The live row of id (issued or pending): 1 (with its serial and, when
 * pending is not NULL, whether it is pending), 0 none, < 0 error. */
static int
live_row(struct kc_factory *f, const char *id, char serial[41], int *pending)
{
	struct kc_ledger_row row;
	int r;

	memset(&row, 0, sizeof(row));
	r = kc_ledger_find_id(kc_factory_ledger(f), id, &row);
	if (r == 1) {
		memcpy(serial, row.serial, 41);
		if (pending != NULL)
			*pending = strcmp(row.status, "pending") == 0;
	}
	kc_ledger_row_clear(&row);
	return r;
}

static int
live_serial(struct kc_factory *f, const char *id, char serial[41])
{
	return live_row(f, id, serial, NULL);
}

/* The device holds the certificate, checked: its pending row becomes
 * issued, in a transaction that finds it still this run's and pending. */
static int
confirm_row(struct kc_factory *f, const struct kc_prov_result *res)
{
	struct kc_ledger *l = kc_factory_ledger(f);
	char serial[41];
	int rc, r, pending = 0;

	if ((rc = kc_ledger_begin(l)) != KC_OK)
		return rc;
	if ((r = live_row(f, res->id, serial, &pending)) < 0) {
		rc = r;
		goto fail;
	}
	if (r == 0 || strcmp(serial, res->serial) != 0 || !pending) {
		rc = kc_err(KC_ERR_EXISTS, "device %s: serial %s is no longer "
		    "its pending row in the ledger (another station re-keyed "
		    "it?); not confirmed", res->id, res->serial);
		goto fail;
	}
	if ((rc = kc_ledger_set_status(l, serial, "issued")) != KC_OK)
		goto fail;
	return kc_ledger_commit(l);
fail:
	kc_ledger_rollback(l);
	return rc;
}

/* The credential text of the live row of id: leaf + intermediate PEM with
 * CRLF line ends, as the modem stores it. */
static int
chain_text(struct kc_factory *f, const char *id, char **out)
{
	struct kc_ledger_row row;
	const unsigned char *p;
	X509 *leaf = NULL;
	char *lp = NULL, *ip = NULL, *t;
	size_t ll, il, i, n = 0;
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
	if ((t = malloc(2 * (ll + il) + 1)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ll + il; i++) {
		char c = i < ll ? lp[i] : ip[i - ll];
		if (c == '\n')
			t[n++] = '\r';
		t[n++] = c;
	}
	t[n] = '\0';
	*out = t;
out:
	X509_free(leaf);
	free(lp);
	free(ip);
	kc_ledger_row_clear(&row);
	return rc;
}

/* PEM text with CRLF line ends (the CA credential). */
static char *
crlf(const char *pem)
{
	size_t n = 0, i, len = strlen(pem);
	char *t = malloc(2 * len + 1);

	if (t == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (pem[i] == '\n' && (i == 0 || pem[i - 1] != '\r'))
			t[n++] = '\r';
		t[n++] = pem[i];
	}
	t[n] = '\0';
	return t;
}

static void
sha_upper(const char *text, char out[65])
{
	kc_sha256_hex(text, strlen(text), out);
	for (int i = 0; out[i]; i++)
		if (out[i] >= 'a' && out[i] <= 'f')
			out[i] = (char)(out[i] - 'a' + 'A');
}

/* The identity and the ledger check before the modem is touched. */
static int
check_known(struct kc_factory *f, const struct kc_prov_opts *o,
    struct kc_prov_result *res, int *reissue)
{
	char serial[41];
	int r, pending = 0;

	if (res->id[0] == '\0')
		return KC_OK;
	if ((r = live_row(f, res->id, serial, &pending)) < 0)
		return r;
	if (r == 1 && (pending || journal_exists(f, res->id))) {
		/* an interrupted run (pending: never confirmed on the device;
		 * an issued row with a journal: one from before the ledger
		 * had "pending"): the device may hold that certificate or
		 * nothing; the row is superseded and the device re-keyed */
		*reissue = 1;
		res->resumed = 1;
	} else if (r == 1 && !o->fo.reissue) {
		return kc_err(KC_ERR_EXISTS, "device %s is already issued "
		    "(serial %s); --reissue re-keys it", res->id, serial);
	} else if (r == 1) {
		*reissue = 1;
	}
	return KC_OK;
}

/* The files the signer wrote for serial (as the ledger recorded them),
 * removed: the certificate is void, a rerun writes the device's anew. */
static void
drop_files(struct kc_factory *f, const char *out_dir, const char *id,
    const char *serial)
{
	struct kc_ledger_file rec[16];
	char p[PATH_MAX];
	size_t n = 0;

	if (kc_ledger_files(kc_factory_ledger(f), serial, rec, 16, &n) !=
	    KC_OK)
		return;
	for (size_t i = 0; i < n; i++)
		if (kc_fname_path(out_dir, id, rec[i].suffix, p, sizeof(p)) ==
		    KC_OK)
			(void)unlink(p);
	(void)kc_dir_sync(out_dir);
}

/* The certificate is signed but the device does not hold it: its row is
 * superseded (not live) and its files removed, then the journal. The
 * error message that was set is kept. */
static void
void_row(struct kc_factory *f, const char *out_dir,
    struct kc_prov_result *res)
{
	char msg[1024], serial[41];
	int code = kc_errcode();

	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	if (live_serial(f, res->id, serial) == 1 &&
	    strcmp(serial, res->serial) == 0 &&
	    kc_ledger_supersede(kc_factory_ledger(f), serial) == KC_OK) {
		drop_files(f, out_dir, res->id, serial);
		(void)journal_drop(f, res->id);
	}
	kc_err_clear();
	kc_err(code, "%s", msg);
}

int
kc_provision(struct kc_factory *f, const struct kc_prov_opts *o,
    struct kc_prov_result *res)
{
	struct kc_prov_dev d;
	struct kc_factory_result fres;
	struct kc_factory_opts fo = o->fo;
	struct kc_nrf_msg *m = NULL;
	struct kc_csr *csr = NULL;
	char *chain = NULL, *ca = NULL, *kg = NULL, name[PATH_MAX + 16];
	double t0 = now_s(), ts = t0;
	int rc, reissue = 0, signed_ = 0;

	memset(res, 0, sizeof(*res));
	memset(&d, 0, sizeof(d));
	d.port = o->port;
	d.tmo = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	d.tag = o->sec_tag;
	res->device = 1;
#define STEP(s) do { res->t_step[res->step] = now_s() - ts; ts = now_s(); \
	res->step = (s); } while (0)

	res->step = KC_PROV_OPEN;
	if (o->serial != NULL)
		d.s = o->serial;
	else if ((rc = kc_serial_open(o->port, o->baud ? o->baud : 115200,
	    &d.s)) != KC_OK) {
		res->device = rc != KC_ERR_USAGE;
		goto out;
	}
	STEP(KC_PROV_HELLO);
	if ((rc = kc_prov_hello(&d)) != KC_OK)
		goto out;
	STEP(KC_PROV_IDENT);
	if ((rc = kc_prov_identify(&d, res)) != KC_OK)
		goto out;
	if (o->id_from == KC_PROV_ID_IMEI)
		snprintf(res->id, sizeof(res->id), "%s", res->imei);
	else
		snprintf(res->id, sizeof(res->id), "%s", res->uuid);
	res->device = 0;
	if ((rc = check_known(f, o, res, &reissue)) != KC_OK)
		goto out;
	res->device = 1;
	STEP(KC_PROV_OFFLINE);
	if ((rc = kc_prov_offline(&d)) != KC_OK)
		goto out;
	STEP(KC_PROV_KEYGEN);
	if ((rc = kc_prov_keygen(&d, o->id_from == KC_PROV_ID_IMEI ?
	    res->imei : NULL, &kg)) != KC_OK)
		goto out;
	/* a response that fails the intake is refused, as keygen does */
	res->device = 0;
	snprintf(name, sizeof(name), "port %s: %%KEYGEN", o->port);
	if ((rc = kc_prov_intake(&d, kg, name, o->id_from, res, &m, &csr)) !=
	    KC_OK)
		goto out;
	if (res->id[0] == '\0' || !reissue) {
		/* the UUID was only in the payload: the ledger check now */
		if ((rc = check_known(f, o, res, &reissue)) != KC_OK)
			goto out;
	}
	STEP(KC_PROV_SIGN);
	fo.formats |= KC_FMT_PEM | KC_FMT_AT;
	fo.sec_tag = (int)o->sec_tag;
	fo.at_ca_pem = o->ca_pem;
	fo.reissue = reissue;
	fo.resume = 0;
	fo.pending = 1;		/* issued once the read-back matches */
	if ((rc = journal_put(f, res->id, o->port)) != KC_OK ||
	    (rc = kc_factory_issue(f, csr->der, csr->der_len, name, res->id,
	    &fo, &fres)) != KC_OK) {
		(void)journal_drop(f, res->id);
		goto out;
	}
	signed_ = 1;
	res->reissued = reissue;
	memcpy(res->serial, fres.serial, sizeof(res->serial));
	if ((rc = chain_text(f, res->id, &chain)) != KC_OK)
		goto out;
	sha_upper(chain, res->cred_sha256);
	if (strcmp(res->cred_sha256, fres.at_sha256) != 0) {
		rc = kc_err(KC_ERR_INTERNAL, "%s: the chain's SHA-256 differs "
		    "from the one of %s.at", res->id, res->id);
		goto out;
	}
	if (o->ca_pem != NULL) {
		if ((ca = crlf(o->ca_pem)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		sha_upper(ca, res->ca_sha256);
	}
	res->device = 1;
	STEP(KC_PROV_WRITE);
	if ((rc = kc_prov_write(&d, ca, chain)) != KC_OK) {
		/* a credential too long for the AT host: refused */
		res->device = rc != KC_ERR_POLICY;
		goto out;
	}
	STEP(KC_PROV_VERIFY);
	if ((rc = kc_prov_verify(&d, res->ca_sha256[0] ? res->ca_sha256 :
	    NULL, res->cred_sha256)) != KC_OK) {
		kc_prov_erase(&d, ca != NULL);
		goto out;
	}
	/* the device holds it, checked: the journal goes, then the row
	 * becomes issued (killed in between: a pending row, which the
	 * rerun re-keys) */
	if ((rc = journal_drop(f, res->id)) != KC_OK ||
	    (rc = confirm_row(f, res)) != KC_OK) {
		kc_prov_erase(&d, ca != NULL);
		goto out;
	}
	signed_ = 0;
	STEP(KC_PROV_ONLINE);
	if (kc_prov_online(&d) != KC_OK) {
		snprintf(res->warn, sizeof(res->warn), "%s", kc_errmsg());
		kc_err_clear();
	}
	res->device = 0;
	rc = KC_OK;
out:
	if (rc != KC_OK && signed_)
		void_row(f, o->fo.out_dir, res);
	res->t_step[res->step] += now_s() - ts;
	res->t_total = now_s() - t0;
	if (o->serial == NULL)
		kc_serial_close(d.s);
	kc_nrf_msg_free(m);
	kc_csr_free(csr);
	free(kg);
	free(chain);
	free(ca);
	return rc;
#undef STEP
}

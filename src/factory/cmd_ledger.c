/* cmd_ledger.c: factorysign ledger export | verify | migrate, and the
 * --ledger / --station options of every command that uses the ledger. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/factory.h"
#include "kc/factory/fnames.h"
#include "kc/factory/ledger.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *format, *out;
	int all, json;
	const char *subtype, *tags, *fw_types;	/* --format nrfcloud */
};

#define A struct args
static const struct kc_opt export_opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR(A, format, "format", "F", "csv (default: the enrollment list), json (as\n"
	    "--json) or nrfcloud (nRF Cloud's onboarding CSV)"),
	KC_O_FLAG(A, json, "json", "the list as one JSON document (docs/json.md)"),
	KC_O_STR(A, out, "out", "FILE", "write to FILE (must not exist); default standard output"),
	KC_O_FLAG(A, all, "all", "csv: superseded certificates too, and a status column"),
	KC_O_STR(A, subtype, "subtype", "S", "nrfcloud: the device subtype (default empty)"),
	KC_O_STR(A, tags, "tags", "T1|T2", "nrfcloud: tags separated by | (default empty)"),
	KC_O_STR(A, fw_types, "fw-types", "TYPES", "nrfcloud: firmware types (default APP|MODEM)"),
	FS_O_LEDGER,
	KC_O_END
};

static const struct kc_opt verify_opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_FLAG(A, all, "backfill", "first record the hashes of devices issued before\n"
	    "they were kept, where their files hold what the ledger makes"),
	FS_O_LEDGER,
	KC_O_END
};

struct margs {
	const char *dir, *to;
};
static const struct kc_opt migrate_opts[] = {
	KC_O_STR(struct margs, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR_REQ(struct margs, to, "to", "URI", "the PostgreSQL ledger (postgresql://...; no password in it)"),
	{ "station", KC_OPT_FN, 0, 0, "NAME", "the station the copied rows name (default the host name)",
	    0, 0, fs_opt_station },
	KC_O_END
};
#undef A

const struct kc_optdef cmd_ledger_export_opts = {
	"ledger export",
	"ledger export [--dir D] [--format csv|json | --json] [--all] [--out F]\n"
	"       factorysign ledger export [--dir D] --format nrfcloud [--subtype S]\n"
	"           [--tags T1|T2] [--fw-types APP|MODEM] [--out F.csv]",
	"The live device certificates: id, serial, sha256 (of the DER), not_after.\n"
	"nrfcloud: at most 1000 rows a file; more need --out (F-1.csv, F-2.csv...).\n",
	export_opts, 0, 0, NULL, 0
};

const struct kc_optdef cmd_ledger_verify_opts = {
	"ledger verify",
	"ledger verify [--dir D] [--backfill]",
	"Checks every output file of every live device against the SHA-256\n"
	"recorded when it was written; exit status 1 when there is a problem.\n",
	verify_opts, 0, 0, NULL, 0
};

const struct kc_optdef cmd_ledger_migrate_opts = {
	"ledger migrate",
	"ledger migrate [--dir D] --to URI [--station NAME]",
	"Copies D/ledger.sqlite into the PostgreSQL ledger in one transaction,\n"
	"checks the row count and a SHA-256 over every row on both sides, commits\n"
	"only then and writes D/ledger.conf: D uses the server from then on.\n",
	migrate_opts, 0, 0, NULL, 0
};

int
fs_opt_ledger(const char *value, void *target)
{
	(void)target;
	if (kc_ledger_use(value, NULL) != KC_OK)
		return kc_front_usage("%s", kc_errmsg());
	return 0;
}

int
fs_opt_station(const char *value, void *target)
{
	(void)target;
	if (kc_ledger_use(NULL, value) != KC_OK)
		return kc_front_usage("--station: %s", kc_errmsg());
	return 0;
}

int
cmd_ledger_migrate(int argc, char **argv)
{
	struct margs a = { KC_FACTORY_DIR, NULL };
	char sha[65];
	long n;
	int rc;

	if ((rc = kc_opt_parse(&cmd_ledger_migrate_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	if (kc_ledger_uri_check(a.to) != KC_OK)
		return kc_front_usage("ledger migrate: %s", kc_errmsg());
	if ((rc = kc_ledger_migrate(a.dir, a.to, kc_ledger_chosen_station(),
	    &n, sha)) != KC_OK)
		return kc_front_fail(rc);
	printf("ledger migrate %s: %ld row%s copied and checked (SHA-256 %s); "
	    "%s/ledger.conf now names the PostgreSQL ledger\n", kc_disp(a.dir),
	    n, n == 1 ? "" : "s", sha, kc_disp(a.dir));
	return KC_EXIT_OK;
}

static int
open_ledger(const char *dir, struct kc_ledger **l)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
	if (!kc_ledger_exists(path))
		return kc_err(KC_ERR_NOTFOUND, "%s: no ledger (nothing was "
		    "issued from this directory yet)", path);
	return kc_ledger_open(path, 0, l);
}

struct csv {
	FILE	*f;
	int	 all, json;
	long	 n;
};

/* --json: one object per device certificate */
static void
json_row(struct csv *c, const struct kc_ledger_row *r, const char *not_after)
{
	const char *const k[5] = { "id", "serial", "sha256", "not_after",
	    "status" };
	const char *const v[5] = { r->device_id, r->serial, r->cert_sha256,
	    not_after, r->status };

	fprintf(c->f, "%s\n    {", c->n ? "," : "");
	for (int i = 0; i < 5; i++) {
		fprintf(c->f, "%s\"%s\": ", i ? ", " : "", k[i]);
		kc_front_json_bytes_fp(c->f, v[i]);
	}
	fputc('}', c->f);
}

static int
csv_row(const struct kc_ledger_row *r, void *arg)
{
	struct csv *c = arg;
	struct tm tm;
	char d[32];

	/* a pending row is not on its device yet: never exported */
	if (strcmp(r->kind, "device") != 0 ||
	    strcmp(r->status, "pending") == 0 ||
	    (!c->all && strcmp(r->status, "issued") != 0))
		return 0;
	gmtime_r(&r->not_after, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->json) {
		kc_time_utc(r->not_after, d);
		json_row(c, r, d);
		c->n++;
		return 0;
	}
	{
		/* every field quoted (RFC 4180); a device ID a spreadsheet
		 * would run as a formula (from a ledger written before such
		 * IDs were refused) stops the export, naming it */
		const char *v[5] = { r->device_id, r->serial, r->cert_sha256, d,
		    r->status };
		static const char *const what[5] = { "device ID", "serial",
		    "certificate SHA-256", "notAfter", "status" };
		int nf = c->all ? 5 : 4, rc = KC_OK;

		for (int i = 0; i < nf && rc == KC_OK; i++) {
			char *q = NULL;

			if ((rc = kc_csv_field(v[i], what[i], &q)) == KC_OK)
				fprintf(c->f, "%s%c", q, i + 1 < nf ? ',' : '\n');
			free(q);
		}
		if (rc != KC_OK)
			return rc;
	}
	c->n++;
	return 0;
}

int
cmd_ledger_export(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, "csv", NULL, 0, 0, NULL, NULL, NULL };
	struct kc_ledger *l = NULL;
	struct csv c = { NULL, 0, 0, 0 };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = kc_opt_parse(&cmd_ledger_export_opts, argc, argv, &a, NULL)) >=
	    0)
		return rc;
	if (strcmp(a.format, "json") == 0)
		a.json = 1;
	else if (a.json && strcmp(a.format, "csv") != 0)
		return kc_front_usage("ledger export: --json is --format json; "
		    "it does not go with --format '%s'", kc_disp(a.format));
	if (strcmp(a.format, "nrfcloud") == 0)
		return fs_export_nrfcloud(a.dir, a.out, a.subtype, a.tags,
		    a.fw_types);
	if (a.subtype != NULL || a.tags != NULL || a.fw_types != NULL)
		return kc_front_usage("ledger export: --subtype, --tags and "
		    "--fw-types go with --format nrfcloud");
	if (!a.json && strcmp(a.format, "csv") != 0)
		return kc_front_usage("ledger export: --format '%s': use csv, "
		    "json or nrfcloud", a.format);
	if (a.out != NULL && (rc = kc_file_check_absent(a.out)) != KC_OK)
		return kc_front_fail(rc);
	if ((rc = open_ledger(a.dir, &l)) != KC_OK)
		return kc_front_fail(rc);
	c.all = a.all;
	c.json = a.json;
	if ((c.f = open_memstream(&buf, &len)) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (a.json) {
		fputs("{\n  \"schema\": 1,\n  \"dir\": ", c.f);
		kc_front_json_bytes_fp(c.f, a.dir);
		fprintf(c.f, ",\n  \"all\": %s,\n  \"devices\": [",
		    a.all ? "true" : "false");
	} else
		fprintf(c.f, a.all ?
		    "\"id\",\"serial\",\"sha256\",\"not_after\",\"status\"\n" :
		    "\"id\",\"serial\",\"sha256\",\"not_after\"\n");
	/* --station: that station's rows only */
	rc = kc_ledger_foreach_station(l, "device", kc_ledger_chosen_station(),
	    csv_row, &c);
	if (a.json)
		fprintf(c.f, "%s],\n  \"count\": %ld\n}\n", c.n ? "\n  " : "",
		    c.n);
	fclose(c.f);
	if (rc != KC_OK)
		goto out;
	if (a.out != NULL)
		rc = kc_file_write(a.out, buf, len, 0644, KC_WRITE_EXCL);
	else if (fwrite(buf, 1, len, stdout) != len)
		rc = kc_err(KC_ERR_IO, "cannot write to stdout");
out:
	free(buf);
	kc_ledger_close(l);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (a.out != NULL)
		fprintf(stderr, "%s: %ld devices\n", kc_disp(a.out), c.n);
	return KC_EXIT_OK;
}

struct ver {
	struct kc_ledger *l;
	long	n, bad, files, nohash;
	long	pending, superseded, other, revoked;
	const char *station;
};

/* The SHA-256 of a file into hex: 0 when it cannot be read (why). */
static int
hash_file(const char *path, char hex[65], const char **why)
{
	unsigned char *data = NULL;
	size_t len;
	int rc;

	if ((rc = kc_file_read(path, KC_FILE_MAX, &data, &len)) != KC_OK) {
		*why = access(path, F_OK) != 0 ? "missing" : kc_errmsg();
		return 0;
	}
	kc_sha256_hex(data, len, hex);
	OPENSSL_clear_free(data, len);
	return 1;
}

/* A row recorded before file hashes were kept: its certificate file holds
 * the recorded certificate. */
static void
verify_cert_only(const struct kc_ledger_row *r, struct ver *v)
{
	unsigned char *data = NULL, *der = NULL;
	size_t len;
	char hex[65];
	BIO *bio;
	X509 *x = NULL;
	int n = 0;

	if (kc_file_read(r->cert_path, KC_FILE_MAX, &data, &len) == KC_OK &&
	    (bio = BIO_new_mem_buf(data, (int)len)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (x != NULL)
		n = i2d_X509(x, &der);
	if (n <= 0 || (kc_sha256_hex(der, (size_t)n, hex),
	    strcmp(hex, r->cert_sha256) != 0)) {
		printf("%s: %s is missing or is not the recorded certificate "
		    "(serial %s)\n", kc_disp(r->device_id),
		    kc_disp_quoted(r->cert_path), kc_disp(r->serial));
		v->bad++;
	}
	kc_err_clear();
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(x);
	free(data);
}

static int
verify_row(const struct kc_ledger_row *r, void *arg)
{
	struct ver *v = arg;
	struct kc_ledger_file rec[16];
	char hex[65], dir[PATH_MAX], path[PATH_MAX];
	const char *why, *sl;
	size_t nrec = 0;
	int rc;

	if (strcmp(r->status, "pending") == 0) {
		/* not a problem: the line station's rerun completes it */
		printf("%s: serial %s is pending: recorded before its credential "
		    "was confirmed on the device; rerun factorysign provision "
		    "on that device\n", kc_disp(r->device_id),
		    kc_disp(r->serial));
		v->pending++;
		return 0;
	}
	if (strcmp(r->status, "superseded") == 0)
		v->superseded++;
	else if (strcmp(r->status, "issued") != 0)
		v->other++;
	if (strcmp(r->status, "issued") != 0)
		return 0;
	v->n++;
	kc_sha256_hex(r->cert_der, r->cert_der_len, hex);
	if (strcmp(hex, r->cert_sha256) != 0) {
		printf("%s: ledger row %s: stored certificate does not match "
		    "its SHA-256\n", kc_disp(r->device_id), kc_disp(r->serial));
		v->bad++;
		return 0;
	}
	if ((rc = kc_ledger_files(v->l, r->serial, rec, 16, &nrec)) != KC_OK)
		return rc;
	if (nrec == 0) {
		v->nohash++;
		verify_cert_only(r, v);
		return 0;
	}
	/* every file in the directory of the certificate, named by the one
	 * mapping (kc/fnames.h) */
	sl = strrchr(r->cert_path, '/');
	snprintf(dir, sizeof(dir), "%.*s", sl != NULL ? (int)(sl -
	    r->cert_path) : 1, sl != NULL ? r->cert_path : ".");
	for (size_t i = 0; i < nrec; i++) {
		v->files++;
		if ((rc = kc_fname_path(dir, r->device_id, rec[i].suffix, path,
		    sizeof(path))) != KC_OK)
			return rc;
		if (!hash_file(path, hex, &why)) {
			/* why: "missing" or a kc_err message (escaped) */
			printf("%s: %s is %s%s (serial %s)\n",
			    kc_disp(r->device_id), kc_disp_quoted(path),
			    strcmp(why, "missing") == 0 ? "" : "unreadable: ",
			    why, kc_disp(r->serial));
			v->bad++;
		} else if (strcmp(hex, rec[i].sha256) != 0) {
			printf("%s: %s is damaged: SHA-256 %s, recorded %s "
			    "(serial %s)\n", kc_disp(r->device_id),
			    kc_disp_quoted(path), kc_hash(hex),
			    kc_hash(rec[i].sha256), kc_disp(r->serial));
			v->bad++;
		}
		kc_err_clear();
	}
	return 0;
}

static int
count_revoked(void *arg, const struct kc_ledger_row *r, time_t when,
    int reason)
{
	struct ver *v = arg;

	(void)when;
	(void)reason;
	if (strcmp(r->kind, "device") == 0 && (v->station == NULL ||
	    r->station[0] == '\0' || strcmp(r->station, v->station) == 0))
		v->revoked++;
	return 0;
}

int
cmd_ledger_verify(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, NULL, NULL, 0, 0, NULL, NULL, NULL };
	struct kc_ledger *l = NULL;
	struct ver v = { NULL, 0, 0, 0, 0, 0, 0, 0, 0, NULL };
	struct kc_ledger_counts cnt;
	int rc;

	if ((rc = kc_opt_parse(&cmd_ledger_verify_opts, argc, argv, &a, NULL)) >=
	    0)
		return rc;
	if ((rc = open_ledger(a.dir, &l)) != KC_OK)
		return kc_front_fail(rc);
	/* --backfill (a.all): hashes for the rows issued before they were
	 * kept, where the files hold what the ledger makes of them */
	if (a.all) {
		long rows, files, differ;

		kc_ledger_close(l);
		l = NULL;
		if ((rc = kc_factory_backfill(a.dir, &rows, &files, &differ)) !=
		    KC_OK || (rc = open_ledger(a.dir, &l)) != KC_OK)
			return kc_front_fail(rc);
		printf("ledger %s: recorded %ld hash%s of %ld device%s issued "
		    "before hashes were kept; %ld file%s not recorded\n",
		    kc_disp(a.dir), files, files == 1 ? "" : "es", rows,
		    rows == 1 ? "" : "s", differ, differ == 1 ? "" : "s");
	}
	v.l = l;
	v.station = kc_ledger_chosen_station();
	rc = kc_ledger_foreach_station(l, "device", v.station, verify_row, &v);
	if (rc == KC_OK)
		rc = kc_ledger_foreach_revoked(l, count_revoked, &v);
	if (rc == KC_OK)
		rc = kc_ledger_counts(l, &cnt);
	kc_ledger_close(l);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	printf("ledger %s: %ld live device certificates, %ld output files "
	    "checked, %ld problems\n", kc_disp(a.dir), v.n, v.files, v.bad);
	printf("ledger %s: devices: %ld issued, %ld pending, %ld superseded, "
	    "%ld revoked%s; %ld CRL%s recorded\n", kc_disp(a.dir), v.n,
	    v.pending, v.superseded, v.revoked, v.other ? " (and rows of an "
	    "unknown status)" : "", cnt.crls, cnt.crls == 1 ? "" : "s");
	if (v.nohash > 0)
		printf("ledger %s: %ld device%s with no recorded hashes (issued "
		    "before they were kept): only the certificate file checked; "
		    "--backfill or a rerun with the same input records them\n",
		    kc_disp(a.dir), v.nohash, v.nohash == 1 ? "" : "s");
	return v.bad ? KC_EXIT_FAIL : KC_EXIT_OK;
}

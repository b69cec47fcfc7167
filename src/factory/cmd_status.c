/* cmd_status.c: factorysign status: what is due in a factory directory.
 * The installed intermediate's and root's notAfter with days left, the
 * live device certificates of the ledger that end within --warn-days
 * or already ended (counts and the first few IDs), the line station's
 * rows still pending, and the last CRL the ledger recorded for each
 * intermediate still valid, the active one and each retired one
 * (number, nextUpdate; due within --crl-warn-days). Exit 0 when nothing
 * ends within --warn-days, 1 when something does, 2 when something
 * already ended, 3 when the status cannot be told (the monitoring-plugin
 * convention, as keyceremony status). A ledger shared by several stations
 * (PostgreSQL) is counted for the whole factory and per station; --station
 * NAME counts that station's rows only. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/factory/crl.h"
#include "kc/factory/factory.h"
#include "kc/factory/ledger.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

#define STATUS_OK	0
#define STATUS_DUE	1
#define STATUS_LAPSED	2
#define STATUS_ERROR	3
#define FIRST_IDS	5	/* device IDs listed per group */
#define PREV_MAX	32	/* previous intermediates listed */
#define STATIONS_MAX	64	/* stations counted one by one */

#define CRL_WARN	"2"	/* --crl-warn-days: CRLs live a week */

struct args {
	const char *dir, *warn, *crl_warn;
	int json;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR(A, warn, "warn-days", "N", "due when it ends within N days (default 60; 0 to 10958)"),
	KC_O_STR(A, crl_warn, "crl-warn-days", "N", "a CRL is due when its nextUpdate is within N\n"
	    "days (default 2; 0 to 366)"),
	KC_O_FLAG(A, json, "json", "one JSON document on standard output"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_status_opts = {
	"status",
	"status [--dir D] [--warn-days N] [--crl-warn-days N] [--json] [--station NAME]",
	"exit status: 0 nothing due, 1 something due, 2 something lapsed,\n"
	"3 the status cannot be told (no installed chain, bad option)\n",
	opts, 0, 0, NULL, 0
};

struct ca {
	const char	*what;		/* "intermediate", "root" */
	char		 path[PATH_MAX];
	char		*subject;	/* one line, owned */
	char		 serial[41];
	char		 ski[65];	/* "" when none */
	time_t		 not_after;
	long long	 days;
	int		 st;
};

/* The last CRL the ledger recorded for an intermediate (by its SKI). */
struct crl {
	const struct ca	*ca;		/* the intermediate */
	int		 retired;
	long long	 number;	/* 0: none recorded */
	time_t		 next_update;
	long long	 days;
	int		 st;
};
#define CRLS_MAX	(PREV_MAX + 1)

/* The intermediates no longer active (D/previous/SERIAL/intermediate.pem:
 * replaced by a renewal, retired by a rekey) and a pending rekey. Listed
 * with their end dates; they do not count toward the exit status (the
 * devices they signed are counted with the devices). */
struct prev {
	struct ca	 c[PREV_MAX];
	int		 n;
	long		 more;		/* beyond PREV_MAX */
	int		 rekey;		/* D/rekey/intermediate.csr exists */
	char		 rekey_path[PATH_MAX];
};

/* The live devices of one station. */
struct station {
	char	 name[KC_STATION_MAX];
	long	 live, due, lapsed;
};

struct devs {
	time_t	 now, horizon;
	long	 live, due, lapsed;
	long	 pending;	/* line station rows not yet confirmed */
	char	 due_ids[FIRST_IDS][65], lapsed_ids[FIRST_IDS][65];
	time_t	 first_end;	/* earliest notAfter of a live device */
	int	 shared;	/* a PostgreSQL ledger: rows name stations */
	const char *only;	/* --station: that station's rows */
	struct station st[STATIONS_MAX];
	int	 nst;
	long	 st_more;	/* rows of stations beyond STATIONS_MAX */
};

/* The counts of the row's station (NULL beyond STATIONS_MAX). */
static struct station *
station_of(struct devs *d, const char *name)
{
	for (int i = 0; i < d->nst; i++)
		if (strcmp(d->st[i].name, name) == 0)
			return &d->st[i];
	if (d->nst == STATIONS_MAX)
		return NULL;
	snprintf(d->st[d->nst].name, sizeof(d->st[d->nst].name), "%s", name);
	return &d->st[d->nst++];
}

static int
grade(time_t end, time_t now, int warn, long long *days)
{
	*days = end > now ? (long long)(end - now) / 86400 :
	    -((long long)(now - end) + 86399) / 86400;
	return end <= now ? STATUS_LAPSED :
	    end - now <= (time_t)warn * 86400 ? STATUS_DUE : STATUS_OK;
}

static int
load_ca(const char *dir, const char *name, struct ca *c, time_t now,
    int warn)
{
	X509 *x = NULL;
	struct tm tm;
	int rc;

	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s", dir, name) >=
	    sizeof(c->path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if (access(c->path, F_OK) != 0)
		return kc_err(KC_ERR_NOTFOUND, "%s: not installed (factorysign "
		    "install --dir %s --cert ... --root ...)", c->path, dir);
	if ((rc = kc_cert_load(c->path, &x)) != KC_OK)
		return rc;
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) ||
	    (c->not_after = timegm(&tm)) == (time_t)-1) {
		X509_free(x);
		return kc_err(KC_ERR_INPUT, "%s: notAfter cannot be read",
		    c->path);
	}
	c->subject = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	{
		char *ser = kc_cert_serial_hex(x);

		snprintf(c->serial, sizeof(c->serial), "%s", ser != NULL ?
		    ser : "");
		free(ser);
		if (kc_fcrl_ski_hex(x, c->ski) != KC_OK) {
			kc_err_clear();
			c->ski[0] = '\0';
		}
	}
	X509_free(x);
	if (c->subject == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	c->st = grade(c->not_after, now, warn, &c->days);
	return KC_OK;
}

static int load_ca(const char *, const char *, struct ca *, time_t, int);

/* D/previous/SERIAL/intermediate.pem, in name order; an unreadable one
 * is an error (status cannot be told). */
static int
scan_previous(const char *dir, struct prev *p, time_t now, int warn)
{
	char base[PATH_MAX], sub[PATH_MAX];
	struct dirent **names = NULL;
	int n, rc = KC_OK;

	snprintf(p->rekey_path, sizeof(p->rekey_path), "%s/rekey/"
	    "intermediate.csr", dir);
	p->rekey = access(p->rekey_path, F_OK) == 0;
	if ((size_t)snprintf(base, sizeof(base), "%s/previous", dir) >=
	    sizeof(base))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if ((n = scandir(base, &names, NULL, alphasort)) < 0)
		return KC_OK;		/* none */
	for (int i = 0; i < n; i++) {
		if (rc == KC_OK && names[i]->d_name[0] != '.') {
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", base,
			    names[i]->d_name) >= sizeof(sub))
				rc = kc_err(KC_ERR_USAGE, "%s: path too long",
				    base);
			else if (p->n == PREV_MAX)
				p->more++;
			else if ((rc = load_ca(sub, "intermediate.pem",
			    &p->c[p->n], now, warn)) == KC_OK)
				p->c[p->n++].what = "previous";
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
dev_row(const struct kc_ledger_row *r, void *arg)
{
	struct devs *d = arg;
	struct station *st = NULL;

	if (strcmp(r->status, "pending") == 0)
		d->pending++;
	if (strcmp(r->status, "issued") != 0)
		return 0;
	if (d->shared && (st = station_of(d, r->station)) == NULL)
		d->st_more++;
	if (st != NULL)
		st->live++;
	d->live++;
	if (d->first_end == 0 || r->not_after < d->first_end)
		d->first_end = r->not_after;
	if (r->not_after <= d->now) {
		if (d->lapsed < FIRST_IDS)
			snprintf(d->lapsed_ids[d->lapsed], 65, "%s",
			    r->device_id);
		d->lapsed++;
		if (st != NULL)
			st->lapsed++;
	} else if (r->not_after <= d->horizon) {
		if (d->due < FIRST_IDS)
			snprintf(d->due_ids[d->due], 65, "%s", r->device_id);
		d->due++;
		if (st != NULL)
			st->due++;
	}
	return 0;
}

/* The ledger's live device rows; no ledger is no device (nothing issued
 * yet), not an error. */
static int
scan_devices(const char *dir, struct devs *d)
{
	struct kc_ledger *l = NULL;
	char path[PATH_MAX];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/ledger.sqlite", dir) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if (!kc_ledger_exists(path))
		return KC_OK;
	if ((rc = kc_ledger_open(path, 0, &l)) != KC_OK)
		return rc;
	d->shared = strcmp(kc_ledger_backend(l), "postgresql") == 0;
	/* --station: that station's rows only (in a SQLite ledger, of one
	 * station, all of them) */
	d->only = kc_ledger_chosen_station();
	rc = kc_ledger_foreach_station(l, "device", d->shared ? d->only : NULL,
	    dev_row, d);
	kc_ledger_close(l);
	return rc;
}

struct crl_scan {
	struct crl	*v;
	int		 n;
};

static int
on_crl(void *arg, const struct kc_ledger_crl *c)
{
	struct crl_scan *s = arg;

	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].ca->ski, c->issuer) == 0 &&
		    c->number > s->v[i].number) {
			s->v[i].number = c->number;
			s->v[i].next_update = c->next_update;
		}
	return 0;
}

/* 1 when the certificate's directory holds its key (a retired key). */
static int
has_key(const struct ca *c)
{
	char key[PATH_MAX + 32];
	const char *slash = strrchr(c->path, '/');

	if (slash == NULL)
		return 0;
	snprintf(key, sizeof(key), "%.*s/intermediate.key",
	    (int)(slash - c->path), c->path);
	return access(key, F_OK) == 0;
}

/* One row per intermediate still valid (the active one, then the
 * retired ones; a renewal's copy, which shares the SKI, is not listed
 * again) with the ledger's last CRL for it; graded against crl_warn
 * days. No ledger: none recorded. */
static int
scan_crls(const char *dir, const struct ca *inter, const struct prev *p,
    time_t now, int crl_warn, struct crl *v, int *n)
{
	struct kc_ledger *l = NULL;
	struct crl_scan s;
	char path[PATH_MAX];
	int rc = KC_OK;

	*n = 0;
	for (int i = -1; i < p->n && *n < CRLS_MAX; i++) {
		const struct ca *c = i < 0 ? inter : &p->c[i];
		int k;

		if (c->ski[0] == '\0' || c->not_after <= now)
			continue;
		for (k = 0; k < *n && strcmp(v[k].ca->ski, c->ski) != 0; k++)
			;
		if (k < *n) {
			/* a retired key renewed before: the certificate kept
			 * with the key is the one that signs its CRLs */
			if (v[k].retired && !has_key(v[k].ca) && has_key(c))
				v[k].ca = c;
			continue;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].ca = c;
		v[*n].retired = i >= 0;
		(*n)++;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/ledger.sqlite", dir) >=
	    sizeof(path))
		return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
	if (kc_ledger_exists(path)) {
		if ((rc = kc_ledger_open(path, 0, &l)) != KC_OK)
			return rc;
		s.v = v;
		s.n = *n;
		rc = kc_ledger_foreach_crl(l, on_crl, &s);
		kc_ledger_close(l);
		if (rc > 0)
			rc = KC_ERR_DB;
	}
	for (int i = 0; i < *n; i++)
		if (v[i].number > 0)
			v[i].st = grade(v[i].next_update, now, crl_warn,
			    &v[i].days);
	return rc;
}

static const char *
st_name(int st)
{
	return st == STATUS_LAPSED ? "lapsed" : st == STATUS_DUE ? "due" : "ok";
}

static const char *
st_word(int st)
{
	return st == STATUS_LAPSED ? "LAPSED" : st == STATUS_DUE ? "DUE" : "ok";
}

static void
json_ids(const char ids[][65], long n)
{
	putchar('[');
	for (long i = 0; i < n && i < FIRST_IDS; i++) {
		if (i)
			putchar(',');
		kc_front_json_bytes(ids[i]);
	}
	putchar(']');
}

static void
json_ca(const struct ca *c, int first, const char *status)
{
	char t[32];

	kc_time_utc(c->not_after, t);
	printf("%s{\"kind\":", first ? "" : ",");
	kc_front_json_bytes(c->what);
	printf(",\"subject\":");
	kc_front_json_bytes(c->subject);
	printf(",\"file\":");
	kc_front_json_bytes(c->path);
	printf(",\"not_after\":");
	kc_front_json_bytes(t);
	printf(",\"days_left\":%lld,\"status\":", c->days);
	kc_front_json_bytes(status);
	putchar('}');
}

static void
json_crls(const struct crl *v, int n)
{
	char t[32];

	printf(",\"crls\":[");
	for (int i = 0; i < n; i++) {
		printf("%s{\"intermediate\":", i ? "," : "");
		kc_front_json_bytes(v[i].ca->serial);
		printf(",\"kind\":\"%s\",\"file\":", v[i].retired ?
		    "retired" : "intermediate");
		kc_front_json_bytes(v[i].ca->path);
		if (v[i].number == 0) {
			printf(",\"number\":null,\"next_update\":null,"
			    "\"days_left\":null,\"status\":\"none\"}");
			continue;
		}
		kc_time_utc(v[i].next_update, t);
		printf(",\"number\":%lld,\"next_update\":", v[i].number);
		kc_front_json_bytes(t);
		printf(",\"days_left\":%lld,\"status\":\"%s\"}", v[i].days,
		    st_name(v[i].st));
	}
	printf("]");
}

static void
print_json(const char *dir, int warn, time_t now, const struct ca *c,
    const struct prev *p, const struct devs *d, int worst,
    int crl_warn, const struct crl *v, int nv)
{
	char t[32];

	printf("{\"schema\":1,\"dir\":");
	kc_front_json_bytes(dir);
	kc_time_utc(now, t);
	printf(",\"now\":");
	kc_front_json_bytes(t);
	printf(",\"warn_days\":%d,\"items\":[", warn);
	for (int i = 0; i < 2; i++)
		json_ca(&c[i], i == 0, st_name(c[i].st));
	/* kind "previous": not active, not counted in "status" */
	for (int i = 0; i < p->n; i++)
		json_ca(&p->c[i], 0, "retired");
	printf("],\"crl_warn_days\":%d", crl_warn);
	json_crls(v, nv);
	printf(",\"rekey_pending\":");
	if (p->rekey)
		kc_front_json_bytes(p->rekey_path);
	else
		printf("null");
	printf(",\"devices\":{\"live\":%ld,\"due\":%ld,\"lapsed\":%ld,"
	    "\"pending\":%ld,\"due_first\":", d->live, d->due, d->lapsed,
	    d->pending);
	json_ids(d->due_ids, d->due);
	printf(",\"lapsed_first\":");
	json_ids(d->lapsed_ids, d->lapsed);
	printf(",\"station\":");
	if (d->shared && d->only != NULL)
		kc_front_json_bytes(d->only);
	else
		printf("null");
	printf(",\"stations\":[");
	for (int i = 0; i < d->nst; i++) {
		printf("%s{\"station\":", i ? "," : "");
		kc_front_json_bytes(d->st[i].name);
		printf(",\"live\":%ld,\"due\":%ld,\"lapsed\":%ld}",
		    d->st[i].live, d->st[i].due, d->st[i].lapsed);
	}
	printf("],\"stations_more\":%ld", d->st_more);
	printf("},\"status\":");
	kc_front_json_bytes(st_name(worst));
	printf(",\"exit\":%d}\n", worst);
}

static void
print_ids(const char *label, const char ids[][65], long n)
{
	printf("    %s:", label);
	for (long i = 0; i < n && i < FIRST_IDS; i++)
		printf(" %s", kc_disp(ids[i]));
	if (n > FIRST_IDS)
		printf(" (and %ld more)", n - FIRST_IDS);
	printf("\n");
}

static void
print_text(const char *dir, int warn, time_t now, const struct ca *c,
    const struct prev *p, const struct devs *d, int dst, int crl_warn,
    const struct crl *v, int nv)
{
	char day[32];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	printf("factory %s, as of %s (due: ending within %d days)\n",
	    kc_disp(dir), day, warn);
	for (int i = 0; i < 2; i++) {
		gmtime_r(&c[i].not_after, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("  %-7s %-13s %s  %6lld days  %s %s\n",
		    st_word(c[i].st), c[i].what, day, c[i].days,
		    kc_disp_quoted(c[i].subject), kc_disp(c[i].path));
	}
	for (int i = 0; i < p->n; i++) {
		gmtime_r(&p->c[i].not_after, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("  %-7s %-13s %s  %6lld days  %s %s\n", "retired",
		    "intermediate", day, p->c[i].days,
		    kc_disp_quoted(p->c[i].subject), kc_disp(p->c[i].path));
	}
	if (p->more)
		printf("  (and %ld more in %s/previous)\n", p->more,
		    kc_disp(dir));
	if (p->rekey)
		printf("  %-7s %-13s %s: install its certificate to switch to "
		    "the new key\n", "pending", "rekey", kc_disp(p->rekey_path));
	for (int i = 0; i < nv; i++) {
		const char *whose = v[i].retired ? "retired" : "active";

		if (v[i].number == 0) {
			printf("  %-7s %-13s none recorded   of the %s "
			    "intermediate %s: factorysign crl --dir %s%s%s "
			    "--out ...\n", "-", "CRL", whose,
			    kc_disp(v[i].ca->serial), kc_disp(dir),
			    v[i].retired ? " --intermediate " : "",
			    v[i].retired ? kc_disp(v[i].ca->serial) : "");
			continue;
		}
		gmtime_r(&v[i].next_update, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf("  %-7s %-13s %s  %6lld days  number %lld of the %s "
		    "intermediate %s (next update; due within %d days)\n",
		    st_word(v[i].st), "CRL", day, v[i].days, v[i].number, whose,
		    kc_disp(v[i].ca->serial), crl_warn);
	}
	printf("  %-7s devices       %ld live, %ld ending within %d days, "
	    "%ld ended%s%s\n", st_word(dst), d->live, d->due, warn, d->lapsed,
	    d->shared && d->only != NULL ? ", station " : "",
	    d->shared && d->only != NULL ? kc_disp(d->only) : "");
	for (int i = 0; i < d->nst; i++) {
		const struct station *st = &d->st[i];
		printf("  %-7s station %-22s %ld live, %ld ending within %d "
		    "days, %ld ended\n", st_word(st->lapsed ? STATUS_LAPSED :
		    st->due ? STATUS_DUE : STATUS_OK), kc_disp(st->name),
		    st->live, st->due, warn, st->lapsed);
	}
	if (d->st_more)
		printf("  (and %ld devices of more stations)\n", d->st_more);
	if (d->pending)
		printf("  %-7s devices       %ld pending: recorded by a line "
		    "station, not yet confirmed on the device (not counted as "
		    "live)\n", "pending", d->pending);
	if (d->lapsed)
		print_ids("ended", d->lapsed_ids, d->lapsed);
	if (d->due)
		print_ids("ending soon", d->due_ids, d->due);
}

int
cmd_status(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, "60", CRL_WARN, 0 };
	static struct crl v[CRLS_MAX];
	int nv = 0, crl_warn;
	struct ca c[2];
	static struct prev p;
	struct devs d;
	time_t now = time(NULL);
	int rc, warn, worst, dst;

	memset(c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	memset(&d, 0, sizeof(d));
	c[0].what = "intermediate";
	c[1].what = "root";
	/* a usage error is "cannot tell" (3), as every other failure */
	if ((rc = kc_opt_parse(&cmd_status_opts, argc, argv, &a, NULL)) >= 0)
		return rc == KC_EXIT_OK ? KC_EXIT_OK : STATUS_ERROR;
	if (strcmp(a.warn, "0") == 0)
		warn = 0;
	else if (kc_front_days(a.warn, KC_DAYS_MAX, &warn) != KC_EXIT_OK)
		return STATUS_ERROR;
	if (strcmp(a.crl_warn, "0") == 0)
		crl_warn = 0;
	else if (kc_front_days(a.crl_warn, KC_FCRL_DAYS_MAX, &crl_warn) !=
	    KC_EXIT_OK)
		return STATUS_ERROR;
	d.now = now;
	d.horizon = now + (time_t)warn * 86400;
	if ((rc = load_ca(a.dir, "intermediate.pem", &c[0], now, warn)) !=
	    KC_OK ||
	    (rc = load_ca(a.dir, "root.pem", &c[1], now, warn)) != KC_OK ||
	    (rc = scan_previous(a.dir, &p, now, warn)) != KC_OK ||
	    (rc = scan_devices(a.dir, &d)) != KC_OK ||
	    (rc = scan_crls(a.dir, &c[0], &p, now, crl_warn, v, &nv)) !=
	    KC_OK) {
		kc_front_fail(rc);
		worst = STATUS_ERROR;
		goto out;
	}
	dst = d.lapsed ? STATUS_LAPSED : d.due ? STATUS_DUE : STATUS_OK;
	worst = dst;
	for (int i = 0; i < 2; i++)
		if (c[i].st > worst)
			worst = c[i].st;
	for (int i = 0; i < nv; i++)
		if (v[i].number > 0 && v[i].st > worst)
			worst = v[i].st;
	if (a.json)
		print_json(a.dir, warn, now, c, &p, &d, worst, crl_warn, v, nv);
	else
		print_text(a.dir, warn, now, c, &p, &d, dst, crl_warn, v, nv);
out:
	OPENSSL_free(c[0].subject);
	OPENSSL_free(c[1].subject);
	for (int i = 0; i < p.n; i++)
		OPENSSL_free(p.c[i].subject);
	return worst;
}

/* cmd_status.c: factorysign status: what is due in a factory directory.
 * The installed intermediate's and root's notAfter with days left, and
 * the live device certificates of the ledger that end within --warn-days
 * or already ended (counts and the first few IDs). Exit 0 when nothing
 * ends within --warn-days, 1 when something does, 2 when something
 * already ended, 3 when the status cannot be told (the monitoring-plugin
 * convention, as keyceremony status). */
#include "config.h"

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

struct args {
	const char *dir, *warn;
	int json;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR(A, warn, "warn-days", "N", "due when it ends within N days (default 60; 0 to 10958)"),
	KC_O_FLAG(A, json, "json", "one JSON document on standard output"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_status_opts = {
	"status",
	"status [--dir D] [--warn-days N] [--json]",
	"exit status: 0 nothing due, 1 something due, 2 something lapsed,\n"
	"3 the status cannot be told (no installed chain, bad option)\n",
	opts, 0, 0, NULL, 0
};

struct ca {
	const char	*what;		/* "intermediate", "root" */
	char		 path[PATH_MAX];
	char		*subject;	/* one line, owned */
	time_t		 not_after;
	long long	 days;
	int		 st;
};

struct devs {
	time_t	 now, horizon;
	long	 live, due, lapsed;
	char	 due_ids[FIRST_IDS][65], lapsed_ids[FIRST_IDS][65];
	time_t	 first_end;	/* earliest notAfter of a live device */
};

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
	X509_free(x);
	if (c->subject == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	c->st = grade(c->not_after, now, warn, &c->days);
	return KC_OK;
}

static int
dev_row(const struct kc_ledger_row *r, void *arg)
{
	struct devs *d = arg;

	if (strcmp(r->status, "issued") != 0)
		return 0;
	d->live++;
	if (d->first_end == 0 || r->not_after < d->first_end)
		d->first_end = r->not_after;
	if (r->not_after <= d->now) {
		if (d->lapsed < FIRST_IDS)
			snprintf(d->lapsed_ids[d->lapsed], 65, "%s",
			    r->device_id);
		d->lapsed++;
	} else if (r->not_after <= d->horizon) {
		if (d->due < FIRST_IDS)
			snprintf(d->due_ids[d->due], 65, "%s", r->device_id);
		d->due++;
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
	rc = kc_ledger_foreach(l, "device", dev_row, d);
	kc_ledger_close(l);
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
print_json(const char *dir, int warn, time_t now, const struct ca *c,
    const struct devs *d, int worst)
{
	char t[32];

	printf("{\"schema\":1,\"dir\":");
	kc_front_json_bytes(dir);
	kc_time_utc(now, t);
	printf(",\"now\":");
	kc_front_json_bytes(t);
	printf(",\"warn_days\":%d,\"items\":[", warn);
	for (int i = 0; i < 2; i++) {
		kc_time_utc(c[i].not_after, t);
		printf("%s{\"kind\":", i ? "," : "");
		kc_front_json_bytes(c[i].what);
		printf(",\"subject\":");
		kc_front_json_bytes(c[i].subject);
		printf(",\"file\":");
		kc_front_json_bytes(c[i].path);
		printf(",\"not_after\":");
		kc_front_json_bytes(t);
		printf(",\"days_left\":%lld,\"status\":", c[i].days);
		kc_front_json_bytes(st_name(c[i].st));
		putchar('}');
	}
	printf("],\"devices\":{\"live\":%ld,\"due\":%ld,\"lapsed\":%ld,"
	    "\"due_first\":", d->live, d->due, d->lapsed);
	json_ids(d->due_ids, d->due);
	printf(",\"lapsed_first\":");
	json_ids(d->lapsed_ids, d->lapsed);
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
    const struct devs *d, int dst)
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
	printf("  %-7s devices       %ld live, %ld ending within %d days, "
	    "%ld ended\n", st_word(dst), d->live, d->due, warn, d->lapsed);
	if (d->lapsed)
		print_ids("ended", d->lapsed_ids, d->lapsed);
	if (d->due)
		print_ids("ending soon", d->due_ids, d->due);
}

int
cmd_status(int argc, char **argv)
{
	struct args a = { KC_FACTORY_DIR, "60", 0 };
	struct ca c[2];
	struct devs d;
	time_t now = time(NULL);
	int rc, warn, worst, dst;

	memset(c, 0, sizeof(c));
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
	d.now = now;
	d.horizon = now + (time_t)warn * 86400;
	if ((rc = load_ca(a.dir, "intermediate.pem", &c[0], now, warn)) !=
	    KC_OK ||
	    (rc = load_ca(a.dir, "root.pem", &c[1], now, warn)) != KC_OK ||
	    (rc = scan_devices(a.dir, &d)) != KC_OK) {
		kc_front_fail(rc);
		worst = STATUS_ERROR;
		goto out;
	}
	dst = d.lapsed ? STATUS_LAPSED : d.due ? STATUS_DUE : STATUS_OK;
	worst = dst;
	for (int i = 0; i < 2; i++)
		if (c[i].st > worst)
			worst = c[i].st;
	if (a.json)
		print_json(a.dir, warn, now, c, &d, worst);
	else
		print_text(a.dir, warn, now, c, &d, dst);
out:
	OPENSSL_free(c[0].subject);
	OPENSSL_free(c[1].subject);
	return worst;
}

/* cmd_status.c: keyceremony status: what is due. Every date in the state
 * directory's register that keeps the PKI working (roots, intermediates,
 * the newest CRL of each root) with its days left, and the last ceremony
 * (its transcript verified, its final digest); exit 0 when nothing ends
 * within --warn-days, 1 when something does, 2 when something already
 * ended, 3 when the status cannot be told. */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "commands.h"
#include "front.h"
#include "opt.h"

#define STATUS_OK	0
#define STATUS_DUE	1
#define STATUS_LAPSED	2
#define STATUS_ERROR	3

struct args {
	const char *state, *warn_s;
	int json;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, state, "state", "DIR", "the ceremony's state directory\n"
	    "(default ./keyceremony-state)"),
	KC_O_STR(struct args, warn_s, "warn-days", "N", "due when it ends within N days (default 60)"),
	KC_O_FLAG(struct args, json, "json", "one JSON document on standard output"),
	KC_O_END
};

const struct kc_optdef cmd_status_opts = {
	"status", "status [--state DIR] [--warn-days N] [--json]",
	"exit status: 0 nothing due, 1 something due, 2 something lapsed,\n"
	"3 the status cannot be told (no register, bad option)\n",
	opts, 0, 0, NULL, 0
};

struct item {
	const struct kc_reg_entry *e;
	long long	 days;	/* whole days left; negative when lapsed */
	int		 st;	/* STATUS_* */
};

struct last {
	char		 path[1024];
	char		 stamp[32];
	long		 seq;		/* NAME-STAMP-N.log: N, else 1 */
	struct timespec	 mtime;		/* ties: two ceremonies in one second */
	struct kc_transcript_check chk;
	int		 found, ok;
	char		 why[512];
};

/* Whether e is the one that counts: not revoked, not renewed by a
 * recorded renewal (intermediate sign --renew), and no later entry of
 * the same kind, CA and subject (a renewal) or, for a CRL, no CRL of the
 * same CA with a higher number. Verification certificates are
 * short-lived by design and do not count. */
static int
counts(const struct kc_reg_entry *l, size_t n, size_t i)
{
	const struct kc_reg_entry *e = &l[i];

	if (e->kind == KC_REG_VERIFICATION || e->revoked_at != 0)
		return 0;
	for (size_t j = 0; j < n; j++) {
		const struct kc_reg_entry *o = &l[j];
		if (j == i || o->kind != e->kind || strcmp(o->ca, e->ca) != 0)
			continue;
		if (e->kind != KC_REG_CRL && o->revoked_at == 0 &&
		    o->renews[0] != '\0' && strcmp(o->renews, e->serial) == 0)
			return 0;
		if (e->kind == KC_REG_CRL) {
			if (o->crl_number > e->crl_number)
				return 0;
		} else if (o->revoked_at == 0 &&
		    strcmp(o->subject, e->subject) == 0 &&
		    (o->not_after > e->not_after ||
		    (o->not_after == e->not_after && j > i)))
			return 0;
	}
	return 1;
}

/* A transcript's name: NAME-YYYYMMDDTHHMMSSZ.log, or NAME-STAMP-N.log for
 * the Nth ceremony in one second. 1 with the stamp and N (1 without). */
static int
name_stamp(const char *name, char stamp[32], long *seq)
{
	size_t len = strlen(name);
	const char *p, *z;

	if (len < 22 || strcmp(name + len - 4, ".log") != 0)
		return 0;
	*seq = 1;
	z = name + len - 4;		/* the '.' of ".log" */
	for (p = z; p > name && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p < z && p > name && p[-1] == '-' && p - name >= 18 &&
	    p[-2] == 'Z') {
		*seq = strtol(p, NULL, 10);
		z = p - 1;
	}
	if (z - name < 17 || z[-1] != 'Z' || z[-17] != '-' || z[-8] != 'T')
		return 0;
	for (int i = -16; i < -1; i++)
		if (i != -8 && (z[i] < '0' || z[i] > '9'))
			return 0;
	snprintf(stamp, 32, "%.16s", z - 16);
	return 1;
}

/* The newest transcript in STATE/transcripts (by the time in its name,
 * then the number after it, then its modification time), verified
 * (kc_transcript_scan opens it hostile-safe: no links, no FIFOs). */
static void
last_ceremony(const char *state, struct last *L)
{
	char dir[512];
	struct dirent *d;
	DIR *D;

	memset(L, 0, sizeof(*L));
	snprintf(dir, sizeof(dir), "%s/transcripts", state);
	if ((D = opendir(dir)) == NULL)
		return;
	while ((d = readdir(D)) != NULL) {
		char stamp[32];
		struct stat st;
		long seq;
		int cmp;

		if (!name_stamp(d->d_name, stamp, &seq))
			continue;
		if (fstatat(dirfd(D), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		cmp = L->found ? strcmp(stamp, L->stamp) : 1;
		if (cmp == 0)
			cmp = seq != L->seq ? (seq > L->seq ? 1 : -1) :
			    st.st_mtim.tv_sec != L->mtime.tv_sec ?
			    (st.st_mtim.tv_sec > L->mtime.tv_sec ? 1 : -1) :
			    (st.st_mtim.tv_nsec > L->mtime.tv_nsec ? 1 : -1);
		if (cmp <= 0)
			continue;
		L->found = 1;
		L->seq = seq;
		L->mtime = st.st_mtim;
		snprintf(L->stamp, sizeof(L->stamp), "%s", stamp);
		snprintf(L->path, sizeof(L->path), "%s/%s", dir, d->d_name);
	}
	closedir(D);
	if (!L->found)
		return;
	if (kc_transcript_scan(L->path, KC_TRANSCRIPT_UNFINISHED, NULL, NULL,
	    &L->chk) == KC_OK)
		L->ok = 1;
	else
		snprintf(L->why, sizeof(L->why), "%s", kc_errmsg());
	kc_err_clear();
}

static void
day(time_t t, char buf[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y-%m-%d", &tm);
}

static const char *
st_name(int st)
{
	return st == STATUS_LAPSED ? "lapsed" : st == STATUS_DUE ? "due" : "ok";
}

static void
print_json(const char *state, const char *regpath, int warn, time_t now,
    const struct item *it, size_t ni, const struct last *L, int rc)
{
	char t[32];

	printf("{\"schema\":1,\"state\":");
	kc_front_json_bytes(state);
	printf(",\"register\":");
	kc_front_json_bytes(regpath);
	kc_time_utc(now, t);
	printf(",\"now\":");
	kc_front_json_bytes(t);
	printf(",\"warn_days\":%d,\"items\":[", warn);
	for (size_t i = 0; i < ni; i++) {
		const struct kc_reg_entry *e = it[i].e;
		char end[32];

		kc_time_utc(e->not_after, end);
		printf("%s{\"kind\":", i ? "," : "");
		kc_front_json_bytes(kc_reg_kind_name(e->kind));
		if (e->kind == KC_REG_CRL)
			printf(",\"crl_number\":%lld", e->crl_number);
		else {
			printf(",\"serial\":");
			kc_front_json_bytes(e->serial);
			printf(",\"renews\":");
			if (e->renews[0] != '\0')
				kc_front_json_bytes(e->renews);
			else
				printf("null");
		}
		printf(",\"subject\":");
		kc_front_json_bytes(e->subject);
		printf(",\"file\":");
		kc_front_json_bytes(e->path);
		printf(",\"%s\":", e->kind == KC_REG_CRL ? "next_update" :
		    "not_after");
		kc_front_json_bytes(end);
		printf(",\"days_left\":%lld,\"status\":", it[i].days);
		kc_front_json_bytes(st_name(it[i].st));
		putchar('}');
	}
	printf("],\"last_ceremony\":");
	if (!L->found)
		printf("null");
	else {
		printf("{\"transcript\":");
		kc_front_json_bytes(L->path);
		printf(",\"verified\":%s", L->ok ? "true" : "false");
		if (L->ok) {
			printf(",\"ceremony\":");
			kc_front_json_bytes(L->chk.ceremony);
			printf(",\"digest\":");
			kc_front_json_bytes(L->chk.digest);
			printf(",\"completed\":%s,\"rehearsal\":%s",
			    L->chk.completed ? "true" : "false",
			    L->chk.rehearsal ? "true" : "false");
		} else {
			printf(",\"error\":");
			kc_front_json_bytes(L->why);
		}
		putchar('}');
	}
	printf(",\"status\":");
	kc_front_json_bytes(st_name(rc));
	printf(",\"exit\":%d}\n", rc);
}

static void
print_text(const char *regpath, int warn, time_t now, const struct item *it,
    size_t ni, const struct last *L)
{
	char today[16];

	day(now, today);
	printf("register %s, as of %s (due: ending within %d days)\n",
	    kc_disp(regpath), today, warn);
	if (ni == 0)
		printf("  nothing recorded that ends\n");
	for (size_t i = 0; i < ni; i++) {
		const struct kc_reg_entry *e = it[i].e;
		char end[16], what[64];

		day(e->not_after, end);
		if (e->kind == KC_REG_CRL)
			snprintf(what, sizeof(what), "CRL #%lld next update",
			    e->crl_number);
		else
			snprintf(what, sizeof(what), "%s", kc_reg_kind_name(
			    e->kind));
		printf("  %-7s %-26s %s  %6lld days  %s %s\n",
		    it[i].st == STATUS_LAPSED ? "LAPSED" : it[i].st ==
		    STATUS_DUE ? "DUE" : "ok", what, end, it[i].days,
		    kc_disp_quoted(e->subject), kc_disp(e->path));
		if (e->renews[0] != '\0')
			printf("  %-7s %-26s renews serial %s\n", "", "",
			    kc_disp(e->renews));
	}
	if (!L->found)
		printf("last ceremony: none (no transcript in the state "
		    "directory)\n");
	else if (!L->ok)
		printf("last ceremony: %s does NOT verify: %s\n",
		    kc_disp(L->path), kc_disp(L->why));
	else
		printf("last ceremony: %s%s, %s (%s)\n  final digest %s\n",
		    kc_disp(L->chk.ceremony), L->chk.rehearsal ?
		    " (rehearsal)" : "", L->chk.completed ? "completed" :
		    "NOT completed", kc_disp(L->path), kc_hash(L->chk.digest));
}

int
cmd_status(int argc, char **argv)
{
	struct args a = { KC_STATE_DIR_DEFAULT, "60", 0 };
	const char *state, *warn_s;
	struct kc_register *reg = NULL;
	struct kc_reg_entry *l = NULL;
	struct item *it = NULL;
	struct last L;
	size_t n = 0, ni = 0;
	time_t now = time(NULL);
	int rc, warn, json, worst = STATUS_OK;

	/* a bad option is status 3 (cannot tell), as the plugin convention
	 * wants; --help 0 */
	if ((rc = kc_opt_parse(&cmd_status_opts, argc, argv, &a, NULL)) >= 0)
		return rc == KC_EXIT_OK ? KC_EXIT_OK : STATUS_ERROR;
	state = a.state;
	warn_s = a.warn_s;
	json = a.json;
	if (strcmp(warn_s, "0") == 0)
		warn = 0;
	else if (kc_front_days(warn_s, KC_DAYS_MAX, &warn) != KC_EXIT_OK)
		return STATUS_ERROR;
	if ((rc = kc_register_open(state, 0, &reg)) != KC_OK ||
	    (rc = kc_register_list(reg, &l, &n)) != KC_OK) {
		kc_register_close(reg);
		kc_front_fail(rc);
		return STATUS_ERROR;
	}
	if (n > 0 && (it = calloc(n, sizeof(*it))) == NULL) {
		free(l);
		kc_register_close(reg);
		kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
		return STATUS_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		struct item *x;

		if (!counts(l, n, i))
			continue;
		x = &it[ni++];
		x->e = &l[i];
		x->days = l[i].not_after > now ?
		    (long long)(l[i].not_after - now) / 86400 :
		    -((long long)(now - l[i].not_after) + 86399) / 86400;
		x->st = l[i].not_after <= now ? STATUS_LAPSED :
		    l[i].not_after - now <= (time_t)warn * 86400 ? STATUS_DUE :
		    STATUS_OK;
		if (x->st > worst)
			worst = x->st;
	}
	last_ceremony(state, &L);
	if (json)
		print_json(state, kc_register_path(reg), warn, now, it, ni, &L,
		    worst);
	else
		print_text(kc_register_path(reg), warn, now, it, ni, &L);
	free(it);
	free(l);
	kc_register_close(reg);
	return worst;
}

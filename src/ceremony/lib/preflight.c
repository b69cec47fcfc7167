/* preflight.c: the checks before a ceremony touches the token: network
 * down, clock confirmed next to the validity it will write, the expected
 * token with the mechanisms the steps need, the media mounted and
 * writable, and no output existing yet. Each result is recorded in the
 * transcript.
 *
 * KC_SYSFS (tests only) replaces /sys so that the network and removable-
 * media checks can be exercised deterministically. */
#include "config.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/media.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"
#include "ceremony_int.h"
#include "engine_int.h"

/* The earliest time this build believes in: a clock before it is wrong. */
#define KC_CLOCK_FLOOR 1764547200	/* 2025-12-01T00:00:00Z */

static const struct {
	const char *id, *title;
} check_defs[KC_NCHECKS] = {
	{ "network", "Network interfaces other than loopback are down" },
	{ "clock", "System clock (UTC) confirmed" },
	{ "token", "Token present with the expected label, serial and "
	  "mechanisms" },
	{ "media", "Media directory mounted and writable" },
	{ "files", "Inputs present, no output exists yet" },
};

void
kc_preflight_init(struct kc_engine *e)
{
	for (size_t i = 0; i < KC_NCHECKS; i++) {
		e->checks[i].id = check_defs[i].id;
		e->checks[i].title = check_defs[i].title;
		e->checks[i].status = KC_CHECK_PENDING;
	}
}

size_t
kc_engine_ncheck(const struct kc_engine *e)
{
	(void)e;
	return KC_NCHECKS;
}

/* Adds a line to the check's detail; the first line added once the check
 * has failed is its one-line reason. */
static void
addf(struct kc_engine *e, struct kc_check_result *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
addf(struct kc_engine *e, struct kc_check_result *r, const char *fmt, ...)
{
	size_t used = strlen(r->detail), idx = (size_t)(r - e->checks);
	va_list ap;

	if (used + 2 >= sizeof(r->detail))
		return;
	if (used > 0)
		r->detail[used++] = '\n';
	va_start(ap, fmt);
	vsnprintf(r->detail + used, sizeof(r->detail) - used, fmt, ap);
	va_end(ap);
	if (r->status == KC_CHECK_FAILED && idx < KC_NCHECKS &&
	    e->why[idx][0] == '\0')
		snprintf(e->why[idx], sizeof(e->why[idx]), "%s",
		    r->detail + used);
}

static void
worse(struct kc_check_result *r, enum kc_check_status s)
{
	if (s > r->status)
		r->status = s;
}

static const char *
sysfs(void)
{
	const char *s = getenv("KC_SYSFS");
	return s != NULL && s[0] != '\0' ? s : "/sys";
}

static int
read_line(const char *path, char *buf, size_t bufsz)
{
	FILE *f = fopen(path, "re");
	int ok;

	buf[0] = '\0';
	if (f == NULL)
		return 0;
	ok = fgets(buf, (int)bufsz, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

static void
check_network(struct kc_engine *e, struct kc_check_result *r)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], state[64], flags[64];
	char active[512] = "";
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/class/net", sysfs());
	if ((dp = opendir(dir)) == NULL) {
		r->status = e->s->network == KC_POLICY_REFUSE ?
		    KC_CHECK_FAILED : KC_CHECK_WARNED;
		addf(e, r, "cannot read %s: %s", dir, strerror(errno));
		return;
	}
	while ((d = readdir(dp)) != NULL) {
		unsigned long fl = 0;
		if (d->d_name[0] == '.' || strcmp(d->d_name, "lo") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/operstate", dir, d->d_name);
		read_line(path, state, sizeof(state));
		snprintf(path, sizeof(path), "%s/%s/flags", dir, d->d_name);
		if (read_line(path, flags, sizeof(flags)))
			fl = strtoul(flags, NULL, 16);
		/* up, or "unknown" (tun, dummy) while administratively up */
		if (strcmp(state, "up") == 0 ||
		    (strcmp(state, "unknown") == 0 && (fl & 0x1))) {
			size_t used = strlen(active);
			snprintf(active + used, sizeof(active) - used, "%s%s (%s)",
			    n ? ", " : "", d->d_name, state);
			n++;
		}
	}
	closedir(dp);
	if (n == 0) {
		r->status = KC_CHECK_PASSED;
		addf(e, r, "no interface other than lo is up");
		return;
	}
	r->status = e->s->network == KC_POLICY_REFUSE ? KC_CHECK_FAILED :
	    KC_CHECK_WARNED;
	addf(e, r, "%d interface%s up: %s; take %s down (ip link set DEV down) "
	    "or remove the hardware%s", n, n > 1 ? "s" : "", active,
	    n > 1 ? "them" : "it", e->s->network == KC_POLICY_REFUSE ?
	    " (the site profile says network: refuse)" :
	    " (the site profile allows this: network: warn)");
}

static void
check_clock(struct kc_engine *e, struct kc_check_result *r)
{
	char now_s[32], until[32], text[sizeof(r->detail) + 64], how[256];
	const char *role = e->c->steps[0].role;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(now_s, sizeof(now_s), "%Y-%m-%d %H:%M:%S UTC", &tm);
	addf(e, r, "system clock: %s", now_s);
	for (size_t i = 0; i < e->c->nsteps; i++) {
		const struct kc_step *s = &e->c->steps[i];
		time_t end;
		if (s->days == 0)
			continue;
		end = now + (time_t)s->days * 86400;
		gmtime_r(&end, &tm);
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M:%S UTC", &tm);
		addf(e, r, "step %s: %s %s (%d days from now)", s->id,
		    s->info.action == KC_ACTION_CRL_ISSUE ? "next CRL update "
		    "by" : "certificate valid until", until, s->days);
	}
	if (now < KC_CLOCK_FLOOR) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "the clock is earlier than this program's build: set "
		    "the date (date -u -s ...) before the ceremony");
		return;
	}
	snprintf(text, sizeof(text), "%s\nIs the date and time above "
	    "correct (UTC)?", r->detail);
	if (!kc_engine_ask(e, role, text, how, sizeof(how))) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "%s: fix the clock and run preflight again", how);
		return;
	}
	r->status = KC_CHECK_PASSED;
	addf(e, r, "%s", how);
}

/* The key algorithm a signing step will use, from its issuer certificate
 * when it exists already, else from the step that makes it. */
static enum kc_alg
issuer_alg(struct kc_engine *e, const struct kc_step *s)
{
	char path[PATH_MAX];
	enum kc_alg alg = KC_ALG_NONE;
	X509 *x = NULL;

	for (size_t i = 0; i < e->c->nsteps; i++)
		if (e->c->steps[i].info.action == KC_ACTION_ROOT_CREATE &&
		    strcmp(e->c->steps[i].output, s->issuer_cert) == 0)
			return e->c->steps[i].alg;
	if (kc_engine_path(e, s->issuer_cert, path, sizeof(path)) == KC_OK &&
	    kc_cert_load(path, &x) == KC_OK) {
		EVP_PKEY *k = X509_get0_pubkey(x);
		if (k != NULL && kc_alg_of_key(k, &alg) != KC_OK)
			alg = KC_ALG_NONE;
	}
	X509_free(x);
	kc_err_clear();
	return alg;
}

/* What the token check learnt about the module, the token and the
 * environment, for its transcript record (the first one about the token,
 * before any key work). Values are as the module and the environment gave
 * them: the transcript escapes them. */
struct token_facts {
	const struct kc_module_info *mod;
	struct kc_token_info	 tok;
	int			 have_tok;
};

/* One value shown in a check's detail: escaped, and cut at max bytes. */
static const char *
shown(const char *s, char *buf, size_t max)
{
	return kc_display_buf(s, buf, max);
}

/* The environment line: every variable of kc_token_env_name(), set or
 * not, values escaped and quoted. */
static void
env_line(struct kc_engine *e, struct kc_check_result *r)
{
	char line[1600] = "environment:", v[260];
	const char *name, *val;

	for (size_t i = 0; (name = kc_token_env_name(i)) != NULL; i++) {
		size_t used = strlen(line);
		val = getenv(name);
		if (val != NULL)
			snprintf(line + used, sizeof(line) - used, "%s %s=\"%s\"",
			    i ? "," : "", name, shown(val, v, sizeof(v)));
		else
			snprintf(line + used, sizeof(line) - used, "%s %s unset",
			    i ? "," : "", name);
	}
	addf(e, r, "%s", line);
}

/* The module lines: the path as configured, the file loaded (real path,
 * size), its SHA-256 on a line of its own in the one hash form (read
 * aloud, never wrapped at 80 columns) and what C_GetInfo says. */
static void
module_lines(struct kc_engine *e, struct kc_check_result *r,
    const struct kc_module_info *mi)
{
	char sa[520], sb[80], sc[80], sd[80];

	addf(e, r, "module: %s", shown(kc_token_module(e->ctx), sa, 520));
	addf(e, r, "module file: %s, %llu bytes", shown(mi->realpath, sa, 520),
	    mi->size);
	addf(e, r, "SHA-256 of the module file:");
	addf(e, r, "  %s", kc_hash(mi->sha256));
	addf(e, r, "library: \"%s\" \"%s\" version %s, Cryptoki %s",
	    shown(mi->manufacturer, sc, 80), shown(mi->description, sd, 80),
	    shown(mi->version, sb, 40), shown(mi->cryptoki, sa, 40));
}

/* Rehearsal or production: what the token is (kc_token_rehearsal_kind)
 * must agree with the site profile's production: true|false. Without
 * production: in the profile, any token is accepted and a software one is
 * marked REHEARSAL (the behaviour before the key existed). */
static void
check_kind(struct kc_engine *e, struct kc_check_result *r,
    const struct kc_token_info *t)
{
	const char *kind = kc_token_rehearsal_kind(t);
	char sa[140], sc[80], sd[80];

	e->rehearsal = kind != NULL;
	if (kind != NULL)
		addf(e, r, "REHEARSAL: this is %s, a software token; "
		    "certificates made here are for practice only", kind);
	if (e->s->production == 1 && kind != NULL) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "the site profile says production: true, but token "
		    "'%s' is %s, a software token: a production ceremony needs "
		    "the production HSM", shown(t->label, sa, 140), kind);
	} else if (e->s->production == 0 && kind == NULL) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "the site profile says production: false (a "
		    "rehearsal), but token '%s' (%s %s) is not a known "
		    "software token: rehearse on SoftHSM, openCryptoki's soft "
		    "token or swtpm, or set production: true for the real "
		    "ceremony", shown(t->label, sa, 140),
		    shown(t->manufacturer, sc, 80), shown(t->model, sd, 80));
	} else if (e->s->production >= 0)
		addf(e, r, "site profile: production: %s, as the token is",
		    e->s->production ? "true" : "false");
}

/* Every root-key step's key-label must be free on the token. Checked
 * without login (public objects: the public half a root key leaves); a
 * token that hides every object before login is checked again after it,
 * before any key is generated (kc_engine_begin). */
static void
check_labels_free(struct kc_engine *e, struct kc_check_result *r,
    const struct kc_token_info *t)
{
	struct kc_token *tok = NULL;
	char what[32], sa[140], sb[140], sc[520];
	int used;

	for (size_t i = 0; i < e->c->nsteps; i++) {
		const struct kc_step *s = &e->c->steps[i];

		if ((s->info.action != KC_ACTION_ROOT_CREATE &&
		    s->info.action != KC_ACTION_ROOT_RESTORE) ||
		    s->key_label == NULL)
			continue;
		if (tok == NULL && kc_token_open(e->ctx, t->label,
		    t->serial[0] ? t->serial : NULL, &tok) != KC_OK) {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "%s", kc_errmsg());
			return;
		}
		used = kc_token_label_used(tok, s->key_label, what,
		    sizeof(what));
		if (used < 0) {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "%s", kc_errmsg());
		} else if (used > 0 &&
		    s->info.action == KC_ACTION_ROOT_RESTORE &&
		    strcmp(what, "public key") == 0) {
			/* issue 17: perhaps the public half a killed restore
			 * left; checked after login (kc_engine_begin) */
			worse(r, KC_CHECK_WARNED);
			addf(e, r, "step %s: key-label '%s' is carried by a "
			    "public key in token '%s': a restored key, or what "
			    "an interrupted restore left; checked after login "
			    "(the leftover is removed, a key refuses the step)",
			    s->id, shown(s->key_label, sa, 140),
			    shown(t->label, sb, 140));
		} else if (used > 0) {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "step %s: key-label '%s' of ceremony file %s "
			    "is already used in token '%s' (a %s): this root "
			    "key exists already; choose another key-label in "
			    "the ceremony file", s->id,
			    shown(s->key_label, sa, 140),
			    shown(e->c->path, sc, 520),
			    shown(t->label, sb, 140), what);
		} else
			addf(e, r, "step %s: key-label '%s' is free in the "
			    "token (no object a session sees before login "
			    "carries it)", s->id, shown(s->key_label, sa, 140));
	}
	kc_token_close(tok);
}

static void
check_token(struct kc_engine *e, struct kc_check_result *r,
    struct token_facts *f)
{
	struct kc_token_info *infos = NULL, *t = NULL;
	const struct kc_module_info *mi;
	size_t n = 0;
	char seen[512] = "", sa[520], sb[260], sc[80], sd[80], why[256];
	int rc;

	if (e->ctx == NULL &&
	    (rc = kc_token_load(e->s->module, &e->ctx)) != KC_OK) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "%s", kc_errmsg());
		env_line(e, r);
		return;
	}
	mi = f->mod = kc_token_module_info(e->ctx);
	if ((rc = kc_token_list(e->ctx, &infos, &n)) != KC_OK) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "%s", kc_errmsg());
		module_lines(e, r, mi);
		env_line(e, r);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(seen);
		if (!infos[i].present || !infos[i].initialized)
			continue;
		snprintf(seen + used, sizeof(seen) - used, "%s'%s' (serial %s)",
		    used ? ", " : "", infos[i].label, infos[i].serial);
		if (strcmp(infos[i].label, e->s->token_label) != 0)
			continue;
		if (e->s->token_serial != NULL &&
		    strcmp(infos[i].serial, e->s->token_serial) != 0)
			continue;
		if (t != NULL) {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "more than one token labelled '%s': give the "
			    "serial in the site profile", e->s->token_label);
			goto out;
		}
		t = &infos[i];
	}
	if (t == NULL) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "no token labelled '%s'%s%s; tokens present: %s",
		    e->s->token_label, e->s->token_serial ? " with serial " : "",
		    e->s->token_serial ? e->s->token_serial : "",
		    seen[0] ? seen : "none");
		goto out;
	}
	r->status = KC_CHECK_PASSED;
	f->tok = *t;
	f->have_tok = 1;
	addf(e, r, "token '%s' serial %s in slot %lu: %s %s",
	    shown(t->label, sa, 140), shown(t->serial, sb, 80), t->slot_id,
	    shown(t->manufacturer, sc, 80), shown(t->model, sd, 80));
	addf(e, r, "token hardware %s, firmware %s; PIN length %lu to %lu "
	    "bytes", shown(t->hw_version, sc, 40), shown(t->fw_version, sd, 40),
	    t->min_pin, t->max_pin);
	check_kind(e, r, t);
	if (kc_token_preloaded(why, sizeof(why))) {
		if (e->rehearsal)
			addf(e, r, "%s: allowed only because this is a "
			    "rehearsal token", why);
		else {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "%s: foreign code would run beside the PIN "
			    "and the keys of a production token; unset it "
			    "(env -u LD_PRELOAD -u LD_AUDIT), or empty "
			    "/etc/ld.so.preload, and run again", why);
		}
	}
	if (t->pin_locked) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "the user PIN is locked (CKR_PIN_LOCKED): the security "
		    "officer must unlock it first");
	} else if (t->pin_final_try) {
		worse(r, KC_CHECK_WARNED);
		addf(e, r, "the next wrong PIN locks the token");
	} else if (t->pin_count_low) {
		worse(r, KC_CHECK_WARNED);
		addf(e, r, "a wrong PIN was entered before");
	}
	for (size_t i = 0; i < e->c->nsteps; i++) {
		const struct kc_step *s = &e->c->steps[i];
		enum kc_alg a;
		if (s->info.action == KC_ACTION_ROOT_CREATE) {
			a = s->alg;
			if (!kc_token_alg_offered(t, a, why, sizeof(why))) {
				r->status = KC_CHECK_FAILED;
				addf(e, r, "step %s: token '%s': %s", s->id,
				    shown(t->label, sa, 140), why);
			}
		} else if (s->issuer_cert != NULL) {
			a = issuer_alg(e, s);
			if (a != KC_ALG_NONE &&
			    !kc_token_sign_offered(t, a, why, sizeof(why))) {
				r->status = KC_CHECK_FAILED;
				addf(e, r, "step %s: token '%s' cannot sign: %s",
				    s->id, shown(t->label, sa, 140), why);
			}
		}
	}
	module_lines(e, r, mi);
	env_line(e, r);
	mi = NULL;	/* shown */
	if (r->status != KC_CHECK_FAILED)
		addf(e, r, "mechanisms: %s%s%s%s", t->mech_ec_keygen ?
		    "EC-keygen " : "", t->mech_ecdsa ? "ECDSA " : "",
		    t->mech_rsa_keygen ? "RSA-keygen " : "",
		    t->mech_rsa_pkcs ? "RSA-PKCS" : "");
	/* last: it opens the token (after every other check passed) */
	if (r->status != KC_CHECK_FAILED)
		check_labels_free(e, r, t);
out:
	if (mi != NULL) {	/* the token was not found: still shown */
		module_lines(e, r, mi);
		env_line(e, r);
	}
	free(infos);
}

static void
check_media(struct kc_engine *e, struct kc_check_result *r)
{
	char mp[PATH_MAX] = "";
	int removable = -1, rc;

	if ((rc = kc_media_probe(e->media, &removable, mp, sizeof(mp))) !=
	    KC_OK) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "%s", kc_errmsg());
		return;
	}
	r->status = KC_CHECK_PASSED;
	addf(e, r, "%s is writable (mounted at %s)", e->media, mp);
	if (strcmp(mp, "/") == 0) {
		worse(r, e->s->removable == KC_POLICY_REFUSE ?
		    KC_CHECK_FAILED : KC_CHECK_WARNED);
		addf(e, r, "the media directory is on the system disk, not a "
		    "separately mounted medium");
	} else if (removable == 0) {
		worse(r, e->s->removable == KC_POLICY_REFUSE ?
		    KC_CHECK_FAILED : KC_CHECK_WARNED);
		addf(e, r, "/sys/block says the device under %s is not "
		    "removable", mp);
	} else if (removable < 0) {
		worse(r, e->s->removable == KC_POLICY_REFUSE ?
		    KC_CHECK_FAILED : KC_CHECK_WARNED);
		addf(e, r, "cannot tell whether the device under %s is "
		    "removable (no block device)", mp);
	} else {
		addf(e, r, "removable device");
	}
}

static int
produced_before(const struct kc_ceremony *c, size_t step, const char *rel)
{
	for (size_t j = 0; j < step; j++)
		if (c->steps[j].output && strcmp(c->steps[j].output, rel) == 0)
			return 1;
	return 0;
}

static void
need_input(struct kc_engine *e, size_t i, const char *rel,
    struct kc_check_result *r)
{
	char path[PATH_MAX];

	if (rel == NULL || produced_before(e->c, i, rel))
		return;
	if (kc_engine_path(e, rel, path, sizeof(path)) != KC_OK ||
	    access(path, R_OK) != 0) {
		r->status = KC_CHECK_FAILED;
		addf(e, r, "step %s needs %s, which is missing%s", e->c->steps[i].id,
		    path, e->c->steps[i].csr && strcmp(e->c->steps[i].csr,
		    rel) == 0 ? " (bring it in with keyceremony import)" : "");
	}
}

/* A root-restore step: the backup medium read and checked against the
 * step's root certificate (issue 17); said in plain words. */
static void
check_backup(struct kc_engine *e, const struct kc_step *s,
    struct kc_check_result *r)
{
	char msg[2048];

	if (kc_engine_restore_check(e, s, msg, sizeof(msg)) != KC_OK)
		r->status = KC_CHECK_FAILED;
	addf(e, r, "%s", msg);
	kc_err_clear();
}

static void
check_files(struct kc_engine *e, struct kc_check_result *r)
{
	char path[PATH_MAX];
	int outs = 0;

	r->status = KC_CHECK_PASSED;
	for (size_t i = 0; i < e->c->nsteps; i++) {
		const struct kc_step *s = &e->c->steps[i];

		need_input(e, i, s->issuer_cert, r);
		need_input(e, i, s->csr, r);
		if (s->renew != NULL)
			need_input(e, i, s->renew, r);
		need_input(e, i, s->new_root, r);
		need_input(e, i, s->code_file, r);
		for (size_t k = 0; k < s->nrevoke; k++)
			need_input(e, i, s->revoke[k].cert, r);
		if (s->info.action == KC_ACTION_ROOT_RESTORE)
			check_backup(e, s, r);
		if (s->output == NULL)
			continue;
		outs++;
		if (kc_engine_path(e, s->output, path, sizeof(path)) != KC_OK ||
		    kc_file_check_absent(path) != KC_OK) {
			r->status = KC_CHECK_FAILED;
			addf(e, r, "output %s exists already: this ceremony was "
			    "run before, or the file is left over; move it "
			    "away", path);
		}
	}
	kc_err_clear();
	if (r->status == KC_CHECK_PASSED)
		addf(e, r, "%d output%s, none exists yet; every input is there",
		    outs, outs == 1 ? "" : "s");
}

/* The token check's record: its result and detail, then the module file
 * (real path, size, SHA-256), the library (C_GetInfo), the token
 * (C_GetTokenInfo) and the environment, each as a field of its own. */
static int
record_token_check(struct kc_engine *e, const struct kc_check_result *c,
    const struct token_facts *f)
{
	const char *kv[64], *name, *val;
	char size[32] = "", lib[160] = "", pins[48] = "";
	char env[16][40], envv[16][520];
	size_t n = 0, k = 0;

	if (f->mod != NULL) {
		snprintf(size, sizeof(size), "%llu", f->mod->size);
		snprintf(lib, sizeof(lib), "%s / %s / %s / Cryptoki %s",
		    f->mod->manufacturer, f->mod->description,
		    f->mod->version, f->mod->cryptoki);
	}
	if (f->have_tok)
		snprintf(pins, sizeof(pins), "%lu-%lu", f->tok.min_pin,
		    f->tok.max_pin);
#define KV(key, v) do { kv[n++] = (key); kv[n++] = (v); } while (0)
	KV("check", c->id);
	KV("result", kc_check_status_name(c->status));
	KV("rehearsal", e->rehearsal ? "yes" : "no");
	KV("module-path", f->mod ? f->mod->realpath : "");
	KV("module-size", size);
	KV("module-sha256", f->mod ? f->mod->sha256 : "");
	KV("library", lib);
	KV("token-manufacturer", f->have_tok ? f->tok.manufacturer : "");
	KV("token-model", f->have_tok ? f->tok.model : "");
	KV("token-serial", f->have_tok ? f->tok.serial : "");
	KV("token-hardware", f->have_tok ? f->tok.hw_version : "");
	KV("token-firmware", f->have_tok ? f->tok.fw_version : "");
	KV("pin-length", pins);
	for (size_t i = 0; (name = kc_token_env_name(i)) != NULL && k < 16;
	    i++, k++) {
		size_t j;
		/* LD_PRELOAD -> env-ld-preload */
		snprintf(env[k], sizeof(env[k]), "env-%s", name);
		for (j = 4; env[k][j] != '\0'; j++)
			env[k][j] = env[k][j] == '_' ? '-' :
			    (char)(env[k][j] >= 'A' && env[k][j] <= 'Z' ?
			    env[k][j] - 'A' + 'a' : env[k][j]);
		val = getenv(name);
		if (val == NULL)
			snprintf(envv[k], sizeof(envv[k]), "unset");
		else
			snprintf(envv[k], sizeof(envv[k]), "set %.500s", val);
		KV(env[k], envv[k]);
	}
	KV("detail", c->detail);
#undef KV
	return kc_transcript_addv(e->tr, "check", kv, n / 2);
}

int
kc_engine_check(struct kc_engine *e, size_t i, struct kc_check_result *r)
{
	struct kc_check_result *c;
	struct token_facts facts;

	if (i >= KC_NCHECKS)
		return kc_err(KC_ERR_USAGE, "no preflight check %zu", i + 1);
	if (e->begun)
		return kc_err(KC_ERR_USAGE, "preflight is over: the ceremony "
		    "has begun");
	c = &e->checks[i];
	memset(&facts, 0, sizeof(facts));
	c->status = KC_CHECK_PENDING;
	c->detail[0] = '\0';
	e->why[i][0] = '\0';
	switch (i) {
	case 0: check_network(e, c); break;
	case 1: check_clock(e, c); break;
	case 2: check_token(e, c, &facts); break;
	case 3: check_media(e, c); break;
	default: check_files(e, c); break;
	}
	kc_err_clear();
	*r = *c;
	if (i == 2)
		return record_token_check(e, c, &facts);
	return kc_transcript_add(e->tr, "check", "check", c->id,
	    "result", kc_check_status_name(c->status),
	    "detail", c->detail, NULL);
}

int
kc_engine_preflight(struct kc_engine *e)
{
	struct kc_check_result r;
	int rc, failed = -1;

	for (size_t i = 0; i < KC_NCHECKS; i++) {
		if (e->checks[i].status != KC_CHECK_PENDING)
			continue;
		if ((rc = kc_engine_check(e, i, &r)) != KC_OK)
			return rc;
	}
	for (size_t i = 0; i < KC_NCHECKS; i++)
		if (e->checks[i].status == KC_CHECK_FAILED && failed < 0)
			failed = (int)i;
	if (failed >= 0)
		return kc_err(KC_ERR_POLICY, "preflight check '%s' failed: %s",
		    e->checks[failed].id, e->why[failed][0] ? e->why[failed] :
		    e->checks[failed].detail);
	return KC_OK;
}

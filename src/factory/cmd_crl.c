/* cmd_crl.c: factorysign crl: revoke devices and write the intermediate's
 * CRL, crls.pem (root CRL + intermediate CRL) and revocation-actions.txt
 * (the library's kc_factory_crl, kc/factory/crl.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/core/crl.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/crl.h"
#include "kc/factory/factory.h"
#include "commands.h"
#include "front.h"
#include "opts.h"

struct args {
	const char *dir, *reason, *out, *pass_file, *root_crl, *inter;
	struct kc_optlist revoke;
	int days, json;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, dir, "dir", "D", "the factory directory (default ./factory)"),
	KC_O_STR(A, inter, "intermediate", "SERIAL", "the CRL of this intermediate: the active one\n"
	    "(the default) or one a rekey retired to D/previous/SERIAL/,\n"
	    "its key decrypted with --pass-file or the passphrase typed"),
	KC_O_LIST(A, revoke, "revoke", "ID|SERIAL|CERT", "revoke a device: its ID (its live certificate),\n"
	    "a certificate serial in the ledger (hex), or a certificate file\n"
	    "issued by D's intermediate; repeatable"),
	KC_O_STR(A, reason, "reason", "R", "keyCompromise, superseded or cessationOfOperation\n"
	    "(default: no reason code)"),
	{ "days", KC_OPT_INT, offsetof(A, days), 0, "N", "nextUpdate N days from now (default 7, at most 366)",
	    1, KC_FCRL_DAYS_MAX, NULL },
	KC_O_STR_REQ(A, out, "out", "FILE", "the intermediate's CRL (PEM); an earlier CRL of\n"
	    "this intermediate there is replaced, nothing else"),
	KC_O_STR(A, root_crl, "root-crl", "FILE", "the root's CRL for crls.pem (kept as D/root.crl);\n"
	    "default D/root.crl when there"),
	KC_O_STR(A, pass_file, "pass-file", "F", "the intermediate key's passphrase from F (mode 0600)"),
	KC_O_FLAG(A, json, "json", "one JSON document on standard output"),
	FS_O_LEDGER,
	KC_O_END
};
#undef A

const struct kc_optdef cmd_crl_opts = {
	"crl",
	"crl [--dir D] [--intermediate SERIAL] [--revoke ID|SERIAL|CERT ...] [--reason R] [--days N] --out intermediate.crl",
	"Marks the devices revoked in the ledger and writes the intermediate's CRL\n"
	"(every revoked device, an empty list when none; CRL number one above the\n"
	"ledger's and the newest on disk), crls.pem beside it (the root's CRL, then\n"
	"this one: for relying parties that check the whole chain) and, when devices\n"
	"are revoked, revocation-actions.txt (printed too): the Azure DPS / IoT Hub\n"
	"commands and the nRF Cloud devices to remove, for clouds that read no CRL.\n",
	opts, 0, 0, NULL, 0
};

static void
when(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

static void
print_json(const struct args *a, const struct kc_fcrl_result *r)
{
	char t1[32], t2[32], t3[32];

	kc_time_utc(r->this_update, t1);
	kc_time_utc(r->next_update, t2);
	kc_time_utc(r->root_next_update, t3);
	printf("{\"schema\": 1, \"out\": ");
	kc_front_json_bytes(a->out);
	printf(", \"intermediate\": ");
	kc_front_json_bytes(r->issuer_serial);
	printf(", \"number\": %lld, \"this_update\": \"%s\", "
	    "\"next_update\": \"%s\", \"revoked_count\": %zu, \"sha256\": "
	    "\"%s\", \"archive\": ", r->number, t1, t2, r->n_entries,
	    r->sha256);
	kc_front_json_bytes(r->archive);
	printf(", \"crls\": ");
	if (r->crls[0] != '\0')
		kc_front_json_bytes(r->crls);
	else
		printf("null");
	printf(", \"root_crl_number\": ");
	if (r->crls[0] != '\0' && r->root_next_update != 0)
		printf("%lld, \"root_crl_next_update\": \"%s\"", r->root_number,
		    t3);
	else if (r->crls[0] != '\0')
		printf("%lld, \"root_crl_next_update\": null", r->root_number);
	else
		printf("null, \"root_crl_next_update\": null");
	printf(", \"actions\": ");
	if (r->actions[0] != '\0')
		kc_front_json_bytes(r->actions);
	else
		printf("null");
	printf(", \"revoked\": [");
	for (size_t i = 0; i < r->n_named; i++) {
		printf("%s{\"id\": ", i ? ", " : "");
		kc_front_json_bytes(r->named[i].id);
		printf(", \"serial\": ");
		kc_front_json_bytes(r->named[i].serial);
		printf(", \"kind\": ");
		kc_front_json_bytes(r->named[i].kind);
		printf(", \"reason\": \"%s\", \"already\": %s}",
		    kc_reason_name(r->named[i].reason),
		    r->named[i].already ? "true" : "false");
	}
	printf("]}\n");
}

static void
print_text(const struct args *a, const struct kc_fcrl_result *r)
{
	char t[32], *text;

	when(r->next_update, t);
	printf("%s: CRL number %lld, %zu revoked, next update %s\n",
	    kc_disp(a->out), r->number, r->n_entries, t);
	if (a->inter != NULL)
		printf("  signed by intermediate %s\n",
		    kc_disp(r->issuer_serial));
	for (size_t i = 0; i < r->n_named; i++)
		printf("  revoked: %s (serial %s, %s)%s\n",
		    kc_disp(r->named[i].id), kc_disp(r->named[i].serial),
		    kc_reason_name(r->named[i].reason), r->named[i].already ?
		    " - already revoked before; kept as it was" : "");
	printf("  archived as %s\n", kc_disp(r->archive));
	if (r->crls[0] != '\0') {
		when(r->root_next_update, t);
		printf("%s: the root's CRL (number %lld, next update %s) and "
		    "this CRL, for relying parties that check the whole "
		    "chain\n", kc_disp(r->crls), r->root_number, t);
	}
	if (r->actions[0] == '\0' || r->actions_text == NULL)
		return;
	if (a->revoke.n == 0) {
		printf("%s: the cloud actions for the %zu revoked (printed when "
		    "--revoke is given)\n", kc_disp(r->actions), r->n_entries);
		return;
	}
	printf("%s: the cloud actions (Azure DPS, IoT Hub and nRF Cloud do "
	    "not read CRLs):\n\n", kc_disp(r->actions));
	if ((text = kc_display_text(r->actions_text)) != NULL)
		fputs(text, stdout);
	free(text);
}

/* D opened as the CRL's issuer: the active intermediate (fs_open), or the
 * retired one --intermediate names, its key's passphrase asked for that
 * key. NULL (the error printed, *rc the exit status) on failure. */
static struct kc_factory *
open_issuer(const struct args *a, int *rc)
{
	struct kc_fcrl_issuer is;
	struct kc_secret *pass = NULL;
	struct kc_factory *f = NULL;

	if (a->inter == NULL)
		return fs_open(a->dir, a->pass_file, rc);
	if ((*rc = kc_fcrl_issuer_find(a->dir, a->inter, &is)) != KC_OK) {
		*rc = kc_front_fail(*rc);
		return NULL;
	}
	if (is.note[0] != '\0')
		fprintf(stderr, "%s: %s\n", kc_progname, kc_disp(is.note));
	if (is.current)
		return fs_open(a->dir, a->pass_file, rc);
	if ((*rc = kc_front_secret_for(a->pass_file, "passphrase",
	    is.key, 0, &pass)) == KC_OK)
		*rc = kc_fcrl_open_retired(a->dir, &is, pass, &f);
	kc_secret_free(pass);
	if (*rc != KC_OK) {
		*rc = kc_front_fail(*rc);
		return NULL;
	}
	return f;
}

int
cmd_crl(int argc, char **argv)
{
	struct args a;
	struct kc_fcrl_params p;
	struct kc_fcrl_result r;
	struct kc_factory *f;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&p, 0, sizeof(p));
	a.dir = KC_FACTORY_DIR;
	if ((rc = kc_opt_parse(&cmd_crl_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	p.reason = KC_REASON_NONE;
	if (a.reason != NULL && (rc = kc_reason_parse(a.reason, &p.reason)) !=
	    KC_OK)
		return kc_front_fail(rc);
	if (a.reason != NULL && a.revoke.n == 0)
		return kc_front_fail(kc_err(KC_ERR_USAGE, "--reason goes with "
		    "--revoke"));
	p.out = a.out;
	p.revoke = a.revoke.v;
	p.n_revoke = (size_t)a.revoke.n;
	p.days = a.days;
	p.root_crl = a.root_crl;
	if ((f = open_issuer(&a, &rc)) == NULL)
		return rc;
	rc = kc_factory_crl(f, &p, &r);
	kc_factory_close(f);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (r.crls[0] == '\0')
		fprintf(stderr, "factorysign: warning: no root CRL (--root-crl "
		    "or %s/root.crl): crls.pem not written; relying parties "
		    "that check the whole chain (openssl -crl_check_all) need "
		    "both CRLs\n", kc_disp(a.dir));
	if (a.json)
		print_json(&a, &r);
	else
		print_text(&a, &r);
	kc_fcrl_result_free(&r);
	return KC_EXIT_OK;
}

/* cmd_crl.c: keyceremony crl: revoke what the root issued, and (re)issue
 * the root's CRL. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/revactions.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "session.h"

struct args {
	const char *token, *pin_file, *module, *reason;
	int json;
	struct kc_crl_params p;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR_REQ(A, token, "token", "L", "label of the token holding the root key"),
	KC_O_STR_REQ(A, p.key_label, "label", "K", "label of the root key in the token"),
	KC_O_STR_REQ(A, p.issuer, "issuer", "FILE", "the root certificate of that key"),
	KC_O_STR(A, p.revoke, "revoke", "X", "certificate file or hex serial this root issued;\n"
	    "without it the current list is re-issued"),
	KC_O_STR(A, reason, "reason", "R", "keyCompromise, cACompromise, superseded or\n"
	    "cessationOfOperation (default: no reason code)"),
	KC_O_DAYS(A, p.days, "days", "until nextUpdate (default 365)"),
	KC_O_STR_REQ(A, p.out, "out", "FILE", "the CRL (PEM); must not exist"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, p.state_dir, "state", "DIR", "register of everything the root signs\n"
	    "(default ./keyceremony-state)"),
	KC_O_FLAG(A, json, "json", "one JSON document on standard output (the\n"
	    "revocation actions by path and SHA-256)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_crl_opts = {
	"crl",
	"crl --token L --label K --issuer root.pem --out root.crl\n"
	"           [--revoke inter.pem|HEXSERIAL] [--reason R] [--days 365]\n"
	"           [--pin-file F] [--module PATH] [--state DIR] [--json]",
	"Before signing, the register is checked against the root's CRL files\n"
	"(in DIR and beside --out) and the transcripts in DIR/transcripts: a\n"
	"rolled-back register (lower CRL number, missing revocations) is refused.\n"
	"When the CRL revokes anything, NAME.revocation-actions.txt is written\n"
	"beside --out NAME.crl and printed: the Azure DPS / IoT Hub and nRF\n"
	"Cloud steps for every certificate it revokes (they do not read CRLs).\n",
	opts, 0, 0, NULL, KC_OPTDEF_VERBOSITY
};

static void
print_json(const struct args *a, const struct kc_crl_result *r,
    const char *t1, const char *t2)
{
	printf("{\"schema\":1,\"crl\":");
	kc_front_json_str(a->p.out);
	printf(",\"number\":%lld,\"sha256\":\"%s\",\"revoked\":%zu,"
	    "\"this_update\":", r->number, r->out_sha256, r->n_revoked);
	kc_front_json_str(t1);
	printf(",\"next_update\":");
	kc_front_json_str(t2);
	printf(",\"revoked_now\":");
	if (r->revoked_serial[0] != '\0') {
		printf("{\"serial\":");
		kc_front_json_str(r->revoked_serial);
		printf(",\"subject\":");
		kc_front_json_bytes(r->revoked_subject);
		printf(",\"reason\":");
		kc_front_json_str(kc_reason_name(a->p.reason));
		printf("}");
	} else {
		printf("null");
	}
	printf(",\"revocation_actions\":");
	if (r->actions_path[0] != '\0') {
		printf("{\"path\":");
		kc_front_json_str(r->actions_path);
		printf(",\"sha256\":\"%s\"}", r->actions_sha256);
	} else {
		printf("null");
	}
	printf("}\n");
}

/* revocation-actions.txt as written, through the escaper (it is plain
 * text already: this keeps it so even if the file was swapped). */
static int
print_actions(const char *path, const char *sha256)
{
	unsigned char *buf = NULL;
	char hex[65], *shown;
	size_t len = 0;
	int rc;

	if ((rc = kc_file_read(path, KC_REVACT_MAX, &buf, &len)) != KC_OK)
		return kc_front_fail(rc);
	kc_sha256_hex(buf, len, hex);
	if (strcmp(hex, sha256) != 0) {
		free(buf);
		return kc_front_fail(kc_err(KC_ERR_IO, "%s changed after it was "
		    "written (SHA-256 %s, not %s)", path, hex, sha256));
	}
	printf("\nrevocation actions written to %s (SHA-256 %s):\n\n",
	    kc_disp(path), kc_hash(sha256));
	if ((shown = kc_display_text((const char *)buf)) == NULL) {
		free(buf);
		return kc_front_fail(kc_err(KC_ERR_NOMEM, "out of memory"));
	}
	fputs(shown, stdout);
	free(shown);
	free(buf);
	return KC_EXIT_OK;
}

int
cmd_crl(int argc, char **argv)
{
	struct args a;
	struct kc_crl_result res;
	struct kc_session s;
	X509 *issuer = NULL;
	char t1[32], t2[32];
	int rc;

	memset(&a, 0, sizeof(a));
	a.p.state_dir = KC_STATE_DIR_DEFAULT;
	a.p.reason = KC_REASON_NONE;
	a.p.days = 365;
	if ((rc = kc_opt_parse(&cmd_crl_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	if (a.reason != NULL) {
		if (a.p.revoke == NULL)
			return kc_front_usage("--reason goes with --revoke");
		if ((rc = kc_reason_parse(a.reason, &a.p.reason)) != KC_OK)
			return kc_front_fail(rc);
	}
	if ((rc = kc_file_check_output(a.p.out)) != KC_OK ||
	    (rc = kc_cert_load(a.p.issuer, &issuer)) != KC_OK)
		return kc_front_fail(rc);
	X509_free(issuer);

	if ((rc = kc_session_open(a.module, a.token, a.pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_crl(s.tok, &a.p, &res);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_time_utc(res.this_update, t1);
	kc_time_utc(res.next_update, t2);
	if (a.json) {
		print_json(&a, &res, t1, t2);
		return KC_EXIT_OK;
	}
	if (kc_front_verbosity < 0)
		return KC_EXIT_OK;
	if (res.revoked_serial[0] != '\0')
		printf("revoked serial %s (%s), reason %s\n",
		    res.revoked_serial, kc_disp_quoted(res.revoked_subject),
		    kc_reason_name(a.p.reason));
	printf("CRL number %lld written to %s\n", res.number,
	    kc_disp(a.p.out));
	printf("  %-12s %zu\n", "revoked", res.n_revoked);
	printf("  %-12s %s\n", "this update", t1);
	printf("  %-12s %s  (publish a new CRL before then)\n", "next update",
	    t2);
	printf("  %-12s %s\n", "SHA-256", kc_hash(res.out_sha256));
	if (res.actions_path[0] == '\0')
		return KC_EXIT_OK;
	return print_actions(res.actions_path, res.actions_sha256);
}

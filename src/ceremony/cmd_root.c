/* cmd_root.c: keyceremony root create: the root key pair generated inside
 * the token and the self-signed root certificate. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/ops.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "session.h"

struct args {
	const char *token, *pin_file, *module, *alg, *days;
	struct kc_root_params p;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, token, "token", "L", "label of the token (HSM) that will hold the root key"),
	KC_O_STR(A, p.key_label, "label", "K", "label of the new key pair inside the token"),
	KC_O_STR(A, alg, "algorithm", "ALG", "ec-p384 (default), ec-p256, rsa-3072 or rsa-4096"),
	KC_O_STR(A, p.subject, "subject", "DN", "e.g. \"/CN=Example Device Root CA/O=Example/C=DE\""),
	KC_O_STR(A, days, "days", "N", "validity in days (1 to 10958; past 9132, 25 years,\n"
	    "only with --validity-reason)"),
	KC_O_STR(A, p.validity_reason, "validity-reason", "TEXT", "why the root outlives 25 years (one line)"),
	KC_O_STR(A, p.out, "out", "FILE", "root certificate (PEM); must not exist"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, p.state_dir, "state", "DIR", "register of everything the root signs\n"
	    "(default ./keyceremony-state)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_root_create_opts = {
	"root create",
	"root create --token L --label K --algorithm ALG\n"
	"           --subject DN --days N --out root.pem [--pin-file F]\n"
	"           [--validity-reason TEXT] [--module PATH] [--state DIR]",
	NULL, opts, 0, 0, NULL, 0
};

int
cmd_root_create(int argc, char **argv)
{
	struct args a;
	struct kc_root_params p;
	struct kc_op_result res;
	struct kc_session s;
	const char *token, *pin_file, *module, *alg, *days;
	int rc;

	memset(&a, 0, sizeof(a));
	a.p.state_dir = "keyceremony-state";
	a.alg = "ec-p384";
	if ((rc = kc_opt_parse(&cmd_root_create_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	p = a.p;
	token = a.token;
	pin_file = a.pin_file;
	module = a.module;
	alg = a.alg;
	days = a.days;
	if (token == NULL || p.key_label == NULL || p.subject == NULL ||
	    days == NULL || p.out == NULL)
		return kc_front_usage("root create needs --token, --label, "
		    "--subject, --days and --out (see --help)");
	if ((rc = kc_front_days(days, KC_DAYS_MAX, &p.days)) != KC_EXIT_OK)
		return rc;
	if (p.days > KC_ROOT_DAYS_CAP && p.validity_reason == NULL)
		return kc_front_usage("root create: --days %d exceeds the root "
		    "validity cap of %d days (25 years); give --validity-reason "
		    "TEXT saying why", p.days, KC_ROOT_DAYS_CAP);
	if (p.validity_reason != NULL) {
		char why[128] = "";
		if (p.validity_reason[0] == '\0' ||
		    strlen(p.validity_reason) > 200 ||
		    kc_text_plain(p.validity_reason, strlen(p.validity_reason),
		    why, sizeof(why)) != 1)
			return kc_front_usage("root create: --validity-reason "
			    "must be 1 to 200 characters of one line of plain "
			    "text%s%s", why[0] ? ": " : "", why);
	}
	if ((rc = kc_alg_parse(alg, &p.alg)) != KC_OK)
		return kc_front_fail(rc);
	/* Cheap checks before the PIN is asked for. */
	{
		X509_NAME *n = NULL;
		if ((rc = kc_name_parse(p.subject, &n)) != KC_OK)
			return kc_front_fail(rc);
		X509_NAME_free(n);
	}
	if ((rc = kc_file_check_output(p.out)) != KC_OK)
		return kc_front_fail(rc);

	if ((rc = kc_session_open(module, token, pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_root_create(s.tok, &p, &res);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_session_print_issued("root", p.out, &res);
	printf("  %-11s %s, label '%s' in token '%s' (generated inside the "
	    "token; sensitive, never extractable, sign only)\n", "key",
	    kc_alg_name(p.alg), kc_disp(p.key_label), kc_disp(token));
	if (p.validity_reason != NULL)
		printf("  %-11s %s\n", "validity", kc_disp(p.validity_reason));
	printf("SHA-256 fingerprint:\n  %s\n", kc_hash(res.fingerprint));
	return KC_EXIT_OK;
}

/* cmd_verification.c: keyceremony verification sign: the Azure IoT Hub
 * DPS proof-of-possession certificate. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "opt.h"
#include "session.h"

struct args {
	const char *token, *pin_file, *module;
	struct kc_verification_params p;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, token, "token", "L", "label of the token holding the root key"),
	KC_O_STR(A, p.key_label, "label", "K", "label of the root key in the token"),
	KC_O_STR(A, p.issuer, "issuer", "FILE", "the root certificate uploaded to DPS"),
	KC_O_STR(A, p.code, "code", "CODE", "the verification code DPS generated (1 to 64 letters\n"
	    "and digits); it becomes the subject CN"),
	KC_O_DAYS(A, p.days, "days", "validity (default 2)"),
	KC_O_STR(A, p.out, "out", "FILE", "verification certificate (PEM); must not exist"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, p.state_dir, "state", "DIR", "register of everything the root signs\n"
	    "(default ./keyceremony-state)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_verification_sign_opts = {
	"verification sign",
	"verification sign --token L --label K --issuer root.pem\n"
	"           --code CODE --out verification.pem [--days 2] [--pin-file F]\n"
	"           [--module PATH] [--state DIR]",
	NULL, opts, 0, 0, NULL, 0
};

int
cmd_verification_sign(int argc, char **argv)
{
	struct args a;
	struct kc_verification_params p;
	struct kc_op_result res;
	struct kc_session s;
	X509 *issuer = NULL;
	const char *token, *pin_file, *module;
	int rc;

	memset(&a, 0, sizeof(a));
	a.p.state_dir = KC_STATE_DIR_DEFAULT;
	a.p.days = 2;
	if ((rc = kc_opt_parse(&cmd_verification_sign_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	p = a.p;
	token = a.token;
	pin_file = a.pin_file;
	module = a.module;
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.code == NULL || p.out == NULL)
		return kc_front_usage("verification sign needs --token, --label, "
		    "--issuer, --code and --out (see --help)");
	if ((rc = kc_verification_code_check(p.code)) != KC_OK)
		return kc_front_fail(rc);
	if ((rc = kc_file_check_output(p.out)) != KC_OK ||
	    (rc = kc_cert_load(p.issuer, &issuer)) != KC_OK)
		return kc_front_fail(rc);
	X509_free(issuer);

	if ((rc = kc_session_open(module, token, pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_verification_sign(s.tok, &p, &res);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_session_print_issued("verification", p.out, &res);
	printf("  %-11s throwaway P-256, generated in memory and discarded; "
	    "no private key was written\n", "key");
	printf("\nNext step: upload it to DPS as proof that you hold the root "
	    "key, e.g.\n"
	    "  az iot dps certificate verify --dps-name <dps-name> "
	    "--resource-group <resource-group> \\\n"
	    "      --certificate-name <certificate-name> --etag <etag> "
	    "--path %s\n"
	    "(<etag> is the one returned by generate-verification-code; the "
	    "portal's \"Verify\" button takes the same file.)\n", p.out);
	return KC_EXIT_OK;
}

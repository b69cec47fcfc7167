/* cmd_verification.c: keyceremony verification sign: the Azure IoT Hub
 * DPS proof-of-possession certificate. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "session.h"

static const char usage[] =
    "usage: keyceremony verification sign --token L --label K --issuer root.pem\n"
    "           --code CODE --out verification.pem [--days 2] [--pin-file F]\n"
    "           [--module PATH] [--state DIR]\n"
    "  --token L        label of the token holding the root key\n"
    "  --label K        label of the root key in the token\n"
    "  --issuer FILE    the root certificate uploaded to DPS\n"
    "  --code CODE      the verification code DPS generated (1 to 64 letters\n"
    "                   and digits); it becomes the subject CN\n"
    "  --days N         validity (default 2)\n"
    "  --out FILE       verification certificate (PEM); must not exist\n"
    "  --pin-file F     user PIN from F (mode 0600); else asked on the terminal\n"
    "  --module PATH    PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)\n"
    "  --state DIR      register of everything the root signs\n"
    "                   (default ./keyceremony-state)\n";

int
cmd_verification_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "code", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_verification_params p;
	struct kc_op_result res;
	struct kc_session s;
	X509 *issuer = NULL;
	const char *token = NULL, *pin_file = NULL, *module = NULL;
	const char *days = "2";
	int c, rc;

	memset(&p, 0, sizeof(p));
	p.state_dir = KC_STATE_DIR_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': p.key_label = optarg; break;
		case 'i': p.issuer = optarg; break;
		case 'c': p.code = optarg; break;
		case 'd': days = optarg; break;
		case 'o': p.out = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': module = optarg; break;
		case 'S': p.state_dir = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return kc_front_badopt("verification sign", argv);
		}
	}
	if (optind != argc)
		return kc_front_usage("verification sign: unexpected argument "
		    "'%s'", argv[optind]);
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.code == NULL || p.out == NULL)
		return kc_front_usage("verification sign needs --token, --label, "
		    "--issuer, --code and --out (see --help)");
	if ((rc = kc_front_days(days, KC_DAYS_MAX, &p.days)) != KC_EXIT_OK)
		return rc;
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

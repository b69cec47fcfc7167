/* cmd_root.c: keyceremony root create: the root key pair generated inside
 * the token and the self-signed root certificate. */
#include "config.h"

#include <getopt.h>
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
#include "session.h"

static const char usage[] =
    "usage: keyceremony root create --token L --label K --algorithm ALG\n"
    "           --subject DN --days N --out root.pem [--pin-file F]\n"
    "           [--validity-reason TEXT] [--module PATH] [--state DIR]\n"
    "  --token L        label of the token (HSM) that will hold the root key\n"
    "  --label K        label of the new key pair inside the token\n"
    "  --algorithm ALG  ec-p384 (default), ec-p256, rsa-3072 or rsa-4096\n"
    "  --subject DN     e.g. \"/CN=Example Device Root CA/O=Example/C=DE\"\n"
    "  --days N         validity in days (1 to 10958; past 9132, 25 years,\n"
    "                   only with --validity-reason)\n"
    "  --validity-reason TEXT  why the root outlives 25 years (one line)\n"
    "  --out FILE       root certificate (PEM); must not exist\n"
    "  --pin-file F     user PIN from F (mode 0600); else asked on the terminal\n"
    "  --module PATH    PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)\n"
    "  --state DIR      register of everything the root signs\n"
    "                   (default ./keyceremony-state)\n";

int
cmd_root_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "subject", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "validity-reason", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_root_params p;
	struct kc_op_result res;
	struct kc_session s;
	const char *token = NULL, *pin_file = NULL, *module = NULL;
	const char *alg = "ec-p384", *days = NULL;
	int c, rc;

	memset(&p, 0, sizeof(p));
	p.state_dir = "keyceremony-state";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': p.key_label = optarg; break;
		case 'a': alg = optarg; break;
		case 's': p.subject = optarg; break;
		case 'd': days = optarg; break;
		case 'r': p.validity_reason = optarg; break;
		case 'o': p.out = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': module = optarg; break;
		case 'S': p.state_dir = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return kc_front_badopt("root create", argv);
		}
	}
	if (optind != argc)
		return kc_front_usage("root create: unexpected argument '%s'",
		    argv[optind]);
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

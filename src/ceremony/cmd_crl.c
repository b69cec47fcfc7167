/* cmd_crl.c: keyceremony crl: revoke what the root issued, and (re)issue
 * the root's CRL. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "session.h"

static const char usage[] =
    "usage: keyceremony crl --token L --label K --issuer root.pem --out root.crl\n"
    "           [--revoke inter.pem|HEXSERIAL] [--reason R] [--days 365]\n"
    "           [--pin-file F] [--module PATH] [--state DIR]\n"
    "  --token L        label of the token holding the root key\n"
    "  --label K        label of the root key in the token\n"
    "  --issuer FILE    the root certificate of that key\n"
    "  --revoke X       certificate file or hex serial this root issued;\n"
    "                   without it the current list is re-issued\n"
    "  --reason R       keyCompromise, cACompromise, superseded or\n"
    "                   cessationOfOperation (default: no reason code)\n"
    "  --days N         until nextUpdate (default 365)\n"
    "  --out FILE       the CRL (PEM); must not exist\n"
    "  --pin-file F     user PIN from F (mode 0600); else asked on the terminal\n"
    "  --module PATH    PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)\n"
    "  --state DIR      register of everything the root signs\n"
    "                   (default ./keyceremony-state)\n"
    "Before signing, the register is checked against the root's CRL files\n"
    "(in DIR and beside --out) and the transcripts in DIR/transcripts: a\n"
    "rolled-back register (lower CRL number, missing revocations) is refused.\n";

int
cmd_crl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "revoke", required_argument, NULL, 'r' },
		{ "reason", required_argument, NULL, 'R' },
		{ "days", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_crl_params p;
	struct kc_crl_result res;
	struct kc_session s;
	X509 *issuer = NULL;
	const char *token = NULL, *pin_file = NULL, *module = NULL;
	const char *days = "365", *reason = NULL;
	char t1[32], t2[32];
	int c, rc;

	memset(&p, 0, sizeof(p));
	p.state_dir = KC_STATE_DIR_DEFAULT;
	p.reason = KC_REASON_NONE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': p.key_label = optarg; break;
		case 'i': p.issuer = optarg; break;
		case 'r': p.revoke = optarg; break;
		case 'R': reason = optarg; break;
		case 'd': days = optarg; break;
		case 'o': p.out = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': module = optarg; break;
		case 'S': p.state_dir = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return kc_front_badopt("crl", argv);
		}
	}
	if (optind != argc)
		return kc_front_usage("crl: unexpected argument '%s'",
		    argv[optind]);
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.out == NULL)
		return kc_front_usage("crl needs --token, --label, --issuer and "
		    "--out (see --help)");
	if ((rc = kc_front_days(days, KC_DAYS_MAX, &p.days)) != KC_EXIT_OK)
		return rc;
	if (reason != NULL) {
		if (p.revoke == NULL)
			return kc_front_usage("--reason goes with --revoke");
		if ((rc = kc_reason_parse(reason, &p.reason)) != KC_OK)
			return kc_front_fail(rc);
	}
	if ((rc = kc_file_check_output(p.out)) != KC_OK ||
	    (rc = kc_cert_load(p.issuer, &issuer)) != KC_OK)
		return kc_front_fail(rc);
	X509_free(issuer);

	if ((rc = kc_session_open(module, token, pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_crl(s.tok, &p, &res);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_time_utc(res.this_update, t1);
	kc_time_utc(res.next_update, t2);
	if (res.revoked_serial[0] != '\0')
		printf("revoked serial %s (%s), reason %s\n",
		    res.revoked_serial, kc_disp_quoted(res.revoked_subject),
		    kc_reason_name(p.reason));
	printf("CRL number %lld written to %s\n", res.number,
	    kc_disp(p.out));
	printf("  %-12s %zu\n", "revoked", res.n_revoked);
	printf("  %-12s %s\n", "this update", t1);
	printf("  %-12s %s  (publish a new CRL before then)\n", "next update",
	    t2);
	printf("  %-12s %s\n", "SHA-256", kc_hash(res.out_sha256));
	return KC_EXIT_OK;
}

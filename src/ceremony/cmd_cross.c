/* cmd_cross.c: keyceremony cross sign: root rollover, the old root signs
 * a cross-certificate for the new root (kc/cross.h). */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/ceremony/cross.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "session.h"

static const char usage[] =
    "usage: keyceremony cross sign --token L --label K --issuer OLD-ROOT.pem\n"
    "           --cert NEW-ROOT.pem --days N --out cross.pem [--yes]\n"
    "           [--pin-file F] [--module PATH] [--state DIR]\n"
    "  --token L        label of the token holding the OLD root's key\n"
    "  --label K        label of the old root's key in the token\n"
    "  --issuer FILE    the old root's certificate (PEM or DER)\n"
    "  --cert FILE      the new root's self-signed certificate (PEM or DER)\n"
    "  --days N         validity; cut short at the end of either root's\n"
    "  --yes            sign without asking (the summary is still printed)\n"
    "  --out FILE       cross-certificate (PEM); must not exist\n"
    "  --pin-file F     user PIN from F (mode 0600); else asked on the terminal\n"
    "  --module PATH    PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)\n"
    "  --state DIR      register of everything the root signs\n"
    "                   (default ./keyceremony-state)\n";

static int
confirm(const char *summary, void *arg)
{
	int yes = *(const int *)arg;
	char *text = kc_display_text(summary);

	printf("%s\n", text != NULL ? text : "(out of memory)");
	free(text);
	if (yes) {
		printf("signing without asking (--yes)\n");
		return 1;
	}
	return kc_front_confirm("Sign this cross-certificate with the old "
	    "root key?");
}

static int
have_terminal(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return 0;
	close(fd);
	return 1;
}

int
cmd_cross_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "cert", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "yes", no_argument, NULL, 'y' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_cross_params p;
	struct kc_op_result res;
	struct kc_session s;
	X509 *x = NULL;
	const char *token = NULL, *pin_file = NULL, *module = NULL;
	const char *days = NULL;
	int c, rc, yes = 0, capped = 0;

	memset(&p, 0, sizeof(p));
	p.state_dir = KC_STATE_DIR_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': p.key_label = optarg; break;
		case 'i': p.issuer = optarg; break;
		case 'c': p.cert = optarg; break;
		case 'd': days = optarg; break;
		case 'y': yes = 1; break;
		case 'o': p.out = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': module = optarg; break;
		case 'S': p.state_dir = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return kc_front_badopt("cross sign", argv);
		}
	}
	if (optind != argc)
		return kc_front_usage("cross sign: unexpected argument '%s'",
		    argv[optind]);
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.cert == NULL || days == NULL || p.out == NULL)
		return kc_front_usage("cross sign needs --token, --label, "
		    "--issuer, --cert, --days and --out (see --help)");
	if ((rc = kc_front_days(days, KC_DAYS_MAX, &p.days)) != KC_EXIT_OK)
		return rc;
	if (!yes && !have_terminal())
		return kc_front_usage("cross sign: no terminal to ask for "
		    "confirmation; review the new root and add --yes to sign "
		    "without asking");
	p.confirm = confirm;
	p.confirm_arg = &yes;

	/* Cheap checks before the PIN is asked for (the operation repeats
	 * them). */
	if ((rc = kc_file_check_output(p.out)) != KC_OK ||
	    (rc = kc_cert_load(p.issuer, &x)) != KC_OK)
		return kc_front_fail(rc);
	X509_free(x);
	if ((rc = kc_cert_load(p.cert, &x)) != KC_OK)
		return kc_front_fail(rc);
	X509_free(x);

	if ((rc = kc_session_open(module, token, pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_cross_sign(s.tok, &p, &res, &capped);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_session_print_issued("cross-certificate", p.out, &res);
	if (capped)
		printf("  %-11s %s\n", "note", "validity cut short at the end "
		    "of a root's validity");
	printf("  %-11s %s\n", "new root", kc_hash(res.in_sha256));
	printf("  %-11s %s/%s\n", "recorded in", kc_disp(p.state_dir),
	    KC_REGISTER_FILE);
	printf("SHA-256 fingerprint:\n  %s\n", kc_hash(res.fingerprint));
	return KC_EXIT_OK;
}

/* cmd_intermediate.c: keyceremony intermediate sign: the root signs the
 * intermediate CA CSR the factory brought. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/csr.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "commands.h"
#include "front.h"
#include "session.h"

static const char usage[] =
    "usage: keyceremony intermediate sign --token L --label K --issuer root.pem\n"
    "           --csr factory.csr --days N --out inter.pem [--path-len 0]\n"
    "           [--subject DN] [--yes] [--pin-file F] [--module PATH]\n"
    "           [--state DIR]\n"
    "  --token L        label of the token holding the root key\n"
    "  --label K        label of the root key in the token\n"
    "  --issuer FILE    the root certificate (PEM or DER) of that key\n"
    "  --csr FILE       the intermediate's CSR (PEM or DER)\n"
    "  --days N         validity; must end before the root's notAfter\n"
    "  --path-len N     basicConstraints pathLen (default 0)\n"
    "  --subject DN     replace the CSR's subject, e.g. \"/CN=Factory 1 CA/O=Example\"\n"
    "  --yes            sign without asking (the summary is still printed)\n"
    "  --out FILE       intermediate certificate (PEM); must not exist\n"
    "  --pin-file F     user PIN from F (mode 0600); else asked on the terminal\n"
    "  --module PATH    PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)\n"
    "  --state DIR      register of everything the root signs\n"
    "                   (default ./keyceremony-state)\n";

static int
confirm(const char *summary, void *arg)
{
	int yes = *(const int *)arg;
	char *text = kc_display_text(summary);

	/* the library's summary quotes what is not ours; escaped once more
	 * here, lines kept, so nothing in it reaches the terminal raw */
	printf("%s\n", text != NULL ? text : "(out of memory)");
	free(text);
	if (yes) {
		printf("signing without asking (--yes)\n");
		return 1;
	}
	return kc_front_confirm("Sign this intermediate CA certificate with "
	    "the root key?");
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
cmd_intermediate_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "csr", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "path-len", required_argument, NULL, 'P' },
		{ "subject", required_argument, NULL, 's' },
		{ "yes", no_argument, NULL, 'y' },
		{ "out", required_argument, NULL, 'o' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct kc_intermediate_params p;
	struct kc_op_result res;
	struct kc_session s;
	struct kc_csr *csr = NULL;
	X509 *issuer = NULL;
	const char *token = NULL, *pin_file = NULL, *module = NULL;
	const char *days = NULL, *path_len = "0";
	char *end;
	long v;
	int c, rc, yes = 0;

	memset(&p, 0, sizeof(p));
	p.state_dir = KC_STATE_DIR_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': p.key_label = optarg; break;
		case 'i': p.issuer = optarg; break;
		case 'c': p.csr = optarg; break;
		case 'd': days = optarg; break;
		case 'P': path_len = optarg; break;
		case 's': p.subject = optarg; break;
		case 'y': yes = 1; break;
		case 'o': p.out = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': module = optarg; break;
		case 'S': p.state_dir = optarg; break;
		case 'h': fputs(usage, stdout); return KC_EXIT_OK;
		default:
			fputs(usage, stderr);
			return kc_front_badopt("intermediate sign", argv);
		}
	}
	if (optind != argc)
		return kc_front_usage("intermediate sign: unexpected argument "
		    "'%s'", argv[optind]);
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.csr == NULL || days == NULL || p.out == NULL)
		return kc_front_usage("intermediate sign needs --token, --label, "
		    "--issuer, --csr, --days and --out (see --help)");
	if ((rc = kc_front_days(days, KC_DAYS_MAX, &p.days)) != KC_EXIT_OK)
		return rc;
	v = strtol(path_len, &end, 10);
	if (*path_len == '\0' || *end != '\0' || v < 0 || v > 8)
		return kc_front_usage("--path-len '%s' must be a whole number "
		    "from 0 to 8", path_len);
	p.path_len = (int)v;
	if (!yes && !have_terminal())
		return kc_front_usage("intermediate sign: no terminal to ask "
		    "for confirmation; review the CSR and add --yes to sign "
		    "without asking");
	p.confirm = confirm;
	p.confirm_arg = &yes;

	/* Cheap checks before the PIN is asked for (the operation repeats
	 * them). */
	if ((rc = kc_file_check_output(p.out)) != KC_OK ||
	    (rc = kc_cert_load(p.issuer, &issuer)) != KC_OK ||
	    (rc = kc_csr_load(p.csr, p.subject != NULL ?
	    KC_CSR_NO_SUBJECT_CHECK : 0, &csr)) != KC_OK)
		goto fail;
	X509_free(issuer);
	kc_csr_free(csr);
	if (p.subject != NULL) {
		X509_NAME *n = NULL;
		if ((rc = kc_name_parse(p.subject, &n)) != KC_OK)
			return kc_front_fail(rc);
		X509_NAME_free(n);
	}

	if ((rc = kc_session_open(module, token, pin_file, &s)) != KC_OK)
		return kc_front_fail(rc);
	rc = kc_op_intermediate_sign(s.tok, &p, &res);
	kc_session_close(&s);
	if (rc != KC_OK)
		return kc_front_fail(rc);

	kc_session_print_issued("intermediate", p.out, &res);
	printf("  %-11s %s\n", "CSR SHA-256", kc_hash(res.in_sha256));
	printf("  %-11s %s/%s\n", "recorded in", kc_disp(p.state_dir),
	    KC_REGISTER_FILE);
	printf("SHA-256 fingerprint:\n  %s\n", kc_hash(res.fingerprint));
	return KC_EXIT_OK;
fail:
	X509_free(issuer);
	kc_csr_free(csr);
	return kc_front_fail(rc);
}

/* cmd_cross.c: keyceremony cross sign: root rollover, the old root signs
 * a cross-certificate for the new root (kc/cross.h). */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
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
#include "opt.h"
#include "session.h"

struct args {
	const char *token, *pin_file, *module;
	int yes;
	struct kc_cross_params p;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, token, "token", "L", "label of the token holding the OLD root's key"),
	KC_O_STR(A, p.key_label, "label", "K", "label of the old root's key in the token"),
	KC_O_STR(A, p.issuer, "issuer", "FILE", "the old root's certificate (PEM or DER)"),
	KC_O_STR(A, p.cert, "cert", "FILE", "the new root's self-signed certificate (PEM or DER)"),
	KC_O_DAYS(A, p.days, "days", "validity; cut short at the end of either root's"),
	KC_O_FLAG(A, yes, "yes", "sign without asking (the summary is still printed)"),
	KC_O_STR(A, p.out, "out", "FILE", "cross-certificate (PEM); must not exist"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, p.state_dir, "state", "DIR", "register of everything the root signs\n"
	    "(default ./keyceremony-state)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_cross_sign_opts = {
	"cross sign",
	"cross sign --token L --label K --issuer OLD-ROOT.pem\n"
	"           --cert NEW-ROOT.pem --days N --out cross.pem [--yes]\n"
	"           [--pin-file F] [--module PATH] [--state DIR]",
	NULL, opts, 0, 0, NULL, 0
};

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
	struct args a;
	struct kc_cross_params p;
	struct kc_op_result res;
	struct kc_session s;
	X509 *x = NULL;
	const char *token, *pin_file, *module;
	int rc, yes, capped = 0;

	memset(&a, 0, sizeof(a));
	a.p.state_dir = KC_STATE_DIR_DEFAULT;
	if ((rc = kc_opt_parse(&cmd_cross_sign_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	p = a.p;
	token = a.token;
	pin_file = a.pin_file;
	module = a.module;
	yes = a.yes;
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.cert == NULL || p.days == 0 || p.out == NULL)
		return kc_front_usage("cross sign needs --token, --label, "
		    "--issuer, --cert, --days and --out (see --help)");
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

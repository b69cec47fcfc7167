/* cmd_intermediate.c: keyceremony intermediate sign: the root signs the
 * intermediate CA CSR the factory brought. */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
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
#include "opt.h"
#include "session.h"

struct args {
	const char *token, *pin_file, *module;
	int yes;
	struct kc_intermediate_params p;
};

#define A struct args
static const struct kc_opt opts[] = {
	KC_O_STR(A, token, "token", "L", "label of the token holding the root key"),
	KC_O_STR(A, p.key_label, "label", "K", "label of the root key in the token"),
	KC_O_STR(A, p.issuer, "issuer", "FILE", "the root certificate (PEM or DER) of that key"),
	KC_O_STR(A, p.csr, "csr", "FILE", "the intermediate's CSR (PEM or DER)"),
	KC_O_DAYS(A, p.days, "days", "validity; must end before the root's notAfter"),
	KC_O_INT(A, p.path_len, "path-len", "N", 0, 8, "basicConstraints pathLen (default 0)"),
	KC_O_STR(A, p.subject, "subject", "DN", "replace the CSR's subject, e.g. \"/CN=Factory 1 CA/O=Example\""),
	KC_O_STR(A, p.renew, "renew", "OLD", "renew the intermediate OLD (PEM or DER): the CSR carries\n"
	    "its key; its subject, a new validity, recorded as its renewal"),
	KC_O_FLAG(A, yes, "yes", "sign without asking (the summary is still printed)"),
	KC_O_STR(A, p.out, "out", "FILE", "intermediate certificate (PEM); must not exist"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN from F (mode 0600); else asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", "PKCS#11 module (default: $KEYCEREMONY_MODULE or SoftHSM)"),
	KC_O_STR(A, p.state_dir, "state", "DIR", "register of everything the root signs\n"
	    "(default ./keyceremony-state)"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_intermediate_sign_opts = {
	"intermediate sign",
	"intermediate sign --token L --label K --issuer root.pem\n"
	"           --csr factory.csr --days N --out inter.pem [--path-len 0]\n"
	"           [--subject DN] [--renew OLD.pem] [--yes] [--pin-file F]\n"
	"           [--module PATH] [--state DIR]",
	NULL, opts, 0, 0, NULL, 0
};

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
	struct args a;
	struct kc_intermediate_params p;
	struct kc_op_result res;
	struct kc_session s;
	struct kc_csr *csr = NULL;
	X509 *issuer = NULL;
	const char *token, *pin_file, *module;
	int rc, yes;

	memset(&a, 0, sizeof(a));
	a.p.state_dir = KC_STATE_DIR_DEFAULT;
	if ((rc = kc_opt_parse(&cmd_intermediate_sign_opts, argc, argv, &a,
	    NULL)) >= 0)
		return rc;
	p = a.p;
	token = a.token;
	pin_file = a.pin_file;
	module = a.module;
	yes = a.yes;
	if (token == NULL || p.key_label == NULL || p.issuer == NULL ||
	    p.csr == NULL || p.days == 0 || p.out == NULL)
		return kc_front_usage("intermediate sign needs --token, --label, "
		    "--issuer, --csr, --days and --out (see --help)");
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
	if (p.renew != NULL)
		printf("  %-11s %s (the same key and subject)\n", "renews",
		    kc_disp(p.renew));
	printf("  %-11s %s/%s\n", "recorded in", kc_disp(p.state_dir),
	    KC_REGISTER_FILE);
	printf("SHA-256 fingerprint:\n  %s\n", kc_hash(res.fingerprint));
	return KC_EXIT_OK;
fail:
	X509_free(issuer);
	kc_csr_free(csr);
	return kc_front_fail(rc);
}

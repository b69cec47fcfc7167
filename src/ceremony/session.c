/* session.c: open + login helper shared by keyceremony's commands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "front.h"
#include "session.h"

int
kc_session_open(const char *module, const char *token_label,
    const char *pin_file, struct kc_session *s)
{
	struct kc_secret *pin = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	if (token_label == NULL)
		return kc_err(KC_ERR_USAGE, "no token label (--token)");
	/* Read the PIN first: a PIN file with loose permissions is refused
	 * before the module is touched. */
	if (pin_file != NULL &&
	    (rc = kc_secret_read_file(pin_file, "PIN", &pin)) != KC_OK)
		return rc;
	if ((rc = kc_token_load(module, &s->ctx)) != KC_OK)
		goto out;
	if ((rc = kc_token_open(s->ctx, token_label, NULL, &s->tok)) != KC_OK)
		goto out;
	if (pin == NULL) {
		char whose[300];

		/* the prompt names the token the PIN unlocks */
		snprintf(whose, sizeof(whose), "token '%s'", token_label);
		if ((rc = kc_front_secret_for(NULL, "PIN", whose, 0, &pin)) !=
		    KC_OK)
			goto out;
	}
	rc = kc_token_login_file(s->tok, pin, pin_file);
out:
	kc_secret_free(pin);
	if (rc != KC_OK)
		kc_session_close(s);
	return rc;
}

void
kc_session_close(struct kc_session *s)
{
	kc_token_close(s->tok);
	kc_token_unload(s->ctx);
	s->tok = NULL;
	s->ctx = NULL;
}

void
kc_session_print_issued(const char *what, const char *out,
    const struct kc_op_result *res)
{
	char nb[32], na[32];

	kc_time_utc(res->not_before, nb);
	kc_time_utc(res->not_after, na);
	printf("%s certificate written to %s\n", what, kc_disp_quoted(out));
	printf("  %-11s %s\n", "subject", kc_disp_quoted(res->subject));
	printf("  %-11s %s\n", "serial", res->serial);
	printf("  %-11s %s\n", "not before", nb);
	printf("  %-11s %s\n", "not after", na);
}

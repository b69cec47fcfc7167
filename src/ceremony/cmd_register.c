/* cmd_register.c: keyceremony register list: what the root signed. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/ops.h"
#include "kc/ceremony/register.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "commands.h"
#include "front.h"
#include "opt.h"

struct args {
	const char *state;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, state, "state", "DIR", "the ceremony's state directory\n"
	    "(default ./keyceremony-state)"),
	KC_O_END
};

const struct kc_optdef cmd_register_list_opts = {
	"register list", "register list [--state DIR]", NULL,
	opts, 0, 0, NULL, 0
};

static void
day(time_t t, char buf[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y-%m-%d", &tm);
}

int
cmd_register_list(int argc, char **argv)
{
	struct args a = { KC_STATE_DIR_DEFAULT };
	const char *state, *ca = "";
	struct kc_register *reg = NULL;
	struct kc_reg_entry *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = kc_opt_parse(&cmd_register_list_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	state = a.state;
	if ((rc = kc_register_open(state, 0, &reg)) != KC_OK ||
	    (rc = kc_register_list(reg, &l, &n)) != KC_OK) {
		kc_register_close(reg);
		return kc_front_fail(rc);
	}
	printf("register %s: %zu entr%s\n", kc_disp(kc_register_path(reg)), n,
	    n == 1 ? "y" : "ies");
	for (size_t i = 0; i < n; i++) {
		struct kc_reg_entry *e = &l[i];
		char signed_at[32], nb[16], na[16], rv[16];

		if (strcmp(e->ca, ca) != 0) {
			ca = e->ca;
			printf("\nCA %s\n", kc_disp(ca));
			printf("  %-20s %-12s %-32s %-10s %-10s %s\n", "signed",
			    "kind", "serial / CRL number", "from", "until",
			    "status  subject");
		}
		strftime(signed_at, sizeof(signed_at), "%Y-%m-%d %H:%M:%S",
		    gmtime(&e->time));
		day(e->not_before, nb);
		day(e->not_after, na);
		if (e->kind == KC_REG_CRL) {
			char num[40];
			snprintf(num, sizeof(num), "CRL #%lld", e->crl_number);
			printf("  %-20s %-12s %-32s %-10s %-10s -       %s\n",
			    signed_at, kc_reg_kind_name(e->kind), num, nb, na,
			    kc_disp(e->path));
		} else {
			if (e->revoked_at != 0)
				day(e->revoked_at, rv);
			printf("  %-20s %-12s %-32s %-10s %-10s %s %s\n",
			    signed_at, kc_reg_kind_name(e->kind), kc_disp(e->serial),
			    nb, na, e->revoked_at != 0 ? "REVOKED" : "valid  ",
			    kc_disp_quoted(e->subject));
			if (e->revoked_at != 0)
				printf("  %-20s revoked %s, reason %s\n", "", rv,
				    kc_reason_name(e->reason));
		}
		/* the one hash form (kc/display.h), each on a line */
		printf("  %-20s sha256 %s\n", "", kc_hash(e->sha256));
		if (e->inputs_sha256[0] != '\0')
			printf("  %-20s input sha256 %s\n", "",
			    kc_hash(e->inputs_sha256));
	}
	free(l);
	kc_register_close(reg);
	return KC_EXIT_OK;
}

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
	int json;
};

static const struct kc_opt opts[] = {
	KC_O_STR(struct args, state, "state", "DIR", "the ceremony's state directory\n"
	    "(default ./keyceremony-state)"),
	KC_O_FLAG(struct args, json, "json", "the register as one JSON document on stdout\n"
	    "(schema: docs/json.md); errors still go to stderr"),
	KC_O_END
};

const struct kc_optdef cmd_register_list_opts = {
	"register list", "register list [--state DIR] [--json]", NULL,
	opts, 0, 0, NULL, 0
};

static void
day(time_t t, char buf[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y-%m-%d", &tm);
}

/* "name":"2026-12-01T10:00:00Z" (kc_time_utc), or null for 0 */
static void
json_time(const char *name, time_t t)
{
	char buf[32];

	printf(",\"%s\":", name);
	if (t == 0) {
		printf("null");
		return;
	}
	kc_time_utc(t, buf);
	kc_front_json_bytes(buf);
}

/* register list --json (docs/json.md): every value byte-wise
 * (kc_front_json_bytes: the register is data, not ours) */
static void
json_list(const char *state, const struct kc_register *reg,
    const struct kc_reg_entry *l, size_t n)
{
	printf("{\"schema\":1,\"state\":");
	kc_front_json_bytes(state);
	printf(",\"register\":");
	kc_front_json_bytes(kc_register_path(reg));
	printf(",\"entries\":[");
	for (size_t i = 0; i < n; i++) {
		const struct kc_reg_entry *e = &l[i];
		int crl = e->kind == KC_REG_CRL;

		printf("%s{\"id\":%lld,\"kind\":", i ? "," : "", e->id);
		kc_front_json_bytes(kc_reg_kind_name(e->kind));
		printf(",\"ca\":");
		kc_front_json_bytes(e->ca);
		printf(",\"serial\":");
		if (crl)
			printf("null,\"crl_number\":%lld", e->crl_number);
		else {
			kc_front_json_bytes(e->serial);
			printf(",\"crl_number\":null");
		}
		printf(",\"subject\":");
		kc_front_json_bytes(e->subject);
		printf(",\"sha256\":");
		kc_front_json_bytes(e->sha256);
		printf(",\"inputs_sha256\":");
		if (e->inputs_sha256[0] != '\0')
			kc_front_json_bytes(e->inputs_sha256);
		else
			printf("null");
		printf(",\"file\":");
		kc_front_json_bytes(e->path);
		printf(",\"renews\":");
		if (e->renews[0] != '\0')
			kc_front_json_bytes(e->renews);
		else
			printf("null");
		json_time("signed", e->time);
		json_time("not_before", e->not_before);
		json_time("not_after", e->not_after);
		printf(",\"revoked\":");
		if (crl || e->revoked_at == 0)
			printf("null");
		else {
			char t[32];

			kc_time_utc(e->revoked_at, t);
			printf("{\"at\":");
			kc_front_json_bytes(t);
			printf(",\"reason\":");
			kc_front_json_bytes(kc_reason_name(e->reason));
			putchar('}');
		}
		putchar('}');
	}
	printf("]}\n");
}

int
cmd_register_list(int argc, char **argv)
{
	struct args a = { KC_STATE_DIR_DEFAULT, 0 };
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
	if (a.json) {
		json_list(state, reg, l, n);
		free(l);
		kc_register_close(reg);
		return KC_EXIT_OK;
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
			if (e->renews[0] != '\0')
				printf("  %-20s renewal of serial %s (the same "
				    "key and subject)\n", "",
				    kc_disp(e->renews));
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

/* engine_io.c: the services a ceremony run's parts share, below all of
 * them: progress messages, a role asked to confirm (or the batch
 * confirming), a role's name, paths in the state directory, the name of a
 * check status (engine_int.h). engine.c, preflight.c and engine_actions.c
 * call down into it; it calls none of them. Owned by the ceremony side
 * (libkc-ceremony). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kc/ceremony/engine.h"
#include "kc/core/error.h"
#include "ceremony_int.h"
#include "engine_int.h"

const char *
kc_check_status_name(enum kc_check_status s)
{
	switch (s) {
	case KC_CHECK_PASSED: return "passed";
	case KC_CHECK_WARNED: return "warned";
	case KC_CHECK_FAILED: return "failed";
	default: return "pending";
	}
}

void
kc_engine_progress(struct kc_engine *e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (e->ui.progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->ui.progress(e->ui.arg, msg);
}

/* Asks role to confirm text; in batch mode it is confirmed by the batch
 * and *how says so with the time. */
int
kc_engine_ask(struct kc_engine *e, const char *role, const char *text,
    char *how, size_t howsz)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (e->flags & KC_ENGINE_BATCH) {
		snprintf(how, howsz, "confirmed-by-batch at %s", stamp);
		return 1;
	}
	if (e->ui.confirm == NULL || !e->ui.confirm(e->ui.arg, role, text)) {
		snprintf(how, howsz, "declined by %s (%s) at %s", role,
		    kc_engine_role_name(e, role), stamp);
		return 0;
	}
	snprintf(how, howsz, "confirmed by %s (%s) at %s", role,
	    kc_engine_role_name(e, role), stamp);
	return 1;
}

const char *
kc_engine_role_name(const struct kc_engine *e, const char *role)
{
	for (size_t i = 0; i < e->c->nroles; i++)
		if (strcmp(e->c->roles[i].id, role) == 0)
			return e->role_names[i];
	return "?";
}

int
kc_engine_path(const struct kc_engine *e, const char *rel, char *out,
    size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", e->state, rel) >= outsz)
		return kc_err(KC_ERR_USAGE, "%s/%s: path too long", e->state,
		    rel);
	return KC_OK;
}

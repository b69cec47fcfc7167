/*
 * fuzz_ceremony.c: libFuzzer target for the ceremony-file and site-profile
 * parsers (YAML through libyaml, then strict validation): kc_ceremony_load
 * and kc_site_load on the same bytes. Replayed in every build by
 * tests/fuzz/replay_ceremony (see replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "kc/ceremony/engine.h"
#include "kc/core/error.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kc_ceremony *c = NULL;
	struct kc_site *s = NULL;
	const char *path = fuzz_file("c.yaml", data, len);
	size_t sum = 0;

	if (kc_ceremony_load(path, &c) == KC_OK) {
		/* Everything a screen or the transcript shows. */
		sum += strlen(kc_ceremony_name(c)) +
		    strlen(kc_ceremony_title(c)) +
		    strlen(kc_ceremony_sha256(c));
		if (kc_ceremony_description(c) != NULL)
			sum += strlen(kc_ceremony_description(c));
		for (size_t i = 0; i < kc_ceremony_nroles(c); i++) {
			const struct kc_role_info *r = kc_ceremony_role(c, i);
			sum += strlen(r->id) + strlen(r->title) +
			    (r->duty ? strlen(r->duty) : 0);
		}
		for (size_t i = 0; i < kc_ceremony_nsteps(c); i++) {
			const struct kc_step_info *st = kc_ceremony_step(c, i);
			sum += strlen(st->id) + strlen(st->title) +
			    strlen(kc_action_name(st->action)) +
			    strlen(st->role) +
			    (st->witness ? strlen(st->witness) : 0) +
			    (st->summary ? strlen(st->summary) : 0);
		}
		kc_ceremony_free(c);
	} else if (c != NULL) {
		__builtin_trap();	/* an error must not return an object */
	}
	if (kc_site_load(path, &s) == KC_OK) {
		sum += strlen(s->name) + strlen(s->token_label) +
		    strlen(s->state_dir) + strlen(s->media_dir);
		kc_site_free(s);
	} else if (s != NULL) {
		__builtin_trap();
	}
	if (strchr(kc_errmsg(), '\n') != NULL)
		__builtin_trap();	/* error messages are one line */
	kc_err_clear();
	(void)sum;
	return 0;
}

/* test_engine_run.c: the engine API driven step by step, as the TUI drives
 * it: checks one by one, roles, confirmations answered yes and no, order
 * enforced, transcript digest. Needs a SoftHSM token: run by
 * tests/softhsm/engine-api.sh (SOFTHSM2_CONF, MODULE, KC_TEST_PIN_FILE,
 * KC_TEST_DIR set). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kc/ceremony/engine.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/secret.h"

static const char *dir;

struct answers {
	int	clock;		/* answer to the clock question */
	int	step;		/* answer to step questions */
	int	asked;
	char	last_role[32];
	int	progress;
};

static int
confirm(void *arg, const char *role, const char *text)
{
	struct answers *a = arg;

	a->asked++;
	snprintf(a->last_role, sizeof(a->last_role), "%s", role);
	if (strstr(text, "Is the date and time above correct") != NULL)
		return a->clock;
	assert_non_null(strstr(text, "Run this step?"));
	return a->step;
}

static void
progress(void *arg, const char *msg)
{
	struct answers *a = arg;

	(void)msg;
	a->progress++;
}

/* A ceremony making root key `label` in state dir `state`. */
static void
setup_run(const char *name, struct kc_ceremony **c, struct kc_site **s)
{
	char path[512], text[2048];

	snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	snprintf(text, sizeof(text),
	    "keyceremony: 1\nname: %s\ntitle: API test\nroles:\n"
	    "  - id: officer\n    title: Officer\n"
	    "  - id: witness\n    title: Witness\n"
	    "steps:\n"
	    "  - id: root\n    title: Root\n    action: root-create\n"
	    "    role: officer\n    witness: witness\n"
	    "    key-label: key-%s\n    algorithm: ec-p256\n"
	    "    subject: /CN=API %s/O=Test/C=DE\n    days: 30\n"
	    "    output: root.pem\n"
	    "  - id: crl\n    title: CRL\n    action: crl-issue\n"
	    "    role: witness\n    issuer-key: key-%s\n"
	    "    issuer-cert: root.pem\n    next-update-days: 7\n"
	    "    output: root.crl\n", name, name, name, name);
	unlink(path);
	assert_int_equal(kc_file_write(path, text, strlen(text), 0644, 0),
	    KC_OK);
	assert_int_equal(kc_ceremony_load(path, c), KC_OK);
	assert_int_equal(kc_site_new(s), KC_OK);
	snprintf(path, sizeof(path), "%s/state-%s", dir, name);
	assert_int_equal(kc_site_set(&(*s)->state_dir, path), KC_OK);
	assert_int_equal(kc_site_set(&(*s)->media_dir, dir), KC_OK);
	assert_int_equal(kc_site_set(&(*s)->token_label, "keyceremony-demo"),
	    KC_OK);
	assert_int_equal(kc_site_set(&(*s)->module, getenv("MODULE")), KC_OK);
	(*s)->network = KC_POLICY_WARN;
}

static struct kc_secret *
pin(void)
{
	struct kc_secret *p = NULL;

	assert_int_equal(kc_secret_read_file(getenv("KC_TEST_PIN_FILE"),
	    "PIN", &p), KC_OK);
	return p;
}

static void
test_drive(void **state)
{
	struct kc_ceremony *c = NULL;
	struct kc_site *s = NULL;
	struct kc_engine *e = NULL;
	struct answers a = { 1, 1, 0, "", 0 };
	struct kc_engine_ui ui = { progress, confirm, &a };
	struct kc_check_result r;
	struct kc_step_result sr;
	struct kc_engine_summary sum;
	struct kc_transcript_check chk;
	struct kc_secret *p = pin();

	(void)state;
	setup_run("drive", &c, &s);
	assert_int_equal(kc_engine_new(c, s, 0, &ui, &e), KC_OK);
	assert_int_equal(kc_engine_ncheck(e), 5);
	assert_int_equal(kc_engine_set_role(e, "officer", "Olga"), KC_OK);
	assert_int_equal(kc_engine_set_role(e, "witness", "Wim"), KC_OK);
	assert_int_equal(kc_engine_set_role(e, "janitor", "X"), KC_ERR_USAGE);
	/* begin is refused until every check ran */
	assert_int_equal(kc_engine_begin(e, p), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "has not been run"));
	for (size_t i = 0; i < kc_engine_ncheck(e); i++) {
		assert_int_equal(kc_engine_check(e, i, &r), KC_OK);
		assert_true(r.status == KC_CHECK_PASSED ||
		    r.status == KC_CHECK_WARNED);
		assert_true(r.detail[0] != '\0');
	}
	assert_int_equal(a.asked, 1);	/* the clock */
	assert_string_equal(a.last_role, "officer");
	assert_true(kc_engine_rehearsal(e));
	/* steps run in order, only after begin */
	assert_int_equal(kc_engine_step(e, 0, &sr), KC_ERR_USAGE);
	assert_int_equal(kc_engine_begin(e, p), KC_OK);
	assert_int_equal(kc_engine_set_role(e, "officer", "Late"),
	    KC_ERR_USAGE);
	assert_int_equal(kc_engine_step(e, 1, &sr), KC_ERR_USAGE);
	assert_int_equal(kc_engine_next_step(e), 0);
	assert_int_equal(kc_engine_step(e, 0, &sr), KC_OK);
	assert_int_equal(sr.status, KC_STEP_DONE);
	assert_int_equal(strlen(sr.out_sha256), 64);
	assert_non_null(strstr(sr.subject, "CN=API drive"));
	assert_true(sr.not_after > sr.not_before);
	assert_int_equal(kc_engine_step(e, 1, &sr), KC_OK);
	assert_string_equal(a.last_role, "witness");
	assert_int_equal(kc_engine_next_step(e), 2);
	assert_true(a.progress >= 2);
	assert_int_equal(kc_engine_finish(e, &sum), KC_OK);
	assert_true(sum.completed);
	assert_true(sum.rehearsal);
	assert_int_equal(kc_engine_step(e, 0, &sr), KC_ERR_USAGE);
	assert_int_equal(kc_transcript_verify(sum.transcript, sum.digest,
	    &chk), KC_OK);
	assert_int_equal(kc_transcript_verify(sum.transcript, sum.words,
	    NULL), KC_OK);
	assert_int_equal(chk.records, sum.records);
	assert_true(chk.completed);
	kc_engine_free(e);
	kc_site_free(s);
	kc_ceremony_free(c);
	kc_secret_free(p);
}

static void
test_decline(void **state)
{
	struct kc_ceremony *c = NULL;
	struct kc_site *s = NULL;
	struct kc_engine *e = NULL;
	struct answers a = { 1, 0, 0, "", 0 };
	struct kc_engine_ui ui = { progress, confirm, &a };
	struct kc_step_result sr;
	struct kc_engine_summary sum;
	struct kc_transcript_check chk;
	struct kc_secret *p = pin();
	char path[600];

	(void)state;
	setup_run("decline", &c, &s);
	assert_int_equal(kc_engine_new(c, s, 0, &ui, &e), KC_OK);
	assert_int_equal(kc_engine_preflight(e), KC_OK);
	assert_int_equal(kc_engine_begin(e, p), KC_OK);
	assert_int_equal(kc_engine_step(e, 0, &sr), KC_ERR_ABORT);
	assert_int_equal(sr.status, KC_STEP_DECLINED);
	assert_int_equal(kc_engine_step(e, 1, &sr), KC_ERR_POLICY);
	assert_int_equal(kc_engine_finish(e, &sum), KC_OK);
	assert_false(sum.completed);
	snprintf(path, sizeof(path), "%s/state-decline/root.pem", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(kc_transcript_verify(sum.transcript, sum.digest,
	    &chk), KC_OK);
	assert_false(chk.completed);
	kc_engine_free(e);
	kc_site_free(s);
	kc_ceremony_free(c);
	kc_secret_free(p);
}

static void
test_clock_refused(void **state)
{
	struct kc_ceremony *c = NULL;
	struct kc_site *s = NULL;
	struct kc_engine *e = NULL;
	struct answers a = { 0, 1, 0, "", 0 };
	struct kc_engine_ui ui = { progress, confirm, &a };
	struct kc_check_result r;
	struct kc_secret *p = pin();

	(void)state;
	setup_run("clock", &c, &s);
	assert_int_equal(kc_engine_new(c, s, 0, &ui, &e), KC_OK);
	assert_int_equal(kc_engine_check(e, 1, &r), KC_OK);
	assert_string_equal(r.id, "clock");
	assert_int_equal(r.status, KC_CHECK_FAILED);
	assert_non_null(strstr(r.detail, "declined"));
	assert_int_equal(kc_engine_preflight(e), KC_ERR_POLICY);
	assert_non_null(strstr(kc_errmsg(), "'clock' failed"));
	assert_int_equal(kc_engine_begin(e, p), KC_ERR_POLICY);
	/* freed without finish: the transcript is closed as aborted */
	kc_engine_free(e);
	kc_site_free(s);
	kc_ceremony_free(c);
	kc_secret_free(p);
}

static void
test_batch_no_questions(void **state)
{
	struct kc_ceremony *c = NULL;
	struct kc_site *s = NULL;
	struct kc_engine *e = NULL;
	struct answers a = { 0, 0, 0, "", 0 };
	struct kc_engine_ui ui = { progress, confirm, &a };
	struct kc_step_result sr;
	struct kc_engine_summary sum;
	struct kc_secret *p = pin();

	(void)state;
	setup_run("batch", &c, &s);
	assert_int_equal(kc_engine_new(c, s, KC_ENGINE_BATCH, &ui, &e), KC_OK);
	assert_int_equal(kc_engine_preflight(e), KC_OK);
	assert_int_equal(kc_engine_begin(e, p), KC_OK);
	assert_int_equal(kc_engine_step(e, 0, &sr), KC_OK);
	assert_int_equal(kc_engine_step(e, 1, &sr), KC_OK);
	assert_int_equal(kc_engine_finish(e, &sum), KC_OK);
	assert_true(sum.completed);
	assert_int_equal(a.asked, 0);
	kc_engine_free(e);
	kc_site_free(s);
	kc_ceremony_free(c);
	kc_secret_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drive),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_clock_refused),
		cmocka_unit_test(test_batch_no_questions),
	};

	if ((dir = getenv("KC_TEST_DIR")) == NULL || getenv("MODULE") == NULL ||
	    getenv("KC_TEST_PIN_FILE") == NULL) {
		fprintf(stderr, "run me through tests/softhsm/engine-api.sh\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

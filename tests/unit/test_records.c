/*
 * test_records.c: unit tests of the records area (issue 12): the
 * transcript writer writes exactly what the strict reader accepts, for
 * every byte and for hostile text (quotes, backslashes, C1 controls,
 * bidi characters, invalid UTF-8), and the reader gives back the very
 * bytes that were written; an unfinished transcript scans as a prefix.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "tmpdir.h"

#define NVALS 300

static char vals[NVALS][64];
static size_t nvals;

static void
make_values(void)
{
	static const char *const hostile[] = {
		"", " ", "a b", "\"", "\\", "\\x41", "\\n", "\"quoted\"",
		"M\xc3\xbcller GmbH", "\xe2\x80\xae" "gnp.exe", "\xc2\x9b" "2J",
		"\x1b[2J", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", "tab\there",
		"line\nbreak", "cr\rhere", "\xef\xbb\xbf" "bom", "# comment",
		"KC1 1 0000 2026-01-01T00:00:00Z end records=1", "a=b", "=",
		"\xf0\x9f\x94\x91 key", "\xe2\x80\x8b", "\x7f", "~!@#$%^&*()",
	};
	nvals = 0;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		snprintf(vals[nvals++], sizeof(vals[0]), "%s", hostile[i]);
	for (int b = 1; b < 256; b++)
		snprintf(vals[nvals++], sizeof(vals[0]), "x%cy", b);
}

struct seen {
	size_t	n;
	int	bad;
};

static int
on_record(const struct kc_transcript_rec *r, void *arg)
{
	struct seen *s = arg;
	const char *v;

	if (strcmp(r->kind, "step") != 0)
		return KC_OK;
	v = kc_transcript_rec_get(r, "v");
	if (v == NULL || s->n >= nvals || strcmp(v, vals[s->n]) != 0)
		s->bad++;
	s->n++;
	return KC_OK;
}

static void
test_roundtrip(void **state)
{
	struct kc_transcript *t = NULL;
	struct kc_transcript_check chk;
	struct seen s = { 0, 0 };
	char path[256], cnt[32];

	(void)state;
	make_values();
	snprintf(path, sizeof(path), "%s/round.log", tmpdir);
	assert_int_equal(kc_transcript_create(path, &t), KC_OK);
	assert_int_equal(kc_transcript_add(t, "begin", "ceremony", "r\xc3\xa9"
	    "v \"1\"", NULL), KC_OK);
	for (size_t i = 0; i < nvals; i++)
		assert_int_equal(kc_transcript_add(t, "step", "v", vals[i],
		    "i", "1", NULL), KC_OK);
	snprintf(cnt, sizeof(cnt), "%zu", nvals + 2);
	assert_int_equal(kc_transcript_add(t, "end", "records", cnt, "result",
	    "completed", NULL), KC_OK);
	kc_transcript_close(t);
	assert_int_equal(kc_transcript_scan(path, 0, on_record, &s, &chk),
	    KC_OK);
	assert_int_equal(s.bad, 0);
	assert_int_equal(s.n, nvals);
	assert_int_equal(chk.records, nvals + 2);
	assert_string_equal(chk.ceremony, "r\xc3\xa9v \"1\"");
	assert_int_equal(kc_transcript_verify(path, chk.digest, NULL), KC_OK);
}

static void
test_unfinished(void **state)
{
	struct kc_transcript *t = NULL;
	struct kc_transcript_check chk;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/unfinished.log", tmpdir);
	assert_int_equal(kc_transcript_create(path, &t), KC_OK);
	assert_int_equal(kc_transcript_add(t, "begin", "ceremony", "x", NULL),
	    KC_OK);
	assert_int_equal(kc_transcript_add(t, "step", "a", "b", NULL), KC_OK);
	kc_transcript_close(t);
	assert_int_equal(kc_transcript_verify(path, NULL, NULL), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "unfinished.log:4: no end record"));
	assert_int_equal(kc_transcript_scan(path, KC_TRANSCRIPT_UNFINISHED,
	    NULL, NULL, &chk), KC_OK);
	assert_int_equal(chk.records, 2);
	assert_false(chk.ended);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfinished, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

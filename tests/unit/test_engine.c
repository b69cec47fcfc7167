/* test_engine.c: unit tests of the ceremony file parser, the PGP word list
 * and the hash-chained transcript. */
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

#include "tmpdir.h"

static const char *
write_tmp(const char *name, const char *text)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	assert_int_equal(kc_file_write(path, text, strlen(text), 0644, 0),
	    KC_OK);
	return path;
}

#define GOOD \
	"keyceremony: 1\n" \
	"name: t\n" \
	"title: Test\n" \
	"roles:\n" \
	"  - id: officer\n" \
	"    title: Officer\n" \
	"  - id: witness\n" \
	"    title: Witness\n" \
	"steps:\n" \
	"  - id: root\n" \
	"    title: Make the root\n" \
	"    action: root-create\n" \
	"    role: officer\n" \
	"    witness: witness\n" \
	"    key-label: root-1\n" \
	"    algorithm: ec-p384\n" \
	"    subject: /CN=Test Root/O=Test/C=DE\n" \
	"    days: 3650\n" \
	"    output: root.pem\n" \
	"  - id: export\n" \
	"    title: Export\n" \
	"    action: export\n" \
	"    role: officer\n"

static void
test_ceremony_good(void **state)
{
	struct kc_ceremony *c = NULL;
	const struct kc_step_info *s;

	(void)state;
	assert_int_equal(kc_ceremony_load(write_tmp("good.yaml", GOOD), &c),
	    KC_OK);
	assert_string_equal(kc_ceremony_name(c), "t");
	assert_int_equal(kc_ceremony_nroles(c), 2);
	assert_int_equal(kc_ceremony_nsteps(c), 2);
	s = kc_ceremony_step(c, 0);
	assert_int_equal(s->action, KC_ACTION_ROOT_CREATE);
	assert_int_equal(s->line, 10);
	assert_int_equal(s->days, 3650);
	assert_non_null(strstr(s->summary, "subject: /CN=Test Root"));
	assert_int_equal(strlen(kc_ceremony_sha256(c)), 64);
	kc_ceremony_free(c);
}

/* Replaces the first occurrence of from in GOOD with to, loads it and
 * checks the error names the line and the reason. */
static void
bad(const char *from, const char *to, int line, const char *reason)
{
	char text[4096], want[64];
	const char *p = strstr(GOOD, from), *path;
	struct kc_ceremony *c = NULL;

	assert_non_null(p);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(p - GOOD), GOOD, to,
	    p + strlen(from));
	path = write_tmp("bad.yaml", text);
	assert_int_equal(kc_ceremony_load(path, &c), KC_ERR_INPUT);
	assert_null(c);
	snprintf(want, sizeof(want), "bad.yaml:%d: ", line);
	if (strstr(kc_errmsg(), want) == NULL ||
	    strstr(kc_errmsg(), reason) == NULL)
		fail_msg("for '%s': got '%s', want line %d and '%s'", to,
		    kc_errmsg(), line, reason);
}

static void
test_ceremony_bad(void **state)
{
	(void)state;
	bad("    days: 3650\n", "    days: 3650\n    colour: red\n", 19,
	    "unknown key 'colour'");
	bad("    days: 3650\n", "    dayz: 3650\n", 18, "unknown key 'dayz'");
	bad("    days: 3650\n", "", 10, "missing 'days'");
	bad("    days: 3650\n", "    days: ten\n", 18, "whole number");
	bad("    days: 3650\n", "    days: \"3650\"\n", 18, "whole number");
	bad("    days: 3650\n", "    days: 0\n", 18, "between 1 and");
	bad("    days: 3650\n", "    days:\n      - 1\n", 18, "must be a value");
	bad("    subject: /CN=Test Root/O=Test/C=DE\n",
	    "    subject: /CN=Test Root/C=Germany\n", 17, "invalid subject");
	bad("    subject: /CN=Test Root/O=Test/C=DE\n",
	    "    subject: CN=Test\n", 17, "invalid subject");
	bad("    output: root.pem\n", "    output: ../root.pem\n", 19,
	    "outside the state directory");
	bad("    output: root.pem\n", "    output: /etc/root.pem\n", 19,
	    "outside the state directory");
	bad("    output: root.pem\n", "    output: a/../../x\n", 19,
	    "outside the state directory");
	bad("    output: root.pem\n", "    output: sub/root.pem\n", 19,
	    "without '/'");
	bad("    algorithm: ec-p384\n", "    algorithm: dsa\n", 16,
	    "cannot make a root key");
	bad("    role: officer\n", "    role: janitor\n", 13,
	    "role 'janitor' is not in 'roles'");
	bad("    action: root-create\n", "    action: launch\n", 12,
	    "unknown action");
	bad("    key-label: root-1\n", "    key-label: root-1\n"
	    "    key-label: root-2\n", 16, "duplicate key 'key-label'");
	bad("keyceremony: 1\n", "keyceremony: 2\n", 1, "version 2");
	bad("name: t\n", "name: t\nfoo: &a x\nbar: *a\n", 3, "anchors");
	bad("name: t\n", "name: !!str t\n", 2, "tags");
	bad("name: t\n", "name: [t\n", 3, "not valid YAML");
	bad("  - id: export\n", "  - id: root\n", 20, "used twice");
	bad("steps:\n", "stepz:\n", 9, "unknown key 'stepz'");
}

static void
test_site(void **state)
{
	struct kc_site *s = NULL;
	const char *p;

	(void)state;
	p = write_tmp("a.site", "keyceremony-site: 1\nname: lab\n"
	    "token:\n  label: keyceremony-demo\n  serial: 1234\n"
	    "pin-file: pin\nstate: st\nmedia: /media/x\nnetwork: warn\n");
	assert_int_equal(kc_site_load(p, &s), KC_OK);
	assert_string_equal(s->token_label, "keyceremony-demo");
	assert_string_equal(s->token_serial, "1234");
	assert_string_equal(s->pin_file, "pin");
	assert_int_equal(s->network, KC_POLICY_WARN);
	assert_int_equal(s->removable, KC_POLICY_WARN);
	assert_null(s->module);
	assert_int_equal(kc_site_complete(s), KC_OK);
	kc_site_free(s);

	p = write_tmp("b.site", "keyceremony-site: 1\nname: lab\n"
	    "token:\n  label: x\n  pin: 1234\nstate: st\nmedia: m\n");
	assert_int_equal(kc_site_load(p, &s), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "b.site:5: unknown key 'pin'"));
	p = write_tmp("c.site", "keyceremony-site: 1\nname: lab\n"
	    "token:\n  label: x\nstate: st\nmedia: m\nnetwork: maybe\n");
	assert_int_equal(kc_site_load(p, &s), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "c.site:7: 'network' must be"));
}

static void
test_pgpwords(void **state)
{
	/* Two published examples of the list. */
	static const unsigned char a[] = { 0xE5, 0x82, 0x94, 0xF2, 0xE9, 0xA2,
	    0x27, 0x48, 0x6E, 0x8B, 0x06, 0x1B, 0x31, 0xCC, 0x52, 0x8F, 0xD7,
	    0xFA, 0x3F, 0x19 };
	static const unsigned char b[] = { 0x41, 0x55, 0x97, 0x11, 0x30, 0x8F,
	    0x2A, 0x21, 0xB9, 0xD5, 0x07, 0x2D, 0x62, 0x19, 0x58, 0xAF, 0xCB,
	    0x50, 0xB5, 0xF9 };
	char out[KC_PGPWORDS_MAX];
	unsigned char back[64];
	size_t len;

	(void)state;
	assert_int_equal(kc_pgpwords(a, sizeof(a), out, sizeof(out)), KC_OK);
	assert_string_equal(out, "topmost Istanbul Pluto vagabond treadmill "
	    "Pacific brackish dictator goldfish Medusa afflict bravado chatter "
	    "revolver Dupont midsummer stopwatch whimsical cowbell bottomless");
	assert_int_equal(kc_pgpwords(b, sizeof(b), out, sizeof(out)), KC_OK);
	assert_string_equal(out, "cranky equipment preshrunk Babylon chairlift "
	    "midsummer brickyard Camelot sentence specialist ahead clergyman "
	    "flagpole bottomless endorse pharmacy spheroid embezzle scorecard "
	    "Waterloo");
	assert_int_equal(kc_pgpwords_decode(out, back, sizeof(back), &len),
	    KC_OK);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(back, b, sizeof(b));
	assert_string_equal(kc_pgpword(0x00, 0), "aardvark");
	assert_string_equal(kc_pgpword(0xff, 0), "Zulu");
	assert_string_equal(kc_pgpword(0x00, 1), "adroitness");
	assert_string_equal(kc_pgpword(0xff, 1), "Yucatan");
	/* Every byte round-trips in both positions, and no word is in both
	 * lists. */
	for (int i = 0; i < 256; i++) {
		char two[64];
		snprintf(two, sizeof(two), "%s %s", kc_pgpword((unsigned char)i,
		    0), kc_pgpword((unsigned char)i, 1));
		assert_int_equal(kc_pgpwords_decode(two, back, sizeof(back),
		    &len), KC_OK);
		assert_int_equal(len, 2);
		assert_int_equal(back[0], i);
		assert_int_equal(back[1], i);
	}
	/* A dropped word puts the next one in the wrong list. */
	assert_int_equal(kc_pgpwords_decode("topmost Pluto", back,
	    sizeof(back), &len), KC_ERR_INPUT);
	assert_non_null(strstr(kc_errmsg(), "left out"));
	assert_int_equal(kc_pgpwords_decode("topmost banana", back,
	    sizeof(back), &len), KC_ERR_INPUT);
	assert_int_equal(kc_pgpwords(a, sizeof(a), out, 20), KC_ERR_USAGE);
}

static void
test_transcript(void **state)
{
	struct kc_transcript *t = NULL;
	struct kc_transcript_check chk;
	char path[256], digest[65], words[KC_PGPWORDS_MAX];
	unsigned char raw[32];

	(void)state;
	snprintf(path, sizeof(path), "%s/t.log", tmpdir);
	assert_int_equal(kc_transcript_create(path, &t), KC_OK);
	assert_int_equal(kc_transcript_add(t, "begin", "ceremony", "root ca",
	    "rehearsal", "yes", NULL), KC_OK);
	assert_int_equal(kc_transcript_add(t, "step", "name", "A=B %x\n",
	    NULL), KC_OK);
	assert_int_equal(kc_transcript_add(t, "end", "records", "3", "result",
	    "completed", "rehearsal", "yes", NULL), KC_OK);
	snprintf(digest, sizeof(digest), "%s", kc_transcript_digest(t));
	kc_transcript_close(t);
	assert_int_equal(kc_transcript_create(path, &t), KC_ERR_EXISTS);

	assert_int_equal(kc_transcript_verify(path, NULL, &chk), KC_OK);
	assert_int_equal(chk.records, 3);
	assert_string_equal(chk.digest, digest);
	assert_string_equal(chk.ceremony, "root ca");
	assert_true(chk.rehearsal);
	assert_true(chk.completed);
	assert_int_equal(kc_transcript_verify(path, digest, NULL), KC_OK);
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(digest + 2 * i, "%2x", &v);
		raw[i] = (unsigned char)v;
	}
	assert_int_equal(kc_pgpwords(raw, 32, words, sizeof(words)), KC_OK);
	assert_int_equal(kc_transcript_verify(path, words, NULL), KC_OK);
	digest[10] = digest[10] == '0' ? '1' : '0';
	assert_int_equal(kc_transcript_verify(path, digest, NULL),
	    KC_ERR_CRYPTO);
	assert_non_null(strstr(kc_errmsg(), "written on paper"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceremony_good),
		cmocka_unit_test(test_ceremony_bad),
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_pgpwords),
		cmocka_unit_test(test_transcript),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

# First use (issue 14), ceremony side: the TUI (file SHA-256 on Home and
# Preflight, Esc at export, one SIGN confirmation, Home messages, one hash
# grouping).

# the one form of a hash shown to a person (kc/display.h)

# items 1 and 8: the file's SHA-256 on Home and Preflight and in the
# transcript's first record; Home's messages; the console-font advice
TESTS += tests/first-use/tui-file-hash.sh
EXTRA_DIST += tests/first-use/tui-file-hash.sh

# item 9: one form of a hash (kc_hash_show) and one reader (kc_hash_parse)
check_PROGRAMS += tests/unit/test_hashshow
tests_unit_test_hashshow_SOURCES = tests/unit/test_hashshow.c
tests_unit_test_hashshow_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hashshow_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_hashshow
TESTS += tests/first-use/hash-form.sh
EXTRA_DIST += tests/first-use/hash-form.sh

# items 4 and 5: Esc at EXPORT asks, the End screen exports an aborted
# ceremony's outputs, the runbook's recovery; one SIGN confirmation
TESTS += tests/first-use/tui-sign-esc.sh
EXTRA_DIST += tests/first-use/tui-sign-esc.sh

# Hardening II (issue 12), screen: tests of the hostile-input area.

# kc_display_* and kc_text_plain (src/core/display.c)
check_PROGRAMS += tests/unit/test_display
tests_unit_test_display_SOURCES = tests/unit/test_display.c
tests_unit_test_display_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_display_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_display

# the injection corpus (items 3 and 4) and its checker
TESTS += tests/hostile/screen-inject.sh
EXTRA_DIST += tests/hostile/screen-inject.sh tests/hostile/screen-corpus.py
TESTS += tests/hostile/screen-tui-spoof.sh
EXTRA_DIST += tests/hostile/screen-tui-spoof.sh
TESTS += tests/hostile/screen-factory.sh
EXTRA_DIST += tests/hostile/screen-factory.sh

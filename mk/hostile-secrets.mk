# Hardening II (issue 12), secrets: tests of the hostile-input area.
TESTS += tests/hostile/secret-argv.sh
TESTS += tests/hostile/quorum-length.sh
TESTS += tests/hostile/csv-inject.sh
TESTS += tests/hostile/passphrase.sh
# Buffers holding clear device keys are never realloc()ed or freed unwiped:
# realloc and free of libkc's code go through the test's wrappers.
check_PROGRAMS += tests/unit/test_keyheap
tests_unit_test_keyheap_SOURCES = tests/unit/test_keyheap.c
tests_unit_test_keyheap_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/src/factory/lib
tests_unit_test_keyheap_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=realloc \
	-Wl,--wrap=free
tests_unit_test_keyheap_LDADD = $(KC_FACTORY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_keyheap
EXTRA_DIST += tests/hostile/secret-argv.sh tests/hostile/quorum-length.sh \
	tests/hostile/csv-inject.sh tests/hostile/passphrase.sh

# Tests of the core (libkc-core, mk/libs.mk): errors, files, X.509,
# the man pages against the option tables, the root and the quickstart.

# Unit tests (cmocka, TAP output).
# the cmocka fixture for tests that need a scratch directory
EXTRA_DIST += tests/unit/tmpdir.h
check_PROGRAMS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_core_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_core

TESTS += tests/softhsm/man-options.sh

check_PROGRAMS += tests/unit/test_x509
tests_unit_test_x509_SOURCES = tests/unit/test_x509.c
tests_unit_test_x509_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_x509_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_x509
check_PROGRAMS += tests/unit/test_crl
tests_unit_test_crl_SOURCES = tests/unit/test_crl.c
tests_unit_test_crl_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_crl_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_crl
TESTS += tests/softhsm/root.sh
TESTS += tests/softhsm/quickstart.sh

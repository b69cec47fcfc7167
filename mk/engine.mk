# Tests of the ceremony engine (libkc-ceremony): ceremony files and site
# profiles (YAML), `keyceremony run`, preflight, the hash-chained
# transcript, export to and import from removable media; the example
# ceremonies installed for companies to copy.

check_PROGRAMS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_engine_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_engine

TESTS += tests/softhsm/engine-run.sh
TESTS += tests/softhsm/transcript.sh
TESTS += tests/softhsm/export.sh
TESTS += tests/softhsm/engine-bad.sh

dist_man_MANS += docs/ceremony.5

# The example ceremonies and the rehearsal site profile, installed for
# companies to copy and edit.
ceremonydir = $(pkgdatadir)/ceremony
dist_ceremony_DATA = \
	ceremony/root-ca.yaml ceremony/sign-intermediate.yaml \
	ceremony/dps-proof-of-possession.yaml ceremony/revoke-intermediate.yaml \
	ceremony/rehearsal.site
TESTS += tests/softhsm/engine-all.sh

check_PROGRAMS += tests/unit/test_engine_run
tests_unit_test_engine_run_SOURCES = tests/unit/test_engine_run.c
tests_unit_test_engine_run_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_engine_run_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/softhsm/engine-api.sh

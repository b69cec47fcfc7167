# Fragment of Makefile.am owned by the engine area (see docs/HACKING.md):
# ceremony files and site profiles (YAML), the engine behind
# `keyceremony run` and the TUI, preflight, the hash-chained transcript,
# export to and import from removable media.
libkc_la_SOURCES += \
	include/kc/engine.h include/kc/transcript.h include/kc/media.h \
	src/lib/yamltree.h src/lib/yamltree.c \
	src/lib/ceremony_int.h src/lib/ceremony.c \
	src/lib/transcript.c src/lib/pgpwords.c

check_PROGRAMS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_engine_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_engine
libkc_la_SOURCES += \
	src/lib/engine_int.h src/lib/engine.c src/lib/engine_actions.c \
	src/lib/preflight.c src/lib/media.c

keyceremony_SOURCES += \
	src/ceremony/cmd_run.c src/ceremony/cmd_transcript.c \
	src/ceremony/cmd_export.c src/ceremony/cmd_import.c
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
tests_unit_test_engine_run_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/softhsm/engine-api.sh

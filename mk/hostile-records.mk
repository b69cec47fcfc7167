# Hardening II (issue 12), records: tests of the hostile-input area.
TESTS += tests/hostile/transcript-corpus.sh
EXTRA_DIST += tests/hostile/transcript-corpus.sh \
	tests/hostile/transcript-mutate.py
check_PROGRAMS += tests/unit/test_records
tests_unit_test_records_SOURCES = tests/unit/test_records.c tests/unit/tmpdir.h
tests_unit_test_records_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_records_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_records
TESTS += tests/hostile/ca-names.sh
EXTRA_DIST += tests/hostile/ca-names.sh
TESTS += tests/hostile/register-rollback.sh
EXTRA_DIST += tests/hostile/register-rollback.sh

# First use (issue 14), factory side, part a: ledger checks of every output
# file, check's root diagnosis, --out-dir creation, DPS code rule, output
# file names safe on FAT/Windows media.
TESTS += tests/first-use/factory-check-root.sh
EXTRA_DIST += tests/first-use/factory-check-root.sh
TESTS += tests/first-use/factory-code.sh
EXTRA_DIST += tests/first-use/factory-code.sh
TESTS += tests/first-use/factory-out-dir.sh
EXTRA_DIST += tests/first-use/factory-out-dir.sh
# output file names safe on FAT/Windows (kc/fnames.h); recorded output file
# hashes and reruns that repair from the ledger
check_PROGRAMS += tests/unit/test_fnames
tests_unit_test_fnames_SOURCES = tests/unit/test_fnames.c
tests_unit_test_fnames_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fnames_LDADD = $(KC_FACTORY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_fnames
TESTS += tests/first-use/factory-names.sh
EXTRA_DIST += tests/first-use/factory-names.sh
TESTS += tests/first-use/factory-ledger-files.sh
EXTRA_DIST += tests/first-use/factory-ledger-files.sh
TESTS += tests/first-use/factory-rerun.sh
EXTRA_DIST += tests/first-use/factory-rerun.sh
TESTS += tests/first-use/factory-refuse-early.sh
EXTRA_DIST += tests/first-use/factory-refuse-early.sh
# -h/--help on every factorysign command (issue 14 item 19)
TESTS += tests/first-use/factory-help.sh
EXTRA_DIST += tests/first-use/factory-help.sh
# --json on ledger export and check (issue 14 item 20, docs/json.md)
TESTS += tests/first-use/factory-json.sh
EXTRA_DIST += tests/first-use/factory-json.sh

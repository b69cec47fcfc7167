# Fragment of Makefile.am: issue 14 factory-side tests (AT writer, sizes,
# rerun agreement, key formats, prompts), helper factory-b.

# sign --key: the device's key for --format pfx, checked against the CSR

# item 12: one AT%CMNG writer for keygen and --format at
TESTS += tests/first-use/factory-at.sh
EXTRA_DIST += tests/first-use/factory-at.sh
EXTRA_DIST += tests/first-use/at-form.py

# item 13: AT%CMNG and at_host size limits, split C literals
TESTS += tests/first-use/factory-sizes.sh
EXTRA_DIST += tests/first-use/factory-sizes.sh

# item 14: sign --format pfx with the device's key; issue refuses c/at
# without --plain-keys before any prompt (pty-run.py: a terminal for tests)
TESTS += tests/first-use/factory-pfx.sh
EXTRA_DIST += tests/first-use/factory-pfx.sh tests/first-use/pty-run.py

# item 18: --key-format mbedtls2, proved with mbedTLS 2.28 itself
# (libmbedtls-dev, scripts/install-deps; the test program only)
check_PROGRAMS += tests/first-use/mbedkey
tests_first_use_mbedkey_SOURCES = tests/first-use/mbedkey.c
tests_first_use_mbedkey_LDADD = -lmbedcrypto
TESTS += tests/first-use/factory-keyformat.sh
EXTRA_DIST += tests/first-use/factory-keyformat.sh

# item 21: prompts name the key or token they unlock (both programs)
TESTS += tests/first-use/prompts.sh
EXTRA_DIST += tests/first-use/prompts.sh

# items 12, 13: the one AT writer at its size limits
check_PROGRAMS += tests/unit/test_nrf_at
tests_unit_test_nrf_at_SOURCES = tests/unit/test_nrf_at.c
tests_unit_test_nrf_at_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_nrf_at_LDADD = $(KC_FACTORY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_nrf_at

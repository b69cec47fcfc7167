# Fragment of Makefile.am owned by the nrf area (issue 7): nRF91 modem
# responses (%KEYGEN, %ATTESTTOKEN), AT%CMNG scripts, nRF Cloud CSV.

# factorysign keygen | attest | ledger export --format nrfcloud
TESTS += tests/softhsm/nrf.sh

check_PROGRAMS += tests/unit/test_nrf
tests_unit_test_nrf_SOURCES = tests/unit/test_nrf.c
tests_unit_test_nrf_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) $(CBOR_CFLAGS) \
	-DKC_VECTORS_DIR='"$(abs_top_srcdir)/tests/fixtures/nrf"'
tests_unit_test_nrf_LDADD = $(KC_FACTORY_LA) $(CMOCKA_LIBS) $(CBOR_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_nrf
EXTRA_DIST += tests/fixtures/nrf

# Builds %KEYGEN responses around DER files for the shell tests.
check_PROGRAMS += tests/nrf-resp
tests_nrf_resp_SOURCES = tests/nrf-resp.c
tests_nrf_resp_CPPFLAGS = $(AM_CPPFLAGS) $(CBOR_CFLAGS)
tests_nrf_resp_LDADD = $(KC_FACTORY_LA) $(CBOR_LIBS) $(CRYPTO_LIBS)

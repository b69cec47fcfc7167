# Tests of CSR intake, the issuance register, and the intermediate,
# verification and CRL operations of the root.

check_PROGRAMS += tests/unit/test_csr
tests_unit_test_csr_SOURCES = tests/unit/test_csr.c
tests_unit_test_csr_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_csr_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_csr

check_PROGRAMS += tests/unit/test_register
tests_unit_test_register_SOURCES = tests/unit/test_register.c
tests_unit_test_register_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_register_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_register

TESTS += tests/softhsm/intermediate.sh tests/softhsm/verification.sh \
	tests/softhsm/crl.sh

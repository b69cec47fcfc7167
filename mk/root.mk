# Fragment of Makefile.am owned by the root area (issue 3): CSR intake,
# the issuance register, intermediate/verification/CRL operations.
libkc_la_SOURCES += \
	include/kc/csr.h src/lib/csr.c

check_PROGRAMS += tests/unit/test_csr
tests_unit_test_csr_SOURCES = tests/unit/test_csr.c
tests_unit_test_csr_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_csr_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_csr

# Fragment of Makefile.am owned by the root area (issue 3): CSR intake,
# the issuance register, intermediate/verification/CRL operations.
libkc_la_SOURCES += \
	include/kc/csr.h src/lib/csr.c

check_PROGRAMS += tests/unit/test_csr
tests_unit_test_csr_SOURCES = tests/unit/test_csr.c
tests_unit_test_csr_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_csr_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_csr

libkc_la_SOURCES += \
	include/kc/register.h src/lib/register.c \
	include/kc/crl.h src/lib/crl.c \
	src/lib/issue_int.h src/lib/issue.c \
	src/lib/op_intermediate.c src/lib/op_verification.c src/lib/op_crl.c

keyceremony_SOURCES += \
	src/ceremony/cmd_intermediate.c src/ceremony/cmd_verification.c \
	src/ceremony/cmd_crl.c src/ceremony/cmd_register.c

check_PROGRAMS += tests/unit/test_register
tests_unit_test_register_SOURCES = tests/unit/test_register.c
tests_unit_test_register_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_register_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_register

TESTS += tests/softhsm/intermediate.sh tests/softhsm/verification.sh \
	tests/softhsm/crl.sh

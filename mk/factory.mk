# Fragment of Makefile.am owned by the factory area (see docs/HACKING.md):
# factorysign, the ledger, the device signer and output formats, bench.

libkc_la_SOURCES += \
	include/kc/ledger.h src/lib/ledger.c \
	include/kc/factory.h src/lib/factory_int.h src/lib/factory.c \
	src/lib/factory_fast.c src/lib/formats.c src/lib/factory_check.c

bin_PROGRAMS += factorysign
factorysign_SOURCES = \
	src/factory/main.c src/factory/commands.h \
	src/factory/opts.h src/factory/opts.c \
	src/factory/cmd_init.c src/factory/cmd_install.c \
	src/factory/cmd_sign.c src/factory/cmd_batch.c \
	src/factory/cmd_issue.c src/factory/cmd_verification.c \
	src/factory/cmd_check.c src/factory/cmd_ledger.c
factorysign_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/common \
	-I$(top_srcdir)/src/factory
factorysign_LDADD = libkcfront.la libkc.la $(CRYPTO_LIBS)

dist_man_MANS += docs/factorysign.1

TESTS += tests/softhsm/factory-sign.sh tests/softhsm/factory-batch.sh \
	tests/softhsm/factory-mqtt.sh tests/softhsm/factory-formats.sh \
	tests/softhsm/factory-check.sh
EXTRA_DIST += tests/factory/setup.sh
EXTRA_DIST += tests/factory/rawcsr.py

# CSR generator for the batch/crash tests and the benchmark.
check_PROGRAMS += tests/factory/gencsr
tests_factory_gencsr_SOURCES = tests/factory/gencsr.c
tests_factory_gencsr_LDADD = $(CRYPTO_LIBS)

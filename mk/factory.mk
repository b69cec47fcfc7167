# Tests of the factory side (libkc-factory, factorysign): signing,
# batches, brokers, formats, check; the benchmark (make bench).

TESTS += tests/softhsm/factory-sign.sh tests/softhsm/factory-batch.sh \
	tests/softhsm/factory-mqtt.sh tests/softhsm/factory-formats.sh \
	tests/softhsm/factory-check.sh
EXTRA_DIST += tests/factory/setup.sh
EXTRA_DIST += tests/factory/rawcsr.py
EXTRA_DIST += tests/factory/serials.py

# CSR generator for the batch/crash tests and the benchmark.
check_PROGRAMS += tests/factory/gencsr
tests_factory_gencsr_SOURCES = tests/factory/gencsr.c
tests_factory_gencsr_LDADD = $(CRYPTO_LIBS)

# make bench: factorysign's speed against `openssl speed ecdsap256`, all
# measured in the same run (not part of make check). BENCH_N (default
# 20000) P-256 CSRs; BENCH_BIG (default 200000, 0 to skip) for the memory
# comparison.
EXTRA_PROGRAMS = tests/factory/bench tests/factory/fsbench
tests_factory_bench_SOURCES = tests/factory/bench.c
tests_factory_bench_CPPFLAGS = $(AM_CPPFLAGS)
tests_factory_bench_LDADD = $(KC_FACTORY_LA) $(CRYPTO_LIBS)
tests_factory_fsbench_SOURCES = tests/factory/fsbench.c
CLEANFILES += tests/factory/bench tests/factory/fsbench
EXTRA_DIST += tests/factory/bench.sh
BENCH_N = 20000
BENCH_BIG = 200000
bench: factorysign tests/factory/gencsr tests/factory/bench tests/factory/fsbench
	BENCH_N=$(BENCH_N) BENCH_BIG=$(BENCH_BIG) FS=$(abs_top_builddir)/factorysign \
	KC_TOP_BUILDDIR=$(abs_top_builddir) KC_TOP_SRCDIR=$(abs_top_srcdir) \
	$(SHELL) $(top_srcdir)/tests/factory/bench.sh
.PHONY: bench

check_PROGRAMS += tests/unit/test_factory
tests_unit_test_factory_SOURCES = tests/unit/test_factory.c
tests_unit_test_factory_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) \
	-I$(top_srcdir)/src/factory/lib
tests_unit_test_factory_LDADD = $(KC_FACTORY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_factory

# The PostgreSQL ledger's server lost mid-batch (issue 19); pgcheck.py is
# the independent checker of a ledger (psql) against the files.
TESTS += tests/ledger/server-loss.sh tests/ledger/station-report.sh \
	tests/ledger/held.sh
EXTRA_DIST += tests/ledger/pgcheck.py

# make stress: the sizes of issue 19 (tests/ledger/stress.sh; not part of
# make check): 2 stations x STRESS_N (5000) CSRs at once, one intermediate
# then two; STRESS_KILLS (20) kill -9 mid-batch with another station
# running; the server stopped and restarted mid-batch; ledger migrate of
# STRESS_MIGRATE (20000) SQLite rows; pgcheck.py after every step.
EXTRA_DIST += tests/ledger/stress.sh
STRESS_N = 5000
STRESS_KILLS = 20
STRESS_MIGRATE = 20000
stress: factorysign tests/factory/gencsr
	STRESS_N=$(STRESS_N) STRESS_KILLS=$(STRESS_KILLS) \
	STRESS_MIGRATE=$(STRESS_MIGRATE) FS=$(abs_top_builddir)/factorysign \
	KC_TOP_BUILDDIR=$(abs_top_builddir) KC_TOP_SRCDIR=$(abs_top_srcdir) \
	$(SHELL) $(top_srcdir)/tests/ledger/stress.sh
.PHONY: stress

# Tests of the ledger's PostgreSQL backend (issue 19): several stations,
# one server of the test's own (tests/ledger/pg.sh: initdb + pg_ctl in a
# temp dir, a Unix socket only; postgresql from scripts/install-deps).
TESTS += tests/ledger/stations.sh
EXTRA_DIST += tests/ledger/pg.sh
dist_doc_DATA += docs/stations.md
# Schema 3 (pending, revocations, CRLs) on both backends, and the
# migration of older ledgers: tests/ledger/ledger3.c drives the calls.
check_PROGRAMS += tests/ledger/ledger3
tests_ledger_ledger3_SOURCES = tests/ledger/ledger3.c
tests_ledger_ledger3_LDADD = $(KC_FACTORY_LA) $(CRYPTO_LIBS)
TESTS += tests/ledger/schema3.sh
EXTRA_DIST += tests/ledger/schema3.sh

# Tests of the ledger's PostgreSQL backend (issue 19): several stations,
# one server of the test's own (tests/ledger/pg.sh: initdb + pg_ctl in a
# temp dir, a Unix socket only; postgresql from scripts/install-deps).
TESTS += tests/ledger/stations.sh
EXTRA_DIST += tests/ledger/pg.sh
dist_doc_DATA += docs/stations.md

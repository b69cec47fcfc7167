# Hardening II (issue 12), secrets: tests of the hostile-input area.
TESTS += tests/hostile/secret-argv.sh
TESTS += tests/hostile/quorum-length.sh
TESTS += tests/hostile/csv-inject.sh

# First use (issue 14), factory side, part a: ledger checks of every output
# file, check's root diagnosis, --out-dir creation, DPS code rule, output
# file names safe on FAT/Windows media.
TESTS += tests/first-use/factory-check-root.sh
EXTRA_DIST += tests/first-use/factory-check-root.sh
TESTS += tests/first-use/factory-code.sh
EXTRA_DIST += tests/first-use/factory-code.sh
TESTS += tests/first-use/factory-out-dir.sh
EXTRA_DIST += tests/first-use/factory-out-dir.sh

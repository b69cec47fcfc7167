# Fragment of Makefile.am owned by the lifecycle area (issue 15): key
# quality, root rollover (cross-signing), what is due.

TESTS += tests/lifecycle/keyquality.sh
EXTRA_DIST += tests/lifecycle/keyquality.sh tests/lifecycle/badkeys.py \
	tests/fixtures/keyquality

TESTS += tests/lifecycle/cross.sh
EXTRA_DIST += tests/lifecycle/cross.sh

# The ceremony file, installed with the others (mk/engine.mk).
dist_ceremony_DATA += ceremony/renew-crl.yaml ceremony/root-rollover.yaml
TESTS += tests/lifecycle/renew-crl.sh
EXTRA_DIST += tests/lifecycle/renew-crl.sh

TESTS += tests/lifecycle/status.sh
EXTRA_DIST += tests/lifecycle/status.sh
TESTS += tests/lifecycle/rollover.sh
EXTRA_DIST += tests/lifecycle/rollover.sh
# Validity policy (item 7): the root's 25-year cap, device backdating.
TESTS += tests/lifecycle/validity.sh tests/lifecycle/backdate.sh
EXTRA_DIST += tests/lifecycle/validity.sh tests/lifecycle/backdate.sh
# factorysign status (item 5, the factory side)
TESTS += tests/lifecycle/factory-status.sh
EXTRA_DIST += tests/lifecycle/factory-status.sh

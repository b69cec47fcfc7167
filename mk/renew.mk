# Fragment of Makefile.am: renewal and rekey of an intermediate (issue 15
# item 3): keyceremony intermediate sign --renew, factorysign init --rekey,
# factorysign install of either.
TESTS += tests/lifecycle/renew.sh
EXTRA_DIST += tests/lifecycle/renew.sh
TESTS += tests/lifecycle/rekey.sh
EXTRA_DIST += tests/lifecycle/rekey.sh
TESTS += tests/lifecycle/renew-ceremony.sh
EXTRA_DIST += tests/lifecycle/renew-ceremony.sh

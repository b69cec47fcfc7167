# Hardening II (issue 12), token: tests of the hostile-input area.
TESTS += tests/hostile/token-module.sh
TESTS += tests/hostile/token-pin.sh
TESTS += tests/hostile/token-tui.sh
EXTRA_DIST += tests/hostile/token-module.sh tests/hostile/token-pin.sh \
	tests/hostile/token-tui.sh

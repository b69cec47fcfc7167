# Fragment of Makefile.am owned by the line-station area (issue 20):
# factorysign provision against the simulated nRF91 on a pty
# (tests/line/modemsim.py). Real modems were not available to the tests.
TESTS += tests/line/provision.sh tests/line/faults.sh tests/line/lock.sh \
	tests/line/kill.sh tests/line/hostile.sh tests/line/watch.sh
EXTRA_DIST += tests/line/provision.sh tests/line/faults.sh \
	tests/line/lock.sh tests/line/kill.sh tests/line/hostile.sh \
	tests/line/watch.sh \
	tests/line/lib-line.sh tests/line/modemsim.py

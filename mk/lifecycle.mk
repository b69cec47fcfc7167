# Fragment of Makefile.am owned by the lifecycle area (issue 15): key
# quality, root rollover (cross-signing), what is due.
libkc_la_SOURCES += \
	include/kc/keyquality.h src/lib/keyquality.c

TESTS += tests/lifecycle/keyquality.sh
EXTRA_DIST += tests/lifecycle/keyquality.sh tests/lifecycle/badkeys.py

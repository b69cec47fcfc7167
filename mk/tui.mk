# Fragment of Makefile.am owned by the tui area (see docs/HACKING.md):
# the K-of-N PIN quorum, the ncurses TUI and their tests.
libkc_la_SOURCES += include/kc/quorum.h src/lib/quorum.c

keyceremony_SOURCES += src/ceremony/cmd_quorum.c

check_PROGRAMS += tests/unit/test_quorum
tests_unit_test_quorum_SOURCES = tests/unit/test_quorum.c
tests_unit_test_quorum_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_quorum_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_quorum
TESTS += tests/softhsm/quorum-cli.sh

# Fragment of Makefile.am owned by the tui area (see docs/HACKING.md):
# the K-of-N PIN quorum, the ncurses TUI (src/tui: only draw.c and input.c
# include curses) and their tests (tmux-driven for the screens).
libkc_la_SOURCES += include/kc/quorum.h src/lib/quorum.c

keyceremony_SOURCES += src/ceremony/cmd_quorum.c src/ceremony/cmd_tui.c \
	src/tui/tui.h src/tui/tui.c src/tui/draw.c src/tui/input.c \
	src/tui/field.c src/tui/util.c \
	src/tui/view_home.c src/tui/view_roles.c src/tui/view_preflight.c \
	src/tui/view_pin.c src/tui/view_operation.c src/tui/view_end.c
keyceremony_LDADD += -lpthread

check_PROGRAMS += tests/unit/test_quorum
tests_unit_test_quorum_SOURCES = tests/unit/test_quorum.c
tests_unit_test_quorum_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_quorum_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_quorum
TESTS += tests/softhsm/quorum-cli.sh
TESTS += tests/softhsm/tui-frame.sh tests/softhsm/tui-quorum.sh \
	tests/softhsm/tui-root.sh tests/softhsm/tui-intermediate.sh

EXTRA_DIST += tests/tui-lib.sh tests/fixtures/tui/root.yaml \
	tests/fixtures/tui/intermediate.yaml
dist_doc_DATA += docs/runbook.md

check_PROGRAMS += tests/unit/test_tui
tests_unit_test_tui_SOURCES = tests/unit/test_tui.c src/tui/field.c src/tui/util.c
tests_unit_test_tui_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/src/tui
tests_unit_test_tui_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_tui

# Tests of the K-of-N PIN quorum and the ncurses TUI (src/ceremony/tui:
# only draw.c and input.c include curses), tmux-driven for the screens.

check_PROGRAMS += tests/unit/test_quorum
tests_unit_test_quorum_SOURCES = tests/unit/test_quorum.c
tests_unit_test_quorum_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_quorum_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_quorum
TESTS += tests/softhsm/quorum-cli.sh
TESTS += tests/softhsm/tui-frame.sh tests/softhsm/tui-quorum.sh \
	tests/softhsm/tui-root.sh tests/softhsm/tui-intermediate.sh

EXTRA_DIST += tests/tui-lib.sh tests/fixtures/tui/root.yaml \
	tests/fixtures/tui/intermediate.yaml
dist_doc_DATA += docs/runbook.md

check_PROGRAMS += tests/unit/test_tui
tests_unit_test_tui_SOURCES = tests/unit/test_tui.c src/ceremony/tui/field.c src/ceremony/tui/util.c
tests_unit_test_tui_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/src/ceremony/tui
tests_unit_test_tui_LDADD = $(KC_CEREMONY_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_tui

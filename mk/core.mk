# Core: libkc (the library both programs and the TUI use), the programs'
# shared front-end helpers, keyceremony's main, and the foundation tests.

noinst_LTLIBRARIES += libkc.la
libkc_la_SOURCES = \
	include/kc/error.h src/lib/error.c \
	include/kc/display.h src/lib/display.c \
	include/kc/secret.h src/lib/secret.c \
	include/kc/fileio.h src/lib/fileio.c \
	include/kc/x509.h src/lib/x509.c src/lib/profile.c src/lib/lint.c \
	include/kc/ops.h src/lib/op_root.c src/lib/dpscode.c
libkc_la_CPPFLAGS = $(AM_CPPFLAGS) $(P11_CFLAGS) $(P11KIT_CFLAGS) \
	$(SQLITE_CFLAGS) $(CBOR_CFLAGS) $(YAML_CFLAGS) $(GFSHARE_CFLAGS)
libkc_la_LIBADD = $(P11_LIBS) $(CRYPTO_LIBS) $(SQLITE_LIBS) $(CBOR_LIBS) \
	$(YAML_LIBS) $(GFSHARE_LIBS) -ldl

# Front-end helpers shared by keyceremony and factorysign (they may print
# and exit; libkc may not).
noinst_LTLIBRARIES += libkcfront.la
libkcfront_la_SOURCES = \
	src/common/front.h src/common/front.c src/common/json.c
libkcfront_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/common

bin_PROGRAMS += keyceremony
keyceremony_SOURCES = \
	src/ceremony/main.c src/ceremony/commands.h \
	src/ceremony/session.h src/ceremony/session.c \
	src/ceremony/cmd_root.c
keyceremony_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/common \
	-I$(top_srcdir)/src/ceremony $(NCURSES_CFLAGS)
keyceremony_LDADD = libkcfront.la libkc.la $(NCURSES_LIBS) $(CRYPTO_LIBS)

dist_man_MANS += docs/keyceremony.1

# Unit tests (cmocka, TAP output).
# the cmocka fixture for tests that need a scratch directory
EXTRA_DIST += tests/unit/tmpdir.h
check_PROGRAMS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_core_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_core

TESTS += tests/softhsm/man-options.sh

check_PROGRAMS += tests/unit/test_x509
tests_unit_test_x509_SOURCES = tests/unit/test_x509.c
tests_unit_test_x509_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_x509_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_x509
TESTS += tests/softhsm/root.sh
TESTS += tests/softhsm/quickstart.sh

# First use (issue 14), ceremony side: quorum sheets, the quickstart and its
# suggested commands, run --check without a site.
TESTS += tests/first-use/quorum-sheets.sh
libkc_la_SOURCES += include/kc/review.h src/lib/ceremony_review.c
TESTS += tests/first-use/run-check.sh
# An uninstalled keyceremony (run from this build tree) finds the example
# ceremonies in the source tree (src/ceremony/cmd_tui.c).
keyceremony_CPPFLAGS += -DKC_BUILD_DIR='"$(abs_top_builddir)"' \
	-DKC_BUILD_SRCDIR='"$(abs_top_srcdir)"'
TESTS += tests/first-use/quickstart-paste.sh

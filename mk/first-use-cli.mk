# First use (issue 14), ceremony side: quorum sheets, the quickstart and its
# suggested commands, run --check without a site.
TESTS += tests/first-use/quorum-sheets.sh
libkc_la_SOURCES += include/kc/review.h src/lib/ceremony_review.c
TESTS += tests/first-use/run-check.sh

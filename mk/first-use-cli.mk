# First use (issue 14), ceremony side: quorum sheets, the quickstart and its
# suggested commands, run --check without a site.
TESTS += tests/first-use/quorum-sheets.sh

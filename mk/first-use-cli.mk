# First use (issue 14), ceremony side: quorum sheets, the quickstart and its
# suggested commands, run --check without a site.
TESTS += tests/first-use/quorum-sheets.sh
TESTS += tests/first-use/run-check.sh
# An uninstalled keyceremony (run from this build tree) finds the example
# ceremonies in the source tree (src/ceremony/cmd_tui.c).
TESTS += tests/first-use/quickstart-paste.sh
# Every command's options as its --help shows them (man-options.sh,
# secret-argv.sh, help.sh).
EXTRA_DIST += tests/help-options.py
# -h/--help on every command, subcommand and group (issue 14 item 19).
TESTS += tests/first-use/help.sh
# --json (schema 1, docs/json.md), --quiet and --verbose (issue 14 item 20).
TESTS += tests/first-use/json.sh
dist_doc_DATA += docs/json.md

# Tests of the paper trail (issue 16): keyceremony script and report. The
# renderers (cairo, pango, libqrencode) are linked into keyceremony only,
# through libkc-paper; factorysign never links them.

TESTS += tests/paper/script.sh tests/paper/report.sh tests/paper/tui-qr.sh
EXTRA_DIST += tests/paper/paper-lib.sh

# the runbook shows page 1 of each (pdftoppm -r 55 -gray of a rehearsal)
dist_doc_DATA += docs/paper-script.png docs/paper-report.png

# The paper trail (issue 16): keyceremony script and keyceremony report.
# The renderers (cairo, pango, libqrencode) are linked into keyceremony
# only, through libkcpaper; factorysign never links them.

noinst_LTLIBRARIES += libkcpaper.la
libkcpaper_la_SOURCES = \
	include/kc/paper.h include/kc/qr.h \
	src/lib/paper_model.c src/lib/paper_report.c \
	src/lib/paper_pdf.c src/lib/paper_text.c src/lib/qr.c
libkcpaper_la_CPPFLAGS = $(AM_CPPFLAGS) $(PAPER_CFLAGS) -I$(top_srcdir)/src/lib
libkcpaper_la_LIBADD = $(PAPER_LIBS)

keyceremony_SOURCES += src/ceremony/cmd_paper.c
keyceremony_LDADD += libkcpaper.la libkc.la $(PAPER_LIBS) $(CRYPTO_LIBS)

TESTS += tests/paper/script.sh tests/paper/report.sh tests/paper/tui-qr.sh
EXTRA_DIST += tests/paper/paper-lib.sh

# the runbook shows page 1 of each (pdftoppm -r 55 -gray of a rehearsal)
dist_doc_DATA += docs/paper-script.png docs/paper-report.png

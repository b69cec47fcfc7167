# Fragment of Makefile.am: revocation-actions.txt (issue 15 item 2), what
# to run at the cloud services that do not read CRLs
# (kc/core/revactions.h), and the root side of it (keyceremony crl, the
# revoke ceremony, its export).
check_PROGRAMS += tests/unit/test_revactions
tests_unit_test_revactions_SOURCES = tests/unit/test_revactions.c
tests_unit_test_revactions_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS) \
	$(CMOCKA_CFLAGS)
tests_unit_test_revactions_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_revactions
# keyceremony crl --revoke, the revoke ceremony's transcript and export
TESTS += tests/revocation/root-actions.sh
# the TUI's revoke step shows them (tmux)
TESTS += tests/revocation/root-actions-tui.sh

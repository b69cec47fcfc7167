# The two programs on top of the libraries (mk/libs.mk).

# keyceremony: the air-gapped side (HSM, ceremonies, TUI, paper).
bin_PROGRAMS += keyceremony
keyceremony_SOURCES = \
	src/ceremony/main.c src/ceremony/commands.h \
	src/ceremony/session.h src/ceremony/session.c \
	src/ceremony/cmd_root.c src/ceremony/cmd_token.c src/ceremony/cmd_probe.c \
	src/ceremony/cmd_intermediate.c src/ceremony/cmd_verification.c \
	src/ceremony/cmd_crl.c src/ceremony/cmd_register.c \
	src/ceremony/cmd_cross.c src/ceremony/cmd_status.c \
	src/ceremony/cmd_run.c src/ceremony/cmd_transcript.c \
	src/ceremony/cmd_export.c src/ceremony/cmd_import.c \
	src/ceremony/cmd_quorum.c src/ceremony/cmd_paper.c \
	src/ceremony/cmd_tui.c \
	src/ceremony/cmd_backup.c \
	src/ceremony/tui/tui.h src/ceremony/tui/tui.c \
	src/ceremony/tui/draw.c src/ceremony/tui/input.c \
	src/ceremony/tui/field.c src/ceremony/tui/util.c \
	src/ceremony/tui/view_home.c src/ceremony/tui/view_roles.c \
	src/ceremony/tui/view_preflight.c src/ceremony/tui/view_pin.c \
	src/ceremony/tui/view_operation.c src/ceremony/tui/view_end.c \
	src/ceremony/tui/view_shares.c
# An uninstalled keyceremony (run from this build tree) finds the example
# ceremonies in the source tree (src/ceremony/cmd_tui.c).
keyceremony_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/front \
	-I$(top_srcdir)/src/ceremony $(NCURSES_CFLAGS) \
	-DKC_BUILD_DIR='"$(abs_top_builddir)"' \
	-DKC_BUILD_SRCDIR='"$(abs_top_srcdir)"'
keyceremony_LDADD = libkcfront.la libkc-paper.la $(KC_CEREMONY_LA) \
	$(NCURSES_LIBS) $(PAPER_LIBS) $(CRYPTO_LIBS) -lpthread

# factorysign: the factory side (no HSM): core and factory library only.
bin_PROGRAMS += factorysign
factorysign_SOURCES = \
	src/factory/main.c src/factory/commands.h \
	src/factory/opts.h src/factory/opts.c \
	src/factory/cmd_init.c src/factory/cmd_install.c \
	src/factory/cmd_sign.c src/factory/cmd_batch.c \
	src/factory/cmd_issue.c src/factory/cmd_verification.c \
	src/factory/cmd_crl.c \
	src/factory/cmd_check.c src/factory/cmd_ledger.c \
	src/factory/cmd_keygen.c src/factory/cmd_attest.c \
	src/factory/export_nrfcloud.c src/factory/cmd_status.c \
	src/factory/cmd_provision.c
factorysign_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/front -I$(top_srcdir)/src/factory
factorysign_LDADD = libkcfront.la $(KC_FACTORY_LA) $(CRYPTO_LIBS)

dist_man_MANS += docs/keyceremony.1 docs/factorysign.1

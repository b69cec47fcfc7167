# The libraries, one per layer (docs/HACKING.md, "Layers"):
#
#   libkc-core.la      src/core      what both sides need: errors, secrets,
#                                    hostile-safe file I/O, the display
#                                    escaper, X.509 names/profiles/lint, CSR
#                                    intake, key quality, PGP words, DPS codes.
#                                    Links libcrypto only.
#   libkc-hsm.la       src/hsm       the token layer: the only code that
#                                    includes libp11 or PKCS#11 headers.
#   libkc-ceremony.la  src/ceremony/lib   ceremony files (YAML), the engine,
#                                    preflight, transcript, media, register,
#                                    quorum (gfshare), the root operations.
#   libkc-paper.la     src/ceremony/paper the script and report (cairo,
#                                    pango, libqrencode).
#   libkc-factory.la   src/factory/lib    the factory state, hot path, writer,
#                                    ledger, output formats, nRF91 intake.
#
# A library lists only its own external libraries: programs and tests name
# every layer they use, top first (KC_*_LA below), so no convenience library
# is copied into another. The factory side is compiled with
# $(KC_FORBID_CPPFLAGS) first on its include path: a header of the HSM or
# ceremony side, or of libp11/PKCS#11/libyaml/gfshare/curses/cairo, is an
# #error there (mk/layering.mk, tests/layering.sh).

KC_CORE_LA = libkc-core.la
KC_HSM_LA = libkc-hsm.la libkc-core.la
KC_CEREMONY_LA = libkc-ceremony.la libkc-hsm.la libkc-core.la
KC_FACTORY_LA = libkc-factory.la libkc-core.la
# the tests and fuzzers that use both sides
KC_ALL_LA = libkc-ceremony.la libkc-hsm.la libkc-factory.la libkc-core.la

noinst_LTLIBRARIES += libkc-core.la
libkc_core_la_SOURCES = \
	include/kc/core/error.h src/core/error.c \
	include/kc/core/strbuf.h src/core/strbuf.c \
	include/kc/core/display.h src/core/display.c src/core/hashshow.c \
	include/kc/core/secret.h src/core/secret.c \
	include/kc/core/fileio.h src/core/fileio.c \
	include/kc/core/x509.h src/core/x509.c src/core/profile.c src/core/lint.c \
	include/kc/core/csr.h src/core/csr.c \
	include/kc/core/keyquality.h src/core/keyquality.c \
	include/kc/core/pgpwords.h src/core/pgpwords.c \
	include/kc/core/dps.h src/core/dpscode.c \
	include/kc/core/crl.h src/core/crl.c \
	include/kc/core/revactions.h src/core/revactions.c
libkc_core_la_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS)
libkc_core_la_LIBADD = $(CRYPTO_LIBS)

noinst_LTLIBRARIES += libkc-hsm.la
libkc_hsm_la_SOURCES = \
	include/kc/hsm/token.h src/hsm/token_int.h src/hsm/token.c \
	src/hsm/token_load.c src/hsm/token_slot.c src/hsm/token_keys.c \
	src/hsm/token_keygen.c src/hsm/token_pkey.c \
	include/kc/hsm/wrap.h src/hsm/token_wrap.c src/hsm/token_wrap_probe.c \
	src/hsm/token_sign.h src/hsm/token_sign.c \
	src/hsm/token_tmpl.c src/hsm/token_mech.c src/hsm/token_probe.c
libkc_hsm_la_CPPFLAGS = $(AM_CPPFLAGS) $(P11_CFLAGS) $(P11KIT_CFLAGS)
libkc_hsm_la_LIBADD = $(P11_LIBS) $(CRYPTO_LIBS) -ldl

noinst_LTLIBRARIES += libkc-ceremony.la
libkc_ceremony_la_SOURCES = \
	src/ceremony/lib/yamltree.h src/ceremony/lib/yamltree.c \
	include/kc/ceremony/engine.h src/ceremony/lib/ceremony_int.h \
	src/ceremony/lib/ceremony_parse.h src/ceremony/lib/ceremony.c \
	src/ceremony/lib/ceremony_fields.c src/ceremony/lib/ceremony_model.c \
	src/ceremony/lib/site.c \
	include/kc/ceremony/review.h src/ceremony/lib/ceremony_review.c \
	src/ceremony/lib/engine_int.h src/ceremony/lib/engine.c \
	src/ceremony/lib/engine_actions.c src/ceremony/lib/preflight.c \
	src/ceremony/lib/engine_io.c src/ceremony/lib/engine_restore.c \
	include/kc/ceremony/transcript.h src/ceremony/lib/transcript_int.h \
	src/ceremony/lib/transcript.c src/ceremony/lib/transcript_enc.c \
	src/ceremony/lib/transcript_read.c src/ceremony/lib/transcript_dir.c \
	include/kc/ceremony/media.h src/ceremony/lib/media_int.h \
	src/ceremony/lib/media_screen.c src/ceremony/lib/media_open.c \
	src/ceremony/lib/media_batch.c src/ceremony/lib/media_sums.c \
	src/ceremony/lib/media_export.c src/ceremony/lib/media_import.c \
	include/kc/ceremony/register.h src/ceremony/lib/register.c \
	include/kc/ceremony/quorum.h src/ceremony/lib/quorum.c \
	include/kc/ceremony/crl.h src/ceremony/lib/crl_root.c \
	src/ceremony/lib/revact_root.c \
	include/kc/ceremony/ops.h src/ceremony/lib/issue_int.h \
	src/ceremony/lib/issue.c src/ceremony/lib/op_root.c \
	src/ceremony/lib/op_intermediate.c src/ceremony/lib/op_verification.c \
	src/ceremony/lib/op_crl.c \
	include/kc/ceremony/cross.h src/ceremony/lib/op_cross.c \
	include/kc/ceremony/backup.h src/ceremony/lib/backup_medium.c \
	src/ceremony/lib/op_restore.c src/ceremony/lib/backup_record.c
libkc_ceremony_la_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS) $(YAML_CFLAGS) \
	$(GFSHARE_CFLAGS)
libkc_ceremony_la_LIBADD = $(SQLITE_LIBS) $(YAML_LIBS) $(GFSHARE_LIBS) \
	$(CRYPTO_LIBS)

noinst_LTLIBRARIES += libkc-paper.la
libkc_paper_la_SOURCES = \
	include/kc/ceremony/paper.h include/kc/ceremony/qr.h \
	src/ceremony/paper/paper_model.c src/ceremony/paper/paper_report.c \
	src/ceremony/paper/paper_pdf.c src/ceremony/paper/paper_text.c \
	src/ceremony/paper/qr.c
libkc_paper_la_CPPFLAGS = $(AM_CPPFLAGS) $(PAPER_CFLAGS) \
	-I$(top_srcdir)/src/ceremony/lib
libkc_paper_la_LIBADD = $(PAPER_LIBS)

noinst_LTLIBRARIES += libkc-factory.la
libkc_factory_la_SOURCES = \
	include/kc/factory/factory.h src/factory/lib/factory_int.h \
	src/factory/lib/factory.c src/factory/lib/factory_fast.c \
	src/factory/lib/factory_batch.c src/factory/lib/factory_opts.c \
	src/factory/lib/factory_issue.c src/factory/lib/factory_verification.c \
	include/kc/factory/crl.h src/factory/lib/factory_crl.c \
	src/factory/lib/fcrl_int.h src/factory/lib/factory_crl_names.c \
	src/factory/lib/factory_crl_issuer.c \
	src/factory/lib/factory_csr.c src/factory/lib/factory_buf.c \
	src/factory/lib/factory_out.c src/factory/lib/factory_check.c \
	src/factory/lib/factory_key.c src/factory/lib/factory_rerun.c \
	src/factory/lib/factory_rotate.c \
	include/kc/factory/fnames.h src/factory/lib/factory_names.c \
	src/factory/lib/formats.c \
	include/kc/factory/csv.h src/factory/lib/csv.c \
	include/kc/factory/ledger.h src/factory/lib/ledger.c src/factory/lib/ledger_row.c \
	src/factory/lib/ledger_int.h src/factory/lib/ledger_sqlite.c \
	src/factory/lib/ledger_pg.c src/factory/lib/ledger_copy.c \
	src/factory/lib/ledger_pg_int.h src/factory/lib/ledger_pg3.c \
	src/factory/lib/ledger_pg_batch.c \
	include/kc/factory/nrf.h src/factory/lib/nrf.c src/factory/lib/nrf_out.c \
	src/factory/lib/nrf_cloud.c \
	src/factory/lib/nrf_int.h src/factory/lib/nrf_cose.c \
	include/kc/factory/provision.h src/factory/lib/provision_int.h \
	src/factory/lib/serial.c src/factory/lib/provision.c \
	src/factory/lib/provision_at.c
libkc_factory_la_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS) \
	$(SQLITE_CFLAGS) $(PQ_CFLAGS) $(CBOR_CFLAGS)
libkc_factory_la_LIBADD = $(SQLITE_LIBS) $(PQ_LIBS) $(CBOR_LIBS) \
	$(CRYPTO_LIBS)

# Front-end helpers shared by keyceremony and factorysign (they may print
# and exit; the libraries may not).
noinst_LTLIBRARIES += libkcfront.la
libkcfront_la_SOURCES = \
	src/front/front.h src/front/front.c src/front/json.c \
	src/front/opt.h src/front/opt.c src/front/dispatch.c
libkcfront_la_CPPFLAGS = $(KC_FORBID_CPPFLAGS) $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/front

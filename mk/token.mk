# Fragment of Makefile.am owned by the token area (src/lib/token.c, cmd_token.c).
libkc_la_SOURCES += include/kc/token.h src/lib/token.c
# signatures by the token's own C_Sign (issue 13)
libkc_la_SOURCES += src/lib/token_sign.h src/lib/token_sign.c
# the site profile's key-template (issue 13)
libkc_la_SOURCES += src/lib/token_tmpl.c
keyceremony_SOURCES += src/ceremony/cmd_token.c
# issue 13: mechanism sizes, rehearsal tokens, token probe
libkc_la_SOURCES += src/lib/token_int.h src/lib/token_mech.c \
	src/lib/token_probe.c
keyceremony_SOURCES += src/ceremony/cmd_probe.c

# tests/unit/test_token runs against a SoftHSM token that
# tests/softhsm/token-keys.sh sets up; it is not a TEST on its own.
check_PROGRAMS += tests/unit/test_token
tests_unit_test_token_SOURCES = tests/unit/test_token.c
tests_unit_test_token_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) $(P11KIT_CFLAGS)
tests_unit_test_token_LDADD = libkc.la $(CMOCKA_LIBS) $(CRYPTO_LIBS) -ldl
TESTS += tests/softhsm/token.sh tests/softhsm/token-keys.sh

# Tests of the token layer (libkc-hsm, src/hsm).
# signatures by the token's own C_Sign (issue 13)
# the site profile's key-template (issue 13)
# issue 13: mechanism sizes, rehearsal tokens, token probe

# tests/unit/test_token runs against a SoftHSM token that
# tests/softhsm/token-keys.sh sets up; it is not a TEST on its own.
check_PROGRAMS += tests/unit/test_token
tests_unit_test_token_SOURCES = tests/unit/test_token.c
tests_unit_test_token_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) $(P11KIT_CFLAGS)
tests_unit_test_token_LDADD = $(KC_HSM_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS) -ldl
TESTS += tests/softhsm/token.sh tests/softhsm/token-keys.sh

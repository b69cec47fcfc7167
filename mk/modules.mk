# Other PKCS#11 modules (issue 13): tests/lib-modules.sh gives a test private
# tokens of tpm2-pkcs11 on swtpm (tpm2-abrmd on a private bus, or straight),
# openCryptoki's soft token with pkcsslotd and p11-kit-proxy in front of
# SoftHSM, in its temp dir and a private mount+IPC namespace; smoke.sh proves
# each works and reports what `keyceremony token list` does on it.
TESTS += tests/modules/smoke.sh
EXTRA_DIST += tests/lib-modules.sh tests/modules/smoke.sh

# docs/hsm-notes.md: per-vendor PKCS#11 notes, linked from the runbook (3.1).
dist_doc_DATA += docs/hsm-notes.md
# issue 13 (m-probe): mechanism sizes, key label, rehearsal vs production
# at the preflight; token probe on every module; the openCryptoki matrix.
TESTS += tests/modules/preflight.sh tests/modules/probe.sh tests/modules/ock.sh \
	tests/modules/tui-rehearsal.sh
EXTRA_DIST += tests/modules/preflight.sh tests/modules/probe.sh \
	tests/modules/ock.sh tests/modules/tui-rehearsal.sh
# issue 13 (m-core): the command round on SoftHSM, p11-kit-proxy and
# tpm2-pkcs11 (signing mechanism, public key source, key-template,
# removal of a failed key); matrix-lib.sh is their shared round.
TESTS += tests/modules/softhsm.sh tests/modules/p11kit.sh tests/modules/tpm2.sh
EXTRA_DIST += tests/modules/matrix-lib.sh tests/modules/softhsm.sh \
	tests/modules/p11kit.sh tests/modules/tpm2.sh
# what a token offers from C_GetMechanismInfo, rehearsal tokens (unit)
check_PROGRAMS += tests/unit/test_token_mech
tests_unit_test_token_mech_SOURCES = tests/unit/test_token_mech.c
tests_unit_test_token_mech_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_token_mech_LDADD = $(KC_HSM_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_token_mech
# the key-template rules at the API (m-core)
check_PROGRAMS += tests/unit/test_keytmpl
tests_unit_test_keytmpl_SOURCES = tests/unit/test_keytmpl.c
tests_unit_test_keytmpl_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_keytmpl_LDADD = $(KC_HSM_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_keytmpl

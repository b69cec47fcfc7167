# Fragment of Makefile.am owned by the hardening area (see docs/HACKING.md):
# fuzz targets and their replay tests, hostile inputs, fault injection,
# secret hygiene, `make fuzz` and `make memcheck`.

# --- fuzzing -------------------------------------------------------------
# Each target is one LLVMFuzzerTestOneInput in tests/fuzz/fuzz_<t>.c. In
# every build it is linked with tests/fuzz/replay.c into the test
# tests/fuzz/replay_<t>, which replays the seed corpus and every regression
# input; with --enable-fuzzing (CC=clang) it is also a libFuzzer binary
# tests/fuzz/fuzz_<t> that `make fuzz` runs.
FUZZ_TARGETS = csr keygen keygenraw ceremony transcript
FUZZ_SECONDS = 60
FUZZ_LDADD = $(KC_ALL_LA) $(CRYPTO_LIBS)

check_PROGRAMS += tests/fuzz/replay_csr tests/fuzz/replay_keygen \
	tests/fuzz/replay_keygenraw tests/fuzz/replay_ceremony \
	tests/fuzz/replay_transcript
TESTS += tests/fuzz/replay_csr tests/fuzz/replay_keygen \
	tests/fuzz/replay_keygenraw tests/fuzz/replay_ceremony \
	tests/fuzz/replay_transcript
tests_fuzz_replay_csr_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_csr.c
tests_fuzz_replay_csr_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_keygen_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_keygen.c
tests_fuzz_replay_keygen_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_keygenraw_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_keygenraw.c
tests_fuzz_replay_keygenraw_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_ceremony_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_ceremony.c tests/fuzz/fuzz_file.h
tests_fuzz_replay_ceremony_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_transcript_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_transcript.c tests/fuzz/fuzz_file.h
tests_fuzz_replay_transcript_LDADD = $(FUZZ_LDADD)

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_csr tests/fuzz/fuzz_keygen \
	tests/fuzz/fuzz_keygenraw tests/fuzz/fuzz_ceremony \
	tests/fuzz/fuzz_transcript
tests_fuzz_fuzz_csr_SOURCES = tests/fuzz/fuzz_csr.c
tests_fuzz_fuzz_csr_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_csr_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_keygen_SOURCES = tests/fuzz/fuzz_keygen.c
tests_fuzz_fuzz_keygen_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_keygen_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_keygenraw_SOURCES = tests/fuzz/fuzz_keygenraw.c
tests_fuzz_fuzz_keygenraw_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_keygenraw_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_ceremony_SOURCES = tests/fuzz/fuzz_ceremony.c \
	tests/fuzz/fuzz_file.h
tests_fuzz_fuzz_ceremony_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_ceremony_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_transcript_SOURCES = tests/fuzz/fuzz_transcript.c \
	tests/fuzz/fuzz_file.h
tests_fuzz_fuzz_transcript_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_transcript_LDADD = $(FUZZ_LDADD)

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="csr ..."]
fuzz: $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%)
	$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) \
		$(top_srcdir)/tests/fuzz $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: this build has no fuzzers; configure a separate build" \
	    "directory with: CC=clang $(top_srcdir)/configure --enable-fuzzing" >&2
	@exit 1
endif
.PHONY: fuzz

EXTRA_DIST += tests/fuzz/corpus tests/fuzz/regressions \
	tests/fuzz/make-corpus.py tests/fuzz/run-fuzz.sh

# --- make memcheck ------------------------------------------------------
# The SoftHSM end-to-end tests with both programs under valgrind (through
# KC_WRAPPER, see tests/lib.sh). Suppressions (tests/valgrind.supp) cover
# SoftHSM, libp11 and OpenSSL internals only. Each process logs to
# memcheck-logs/; any log with an error, a definite or indirect leak fails
# (processes a test kills on purpose leave no summary and are counted).
MEMCHECK_VALGRIND = valgrind --error-exitcode=1 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--num-callers=40 --suppressions=$(abs_top_srcdir)/tests/valgrind.supp \
	--log-file=$(abs_top_builddir)/memcheck-logs/vg.%p.log
if SANITIZERS
memcheck:
	@echo "make memcheck: valgrind cannot run sanitizer builds; use a build" \
	    "configured without --enable-sanitizers" >&2
	@exit 1
else
memcheck: all $(check_PROGRAMS)
	@rm -rf memcheck-logs && mkdir -p memcheck-logs && chmod 1777 memcheck-logs
	@list=""; for t in $(TESTS); do case $$t in \
	    tests/softhsm/*.sh|tests/hostile/*.sh) list="$$list $$t";; esac; done; \
	env KC_WRAPPER="$(MEMCHECK_VALGRIND)" $(MAKE) $(AM_MAKEFLAGS) check \
	    TESTS="$$list" TEST_SUITE_LOG=memcheck-suite.log; \
	rc=$$?; \
	n=$$(ls memcheck-logs | wc -l); \
	bad=$$(grep -l 'ERROR SUMMARY: [1-9]' memcheck-logs/vg.*.log 2>/dev/null); \
	killed=$$(grep -L 'ERROR SUMMARY' memcheck-logs/vg.*.log 2>/dev/null | wc -l); \
	for f in $$bad; do echo "== $$f"; sed -n '/^==[0-9]*== [A-Z][a-z]/,$$p' "$$f" | head -60; done; \
	echo "memcheck: $$n processes under valgrind, $$(echo $$bad | wc -w) with errors or leaks, $$killed killed by their test before exit; tests exit $$rc"; \
	test $$rc -eq 0 && test -z "$$bad"
endif
.PHONY: memcheck
EXTRA_DIST += tests/valgrind.supp

# --- hostile inputs -----------------------------------------------------
# tests/hostile/csr/: malformed CSRs and their MANIFEST (made once by
# tests/hostile/make-inputs.py, committed). csr_intake runs them through
# CSR intake; tests/hostile/*.sh through the commands.
check_PROGRAMS += tests/hostile/csr_intake
tests_hostile_csr_intake_SOURCES = tests/hostile/csr_intake.c
tests_hostile_csr_intake_LDADD = $(KC_CORE_LA) $(CRYPTO_LIBS)
TESTS += tests/hostile/csr_intake
EXTRA_DIST += tests/hostile/csr tests/hostile/make-inputs.py
TESTS += tests/hostile/csr.sh
# tests/hostile/vectors.sh: an independent corpus (pyca/cryptography's
# x509 test vectors, Debian's python3-cryptography-vectors) through every
# X.509 intake; tests/hostile/vectors.py lists and re-signs its files.
TESTS += tests/hostile/vectors.sh tests/hostile/install-critical.sh \
	tests/hostile/root-crl-scope.sh
EXTRA_DIST += tests/hostile/vectors.py

# --- fault injection ------------------------------------------------------
check_PROGRAMS += tests/faults/mkcsrs
tests_faults_mkcsrs_SOURCES = tests/faults/mkcsrs.c
tests_faults_mkcsrs_LDADD = $(CRYPTO_LIBS)
TESTS += tests/faults/batch-kill.sh
EXTRA_DIST += tests/faults/ledger-check.py
TESTS += tests/faults/enospc.sh tests/faults/no-tmpfile.sh

# --- unit tests of the hardening area ----------------------------------------
check_PROGRAMS += tests/unit/test_hardening
tests_unit_test_hardening_SOURCES = tests/unit/test_hardening.c
tests_unit_test_hardening_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hardening_LDADD = $(KC_CORE_LA) $(CMOCKA_LIBS) $(CRYPTO_LIBS)
TESTS += tests/unit/test_hardening

# A PKCS#11 module that adds a real HSM's wrong-PIN counter in front of
# SoftHSM (tests/faults/p11shim.c); built for `make check` only.
check_DATA = tests/faults/p11shim.so
tests/faults/p11shim.so: tests/faults/p11shim.c
	@$(MKDIR_P) tests/faults
	$(AM_V_CC)$(CC) -shared -fPIC -o $@ $(P11KIT_CFLAGS) \
		$(srcdir)/tests/faults/p11shim.c -ldl
CLEANFILES += tests/faults/p11shim.so
EXTRA_DIST += tests/faults/p11shim.c
TESTS += tests/faults/pin.sh
TESTS += tests/faults/module.sh

# --- secrets ------------------------------------------------------------------
# tests/scan-secrets.sh DIR...: reusable private-key scanner.
TESTS += tests/secrets/core.sh tests/secrets/scan.sh
EXTRA_DIST += tests/scan-secrets.sh

# Hardening II (issue 12), media: tests of the hostile-input area.
TESTS += tests/hostile/media.sh
EXTRA_DIST += tests/hostile/media.sh tests/hostile/make-media.py

# A second attacker: the medium swapped for a link after its check, an
# export killed half way, the PIN file as a ceremony input
# (tests/hostile/mediaswap.c, an LD_PRELOAD shim, built for `make check`).
TESTS += tests/hostile/media-attack.sh
EXTRA_DIST += tests/hostile/media-attack.sh tests/hostile/mediaswap.c
check_DATA += tests/hostile/mediaswap.so
tests/hostile/mediaswap.so: tests/hostile/mediaswap.c
	@$(MKDIR_P) tests/hostile
	$(AM_V_CC)$(CC) -shared -fPIC -o $@ $(srcdir)/tests/hostile/mediaswap.c -ldl
CLEANFILES += tests/hostile/mediaswap.so

# Hardening II (issue 12), media: tests of the hostile-input area.
TESTS += tests/hostile/media.sh
EXTRA_DIST += tests/hostile/media.sh tests/hostile/make-media.py

# Hardening II (issue 12), token: tests of the hostile-input area.

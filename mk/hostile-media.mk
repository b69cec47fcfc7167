# Hardening II (issue 12), media: tests of the hostile-input area.

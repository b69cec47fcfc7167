# Hardening II (issue 12), records: tests of the hostile-input area.

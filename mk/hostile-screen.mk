# Hardening II (issue 12), screen: tests of the hostile-input area.

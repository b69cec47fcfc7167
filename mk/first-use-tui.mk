# First use (issue 14), ceremony side: the TUI (file SHA-256 on Home and
# Preflight, Esc at export, one SIGN confirmation, Home messages, one hash
# grouping).

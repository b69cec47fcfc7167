# Fragment of Makefile.am owned by the tui area (see docs/HACKING.md).

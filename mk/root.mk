# Fragment of Makefile.am owned by the root area (see docs/HACKING.md).

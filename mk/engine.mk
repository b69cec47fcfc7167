# Fragment of Makefile.am owned by the engine area (see docs/HACKING.md).

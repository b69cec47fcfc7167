# Fragment of Makefile.am owned by the factory area (see docs/HACKING.md).

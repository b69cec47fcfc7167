# Fragment of Makefile.am owned by the hardening area (see docs/HACKING.md).

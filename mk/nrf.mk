# Fragment of Makefile.am owned by the nrf area (see docs/HACKING.md).

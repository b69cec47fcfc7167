# Fragment of Makefile.am owned by the token area (src/lib/token.c, cmd_token.c).
keyceremony_SOURCES += src/ceremony/cmd_token.c

# Fragment of Makefile.am: issue 14 factory-side tests (AT writer, sizes,
# rerun agreement, key formats, prompts), helper factory-b.

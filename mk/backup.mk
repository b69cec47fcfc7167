# Root key backup and restore (issue 17): `keyceremony backup create` and
# `backup restore` on two SoftHSM tokens (tests/backup/*.sh). bkhelper makes
# the backup-capable root key a ceremony with `backup:` will make, and
# reaches the token layer where no command does yet (tests/backup/bkhelper.c).
check_PROGRAMS += tests/backup/bkhelper
tests_backup_bkhelper_SOURCES = tests/backup/bkhelper.c
tests_backup_bkhelper_LDADD = $(KC_CEREMONY_LA) $(CRYPTO_LIBS)
TESTS += tests/backup/backup.sh tests/backup/backup-hostile.sh tests/backup/modules.sh
EXTRA_DIST += tests/backup/lib-backup.sh tests/backup/backup.sh \
	tests/backup/backup-hostile.sh tests/backup/modules.sh
# kill -9 at a chosen PKCS#11 call (tests/backup/killshim.c, kill.sh)
check_DATA += tests/backup/killshim.so
tests/backup/killshim.so: tests/backup/killshim.c
	@$(MKDIR_P) tests/backup
	$(AM_V_CC)$(CC) -shared -fPIC -o $@ $(P11KIT_CFLAGS) \
		$(srcdir)/tests/backup/killshim.c -ldl
CLEANFILES += tests/backup/killshim.so
EXTRA_DIST += tests/backup/killshim.c
TESTS += tests/backup/kill.sh
# the public export never goes to a backup medium (issue 17)
TESTS += tests/backup/export-medium.sh
EXTRA_DIST += tests/backup/export-medium.sh
# token keys shows a backup-capable and a restored key as they are
TESTS += tests/backup/token-keys.sh
EXTRA_DIST += tests/backup/token-keys.sh
# token probe --backup: the module's backup capability
TESTS += tests/backup/probe-backup.sh
EXTRA_DIST += tests/backup/probe-backup.sh
# backup create / restore --state: the register's record, no wrap key byte
TESTS += tests/backup/record.sh
EXTRA_DIST += tests/backup/record.sh
# a ceremony file's backup: on root-create (ceremony/root-ca-with-backup.yaml)
TESTS += tests/backup/ceremony.sh
EXTRA_DIST += tests/backup/ceremony.sh
dist_ceremony_DATA += ceremony/root-ca-with-backup.yaml
# ceremony/restore-root.yaml: the restore as a ceremony (root-restore step)
TESTS += tests/backup/restore-ceremony.sh
EXTRA_DIST += tests/backup/restore-ceremony.sh tests/backup/scan-wrap.py
dist_ceremony_DATA += ceremony/restore-root.yaml
# backup create / restore --state: their own transcript; --keep-wrap-key
TESTS += tests/backup/transcript.sh
EXTRA_DIST += tests/backup/transcript.sh
# make bench-backup (also under make bench): timings of the backup
# ceremony, backup create, restore and the restore ceremony on SoftHSM
# and p11-kit-proxy (tests/backup/bench.sh; not part of make check)
EXTRA_DIST += tests/backup/bench.sh
BENCH_REPS = 3
bench-backup: keyceremony
	BENCH_REPS=$(BENCH_REPS) KC_TOP_BUILDDIR=$(abs_top_builddir) KC_TOP_SRCDIR=$(abs_top_srcdir) \
	KC=$(abs_top_builddir)/keyceremony $(SHELL) $(top_srcdir)/tests/backup/bench.sh
bench: bench-backup
.PHONY: bench-backup
# the restore ceremony in the TUI (Shares screen)
TESTS += tests/backup/tui-restore.sh
EXTRA_DIST += tests/backup/tui-restore.sh
# root-ca-with-backup.yaml in the TUI
TESTS += tests/backup/tui-backup.sh
EXTRA_DIST += tests/backup/tui-backup.sh

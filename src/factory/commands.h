/* commands.h: factorysign's subcommands, one file each (cmd_*.c). Each
 * takes argv with argv[0] = the command's last word and returns an exit
 * status (front.h). */
#ifndef FS_COMMANDS_H
#define FS_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_verification(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ledger_export(int argc, char **argv);
int cmd_ledger_verify(int argc, char **argv);

#endif

/* cmd_root.c: keyceremony root create. */
#include "config.h"
#include "commands.h"
#include "front.h"
int cmd_root_create(int argc, char **argv) { (void)argc; (void)argv; return kc_front_usage("root create: not yet implemented"); }

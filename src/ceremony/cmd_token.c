/* cmd_token.c: keyceremony token list | token init. */
#include "config.h"
#include "commands.h"
#include "front.h"
int cmd_token_list(int argc, char **argv) { (void)argc; (void)argv; return kc_front_usage("token list: not yet implemented"); }
int cmd_token_init(int argc, char **argv) { (void)argc; (void)argv; return kc_front_usage("token init: not yet implemented"); }

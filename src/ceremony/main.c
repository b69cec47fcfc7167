/* main.c: keyceremony, the air-gapped root CA side. Hardening, then the
 * command table; every command lives in its own cmd_*.c. */
#include "config.h"

#include <stddef.h>

#include "commands.h"
#include "front.h"

static const struct kc_cmd commands[] = {
	{ "token", "list", cmd_token_list,
	  "token list [--module PATH]" },
	{ "token", "init", cmd_token_init,
	  "token init --label L --so-pin-file F --pin-file F [--module PATH]" },
	{ "token", "keys", cmd_token_keys,
	  "token keys --token L [--pin-file F] [--module PATH]" },
	{ "root", "create", cmd_root_create,
	  "root create --token L --label K --algorithm ALG --subject DN "
	  "--days N --out root.pem" },
	{ "quorum", "split", cmd_quorum_split,
	  "quorum split --threshold K --shares N [--pin-file F] [--label L] "
	  "[--out-dir DIR]" },
	{ "quorum", "combine", cmd_quorum_combine,
	  "quorum combine [--share-file F ...] [--out FILE]" },
	{ NULL, NULL, NULL, NULL }
};

int
main(int argc, char **argv)
{
	kc_front_init("keyceremony");
	return kc_front_dispatch(commands, argc, argv);
}

/* cmd_token.c: keyceremony token list | token init. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

#define MODULE_HELP "PKCS#11 module (default: $KEYCEREMONY_MODULE, else\n" \
	KC_DEFAULT_MODULE ")"

struct list_args {
	const char *module;
	int json;
};

static const struct kc_opt list_opts[] = {
	KC_O_STR(struct list_args, module, "module", "PATH", MODULE_HELP),
	KC_O_FLAG(struct list_args, json, "json", "the list as one JSON document on stdout (schema:\n"
	    "docs/json.md); errors still go to stderr"),
	KC_O_END
};

const struct kc_optdef cmd_token_list_opts = {
	"token list", "token list [--module PATH] [--json]",
	"\nLists the slots of a PKCS#11 module and their tokens: label,\n"
	"serial, manufacturer, model, flags, and whether the mechanisms a\n"
	"ceremony needs are there.\n",
	list_opts, 0, 0, NULL, 0
};

/* The module file and library as loaded, and the environment that
 * decides what else runs beside it. */
static void
print_module(const struct kc_token_ctx *ctx)
{
	const struct kc_module_info *mi = kc_token_module_info(ctx);
	const char *name, *v;

	printf("module: %s\n", kc_disp(kc_token_module(ctx)));
	printf("  file:         %s, %llu bytes\n", kc_disp(mi->realpath),
	    mi->size);
	printf("  SHA-256:      %s\n", kc_hash(mi->sha256));
	printf("  library:      %s", kc_disp_quoted(mi->manufacturer));
	printf(" %s version %s (Cryptoki %s)\n",
	    kc_disp_quoted(mi->description), kc_disp(mi->version),
	    kc_disp(mi->cryptoki));
	for (size_t i = 0; (name = kc_token_env_name(i)) != NULL; i++)
		if ((v = getenv(name)) != NULL)
			printf("  environment:  %s=%s\n", name,
			    kc_disp_quoted(v));
		else
			printf("  environment:  %s unset\n", name);
}

static void
print_flags(const struct kc_token_info *t)
{
	printf("  flags:        %s%s%s%s%s%s%s\n",
	    t->initialized ? "initialized" : "NOT-initialized",
	    t->user_pin_initialized ? " user-pin-set" : " NO-user-pin",
	    t->login_required ? " login-required" : "",
	    t->has_rng ? " rng" : " NO-rng",
	    t->pin_count_low ? " PIN-COUNT-LOW" : "",
	    t->pin_final_try ? " PIN-FINAL-TRY" : "",
	    t->pin_locked ? " PIN-LOCKED" : "");
}

/* The mechanisms, what C_GetMechanismInfo states about them, and the
 * root-key algorithms that follow (kc_token_alg_offered): only those the
 * token can make and sign with. */
static void
print_mechs(const struct kc_token_info *t)
{
	static const enum kc_alg algs[] = { KC_ALG_EC_P384, KC_ALG_EC_P256,
	    KC_ALG_RSA_3072, KC_ALG_RSA_4096 };
	char buf[256], ok[64];

	printf("  mechanisms:   EC-keygen %s, ECDSA %s, RSA-keygen %s, "
	    "RSA-PKCS %s\n",
	    t->mech_ec_keygen ? "yes" : "NO", t->mech_ecdsa ? "yes" : "NO",
	    t->mech_rsa_keygen ? "yes" : "NO", t->mech_rsa_pkcs ? "yes" : "NO");
	kc_token_mech_text("EC-keygen", &t->mi_ec_gen, buf, sizeof(buf));
	printf("  key sizes:    %s", buf);
	kc_token_mech_text("RSA-keygen", &t->mi_rsa_gen, buf, sizeof(buf));
	printf(", %s (bits)\n", buf);
	printf("  RSA signing:  SHA256-RSA-PKCS %s, SHA384-RSA-PKCS %s\n",
	    t->mi_rsa_sha256.present ? "yes" : "NO",
	    t->mi_rsa_sha384.present ? "yes" : "NO");
	kc_token_algs_offered(t, ok, sizeof(ok));
	printf("  ceremony:     %s\n", ok[0] ? ok : "none");
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!kc_token_alg_offered(t, algs[i], buf, sizeof(buf)))
			printf("  not offered:  %s\n", kc_disp(buf));
	if (ok[0] == '\0')
		printf("                (no algorithm usable: this token cannot "
		    "hold a root key)\n");
	if (kc_token_is_rehearsal(t))
		printf("  REHEARSAL:    %s, a software token: for rehearsals "
		    "only\n", kc_token_rehearsal_kind(t));
}

static const char *
tf(int v)
{
	return v ? "true" : "false";
}

/* token list --json (docs/json.md): strings from the module byte-wise
 * (kc_front_json_bytes), so the document is ASCII and always parses */
static void
json_module(const struct kc_token_ctx *ctx)
{
	const struct kc_module_info *mi = kc_token_module_info(ctx);
	const char *name, *v;

	printf("\"module\":{\"path\":");
	kc_front_json_bytes(kc_token_module(ctx));
	printf(",\"file\":");
	kc_front_json_bytes(mi->realpath);
	printf(",\"size\":%llu,\"sha256\":", mi->size);
	kc_front_json_bytes(mi->sha256);
	printf(",\"manufacturer\":");
	kc_front_json_bytes(mi->manufacturer);
	printf(",\"description\":");
	kc_front_json_bytes(mi->description);
	printf(",\"version\":");
	kc_front_json_bytes(mi->version);
	printf(",\"cryptoki\":");
	kc_front_json_bytes(mi->cryptoki);
	printf(",\"environment\":{");
	for (size_t i = 0; (name = kc_token_env_name(i)) != NULL; i++) {
		printf("%s", i ? "," : "");
		kc_front_json_bytes(name);
		putchar(':');
		if ((v = getenv(name)) != NULL)
			kc_front_json_bytes(v);
		else
			printf("null");
	}
	printf("}}");
}

static void
json_slot(const struct kc_token_info *t)
{
	static const enum kc_alg algs[] = { KC_ALG_EC_P384, KC_ALG_EC_P256,
	    KC_ALG_RSA_3072, KC_ALG_RSA_4096 };
	char why[256];
	int n = 0;

	printf("{\"id\":%lu,\"description\":", t->slot_id);
	kc_front_json_bytes(t->slot_desc);
	printf(",\"present\":%s,\"initialized\":%s", tf(t->present),
	    tf(t->present && t->initialized));
	if (!t->present || !t->initialized) {
		putchar('}');
		return;
	}
	printf(",\"label\":");
	kc_front_json_bytes(t->label);
	printf(",\"serial\":");
	kc_front_json_bytes(t->serial);
	printf(",\"manufacturer\":");
	kc_front_json_bytes(t->manufacturer);
	printf(",\"model\":");
	kc_front_json_bytes(t->model);
	printf(",\"hardware_version\":");
	kc_front_json_bytes(t->hw_version);
	printf(",\"firmware_version\":");
	kc_front_json_bytes(t->fw_version);
	if (t->max_pin != 0)
		printf(",\"pin_min\":%lu,\"pin_max\":%lu", t->min_pin,
		    t->max_pin);
	else
		printf(",\"pin_min\":null,\"pin_max\":null");
	printf(",\"flags\":{\"user_pin_initialized\":%s,\"login_required\":%s,"
	    "\"rng\":%s,\"pin_count_low\":%s,\"pin_final_try\":%s,"
	    "\"pin_locked\":%s}", tf(t->user_pin_initialized),
	    tf(t->login_required), tf(t->has_rng), tf(t->pin_count_low),
	    tf(t->pin_final_try), tf(t->pin_locked));
	printf(",\"mechanisms\":{\"ec_keygen\":%s,\"ecdsa\":%s,"
	    "\"rsa_keygen\":%s,\"rsa_pkcs\":%s,\"sha256_rsa_pkcs\":%s,"
	    "\"sha384_rsa_pkcs\":%s}", tf(t->mech_ec_keygen), tf(t->mech_ecdsa),
	    tf(t->mech_rsa_keygen), tf(t->mech_rsa_pkcs),
	    tf(t->mi_rsa_sha256.present), tf(t->mi_rsa_sha384.present));
	printf(",\"algorithms\":[");
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (kc_token_alg_offered(t, algs[i], why, sizeof(why))) {
			printf("%s", n++ ? "," : "");
			kc_front_json_bytes(kc_alg_name(algs[i]));
		}
	printf("],\"not_offered\":{");
	n = 0;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!kc_token_alg_offered(t, algs[i], why, sizeof(why))) {
			printf("%s", n++ ? "," : "");
			kc_front_json_bytes(kc_alg_name(algs[i]));
			putchar(':');
			kc_front_json_bytes(why);
		}
	printf("},\"rehearsal\":");
	if (kc_token_is_rehearsal(t))
		kc_front_json_bytes(kc_token_rehearsal_kind(t));
	else
		printf("null");
	putchar('}');
}

static void
json_list(const struct kc_token_ctx *ctx, const struct kc_token_info *ti,
    size_t n)
{
	printf("{\"schema\":1,");
	json_module(ctx);
	printf(",\"slots\":[");
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_slot(&ti[i]);
	}
	printf("]}\n");
}

int
cmd_token_list(int argc, char **argv)
{
	struct list_args a = { NULL };
	struct kc_token_ctx *ctx = NULL;
	struct kc_token_info *ti = NULL;
	const char *module;
	size_t n = 0, i;
	int rc;

	if ((rc = kc_opt_parse(&cmd_token_list_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	module = a.module;
	if ((rc = kc_token_load(module, &ctx)) != KC_OK)
		return kc_front_fail(rc);
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK) {
		kc_token_unload(ctx);
		return kc_front_fail(rc);
	}
	if (a.json) {
		json_list(ctx, ti, n);
		free(ti);
		kc_token_unload(ctx);
		return KC_EXIT_OK;
	}
	print_module(ctx);
	if (n == 0)
		printf("no slots\n");
	for (i = 0; i < n; i++) {
		const struct kc_token_info *t = &ti[i];

		printf("slot %lu: %s\n", t->slot_id, kc_disp(t->slot_desc));
		if (!t->present) {
			printf("  no token\n");
			continue;
		}
		if (!t->initialized) {
			printf("  token:        not initialised (free for "
			    "'%s token init')\n", kc_progname);
			continue;
		}
		printf("  label:        %s\n", kc_disp(t->label));
		printf("  serial:       %s\n", kc_disp(t->serial));
		printf("  manufacturer: %s\n", kc_disp(t->manufacturer));
		printf("  model:        %s\n", kc_disp(t->model));
		printf("  versions:     hardware %s, firmware %s\n",
		    kc_disp(t->hw_version), kc_disp(t->fw_version));
		if (t->max_pin != 0)
			printf("  PIN length:   %lu to %lu bytes\n", t->min_pin,
			    t->max_pin);
		print_flags(t);
		print_mechs(t);
	}
	free(ti);
	kc_token_unload(ctx);
	return KC_EXIT_OK;
}

struct init_args {
	const char *label, *so_file, *pin_file, *module;
};

#define A struct init_args
static const struct kc_opt init_opts[] = {
	KC_O_STR_REQ(A, label, "label", "L", "token label (1 to 32 bytes, unique)"),
	KC_O_STR(A, so_file, "so-pin-file", "F", "SO PIN, first line of F (mode 0600); without\n"
	    "it the PIN is asked twice on the terminal"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN, the same way"),
	KC_O_STR(A, module, "module", "PATH", MODULE_HELP),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_token_init_opts = {
	"token init",
	"token init --label L --so-pin-file F --pin-file F [--module PATH]",
	"\nInitialises the first uninitialised token of the module (SoftHSM\n"
	"always offers one) with label L, a security officer PIN and a user\n"
	"PIN. For demos and rehearsals; real HSMs use the vendor's tools.\n",
	init_opts, 0, 0, NULL, 0
};

int
cmd_token_init(int argc, char **argv)
{
	struct init_args a = { NULL, NULL, NULL, NULL };
	struct kc_token_ctx *ctx = NULL;
	struct kc_token_info *ti = NULL;
	struct kc_secret *so = NULL, *pin = NULL;
	const char *module, *label, *so_file, *pin_file;
	char whose[300];
	size_t n = 0, i;
	int rc, ret = KC_EXIT_FAIL;

	if ((rc = kc_opt_parse(&cmd_token_init_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	module = a.module;
	label = a.label;
	so_file = a.so_file;
	pin_file = a.pin_file;
	if ((rc = kc_token_load(module, &ctx)) != KC_OK)
		return kc_front_fail(rc);
	snprintf(whose, sizeof(whose), "the new token '%s'", label);
	if ((rc = kc_front_secret_for(so_file, "SO PIN", whose, 1, &so)) !=
	    KC_OK || (rc = kc_front_secret_for(pin_file, "user PIN", whose, 1,
	    &pin)) != KC_OK ||
	    (rc = kc_token_init_named(ctx, label, so, so_file, pin,
	    pin_file)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	kc_secret_free(so);
	kc_secret_free(pin);
	so = pin = NULL;
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (ti[i].present && ti[i].initialized &&
		    strcmp(ti[i].label, label) == 0)
			break;
	if (i < n)
		printf("initialised token '%s', serial %s\n",
		    kc_disp(label), kc_disp(ti[i].serial));
	else
		printf("initialised token '%s'\n", kc_disp(label));
	ret = KC_EXIT_OK;
out:
	kc_secret_free(so);
	kc_secret_free(pin);
	free(ti);
	kc_token_unload(ctx);
	return ret;
}

struct keys_args {
	const char *label, *pin_file, *module;
	int json;
};

#define A struct keys_args
static const struct kc_opt keys_opts[] = {
	KC_O_STR_REQ(A, label, "token", "L", "label of the token"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN, first line of F (mode 0600); without it\n"
	    "the PIN is asked on the terminal"),
	KC_O_STR(A, module, "module", "PATH", MODULE_HELP),
	KC_O_FLAG(A, json, "json", "the keys as one JSON document on stdout (schema:\n"
	    "docs/json.md); errors still go to stderr"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_token_keys_opts = {
	"token keys",
	"token keys --token L [--pin-file F] [--module PATH] [--json]",
	"\nLogs in to token L and lists its private keys: label, algorithm,\n"
	"CKA_ID, whether the public half is there, and whether the key\n"
	"passes the ceremony policy (sensitive, never extractable, local,\n"
	"sign only). A key made for a backup or restored from one (issue\n"
	"17) also shows what its attributes say and what that means.\n",
	keys_opts, 0, 0, NULL, 0
};

static const char *
alg_text(enum kc_alg alg)
{
	return alg == KC_ALG_NONE ? NULL : alg == KC_ALG_EC_P256 ? "ec-p256" :
	    alg == KC_ALG_EC_P384 ? "ec-p384" : alg == KC_ALG_RSA_2048 ?
	    "rsa-2048" : alg == KC_ALG_RSA_3072 ? "rsa-3072" : "rsa-4096";
}

static const char *
tri(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

/* token keys --json (docs/json.md) */
static void
json_keys(const char *label, const struct kc_token *tok,
    const struct kc_key_info *ki, size_t n)
{
	printf("{\"schema\":1,\"token\":");
	kc_front_json_bytes(label);
	printf(",\"serial\":");
	kc_front_json_bytes(kc_token_get_info(tok)->serial);
	printf(",\"keys\":[");
	for (size_t i = 0; i < n; i++) {
		const char *alg = alg_text(ki[i].alg);

		printf("%s{\"label\":", i ? "," : "");
		kc_front_json_bytes(ki[i].label);
		printf(",\"algorithm\":");
		if (alg != NULL)
			kc_front_json_bytes(alg);
		else
			printf("null");
		printf(",\"id\":");
		kc_front_json_bytes(ki[i].id_hex);
		printf(",\"public_key\":%s,\"public_usage\":",
		    tf(ki[i].has_public));
		if (ki[i].has_public)
			kc_front_json_bytes(ki[i].pub_usage);
		else
			printf("null");
		printf(",\"policy_ok\":%s,\"policy\":", tf(ki[i].policy_ok));
		if (ki[i].policy_ok)
			printf("null");
		else
			kc_front_json_bytes(ki[i].policy);
		printf(",\"modifiable\":%s,\"copyable\":%s",
		    tri(ki[i].modifiable), tri(ki[i].copyable));
		printf(",\"backup\":%s,\"restored\":%s,"
		    "\"never_extractable\":%s,\"always_sensitive\":%s,"
		    "\"local\":%s}", tf(ki[i].backup), tf(ki[i].restored),
		    tri(ki[i].never_extractable), tri(ki[i].always_sensitive),
		    tri(ki[i].local));
	}
	printf("]}\n");
}

/* An attribute as read back, in the words token keys uses. */
static const char *
tfu(int v)
{
	return v < 0 ? "unknown" : v ? "TRUE" : "FALSE";
}

/* What a backup-capable or restored key's attributes say (issue 17),
 * in plain words: how it may leave the token, and where it was made. */
static void
show_backup(const struct kc_key_info *k)
{
	if (k->backup)
		printf("  backup:     extractable only wrapped under a trusted "
		    "key (backup): the\n              token lets it out only "
		    "as `backup create` wraps it\n");
	if (k->restored)
		printf("  restored:   restored from a backup: not generated "
		    "in this token\n");
	printf("  read back:  never extractable %s, always sensitive %s, "
	    "local %s\n", tfu(k->never_extractable), tfu(k->always_sensitive),
	    tfu(k->local));
	if (k->never_extractable == 0)
		printf("              never extractable FALSE: the key can "
		    "leave the token, wrapped\n");
	if (k->always_sensitive == 1)
		printf("              always sensitive TRUE: its value was "
		    "never readable in the clear\n");
	else if (k->always_sensitive == 0)
		printf("              always sensitive FALSE: it came into "
		    "this token from outside\n              (wrapped), so "
		    "the token cannot vouch for its whole life\n");
	if (k->local == 1)
		printf("              local TRUE: generated in this token\n");
	else if (k->local == 0)
		printf("              local FALSE: not generated in this "
		    "token\n");
}

int
cmd_token_keys(int argc, char **argv)
{
	struct keys_args a = { NULL, NULL, NULL, 0 };
	struct kc_token_ctx *ctx = NULL;
	struct kc_token *tok = NULL;
	struct kc_key_info *ki = NULL;
	struct kc_secret *pin = NULL;
	const char *module, *label, *pin_file;
	char whose[300];
	size_t n = 0, i;
	int rc, ret = KC_EXIT_FAIL;

	if ((rc = kc_opt_parse(&cmd_token_keys_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	module = a.module;
	label = a.label;
	pin_file = a.pin_file;
	if ((rc = kc_token_load(module, &ctx)) != KC_OK)
		return kc_front_fail(rc);
	snprintf(whose, sizeof(whose), "token '%s'", label);
	if ((rc = kc_token_open(ctx, label, NULL, &tok)) != KC_OK ||
	    (rc = kc_front_secret_for(pin_file, "PIN", whose, 0, &pin)) !=
	    KC_OK ||
	    (rc = kc_token_login_file(tok, pin, pin_file)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	kc_secret_free(pin);
	pin = NULL;
	if ((rc = kc_token_key_list(tok, &ki, &n)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	if (a.json) {
		json_keys(label, tok, ki, n);
		ret = KC_EXIT_OK;
		goto out;
	}
	printf("token '%s' (serial %s): %zu private key%s\n", kc_disp(label),
	    kc_disp(kc_token_get_info(tok)->serial), n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		printf("key '%s'\n", kc_disp(ki[i].label));
		printf("  algorithm:  %s\n", ki[i].alg == KC_ALG_NONE ?
		    "other (not usable for a ceremony)" :
		    ki[i].alg == KC_ALG_EC_P256 ? "ec-p256" :
		    ki[i].alg == KC_ALG_EC_P384 ? "ec-p384" :
		    ki[i].alg == KC_ALG_RSA_2048 ? "rsa-2048" :
		    ki[i].alg == KC_ALG_RSA_3072 ? "rsa-3072" : "rsa-4096");
		printf("  id:         %s\n", ki[i].id_hex[0] ? ki[i].id_hex :
		    "(none)");
		if (ki[i].has_public)
			printf("  public key: yes (%s; shown, not enforced)\n",
			    ki[i].pub_usage);
		else
			printf("  public key: no public key object (the "
			    "private object or the certificate gives it)\n");
		if (ki[i].policy_ok && (ki[i].backup || ki[i].restored))
			printf("  policy:     ok (sign only, sensitive; %s)\n",
			    ki[i].restored ? "restored from a backup" :
			    "extractable only wrapped under a trusted key, "
			    "for its backup");
		else if (ki[i].policy_ok)
			printf("  policy:     ok (sign only, sensitive, never "
			    "extractable, local)\n");
		else
			printf("  policy:     REFUSED: %s\n",
			    kc_disp_line(ki[i].policy));
		printf("  attributes: modifiable %s, copyable %s\n",
		    ki[i].modifiable < 0 ? "unknown" : ki[i].modifiable ?
		    "TRUE" : "FALSE", ki[i].copyable < 0 ? "unknown (not "
		    "known to the module)" : ki[i].copyable ? "TRUE" :
		    "FALSE");
		if (ki[i].backup || ki[i].restored)
			show_backup(&ki[i]);
	}
	ret = KC_EXIT_OK;
out:
	free(ki);
	kc_secret_free(pin);
	kc_token_close(tok);
	kc_token_unload(ctx);
	return ret;
}

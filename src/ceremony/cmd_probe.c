/*
 * cmd_probe.c: keyceremony token probe, the rehearsal on the production
 * token the day before. For each algorithm (--algorithm, or every one the
 * token offers) it makes a throwaway key with the ceremony's own code
 * (kc_token_keygen: the root key's template and read-back), reads back the
 * attributes of both halves, signs through the token and verifies with
 * OpenSSL and the public key, removes the pair, and reports the mechanisms
 * and key sizes, the PIN limits, the serial and the time per generation
 * and per signature. The object list is compared before and after: the
 * probe fails when anything is left behind or missing. --site (an
 * addition to the contract's options) takes the module, token and PIN
 * file from the ceremony's site profile and, above all, its key-template,
 * so that the probe's template is the ceremony's exactly.
 */
#include "config.h"

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "kc/ceremony/engine.h"
#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"

#include "commands.h"
#include "front.h"
#include "opt.h"

static const enum kc_alg probe_algs[] = { KC_ALG_EC_P384, KC_ALG_EC_P256,
    KC_ALG_RSA_3072, KC_ALG_RSA_4096 };
#define NPROBE (sizeof(probe_algs) / sizeof(probe_algs[0]))

/* The human report goes to stdout; with --json it is left out and one
 * JSON document is printed at the end instead. */
static int json_mode;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* What --json reports of one algorithm. */
struct probe_res {
	enum kc_alg	 alg;
	char		 label[32];
	int		 ok, removed;
	double		 gen_ms, sig_ms;
	char		 mech[40];
	struct kc_key_attrs a;
	struct kc_pub_attrs pa;
	int		 have_attrs, have_pub;
	char		 error[512];
};
static struct probe_res results[NPROBE];
static size_t nresults;
/* --backup: what the module does for a root key backup (issue 17) */
static int backup_probed;
static struct kc_wrap_caps backup_caps;

static void
json_bool(const char *name, int v, int comma)
{
	printf("\"%s\": %s%s", name, v < 0 ? "null" : v ? "true" : "false",
	    comma ? ", " : "");
}

static void
json_mech(const char *name, const struct kc_mech_sizes *m, int comma)
{
	printf("    \"%s\": {\"present\": %s, \"min\": %lu, \"max\": %lu, "
	    "\"flags\": %lu}%s\n", name, m->present ? "true" : "false", m->min,
	    m->max, m->flags, comma ? "," : "");
}

static void
json_result(const struct probe_res *r, int comma)
{
	const struct kc_key_attrs *a = &r->a;
	const struct kc_pub_attrs *p = &r->pa;

	printf("    {\"algorithm\": ");
	kc_front_json_bytes(kc_alg_name(r->alg));
	printf(", \"label\": ");
	kc_front_json_bytes(r->label);
	printf(", \"ok\": %s, \"removed\": %s, \"generate_ms\": %.0f, "
	    "\"sign_ms\": %.0f, \"mechanism\": ", r->ok ? "true" : "false",
	    r->removed ? "true" : "false", r->gen_ms, r->sig_ms);
	kc_front_json_bytes(r->mech);
	printf(",\n     \"private\": ");
	if (r->have_attrs) {
		printf("{");
		json_bool("CKA_SENSITIVE", a->sensitive, 1);
		json_bool("CKA_ALWAYS_SENSITIVE", a->always_sensitive, 1);
		json_bool("CKA_EXTRACTABLE", a->extractable, 1);
		json_bool("CKA_NEVER_EXTRACTABLE", a->never_extractable, 1);
		json_bool("CKA_LOCAL", a->local, 1);
		json_bool("CKA_SIGN", a->sign, 1);
		json_bool("CKA_DECRYPT", a->decrypt, 1);
		json_bool("CKA_UNWRAP", a->unwrap, 1);
		json_bool("CKA_DERIVE", a->derive, 1);
		json_bool("CKA_TOKEN", a->token, 1);
		json_bool("CKA_PRIVATE", a->private_, 1);
		json_bool("CKA_MODIFIABLE", a->modifiable, 1);
		json_bool("CKA_COPYABLE", a->copyable, 0);
		printf("}");
	} else
		printf("null");
	printf(",\n     \"public\": ");
	if (r->have_pub && p->objects > 0) {
		printf("{");
		json_bool("CKA_VERIFY", p->verify, 1);
		json_bool("CKA_ENCRYPT", p->encrypt, 1);
		json_bool("CKA_WRAP", p->wrap, 1);
		json_bool("CKA_MODIFIABLE", p->modifiable, 1);
		json_bool("CKA_TOKEN", p->token, 1);
		json_bool("CKA_PRIVATE", p->private_, 0);
		printf("}");
	} else
		printf("null");
	printf(",\n     \"error\": ");
	if (r->error[0])
		kc_front_json_bytes(r->error);
	else
		printf("null");
	printf("}%s\n", comma ? "," : "");
}

/* "backup": null without --backup, else what kc_token_wrap_probe found */
static void
json_backup(void)
{
	const struct kc_wrap_caps *c = &backup_caps;

	if (!backup_probed) {
		printf("null");
		return;
	}
	printf("{");
	json_bool("supported", c->ok, 1);
	json_bool("aes_key_wrap_pad", c->aes_wrap_pad, 1);
	json_bool("trusted", c->trusted, 1);
	json_bool("wrap_with_trusted", c->wrap_with_trusted, 1);
	json_bool("wrap_private", c->wrap_private, 1);
	json_bool("unwrap_private", c->unwrap_private, 1);
	printf("\"why\": ");
	if (c->ok)
		printf("null");
	else
		kc_front_json_bytes(c->why[0] ? c->why :
		    "the module failed the backup probe");
	printf("}");
}

/* The whole --json document. */
static void
json_report(const struct kc_token_info *t, size_t nb, size_t na, int same,
    int ok)
{
	const char *kind = kc_token_rehearsal_kind(t);
	char buf[256];

	printf("{\n  \"schema\": 1,\n  \"token\": {\"label\": ");
	kc_front_json_bytes(t->label);
	printf(", \"serial\": ");
	kc_front_json_bytes(t->serial);
	printf(", \"manufacturer\": ");
	kc_front_json_bytes(t->manufacturer);
	printf(", \"model\": ");
	kc_front_json_bytes(t->model);
	printf(",\n    \"hardware\": ");
	kc_front_json_bytes(t->hw_version);
	printf(", \"firmware\": ");
	kc_front_json_bytes(t->fw_version);
	printf(", \"rehearsal\": ");
	if (kind != NULL)
		kc_front_json_bytes(kind);
	else
		printf("null");
	printf(", \"pin_min\": %lu, \"pin_max\": %lu},\n", t->min_pin,
	    t->max_pin);
	printf("  \"mechanisms\": {\n");
	json_mech("CKM_EC_KEY_PAIR_GEN", &t->mi_ec_gen, 1);
	json_mech("CKM_ECDSA", &t->mi_ecdsa, 1);
	json_mech("CKM_RSA_PKCS_KEY_PAIR_GEN", &t->mi_rsa_gen, 1);
	json_mech("CKM_RSA_PKCS", &t->mi_rsa_pkcs, 1);
	json_mech("CKM_SHA256_RSA_PKCS", &t->mi_rsa_sha256, 1);
	json_mech("CKM_SHA384_RSA_PKCS", &t->mi_rsa_sha384, 0);
	printf("  },\n  \"offered\": [");
	for (size_t i = 0, k = 0; i < NPROBE; i++)
		if (kc_token_alg_offered(t, probe_algs[i], buf, sizeof(buf))) {
			printf("%s", k++ ? ", " : "");
			kc_front_json_bytes(kc_alg_name(probe_algs[i]));
		}
	printf("],\n  \"not_offered\": [");
	for (size_t i = 0, k = 0; i < NPROBE; i++)
		if (!kc_token_alg_offered(t, probe_algs[i], buf, sizeof(buf))) {
			printf("%s", k++ ? ", " : "");
			kc_front_json_bytes(buf);
		}
	printf("],\n  \"backup\": ");
	json_backup();
	printf(",\n  \"probes\": [\n");
	for (size_t i = 0; i < nresults; i++)
		json_result(&results[i], i + 1 < nresults);
	printf("  ],\n  \"objects_before\": %zu, \"objects_after\": %zu, "
	    "\"objects_same\": %s, \"ok\": %s\n}\n", nb, na,
	    same ? "true" : "false", ok ? "true" : "false");
}

struct probe_args {
	const char *label, *algname, *pin_file, *module, *site_file;
	const char *so_pin_file;
	int json, backup;
};

#define A struct probe_args
static const struct kc_opt probe_opts[] = {
	KC_O_STR(A, label, "token", "L", "label of the token"),
	KC_O_STR(A, algname, "algorithm", "ALG", "ec-p384, ec-p256, rsa-3072 or rsa-4096 (default:\n"
	    "every one the token offers)"),
	KC_O_STR(A, pin_file, "pin-file", "F", "user PIN, first line of F (mode 0600); without it\n"
	    "the PIN is asked on the terminal"),
	KC_O_STR(A, module, "module", "M", "PKCS#11 module (default: the site's, else\n"
	    "$KEYCEREMONY_MODULE, else " KC_DEFAULT_MODULE ")"),
	KC_O_FLAG(A, backup, "backup", "also try what a root key backup needs\n"
	    "(CKM_AES_KEY_WRAP_PAD, CKA_TRUSTED, CKA_WRAP_WITH_TRUSTED) with\n"
	    "session objects only; the security officer logs in"),
	KC_O_STR(A, so_pin_file, "so-pin-file", "F", "with --backup: security officer PIN, first\n"
	    "line of F (mode 0600); without it the SO PIN is asked"),
	KC_O_FLAG(A, json, "json", "the report as one JSON document on stdout (the\n"
	    "text is left out; errors still go to stderr)"),
	KC_O_STR(A, site_file, "site", "SITE", "the ceremony's site profile: its module, token\n"
	    "label and PIN file unless given, its key-template\n"
	    "(the exact ceremony template) and production:"),
	KC_O_END
};
#undef A

const struct kc_optdef cmd_token_probe_opts = {
	"token probe",
	"token probe --token L [--algorithm ALG] [--pin-file F] [--module M]\n"
	"       [--site SITE] [--backup [--so-pin-file F]] [--json]",
	"\nRehearses key generation on token L (the day before a ceremony, on\n"
	"the production HSM): for ALG, or every algorithm the token offers,\n"
	"makes a throwaway key (kc-probe-...) with the exact ceremony\n"
	"template, reads back its attributes, signs and verifies, removes\n"
	"it, and reports mechanisms, key sizes, PIN limits, serial and\n"
	"timings. Fails when an object is left behind. With --backup, first\n"
	"says whether the module can take part in a root key backup\n"
	"ceremony, or why not (then the probe fails).\n",
	probe_opts, 0, 0, NULL, 0
};

/* The site's key-template shown, and its production: checked against
 * what the token is, as the preflight does. */
static int
site_agrees(const struct kc_site *s, const char *file,
    const struct kc_token_info *t)
{
	const char *kind = kc_token_rehearsal_kind(t);
	char buf[1024];

	if (s->key_template != NULL) {
		kc_key_template_text(s->key_template, buf, sizeof(buf));
		say("  template:     the site's key-template: %s\n",
		    kc_disp(buf));
	} else
		say("  template:     the ceremony's (the site has no "
		    "key-template)\n");
	if (s->production == 1 && kind != NULL)
		return kc_err(KC_ERR_POLICY, "site profile %s says production: "
		    "true, but token '%s' is %s, a software token", file,
		    t->label, kind);
	if (s->production == 0 && kind == NULL)
		return kc_err(KC_ERR_POLICY, "site profile %s says production: "
		    "false (a rehearsal), but token '%s' (%s %s) is not a known "
		    "software token", file, t->label, t->manufacturer,
		    t->model);
	if (s->production >= 0)
		say("  site:         production: %s, as the token is\n",
		    s->production ? "true" : "false");
	return KC_OK;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1000.0 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static const char *
tf(int v)
{
	return v < 0 ? "unknown" : v ? "TRUE" : "FALSE";
}

/* The token, its PIN limits and what its mechanisms state. */
static void
print_token(const struct kc_token_info *t)
{
	const struct kc_mech_sizes *m[] = { &t->mi_ec_gen, &t->mi_ecdsa,
	    &t->mi_rsa_gen, &t->mi_rsa_pkcs, &t->mi_rsa_sha256,
	    &t->mi_rsa_sha384 };
	static const char *const names[] = { "CKM_EC_KEY_PAIR_GEN",
	    "CKM_ECDSA", "CKM_RSA_PKCS_KEY_PAIR_GEN", "CKM_RSA_PKCS",
	    "CKM_SHA256_RSA_PKCS", "CKM_SHA384_RSA_PKCS" };
	const char *kind = kc_token_rehearsal_kind(t);
	char buf[256], algs[64];

	say("token '%s' in slot %lu\n", kc_disp(t->label), t->slot_id);
	say("  serial:       %s\n", kc_disp(t->serial));
	say("  manufacturer: %s\n", kc_disp(t->manufacturer));
	say("  model:        %s\n", kc_disp(t->model));
	say("  versions:     hardware %s, firmware %s\n",
	    kc_disp(t->hw_version), kc_disp(t->fw_version));
	if (kind != NULL)
		say("  kind:         REHEARSAL (%s, a software token)\n",
		    kind);
	else
		say("  kind:         production (not a known software "
		    "token)\n");
	if (t->max_pin != 0)
		say("  PIN length:   %lu to %lu bytes\n", t->min_pin,
		    t->max_pin);
	else
		say("  PIN length:   at least %lu bytes (no maximum stated)\n",
		    t->min_pin);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		kc_token_mech_text(names[i], m[i], buf, sizeof(buf));
		say("  mechanism:    %s\n", buf);
	}
	kc_token_algs_offered(t, algs, sizeof(algs));
	say("  offered:      %s\n", algs[0] ? algs : "none");
	for (size_t i = 0; i < NPROBE; i++)
		if (!kc_token_alg_offered(t, probe_algs[i], buf, sizeof(buf)))
			say("  not offered:  %s\n", kc_disp(buf));
}

/* Signs random bytes through the token, verifies with OpenSSL. */
static int
sign_verify(struct kc_token *tok, enum kc_alg alg, EVP_PKEY *priv,
    EVP_PKEY *pub, double *ms, size_t *siglen)
{
	const EVP_MD *md = kc_alg_digest(alg);
	EVP_MD_CTX *mctx = NULL;
	unsigned char data[64], *sig = NULL;
	struct timespec t0;
	int rc;

	*siglen = 0;
	if ((rc = kc_token_random(tok, data, sizeof(data))) != KC_OK)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mctx, NULL, md, NULL, priv) <= 0 ||
	    EVP_DigestSign(mctx, NULL, siglen, data, sizeof(data)) <= 0 ||
	    (sig = OPENSSL_malloc(*siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, siglen, data, sizeof(data)) <= 0) {
		rc = kc_err_ssl(KC_ERR_PKCS11, "signing through the token "
		    "failed");
		goto out;
	}
	*ms = ms_since(&t0);
	EVP_MD_CTX_free(mctx);
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, pub) <= 0 ||
	    EVP_DigestVerify(mctx, sig, *siglen, data, sizeof(data)) != 1) {
		ERR_clear_error();
		rc = kc_err(KC_ERR_CRYPTO, "the token's signature does not "
		    "verify with the public key (OpenSSL)");
		goto out;
	}
	rc = KC_OK;
out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(sig);
	return rc;
}

/* One algorithm: generate (with the site's key-template t, NULL: none),
 * read back, sign, verify, remove. */
static int
probe_one(struct kc_token *tok, enum kc_alg alg,
    const struct kc_key_template *t)
{
	struct kc_key_attrs a;
	struct kc_pub_attrs pa;
	struct probe_res *res = &results[nresults < NPROBE ? nresults++ :
	    NPROBE - 1];
	EVP_PKEY *priv = NULL, *pub = NULL;
	unsigned char rnd[8];
	char label[32] = "", what[32];
	struct timespec t0;
	double gen_ms = 0, sig_ms = 0;
	size_t siglen = 0;
	int rc, made = 0, used;

	memset(res, 0, sizeof(*res));
	res->alg = alg;
	if ((rc = kc_token_random(tok, rnd, sizeof(rnd))) != KC_OK)
		goto out;
	snprintf(label, sizeof(label), "kc-probe-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(label + 9 + 2 * i, 3, "%02x", rnd[i]);
	say("probe %s: key '%s'\n", kc_alg_name(alg), label);
	snprintf(res->label, sizeof(res->label), "%s", label);
	if ((used = kc_token_label_used(tok, label, what, sizeof(what))) != 0) {
		rc = used < 0 ? used : kc_err(KC_ERR_EXISTS, "a %s labelled "
		    "'%s' exists already", what, label);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kc_token_keygen_tmpl(tok, label, alg, t);
	res->gen_ms = gen_ms = ms_since(&t0);
	made = 1;	/* even a failed generation may leave an object */
	if (rc != KC_OK)
		goto out;
	say("  generated:    %.0f ms (the ceremony's template)\n", gen_ms);
	rc = kc_token_key_check(tok, label, &a);
	res->a = a;
	res->have_attrs = 1;
	if (rc != KC_OK)
		goto out;
	say("  private key:  CKA_SENSITIVE %s, CKA_ALWAYS_SENSITIVE %s, "
	    "CKA_EXTRACTABLE %s, CKA_NEVER_EXTRACTABLE %s, CKA_LOCAL %s, "
	    "CKA_TOKEN %s, CKA_PRIVATE %s\n", tf(a.sensitive),
	    tf(a.always_sensitive), tf(a.extractable), tf(a.never_extractable),
	    tf(a.local), tf(a.token), tf(a.private_));
	say("                CKA_SIGN %s, CKA_DECRYPT %s, CKA_UNWRAP %s, "
	    "CKA_DERIVE %s, CKA_MODIFIABLE %s, CKA_COPYABLE %s\n", tf(a.sign),
	    tf(a.decrypt), tf(a.unwrap), tf(a.derive), tf(a.modifiable),
	    tf(a.copyable));
	if ((rc = kc_token_pub_attrs(tok, label, &pa)) != KC_OK)
		goto out;
	res->pa = pa;
	res->have_pub = 1;
	if (pa.objects == 0)
		say("  public key:   no public key object\n");
	else
		say("  public key:   CKA_VERIFY %s, CKA_ENCRYPT %s, CKA_WRAP "
		    "%s, CKA_MODIFIABLE %s, CKA_TOKEN %s, CKA_PRIVATE %s\n",
		    tf(pa.verify), tf(pa.encrypt), tf(pa.wrap),
		    tf(pa.modifiable), tf(pa.token), tf(pa.private_));
	if ((rc = kc_token_key_get(tok, label, &priv, &pub)) != KC_OK)
		goto out;
	say("  public value: %s, %d bits\n", EVP_PKEY_get0_type_name(pub),
	    EVP_PKEY_get_bits(pub));
	if ((rc = sign_verify(tok, alg, priv, pub, &sig_ms, &siglen)) != KC_OK)
		goto out;
	say("  signature:    %.0f ms (%s, %zu bytes), verified by OpenSSL "
	    "with the public key\n", sig_ms, EVP_MD_get0_name(
	    kc_alg_digest(alg)), siglen);
	res->sig_ms = sig_ms;
	snprintf(res->mech, sizeof(res->mech), "%s", kc_token_sign_mech(tok));
	say("  signed with:  %s\n", kc_disp(kc_token_sign_mech(tok)));
	say("  public from:  %s\n", kc_disp(kc_token_pub_source(tok)));
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	if (rc != KC_OK)
		say("  FAILED:       %s\n", kc_disp_line(kc_errmsg()));
	if (made) {
		char msg[1024];
		int drc;

		snprintf(msg, sizeof(msg), "%s", kc_errmsg());
		drc = kc_token_key_destroy(tok, label);
		if (drc == KC_OK) {
			res->removed = 1;
			say("  removed:      yes\n");
		}
		else if (drc != KC_ERR_NOTFOUND || rc == KC_OK) {
			say("  removal FAILED: %s\n",
			    kc_disp_line(kc_errmsg()));
			if (rc == KC_OK)
				rc = drc;
			else
				kc_err(rc, "%s", msg);
		} else
			kc_err(rc, "%s", msg);
	}
	res->ok = rc == KC_OK;
	if (rc != KC_OK)
		snprintf(res->error, sizeof(res->error), "%s", kc_errmsg());
	return rc;
}

static void
print_block(const char *what, const char *text)
{
	char *t = kc_display_text(text);

	say("%s:\n%s", what, t != NULL ? t : "(out of memory)\n");
	free(t);
}

/* --backup: the SO logs in, kc_token_backup_check (session objects only,
 * before the user's login); KC_ERR_POLICY when the module cannot. */
static int
backup_probe(struct kc_token *tok, const char *so_pin_file)
{
	struct kc_secret *so = NULL;
	int rc;

	if ((rc = kc_front_secret(so_pin_file, "SO PIN", 0, &so)) != KC_OK)
		return rc;
	rc = kc_token_backup_check(tok, so, &backup_caps);
	kc_secret_free(so);
	if (rc != KC_OK && rc != KC_ERR_POLICY)
		return rc;
	backup_probed = 1;
	if (rc == KC_OK)
		say("backup:         supported: the security officer's "
		    "CKA_TRUSTED holds, a\n                key made "
		    "CKA_WRAP_WITH_TRUSTED is not wrapped under an untrusted "
		    "key,\n                and a private key is wrapped and "
		    "unwrapped with CKM_AES_KEY_WRAP_PAD\n                "
		    "(session objects only, none left)\n");
	else
		say("backup:         NOT SUPPORTED: %s\n", kc_disp_line(
		    backup_caps.why[0] ? backup_caps.why :
		    "the module failed the backup probe"));
	return rc;
}

/* Logs in, probes each algorithm, compares the object lists. */
static int
probe_run(struct kc_token *tok, const enum kc_alg *algs, size_t nalgs,
    const char *pin_file, const struct kc_key_template *t, int want_backup,
    const char *so_pin_file)
{
	struct kc_secret *pin = NULL;
	char *before = NULL, *after = NULL;
	size_t nb = 0, na = 0, failed = 0;
	int rc, listed = 0, backup_rc = KC_OK;
	char backup_msg[1024] = "";

	if (want_backup) {
		if ((rc = backup_probe(tok, so_pin_file)) != KC_OK &&
		    rc != KC_ERR_POLICY)
			goto out;
		if ((backup_rc = rc) != KC_OK)
			snprintf(backup_msg, sizeof(backup_msg), "%s",
			    kc_errmsg());
	}
	if ((rc = kc_front_secret(pin_file, "PIN", 0, &pin)) != KC_OK ||
	    (rc = kc_token_login_file(tok, pin, pin_file)) != KC_OK)
		goto out;
	kc_secret_free(pin);
	pin = NULL;
	if ((rc = kc_token_objects(tok, &before, &nb)) != KC_OK)
		goto out;
	say("objects before: %zu\n", nb);
	for (size_t i = 0; i < nalgs; i++)
		if (probe_one(tok, algs[i], t) != KC_OK)
			failed++;
	if ((rc = kc_token_objects(tok, &after, &na)) != KC_OK)
		goto out;
	listed = 1;
	if (strcmp(before, after) == 0)
		say("objects after:  %zu (the same as before)\n", na);
	else {
		say("objects after:  %zu, NOT the same as before:\n", na);
		print_block("before", before);
		print_block("after", after);
		rc = kc_err(KC_ERR_PKCS11, "token '%s': the probe left the "
		    "token's objects changed (%zu before, %zu after)",
		    kc_token_get_info(tok)->label, nb, na);
		goto out;
	}
	if (failed > 0) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s': %zu of %zu algorithms "
		    "failed the probe", kc_token_get_info(tok)->label, failed,
		    nalgs);
		goto out;
	}
	if (backup_rc != KC_OK) {
		rc = kc_err(backup_rc, "%s", backup_msg);
		goto out;
	}
	say("probe: ok (%zu algorithm%s)\n", nalgs, nalgs == 1 ? "" : "s");
	rc = KC_OK;
out:
	if (json_mode && listed)
		json_report(kc_token_get_info(tok), nb, na,
		    strcmp(before, after) == 0, rc == KC_OK);
	kc_secret_free(pin);
	free(before);
	free(after);
	return rc;
}

int
cmd_token_probe(int argc, char **argv)
{
	struct probe_args a;
	struct kc_token_ctx *ctx = NULL;
	struct kc_token *tok = NULL;
	struct kc_site *site = NULL;
	const char *site_file;
	const char *module, *label, *pin_file, *algname;
	enum kc_alg algs[NPROBE], one = KC_ALG_NONE;
	size_t nalgs = 0;
	char why[256];
	int rc, ret = KC_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	if ((rc = kc_opt_parse(&cmd_token_probe_opts, argc, argv, &a, NULL)) >= 0)
		return rc;
	label = a.label;
	algname = a.algname;
	pin_file = a.pin_file;
	module = a.module;
	site_file = a.site_file;
	if (a.json)
		json_mode = 1;
	if (site_file != NULL) {
		if ((rc = kc_site_load(site_file, &site)) != KC_OK)
			return kc_front_fail(rc);
		if (module == NULL)
			module = site->module;
		if (label == NULL)
			label = site->token_label;
		if (pin_file == NULL)
			pin_file = site->pin_file;
	}
	if (label == NULL) {
		kc_site_free(site);
		kc_opt_usage_line(&cmd_token_probe_opts, stderr);
		return kc_front_usage("token probe: --token is required");
	}
	if (a.so_pin_file != NULL && !a.backup) {
		kc_site_free(site);
		kc_opt_usage_line(&cmd_token_probe_opts, stderr);
		return kc_front_usage("token probe: --so-pin-file is for "
		    "--backup");
	}
	if (algname != NULL && (kc_alg_parse(algname, &one) != KC_OK ||
	    one == KC_ALG_RSA_2048)) {
		kc_site_free(site);
		kc_opt_usage_line(&cmd_token_probe_opts, stderr);
		return kc_front_usage("token probe: --algorithm must be ec-p384, "
		    "ec-p256, rsa-3072 or rsa-4096");
	}
	if ((rc = kc_token_load(module, &ctx)) != KC_OK) {
		kc_site_free(site);
		return kc_front_fail(rc);
	}
	if ((rc = kc_token_open(ctx, label, site != NULL ?
	    site->token_serial : NULL, &tok)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	print_token(kc_token_get_info(tok));
	if (site != NULL && (rc = site_agrees(site, site_file,
	    kc_token_get_info(tok))) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	/* What the token cannot do is refused before the PIN is asked. */
	for (size_t i = 0; i < NPROBE; i++) {
		if (one != KC_ALG_NONE && probe_algs[i] != one)
			continue;
		if (kc_token_alg_offered(kc_token_get_info(tok), probe_algs[i],
		    why, sizeof(why)))
			algs[nalgs++] = probe_algs[i];
		else if (one != KC_ALG_NONE) {
			ret = kc_front_fail(kc_err(KC_ERR_POLICY, "token '%s': "
			    "%s; nothing was sent to the token", label, why));
			goto out;
		}
	}
	if (nalgs == 0) {
		ret = kc_front_fail(kc_err(KC_ERR_POLICY, "token '%s' offers "
		    "no algorithm a root key can use", label));
		goto out;
	}
	if ((rc = probe_run(tok, algs, nalgs, pin_file, site != NULL ?
	    site->key_template : NULL, a.backup, a.so_pin_file)) != KC_OK) {
		ret = kc_front_fail(rc);
		goto out;
	}
	ret = KC_EXIT_OK;
out:
	kc_token_close(tok);
	kc_token_unload(ctx);
	kc_site_free(site);
	return ret;
}

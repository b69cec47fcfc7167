/*
 * bkhelper.c: the token-layer side of root key backup (issue 17) for
 * tests/backup/ (the .sh tests), where no command reaches it yet.
 *
 *   bkhelper root MODULE TOKEN PIN-FILE LABEL ALG SUBJECT OUT [plain]
 *       a root key and certificate as a ceremony with `backup:` on its
 *       root key step makes them: kc_op_root_create with the key
 *       template's backup flag (CKA_EXTRACTABLE=TRUE,
 *       CKA_WRAP_WITH_TRUSTED=TRUE); "plain": without it.
 *   bkhelper wrap-untrusted MODULE TOKEN PIN-FILE LABEL
 *       imports a wrap key WITHOUT CKA_TRUSTED and asks the token to wrap
 *       LABEL under it: exit 1 with the refusal, 0 if the module wrapped.
 *   bkhelper probe MODULE TOKEN SO-PIN-FILE
 *       kc_token_wrap_probe: what the module does for a backup.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/ops.h"
#include "kc/core/error.h"
#include "kc/core/secret.h"
#include "kc/core/x509.h"
#include "kc/hsm/token.h"
#include "kc/hsm/wrap.h"

static int
open_token(const char *module, const char *label, const char *pin_file,
    struct kc_token_ctx **ctx, struct kc_token **tok)
{
	struct kc_secret *pin = NULL;
	int rc;

	if ((rc = kc_token_load(module, ctx)) != KC_OK ||
	    (rc = kc_token_open(*ctx, label, NULL, tok)) != KC_OK)
		return rc;
	if (pin_file == NULL)
		return KC_OK;
	if ((rc = kc_secret_read_file(pin_file, "PIN", &pin)) == KC_OK)
		rc = kc_token_login(*tok, pin);
	kc_secret_free(pin);
	return rc;
}

static int
root(int argc, char **argv, struct kc_token *tok)
{
	struct kc_key_template t;
	struct kc_root_params p;
	struct kc_op_result res;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&p, 0, sizeof(p));
	t.backup = !(argc == 10 && strcmp(argv[9], "plain") == 0);
	p.key_label = argv[5];
	p.subject = argv[7];
	p.days = 3650;
	p.out = argv[8];
	p.key_template = &t;
	if ((rc = kc_alg_parse(argv[6], &p.alg)) != KC_OK)
		return rc;
	return kc_op_root_create(tok, &p, &res);
}

static int
wrap_untrusted(char **argv, struct kc_token *tok)
{
	struct kc_secret *wk = NULL;
	unsigned char *blob = NULL;
	unsigned long h = 0;
	size_t len = 0;
	int rc;

	if ((rc = kc_secret_new(KC_WRAP_KEY_LEN, &wk)) == KC_OK &&
	    (rc = kc_token_wrapkey_random(tok, wk)) == KC_OK &&
	    (rc = kc_token_wrapkey_import(tok, wk, NULL, NULL, &h)) == KC_OK &&
	    (rc = kc_token_wrap(tok, h, argv[5], &blob, &len)) == KC_OK)
		printf("wrapped %zu bytes under an untrusted key\n", len);
	free(blob);
	kc_secret_free(wk);
	return rc;
}

static int
probe(char **argv, struct kc_token *tok)
{
	struct kc_wrap_caps c;
	struct kc_secret *so = NULL;
	int rc;

	if ((rc = kc_secret_read_file(argv[4], "SO PIN", &so)) != KC_OK ||
	    (rc = kc_token_wrap_probe(tok, so, &c)) != KC_OK) {
		kc_secret_free(so);
		return rc;
	}
	kc_secret_free(so);
	printf("aes_wrap_pad=%d trusted=%d wrap_with_trusted=%d "
	    "wrap_private=%d unwrap_private=%d ok=%d\nwhy: %s\n",
	    c.aes_wrap_pad, c.trusted, c.wrap_with_trusted, c.wrap_private,
	    c.unwrap_private, c.ok, c.why);
	return c.ok ? KC_OK : kc_err(KC_ERR_PKCS11, "%s", c.why);
}

int
main(int argc, char **argv)
{
	struct kc_token_ctx *ctx = NULL;
	struct kc_token *tok = NULL;
	const char *mode = argc > 1 ? argv[1] : "";
	int rc;

	if (!((strcmp(mode, "root") == 0 && (argc == 9 || argc == 10)) ||
	    (strcmp(mode, "wrap-untrusted") == 0 && argc == 6) ||
	    (strcmp(mode, "probe") == 0 && argc == 5))) {
		fprintf(stderr, "usage: see tests/backup/bkhelper.c\n");
		return 2;
	}
	rc = open_token(argv[2], argv[3], strcmp(mode, "probe") == 0 ? NULL :
	    argv[4], &ctx, &tok);
	if (rc == KC_OK) {
		if (strcmp(mode, "root") == 0)
			rc = root(argc, argv, tok);
		else if (strcmp(mode, "wrap-untrusted") == 0)
			rc = wrap_untrusted(argv, tok);
		else
			rc = probe(argv, tok);
	}
	if (rc != KC_OK)
		fprintf(stderr, "bkhelper: %s\n", kc_errmsg());
	kc_token_close(tok);
	kc_token_unload(ctx);
	return rc == KC_OK ? 0 : 1;
}

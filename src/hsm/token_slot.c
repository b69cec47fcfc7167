/*
 * token_slot.c: slots, tokens and login. Owns the slot listing and the
 * token info read from raw C_GetSlotInfo/C_GetTokenInfo (with the
 * mechanism list), the PIN length limits checked before a PIN is sent,
 * token initialisation (C_InitToken, SO login, C_InitPIN), opening a
 * token by label (the libp11 slot array of the handle and its raw R/W
 * session, the preload refusal for a non-rehearsal token), closing it
 * (logout, release of libp11's slots and its copy of the PIN), the user
 * login and its PIN-counter rules, and the token's RNG.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "kc/core/error.h"
#include "kc/hsm/token.h"
#include "token_int.h"

static int
mech_list(struct kc_token_ctx *ctx, CK_SLOT_ID id, struct kc_token_info *ti)
{
	CK_MECHANISM_TYPE *m = NULL;
	CK_ULONG n = 0, i;
	CK_RV rv;

	if ((rv = ctx->f->C_GetMechanismList(id, NULL, &n)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetMechanismList "
		    "failed (%s)", (unsigned long)id, kc_tok_ckr(rv));
	if (n == 0)
		return KC_OK;
	if ((m = calloc(n, sizeof(*m))) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((rv = ctx->f->C_GetMechanismList(id, m, &n)) != CKR_OK) {
		free(m);
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetMechanismList "
		    "failed (%s)", (unsigned long)id, kc_tok_ckr(rv));
	}
	for (i = 0; i < n; i++) {
		switch (m[i]) {
		case CKM_EC_KEY_PAIR_GEN:	ti->mech_ec_keygen = 1; break;
		case CKM_ECDSA:			ti->mech_ecdsa = 1; break;
		case CKM_RSA_PKCS_KEY_PAIR_GEN:	ti->mech_rsa_keygen = 1; break;
		case CKM_RSA_PKCS:		ti->mech_rsa_pkcs = 1; break;
		default:			break;
		}
	}
	free(m);
	return KC_OK;
}

/* Fills ti for one slot from raw C_GetSlotInfo / C_GetTokenInfo. */
static int
slot_info(struct kc_token_ctx *ctx, CK_SLOT_ID id, struct kc_token_info *ti)
{
	CK_SLOT_INFO si;
	CK_TOKEN_INFO tk;
	CK_RV rv;

	memset(ti, 0, sizeof(*ti));
	ti->slot_id = (unsigned long)id;
	if ((rv = ctx->f->C_GetSlotInfo(id, &si)) != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetSlotInfo failed "
		    "(%s)", (unsigned long)id, kc_tok_ckr(rv));
	kc_tok_padded_copy(ti->slot_desc, sizeof(ti->slot_desc),
	    si.slotDescription, sizeof(si.slotDescription));
	if (!(si.flags & CKF_TOKEN_PRESENT))
		return KC_OK;
	rv = ctx->f->C_GetTokenInfo(id, &tk);
	if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
		return KC_OK;
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "slot %lu: C_GetTokenInfo failed "
		    "(%s)", (unsigned long)id, kc_tok_ckr(rv));
	ti->present = 1;
	kc_tok_padded_copy(ti->label, sizeof(ti->label), tk.label,
	    sizeof(tk.label));
	kc_tok_padded_copy(ti->serial, sizeof(ti->serial), tk.serialNumber,
	    sizeof(tk.serialNumber));
	kc_tok_padded_copy(ti->manufacturer, sizeof(ti->manufacturer),
	    tk.manufacturerID, sizeof(tk.manufacturerID));
	kc_tok_padded_copy(ti->model, sizeof(ti->model), tk.model,
	    sizeof(tk.model));
	snprintf(ti->hw_version, sizeof(ti->hw_version), "%u.%u",
	    tk.hardwareVersion.major, tk.hardwareVersion.minor);
	snprintf(ti->fw_version, sizeof(ti->fw_version), "%u.%u",
	    tk.firmwareVersion.major, tk.firmwareVersion.minor);
	ti->min_pin = tk.ulMinPinLen == CK_UNAVAILABLE_INFORMATION ? 0 :
	    (unsigned long)tk.ulMinPinLen;
	ti->max_pin = tk.ulMaxPinLen == CK_UNAVAILABLE_INFORMATION ? 0 :
	    (unsigned long)tk.ulMaxPinLen;
	ti->initialized = !!(tk.flags & CKF_TOKEN_INITIALIZED);
	ti->user_pin_initialized = !!(tk.flags & CKF_USER_PIN_INITIALIZED);
	ti->login_required = !!(tk.flags & CKF_LOGIN_REQUIRED);
	ti->has_rng = !!(tk.flags & CKF_RNG);
	ti->pin_count_low = !!(tk.flags & CKF_USER_PIN_COUNT_LOW);
	ti->pin_final_try = !!(tk.flags & CKF_USER_PIN_FINAL_TRY);
	ti->pin_locked = !!(tk.flags & CKF_USER_PIN_LOCKED);
	if (mech_list(ctx, id, ti) != KC_OK) {
		/* Listed as missing; the token itself is still shown. */
		kc_log(KC_LOG_WARN, "%s", kc_errmsg());
		kc_err_clear();
	}
	kc_tok_mech_info(ctx->f, id, ti);	/* sizes, CKF_EC_* */
	return KC_OK;
}

int
kc_token_is_rehearsal(const struct kc_token_info *ti)
{
	return kc_token_rehearsal_kind(ti) != NULL;
}

/* KC_OK when a PIN of len bytes is within the token's ulMinPinLen ..
 * ulMaxPinLen (a bound of 0 is unknown and not checked); else KC_ERR_PIN
 * naming the PIN file (or "the <what>" when it was typed). Called before
 * the PIN is sent anywhere, so no try is spent. */
static int
pin_length_check(unsigned long min, unsigned long max, size_t len,
    const char *what, const char *file, const char *token)
{
	char pre[PATH_MAX + 64] = "";

	if ((min == 0 || len >= min) && (max == 0 || max < min || len <= max))
		return KC_OK;
	if (file != NULL)
		snprintf(pre, sizeof(pre), "%s file %s: ", what, file);
	if (max != 0 && max >= min)
		return kc_err(KC_ERR_PIN, "%sthe %s is %zu bytes but %s "
		    "accepts %lu to %lu; nothing was sent to the token", pre,
		    what, len, token, min, max);
	return kc_err(KC_ERR_PIN, "%sthe %s is %zu bytes but %s accepts at "
	    "least %lu; nothing was sent to the token", pre, what, len, token,
	    min);
}

int
kc_token_list(struct kc_token_ctx *ctx, struct kc_token_info **infos,
    size_t *n)
{
	CK_SLOT_ID *ids = NULL;
	struct kc_token_info *ti = NULL;
	CK_ULONG count = 0, i;
	CK_RV rv;
	int rc = KC_OK;

	*infos = NULL;
	*n = 0;
	/* The size query first: SoftHSM refreshes its slot list here. */
	if ((rv = ctx->f->C_GetSlotList(CK_FALSE, NULL, &count)) != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "%s: C_GetSlotList failed (%s)",
		    ctx->module, kc_tok_ckr(rv));
		goto out;
	}
	if (count == 0)
		goto out;
	if ((ids = calloc(count, sizeof(*ids))) == NULL ||
	    (ti = calloc(count, sizeof(*ti))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rv = ctx->f->C_GetSlotList(CK_FALSE, ids, &count)) != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "%s: C_GetSlotList failed (%s)",
		    ctx->module, kc_tok_ckr(rv));
		goto out;
	}
	for (i = 0; i < count; i++)
		if ((rc = slot_info(ctx, ids[i], &ti[i])) != KC_OK)
			goto out;
	*infos = ti;
	*n = count;
	ti = NULL;
out:
	free(ids);
	free(ti);
	return rc;
}

/* "'a' (serial 1), 'b' (serial 2)" for messages. */
static void
labels_string(const struct kc_token_info *ti, size_t n, char *buf,
    size_t len)
{
	size_t i, o = 0;
	int k = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++) {
		int w;
		if (!ti[i].present || !ti[i].initialized)
			continue;
		w = snprintf(buf + o, len - o, "%s'%s' (serial %s)",
		    k++ ? ", " : "", ti[i].label, ti[i].serial);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (k == 0)
		snprintf(buf, len, "none");
}

int
kc_token_init(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const struct kc_secret *user_pin)
{
	return kc_token_init_named(ctx, label, so_pin, NULL, user_pin, NULL);
}

int
kc_token_init_named(struct kc_token_ctx *ctx, const char *label,
    const struct kc_secret *so_pin, const char *so_file,
    const struct kc_secret *user_pin, const char *user_file)
{
	struct kc_token_info *ti = NULL;
	unsigned char padded[32];
	char where[64];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	size_t n = 0, i, llen, pick = (size_t)-1;
	CK_SLOT_ID id;
	CK_RV rv;
	int rc, so_in = 0;

	if (label == NULL || (llen = strlen(label)) == 0 || llen > 32)
		return kc_err(KC_ERR_USAGE, "token label '%s': must be 1 to 32 "
		    "bytes", label != NULL ? label : "");
	for (i = 0; i < llen; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return kc_err(KC_ERR_USAGE, "token label: control "
			    "characters are not allowed");
	if (label[llen - 1] == ' ')
		return kc_err(KC_ERR_USAGE, "token label '%s': trailing "
		    "blanks are lost in PKCS#11 labels", label);
	if (ctx->open_tokens > 0)
		return kc_err(KC_ERR_INTERNAL, "kc_token_init called with a "
		    "token open");
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (!ti[i].present)
			continue;
		if (ti[i].initialized && strcmp(ti[i].label, label) == 0) {
			rc = kc_err(KC_ERR_EXISTS, "a token labelled '%s' "
			    "already exists (serial %s, slot %lu); choose "
			    "another --label", label, ti[i].serial,
			    ti[i].slot_id);
			goto out;
		}
		if (!ti[i].initialized && pick == (size_t)-1)
			pick = i;
	}
	if (pick == (size_t)-1) {
		rc = kc_err(KC_ERR_NOTFOUND, "%s offers no uninitialised token "
		    "(SoftHSM always has one; on a real HSM use the vendor's "
		    "tool)", ctx->module);
		goto out;
	}
	id = (CK_SLOT_ID)ti[pick].slot_id;
	/* Both PINs, before C_InitToken sends the SO PIN. */
	snprintf(where, sizeof(where), "the token in slot %lu",
	    (unsigned long)id);
	if ((rc = pin_length_check(ti[pick].min_pin, ti[pick].max_pin,
	    so_pin->len, "SO PIN", so_file, where)) != KC_OK ||
	    (rc = pin_length_check(ti[pick].min_pin, ti[pick].max_pin,
	    user_pin->len, "user PIN", user_file, where)) != KC_OK)
		goto out;
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, llen);
	rv = ctx->f->C_InitToken(id, (CK_UTF8CHAR_PTR)so_pin->buf,
	    (CK_ULONG)so_pin->len, padded);
	if (rv != CKR_OK) {
		rc = kc_err(rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE
		    ? KC_ERR_PIN : KC_ERR_PKCS11, "slot %lu: C_InitToken "
		    "failed (%s)", (unsigned long)id, kc_tok_ckr(rv));
		goto out;
	}
	rv = ctx->f->C_OpenSession(id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s': C_OpenSession failed "
		    "(%s)", label, kc_tok_ckr(rv));
		goto out;
	}
	rv = ctx->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin->buf,
	    (CK_ULONG)so_pin->len);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PIN, "token '%s': SO login failed (%s)",
		    label, kc_tok_ckr(rv));
		goto out;
	}
	so_in = 1;
	rv = ctx->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)user_pin->buf,
	    (CK_ULONG)user_pin->len);
	if (rv != CKR_OK) {
		rc = kc_err(rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID ?
		    KC_ERR_PIN : KC_ERR_PKCS11, "token '%s': C_InitPIN failed "
		    "(%s); the token is initialised but has no user PIN",
		    label, kc_tok_ckr(rv));
		goto out;
	}
	rc = KC_OK;
out:
	if (so_in)
		ctx->f->C_Logout(s);
	if (s != CK_INVALID_HANDLE)
		ctx->f->C_CloseSession(s);
	OPENSSL_cleanse(padded, sizeof(padded));
	free(ti);
	return rc;
}

int
kc_token_open(struct kc_token_ctx *ctx, const char *label,
    const char *serial, struct kc_token **out)
{
	struct kc_token_info *ti = NULL;
	struct kc_token *tok = NULL;
	size_t n = 0, i, match = 0, pick = 0;
	unsigned int k;
	char names[512];
	CK_RV rv;
	int rc;

	*out = NULL;
	if (label == NULL || *label == '\0')
		return kc_err(KC_ERR_USAGE, "no token label given (--token)");
	if ((rc = kc_token_list(ctx, &ti, &n)) != KC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (!ti[i].present || !ti[i].initialized ||
		    strcmp(ti[i].label, label) != 0)
			continue;
		if (serial != NULL && strcmp(ti[i].serial, serial) != 0)
			continue;
		if (match++ == 0)
			pick = i;
	}
	if (match == 0) {
		labels_string(ti, n, names, sizeof(names));
		rc = kc_err(KC_ERR_NOTFOUND, "no token labelled '%s'%s%s%s in "
		    "%s; tokens there: %s", label,
		    serial != NULL ? " with serial '" : "",
		    serial != NULL ? serial : "", serial != NULL ? "'" : "",
		    ctx->module, names);
		goto out;
	}
	if (match > 1) {
		rc = kc_err(KC_ERR_POLICY, "token label '%s' is ambiguous: %zu "
		    "tokens in %s carry it; relabel one of them", label, match,
		    ctx->module);
		goto out;
	}
	if (kc_token_preloaded(names, sizeof(names)) &&
	    !kc_token_is_rehearsal(&ti[pick])) {
		rc = kc_err(KC_ERR_POLICY, "%s: code that is neither the module "
		    "nor keyceremony would run beside the PIN and the keys of "
		    "token '%s' (%s %s), which is not a rehearsal token; "
		    "refusing it: unset it (env -u LD_PRELOAD -u LD_AUDIT) or "
		    "empty /etc/ld.so.preload and run again", names, label,
		    ti[pick].manufacturer, ti[pick].model);
		goto out;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	tok->ctx = ctx;
	tok->info = ti[pick];
	tok->slot_id = (CK_SLOT_ID)ti[pick].slot_id;
	tok->session = CK_INVALID_HANDLE;
	ctx->open_tokens++;
	tok->nslots = 0;
	if (PKCS11_enumerate_slots(ctx->p11, &tok->slots, &tok->nslots) != 0) {
		rc = kc_err(KC_ERR_PKCS11, "%s: listing slots failed (%s)",
		    ctx->module, kc_tok_ckr(kc_tok_p11_last_rv()));
		goto out;
	}
	for (k = 0; k < tok->nslots; k++) {
		PKCS11_SLOT *sl = &tok->slots[k];
		if (sl->token != NULL &&
		    PKCS11_get_slotid_from_slot(sl) == tok->slot_id) {
			tok->slot = sl;
			break;
		}
	}
	if (tok->slot == NULL) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s' (slot %lu) vanished "
		    "while it was being opened", label, ti[pick].slot_id);
		goto out;
	}
	rv = ctx->f->C_OpenSession(tok->slot_id,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &tok->session);
	if (rv == CKR_TOKEN_WRITE_PROTECTED)
		rv = ctx->f->C_OpenSession(tok->slot_id, CKF_SERIAL_SESSION,
		    NULL, NULL, &tok->session);
	if (rv != CKR_OK) {
		rc = kc_err(KC_ERR_PKCS11, "token '%s': C_OpenSession failed "
		    "(%s)", label, kc_tok_ckr(rv));
		goto out;
	}
	tok->have_session = 1;
	*out = tok;
	tok = NULL;
	rc = KC_OK;
out:
	kc_token_close(tok);
	free(ti);
	return rc;
}

void
kc_token_close(struct kc_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->have_session)
		tok->ctx->f->C_CloseSession(tok->session);
	if (tok->logged_in && tok->slot != NULL)
		PKCS11_logout(tok->slot);
	/* Releasing the slots wipes libp11's copy of the PIN and closes
	 * every session it had on them. */
	if (tok->slots != NULL)
		PKCS11_release_all_slots(tok->ctx->p11, tok->slots,
		    tok->nslots);
	ERR_clear_error();
	tok->ctx->open_tokens--;
	OPENSSL_cleanse(tok, sizeof(*tok));
	free(tok);
}

const struct kc_token_info *
kc_token_get_info(const struct kc_token *tok)
{
	return &tok->info;
}

/* Re-reads the token flags (PIN counters) into tok->info. */
static void
refresh_info(struct kc_token *tok)
{
	struct kc_token_info ti;

	if (slot_info(tok->ctx, tok->slot_id, &ti) == KC_OK)
		tok->info = ti;
	else
		kc_err_clear();
}

int
kc_token_login(struct kc_token *tok, const struct kc_secret *pin)
{
	return kc_token_login_file(tok, pin, NULL);
}

int
kc_token_login_file(struct kc_token *tok, const struct kc_secret *pin,
    const char *pin_file)
{
	const char *l = tok->info.label;
	char where[64];
	CK_RV rv;
	int rc;

	if (tok->logged_in)
		return KC_OK;
	refresh_info(tok);
	if (tok->info.pin_locked)
		return kc_err(KC_ERR_PIN, "the user PIN of token '%s' is locked "
		    "(CKR_PIN_LOCKED); the security officer must unblock it",
		    l);
	/* keyceremony never retries a PIN by itself, and it does not spend
	 * a token's last try: with one wrong PIN left before the lock, an
	 * officer's typo would lock the root key's token. */
	if (tok->info.pin_final_try)
		return kc_err(KC_ERR_PIN, "token '%s' reports that the next "
		    "wrong user PIN locks it (CKF_USER_PIN_FINAL_TRY); "
		    "keyceremony will not risk the last try: have the "
		    "security officer reset the user PIN first", l);
	if (!tok->info.user_pin_initialized)
		return kc_err(KC_ERR_PIN, "token '%s' has no user PIN "
		    "(CKR_USER_PIN_NOT_INITIALIZED); initialise it first", l);
	if (pin == NULL || pin->buf == NULL || pin->len == 0)
		return kc_err(KC_ERR_PIN, "empty PIN for token '%s'", l);
	snprintf(where, sizeof(where), "token '%s'", l);
	if ((rc = pin_length_check(tok->info.min_pin, tok->info.max_pin,
	    pin->len, "PIN", pin_file, where)) != KC_OK)
		return rc;
	if (PKCS11_login(tok->slot, 0, pin->buf) == 0) {
		tok->logged_in = 1;
		return KC_OK;
	}
	rv = kc_tok_p11_last_rv();
	refresh_info(tok);
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
		return kc_err(KC_ERR_PIN, "wrong PIN for token '%s' (%s); the "
		    "token may lock after more wrong tries%s", l, kc_tok_ckr(rv),
		    tok->info.pin_locked ? "; it is now LOCKED" :
		    tok->info.pin_final_try ? "; the token reports that the "
		    "NEXT wrong PIN locks it" :
		    tok->info.pin_count_low ? "; the token reports few tries "
		    "left" : "");
	case CKR_PIN_LOCKED:
		return kc_err(KC_ERR_PIN, "the user PIN of token '%s' is locked "
		    "(CKR_PIN_LOCKED); the security officer must unblock it; "
		    "do not retry", l);
	case CKR_PIN_LEN_RANGE:
		return kc_err(KC_ERR_PIN, "PIN for token '%s' has a length the "
		    "token refuses (CKR_PIN_LEN_RANGE)", l);
	case CKR_PIN_EXPIRED:
		return kc_err(KC_ERR_PIN, "PIN of token '%s' has expired "
		    "(CKR_PIN_EXPIRED); change it first", l);
	default:
		return kc_err(KC_ERR_PKCS11, "login to token '%s' failed (%s)",
		    l, kc_tok_ckr(rv));
	}
}

int
kc_token_random(struct kc_token *tok, unsigned char *buf, size_t len)
{
	CK_RV rv;

	if (len == 0)
		return KC_OK;
	rv = tok->ctx->f->C_GenerateRandom(tok->session, buf, (CK_ULONG)len);
	if (rv != CKR_OK)
		return kc_err(KC_ERR_PKCS11, "token '%s': C_GenerateRandom "
		    "failed (%s)", tok->info.label, kc_tok_ckr(rv));
	return KC_OK;
}

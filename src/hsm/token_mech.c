/*
 * token_mech.c: what a token can do, as far as it says so: the key sizes
 * and CKF_EC_* flags of C_GetMechanismInfo for the mechanisms a ceremony
 * needs, which root-key algorithms follow from them (for `token list`, the
 * preflight, key generation and `token probe`), and which tokens are
 * known software tokens (rehearsal).
 *
 * Measured (2026-12-01): SoftHSM 2.6 EC 112..521 with F_P, OID,
 * uncompressed; RSA 512..16384. tpm2-pkcs11 1.9 on swtpm EC 192..638 and
 * NO CKF_EC_* flag at all (absence of every flag means "not stated", never
 * "refused"); RSA 1024..3072. openCryptoki 3.8 soft token: no EC, RSA
 * 512..4096, no CKM_SHA256/384_RSA_PKCS (CKM_RSA_PKCS with a DigestInfo
 * signs instead).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kc/hsm/token.h"
#include "token_int.h"

#ifndef CKF_EC_F_2M
#define CKF_EC_F_2M		(1UL << 21)
#endif
#ifndef CKF_EC_ECPARAMETERS
#define CKF_EC_ECPARAMETERS	(1UL << 22)
#endif
#ifndef CKF_EC_CURVENAME
#define CKF_EC_CURVENAME	(1UL << 26)
#endif
#define KC_CKF_EC_ALL (CKF_EC_F_P | CKF_EC_F_2M | CKF_EC_ECPARAMETERS | \
	CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS | CKF_EC_COMPRESS | \
	CKF_EC_CURVENAME)

static void
one_mech(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID id, CK_MECHANISM_TYPE type,
    int listed, struct kc_mech_sizes *m)
{
	CK_MECHANISM_INFO mi;
	CK_RV rv;

	memset(m, 0, sizeof(*m));
	memset(&mi, 0, sizeof(mi));
	rv = f->C_GetMechanismInfo(id, type, &mi);
	m->present = listed || rv == CKR_OK;
	if (rv != CKR_OK)
		return;
	m->min = (unsigned long)mi.ulMinKeySize;
	m->max = (unsigned long)mi.ulMaxKeySize;
	m->flags = (unsigned long)mi.flags;
}

void
kc_tok_mech_info(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID id,
    struct kc_token_info *ti)
{
	one_mech(f, id, CKM_EC_KEY_PAIR_GEN, ti->mech_ec_keygen,
	    &ti->mi_ec_gen);
	one_mech(f, id, CKM_ECDSA, ti->mech_ecdsa, &ti->mi_ecdsa);
	one_mech(f, id, CKM_RSA_PKCS_KEY_PAIR_GEN, ti->mech_rsa_keygen,
	    &ti->mi_rsa_gen);
	one_mech(f, id, CKM_RSA_PKCS, ti->mech_rsa_pkcs, &ti->mi_rsa_pkcs);
	one_mech(f, id, CKM_SHA256_RSA_PKCS, 0, &ti->mi_rsa_sha256);
	one_mech(f, id, CKM_SHA384_RSA_PKCS, 0, &ti->mi_rsa_sha384);
}

const char *
kc_token_rehearsal_kind(const struct kc_token_info *ti)
{
	if (strstr(ti->manufacturer, "SoftHSM") != NULL ||
	    strstr(ti->model, "SoftHSM") != NULL)
		return "SoftHSM";
	if (strncmp(ti->manufacturer, "IBM", 3) == 0 &&
	    strcmp(ti->model, "IBM SoftTok") == 0)
		return "the openCryptoki soft token";
	/* tpm2-pkcs11 shows the TPM's vendor: swtpm says IBM, "SW   TPM". */
	if (strcmp(ti->manufacturer, "IBM") == 0 &&
	    strcmp(ti->model, "SW   TPM") == 0)
		return "tpm2-pkcs11 on a software TPM (swtpm)";
	return NULL;
}

static unsigned long
alg_bits(enum kc_alg alg)
{
	switch (alg) {
	case KC_ALG_EC_P256:	return 256;
	case KC_ALG_EC_P384:	return 384;
	case KC_ALG_RSA_2048:	return 2048;
	case KC_ALG_RSA_3072:	return 3072;
	case KC_ALG_RSA_4096:	return 4096;
	default:		return 0;
	}
}

/* 1 when bits lies in the stated range (0..0, or a max below the min:
 * not stated, accepted). */
static int
size_ok(const struct kc_mech_sizes *m, unsigned long bits)
{
	if (m->min == 0 && m->max == 0)
		return 1;
	if (m->max != 0 && m->max < m->min)
		return 1;
	return bits >= m->min && (m->max == 0 || bits <= m->max);
}

/* 1 with the reason in why when mechanism name (m) cannot do a key of
 * bits; 0 when it can. */
static int
mech_refuses(const char *name, const struct kc_mech_sizes *m,
    unsigned long bits, int ec, char *why, size_t whysz)
{
	unsigned long fl = m->flags & KC_CKF_EC_ALL;

	if (!m->present) {
		snprintf(why, whysz, "the token has no %s", name);
		return 1;
	}
	if (!size_ok(m, bits)) {
		if (m->max == 0)
			snprintf(why, whysz, "%s sizes from %lu (no maximum "
			    "stated)", name, m->min);
		else
			snprintf(why, whysz, "%s sizes %lu..%lu", name, m->min,
			    m->max);
		return 1;
	}
	if (!ec || fl == 0)
		return 0;
	if ((fl & (CKF_EC_F_P | CKF_EC_F_2M)) && !(fl & CKF_EC_F_P)) {
		snprintf(why, whysz, "%s states CKF_EC_F_2M only (no "
		    "prime-field curves)", name);
		return 1;
	}
	if ((fl & (CKF_EC_ECPARAMETERS | CKF_EC_NAMEDCURVE |
	    CKF_EC_CURVENAME)) && !(fl & CKF_EC_NAMEDCURVE)) {
		snprintf(why, whysz, "%s does not state CKF_EC_NAMEDCURVE "
		    "(curves given by OID)", name);
		return 1;
	}
	if ((fl & (CKF_EC_UNCOMPRESS | CKF_EC_COMPRESS)) &&
	    !(fl & CKF_EC_UNCOMPRESS)) {
		snprintf(why, whysz, "%s states compressed points only (no "
		    "CKF_EC_UNCOMPRESS)", name);
		return 1;
	}
	return 0;
}

int
kc_token_sign_offered(const struct kc_token_info *ti, enum kc_alg alg,
    char *why, size_t whysz)
{
	const char *an = kc_alg_name(alg);
	unsigned long bits = alg_bits(alg);
	const struct kc_mech_sizes *h;
	const char *hn;
	char w1[160], w2[160];

	why[0] = '\0';
	if (bits == 0) {
		snprintf(why, whysz, "%s: not a ceremony algorithm", an);
		return 0;
	}
	if (alg == KC_ALG_EC_P256 || alg == KC_ALG_EC_P384) {
		if (!mech_refuses("CKM_ECDSA", &ti->mi_ecdsa, bits, 1, w1,
		    sizeof(w1)))
			return 1;
		snprintf(why, whysz, "%s not offered: %s", an, w1);
		return 0;
	}
	/* RSA: the hash-and-sign mechanism of alg's digest, else raw PKCS#1
	 * v1.5 over a DigestInfo. */
	if (alg == KC_ALG_RSA_4096) {
		h = &ti->mi_rsa_sha384;
		hn = "CKM_SHA384_RSA_PKCS";
	} else {
		h = &ti->mi_rsa_sha256;
		hn = "CKM_SHA256_RSA_PKCS";
	}
	if (!mech_refuses(hn, h, bits, 0, w1, sizeof(w1)) ||
	    !mech_refuses("CKM_RSA_PKCS", &ti->mi_rsa_pkcs, bits, 0, w2,
	    sizeof(w2)))
		return 1;
	snprintf(why, whysz, "%s not offered: no signing mechanism: %s; %s",
	    an, w1, w2);
	return 0;
}

int
kc_token_alg_offered(const struct kc_token_info *ti, enum kc_alg alg,
    char *why, size_t whysz)
{
	const char *an = kc_alg_name(alg);
	unsigned long bits = alg_bits(alg);
	char w[160];

	why[0] = '\0';
	if (alg != KC_ALG_EC_P256 && alg != KC_ALG_EC_P384 &&
	    alg != KC_ALG_RSA_3072 && alg != KC_ALG_RSA_4096) {
		snprintf(why, whysz, "%s is not a root-key algorithm", an);
		return 0;
	}
	if (alg == KC_ALG_EC_P256 || alg == KC_ALG_EC_P384) {
		if (mech_refuses("CKM_EC_KEY_PAIR_GEN", &ti->mi_ec_gen, bits,
		    1, w, sizeof(w)))
			goto refused;
	} else if (mech_refuses("CKM_RSA_PKCS_KEY_PAIR_GEN", &ti->mi_rsa_gen,
	    bits, 0, w, sizeof(w)))
		goto refused;
	return kc_token_sign_offered(ti, alg, why, whysz);
refused:
	snprintf(why, whysz, "%s not offered: %s", an, w);
	return 0;
}

void
kc_token_algs_offered(const struct kc_token_info *ti, char *buf,
    size_t bufsz)
{
	static const enum kc_alg algs[] = { KC_ALG_EC_P384, KC_ALG_EC_P256,
	    KC_ALG_RSA_3072, KC_ALG_RSA_4096 };
	char why[256];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (!kc_token_alg_offered(ti, algs[i], why, sizeof(why)))
			continue;
		used = strlen(buf);
		snprintf(buf + used, bufsz - used, "%s%s", used ? " " : "",
		    kc_alg_name(algs[i]));
	}
}

void
kc_token_mech_text(const char *name, const struct kc_mech_sizes *m,
    char *buf, size_t bufsz)
{
	unsigned long fl = m->flags;
	size_t used;
	char *p;

	if (!m->present) {
		snprintf(buf, bufsz, "%s no", name);
		return;
	}
	if (m->min == 0 && m->max == 0)
		snprintf(buf, bufsz, "%s (sizes not stated)", name);
	else
		snprintf(buf, bufsz, "%s %lu..%lu", name, m->min, m->max);
	if ((fl & KC_CKF_EC_ALL) == 0)
		return;
	used = strlen(buf);
	snprintf(buf + used, bufsz - used, " [%s%s%s%s%s%s%s]",
	    fl & CKF_EC_F_P ? " F_P" : "", fl & CKF_EC_F_2M ? " F_2M" : "",
	    fl & CKF_EC_ECPARAMETERS ? " params" : "",
	    fl & CKF_EC_NAMEDCURVE ? " OID" : "",
	    fl & CKF_EC_CURVENAME ? " curve-name" : "",
	    fl & CKF_EC_UNCOMPRESS ? " uncompressed" : "",
	    fl & CKF_EC_COMPRESS ? " compressed" : "");
	if ((p = strstr(buf, "[ ")) != NULL)	/* "[ F_P" -> "[F_P" */
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
}

/*
 * kc/factory/crl.h: factorysign crl, the CRL of the factory's
 * intermediate (src/factory/lib/factory_crl.c), and the cloud actions for
 * the devices it revokes (kc/core/revactions.h).
 *
 * kc_factory_crl() revokes the devices named (a device ID: its live
 * certificate; a serial: a ledger row; a certificate file that must be
 * signed by D's intermediate and be the ledger's), marks them in the
 * ledger (kc_ledger_revoke), and signs a CRL v2 with the intermediate's
 * key listing every revoked certificate of this intermediate in the
 * ledger (an empty CRL when there is none): AKI, CRL number, thisUpdate
 * now, nextUpdate now + days (at most the intermediate's notAfter). The
 * CRL number is one above both the ledger's last for this intermediate
 * (kc_ledger_crl_last) and the newest CRL of this intermediate on disk
 * (D/crl/ *.crl, the *.crl files beside --out, --out itself); a CRL on
 * disk that revokes a serial the ledger does not is refused (a ledger
 * rolled back or replaced), as the root side does. The number is recorded
 * (kc_ledger_crl_record) in the transaction of the revocations: of two
 * stations on one PostgreSQL ledger racing for a number, the second is
 * refused and records nothing.
 *
 * After the commit it writes: out (replacing an earlier CRL of this
 * intermediate, never anything else), D/crl/intermediate-SERIAL-N.crl
 * (SERIAL the signing intermediate's: the archive the next run compares
 * with; two intermediates' CRLs never share a name), crls.pem beside out
 * (the root's CRL, from root_crl or D/root.crl, then this CRL, then the
 * newest archived CRL of every other intermediate of D still valid: what
 * a relying party with -crl_check_all, or a broker's crlfile, needs; one
 * with none is warned about) and, when the CRL revokes anything, the
 * cloud actions for every certificate it revokes as revocation-actions.txt
 * beside out (kc/core/revactions.h, the text the root side writes too).
 * Every input and output is checked before the key signs anything: on a
 * refusal nothing is written and the ledger is unchanged.
 *
 * The handle's intermediate is the CRL's issuer: kc_factory_open() for
 * D's active one, kc_fcrl_open_retired() for one a rekey retired to
 * D/previous/SERIAL/ (factorysign crl --intermediate SERIAL); --revoke of
 * a device another intermediate of D issued is refused naming that one.
 *
 * Ownership: kc_fcrl_result_free() frees what the result holds;
 * kc_fcrl_set_free() what a set holds.
 */
#ifndef KC_FACTORY_CRL_H
#define KC_FACTORY_CRL_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "kc/core/crl.h"
#include "kc/factory/factory.h"

#define KC_FCRL_DAYS	7	/* default nextUpdate: a week */
#define KC_FCRL_DAYS_MAX 366
#define KC_FCRL_CRLS	"crls.pem"

struct kc_fcrl_params {
	const char		*out;		/* the intermediate's CRL (PEM) */
	const char *const	*revoke;	/* IDs, serials, certificate files */
	size_t			 n_revoke;
	int			 reason;	/* KC_REASON_*; NONE: no code */
	int			 days;		/* 0: KC_FCRL_DAYS */
	const char		*root_crl;	/* NULL: D/root.crl when there */
	time_t			 now;		/* 0: time(NULL) */
};

/* One certificate named by --revoke. */
struct kc_fcrl_device {
	char	 serial[41];
	char	 id[KC_FACTORY_ID_MAX + 1];
	char	 kind[16];		/* "device", "verification" */
	char	 cert_path[PATH_MAX];	/* for the actions; "" unknown */
	int	 reason;
	int	 already;		/* was revoked before this run */
	time_t	 revoked_at;
};

struct kc_fcrl_result {
	long long		 number;
	time_t			 this_update, next_update;
	size_t			 n_entries;	/* revoked certificates listed */
	struct kc_fcrl_device	*named;		/* what --revoke named */
	size_t			 n_named;
	char			 sha256[65];	/* of the PEM written to out */
	char			 issuer_serial[41];	/* the signing
							   intermediate's */
	char			 archive[PATH_MAX + 64];
	char			 crls[PATH_MAX + 64];	/* "" when not written */
	long long		 root_number;		/* of the root CRL used */
	time_t			 root_next_update;
	char			 actions[PATH_MAX + 64];	/* "" when not written */
	char			*actions_text;		/* malloc'd or NULL */
};
void kc_fcrl_result_free(struct kc_fcrl_result *r);

int kc_factory_crl(struct kc_factory *f, const struct kc_fcrl_params *p,
    struct kc_fcrl_result *r);

/* --- which intermediate (factory_crl_issuer.c) ---------------------------- */

/* The intermediate a CRL is for (--intermediate SERIAL). */
struct kc_fcrl_issuer {
	int	 current;		/* D's active intermediate: open D with
					   kc_factory_open() */
	char	 serial[41];		/* of the certificate that signs */
	char	 dir[PATH_MAX + 400];	/* retired: D/previous/SERIAL */
	char	 cert[PATH_MAX + 400];	/* retired: its intermediate.pem */
	char	 key[PATH_MAX + 400];	/* retired: its intermediate.key */
	char	 note[512];		/* "" or why another serial signs
					   (a renewal of the same key) */
};
/* Finds serial (hex; 0x and colons allowed) among D's intermediates: the
 * active one, or D/previous/SERIAL (a real directory of this user's: a
 * symbolic link, a file, a foreign owner, a missing or unreadable
 * intermediate.pem, one of another serial, a missing intermediate.key are
 * refused with one line). A certificate replaced by a renewal of the
 * active key is the active intermediate (same name and key: one CRL);
 * one of a retired key renewed before that key was retired is signed for
 * by the certificate kept with the key. */
int kc_fcrl_issuer_find(const char *dir, const char *serial,
    struct kc_fcrl_issuer *is);
/* A handle for kc_factory_crl() signing as the retired intermediate is
 * (not current): its certificate and key (decrypted with pass, which must
 * match), D/root.pem and D's ledger (which must exist). Refused when the
 * certificate has ended. Freed with kc_factory_close(); it signs nothing
 * but CRLs. */
int kc_fcrl_open_retired(const char *dir, const struct kc_fcrl_issuer *is,
    const struct kc_secret *pass, struct kc_factory **out);

/* D's intermediates: [0] the active one (D/intermediate.pem), then each
 * D/previous/SERIAL/intermediate.pem in name order (an unreadable one is
 * left out, with a warning when warn is set; symbolic links are not
 * followed). */
struct kc_fcrl_inter {
	X509	*cert;
	char	 serial[41];
	char	 ski[65];		/* lower-case hex; "" when none */
	int	 current;
	char	 path[PATH_MAX + 32];
};
struct kc_fcrl_set {
	struct kc_fcrl_inter	*v;
	size_t			 n;
};
int kc_fcrl_set_load(const char *dir, int warn, struct kc_fcrl_set *s);
void kc_fcrl_set_free(struct kc_fcrl_set *s);
/* The intermediate of s that issued x (name and AKI), or NULL. */
const struct kc_fcrl_inter *kc_fcrl_set_issuer_of(const struct kc_fcrl_set *s,
    const X509 *x);
/* "intermediate SERIAL (the active one)" / "(retired, PATH)" into out. */
void kc_fcrl_inter_name(const struct kc_fcrl_inter *v, char *out, size_t n);
/* The subjectKeyIdentifier in lower-case hex (the ledger's CRL issuer). */
int kc_fcrl_ski_hex(const X509 *x, char out[65]);

#endif

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
 * intermediate, never anything else), D/crl/intermediate-N.crl (the
 * archive the next run compares with), crls.pem beside out (the root's
 * CRL, from root_crl or D/root.crl, then this CRL: what a relying party
 * with -crl_check_all needs) and, when the CRL revokes anything, the
 * cloud actions for every certificate it revokes as revocation-actions.txt
 * beside out (kc/core/revactions.h, the text the root side writes too).
 * Every input and output is checked before the key signs anything: on a
 * refusal nothing is written and the ledger is unchanged.
 *
 * Ownership: kc_fcrl_result_free() frees what the result holds.
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

#endif

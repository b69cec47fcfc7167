/*
 * tests/ledger/ledger3.c: the ledger's schema 3 calls (kc/factory/ledger.h)
 * on either backend, for tests/ledger/schema3.sh. A PostgreSQL ledger when
 * KC_LEDGER3_URI is set (station KC_LEDGER3_STATION), else the SQLite file
 * PATH.
 *   ledger3 PATH unit PREFIX      the unit checks, one "ok DESC" or
 *                                 "not ok DESC" line each (serials and IDs
 *                                 start with PREFIX)
 *   ledger3 PATH status SERIAL S  kc_ledger_set_status
 *   ledger3 PATH revoke SERIAL REASON WHEN
 *   ledger3 PATH crl ISSUER NUMBER  kc_ledger_crl_record (now, now + 1 day)
 *   ledger3 PATH crl-last ISSUER
 * Errors: the message on stderr, exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"

static int failed;

static void
t(int cond, const char *desc)
{
	printf("%s %s\n", cond ? "ok" : "not ok", desc);
	if (!cond) {
		printf("#   last message: %s\n", kc_errmsg());
		failed = 1;
	}
}

/* A row of fake content: the ledger does not parse the DER. */
static void
mkrow(struct kc_ledger_row *r, const char *pfx, const char *ser,
    const char *id, const char *status, unsigned char *der)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->serial, sizeof(r->serial), "%s%s", pfx, ser);
	snprintf(r->device_id, sizeof(r->device_id), "%s%s", pfx, id);
	memset(r->cert_sha256, 'a', 64);
	r->issued_at = 1700000000;
	r->not_after = 1800000000;
	strcpy(r->kind, "device");
	snprintf(r->status, sizeof(r->status), "%s", status);
	r->cert_path = (char *)"/nonexistent/x.cert.pem";
	memset(der, ser[0], 8);
	r->cert_der = der;
	r->cert_der_len = 8;
}

struct seen {
	const char *pfx;
	int n, first_ok;
	char serial[41];
	long long when;
	int reason;
	unsigned char der0;
	char hexpfx[64];
};

static int
on_revoked(void *arg, const struct kc_ledger_row *r, time_t when, int reason)
{
	struct seen *s = arg;

	if (strncmp(r->serial, s->pfx, strlen(s->pfx)) != 0)
		return 0;
	if (s->n++ == 0) {
		snprintf(s->serial, sizeof(s->serial), "%s", r->serial);
		s->when = (long long)when;
		s->reason = reason;
		s->der0 = r->cert_der_len == 8 ? r->cert_der[0] : 0;
	}
	return 0;
}

static int
on_crl(void *arg, const struct kc_ledger_crl *c)
{
	struct seen *s = arg;

	if (strncmp(c->issuer, s->hexpfx, strlen(s->hexpfx)) == 0)
		s->n++;
	return 0;
}

static void
unit(struct kc_ledger *l, const char *pfx)
{
	struct kc_ledger_row a, p, p2, found;
	unsigned char da[8], dp[8], dp2[8];
	char s[64], iss[80] = "", iss2[80], sha[65], bad[65] = "xyz";
	struct seen sn;
	long long num;
	int already = -1, r;

	memset(sha, 'b', 64);
	sha[64] = '\0';
	/* issuers: the prefix in hex, then abc1 / abc2 */
	for (size_t i = 0; i < strlen(pfx) && i < 30; i++)
		snprintf(iss + 2 * i, 3, "%02x", (unsigned char)pfx[i]);
	snprintf(iss2, sizeof(iss2), "%sabc2", iss);
	strcat(iss, "abc1");
	mkrow(&a, pfx, "a1", "dev-a", "issued", da);
	mkrow(&p, pfx, "b1", "dev-p", "pending", dp);
	t(kc_ledger_record(l, &a) == KC_OK, "record an issued row");
	t(kc_ledger_record(l, &p) == KC_OK, "record a pending row");
	memset(&found, 0, sizeof(found));
	snprintf(s, sizeof(s), "%sDEV-P", pfx);
	r = kc_ledger_find_id(l, s, &found);
	t(r == 1 && strcmp(found.status, "pending") == 0 &&
	    strcmp(found.serial, p.serial) == 0,
	    "find_id returns the pending row (case-insensitively)");
	kc_ledger_row_clear(&found);
	mkrow(&p2, pfx, "c1", "DEV-P", "issued", dp2);
	t(kc_ledger_record(l, &p2) == KC_ERR_EXISTS,
	    "a second live row for a pending ID is refused");
	strcpy(p2.status, "pending");
	t(kc_ledger_record(l, &p2) == KC_ERR_EXISTS,
	    "a second pending row for a pending ID is refused");
	t(kc_ledger_set_status(l, p.serial, "issued") == KC_OK,
	    "set_status pending -> issued");
	r = kc_ledger_find_id(l, s, &found);
	t(r == 1 && strcmp(found.status, "issued") == 0,
	    "  ... find_id now says issued");
	kc_ledger_row_clear(&found);
	t(kc_ledger_set_status(l, p.serial, "revoked") == KC_ERR_USAGE &&
	    strstr(kc_errmsg(), "not issued, pending or superseded") != NULL,
	    "set_status to an unknown status is refused");
	snprintf(s, sizeof(s), "%sffff", pfx);
	t(kc_ledger_set_status(l, s, "issued") == KC_ERR_NOTFOUND &&
	    strstr(kc_errmsg(), "no certificate with serial") != NULL,
	    "set_status of an unknown serial: not found");
	t(kc_ledger_set_status(l, p.serial, "superseded") == KC_OK,
	    "set_status issued -> superseded");
	t(kc_ledger_record(l, &p2) == KC_OK,
	    "  ... then the ID takes a new pending row");
	t(kc_ledger_set_status(l, p.serial, "issued") == KC_ERR_EXISTS &&
	    strstr(kc_errmsg(), "another live certificate") != NULL,
	    "set_status to issued with another live row: refused");
	r = kc_ledger_find_id(l, p2.device_id, &found);
	t(r == 1 && strcmp(found.serial, p2.serial) == 0,
	    "  ... and the live row is still the new one");
	kc_ledger_row_clear(&found);

	/* revocations */
	t(kc_ledger_revoke(l, a.serial, 1, 1750000000, &already) == KC_OK &&
	    already == 0, "revoke (keyCompromise)");
	t(kc_ledger_revoke(l, a.serial, 4, 1760000000, &already) == KC_OK &&
	    already == 1, "revoke again: KC_OK, already set");
	t(kc_ledger_revoke(l, p.serial, -1, 1750000001, NULL) == KC_OK,
	    "revoke without a reason (-1), already NULL");
	t(kc_ledger_revoke(l, s, 1, 1750000000, &already) == KC_ERR_NOTFOUND,
	    "revoke an unknown serial: not found");
	t(kc_ledger_revoke(l, a.serial, 7, 1750000000, &already) ==
	    KC_ERR_USAGE && kc_ledger_revoke(l, a.serial, 11, 1750000000,
	    &already) == KC_ERR_USAGE && kc_ledger_revoke(l, a.serial, -2,
	    1750000000, &already) == KC_ERR_USAGE,
	    "reason codes 7, 11, -2 are refused");
	memset(&sn, 0, sizeof(sn));
	sn.pfx = pfx;
	t(kc_ledger_foreach_revoked(l, on_revoked, &sn) == KC_OK && sn.n == 2 &&
	    strcmp(sn.serial, a.serial) == 0 && sn.when == 1750000000 &&
	    sn.reason == 1 && sn.der0 == 'a',
	    "foreach_revoked: 2, in order, the first revocation kept, with "
	    "cert_der");
	t(kc_ledger_begin(l) == KC_OK &&
	    kc_ledger_revoke(l, p2.serial, 0, 1750000002, &already) == KC_OK &&
	    kc_ledger_rollback(l) == KC_OK, "revoke in a transaction, rolled "
	    "back");
	memset(&sn, 0, sizeof(sn));
	sn.pfx = pfx;
	t(kc_ledger_foreach_revoked(l, on_revoked, &sn) == KC_OK && sn.n == 2,
	    "  ... leaves no revocation");

	/* CRLs */
	t(kc_ledger_crl_last(l, iss, &num) == KC_OK && num == 0,
	    "crl_last of an issuer without CRLs: 0");
	t(kc_ledger_crl_record(l, iss, 1, 1750000000, 1750086400, sha) ==
	    KC_OK, "crl_record 1");
	t(kc_ledger_crl_last(l, iss, &num) == KC_OK && num == 1,
	    "  ... crl_last 1");
	t(kc_ledger_crl_record(l, iss, 1, 1750000000, 1750086400, sha) ==
	    KC_ERR_EXISTS && strstr(kc_errmsg(), "already recorded") != NULL,
	    "crl_record 1 again: refused, already recorded");
	t(kc_ledger_begin(l) == KC_OK &&
	    kc_ledger_crl_record(l, iss, 2, 1750000000, 1750086400, sha) ==
	    KC_OK && kc_ledger_crl_record(l, iss, 2, 1750000000, 1750086400,
	    sha) == KC_ERR_EXISTS && kc_ledger_crl_record(l, iss, 3,
	    1750000000, 1750086400, sha) == KC_OK && kc_ledger_commit(l) ==
	    KC_OK, "in a transaction: 2, 2 refused, 3, and the commit holds");
	t(kc_ledger_crl_last(l, iss, &num) == KC_OK && num == 3,
	    "  ... crl_last 3");
	t(kc_ledger_crl_last(l, iss2, &num) == KC_OK && num == 0,
	    "another issuer: its own numbers (0)");
	t(kc_ledger_crl_record(l, iss2, 1, 1750000000, 1750086400, sha) ==
	    KC_OK, "  ... and its CRL 1");
	t(kc_ledger_crl_last(l, "ABC", &num) == KC_ERR_USAGE &&
	    kc_ledger_crl_record(l, "a'b", 1, 0, 0, sha) == KC_ERR_USAGE &&
	    kc_ledger_crl_record(l, iss, 9, 0, 0, bad) == KC_ERR_USAGE &&
	    kc_ledger_crl_record(l, iss, 0, 0, 0, sha) == KC_ERR_USAGE,
	    "bad issuer, SHA-256 or number 0: refused");
	memset(&sn, 0, sizeof(sn));
	sn.pfx = pfx;
	snprintf(sn.hexpfx, sizeof(sn.hexpfx), "%.*s", (int)(strlen(iss) - 4),
	    iss);
	t(kc_ledger_foreach_crl(l, on_crl, &sn) == KC_OK && sn.n == 4,
	    "foreach_crl: 4");
}

int
main(int argc, char **argv)
{
	struct kc_ledger *l = NULL;
	const char *uri = getenv("KC_LEDGER3_URI");
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: ledger3 PATH unit|status|revoke|crl ...\n");
		return 2;
	}
	if (uri != NULL && kc_ledger_use(uri,
	    getenv("KC_LEDGER3_STATION")) != KC_OK) {
		fprintf(stderr, "ledger3: %s\n", kc_errmsg());
		return 1;
	}
	if ((rc = kc_ledger_open(argv[1], 1, &l)) != KC_OK) {
		fprintf(stderr, "ledger3: %s\n", kc_errmsg());
		return 1;
	}
	rc = KC_OK;
	if (strcmp(argv[2], "unit") == 0 && argc == 4)
		unit(l, argv[3]);
	else if (strcmp(argv[2], "status") == 0 && argc == 5)
		rc = kc_ledger_set_status(l, argv[3], argv[4]);
	else if (strcmp(argv[2], "revoke") == 0 && argc == 6) {
		int already = 0;
		rc = kc_ledger_revoke(l, argv[3], atoi(argv[4]),
		    (time_t)strtoll(argv[5], NULL, 10), &already);
		if (rc == KC_OK && already)
			printf("already revoked\n");
	} else if (strcmp(argv[2], "crl") == 0 && argc == 5) {
		char sha[65];
		time_t now = time(NULL);

		memset(sha, 'c', 64);
		sha[64] = '\0';
		rc = kc_ledger_crl_record(l, argv[3], strtoll(argv[4], NULL,
		    10), now, now + 86400, sha);
	} else if (strcmp(argv[2], "crl-last") == 0 && argc == 4) {
		long long n;
		if ((rc = kc_ledger_crl_last(l, argv[3], &n)) == KC_OK)
			printf("%lld\n", n);
	} else {
		fprintf(stderr, "ledger3: bad arguments\n");
		kc_ledger_close(l);
		return 2;
	}
	if (rc != KC_OK)
		fprintf(stderr, "ledger3: %s\n", kc_errmsg());
	kc_ledger_close(l);
	return rc != KC_OK || failed;
}

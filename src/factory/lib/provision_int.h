/* provision_int.h: the AT dialogue of the line station (provision_at.c),
 * used by provision.c. Every function names the port and the step in its
 * message. */
#ifndef KC_PROVISION_INT_H
#define KC_PROVISION_INT_H

#include "kc/core/csr.h"
#include "kc/factory/nrf.h"
#include "kc/factory/provision.h"

struct kc_prov_dev {
	struct kc_serial	*s;
	const char		*port;
	int			 tmo;	/* ms per exchange */
	long			 tag;
};

/* AT until OK (a few tries), then AT+CMEE=1. */
int kc_prov_hello(struct kc_prov_dev *d);
/* AT+CGMR, AT+CGSN=1, the UUID (AT%DEVICEUUID, else AT%ATTESTTOKEN, else
 * left "" for the %KEYGEN payload) into res. */
int kc_prov_identify(struct kc_prov_dev *d, struct kc_prov_result *res);
/* AT+CFUN=4, then AT+CFUN? must read 4. */
int kc_prov_offline(struct kc_prov_dev *d);
/* AT%KEYGEN=<tag>,2,0[,"CN=<cn>"]: the %KEYGEN line of the reply
 * (malloc'd). */
int kc_prov_keygen(struct kc_prov_dev *d, const char *cn, char **line);
/* The intake of factorysign keygen on that line: the envelope and digest
 * (kc_nrf_parse, *m), the CSR, sec_tag, the UUID against res->uuid
 * (filled when ""), the CSR's CN = the ID as id_from says (res->id filled
 * when ""). */
int kc_prov_intake(struct kc_prov_dev *d, const char *line, const char *what,
    int id_from, struct kc_prov_result *res, struct kc_nrf_msg **m,
    struct kc_csr **csr);
/* Deletes types 0 and 1 of the tag when present, writes ca (type 0, when
 * not NULL) and chain (type 1). */
int kc_prov_write(struct kc_prov_dev *d, const char *ca, const char *chain);
/* AT%CMNG=1,<tag>: type 1 (and 0 when ca_sha is not NULL) must be listed
 * with these SHA-256 values. */
int kc_prov_verify(struct kc_prov_dev *d, const char *ca_sha,
    const char *cred_sha);
/* Best effort: deletes type 1 (and 0) of the tag; keeps the error
 * message that was set. */
void kc_prov_erase(struct kc_prov_dev *d, int ca);
/* AT+CFUN=1. */
int kc_prov_online(struct kc_prov_dev *d);

#endif

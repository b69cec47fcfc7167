/* provision_at.c: the AT dialogue of the line station with an nRF91
 * modem (provision_int.h): every reply is checked for exactly the form
 * Nordic's AT reference gives; anything else is the device's fault and
 * is named, escaped, in the message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "kc/factory/nrf.h"
#include "kc/factory/provision.h"
#include "provision_int.h"

#define HELLO_TRIES	5

/* "AT%CMNG" of "AT%CMNG=0,16,1,\"...\"" */
static void
short_name(const char *cmd, char *out, size_t sz)
{
	size_t n = strcspn(cmd, "=?\",");

	if (n >= sz)
		n = sz - 1;
	memcpy(out, cmd, n);
	out[n] = '\0';
}

/* Runs cmd; KC_OK only for OK. Otherwise KC_ERR_IO naming the error
 * (r keeps the final result for the caller). */
static int
run(struct kc_prov_dev *d, const char *cmd, int tmo, struct kc_at_resp *r)
{
	char name[32];
	const char *what;
	int rc;

	if ((rc = kc_at_cmd(d->s, cmd, strlen(cmd), tmo, r)) != KC_OK)
		return rc;
	if (r->final == KC_AT_OK)
		return KC_OK;
	short_name(cmd, name, sizeof(name));
	if (r->final == KC_AT_ERROR)
		return kc_err(KC_ERR_IO, "port %s: %s: ERROR", d->port, name);
	what = kc_cme_name(r->cme);
	return kc_err(KC_ERR_IO, "port %s: %s: +CME ERROR: %ld (%s)", d->port,
	    name, r->cme, what ? what : "see Nordic's AT command reference");
}

/* The one line of r starting with prefix; NULL (and a message) when
 * there is none or more than one. */
static const char *
one_line(struct kc_prov_dev *d, const struct kc_at_resp *r,
    const char *prefix, const char *cmd)
{
	const char *hit = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (strncmp(r->line[i], prefix, strlen(prefix)) != 0)
			continue;
		if (hit != NULL) {
			kc_err(KC_ERR_INPUT, "port %s: %s: two '%s' lines in "
			    "the reply", d->port, cmd, prefix);
			return NULL;
		}
		hit = r->line[i];
	}
	if (hit == NULL)
		kc_err(KC_ERR_INPUT, "port %s: %s: no '%s' line in the reply%s%s",
		    d->port, cmd, prefix, r->n ? ": " : "",
		    r->n ? r->line[0] : "");
	return hit;
}

int
kc_prov_hello(struct kc_prov_dev *d)
{
	struct kc_at_resp r;
	int rc = KC_OK, i, t = d->tmo < 1000 ? d->tmo : 1000;

	/* a modem just powered sends noise or nothing: a few short tries */
	for (i = 0; i < HELLO_TRIES; i++) {
		rc = run(d, "AT", t, &r);
		kc_at_resp_clear(&r);
		if (rc == KC_OK)
			break;
		if (strstr(kc_errmsg(), "went away") != NULL)
			return rc;
	}
	if (rc != KC_OK)
		return kc_err(KC_ERR_IO, "port %s: no OK to AT after %d tries: "
		    "is an nRF91 with an AT host attached? (last: %s)", d->port,
		    HELLO_TRIES, kc_errmsg());
	rc = run(d, "AT+CMEE=1", d->tmo, &r);
	kc_at_resp_clear(&r);
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 hex digits, dashes as in 8-4-4-4-12 or none, to the lower-case
 * 8-4-4-4-12 form. */
static int
uuid_norm(const char *s, char out[37])
{
	size_t n = 0, len = strlen(s), i;
	char hex[33];

	if (len != 32 && len != 36)
		return -1;
	for (i = 0; i < len; i++) {
		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if (hexval((unsigned char)s[i]) < 0 || n == 32)
			return -1;
		hex[n++] = "0123456789abcdef"[hexval((unsigned char)s[i])];
	}
	if (n != 32)
		return -1;
	hex[32] = '\0';
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
	return 0;
}

static int
get_uuid(struct kc_prov_dev *d, struct kc_prov_result *res)
{
	struct kc_at_resp r;
	struct kc_nrf_msg *m = NULL;
	const char *l;
	char what[512];
	int rc;

	/* nRF91x1 */
	if ((rc = run(d, "AT%DEVICEUUID", d->tmo, &r)) == KC_OK) {
		if ((l = one_line(d, &r, "%DEVICEUUID: ", "AT%DEVICEUUID")) ==
		    NULL)
			rc = KC_ERR_INPUT;
		else if (uuid_norm(l + 13, res->uuid) != 0)
			rc = kc_err(KC_ERR_INPUT, "port %s: AT%%DEVICEUUID: not "
			    "a UUID: '%s'", d->port, l + 13);
		kc_at_resp_clear(&r);
		return rc;
	}
	kc_at_resp_clear(&r);
	if (rc != KC_ERR_IO || strstr(kc_errmsg(), "went away") ||
	    strstr(kc_errmsg(), "no reply"))
		return rc;
	/* nRF9160: the identity token; older firmware: neither */
	kc_err_clear();
	if ((rc = run(d, "AT%ATTESTTOKEN", d->tmo, &r)) != KC_OK) {
		kc_at_resp_clear(&r);
		if (strstr(kc_errmsg(), "went away") ||
		    strstr(kc_errmsg(), "no reply"))
			return rc;
		kc_err_clear();
		return KC_OK;
	}
	snprintf(what, sizeof(what), "port %s: %%ATTESTTOKEN", d->port);
	if ((l = one_line(d, &r, "%ATTESTTOKEN: ", "AT%ATTESTTOKEN")) == NULL)
		rc = KC_ERR_INPUT;
	else if ((rc = kc_nrf_parse(l, strlen(l), what, &m)) == KC_OK &&
	    m->type != KC_NRF_IDENTITY)
		rc = kc_err(KC_ERR_INPUT, "%s: not an identity token", what);
	if (rc == KC_OK)
		memcpy(res->uuid, m->uuid_str, sizeof(res->uuid));
	kc_nrf_msg_free(m);
	kc_at_resp_clear(&r);
	return rc;
}

int
kc_prov_identify(struct kc_prov_dev *d, struct kc_prov_result *res)
{
	struct kc_at_resp r;
	const char *l;
	char why[128];
	size_t n;
	int rc;

	if ((rc = run(d, "AT+CGMR", d->tmo, &r)) != KC_OK)
		goto out;
	l = r.n > 0 ? r.line[0] : "";
	n = strlen(l);
	if (r.n != 1 || n == 0 || n >= sizeof(res->fw) ||
	    !kc_text_plain(l, n, why, sizeof(why)) || strchr(l, ' ')) {
		rc = kc_err(KC_ERR_INPUT, "port %s: AT+CGMR: not a firmware "
		    "name: '%s'", d->port, l);
		goto out;
	}
	memcpy(res->fw, l, n + 1);
	kc_at_resp_clear(&r);
	if ((rc = run(d, "AT+CGSN=1", d->tmo, &r)) != KC_OK)
		goto out;
	if ((l = one_line(d, &r, "+CGSN: ", "AT+CGSN=1")) == NULL) {
		rc = KC_ERR_INPUT;
		goto out;
	}
	l += 7;
	if (strlen(l) != 17 || l[0] != '"' || l[16] != '"' ||
	    strspn(l + 1, "0123456789") != 15) {
		rc = kc_err(KC_ERR_INPUT, "port %s: AT+CGSN=1: not an IMEI "
		    "(\"15 digits\"): '%s'", d->port, l);
		goto out;
	}
	memcpy(res->imei, l + 1, 15);
	res->imei[15] = '\0';
	kc_at_resp_clear(&r);
	rc = get_uuid(d, res);
out:
	kc_at_resp_clear(&r);
	return rc;
}

int
kc_prov_offline(struct kc_prov_dev *d)
{
	struct kc_at_resp r;
	const char *l;
	int rc;

	if ((rc = run(d, "AT+CFUN=4", d->tmo, &r)) != KC_OK)
		goto out;
	kc_at_resp_clear(&r);
	if ((rc = run(d, "AT+CFUN?", d->tmo, &r)) != KC_OK)
		goto out;
	if ((l = one_line(d, &r, "+CFUN: ", "AT+CFUN?")) == NULL)
		rc = KC_ERR_INPUT;
	else if (strcmp(l, "+CFUN: 4") != 0)
		rc = kc_err(KC_ERR_IO, "port %s: the modem is still online "
		    "after AT+CFUN=4 ('%s'; credentials can only be written "
		    "offline)", d->port, l);
out:
	kc_at_resp_clear(&r);
	return rc;
}

int
kc_prov_keygen(struct kc_prov_dev *d, const char *cn, char **line)
{
	struct kc_at_resp r;
	const char *l;
	char cmd[128];
	int rc;

	*line = NULL;
	if (cn != NULL)
		snprintf(cmd, sizeof(cmd), "AT%%KEYGEN=%ld,2,0,\"CN=%s\"", d->tag,
		    cn);
	else
		snprintf(cmd, sizeof(cmd), "AT%%KEYGEN=%ld,2,0", d->tag);
	/* key generation takes the modem a while */
	if ((rc = run(d, cmd, 3 * d->tmo, &r)) != KC_OK)
		goto out;
	if ((l = one_line(d, &r, "%KEYGEN: ", "AT%KEYGEN")) == NULL)
		rc = KC_ERR_INPUT;
	else if ((*line = strdup(l)) == NULL)
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
out:
	kc_at_resp_clear(&r);
	return rc;
}

int
kc_prov_intake(struct kc_prov_dev *d, const char *line, const char *what,
    int id_from, struct kc_prov_result *res, struct kc_nrf_msg **mp,
    struct kc_csr **csr)
{
	const struct kc_nrf_msg *m;
	const char *want, *why;
	char *cn = NULL;
	int rc;

	*csr = NULL;
	if ((rc = kc_nrf_parse(line, strlen(line), what, mp)) != KC_OK)
		return rc;
	m = *mp;
	if ((rc = kc_nrf_csr(m, what, 0, csr)) != KC_OK)
		return rc;
	if (m->sec_tag != d->tag)
		return kc_err(KC_ERR_POLICY, "%s: the key was generated in "
		    "sec_tag %ld, not %ld", what, m->sec_tag, d->tag);
	if (res->uuid[0] == '\0')
		memcpy(res->uuid, m->uuid_str, sizeof(res->uuid));
	else if (strcmp(res->uuid, m->uuid_str) != 0)
		return kc_err(KC_ERR_POLICY, "%s: the payload names device %s, "
		    "but the modem said it is %s", what, m->uuid_str,
		    res->uuid);
	want = id_from == KC_PROV_ID_IMEI ? res->imei : res->uuid;
	if ((cn = kc_nrf_csr_cn(*csr)) == NULL)
		return kc_err(KC_ERR_POLICY, "%s: the CSR has no CN", what);
	if (strcasecmp(cn, want) != 0)
		rc = kc_err(KC_ERR_POLICY, "%s: the CSR's CN '%s' is not the "
		    "device's %s %s", what, cn, id_from == KC_PROV_ID_IMEI ?
		    "IMEI" : "UUID", want);
	else if (!kc_factory_id_ok(cn, &why))
		rc = kc_err(KC_ERR_POLICY, "%s: CN '%s' is not a valid device "
		    "ID: %s", what, cn, why);
	else if (res->id[0] == '\0')
		snprintf(res->id, sizeof(res->id), "%s", cn);
	free(cn);
	return rc;
}

/* The %CMNG list of the tag: hashes of types 0 and 1 ("" when absent). */
static int
cmng_list(struct kc_prov_dev *d, char sha[2][65])
{
	struct kc_at_resp r;
	char cmd[64];
	long tag, type;
	int rc, n;

	sha[0][0] = sha[1][0] = '\0';
	snprintf(cmd, sizeof(cmd), "AT%%CMNG=1,%ld", d->tag);
	if ((rc = run(d, cmd, d->tmo, &r)) != KC_OK)
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		char h[65] = "", q = 0;
		const char *l = r.line[i];
		if (strncmp(l, "%CMNG: ", 7) != 0)
			continue;	/* an unsolicited line */
		n = 0;
		if (sscanf(l + 7, "%ld,%ld,\"%64[0-9A-Fa-f]%c%n", &tag, &type, h,
		    &q, &n) != 4 || q != '"' || l[7 + n] != '\0' ||
		    strlen(h) != 64 || type < 0 || type > 6) {
			rc = kc_err(KC_ERR_INPUT, "port %s: AT%%CMNG=1: not a "
			    "credential line: '%s'", d->port, l);
			goto out;
		}
		if (tag != d->tag || type > 1)
			continue;
		for (int j = 0; j < 64; j++)
			if (h[j] >= 'a' && h[j] <= 'f')
				h[j] = (char)(h[j] - 'a' + 'A');
		memcpy(sha[type], h, 65);
	}
out:
	kc_at_resp_clear(&r);
	return rc;
}

static int
cmng_delete(struct kc_prov_dev *d, int type)
{
	struct kc_at_resp r;
	char cmd[64];
	int rc;

	snprintf(cmd, sizeof(cmd), "AT%%CMNG=3,%ld,%d", d->tag, type);
	rc = run(d, cmd, d->tmo, &r);
	kc_at_resp_clear(&r);
	return rc;
}

static int
cmng_write(struct kc_prov_dev *d, int type, const char *text)
{
	struct kc_at_resp r;
	char *cmd = NULL;
	int rc, n;

	if ((n = asprintf(&cmd, "AT%%CMNG=0,%ld,%d,\"%s\"", d->tag, type,
	    text)) < 0)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	if ((size_t)n > KC_NRF_AT_CMD_MAX)
		rc = kc_err(KC_ERR_POLICY, "port %s: the AT%%CMNG command for "
		    "credential %ld,%d is %d bytes, over the %d the AT host "
		    "passes on whole", d->port, d->tag, type, n,
		    KC_NRF_AT_CMD_MAX);
	else
		rc = run(d, cmd, 2 * d->tmo, &r);
	kc_at_resp_clear(&r);
	free(cmd);
	return rc;
}

int
kc_prov_write(struct kc_prov_dev *d, const char *ca, const char *chain)
{
	char sha[2][65];
	int rc;

	if ((rc = cmng_list(d, sha)) != KC_OK)
		return rc;
	for (int t = 0; t < 2; t++)
		if (sha[t][0] != '\0' && (rc = cmng_delete(d, t)) != KC_OK)
			return rc;
	if (ca != NULL && (rc = cmng_write(d, 0, ca)) != KC_OK)
		return rc;
	return cmng_write(d, 1, chain);
}

int
kc_prov_verify(struct kc_prov_dev *d, const char *ca_sha,
    const char *cred_sha)
{
	char sha[2][65];
	const char *want[2] = { ca_sha, cred_sha };
	int rc;

	if ((rc = cmng_list(d, sha)) != KC_OK)
		return rc;
	for (int t = 0; t < 2; t++) {
		if (want[t] == NULL)
			continue;
		if (sha[t][0] == '\0')
			return kc_err(KC_ERR_IO, "port %s: read-back: the modem "
			    "does not list credential %ld,%d after writing it",
			    d->port, d->tag, t);
		if (strcmp(sha[t], want[t]) != 0)
			return kc_err(KC_ERR_IO, "port %s: read-back: the modem "
			    "lists credential %ld,%d with SHA-256 %s, not %s "
			    "(what was written)", d->port, d->tag, t, sha[t],
			    want[t]);
	}
	return KC_OK;
}

void
kc_prov_erase(struct kc_prov_dev *d, int ca)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", kc_errmsg());
	(void)cmng_delete(d, 1);
	if (ca)
		(void)cmng_delete(d, 0);
	kc_err_clear();
	kc_err(KC_ERR_IO, "%s", msg);
}

int
kc_prov_online(struct kc_prov_dev *d)
{
	struct kc_at_resp r;
	int rc = run(d, "AT+CFUN=1", d->tmo, &r);

	kc_at_resp_clear(&r);
	return rc;
}

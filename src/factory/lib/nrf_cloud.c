/*
 * nrf_cloud.c: the nRF Cloud onboarding CSV of a factory ledger: one row
 * per live device certificate, at most KC_NRF_CLOUD_ROWS_MAX rows a file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "kc/core/error.h"
#include "kc/core/x509.h"
#include "kc/factory/ledger.h"
#include "kc/factory/nrf.h"

struct walk {
	const char		*subtype, *tags, *fw_types;
	struct kc_nrf_cloud_csv	*out;
	size_t			 cap;	/* bytes allocated for the last chunk */
	long			 in_chunk;
};

static int
add_row(const struct kc_ledger_row *r, void *arg)
{
	struct walk *w = arg;
	struct kc_nrf_cloud_csv *c = w->out;
	const unsigned char *p = r->cert_der;
	X509 *x = NULL;
	char *pem = NULL, *row = NULL, **nt, *np;
	size_t pem_len, row_len, *nl, need;
	int rc;

	if (strcmp(r->status, "issued") != 0)
		return 0;
	if ((x = d2i_X509(NULL, &p, (long)r->cert_der_len)) == NULL)
		return kc_err_ssl(KC_ERR_DB, "ledger row %s (%s): stored "
		    "certificate unreadable", r->serial, r->device_id);
	if ((rc = kc_cert_pem(x, &pem, &pem_len)) != KC_OK ||
	    (rc = kc_nrf_cloud_row(r->device_id, w->subtype, w->tags,
	    w->fw_types, pem, &row, &row_len)) != KC_OK)
		goto out;
	if (c->nfiles == 0 || w->in_chunk == KC_NRF_CLOUD_ROWS_MAX) {
		if ((nt = realloc(c->text, (c->nfiles + 1) * sizeof(*nt))) ==
		    NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->text = nt;
		if ((nl = realloc(c->len, (c->nfiles + 1) * sizeof(*nl))) ==
		    NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->len = nl;
		c->text[c->nfiles] = NULL;
		c->len[c->nfiles] = 0;
		c->nfiles++;
		w->cap = 0;
		w->in_chunk = 0;
	}
	need = c->len[c->nfiles - 1] + row_len + 1;
	if (need > w->cap) {
		size_t nc = w->cap ? w->cap : 64 * 1024;
		while (nc < need)
			nc *= 2;
		if ((np = realloc(c->text[c->nfiles - 1], nc)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		c->text[c->nfiles - 1] = np;
		w->cap = nc;
	}
	memcpy(c->text[c->nfiles - 1] + c->len[c->nfiles - 1], row, row_len +
	    1);
	c->len[c->nfiles - 1] += row_len;
	w->in_chunk++;
	c->nrows++;
	rc = KC_OK;
out:
	X509_free(x);
	free(pem);
	free(row);
	return rc;
}

int
kc_nrf_cloud_csv(struct kc_ledger *l, const char *subtype, const char *tags,
    const char *fw_types, struct kc_nrf_cloud_csv *out)
{
	struct walk w;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.subtype = subtype ? subtype : "";
	w.tags = tags ? tags : "";
	w.fw_types = fw_types ? fw_types : "";
	w.out = out;
	/* --station (kc_ledger_use): that station's rows only */
	if ((rc = kc_ledger_foreach_station(l, "device",
	    kc_ledger_chosen_station(), add_row, &w)) != KC_OK)
		kc_nrf_cloud_csv_clear(out);
	return rc;
}

void
kc_nrf_cloud_csv_clear(struct kc_nrf_cloud_csv *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nfiles; i++)
		free(c->text[i]);
	free(c->text);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

char *
kc_nrf_cloud_name(const char *out, size_t i, size_t n)
{
	size_t l = strlen(out);
	char *s;
	int r;

	if (n <= 1)
		return strdup(out);
	if (l > 4 && strcmp(out + l - 4, ".csv") == 0)
		r = asprintf(&s, "%.*s-%zu.csv", (int)(l - 4), out, i + 1);
	else
		r = asprintf(&s, "%s-%zu", out, i + 1);
	return r < 0 ? NULL : s;
}

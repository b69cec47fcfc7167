/* ledger_row.c: the ledger's row type, below ledger.c and its backends
 * (ledger_sqlite.c, ledger_pg.c), which all fill and clear rows: so that no
 * backend calls back into ledger.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kc/core/error.h"
#include "kc/factory/ledger.h"
#include "ledger_int.h"

void
kc_ledger_row_clear(struct kc_ledger_row *row)
{
	free(row->cert_path);
	free(row->cert_der);
	memset(row, 0, sizeof(*row));
}

int
kc_ledger_row_copy(const struct kc_ledger_row *row, struct kc_ledger_row *out)
{
	*out = *row;
	out->cert_path = NULL;
	out->cert_der = NULL;
	if ((row->cert_path != NULL &&
	    (out->cert_path = strdup(row->cert_path)) == NULL) ||
	    (row->cert_der_len > 0 &&
	    (out->cert_der = malloc(row->cert_der_len)) == NULL)) {
		kc_ledger_row_clear(out);
		return kc_err(KC_ERR_NOMEM, "out of memory");
	}
	if (row->cert_der_len > 0)
		memcpy(out->cert_der, row->cert_der, row->cert_der_len);
	return KC_OK;
}

void
kc_ledger_counts_add(struct kc_ledger_counts *c, const char *key, long n)
{
	if (strcmp(key, "issued") == 0)
		c->issued += n;
	else if (strcmp(key, "pending") == 0)
		c->pending += n;
	else if (strcmp(key, "superseded") == 0)
		c->superseded += n;
	else if (strcmp(key, ".revoked") == 0)
		c->revoked += n;
	else if (strcmp(key, ".crls") == 0)
		c->crls += n;
	else
		c->other += n;
}

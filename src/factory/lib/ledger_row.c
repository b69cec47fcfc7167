/* ledger_row.c: the ledger's row type, below ledger.c and its backends
 * (ledger_sqlite.c, ledger_pg.c), which all fill and clear rows: so that no
 * backend calls back into ledger.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kc/factory/ledger.h"
#include "ledger_int.h"

void
kc_ledger_row_clear(struct kc_ledger_row *row)
{
	free(row->cert_path);
	free(row->cert_der);
	memset(row, 0, sizeof(*row));
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

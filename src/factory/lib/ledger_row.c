/* ledger_row.c: the ledger's row type, below ledger.c and its backends
 * (ledger_sqlite.c, ledger_pg.c), which all fill and clear rows: so that no
 * backend calls back into ledger.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kc/factory/ledger.h"

void
kc_ledger_row_clear(struct kc_ledger_row *row)
{
	free(row->cert_path);
	free(row->cert_der);
	memset(row, 0, sizeof(*row));
}

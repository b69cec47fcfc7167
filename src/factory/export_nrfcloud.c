/* export_nrfcloud.c: factorysign ledger export --format nrfcloud: the nRF
 * Cloud onboarding CSV of every live device certificate, at most 1000 rows
 * a file (nRF Cloud's limit for one upload). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/display.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/factory/ledger.h"
#include "kc/factory/nrf.h"
#include "commands.h"
#include "front.h"

/* nRF Cloud's own tools write these firmware types for nRF91 devices. */
#define NRFCLOUD_FW_TYPES "APP|MODEM"

int
fs_export_nrfcloud(const char *dir, const char *out, const char *subtype,
    const char *tags, const char *fw_types)
{
	struct kc_nrf_cloud_csv c;
	struct kc_ledger *l = NULL;
	char path[PATH_MAX], **names = NULL;
	size_t i;
	long nrows = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
	if (!kc_ledger_exists(path)) {
		rc = kc_err(KC_ERR_NOTFOUND, "%s: no ledger (nothing was issued "
		    "from this directory yet)", path);
		goto out;
	}
	if ((rc = kc_ledger_open(path, 0, &l)) != KC_OK ||
	    (rc = kc_nrf_cloud_csv(l, subtype ? subtype : "", tags ? tags : "",
	    fw_types ? fw_types : NRFCLOUD_FW_TYPES, &c)) != KC_OK)
		goto out;
	nrows = c.nrows;
	if (out == NULL) {
		if (c.nfiles > 1) {
			rc = kc_err(KC_ERR_USAGE, "%ld devices: more than %d "
			    "rows, which nRF Cloud takes in one file; give "
			    "--out F.csv to write F-1.csv, F-2.csv, ...",
			    c.nrows, KC_NRF_CLOUD_ROWS_MAX);
			goto out;
		}
		if (c.nfiles == 1 && fwrite(c.text[0], 1, c.len[0], stdout) !=
		    c.len[0])
			rc = kc_err(KC_ERR_IO, "cannot write to stdout");
		goto out;
	}
	/* all names checked before anything is written */
	if (c.nfiles > 0 && (names = calloc(c.nfiles, sizeof(*names))) ==
	    NULL) {
		rc = kc_err(KC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c.nfiles; i++) {
		if ((names[i] = kc_nrf_cloud_name(out, i, c.nfiles)) == NULL) {
			rc = kc_err(KC_ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = kc_file_check_absent(names[i])) != KC_OK)
			goto out;
	}
	for (i = 0; i < c.nfiles; i++)
		if ((rc = kc_file_write(names[i], c.text[i], c.len[i], 0644,
		    KC_WRITE_EXCL)) != KC_OK)
			goto out;
	for (i = 0; i < c.nfiles; i++)
		fprintf(stderr, "%s: %s\n", kc_progname, kc_disp(names[i]));
	fprintf(stderr, "%s: %ld devices in %zu file%s\n", kc_progname,
	    c.nrows, c.nfiles, c.nfiles == 1 ? "" : "s");
out:
	for (i = 0; names != NULL && i < c.nfiles; i++)
		free(names[i]);
	free(names);
	kc_nrf_cloud_csv_clear(&c);
	kc_ledger_close(l);
	if (rc != KC_OK)
		return kc_front_fail(rc);
	if (nrows == 0)
		fprintf(stderr, "%s: no devices in the ledger\n", kc_progname);
	return KC_EXIT_OK;
}

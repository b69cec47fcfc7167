/*
 * csv.c: the one CSV field quoting of the factory side (kc/factory/csv.h),
 * used by the ledger export and the nRF Cloud onboarding CSV. A leaf: it
 * calls only the core's error recording.
 */
#include "config.h"

#include <stdlib.h>

#include "kc/core/error.h"
#include "kc/factory/csv.h"

int
kc_csv_field(const char *s, const char *what, char **out)
{
	size_t n = 0, o = 0;
	char *q;

	*out = NULL;
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r')
		return kc_err(KC_ERR_INPUT, "%s '%s' starts with a character a "
		    "spreadsheet reads as a formula (= + - @ tab CR); refusing "
		    "to write it into a CSV", what, s);
	for (const char *p = s; *p != '\0'; p++)
		n += *p == '"' ? 2 : 1;
	if ((q = malloc(n + 3)) == NULL)
		return kc_err(KC_ERR_NOMEM, "out of memory");
	q[o++] = '"';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			q[o++] = '"';
		q[o++] = *p;
	}
	q[o++] = '"';
	q[o] = '\0';
	*out = q;
	return KC_OK;
}

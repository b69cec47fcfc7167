/*
 * kc/factory/csv.h: CSV fields for the files factorysign writes for
 * spreadsheets and cloud consoles (ledger export, nRF Cloud onboarding).
 * Below formats.c and nrf_out.c: it calls nothing of the factory library.
 * The string it returns belongs to the caller.
 */
#ifndef KC_FACTORY_CSV_H
#define KC_FACTORY_CSV_H

/* One CSV field per RFC 4180 into a new string (the caller frees it):
 * always in double quotes, each '"' doubled. Refused (KC_ERR_INPUT naming
 * what) when s starts with '=', '+', '-', '@', a tab or a CR, which a
 * spreadsheet runs as a formula even inside quotes. */
int kc_csv_field(const char *s, const char *what, char **out);

#endif

/*
 * factory_names.c: output file names of a device ID, safe on FAT, exFAT
 * and Windows, reversible (see kc/fnames.h). The one place where a file
 * name is made from a device ID.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kc/core/error.h"
#include "kc/factory/fnames.h"

static const char hexd[] = "0123456789ABCDEF";

static int
plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* The part of s before its first '.' (n bytes) is a reserved device name
 * of Windows. */
static int
reserved(const char *s)
{
	static const char *const names[] = { "CON", "PRN", "AUX", "NUL",
	    "CONIN$", "CONOUT$" };
	size_t n = strcspn(s, ".");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && strncasecmp(s, names[i], n) == 0)
			return 1;
	return n == 4 && (strncasecmp(s, "COM", 3) == 0 ||
	    strncasecmp(s, "LPT", 3) == 0) && s[3] >= '0' && s[3] <= '9';
}

int
kc_fname_join(char *out, size_t outsz, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", dir, name) >= outsz)
		return kc_err(KC_ERR_USAGE, "%s/%s: path too long", dir, name);
	return KC_OK;
}

int
kc_fname_stem(const char *id, char *out, size_t outsz)
{
	int res = reserved(id);
	size_t o = 0, len = strlen(id);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];
		int enc = !plain(c) || (i == 0 && res) ||
		    (i + 1 == len && c == '.');

		if (o + (enc ? 3 : 1) >= outsz)
			return kc_err(KC_ERR_USAGE, "device ID '%s': file name "
			    "too long", id);
		if (enc) {
			out[o++] = '%';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		} else
			out[o++] = (char)c;
	}
	if (o >= outsz)
		return kc_err(KC_ERR_USAGE, "device ID '%s': file name too "
		    "long", id);
	out[o] = '\0';
	return KC_OK;
}

static int
hexval(char c)
{
	const char *p = c != '\0' ? strchr(hexd, c) : NULL;

	return p != NULL ? (int)(p - hexd) : -1;
}

int
kc_fname_decode(const char *stem, char *out, size_t outsz)
{
	char again[KC_FNAME_STEM_MAX];
	size_t o = 0;
	int rc;

	for (const char *p = stem; *p != '\0'; p++) {
		int c = (unsigned char)*p;

		if (*p == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (h < 0 || l < 0)
				return kc_err(KC_ERR_INPUT, "file name '%s': '%%' "
				    "not followed by two upper-case hex digits",
				    stem);
			c = h << 4 | l;
			p += 2;
			if (c == 0)
				return kc_err(KC_ERR_INPUT, "file name '%s': "
				    "%%00", stem);
		} else if (!plain((unsigned char)c))
			return kc_err(KC_ERR_INPUT, "file name '%s': '%c' is "
			    "not a character of an encoded name", stem, c);
		if (o + 1 >= outsz)
			return kc_err(KC_ERR_USAGE, "file name '%s': too long",
			    stem);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	/* canonical only: one name per ID */
	if ((rc = kc_fname_stem(out, again, sizeof(again))) != KC_OK)
		return rc;
	if (strcmp(again, stem) != 0)
		return kc_err(KC_ERR_INPUT, "file name '%s' is not the encoded "
		    "name of '%s' (that is '%s')", stem, out, again);
	return KC_OK;
}

int
kc_fname_path(const char *dir, const char *id, const char *suffix,
    char *out, size_t outsz)
{
	char stem[KC_FNAME_STEM_MAX];
	int rc;

	if ((rc = kc_fname_stem(id, stem, sizeof(stem))) != KC_OK)
		return rc;
	if ((size_t)snprintf(out, outsz, "%s/%s%s", dir, stem, suffix) >=
	    outsz)
		return kc_err(KC_ERR_USAGE, "%s/%s%s: path too long", dir, stem,
		    suffix);
	return KC_OK;
}

/*
 * factory_opts.c: the checks of a run's options before anything is made:
 * --format lists (kc_format_parse), which formats go with which keys and
 * passphrases, the validity against the intermediate, and the output
 * directory (created when only its last component is missing). Owns
 * nothing: it reads struct kc_factory_opts.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kc/core/error.h"
#include "kc/factory/factory.h"
#include "factory_int.h"

int
kc_format_parse(const char *list, unsigned *out)
{
	char word[16];
	const char *p = list;

	*out = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(word))
			return kc_err(KC_ERR_USAGE, "--format '%s': expected a "
			    "comma list of pem, pfx, c, at", list);
		memcpy(word, p, n);
		word[n] = '\0';
		if (strcmp(word, "pem") == 0)
			*out |= KC_FMT_PEM;
		else if (strcmp(word, "pfx") == 0)
			*out |= KC_FMT_PFX;
		else if (strcmp(word, "c") == 0)
			*out |= KC_FMT_C;
		else if (strcmp(word, "at") == 0)
			*out |= KC_FMT_AT;
		else
			return kc_err(KC_ERR_USAGE, "--format: unknown format "
			    "'%s' (use pem, pfx, c, at)", word);
		p += n + (p[n] == ',');
	}
	if (*out == 0)
		return kc_err(KC_ERR_USAGE, "--format: empty list");
	return KC_OK;
}

/*
 * The output directory exists and is writable; a missing one is created
 * (0755, narrowed by the umask) when its parent exists, and the log says
 * so. Only the last component is made: a mistyped path deeper down stops.
 */
static int
out_dir_ready(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) != 0)
			return kc_err(KC_ERR_IO, "--out-dir %s does not exist "
			    "and cannot be created: %s%s", dir,
			    strerror(errno), errno == ENOENT ? " (its parent "
			    "directory must exist; only the last part is "
			    "created)" : "");
		if (stat(dir, &st) != 0)
			return kc_err(KC_ERR_IO, "%s: %s", dir,
			    strerror(errno));
		kc_log(KC_LOG_INFO, "created the output directory %s (mode "
		    "%04o)", dir, (unsigned)(st.st_mode & 07777));
	} else if (errno = 0, stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kc_err(KC_ERR_IO, "%s: not a directory%s%s", dir,
		    errno == 0 ? "" : ": ", errno == 0 ? "" :
		    strerror(errno));
	if (access(dir, W_OK | X_OK) != 0)
		return kc_err(KC_ERR_IO, "%s: not writable: %s", dir,
		    strerror(errno));
	return KC_OK;
}

int
kc_factory_check_formats(const struct kc_factory_opts *o, int keys_here,
    int key_given)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;

	if (o->out_dir == NULL)
		return kc_err(KC_ERR_USAGE, "--out-dir is required");
	if ((fm & KC_FMT_PFX) && !keys_here && !key_given)
		return kc_err(KC_ERR_USAGE, "--format pfx needs the device's "
		    "private key: give it with --key (sign), or make the keys "
		    "here with factorysign issue");
	if (o->key_format != KC_KEYFMT_DEFAULT && (!keys_here ||
	    o->plain_keys))
		return kc_err(KC_ERR_USAGE, "--key-format sets how the device "
		    "keys made here (factorysign issue) are encrypted; it "
		    "does not go with %s", keys_here ? "--plain-keys" :
		    "keys made on the devices");
	if ((fm & KC_FMT_AT) && o->sec_tag < 0)
		return kc_err(KC_ERR_USAGE, "--format at needs --sec-tag");
	if (keys_here && (fm & (KC_FMT_C | KC_FMT_AT)) && !o->plain_keys)
		return kc_err(KC_ERR_USAGE, "--format c and at put the device "
		    "key in clear text into the file; add --plain-keys to "
		    "accept that");
	return KC_OK;
}

int
kc_factory_check_opts(struct kc_factory *f, const struct kc_factory_opts *o,
    int keys_here)
{
	unsigned fm = o->formats ? o->formats : KC_FMT_PEM;
	time_t nb, na;
	int rc;

	if ((rc = kc_factory_check_formats(o, keys_here,
	    o->device_key != NULL)) != KC_OK)
		return rc;
	if ((fm & KC_FMT_PFX) && o->pfx_pass == NULL)
		return kc_err(KC_ERR_USAGE, "--format pfx needs a password "
		    "(--pfx-pass-file)");
	if (keys_here && !o->plain_keys && o->key_pass == NULL)
		return kc_err(KC_ERR_USAGE, "device keys are written encrypted: "
		    "give --key-pass-file (or --plain-keys)");
	if (keys_here && !o->plain_keys && (rc = kc_secret_check_strength(
	    o->key_pass, KC_PASS_MIN_DEVICE, "device key passphrase")) != KC_OK)
		return rc;
	if ((fm & KC_FMT_PFX) && (rc = kc_secret_check_strength(o->pfx_pass,
	    KC_PASS_MIN_DEVICE, "PKCS#12 password")) != KC_OK)
		return rc;
	if (f != NULL &&
	    (rc = kc_factory_validity(f, o->days ? o->days : KC_FACTORY_DAYS,
	    o->backdate, &nb, &na)))
		return rc;
	/* last, so that a bad option creates nothing */
	return out_dir_ready(o->out_dir);
}

/* transcript_dir.c: a new transcript in a state directory's transcripts/
 * (<state>/transcripts/<name>-<UTC stamp>[-N].log), for a ceremony run
 * (engine.c) and for the commands that keep one of their own outside a
 * ceremony file (keyceremony backup create / restore --state, issue 17).
 * See kc/ceremony/transcript.h. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"

int
kc_transcript_create_in(const char *state, const char *name,
    struct kc_transcript **out)
{
	char dir[PATH_MAX], path[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = KC_ERR_EXISTS;

	*out = NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((rc = kc_dir_ensure(state, 0700)) != KC_OK)
		return rc;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/transcripts", state) >=
	    sizeof(dir) - 64)
		return kc_err(KC_ERR_USAGE, "%s: path too long", state);
	if ((rc = kc_dir_ensure(dir, 0755)) != KC_OK)
		return rc;
	for (int i = 1; i < 100; i++) {
		int n;
		if (i == 1)
			n = snprintf(path, sizeof(path), "%s/%s-%s.log", dir,
			    name, stamp);
		else
			n = snprintf(path, sizeof(path), "%s/%s-%s-%d.log", dir,
			    name, stamp, i);
		if (n < 0 || (size_t)n >= sizeof(path))
			return kc_err(KC_ERR_USAGE, "%s: path too long", dir);
		rc = kc_transcript_create(path, out);
		if (rc != KC_ERR_EXISTS)
			return rc;
	}
	return rc;
}

/*
 * backup_record.c: the transcript of `keyceremony backup create` and
 * `backup restore` run with --state outside a ceremony file (issue 17):
 * <state>/transcripts/backup-create-<stamp>.log (or backup-restore-),
 * hash-chained like a ceremony's (begin, one step record, end), so that
 * `transcript verify` checks it and `export` carries it; and the backup
 * medium's files with their SHA-256, as that record and a ceremony's
 * root-restore step list them. Never a byte of the wrap key or a share:
 * the callers give only names, labels, hashes and messages.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc/ceremony/backup.h"
#include "kc/ceremony/transcript.h"
#include "kc/core/error.h"
#include "kc/core/fileio.h"
#include "kc/core/x509.h"

void
kc_bk_medium_files(const char *dir, char *list, size_t listsz)
{
	static const char *const names[] = { KC_BK_MANIFEST, KC_BK_WRAPPED,
	    KC_BK_PUB, KC_BK_ROOT, NULL };
	char path[4096], hex[65];
	unsigned char *buf = NULL;
	size_t len, used;

	for (size_t i = 0; names[i] != NULL; i++) {
		if (kc_bk_path(dir, names[i], path, sizeof(path)) != KC_OK ||
		    kc_file_read(path, KC_FILE_MAX, &buf, &len) != KC_OK) {
			kc_err_clear();
			continue;
		}
		kc_sha256_hex(buf, len, hex);
		free(buf);
		buf = NULL;
		used = strlen(list);
		snprintf(list + used, listsz - used, "%sbackup:%s:%s",
		    used ? "," : "", names[i], hex);
	}
}

int
kc_bk_log_open(const char *state, const char *cmd, const char *title,
    const char *module, const char *token, const char *medium,
    struct kc_transcript **out)
{
	int rc;

	if ((rc = kc_transcript_create_in(state, cmd, out)) != KC_OK)
		return rc;
	rc = kc_transcript_add(*out, "begin",
	    "ceremony", cmd,
	    "title", title,
	    "file", "(command line: keyceremony backup, no ceremony file)",
	    "site", "(command line)",
	    "module", module,
	    "token", token,
	    "token-serial", "any",
	    "state", state,
	    "media", medium,
	    "mode", "command",
	    "version", PACKAGE_VERSION,
	    NULL);
	if (rc != KC_OK) {
		kc_transcript_close(*out);
		*out = NULL;
	}
	return rc;
}

int
kc_bk_log_close(struct kc_transcript *t, const char *cmd, int ok,
    int rehearsal, const char *const *kv, size_t n)
{
	const char *v[48];
	char count[32];
	size_t k = 0;
	int rc;

	if (t == NULL)
		return KC_OK;
	if (n > 20)
		n = 20;
	v[k++] = "step";
	v[k++] = cmd;
	v[k++] = "action";
	v[k++] = cmd;
	for (size_t i = 0; i < 2 * n; i++)
		v[k++] = kv[i];
	v[k++] = "result";
	v[k++] = ok ? "ok" : "failed";
	rc = kc_transcript_addv(t, "step", v, k / 2);
	snprintf(count, sizeof(count), "%zu", kc_transcript_count(t) + 1);
	if (rc == KC_OK)
		rc = kc_transcript_add(t, "end", "records", count, "result",
		    ok ? "completed" : "aborted", "steps", ok ? "1/1" : "0/1",
		    "rehearsal", rehearsal ? "yes" : "no", NULL);
	kc_transcript_close(t);
	return rc;
}

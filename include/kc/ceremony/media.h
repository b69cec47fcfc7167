/*
 * kc/media.h: moving files across the air gap.
 *
 * kc_media_export() copies the public artefacts of a state directory to a
 * media directory and writes SHA256SUMS there. It is a whitelist: every
 * file of the state directory (top level and transcripts/) must validate
 * as one of the kinds below, and what is written is its re-encoded form:
 * a certificate, CRL or CSR (one object per file, canonical DER, written as
 * canonical PEM or as the DER; a CSR's signature verified), a transcript
 * that kc_transcript_verify() accepts, a verification code that the
 * register recorded; plus the generated register dump. Anything else (a
 * name of no known kind, a link, FIFO, device, hard link, a file of another
 * user, one over its kind's size cap) refuses the export by name before
 * anything is written; the private-key screen (a PEM private key block of
 * any kind, PKCS#8 plain or encrypted, PKCS#12, raw RSA/EC/DSA key
 * structures in DER, also as bare base64 or hex, an OpenSSH key) runs over
 * every input and output as a second line. The medium is hostile: its top
 * level may hold only regular files (the caller's or root's, one link)
 * and directories; nothing on it is opened through a link; an existing
 * SHA256SUMS must hold only "<64 hex>  <name>" lines matching the files,
 * and the new one is generated from those entries, never copied. Files go
 * through temp + fsync + rename without replacing, the directory is
 * fsynced, then everything is read back and compared with the hashes. On
 * any failure (media full, read-only, removed) the files this export
 * created are removed again and SHA256SUMS regenerated from the old
 * entries, so the media holds what it held before.
 *
 * kc_media_import() brings CSRs and verification codes from the media into
 * the state directory and reports the SHA-256 of each, so that it can be
 * compared with the value the factory sent by another channel. Files are
 * opened without following links or blocking, capped by kind (64 kB for a
 * CSR, 256 bytes for a code), checked one at a time and read again when
 * written: memory does not grow with what the medium holds.
 */
#ifndef KC_MEDIA_H
#define KC_MEDIA_H

#include <stddef.h>

enum kc_artefact {
	KC_ART_UNKNOWN = 0,	/* not exported */
	KC_ART_CERT,
	KC_ART_CRL,
	KC_ART_CSR,
	KC_ART_TRANSCRIPT,
	KC_ART_REGISTER,	/* register dump (text) */
	KC_ART_CODE,		/* a DPS verification code (one line) */
	KC_ART_REPORT,		/* the ceremony report PDF (kc/paper.h) */
	KC_ART_ACTIONS,		/* a CRL's revocation actions (text,
				   kc/core/revactions.h), byte for byte what
				   the CRL and the state regenerate */
};
const char *kc_artefact_name(enum kc_artefact a);

/* 1 when buf holds private key material anywhere (why says which kind),
 * 0 when not. */
int kc_media_has_private(const unsigned char *buf, size_t len, char *why,
    size_t whysz);

/* What a file is (after kc_media_has_private said no). */
enum kc_artefact kc_media_classify(const char *name,
    const unsigned char *buf, size_t len);

struct kc_media_file {
	char		name[256];	/* relative to the media directory */
	char		sha256[65];
	enum kc_artefact type;
	size_t		size;
	int		skipped;	/* already on the media, identical */
};

struct kc_export_result {
	struct kc_media_file	*files;	/* exported, in order; free() */
	size_t			 n;
	char			**ignored;	/* always empty: export refuses
						   what it does not know */
	size_t			 n_ignored;
};
void kc_export_result_clear(struct kc_export_result *r);

/* The ceremony report keyceremony drew itself, in this process, from the
 * closed transcript it had just verified (kc_paper_report), to the medium
 * as name and into SHA256SUMS like every other file. Checked before it is
 * written: a plain name ending in .pdf, a PDF header and end-of-file
 * marker, no private key material. */
int kc_media_export_report(const char *media_dir, const char *name,
    const unsigned char *data, size_t len, struct kc_export_result *res);

enum {
	KC_EXPORT_NO_TRANSCRIPTS = 1 << 0, /* leave transcripts out (the
					      engine adds them at the end) */
};

/* Exports state_dir (top level and transcripts/) to media_dir. */
int kc_media_export(const char *state_dir, const char *media_dir, int flags,
    struct kc_export_result *res);

/* Copies more files (paths) to media_dir and merges them into its
 * SHA256SUMS, with the same checks and rollback. */
int kc_media_export_files(const char *media_dir, const char *const *paths,
    size_t n, struct kc_export_result *res);

/* Imports the CSRs (*.csr, *.req, *.pem holding a CSR) found in
 * media_dir, or only those named in names (NULL-terminated) when not NULL.
 * expect_sha256, when not NULL, must match the one CSR imported (hex, any
 * case). Each CSR is parsed (kc/csr.h) before anything is written; an
 * existing state file with other content is refused, an identical one is
 * reported as already there. Verification codes (*.code) are imported
 * too. */
int kc_media_import(const char *media_dir, const char *state_dir,
    const char *const *names, const char *expect_sha256,
    struct kc_export_result *res);

/* Checks that dir exists, is a directory and is writable; KC_ERR_IO with
 * the reason. *removable is 1/0 when /sys/block says so, -1 unknown. */
int kc_media_probe(const char *dir, int *removable, char *mountpoint,
    size_t mpsz);

#endif

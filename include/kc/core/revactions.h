/*
 * kc/core/revactions.h: revocation-actions.txt, what to run at the cloud
 * services that do not read CRLs (Azure DPS, Azure IoT Hub, nRF Cloud)
 * after a CA revoked certificates. Written beside the CRL by both sides:
 * the root (keyceremony crl, a revoked intermediate) and the factory
 * (factorysign crl, revoked devices).
 *
 * The text is a function of its inputs only (no clock, no environment):
 * the same request gives the same bytes, so a reader (the ceremony's
 * export) can regenerate it and compare. Every string taken from a
 * certificate is escaped with the display escaper (kc/core/display.h) in
 * notes, and reaches a command only when it is plain text of a safe
 * alphabet (else a <PLACEHOLDER> and a note saying why): the file holds
 * printable UTF-8 lines and nothing a shell would expand.
 *
 * Ownership: *text from kc_revact_text() is malloc'd; the caller frees it.
 */
#ifndef KC_CORE_REVACTIONS_H
#define KC_CORE_REVACTIONS_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

/* What the file is called. Beside CRL X.crl it is
 * X.revocation-actions.txt (kc_revact_path()): one per CRL, never
 * replaced by the next CRL's, so that an export medium that holds the
 * one of CRL 2 can take the one of CRL 3 too. */
#define KC_REVACT_FILE "revocation-actions.txt"
#define KC_REVACT_SUFFIX ".revocation-actions.txt"
/* A reader's size cap. */
#define KC_REVACT_MAX (4 * 1024 * 1024)

enum kc_revact_kind {
	KC_REVACT_CA = 1,	/* an intermediate (or other CA) certificate */
	KC_REVACT_DEVICE,	/* a device (leaf) certificate */
	KC_REVACT_OTHER,	/* e.g. a DPS verification certificate: listed,
				   no cloud action */
};

struct kc_revact_cert {
	enum kc_revact_kind kind;
	/* The certificate. NULL when it is not at hand (revoked by serial):
	 * then serial, subject, sha256 and not_after are used (and the
	 * SHA-1 thumbprint is said to be unknown; subject and sha256 may be
	 * NULL too: unknown). */
	const X509	*cert;
	const char	*serial;	/* hex */
	const char	*subject;	/* "/CN=.../O=..." */
	const char	*sha256;	/* hex of the DER */
	time_t		 not_after;	/* 0: unknown */
	/* Devices: the device ID (DPS registration ID = IoT Hub device ID =
	 * nRF Cloud device ID); NULL: the subject's CN. The certificate file
	 * the operator has for --certificate-path; NULL: "<ID>.cert.pem". */
	const char	*device_id;
	const char	*cert_file;
	time_t		 revoked_at;
	int		 reason;	/* KC_REASON_* (kc/core/crl.h) */
};

struct kc_revact_req {
	const char	*writer;	/* "keyceremony crl", "factorysign crl" */
	const X509	*issuer;	/* the CA that signed the CRL */
	const char	*crl_file;	/* the CRL's file name (no directory) */
	long long	 crl_number;
	const char	*crl_sha256;	/* hex of the CRL file's bytes */
	time_t		 written;	/* the CRL's thisUpdate */
	const struct kc_revact_cert *certs;	/* in the CRL's order */
	size_t		 n;
};

/* The text of revocation-actions.txt; KC_ERR_USAGE for a request missing
 * a field, KC_ERR_CRYPTO when a certificate cannot be digested. */
int kc_revact_text(const struct kc_revact_req *req, char **text,
    size_t *len);

/* The path of the revocation actions of crl_path: the same directory,
 * the CRL's name without ".crl" or ".pem" (any case), then
 * KC_REVACT_SUFFIX ("root-0002.crl" -> "root-0002.revocation-actions.txt"). */
int kc_revact_path(const char *crl_path, char *out, size_t outsz);

/* Writes text to path atomically (kc_file_write: temporary file, fsync,
 * rename, mode 0644), replacing a file of that name (one left by a CRL
 * of the same name that was removed). */
int kc_revact_write(const char *path, const char *text, size_t len);

/* 1 when len bytes of text could be a revocation-actions.txt: at most
 * KC_REVACT_MAX bytes, lines of printable UTF-8 (kc_text_plain) each
 * ending in '\n', starting with this module's first line; 0 otherwise
 * with the reason in why. */
int kc_revact_plain(const char *text, size_t len, char *why, size_t whysz);

/* The CRL a revocation-actions.txt says it goes with, from its header:
 * file name (no directory), number and SHA-256. KC_ERR_INPUT naming disp
 * when the header is not there or malformed. */
int kc_revact_header(const char *text, size_t len, const char *disp,
    char crl_file[256], long long *number, char sha256[65]);

#endif

/*
 * kc/factory/provision.h: the line station (factorysign provision): an
 * nRF91 modem provisioned over its serial port, and the serial/AT layer
 * under it.
 *
 * The serial layer (serial.c) opens a port (termios; a pseudo-terminal
 * works the same), takes an exclusive lock that also holds against root
 * (flock(2) on the device, which every station takes, plus TIOCEXCL
 * against other openers), and runs one AT command at a time with a
 * deadline on the whole exchange. Every byte from the device is
 * untrusted: lines are capped (KC_AT_LINE_MAX), so are their number and
 * the total; an echo of the command is recognised and dropped; the final
 * result is exactly "OK", "ERROR" or "+CME ERROR: <digits>". Messages
 * that show device text pass it through kc_err's escaper.
 *
 * Ownership: kc_serial_open() returns a handle closed (lock released)
 * with kc_serial_close(); the lines of a struct kc_at_resp are freed with
 * kc_at_resp_clear().
 */
#ifndef KC_FACTORY_PROVISION_H
#define KC_FACTORY_PROVISION_H

#include <stddef.h>

#include "kc/factory/factory.h"

#define KC_AT_LINE_MAX	8192	/* one response line (KC_NRF_LINE_MAX) */
#define KC_AT_LINES_MAX	32	/* lines before the final result code */
#define KC_AT_RESP_MAX	(64 * 1024)	/* bytes of one response */

struct kc_serial;

/* Opens and locks path (a character device; a symbolic link such as
 * /dev/serial/by-id/... is followed) at baud, raw 8N1. Refused: not a
 * terminal device; a baud rate termios does not have (KC_ERR_USAGE);
 * another process holding the port (KC_ERR_EXISTS: "in use"). */
int kc_serial_open(const char *path, long baud, struct kc_serial **out);
/* Releases the lock and closes; NULL is a no-op. */
void kc_serial_close(struct kc_serial *s);
const char *kc_serial_path(const struct kc_serial *s);
/* Waits until the device goes away (hang-up, the port gone: a device
 * unplugged), up to timeout_ms (-1: no limit) or until *stop is set
 * (checked every 200 ms): KC_OK when gone, KC_ERR_ABORT when stopped,
 * KC_ERR_IO on timeout. Bytes the device sends meanwhile are dropped. */
int kc_serial_wait_gone(struct kc_serial *s, int timeout_ms,
    volatile int *stop);

enum kc_at_final {
	KC_AT_OK = 0,
	KC_AT_ERROR,	/* bare ERROR (before AT+CMEE=1) */
	KC_AT_CME,	/* +CME ERROR: cme */
};

struct kc_at_resp {
	int	 final;			/* enum kc_at_final */
	long	 cme;			/* KC_AT_CME: the code */
	size_t	 n;
	char	*line[KC_AT_LINES_MAX];	/* NUL-terminated, without CR/LF;
					   may hold any byte but NUL */
};

/*
 * Sends cmd (len bytes, then CR LF) and reads the response until its
 * final result code, all within timeout_ms. KC_OK with r filled whatever
 * the final result; the caller judges ERROR and CME. Errors, each
 * naming the port and the command (up to its first '"'): KC_ERR_IO when
 * the port fails or goes away ("cable pulled?") or no final result comes
 * in time; KC_ERR_INPUT when the device sends a line over KC_AT_LINE_MAX,
 * more than KC_AT_LINES_MAX lines, a NUL byte or a malformed "+CME
 * ERROR". Input pending before the command is discarded.
 */
int kc_at_cmd(struct kc_serial *s, const char *cmd, size_t len,
    int timeout_ms, struct kc_at_resp *r);
void kc_at_resp_clear(struct kc_at_resp *r);

/* The name of a +CME ERROR code of %KEYGEN / %CMNG ("not found", ...),
 * or NULL when Nordic's reference lists none. */
const char *kc_cme_name(long code);

/* --id-from */
enum { KC_PROV_ID_UUID = 0, KC_PROV_ID_IMEI };

struct kc_prov_opts {
	const char		*port;
	long			 baud;		/* 0: 115200 */
	long			 sec_tag;
	const char		*ca_pem;	/* CA written as type 0, or NULL */
	int			 id_from;
	int			 timeout_ms;	/* one exchange; 0: 10000;
						   %KEYGEN gets 3 times it */
	struct kc_factory_opts	 fo;		/* days, backdate, out_dir,
						   reissue */
	struct kc_serial	*serial;	/* a port already open (--watch:
						   kept open until the device
						   goes), or NULL: opened and
						   closed here */
};

/* The steps, for messages and the time taken by each. */
enum {
	KC_PROV_OPEN = 0, KC_PROV_HELLO, KC_PROV_IDENT, KC_PROV_OFFLINE,
	KC_PROV_KEYGEN, KC_PROV_SIGN, KC_PROV_WRITE, KC_PROV_VERIFY,
	KC_PROV_ONLINE, KC_PROV_NSTEPS
};
const char *kc_prov_step_name(int step);

struct kc_prov_result {
	int	 step;		/* the step reached (failed at) */
	int	 device;	/* the failure is the port's or the device's
				   (exit 2), not a refusal (exit 1) */
	char	 id[KC_FACTORY_ID_MAX + 1];
	char	 serial[41];
	char	 uuid[37];
	char	 imei[16];
	char	 fw[64];
	char	 cred_sha256[65], ca_sha256[65];
	int	 reissued;	/* an earlier live certificate superseded */
	int	 resumed;	/* it was that of an interrupted run */
	double	 t_step[KC_PROV_NSTEPS], t_total;	/* seconds */
	char	 warn[256];	/* e.g. AT+CFUN=1 failed; "" when none */
};

/*
 * factorysign provision: one device on o->port, in order:
 *   open + lock; AT until OK; AT+CMEE=1; AT+CGMR; AT+CGSN=1; the device
 *   UUID from AT%DEVICEUUID, else AT%ATTESTTOKEN, else the %KEYGEN
 *   payload (never AT%XMODEMUUID: the same on every device);
 *   the ID (UUID or IMEI) checked against the ledger: live and not
 *   o->fo.reissue is refused before the device is touched, unless a
 *   journal says it is this station's interrupted run;
 *   AT+CFUN=4 and AT+CFUN? (must read 4); AT%KEYGEN=<tag>,2,0 through the
 *   intake of keygen (digest, CSR, sec_tag, UUID, CN = ID);
 *   a journal D/provision/<ID> (synced), then kc_factory_issue (files as
 *   keygen writes them: ID.cert.pem, chains, ID.at, ID.at.sha256; the
 *   row, status "pending");
 *   credentials already in the tag deleted, AT%CMNG=0 of the CA (type 0)
 *   and the chain (type 1), AT%CMNG=1,<tag> compared with the SHA-256 of
 *   what was written; only then the journal removed and the row turned
 *   "issued" (still this run's pending row); AT+CFUN=1.
 * A failure after the certificate was signed supersedes its row (it is
 * not live: the device does not hold it) and removes what was written to
 * the modem; a kill leaves the pending row (and the journal), and the
 * next run on the device supersedes the row and re-keys the device (it
 * never confirms the pending certificate: the key in the tag may no
 * longer be its own).
 */
int kc_provision(struct kc_factory *f, const struct kc_prov_opts *o,
    struct kc_prov_result *res);

#endif

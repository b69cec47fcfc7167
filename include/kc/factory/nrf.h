/*
 * kc/nrf.h: Nordic nRF91 modem responses (AT%KEYGEN, AT%ATTESTTOKEN), the
 * AT%CMNG provisioning script and the nRF Cloud onboarding CSV.
 *
 * A response is "<base64url part1>.<base64url COSE_Sign1>", optionally
 * wrapped as  %KEYGEN: "..."  or  %ATTESTTOKEN: "..." .
 *
 *   %KEYGEN      part1 = DER CSR (AT%KEYGEN=<tag>,2,0) or DER
 *                SubjectPublicKeyInfo (AT%KEYGEN=<tag>,2,1). The COSE payload
 *                (optionally in the self-describe tag 55799) is
 *                [type 9|8, UUID(16), bstr(CBOR sec_tag), SHA-256(part1),
 *                nonce(16)].
 *   %ATTESTTOKEN part1 = CBOR [1, UUID(16), device type, modem firmware
 *                UUID(16), nonce(16)]; the COSE payload is detached (nil).
 *
 * kc_nrf_parse() decodes and checks the structure strictly (definite
 * lengths only, bounded nesting, exact array and string sizes, no trailing
 * bytes), and for %KEYGEN that the SHA-256 in the COSE payload equals the
 * SHA-256 of the part1 bytes exactly as received. It does NOT verify the
 * COSE signature: that needs the modem's identity public key, which only
 * Nordic's identity service holds. Callers must say so to the user.
 *
 * Ownership: *out of kc_nrf_parse() is freed with kc_nrf_msg_free().
 */
#ifndef KC_NRF_H
#define KC_NRF_H

#include <stddef.h>
#include <stdint.h>

#include "kc/core/csr.h"

/* Longest response line accepted (characters, wrapper included). */
#define KC_NRF_LINE_MAX	8192
/* Largest sec_tag AT%CMNG accepts. */
#define KC_NRF_SEC_TAG_MAX 2147483647L

enum kc_nrf_type {
	KC_NRF_IDENTITY = 1,	/* %ATTESTTOKEN: device identity message v1 */
	KC_NRF_PUBKEY = 8,	/* %KEYGEN: pubkey_msg_v2 */
	KC_NRF_CSR = 9,		/* %KEYGEN: CSR_msg_v1 */
};

/* Name of a message type: "CSR_msg_v1", "pubkey_msg_v2",
 * "device_identity_msg_v1". */
const char *kc_nrf_type_name(int type);
/* A device type as "nRF9160 SICA" etc., or NULL when unknown. */
const char *kc_nrf_device_type_name(long dev_type);

struct kc_nrf_msg {
	int		 type;		/* enum kc_nrf_type */
	const char	*wrapper;	/* "%KEYGEN", "%ATTESTTOKEN" or "" */
	unsigned char	 uuid[16];
	char		 uuid_str[37];	/* 8-4-4-4-12, lower case */
	long		 sec_tag;	/* %KEYGEN: 0..KC_NRF_SEC_TAG_MAX;
					   %ATTESTTOKEN: -1 */
	long		 dev_type;	/* %ATTESTTOKEN; -1 otherwise */
	char		 fw_uuid_str[37]; /* %ATTESTTOKEN; "" otherwise */
	unsigned char	 nonce[16];
	char		 digest_hex[65]; /* %KEYGEN: the SHA-256 of part1 that
					   the COSE payload carries and that
					   was checked; "" otherwise */
	int		 cose_alg;	/* -7 (ES256) */
	int		 has_kid;
	long		 kid;		/* the kid bstr decoded as a CBOR
					   integer (-2: identity key) when
					   it is one */
	unsigned char	 sig[64];	/* the COSE signature, NOT verified */
	unsigned char	*body;		/* part1 exactly as received */
	size_t		 body_len;
};

/*
 * Parses one response line (len bytes; need not be NUL-terminated; CR/LF
 * and surrounding blanks are ignored). what names the input in messages
 * ("keys.txt:3"). Errors are KC_ERR_INPUT (malformed: truncated, bad
 * base64url, no '.', wrong CBOR tag/structure/length, digest mismatch)
 * or KC_ERR_POLICY (sec_tag out of range), each with a one-line message.
 */
int kc_nrf_parse(const char *line, size_t len, const char *what,
    struct kc_nrf_msg **out);
/* NULL is a no-op. */
void kc_nrf_msg_free(struct kc_nrf_msg *m);

/* 1 when a line carries no response and is skipped: blank, "OK", a
 * comment starting with '#', or an echoed command starting with "AT". */
int kc_nrf_line_skip(const char *line, size_t len);

/* Largest responses file read (a few hundred bytes per response). */
#define KC_NRF_FILE_MAX (64 * 1024 * 1024)

/* Walks the lines of a responses file held in memory, skipping those
 * kc_nrf_line_skip() skips. The iterator borrows data. */
struct kc_nrf_lines {
	const char	*p;
	size_t		 len, pos;
	unsigned long	 lineno;
};
void kc_nrf_lines_init(struct kc_nrf_lines *it, const void *data,
    size_t len);
/* 1 and the next response line (not NUL-terminated; without its LF) and
 * its 1-based line number; 0 at the end. */
int kc_nrf_lines_next(struct kc_nrf_lines *it, const char **line,
    size_t *len, unsigned long *lineno);

/*
 * The CSR of a %KEYGEN CSR response, through kc_csr_parse() (which repairs
 * the legacy ecdsa-with-SHA256 NULL parameter; the digest was already
 * checked on the original bytes). Refused: any other message type (a
 * public-key response where a CSR is needed), and a CSR whose CN has the
 * shape of a UUID other than the attested device UUID. flags as for
 * kc_csr_parse(). Caller frees *out with kc_csr_free().
 */
int kc_nrf_csr(const struct kc_nrf_msg *m, const char *what, int flags,
    struct kc_csr **out);

/* The CN of a CSR in a malloc'd string (NULL when there is none). */
char *kc_nrf_csr_cn(const struct kc_csr *csr);

/* The modem's limit for one credential (its text between the quotes, the
 * server chain included: "4 kB"), and the longest AT command, from "AT" to
 * the closing quote, that the nRF Connect SDK at_host library passes on
 * whole: its buffer is CONFIG_AT_HOST_CMD_MAX_LEN = 4096 bytes, it keeps
 * at most 4094 characters (one for the NUL, one more by its overflow
 * check) and drops the rest, and with CRLF line ends one of them is the
 * LF of the line before (CR termination, the default) or the command's own
 * CR (CR+LF termination). */
#define KC_NRF_CRED_MAX		4096
#define KC_NRF_AT_CMD_MAX	4093

/*
 * The one AT%CMNG provisioning script of factorysign (keygen, sign, batch
 * and issue --format at), CRLF line ends:
 *   AT+CFUN=4
 *   AT%CMNG=0,<sec_tag>,0,"<ca_pem>"        (only when ca_pem is not NULL)
 *   AT%CMNG=0,<sec_tag>,1,"<cred_pem>"
 *   AT%CMNG=0,<sec_tag>,2,"<key_pem>"       (only when key_pem is not NULL)
 *   AT+CFUN=1
 * Each PEM text is written with CRLF line ends, the last one included,
 * inside the quotes: the modem stores it so. at->sums is the ID.at.sha256
 * text, one "<sec_tag>,<type>,<SHA-256>" line per credential in the same
 * order: the upper-case hex SHA-256 of the exact text between the quotes,
 * which is what AT%CMNG=1 lists for the stored credential (also in
 * at->*_sha256). A credential over KC_NRF_CRED_MAX or a command over
 * KC_NRF_AT_CMD_MAX is a warning in at->warn ("" when none), or with
 * strict an error (KC_ERR_INPUT). Refused (KC_ERR_INPUT): a PEM holding a
 * '"' or a character outside printable ASCII; a sec_tag outside
 * 0..KC_NRF_SEC_TAG_MAX (KC_ERR_USAGE). Free with kc_nrf_at_free() (the
 * script may hold a key: it is wiped).
 */
struct kc_nrf_at {
	char	*text;		size_t len;
	char	*sums;		size_t sums_len;
	char	 ca_sha256[65], cred_sha256[65], key_sha256[65];
	char	 warn[768];
};
int kc_nrf_at_make(long sec_tag, const char *ca_pem, const char *cred_pem,
    const char *key_pem, int strict, struct kc_nrf_at *at);
void kc_nrf_at_free(struct kc_nrf_at *at);

/* kc_nrf_at_make() without a key, strict, returning the script (malloc'd,
 * *len without the NUL) and the SHA-256 values (ca_sha256 only when ca_pem
 * is given). */
int kc_nrf_at_script(long sec_tag, const char *ca_pem, const char *cred_pem,
    char **text, size_t *len, char cred_sha256[65], char ca_sha256[65]);

/* nRF Cloud onboarding CSV: at most this many rows per file. */
#define KC_NRF_CLOUD_ROWS_MAX 1000

/*
 * One onboarding row "device_id,subtype,tags,fw_types,\"<cert PEM>\"\n"
 * (LF line ends inside the quoted PEM). tags and fw_types are
 * '|'-separated lists (may be empty); subtype may be empty. Refused
 * (KC_ERR_INPUT): a field holding a comma, quote, control character or
 * non-ASCII byte, a PEM holding a quote. *row is malloc'd.
 */
int kc_nrf_cloud_row(const char *device_id, const char *subtype,
    const char *tags, const char *fw_types, const char *cert_pem,
    char **row, size_t *len);

struct kc_ledger;

/* The onboarding CSV of a whole ledger, in chunks (files) of at most
 * KC_NRF_CLOUD_ROWS_MAX rows. */
struct kc_nrf_cloud_csv {
	char	**text;		/* nfiles NUL-terminated chunks */
	size_t	 *len;
	size_t	  nfiles;
	long	  nrows;
};

/*
 * One row per live ("issued") device certificate of the ledger, in issue
 * order, with the given subtype, tags and fw_types (see
 * kc_nrf_cloud_row). Zero rows give zero files. Free with
 * kc_nrf_cloud_csv_clear().
 */
int kc_nrf_cloud_csv(struct kc_ledger *l, const char *subtype,
    const char *tags, const char *fw_types, struct kc_nrf_cloud_csv *out);
void kc_nrf_cloud_csv_clear(struct kc_nrf_cloud_csv *c);

/*
 * The name of chunk i (0-based) of n for the output path out: out itself
 * when n is 1, otherwise out with "-<i+1>" inserted before a ".csv"
 * suffix (or appended): onboard.csv -> onboard-1.csv, onboard-2.csv.
 * malloc'd; NULL when out of memory.
 */
char *kc_nrf_cloud_name(const char *out, size_t i, size_t n);

/*
 * Fuzzing entry point: treats data as a responses file and runs every
 * line through kc_nrf_parse() and, for CSR responses, kc_nrf_csr(). Never
 * crashes or leaks on any input; returns 0. For libFuzzer:
 *   int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
 *   { return kc_nrf_fuzz(d, n); }
 */
int kc_nrf_fuzz(const uint8_t *data, size_t len);

/*
 * The same for binary input, so that a fuzzer mutates the CBOR and the DER
 * rather than their base64url text: data[0] | data[1] << 8 is the length
 * of part1 (clamped), then part1, then the COSE bytes; both are encoded
 * as base64url, joined with '.', and parsed as one line. Returns 0.
 */
int kc_nrf_fuzz_raw(const uint8_t *data, size_t len);

#endif

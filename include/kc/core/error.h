/*
 * kc/core/error.h: the one way the libraries report errors.
 *
 * Every fallible library function returns int: 0 (KC_OK) on success or a
 * negative KC_ERR_* code, with results through out-pointers. Before
 * returning an error it records a one-line, human-readable message with
 * kc_err() (what failed, which file or object, the CK_RV name or OpenSSL
 * reason, and what to do). The message lives in thread-local storage owned
 * by the library; kc_errmsg() returns it until the next kc_err() or kc_err_clear().
 * The libraries never print and never exit: the programs print kc_errmsg().
 */
#ifndef KC_ERROR_H
#define KC_ERROR_H

#include <stdarg.h>

enum {
	KC_OK = 0,
	KC_ERR_USAGE = -1,	/* bad argument or option value */
	KC_ERR_IO = -2,		/* file system or device error */
	KC_ERR_NOMEM = -3,
	KC_ERR_PKCS11 = -4,	/* module or token failure */
	KC_ERR_PIN = -5,	/* wrong, locked or unreadable PIN/passphrase */
	KC_ERR_CRYPTO = -6,	/* OpenSSL failure, bad signature */
	KC_ERR_POLICY = -7,	/* input is well-formed but refused by policy */
	KC_ERR_INPUT = -8,	/* malformed input (PEM, DER, CBOR, config) */
	KC_ERR_EXISTS = -9,	/* output or object already exists */
	KC_ERR_NOTFOUND = -10,	/* token, key, file or record not found */
	KC_ERR_DB = -11,	/* ledger / register database error */
	KC_ERR_ABORT = -12,	/* the operator declined or interrupted */
	KC_ERR_INTERNAL = -13,	/* a self-check failed: a bug, or a broken library */
};

/* Records a message (printf format) and returns code, so that callers write
 *   return kc_err(KC_ERR_IO, "%s: %s", path, strerror(errno)); */
int kc_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As kc_err(), then appends ": <reason>" from the first entry of the
 * OpenSSL error queue (if any) and empties the queue. */
int kc_err_ssl(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keeps the last message but changes its code; returns code. */
int kc_err_recode(int code);

/* The last message; never NULL ("" when none). Owned by the library. */
const char *kc_errmsg(void);
/* The code passed with the last message (KC_OK when none). */
int kc_errcode(void);
void kc_err_clear(void);

/* Short stable name of a code, e.g. "KC_ERR_PIN". */
const char *kc_err_name(int code);

/*
 * Diagnostics that are not errors (progress, notes) go through one sink the
 * program installs. Without a sink they are dropped.
 */
enum kc_log_level { KC_LOG_DEBUG, KC_LOG_INFO, KC_LOG_WARN };
typedef void kc_log_fn(enum kc_log_level level, const char *msg, void *arg);
void kc_log_set_sink(kc_log_fn *fn, void *arg);
void kc_log(enum kc_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

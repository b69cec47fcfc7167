/* error.c: thread-local error message and the log sink (see kc/error.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "kc/core/display.h"
#include "kc/core/error.h"

static _Thread_local char errbuf[1024];
static _Thread_local int errcode;
static kc_log_fn *log_fn;
static void *log_arg;

/* Formats into a scratch buffer first: callers may pass kc_errmsg() itself
 * as an argument ("%s: %s", name, kc_errmsg()), and vsnprintf() into the
 * buffer it is reading from is undefined (it garbled messages). Control
 * and format characters are escaped (kc/display.h). */
static int
verr(int code, const char *fmt, va_list ap)
{
	char tmp[sizeof(errbuf)];

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	/* One line, whatever the quoted input holds: a newline, an escape
	 * sequence, a C1 control or a bidi override in a file name, a
	 * subject or a YAML value must not forge lines, drive the terminal
	 * or reorder what is shown. The one escaper does it. */
	kc_display_line(tmp, errbuf, sizeof(errbuf));
	errcode = code;
	return code;
}

int
kc_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(code, fmt, ap);
	va_end(ap);
	return code;
}

int
kc_err_ssl(int code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	const char *data = NULL;
	int flags = 0;
	size_t n;

	va_start(ap, fmt);
	verr(code, fmt, ap);
	va_end(ap);
	e = ERR_peek_error_data(&data, &flags);
	if (e != 0) {
		const char *reason = ERR_reason_error_string(e);
		n = strlen(errbuf);
		/* ERR_LIB_USER: raised by our own code with the whole reason
		 * as its text (the token's signer, token_sign.c). */
		if (ERR_GET_LIB(e) == ERR_LIB_USER && data != NULL &&
		    (flags & ERR_TXT_STRING) && *data != '\0')
			snprintf(errbuf + n, sizeof(errbuf) - n, ": %s", data);
		else if (reason != NULL)
			snprintf(errbuf + n, sizeof(errbuf) - n, ": %s", reason);
		else
			snprintf(errbuf + n, sizeof(errbuf) - n,
			    ": OpenSSL error 0x%lx", e);
	}
	ERR_clear_error();
	return code;
}

int
kc_err_recode(int code)
{
	errcode = code;
	return code;
}

const char *
kc_errmsg(void)
{
	return errbuf;
}

int
kc_errcode(void)
{
	return errcode;
}

void
kc_err_clear(void)
{
	errbuf[0] = '\0';
	errcode = KC_OK;
}

const char *
kc_err_name(int code)
{
	switch (code) {
	case KC_OK: return "KC_OK";
	case KC_ERR_USAGE: return "KC_ERR_USAGE";
	case KC_ERR_IO: return "KC_ERR_IO";
	case KC_ERR_NOMEM: return "KC_ERR_NOMEM";
	case KC_ERR_PKCS11: return "KC_ERR_PKCS11";
	case KC_ERR_PIN: return "KC_ERR_PIN";
	case KC_ERR_CRYPTO: return "KC_ERR_CRYPTO";
	case KC_ERR_POLICY: return "KC_ERR_POLICY";
	case KC_ERR_INPUT: return "KC_ERR_INPUT";
	case KC_ERR_EXISTS: return "KC_ERR_EXISTS";
	case KC_ERR_NOTFOUND: return "KC_ERR_NOTFOUND";
	case KC_ERR_DB: return "KC_ERR_DB";
	case KC_ERR_ABORT: return "KC_ERR_ABORT";
	case KC_ERR_INTERNAL: return "KC_ERR_INTERNAL";
	}
	return "KC_ERR_UNKNOWN";
}

void
kc_log_set_sink(kc_log_fn *fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

void
kc_log(enum kc_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_arg);
}

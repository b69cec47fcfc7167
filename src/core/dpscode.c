/* dpscode.c: the one rule for an Azure IoT Hub DPS verification code, used
 * by keyceremony verification sign and factorysign verification: 1 to 64
 * letters and digits (kc/ops.h). In the core, so that the factory side
 * does not link the root operations for it. */
#include "config.h"

#include <string.h>

#include "kc/core/dps.h"
#include "kc/core/error.h"

#define CODE_MAX 64

int
kc_verification_code_check(const char *code)
{
	size_t n;

	if (code == NULL || (n = strlen(code)) == 0)
		return kc_err(KC_ERR_USAGE, "--code is empty; give the "
		    "verification code DPS shows for the CA certificate");
	if (n > CODE_MAX)
		return kc_err(KC_ERR_USAGE, "--code is %zu characters long; a "
		    "DPS verification code has 1 to %d letters and digits", n,
		    CODE_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)code[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return kc_err(KC_ERR_USAGE, "--code has %s at position "
			    "%zu; a DPS verification code has only letters "
			    "and digits (copy it again from the portal or "
			    "'az iot dps certificate generate-verification-code')",
			    c == ' ' ? "a space" : c < 0x20 || c >= 0x7f ?
			    "a control or non-ASCII byte" : "a punctuation "
			    "character", i + 1);
	}
	return KC_OK;
}

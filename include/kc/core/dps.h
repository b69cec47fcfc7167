/*
 * kc/core/dps.h: Azure IoT Hub DPS rules both sides apply. The
 * verification code is the CN of a proof-of-possession certificate, signed
 * by the root (keyceremony verification sign) or by the intermediate
 * (factorysign verification).
 */
#ifndef KC_CORE_DPS_H
#define KC_CORE_DPS_H

/* KC_OK when code is a valid DPS verification code: 1..64 characters of
 * [A-Za-z0-9]; KC_ERR_INPUT with the reason otherwise. */
int kc_verification_code_check(const char *code);

#endif

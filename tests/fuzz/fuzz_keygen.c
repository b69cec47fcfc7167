/*
 * fuzz_keygen.c: libFuzzer target for the nRF91 modem-response parser
 * (%KEYGEN / %ATTESTTOKEN: base64url, COSE_Sign1 in CBOR via libcbor, the
 * digest check, and for CSR responses CSR intake), through the entry point
 * the nrf area provides, kc_nrf_fuzz(): the input is a responses file.
 * Replayed in every build by tests/fuzz/replay_keygen (see replay.c).
 */
#include "config.h"

#include <stdint.h>

#include "kc/core/error.h"
#include "kc/factory/nrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	kc_nrf_fuzz(data, len);
	kc_err_clear();
	return 0;
}

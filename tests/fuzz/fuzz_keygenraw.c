/*
 * fuzz_keygenraw.c: libFuzzer target for the same nRF91 parser as
 * fuzz_keygen.c, but through kc_nrf_fuzz_raw(): the input is the decoded
 * bytes (first part, then the COSE_Sign1 CBOR), which the entry point
 * encodes as base64url, so that mutations land in the CBOR and the DER
 * instead of breaking the base64 text. Seeds: corpus/keygenraw (made by
 * make-corpus.py from the keygen seeds). Replayed in every build by
 * tests/fuzz/replay_keygenraw.
 */
#include "config.h"

#include <stdint.h>

#include "kc/core/error.h"
#include "kc/factory/nrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	kc_nrf_fuzz_raw(data, len);
	kc_err_clear();
	return 0;
}

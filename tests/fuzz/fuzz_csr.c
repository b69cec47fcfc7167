/*
 * fuzz_csr.c: libFuzzer target for CSR intake (kc_csr_parse, PEM and DER,
 * including the legacy nRF91 signatureAlgorithm repair).
 *
 * Built as a libFuzzer binary with --enable-fuzzing (`make fuzz`), and in
 * every build as tests/fuzz/replay_csr, which feeds the seed corpus and the
 * regression inputs through the same function (tests/fuzz/replay.c).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/err.h>

#include "kc/core/csr.h"
#include "kc/core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct kc_csr *csr = NULL;
	size_t sum = 0;

	/* Without the subject check, so that a refused subject does not hide
	 * the extension parsing behind it. */
	if (kc_csr_parse(data, len, "fuzz.csr", KC_CSR_NO_SUBJECT_CHECK,
	    &csr) == KC_OK) {
		/* Touch everything the callers print. */
		sum += strlen(csr->subject_str);
		for (size_t i = 0; i < csr->n_ext; i++)
			sum += strlen(csr->ext_names[i]) +
			    strlen(csr->ext_text[i]);
		sum += csr->der_len + strlen(csr->sha256);
		kc_csr_free(csr);
		csr = NULL;
		/* The strict path too (subject checked). */
		if (kc_csr_parse(data, len, "fuzz.csr", 0, &csr) == KC_OK)
			kc_csr_free(csr);
	}
	if (strlen(kc_errmsg()) > 4096)
		__builtin_trap();	/* a message is one line, not a dump */
	kc_err_clear();
	ERR_clear_error();
	(void)sum;
	return 0;
}

#!/bin/sh
# Terminal and bidi injection on the factory side (issue 12, item 4): the
# corpus of tests/hostile/screen-corpus.py as device CSR subjects (CN and
# O), --id of sign, --ids of issue and verification codes: each refused,
# nothing written, and stdout+stderr clean (no control, C1, bidi or format
# character). Positive pair: a device with a plain ID is signed and its
# output is clean.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
C="$KC_TOP_SRCDIR/tests/hostile/screen-corpus.py"
fs_setup
mkcsr dev-0001
check "device CSR subjects, --id, --ids, codes: refused; nothing written; output clean" \
	python3 "$C" device "$FS" "$T"
check "positive: dev-0001 is signed" sh -c "'$FS' sign --dir D --csr csr/dev-0001.csr --id dev-0001 \
	--out-dir out --pass-file '$PASS' > '$T/sign.out' 2>&1"
check "positive: its certificate is written" test -s out/dev-0001.cert.pem
check "positive: the output is clean" python3 "$C" check "$T/sign.out"
mkcsr "dev-Müller"
check_fails "a device CN outside the DPS alphabet is refused" "registration ID|device ID|CN" \
	"$FS" sign --dir D --csr "csr/dev-Müller.csr" --out-dir out --pass-file "$PASS"

# a ledger rewritten by hand: ledger verify reports the rows, escaped
cp D/ledger.sqlite "$T/ledger.bak"
check "the ledger is tampered with" python3 "$C" tamper D/ledger.sqlite certs device_id,serial,cert_path,cert_sha256
"$FS" ledger verify --dir D > "$T/lv.out" 2>&1
check "ledger verify of a tampered ledger fails" test -s "$T/lv.out"
check "... and its output is clean" python3 "$C" check "$T/lv.out"
check "... the rewritten fields shown escaped" grep -qF '\x1b[2J\u{202E}\x9b' "$T/lv.out"
cp "$T/ledger.bak" D/ledger.sqlite
check "positive: the real ledger verifies" sh -c "'$FS' ledger verify --dir D > '$T/lv-good.out' 2>&1"
check "positive: with clean output" python3 "$C" check "$T/lv-good.out"
done_testing

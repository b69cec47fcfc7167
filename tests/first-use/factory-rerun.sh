#!/bin/sh
# Issue 14 item 14 (reruns, counts, options): sign, batch, issue and keygen
# agree. Running any of them again on the same input is a rerun: the
# devices are "already issued" (exit 0), their files checked and repaired
# from the ledger; every summary counts issued / already issued / repaired
# / failed in that order. keygen needs no --resume (still accepted) and
# takes --reissue like batch: a modem with a new key gets a new
# certificate, the ledger marks the old one superseded; without --reissue
# the new key is refused (exit 1, nothing changed), and --reissue with the
# same key signs nothing. issue --reissue makes new keys and certificates
# for IDs already issued.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
RESP=$KC_TOP_BUILDDIR/tests/nrf-resp
[ -x "$RESP" ] || bail "tests/nrf-resp not built"
fs_setup
# said DESC RE: the output of the last command run by check (not by said)
said() {
	[ "${_said_at:-}" = "$_tap_n" ] || cp "$T/.out" "$T/said"
	check "$1" grep -q -- "$2" "$T/said"; _said_at=$_tap_n
}
rows() { sqlite3 D/ledger.sqlite "SELECT count(*) FROM certs"; }
COUNTS='[0-9]+ issued, [0-9]+ already issued, [0-9]+ repaired, [0-9]+ failed'
# modem ID CSR-NAME: a %KEYGEN response for a new key with CN = ID
modem() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=$1" -outform DER -out "$T/$2.der" >/dev/null 2>&1 &&
	"$RESP" "$T/$2.der" 17 00112233445566778899aabbccddeeff wrap > "$T/$2.txt" ||
		bail "modem $1"
}

# issue: the rerun the issue found failing ("3 failed", exit 1)
check "issue 3" "$FS" issue --dir D --count 3 --prefix k- --out-dir kout --plain-keys --pass-file "$PASS"
said "  ... 3 issued" "issue: 3 issued, 0 already issued, 0 repaired, 0 failed"
n=$(rows)
check "issue again: exit 0" "$FS" issue --dir D --count 3 --prefix k- --out-dir kout --plain-keys --pass-file "$PASS"
said "  ... 3 already issued, not failed" "issue: 0 issued, 3 already issued, 0 repaired, 0 failed"
said "  ... per device" "^k-0002: already issued (serial [0-9a-f]*), files intact$"
check "  ... no new key, no new row" test "$(rows)" = "$n"
check "issue one more: only it is new" "$FS" issue --dir D --count 4 --prefix k- --out-dir kout --plain-keys --pass-file "$PASS"
said "  ... 1 issued, 3 already issued" "issue: 1 issued, 3 already issued, 0 repaired, 0 failed"
cp kout/k-0001.key.pem "$T/k1.key"; cp kout/k-0001.cert.pem "$T/k1.cert"
n=$(rows)
check "issue --reissue: new keys and certificates" "$FS" issue --dir D --count 1 --prefix k- --out-dir kout --plain-keys --reissue --pass-file "$PASS"
said "  ... 1 issued" "issue: 1 issued, 0 already issued, 0 repaired, 0 failed"
check "  ... a new key, a new certificate for it" sh -c \
	"! cmp -s '$T/k1.key' kout/k-0001.key.pem && ! cmp -s '$T/k1.cert' kout/k-0001.cert.pem &&
	 [ \"\$(openssl x509 -in kout/k-0001.cert.pem -noout -pubkey | openssl sha256)\" = \
	   \"\$(openssl pkey -in kout/k-0001.key.pem -pubout | openssl sha256)\" ]"
check "  ... one row more, the old one superseded" sh -c \
	"[ $(rows) = \$(( $n + 1 )) ] && '$FS' ledger export --dir D --format csv --all | grep '^\"k-0001\",' | grep -q ',\"superseded\"\$'"
check "  ... ledger verify: 0 problems" "$FS" ledger verify --dir D

# sign and batch
mkcsr s-1
check "sign" "$FS" sign --dir D --csr csr/s-1.csr --out-dir sout --pass-file "$PASS"
check "sign again (same CSR): exit 0" "$FS" sign --dir D --csr csr/s-1.csr --out-dir sout --pass-file "$PASS"
said "  ... already issued" "^s-1: already issued (serial [0-9a-f]*), files intact$"
check "sign again into another --out-dir: exit 0" "$FS" sign --dir D --csr csr/s-1.csr --out-dir sout2 --pass-file "$PASS"
said "  ... says where the files are" "s-1: its files are in .*/sout, where it was issued (not in sout2)"
check "  ... nothing written there" nothing_in sout2
mkdir in; mkcsr b-1; mkcsr b-2; cp csr/b-1.csr csr/b-2.csr in/
check "batch" "$FS" batch --dir D --csr-dir in --out-dir bout --pass-file "$PASS"
check "batch again: exit 0" "$FS" batch --dir D --csr-dir in --out-dir bout --pass-file "$PASS"
said "  ... 2 already issued" "batch in: 0 issued, 2 already issued, 0 repaired, 0 failed, 2 files"

# keygen: a rerun without --resume, with --resume, the counts
modem m-1 m1
check "keygen" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --pass-file "$PASS"
said "  ... 1 issued" "factorysign: 1 issued, 0 already issued, 0 repaired, 0 failed, of 1 responses"
cp mout/m-1.at "$T/m1.at"; cp mout/m-1.cert.pem "$T/m1.cert"
n=$(rows)
check "keygen again without --resume: exit 0 (was: .at already exists)" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --pass-file "$PASS"
said "  ... already issued, not issued" "factorysign: 0 issued, 1 already issued, 0 repaired, 0 failed, of 1 responses"
check "keygen --resume (accepted, the same): exit 0" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --resume --pass-file "$PASS"
said "  ... 0 issued (was: 1 issued)" "factorysign: 0 issued, 1 already issued, 0 repaired, 0 failed"
check "  ... no new row" test "$(rows)" = "$n"

# keygen --reissue: the modem made a new key in the same sec_tag
modem m-1 m1b
check_fails "a new key without --reissue is refused" "m-1' was already issued .*use --reissue" \
	"$FS" keygen --dir D --input "$T/m1b.txt" --out-dir mout --pass-file "$PASS"
check "  ... nothing changed" sh -c "cmp '$T/m1.at' mout/m-1.at && cmp '$T/m1.cert' mout/m-1.cert.pem && [ $(rows) = $n ]"
check "keygen --reissue with the same key: nothing signed" "$FS" keygen --dir D --input "$T/m1.txt" --out-dir mout --reissue --pass-file "$PASS"
said "  ... already issued" "0 issued, 1 already issued, 0 repaired, 0 failed"
check "keygen --reissue with the new key" "$FS" keygen --dir D --input "$T/m1b.txt" --out-dir mout --reissue --pass-file "$PASS"
said "  ... 1 issued" "factorysign: 1 issued, 0 already issued, 0 repaired, 0 failed"
check "  ... a new certificate for the new key" sh -c \
	"! cmp -s '$T/m1.cert' mout/m-1.cert.pem &&
	 [ \"\$(openssl x509 -in mout/m-1.cert.pem -noout -pubkey | openssl sha256)\" = \
	   \"\$(openssl req -inform DER -in '$T/m1b.der' -noout -pubkey | openssl sha256)\" ]"
check "  ... the script carries it" sh -c "! cmp -s '$T/m1.at' mout/m-1.at"
check "  ... the ledger records the supersession" sh -c \
	"'$FS' ledger export --dir D --format csv --all | grep '^\"m-1\",' | sort > '$T/m1.rows' &&
	 [ \$(grep -c ',\"superseded\"\$' '$T/m1.rows') = 1 ] && [ \$(grep -c ',\"issued\"\$' '$T/m1.rows') = 1 ]"
check "  ... ledger verify: 0 problems" "$FS" ledger verify --dir D
check "keygen --reissue again (new key, rerun): nothing signed" "$FS" keygen --dir D --input "$T/m1b.txt" --out-dir mout --reissue --pass-file "$PASS"
said "  ... already issued" "0 issued, 1 already issued, 0 repaired, 0 failed"
check "keygen --help lists --reissue" sh -c "'$FS' keygen --help | grep -q -- '--reissue'"

# the summaries of the three bulk commands have one form
check "one summary form for issue, batch and keygen" sh -c \
	"'$FS' issue --dir D --count 1 --prefix k- --out-dir kout --plain-keys --pass-file '$PASS' | grep -Eq '^issue: $COUNTS;' &&
	 '$FS' batch --dir D --csr-dir in --out-dir bout --pass-file '$PASS' | grep -Eq '^batch in: $COUNTS, 2 files' &&
	 '$FS' keygen --dir D --input '$T/m1b.txt' --out-dir mout --pass-file '$PASS' 2>&1 | grep -Eq '^factorysign: $COUNTS, of 1 responses'"
done_testing

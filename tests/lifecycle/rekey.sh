#!/bin/sh
# Rekey (issue 15 item 3): `factorysign init --dir D --rekey` makes a new
# key and CSR in D/rekey/ while D keeps signing with its active key; the
# root signs the new CSR (a name of its own: two intermediates valid at
# once); `factorysign install` of that certificate switches D to the new
# key and retires the old key (still encrypted, 0600), CSR, certificate
# and root to D/previous/SERIAL/. New devices chain to the new
# intermediate, old devices still verify with their own chain files
# (openssl -x509_strict, GnuTLS certtool), factorysign status lists both
# intermediates with their end dates, ledger verify still passes.
# Refused, one line naming the file, nothing changed: a rekey already
# pending, a rekey under the active subject, a rekey of a D without an
# installed intermediate or without a key, D/rekey a symbolic link,
# install of a certificate matching neither key (another factory's; a
# renewal of the retired key).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
softhsm_setup test
cd "$T" || bail "cd"
S="$T/state"
"$KC" root create --token test --pin-file "$T/pin" --state "$S" \
	--label root --algorithm ec-p256 --subject "/CN=Rekey Root/O=Example" \
	--days 3650 --out "$T/root.pem" >/dev/null 2>&1 || bail "root create"
isign() { # CSR OUT [ARGS...]
	_c=$1 _o=$2; shift 2
	"$KC" intermediate sign --token test --pin-file "$T/pin" --yes \
		--state "$S" --label root --issuer "$T/root.pem" --csr "$_c" \
		--days 400 --out "$_o" "$@"
}
ser() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr A-F a-f; }
( umask 077; printf 'correct horse battery\n' > "$PASS" )
"$FS" init --dir "$T/D" --subject "/CN=Factory 2026/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null || bail "init"
fs_fast_key "$T/D"
isign "$T/D/intermediate.csr" "$T/old.pem" >/dev/null 2>&1 || bail "sign old"
"$FS" install --dir "$T/D" --cert "$T/old.pem" --root "$T/root.pem" \
	>/dev/null || bail "install old"
OLD=$(ser "$T/old.pem")
mkdir -p "$T/csr" "$T/keys" "$T/out"
fsign() { "$FS" sign --dir "$T/D" --csr "$T/csr/$1.csr" --out-dir "$T/out" \
	--pass-file "$PASS"; }
mkcsr dev-1
fsign dev-1 >/dev/null || bail "sign dev-1"
snap() { ( cd "$T/D" && find . -path ./ledger.sqlite\* -prune -o -type f \
	-print | sort | xargs sha256sum ) > "$1"; }
rekey() { "$FS" init --dir "$1" --rekey --algorithm ec-p256 \
	--pass-file "$PASS" --subject "$2"; }

# --- refusals before the rekey -----------------------------------------------
snap "$T/D.before"
check_fails "--rekey under the active intermediate's subject" \
	"^factorysign: --subject .* is the subject of the active intermediate .*D/intermediate.pem" \
	rekey "$T/D" "/CN=factory 2026/O=Example"
check "  ... nothing made" test ! -e "$T/D/rekey"
"$FS" init --dir "$T/D2" --subject "/CN=Factory Two/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null 2>&1 || bail "init D2"
check_fails "--rekey of a D whose intermediate is not installed" \
	"^factorysign: .*D2/intermediate.pem: the active intermediate is not installed" \
	rekey "$T/D2" "/CN=Factory Two B/O=Example"
check "  ... no D2/rekey" test ! -e "$T/D2/rekey"
check_fails "--rekey of a directory without a key" \
	"^factorysign: .*nowhere/intermediate.key: no intermediate key" \
	rekey "$T/nowhere" "/CN=Factory X/O=Example"
check "  ... nothing made" test ! -e "$T/nowhere"
cp -r "$T/D" "$T/D3"
mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$T/D3/rekey"
check_fails "--rekey with D/rekey a symbolic link" "^factorysign: .*D3/rekey" \
	rekey "$T/D3" "/CN=Factory Three/O=Example"
check "  ... nothing written through it" test -z "$(ls -A "$T/elsewhere")"

# --- the rekey ----------------------------------------------------------------
check "init --rekey: a new key and CSR in D/rekey/" \
	rekey "$T/D" "/CN=Factory 2027/O=Example"
cp "$T/.out" "$T/rekey.out"
check "  ... it says D keeps its active key until install" \
	grep -q "keeps signing with its active key" "$T/rekey.out"
check "  ... D/rekey/intermediate.key is 0600 and encrypted" sh -c \
	"test \"\$(stat -c %a '$T/D/rekey/intermediate.key')\" = 600 &&
	grep -q 'ENCRYPTED PRIVATE KEY' '$T/D/rekey/intermediate.key'"
check "  ... the CSR carries the new subject" sh -c "openssl req -in \
	'$T/D/rekey/intermediate.csr' -noout -subject | grep -q 'Factory 2027'"
check "  ... a key of its own" test "$(openssl req -in "$T/D/rekey/intermediate.csr" \
	-noout -pubkey)" != "$(openssl x509 -in "$T/old.pem" -noout -pubkey)"
snap "$T/D.after"
check "  ... D's active files unchanged" sh -c "grep -v ' ./rekey/' '$T/D.after' |
	cmp -s - '$T/D.before'"
fs_fast_key "$T/D/rekey"
cp "$T/D/rekey/intermediate.key" "$T/rekey.key"
check_fails "--rekey again while one is pending" \
	"^factorysign: .*D/rekey/intermediate.key: a rekey is already pending" \
	rekey "$T/D" "/CN=Factory 2028/O=Example"
check "  ... the pending key unchanged" cmp "$T/D/rekey/intermediate.key" "$T/rekey.key"
"$FS" status --dir "$T/D" --json > "$T/st0.json"
check "factorysign status --json names the pending rekey" \
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert d['rekey_pending'].endswith('D/rekey/intermediate.csr'), d" "$T/st0.json"
check "factorysign status (text) says it is pending" sh -c \
	"'$FS' status --dir '$T/D' | grep -q '^  pending rekey'"
mkcsr dev-2
check "a device signed while the rekey is pending" fsign dev-2
check "  ... is still under the old intermediate" openssl verify -x509_strict \
	-CAfile "$T/root.pem" -untrusted "$T/old.pem" "$T/out/dev-2.cert.pem"

check "the root signs the new CSR (a name of its own, the old one still valid)" \
	isign "$T/D/rekey/intermediate.csr" "$T/new.pem"
NEW=$(ser "$T/new.pem")

# install of a certificate matching neither key
"$FS" init --dir "$T/D4" --subject "/CN=Factory Four/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null 2>&1 || bail "init D4"
isign "$T/D4/intermediate.csr" "$T/d4.pem" >/dev/null 2>&1 || bail "sign d4"
snap "$T/D.pending"
check_fails "install of another factory's certificate (neither key)" \
	"^factorysign: .*d4.pem: its public key is not the key of .*D nor of its pending rekey .*D/rekey" \
	"$FS" install --dir "$T/D" --cert "$T/d4.pem" --root "$T/root.pem"
snap "$T/D.pending2"
check "  ... nothing moved" cmp "$T/D.pending" "$T/D.pending2"

# --- install switches D ------------------------------------------------------
check "install of the new key's certificate" \
	"$FS" install --dir "$T/D" --cert "$T/new.pem" --root "$T/root.pem"
cp "$T/.out" "$T/install.out"
check "  ... says it switched and where the old key is" \
	grep -q "switched .* to the new key; .*previous/$OLD" "$T/install.out"
P=$T/D/previous/$OLD
check "  ... the old key, CSR, certificate and root in D/previous/SERIAL/" sh -c \
	"test -f '$P/intermediate.key' -a -f '$P/intermediate.csr' -a \
	-f '$P/root.pem' && cmp -s '$P/intermediate.pem' '$T/old.pem'"
check "  ... the old key still encrypted, 0600" sh -c \
	"test \"\$(stat -c %a '$P/intermediate.key')\" = 600 &&
	grep -q 'ENCRYPTED PRIVATE KEY' '$P/intermediate.key' &&
	! grep -q 'BEGIN PRIVATE KEY' '$P/intermediate.key'"
check "  ... the old key is the one D had" sh -c "grep ' ./intermediate.key' \
	'$T/D.before' | cut -d' ' -f1 | grep -q \"\$(sha256sum < \
	'$P/intermediate.key' | cut -d' ' -f1)\""
check "  ... D's key is the rekey's" cmp "$T/D/intermediate.key" "$T/rekey.key"
check "  ... D's certificate the new one" cmp "$T/D/intermediate.pem" "$T/new.pem"
check "  ... D/rekey is gone" test ! -e "$T/D/rekey"

mkcsr dev-3
check "a device signed after the switch" fsign dev-3
check "  ... verifies under the new intermediate (openssl)" openssl verify \
	-x509_strict -purpose sslclient -CAfile "$T/root.pem" \
	-untrusted "$T/out/dev-3.chain.pem" "$T/out/dev-3.cert.pem"
check "  ... its chain file carries the new intermediate" sh -c \
	"openssl crl2pkcs7 -nocrl -certfile '$T/out/dev-3.chain.pem' |
	openssl pkcs7 -print_certs -noout | grep -q 'Factory 2027'"
check "  ... GnuTLS: the full chain verifies" certtool --verify \
	--load-ca-certificate "$T/root.pem" --infile "$T/out/dev-3.full-chain.pem"
check_fails "  ... and not under the old intermediate" "error" openssl verify \
	-x509_strict -CAfile "$T/root.pem" -untrusted "$T/old.pem" \
	"$T/out/dev-3.cert.pem"
for d in dev-1 dev-2; do
	check "old device $d still verifies with its own chain file (openssl)" \
		openssl verify -x509_strict -purpose sslclient -CAfile "$T/root.pem" \
		-untrusted "$T/out/$d.chain.pem" "$T/out/$d.cert.pem"
	check "  ... GnuTLS: its full chain" certtool --verify \
		--load-ca-certificate "$T/root.pem" --infile "$T/out/$d.full-chain.pem"
done
check_fails "an old device does not verify under the new intermediate" "error" \
	openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/new.pem" \
	"$T/out/dev-1.cert.pem"
check "  ... but under D/previous/SERIAL/intermediate.pem" openssl verify \
	-x509_strict -CAfile "$P/root.pem" -untrusted "$P/intermediate.pem" \
	"$T/out/dev-1.cert.pem"

"$FS" status --dir "$T/D" > "$T/st.out"; echo $? > "$T/st.rc"
check "factorysign status lists both intermediates with their end dates" sh -c \
	"grep -Eq '^  ok +intermediate +[0-9]{4}-[0-9]{2}-[0-9]{2} .*Factory 2027' '$T/st.out' &&
	grep -Eq '^  retired +intermediate +[0-9]{4}-[0-9]{2}-[0-9]{2} .*Factory 2026.*previous/$OLD' '$T/st.out'"
check "  ... exit 0, nothing pending" sh -c "test \"\$(cat '$T/st.rc')\" = 0 &&
	! grep -q pending '$T/st.out'"
"$FS" status --dir "$T/D" --json > "$T/st.json"
check "factorysign status --json: the active and the previous intermediate" \
	python3 - "$T/st.json" "$OLD" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
act = [i for i in d["items"] if i["kind"] == "intermediate"]
prev = [i for i in d["items"] if i["kind"] == "previous"]
assert len(act) == 1 and "Factory 2027" in act[0]["subject"], act
assert len(prev) == 1 and "Factory 2026" in prev[0]["subject"], prev
assert sys.argv[2] in prev[0]["file"] and prev[0]["status"] == "retired"
assert prev[0]["days_left"] > 0 and d["rekey_pending"] is None
PY
check "ledger verify still passes (every device's files found)" \
	"$FS" ledger verify --dir "$T/D"
check "the ledger holds the three devices" sh -c \
	"'$FS' ledger export --dir '$T/D' --format csv | grep -c '^\"dev-' | grep -qx 3"

# a renewal of the retired key is no longer D's
isign "$P/intermediate.csr" "$T/old-renewed.pem" --renew "$T/old.pem" \
	>/dev/null 2>&1 || bail "renew old"
snap "$T/D.done"
check_fails "install of a renewal of the retired key (not D's key any more)" \
	"^factorysign: .*old-renewed.pem: its public key is not the key of .*D" \
	"$FS" install --dir "$T/D" --cert "$T/old-renewed.pem" --root "$T/root.pem"
snap "$T/D.done2"
check "  ... nothing changed" cmp "$T/D.done" "$T/D.done2"
check "install of the new certificate again: nothing retired" \
	"$FS" install --dir "$T/D" --cert "$T/new.pem" --root "$T/root.pem"
check "  ... one previous" test "$(ls "$T/D/previous")" = "$OLD"
check "a second rekey can start" rekey "$T/D" "/CN=Factory 2028/O=Example"
done_testing

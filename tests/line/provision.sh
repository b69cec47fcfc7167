#!/bin/sh
# factorysign provision (issue 20), the happy paths, against the simulated
# nRF91 (tests/line/modemsim.py) on a pty: the chain on the modem verifies
# to the root, the certificate's key is the key the modem made, the modem
# lists the SHA-256 of exactly what was written, the ledger row is issued,
# the files are those of keygen; then a rerun (refused: already issued),
# --reissue, --ca-file, --id-from imei, an nRF9160 (UUID from the
# identity token), a modem that echoes, 20 devices in a row.
# Real modems were not available to these tests.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null

# verify_device ID: every property of a provisioned device
verify_device() {
	_id=$1
	check "$_id: the chain verifies to the root" openssl verify \
		-CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
		"$T/out/$_id.cert.pem"
	# the modem's stored chain, CRLF as written, is the chain file
	tr -d '\r' < "$T/modem.json.16.1" > "$T/stored.pem"
	check "$_id: the modem holds ID.chain.pem (CRLF line ends)" \
		cmp "$T/stored.pem" "$T/out/$_id.chain.pem"
	openssl x509 -in "$T/stored.pem" -noout -subject -nameopt RFC2253 \
		> "$T/subj.txt" 2>&1
	check "$_id: its certificate's CN is the device ID" \
		grep -qx "subject=CN=$_id" "$T/subj.txt"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"]["16"], end="")' \
		"$T/modem.json" > "$T/modem.key"
	openssl pkey -in "$T/modem.key" -pubout > "$T/k1.pem" 2>/dev/null
	openssl x509 -in "$T/out/$_id.cert.pem" -noout -pubkey > "$T/k2.pem"
	check "$_id: the certificate's key is the modem's key (CSR)" \
		cmp "$T/k1.pem" "$T/k2.pem"
	_sum=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest().upper())' "$T/modem.json.16.1")
	check "$_id: the modem lists the SHA-256 of what it stores" \
		grep -q "\"16,1\": \"$_sum\"" "$T/modem.json"
	check "$_id: ID.at.sha256 names that SHA-256" \
		grep -q "^16,1,$_sum" "$T/out/$_id.at.sha256"
	_serial=$(openssl x509 -in "$T/out/$_id.cert.pem" -noout -serial |
		sed 's/serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
	# the live row of the ID, its serial without leading zeros
	ledger_rows | awk -v id="$_id" '$1 == "issued" && $2 == id {
		s = $3; sub(/^0+/, "", s); print s }' > "$T/rows.txt"
	check "$_id: the ledger row is issued" \
		grep -qx "$_serial" "$T/rows.txt"
	check "$_id: no journal left" sh -c "[ -z \"\$(ls -A '$T/D/provision')\" ]"
	check "$_id: the modem is back online (AT+CFUN=1)" \
		test "$(sim_get cfun)" = 1
	for s in cert.pem chain.pem full-chain.pem at at.sha256; do
		check "$_id: $_id.$s written" test -s "$T/out/$_id.$s"
	done
}

# --- one device ---
sim_start
check "provision: exit 0" prov
UUID=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]; print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' "$T/modem.json")
verify_device "$UUID"
prov > "$T/line.txt" 2>&1
check "the result line names ID, serial and time" grep -Eq \
	"^(provisioned|failed) $UUID" "$T/line.txt"
check "never AT%XMODEMUUID (the firmware build, not the device)" \
	sh -c "! grep -q XMODEMUUID '$T/modem.log'"

# --- a rerun: already issued, refused before the modem is touched ---
cp "$T/modem.json" "$T/before.json"
: > "$T/modem.log"
prov > "$T/rerun.txt" 2>&1; rc=$?
check "rerun without --reissue: exit 1" test "$rc" = 1
check "rerun: the message says already issued and --reissue" grep -Eq \
	"device $UUID is already issued \(serial [0-9a-f]+\); --reissue re-keys it" \
	"$T/rerun.txt"
check "rerun: no %KEYGEN, no %CMNG sent" sh -c \
	"! grep -Eq 'KEYGEN|CMNG|CFUN' '$T/modem.log'"
check "rerun: the modem's credentials unchanged" sh -c \
	"python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a[\"creds\"]!=b[\"creds\"])' '$T/before.json' '$T/modem.json'"

# --- --reissue: new key, new certificate, the old one superseded ---
OLD=$(ledger_rows | awk '$1=="issued"{print $3}')
check "--reissue: exit 0" prov --reissue
check "--reissue: the old row superseded" sh -c \
	"python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(c.execute(\"select status from certs where serial=?\",(sys.argv[2],)).fetchone()[0]!=\"superseded\")' '$T/D/ledger.sqlite' '$OLD'"
verify_device "$UUID"

# --- --ca-file: the CA written as type 0 and checked ---
sim_new; sim_start
check "--ca-file: exit 0" prov --ca-file "$T/root.pem"
UUID=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]; print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' "$T/modem.json")
verify_device "$UUID"
tr -d '\r' < "$T/modem.json.16.0" > "$T/ca-stored.pem"
openssl x509 -in "$T/root.pem" > "$T/root-clean.pem"
check "--ca-file: the modem holds the CA (type 0)" \
	cmp "$T/ca-stored.pem" "$T/root-clean.pem"
check_fails "--ca-file with a leaf: refused before the device" \
	"is not a CA certificate" prov --ca-file "$T/out/$UUID.cert.pem"

# --- --id-from imei ---
sim_new; sim_start
check "--id-from imei: exit 0" prov --id-from imei
IMEI=$(sim_get imei)
verify_device "$IMEI"
check "--id-from imei: %KEYGEN asked for CN=<IMEI>" \
	grep -qx "AT%KEYGEN=16,2,0,\"CN=$IMEI\"" "$T/modem.log"

# --- an nRF9160: no AT%DEVICEUUID, the identity token ---
sim_new; sim_start --model 9160
check "nRF9160: exit 0" prov
UUID=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]; print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' "$T/modem.json")
verify_device "$UUID"
check "nRF9160: the UUID came from AT%ATTESTTOKEN" \
	grep -q "ATTESTTOKEN" "$T/modem.log"

# --- echo on ---
sim_new; sim_start --echo
check "a modem that echoes: exit 0" prov
UUID=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["uuid"]; print("%s-%s-%s-%s-%s" % (u[:8],u[8:12],u[12:16],u[16:20],u[20:]))' "$T/modem.json")
verify_device "$UUID"

# --- 20 devices in a row, one station process each ---
n=0; okn=0
while [ "$n" -lt 20 ]; do
	sim_new; sim_start
	if prov >> "$T/row.txt" 2>&1; then okn=$((okn + 1)); fi
	n=$((n + 1))
done
check "20 devices in a row: all provisioned" test "$okn" = 20
check "20 devices: 20 result lines" test \
	"$(grep -c '^provisioned ' "$T/row.txt")" = 20
sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$T/row.txt" |
	awk '{s+=$1} END{if (NR) printf "# %d devices, %.3f s each on average (%.0f per minute, station only)\n", NR, s/NR, 60*NR/s}'

# --- a port that is no terminal, a missing port ---
sim_stop
: > "$T/notatty"
check_fails "a regular file as --port: refused (exit 2)" \
	"not a terminal device|not a character device" \
	"$FS" provision --dir "$T/D" --port "$T/notatty" --sec-tag 16 \
	--pass-file "$PASS" --out-dir "$T/out"
check_fails "a missing port" "No such file" \
	"$FS" provision --dir "$T/D" --port "$T/nonesuch" --sec-tag 16 \
	--pass-file "$PASS" --out-dir "$T/out"
check_fails "--id-from other: usage" "--id-from takes uuid or imei" \
	prov --id-from serial
check_fails "--sec-tag out of range: usage" "sec-tag" \
	"$FS" provision --dir "$T/D" --port "$PORT" --sec-tag 2147483648 \
	--out-dir "$T/out"
done_testing

#!/bin/sh
# No private key material outside the HSM: tests/scan-secrets.sh runs over
# the state directory, the media and the working directory after every
# shipped ceremony (keyceremony run --batch on SoftHSM) and after the
# subcommands that make throwaway keys (verification sign). First the
# scanner itself must catch a planted key in every format, and pass what is
# public (certificates, CSRs, CRLs, SQLite registers).
. "$KC_TOP_SRCDIR/tests/lib.sh"
SCAN="sh $KC_TOP_SRCDIR/tests/scan-secrets.sh"
softhsm_setup keyceremony-demo
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "cd"

# --- the scanner finds every format ------------------------------------------
mkdir keys plant
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/ec.pem 2>/dev/null || bail genpkey
openssl genrsa -traditional -out keys/rsa-trad.pem 2048 2>/dev/null || bail genrsa
openssl req -x509 -new -key keys/ec.pem -subj /CN=plant -days 1 -out keys/cert.pem 2>/dev/null || bail req
openssl pkey -in keys/ec.pem -outform DER -out keys/p8.der
openssl ec -in keys/ec.pem -outform DER -out keys/ec.der 2>/dev/null
openssl rsa -in keys/rsa-trad.pem -traditional -outform DER -out keys/rsa.der 2>/dev/null
openssl pkcs8 -topk8 -in keys/ec.pem -passout pass:x -out keys/enc.pem
openssl pkcs8 -topk8 -in keys/ec.pem -passout pass:x -outform DER -out keys/enc.der
openssl pkcs12 -export -in keys/cert.pem -inkey keys/ec.pem -passout pass:x -out keys/bundle.p12
( printf 'static const char key[] = "'; sed 's/$/\\n"/' keys/ec.pem; printf ';\n' ) > keys/literal.c
( printf 'SQLite format 3\0....'; cat keys/ec.der; printf 'tail' ) > keys/embedded.db
for k in ec.pem rsa-trad.pem p8.der ec.der rsa.der enc.pem enc.der bundle.p12 literal.c embedded.db; do
	rm -f plant/*; cp "keys/$k" plant/
	check_fails "scan-secrets finds $k" "plant/$k: " $SCAN plant
done
rm -f plant/*
openssl req -new -key keys/ec.pem -subj /CN=csr -out plant/req.csr 2>/dev/null
cp keys/cert.pem plant/; openssl x509 -in keys/cert.pem -outform DER -out plant/cert.der
sqlite3 plant/db.sqlite "CREATE TABLE t (x BLOB); INSERT INTO t VALUES (x'$(od -An -tx1 -v plant/cert.der | tr -d ' \n')');"
check "scan-secrets passes certificates, CSRs and a register" $SCAN plant

# --- after every ceremony ------------------------------------------------
mkdir media usb
demo_site demo.site
mkdir work
runc() {
	(cd work && "$KC" run "$CER/$1.yaml" --site ../demo.site --batch) > "$1.out" 2>&1 ||
		{ not_ok "ceremony $1 ran"; sed 's/^/#   /' "$1.out"; return; }
	check "after $1: nothing private in state, media or the working directory" \
		$SCAN state media work
}
sed -i "s|^pin-file: pin|pin-file: $T/pin|; s|^state: state|state: $T/state|; s|^media: media|media: $T/media|" demo.site
runc root-ca
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout keys/int.key \
	-subj "/CN=Scan Test Factory CA/O=Example" -out usb/intermediate.csr 2>/dev/null || bail "openssl req"
"$KC" import --from usb --state state intermediate.csr >/dev/null 2>&1 || bail "import"
runc sign-intermediate
echo 5C7E0A1B2C3D4E5F > usb/dps-verification.code
"$KC" import --from usb --state state dps-verification.code >/dev/null 2>&1 || bail "import code"
runc dps-proof-of-possession
runc revoke-intermediate
check "the ceremonies exported to the media" test -f media/SHA256SUMS

# The subcommand that makes a throwaway key pair.
(cd work && "$KC" verification sign --token keyceremony-demo --pin-file "$T/pin" \
	--state "$T/state" --label root-2026 --issuer "$T/state/root.pem" --code ABCDEF0123 \
	--out pop.pem) >pop.out 2>&1
check "verification sign (throwaway key) worked" test -s work/pop.pem
check "  ... and its private half was written nowhere (state, media, working dir)" \
	$SCAN state media work
done_testing

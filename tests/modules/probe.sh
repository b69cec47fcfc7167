#!/bin/sh
# tests/modules/probe.sh (issue 13): keyceremony token probe --token L
# [--algorithm ALG] [--pin-file F] [--module M] on SoftHSM, tpm2-pkcs11 on
# swtpm, openCryptoki's soft token and p11-kit-proxy in front of SoftHSM:
# a throwaway key made with the ceremony's own generation code, every
# attribute read back, a signature verified by OpenSSL, the key removed;
# the token's objects the same before and after (also as pkcs11-tool sees
# them); mechanisms, sizes, PIN limits, serial and timings reported.
# Refusals before the PIN (an algorithm the token cannot do) and before
# login (a PIN outside the token's limits: openCryptoki's 4..8), a wrong
# PIN that generates nothing; usage errors.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
# The modules' own leaks (tests/lsan.supp) are only seen through their
# frames with the slow unwinder; LD_PRELOAD tests need the link-order check off.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:verify_asan_link_order=0"
export TPM2_PKCS11_LOG_LEVEL=0
cd "$T" || bail "no temp dir"
RUN=""
run() { $RUN "$@"; }
# objs NAME: the token's objects as pkcs11-tool -O lists them (logged in).
objs() {
	run pkcs11-tool --module "$MODULE" --token-label "$TOKEN_LABEL" --login --pin 123456 -O 2>/dev/null |
		grep -E '^(Private Key|Public Key|Data|Certificate|Secret Key) Object|^ *label:' > "$1"
}
# probe_ok NAME ALG: a probe of --algorithm ALG passes, reports what it did,
# and leaves the objects as they were.  ALL=1 probe_ok NAME ALGS...: the
# probe without --algorithm does exactly ALGS.
probe_ok() {
	_n=$1; shift
	objs "$_n.before"
	_a="--algorithm $1"; [ -n "${ALL:-}" ] && _a=""
	_t0=$(_mods_ms)
	# shellcheck disable=SC2086
	run "$KC" token probe --token "$TOKEN_LABEL" $_a --pin-file "$PIN_FILE" --module "$MODULE" > "$_n.out" 2>&1
	_rc=$?
	diag "$_n: token probe exit $_rc in $(( $(_mods_ms) - _t0 )) ms"
	check "$_n: token probe exits 0" test "$_rc" = 0 || sed 's/^/#   | /' "$_n.out"
	check "$_n: reports serial, PIN limits, mechanisms with sizes" sh -c \
		"grep -q '^  serial: ' '$_n.out' && grep -Eq '^  PIN length: ' '$_n.out' &&
		 grep -Eq '^  mechanism: *CKM_RSA_PKCS_KEY_PAIR_GEN ([0-9]+\.\.[0-9]+|no|\(sizes not stated\))' '$_n.out'"
	for _alg in "$@"; do
		sed -n "/^probe $_alg:/,/^  removed/p" "$_n.out" > "$_n.$_alg"
		check "$_n $_alg: generated, with a time" grep -Eq '^  generated: *[0-9]+ ms' "$_n.$_alg"
		check "$_n $_alg: a kc-probe- label" grep -Eq "^probe $_alg: key 'kc-probe-[0-9a-f]{16}'\$" "$_n.$_alg"
		check "$_n $_alg: private attributes read back" grep -q \
			'^  private key:  CKA_SENSITIVE TRUE, CKA_ALWAYS_SENSITIVE TRUE, CKA_EXTRACTABLE FALSE, CKA_NEVER_EXTRACTABLE TRUE, CKA_LOCAL TRUE, CKA_TOKEN TRUE, CKA_PRIVATE TRUE$' "$_n.$_alg"
		check "$_n $_alg: sign only" grep -Eq '^ +CKA_SIGN TRUE, CKA_DECRYPT FALSE, CKA_UNWRAP FALSE, CKA_DERIVE FALSE, CKA_MODIFIABLE FALSE, CKA_COPYABLE (FALSE|unknown)$' "$_n.$_alg"
		check "$_n $_alg: public attributes shown" grep -Eq '^  public key: +(CKA_VERIFY (TRUE|FALSE), CKA_ENCRYPT|no public key object)' "$_n.$_alg"
		check "$_n $_alg: signature verified by OpenSSL, with a time" \
			grep -Eq '^  signature: *[0-9]+ ms \(SHA(256|384), [0-9]+ bytes\), verified by OpenSSL with the public key$' "$_n.$_alg"
		check "$_n $_alg: the mechanism and the public key's source shown" sh -c \
			"grep -Eq '^  signed with: *CKM_(ECDSA|SHA(256|384)_RSA_PKCS|RSA_PKCS)$' '$_n.$_alg' &&
			 grep -Eq '^  public from: *the (public key object|private)' '$_n.$_alg'"
		check "$_n $_alg: removed" grep -q '^  removed: *yes$' "$_n.$_alg"
	done
	check "$_n: as many probes as algorithms ($#)" test "$(grep -c '^probe ' "$_n.out")" = "$#"
	check "$_n: objects after the same as before (its own count)" grep -Eq '^objects after: +[0-9]+ \(the same as before\)$' "$_n.out"
	objs "$_n.after"
	check "$_n: pkcs11-tool -O the same before and after" cmp "$_n.before" "$_n.after"
	check "$_n: no kc-probe- object left" sh -c "! grep -q kc-probe- '$_n.after'"
	check "$_n: no FAILED line" sh -c "! grep -q FAILED '$_n.out'"
}

# --- SoftHSM -------------------------------------------------------------
softhsm_setup test
TOKEN_LABEL=test; PIN_FILE=$T/pin
# objects that must survive the probe untouched
p11 --token-label test --login --pin 123456 --keypairgen --key-type EC:prime256v1 --label keep-me --id 0101 >/dev/null 2>&1 \
	|| bail "pkcs11-tool keypairgen"
printf 'data' > data.bin
p11 --token-label test --login --pin 123456 --write-object data.bin --type data --label keep-data >/dev/null 2>&1 \
	|| bail "pkcs11-tool write-object"
probe_ok softhsm-p256 ec-p256
check "softhsm: the objects count them (3 before)" grep -q '^objects before: 3$' softhsm-p256.out
check "softhsm: kind REHEARSAL" grep -q '^  kind: *REHEARSAL (SoftHSM, a software token)$' softhsm-p256.out
check "softhsm: EC flags shown" grep -q '^  mechanism: *CKM_EC_KEY_PAIR_GEN 112..521 \[F_P OID uncompressed\]$' softhsm-p256.out
check "softhsm: PIN limits" grep -q '^  PIN length: *4 to 255 bytes$' softhsm-p256.out
probe_ok softhsm-rsa3072 rsa-3072
ALL=1 probe_ok softhsm-all ec-p384 ec-p256 rsa-3072 rsa-4096
# --site: the ceremony's site profile, its key-template applied exactly.
cat > kt.site <<EOS
keyceremony-site: 1
name: kt
module: $MODULE
token:
  label: test
pin-file: $T/pin
state: kt-state
media: kt-media
key-template:
  public:
    add: {CKA_VERIFY: true, CKA_ENCRYPT: false, CKA_WRAP: false}
EOS
objs kt.before
check "softhsm --site: probe with the site's key-template" \
	"$KC" token probe --site kt.site --algorithm ec-p256
cp "$T/.out" kt.out
check "  ... the template is shown" grep -q "^  template: *the site's key-template: public +CKA_VERIFY=TRUE" kt.out
check "  ... and applied (the public key reads VERIFY TRUE, ENCRYPT/WRAP FALSE)" \
	grep -q '^  public key: *CKA_VERIFY TRUE, CKA_ENCRYPT FALSE, CKA_WRAP FALSE' kt.out
check "  ... without it the module's defaults show (ENCRYPT TRUE on SoftHSM)" \
	grep -q '^  public key: *CKA_VERIFY TRUE, CKA_ENCRYPT TRUE' softhsm-p256.out
objs kt.after
check "  ... objects unchanged" cmp kt.before kt.after
printf 'production: true\n' >> kt.site
check_fails "softhsm --site with production: true refused before the PIN" \
	"site profile kt.site says production: true, but token 'test' is SoftHSM, a software token" \
	"$KC" token probe --site kt.site --algorithm ec-p256 --pin-file "$T/no-such-pin"
check "  ... no state or media made" sh -c "[ ! -e kt-state ] && [ ! -e kt-media ]"
# --json: one JSON document on stdout, the same facts.
"$KC" token probe --token test --algorithm ec-p256 --pin-file "$T/pin" --json > j.json 2> j.err
check "softhsm --json: exit 0, stdout is one JSON document with the probe" python3 - j.json <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["probes"]
assert len(p) == 1 and p[0]["algorithm"] == "ec-p256" and p[0]["ok"] and p[0]["removed"], p
assert p[0]["label"].startswith("kc-probe-") and p[0]["mechanism"] == "CKM_ECDSA"
pr = p[0]["private"]
assert pr["CKA_SENSITIVE"] and pr["CKA_NEVER_EXTRACTABLE"] and pr["CKA_SIGN"], pr
assert not pr["CKA_EXTRACTABLE"] and not pr["CKA_DECRYPT"] and not pr["CKA_UNWRAP"], pr
assert p[0]["public"]["CKA_VERIFY"] is True and p[0]["error"] is None
assert d["objects_same"] and d["ok"] and d["objects_before"] == d["objects_after"] == 3, d
assert d["token"]["rehearsal"] == "SoftHSM" and d["token"]["pin_min"] == 4 and d["token"]["pin_max"] == 255
assert d["offered"] == ["ec-p384", "ec-p256", "rsa-3072", "rsa-4096"] and d["not_offered"] == []
assert d["mechanisms"]["CKM_EC_KEY_PAIR_GEN"]["min"] == 112
EOP
check "  ... the serial is the text report's" sh -c \
	"python3 -c 'import json,sys; print(json.load(open(\"j.json\"))[\"token\"][\"serial\"])' | grep -qx \"\$(sed -n 's/^  serial: *//p' softhsm-p256.out)\""
check "  ... no text report on stdout" sh -c "! grep -q '^probe \|^objects' j.json"
# hostile strings from the module stay valid JSON
shim_setup
env KC_SHIM_MANUFACTURER='Acme "Q" \ '"$(printf '\303\251')" KC_SHIM_MODEL='M</x>' \
	"$KC" token probe --module "$SHIM" --token test --algorithm ec-p256 --pin-file "$T/pin" --json > js.json 2>/dev/null
check "softhsm via the shim --json: quotes, backslashes and non-ASCII bytes stay valid JSON" python3 - js.json <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["token"]["manufacturer"] == 'Acme "Q" \\ \u00c3\u00a9', repr(d["token"]["manufacturer"])
assert d["token"]["model"] == "M</x>" and d["token"]["rehearsal"] is None and d["ok"]
EOP
check "  ... every byte of it ASCII" sh -c "! LC_ALL=C grep -q '[^ -~]' js.json"
# Wrong PIN: refused by the token, nothing generated.
( umask 077; echo 654321 > wrong.pin )
objs w.before
check_fails "softhsm: a wrong PIN is refused" "wrong PIN for token 'test' \(CKR_PIN_INCORRECT\)" \
	"$KC" token probe --token test --algorithm ec-p256 --pin-file wrong.pin
check "  ... nothing generated" sh -c "! grep -q '^probe ' '$T/.out'"
objs w.after
check "  ... objects unchanged" cmp w.before w.after
# PIN lengths outside 4..255: refused before login, nothing sent.
python3 -c "print('1' * 256)" > long.pin; chmod 600 long.pin
( umask 077; echo 123 > short.pin )
check_fails "softhsm: a 256-byte PIN refused before login" \
	"PIN file long.pin: the PIN is 256 bytes but token 'test' accepts 4 to 255; nothing was sent to the token" \
	"$KC" token probe --token test --algorithm ec-p256 --pin-file long.pin
check_fails "softhsm: a 3-byte PIN refused before login" \
	"PIN file short.pin: the PIN is 3 bytes but token 'test' accepts 4 to 255; nothing was sent to the token" \
	"$KC" token probe --token test --algorithm ec-p256 --pin-file short.pin
# Usage.
check_fails "usage: --token is required" "token probe: --token is required" "$KC" token probe --pin-file "$T/pin"
for a in rsa-2048 ec-p521 EC-P256 ""; do
	check_fails "usage: --algorithm '$a' refused" "token probe: --algorithm must be ec-p384, ec-p256, rsa-3072 or rsa-4096" \
		"$KC" token probe --token test --algorithm "$a" --pin-file "$T/pin"
done
check_fails "usage: an unknown option" "token probe: unknown option '--label'" "$KC" token probe --token test --label x
check_fails "usage: an extra argument" "token probe: unexpected argument 'extra'" "$KC" token probe --token test extra
check "usage: --help names every option" sh -c \
	"'$KC' token probe --help | grep -- --token | grep -q . && '$KC' token probe --help | grep -q -- --algorithm &&
	 '$KC' token probe --help | grep -q -- --pin-file && '$KC' token probe --help | grep -q -- --module"
check_fails "an unknown token" "no token labelled 'nope'" "$KC" token probe --token nope --pin-file "$T/pin"

# --- tpm2-pkcs11 on swtpm --------------------------------------------------
tpm2_setup kc-tpm2
objs tpm2.before0
check_fails "tpm2: rsa-4096 refused before the PIN (the PIN file is not even read)" \
	"token 'kc-tpm2': rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024..3072; nothing was sent to the token" \
	"$KC" token probe --token kc-tpm2 --algorithm rsa-4096 --pin-file "$T/no-such-pin"
ALL=1 probe_ok tpm2 ec-p384 ec-p256 rsa-3072
check "tpm2: rsa-3072 signed with CKM_SHA256_RSA_PKCS, EC with CKM_ECDSA" sh -c \
	"grep -q '^  signed with: *CKM_SHA256_RSA_PKCS$' tpm2.rsa-3072 && grep -q '^  signed with: *CKM_ECDSA$' tpm2.ec-p256"
check "tpm2: rsa-4096 not probed" sh -c "! grep -q '^probe rsa-4096' tpm2.out"
check "tpm2: kind REHEARSAL (swtpm)" grep -q '^  kind: *REHEARSAL (tpm2-pkcs11 on a software TPM (swtpm), a software token)$' tpm2.out
check "tpm2: the reason rsa-4096 is not offered" grep -q '^  not offered: *rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024..3072$' tpm2.out
check "tpm2: EC sizes with no CKF_EC_* flag" grep -q '^  mechanism: *CKM_EC_KEY_PAIR_GEN 192..638$' tpm2.out
check "tpm2: PIN limits 0..128" grep -Eq '^  PIN length: *0 to 128 bytes$' tpm2.out
_mods_cleanup

# --- openCryptoki soft token ------------------------------------------------
ock_setup kc-ock
RUN=mods_run
check_fails "ock: ec-p256 refused before the PIN" \
	"token 'kc-ock': ec-p256 not offered: the token has no CKM_EC_KEY_PAIR_GEN; nothing was sent to the token" \
	mods_run "$KC" token probe --token kc-ock --algorithm ec-p256 --pin-file "$T/no-such-pin"
( umask 077; echo 123456789 > ock-long.pin; echo 123 > ock-short.pin )
for f in ock-long ock-short; do
	check_fails "ock: a PIN outside 4..8 ($f) refused before login" \
		"PIN file $f.pin: the PIN is [0-9]+ bytes but token 'kc-ock' accepts 4 to 8; nothing was sent to the token" \
		mods_run "$KC" token probe --token kc-ock --algorithm rsa-3072 --pin-file "$f.pin"
done
mods_run pkcs11-tool --module "$MODULE" -T > ock.T 2>&1
check "ock: no wrong try counted by the token" sh -c "! grep -Eqi 'count low|final try|locked' ock.T"
ALL=1 probe_ok ock rsa-3072 rsa-4096
check "ock: kind REHEARSAL (openCryptoki)" grep -q '^  kind: *REHEARSAL (the openCryptoki soft token, a software token)$' ock.out
check "ock: no SHA256-RSA-PKCS: CKM_RSA_PKCS signs" grep -q '^  mechanism: *CKM_SHA256_RSA_PKCS no$' ock.out
check "ock: PIN limits 4..8" grep -q '^  PIN length: *4 to 8 bytes$' ock.out
# A wrong PIN of a valid length is the token's to refuse (one try spent).
( umask 077; echo 654321 > ock-wrong.pin )
check_fails "ock: a wrong PIN is refused" "wrong PIN for token 'kc-ock'" \
	mods_run "$KC" token probe --token kc-ock --algorithm rsa-3072 --pin-file ock-wrong.pin
check "ock: every module daemon stops" _mods_cleanup

# --- p11-kit-proxy in front of SoftHSM ---------------------------------------
p11kit_setup kc-p11kit
probe_ok p11kit ec-p256
check "all module daemons stop" _mods_cleanup
done_testing

#!/bin/sh
# tests/modules/preflight.sh (issue 13): what the preflight finds on the
# token, before any PIN is asked or a key generated:
#  - the algorithm: an algorithm the token cannot make and sign with
#    (C_GetMechanismInfo sizes, CKF_EC_* flags; tpm2-pkcs11's rsa-4096,
#    openCryptoki's EC) is refused with a one-line reason; what it can do
#    passes;
#  - the key label: a second root ceremony on one token fails at the token
#    check, naming the ceremony file's key-label (not --label): no login,
#    no step record, no new key, nothing written but the aborted transcript;
#  - rehearsal vs production: the software tokens (SoftHSM, openCryptoki's
#    soft token, swtpm) are REHEARSAL; the site profile's production:
#    true|false must agree (a shim module reporting a hardware HSM plays the
#    production token); without production: today's behaviour.
. "${KC_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
# The modules' own leaks (tests/lsan.supp) are only seen through their
# frames with the slow unwinder; LD_PRELOAD tests need the link-order check off.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0:verify_asan_link_order=0"
export TPM2_PKCS11_LOG_LEVEL=0
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "no temp dir"

# site FILE MODULE TOKEN PINFILE STATE [EXTRA-LINE]: a site profile.
site() {
	mkdir -p "media-$5"
	printf 'keyceremony-site: 1\nname: t\nmodule: %s\ntoken:\n  label: %s\npin-file: %s\nstate: %s\nmedia: media-%s\nnetwork: warn\n%s' \
		"$2" "$3" "$4" "$5" "$5" "${6:+$6
}" > "$1"
}
# cer ALG FILE: the shipped root ceremony with another algorithm.
cer() { sed "s/algorithm: ec-p384 /algorithm: $1 /" "$CER/root-ca.yaml" > "$2"; }
# no_key_work STATE: the state's only transcript has no login and no step.
no_key_work() {
	_tr=$(ls "$1"/transcripts/*.log) || return 1
	[ "$(ls "$1"/transcripts | wc -l)" = 1 ] || return 1
	! grep -Eq ' (login|step|step-begin|keygen) ' "$_tr" && grep -q 'result=aborted' "$_tr"
}
# only_transcripts STATE: nothing but the transcripts directory was made.
only_transcripts() { [ "$(ls -A "$1")" = transcripts ]; }
nkeys() { p11 --token-label "$1" --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object'; }

# --- SoftHSM: the key label -------------------------------------------------
softhsm_setup keyceremony-demo
site s1.site "$MODULE" keyceremony-demo "$T/pin" S1
check "first root ceremony on the token" "$KC" run "$CER/root-ca.yaml" --site s1.site --batch
n1=$(nkeys keyceremony-demo)
site s2.site "$MODULE" keyceremony-demo "$T/pin" S2
check_fails "a second root ceremony on the same token fails at the token check" \
	"preflight check 'token' failed: step create-root: key-label 'root-2026' of ceremony file .*root-ca.yaml is already used in token 'keyceremony-demo' \(a (public|private) key\).*choose another key-label in the ceremony file" \
	"$KC" run "$CER/root-ca.yaml" --site s2.site --batch
check "  ... the hint does not name --label" sh -c "! grep -q -- '--label' '$T/.out'"
check "  ... no login, no step: only an aborted transcript of the checks" no_key_work S2
check "  ... nothing else written to the state" only_transcripts S2
check "  ... no new key in the token" test "$(nkeys keyceremony-demo)" = "$n1"
check "  ... its medium untouched" sh -c "[ -z \"\$(ls -A media-S2)\" ]"
# Before the PIN: a wrong PIN in the file never reaches the token.
( umask 077; echo 999999 > wrong.pin )
site s3.site "$MODULE" keyceremony-demo "$T/wrong.pin" S3
check_fails "  ... refused before login: a wrong PIN is not what stops it" \
	"key-label 'root-2026' .* already used" "$KC" run "$CER/root-ca.yaml" --site s3.site --batch
check "  ... no PIN error" sh -c "! grep -Eqi 'wrong PIN|CKR_PIN' '$T/.out'"
# Positive pair: the same ceremony with a fresh key-label passes.
sed 's/root-2026/root-2027/' "$CER/root-ca.yaml" > root-2027.yaml
site s4.site "$MODULE" keyceremony-demo "$T/pin" S4
check "the same ceremony with another key-label runs" "$KC" run root-2027.yaml --site s4.site --batch
check "  ... its preflight says the label is free" sh -c "grep -q \"key-label 'root-2027' is free in the token\" S4/transcripts/*.log"
check "  ... and made a second key" test "$(nkeys keyceremony-demo)" = "$((n1 + 1))"
# A key hidden before login (a private object only): refused after login,
# before GENERATE, naming key-label.
p11 --token-label keyceremony-demo --login --pin 123456 --keypairgen --key-type EC:prime256v1 \
	--label hidden-key --id 4242 >/dev/null 2>&1 || bail "pkcs11-tool keypairgen"
p11 --token-label keyceremony-demo --login --pin 123456 --delete-object --type pubkey --id 4242 >/dev/null 2>&1 \
	|| bail "pkcs11-tool delete pubkey"
sed 's/root-2026/hidden-key/' "$CER/root-ca.yaml" > hidden.yaml
site s5.site "$MODULE" keyceremony-demo "$T/pin" S5
n5=$(nkeys keyceremony-demo)
check_fails "a label only a private object carries: refused after login, before any step" \
	"step create-root: key-label 'hidden-key' of ceremony file .*hidden.yaml is already used in token 'keyceremony-demo'.*key-label in the ceremony file" \
	"$KC" run hidden.yaml --site s5.site --batch
check "  ... recorded, and no step ran" sh -c "grep -q 'check=key-label result=failed' S5/transcripts/*.log && ! grep -Eq ' step(-begin)? ' S5/transcripts/*.log"
check "  ... no new key" test "$(nkeys keyceremony-demo)" = "$n5"

# --- SoftHSM: rehearsal vs production ----------------------------------------
"$KC" token list > list.out 2>&1
check "token list marks SoftHSM REHEARSAL" grep -q '^  REHEARSAL: *SoftHSM, a software token' list.out
check "token list: SoftHSM offers every root algorithm" grep -q '^  ceremony: *ec-p384 ec-p256 rsa-3072 rsa-4096$' list.out
check "token list: SoftHSM's key sizes and EC flags" \
	grep -q '^  key sizes: *EC-keygen 112..521 \[F_P OID uncompressed\], RSA-keygen 512..16384 (bits)$' list.out
site p1.site "$MODULE" keyceremony-demo "$T/pin" P1 "production: true"
sed 's/root-2026/root-p1/' "$CER/root-ca.yaml" > p1.yaml
check_fails "production: true on SoftHSM refused at the token check" \
	"preflight check 'token' failed: the site profile says production: true, but token 'keyceremony-demo' is SoftHSM, a software token" \
	"$KC" run p1.yaml --site p1.site --batch
check "  ... no login, no step" no_key_work P1
site p2.site "$MODULE" keyceremony-demo "$T/pin" P2 "production: false"
check "production: false on SoftHSM runs" "$KC" run p1.yaml --site p2.site --batch
check "  ... recorded as agreeing" sh -c "grep -q 'site profile: production: false, as the token is' P2/transcripts/*.log"
check "  ... and REHEARSAL" sh -c "grep -q 'rehearsal=yes' P2/transcripts/*.log"
for v in yes 1 TRUE "" '~' '[true]' '{a: b}' '"true "'; do
	site px.site "$MODULE" keyceremony-demo "$T/pin" PX "production: $v"
	check_fails "production: '$v' is refused" "px.site:10: 'production' (must be|is empty)" \
		"$KC" run p1.yaml --site px.site --batch
done
check "  ... no state made by a bad site profile" test ! -e PX

# The shim reports a hardware HSM (it forwards to the SoftHSM token).
shim_setup
for m in "Acme HSM Ltd:HSM-9000" "IBM:SW  TPM" "IBM Corp.:SoftTok" "SoftHS M:v2"; do
	sed 's/root-2026/root-shim/' "$CER/root-ca.yaml" > shim.yaml
	site sh.site "$SHIM" keyceremony-demo "$T/pin" SH "production: false"
	rm -rf SH
	check_fails "production: false on '${m%%:*}' '${m#*:}' (not a known software token) refused" \
		"production: false \(a rehearsal\), but token 'keyceremony-demo' \(${m%%:*} ${m#*:}\) is not a known software token" \
		env KC_SHIM_MANUFACTURER="${m%%:*}" KC_SHIM_MODEL="${m#*:}" "$KC" run shim.yaml --site sh.site --batch
	check "  ... no login, no step" no_key_work SH
done
env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 "$KC" token list --module "$SHIM" > shim.list 2>&1
check "token list: no REHEARSAL for the hardware HSM" sh -c "grep -q 'model: *HSM-9000' shim.list && ! grep -q REHEARSAL shim.list"
site sh.site "$SHIM" keyceremony-demo "$T/pin" SH "production: true"
rm -rf SH
check "production: true on the hardware HSM runs" \
	env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 "$KC" run shim.yaml --site sh.site --batch
check "  ... not a rehearsal" sh -c "grep -q 'rehearsal=no' SH/transcripts/*.log && ! grep -q REHEARSAL '$T/.out'"
# Issue 12's LD_PRELOAD refusal for a non-rehearsal token stays.
sed 's/root-2026/root-pre/' "$CER/root-ca.yaml" > pre.yaml
site pre.site "$SHIM" keyceremony-demo "$T/pin" PRE
check_fails "LD_PRELOAD beside the hardware HSM still refused" "LD_PRELOAD is set: foreign code would run beside" \
	env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6 \
	"$KC" run pre.yaml --site pre.site --batch

# --- tpm2-pkcs11 on swtpm: rsa-4096 and the EC flags ---------------------------
tpm2_setup kc-tpm2
"$KC" token list --module "$MODULE" > tpm2.list 2>&1
check "token list (tpm2) marks swtpm REHEARSAL" grep -q '^  REHEARSAL: *tpm2-pkcs11 on a software TPM (swtpm)' tpm2.list
check "token list (tpm2): EC without any CKF_EC_* flag is offered, rsa-4096 is not" \
	grep -q '^  ceremony: *ec-p384 ec-p256 rsa-3072$' tpm2.list
check "token list (tpm2): the reason for rsa-4096" \
	grep -q '^  not offered: *rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024..3072$' tpm2.list
check "token list (tpm2): sizes as the module states them" \
	grep -q '^  key sizes: *EC-keygen 192..638, RSA-keygen 1024..3072 (bits)$' tpm2.list
cer rsa-4096 r4096.yaml
site t1.site "$MODULE" kc-tpm2 "$PIN_FILE" T1
check_fails "tpm2: rsa-4096 refused at the token check with the reason" \
	"preflight check 'token' failed: step create-root: token 'kc-tpm2': rsa-4096 not offered: CKM_RSA_PKCS_KEY_PAIR_GEN sizes 1024..3072" \
	"$KC" run r4096.yaml --site t1.site --batch
check "  ... before the PIN: no login, no step" no_key_work T1
check "  ... nothing but the transcript" only_transcripts T1
check "  ... no object made" sh -c "! pkcs11-tool --module '$MODULE' --token-label kc-tpm2 --login --pin 123456 -O 2>/dev/null | grep -q 'Key Object'"
cer rsa-3072 r3072.yaml
site t2.site "$MODULE" kc-tpm2 "$PIN_FILE" T2
"$KC" run r3072.yaml --site t2.site --batch > t2.out 2>&1
check "tpm2: rsa-3072 passes the token check (positive pair)" \
	sh -c "grep -q 'check check=token result=passed' T2/transcripts/*.log"
diag "tpm2 rsa-3072 ceremony (key generation is m-core's): $(tail -1 t2.out)"
_mods_cleanup

# --- openCryptoki: no EC -------------------------------------------------------
ock_setup kc-ock
mods_run "$KC" token list --module "$MODULE" > ock.list 2>&1
check "token list (ock) marks the soft token REHEARSAL" grep -q '^  REHEARSAL: *the openCryptoki soft token' ock.list
check "token list (ock): RSA only" grep -q '^  ceremony: *rsa-3072 rsa-4096$' ock.list
check "token list (ock): why no EC" grep -q '^  not offered: *ec-p384 not offered: the token has no CKM_EC_KEY_PAIR_GEN$' ock.list
for a in ec-p256 ec-p384; do
	cer "$a" "o-$a.yaml"
	site "o-$a.site" "$MODULE" kc-ock "$PIN_FILE" "O-$a"
	check_fails "ock: $a refused at the token check" \
		"preflight check 'token' failed: step create-root: token 'kc-ock': $a not offered: the token has no CKM_EC_KEY_PAIR_GEN" \
		mods_run "$KC" run "o-$a.yaml" --site "o-$a.site" --batch
	check "  ... no login, no step" no_key_work "O-$a"
done
site o-pt.site "$MODULE" kc-ock "$PIN_FILE" O-PT "production: true"
cer rsa-3072 o-r3072.yaml
check_fails "ock: production: true on the soft token refused" \
	"production: true, but token 'kc-ock' is the openCryptoki soft token" \
	mods_run "$KC" run o-r3072.yaml --site o-pt.site --batch
check "all module daemons stop" _mods_cleanup
done_testing

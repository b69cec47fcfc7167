#!/bin/sh
# Root key backup (issue 17) on the other modules of the test matrix
# (tests/lib-modules.sh): p11-kit-proxy in front of SoftHSM does it all
# (probe, backup create, restore into a second token, a signature that
# verifies under the original root); tpm2-pkcs11 and openCryptoki's soft
# token either pass the probe or are refused cleanly: one line naming what
# the module lacks, exit 1, no object left, and the same for a
# backup-capable key (refused at its read-back, removed). What each module
# does is reported as diag lines (the closing note of issue 17).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
BK="$KC_TOP_BUILDDIR/tests/backup/bkhelper"
[ -x "$BK" ] || bail "tests/backup/bkhelper missing (make check builds it)"
cd "$T" || bail "cd $T"

RUN=""
run() { $RUN "$@"; }
nobj() {
	run pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin "$KC_MODS_USER_PIN" -O 2>/dev/null |
		grep -cE '^(Private Key|Public Key|Secret Key|Certificate) Object|^Data object'
}

# refused_or_ok NAME ALG: the probe on $MODULE / $TOKEN_LABEL, then a
# backup-capable key; a module that cannot is refused cleanly
refused_or_ok() {
	_n=$1 _alg=$2; _before=$(nobj "$TOKEN_LABEL")
	run "$BK" probe "$MODULE" "$TOKEN_LABEL" "$SOPIN_FILE" >"$_n.probe" 2>&1; _st=$?
	diag "$_n: probe: $(tr '\n' ' ' < "$_n.probe")"
	if [ $_st -eq 0 ]; then
		grep -q 'ok=1' "$_n.probe" && ok "$_n: the probe passes" || not_ok "$_n: probe exit 0 without ok=1"
	else
		[ $_st -eq 1 ] && [ "$(grep -c '^bkhelper: ' "$_n.probe")" = 1 ] &&
			ok "$_n: refused by the probe with one reason" || not_ok "$_n: probe exit $_st"
	fi
	[ "$(nobj "$TOKEN_LABEL")" = "$_before" ] && ok "$_n: the probe left no object ($_before)" ||
		not_ok "$_n: the probe left objects ($(nobj "$TOKEN_LABEL"), was $_before)"
	run "$BK" root "$MODULE" "$TOKEN_LABEL" "$PIN_FILE" bk-root "$_alg" "/CN=$_n Backup Root/O=Example" \
		"$T/$_n-root.pem" >"$_n.root" 2>&1; _st=$?
	diag "$_n: backup-capable key: $(tr '\n' ' ' < "$_n.root" | cut -c1-300)"
	if [ $_st -eq 0 ]; then
		ok "$_n: a backup-capable key is made"
		mkdir "$_n-medium" "$_n-shares"
		run "$KC" backup create --module "$MODULE" --token "$TOKEN_LABEL" --label bk-root \
			--out-dir "$_n-medium" --threshold 2 --custodians 2 --share-dir "$_n-shares" \
			--pin-file "$PIN_FILE" --so-pin-file "$SOPIN_FILE" >"$_n.create" 2>&1; _st=$?
		diag "$_n: backup create: $(tr '\n' ' ' < "$_n.create" | cut -c1-300)"
		if [ $_st -eq 0 ]; then ok "$_n: backup create works"
		else
			[ -z "$(ls -A "$_n-medium")" ] && [ -z "$(ls -A "$_n-shares")" ] &&
				ok "$_n: backup create refused, nothing written" || not_ok "$_n: backup create left files"
		fi
	else
		[ $_st -eq 1 ] && grep -q "cannot make a backup-capable key\|cannot make a key for a backup" "$_n.root" &&
			ok "$_n: a backup-capable key is refused, saying why" ||
			not_ok "$_n: bkhelper root exit $_st"
		[ "$(nobj "$TOKEN_LABEL")" = "$_before" ] && ok "$_n: ... and removed ($_before objects)" ||
			not_ok "$_n: objects left ($(nobj "$TOKEN_LABEL"), was $_before)"
	fi
}

# --- p11-kit-proxy in front of SoftHSM: the whole round ------------------------
p11kit_setup r1
RUN=mods_run
softhsm2-util --init-token --free --label r2 --pin 123456 --so-pin 12345678 >/dev/null || bail "init r2"
check "p11kit: the probe passes" run "$BK" probe "$MODULE" r1 "$SOPIN_FILE"
check "p11kit: a backup-capable root" \
	run "$BK" root "$MODULE" r1 "$PIN_FILE" root ec-p384 "/CN=Proxy Backup Root/O=Example" "$T/root.pem"
mkdir medium shares
check "p11kit: backup create" \
	run "$KC" backup create --module "$MODULE" --token r1 --label root --out-dir medium --threshold 2 \
	--custodians 3 --share-dir shares --issuer root.pem --pin-file "$PIN_FILE" --so-pin-file "$SOPIN_FILE"
check "p11kit: restore into r2" \
	run "$KC" backup restore --module "$MODULE" --token r2 --from medium --pin-file "$PIN_FILE" \
	--share-file shares/share-2-of-3.txt --share-file shares/share-3-of-3.txt
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key \
	-subj "/CN=Proxy Restored Intermediate/O=Example" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=keyCertSign" \
	-out inter.csr 2>/dev/null || bail "openssl req"
check "p11kit: the restored key signs an intermediate" \
	run "$KC" intermediate sign --module "$MODULE" --token r2 --pin-file "$PIN_FILE" --state "$T/state" \
	--label root --issuer root.pem --csr inter.csr --days 365 --path-len 0 --yes --out inter.pem
check "p11kit: ... that verifies under the original root" openssl verify -x509_strict -CAfile root.pem inter.pem
[ "$(run pkcs11-tool --module "$MODULE" --token-label r2 --login --pin 123456 -O 2>/dev/null | grep -c '^Secret Key Object')" = 0 ] &&
	ok "p11kit: no wrap key left in r2" || not_ok "p11kit: a wrap key left in r2"

# --- tpm2-pkcs11 and openCryptoki: they pass, or a clean refusal --------------
RUN=""
tpm2_setup kc-tpm2
refused_or_ok tpm2 ec-p256
ock_setup kc-ock
RUN=mods_run
refused_or_ok ock rsa-3072

done_testing

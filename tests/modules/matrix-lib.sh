# tests/modules/matrix-lib.sh: the issue-13 round of commands every module
# test (softhsm.sh, p11kit.sh, tpm2.sh) runs on its module.  Source it
# after tests/lib.sh and tests/lib-modules.sh and a *_setup (MODULE,
# TOKEN_LABEL, PIN_FILE set), in the test's temp dir, with
#   NAME   the module's name in the test descriptions;
#   RUN    "" or mods_run (namespaced modules).
# Every function asserts (check/check_fails) and leaves its files in $T.

mx_run() { $RUN "$@"; }
mx_in_cer() { ( cd "$T/cer" && mx_run "$@" ); }
# mx_p11 ARGS...: pkcs11-tool on the token, logged in.
mx_p11() {
	mx_run pkcs11-tool --module "$MODULE" --token-label "$TOKEN_LABEL" \
		--login --pin "$KC_MODS_USER_PIN" "$@"
}
# mx_objects LABEL: how many objects labelled LABEL the token holds.
mx_objects() {
	mx_p11 -O 2>/dev/null | grep -Ec "^ *label: +$1\$"
}

# mx_token_list: `token list` shows the token (no C_GetSlotList failure).
mx_token_list() {
	check "$NAME: token list" mx_run "$KC" token list --module "$MODULE"
	cp "$T/.out" "$T/$NAME.list"
	check "$NAME: token list shows token $TOKEN_LABEL" \
		grep -Eq "^  label: +$TOKEN_LABEL\$" "$T/$NAME.list"
	check "$NAME: no CKR_CRYPTOKI_NOT_INITIALIZED" \
		sh -c '! grep -q CKR_CRYPTOKI_NOT_INITIALIZED "$1"' - "$T/$NAME.list"
}

# mx_root ALG MECH: root create ALG; it signs with MECH; the root verifies
# (-x509_strict); the private key reads back sensitive, never extractable,
# sign-only through pkcs11-tool -O and through `token keys`.
mx_root() {
	_a=$1; _m=$2; _t0=$(_mods_ms)
	check "$NAME: root create $_a" mx_run "$KC" root create --module "$MODULE" \
		--token "$TOKEN_LABEL" --label "root-$_a" --algorithm "$_a" \
		--subject "/CN=Root $_a/O=Example/C=DE" --days 3650 \
		--out "$T/root-$_a.pem" --pin-file "$PIN_FILE" --state "$T/st-$_a"
	cp "$T/.out" "$T/root-$_a.out"
	diag "$NAME: root create $_a: $(( $(_mods_ms) - _t0 )) ms"
	check "$NAME: root $_a: signed with $_m (shown)" \
		grep -q "key 'root-$_a' in token '$TOKEN_LABEL' signs with $_m;" "$T/root-$_a.out"
	check "$NAME: root $_a: public key source and usage shown" \
		grep -Eq "its public key comes from the public key object \(CKA_VERIFY=(TRUE|FALSE) CKA_ENCRYPT=(TRUE|FALSE) CKA_WRAP=(TRUE|FALSE)\)" "$T/root-$_a.out"
	check "$NAME: root $_a: openssl verify -x509_strict" \
		openssl verify -x509_strict -CAfile "$T/root-$_a.pem" "$T/root-$_a.pem"
	mx_p11 -O --type privkey --label "root-$_a" > "$T/root-$_a.O" 2>&1
	check "$NAME: root $_a: pkcs11-tool -O: sensitive, never extractable" \
		grep -Eq '^ *Access: +sensitive, always sensitive, never extractable, local$' "$T/root-$_a.O"
	check "$NAME: root $_a: pkcs11-tool -O: usage sign only (no decrypt, unwrap, derive)" \
		grep -Eq '^ *Usage: +sign$' "$T/root-$_a.O"
	mx_run "$KC" token keys --module "$MODULE" --token "$TOKEN_LABEL" \
		--pin-file "$PIN_FILE" > "$T/keys-$_a.out" 2>&1
	check "$NAME: root $_a: our read-back: policy ok" sh -c \
		'sed -n "/^key .root-$2.\$/,/^key /p" "$1" | grep -q "policy: *ok (sign only, sensitive, never extractable, local)"' \
		- "$T/keys-$_a.out" "$_a"
	check "$NAME: root $_a: token keys shows the public key's usage flags" sh -c \
		'sed -n "/^key .root-$2.\$/,/^key /p" "$1" | grep -Eq "public key: yes \(CKA_VERIFY=(TRUE|FALSE) CKA_ENCRYPT=(TRUE|FALSE) CKA_WRAP=(TRUE|FALSE); shown, not enforced\)"' \
		- "$T/keys-$_a.out" "$_a"
}

# mx_refused ALG REGEX: root create ALG is refused cleanly (one error line
# matching REGEX, rc != 0), nothing written, no key left.
mx_refused() {
	_a=$1
	check_fails "$NAME: root create $_a refused" "$2" mx_run "$KC" root create \
		--module "$MODULE" --token "$TOKEN_LABEL" --label "root-$_a" \
		--algorithm "$_a" --subject "/CN=Root $_a/O=Example/C=DE" --days 3650 \
		--out "$T/root-$_a.pem" --pin-file "$PIN_FILE" --state "$T/st-$_a"
	check "$NAME: $_a: one error line" test "$(grep -c 'keyceremony: .*\(refus\|fail\|not offered\)' "$T/.out")" -eq 1
	check "$NAME: $_a: no root written" test ! -e "$T/root-$_a.pem"
	check "$NAME: $_a: no key left in the token" test "$(mx_objects "root-$_a")" -eq 0
}

# mx_issue ALG MECH: intermediate sign (openssl CSR), verification sign and
# crl with root ALG; each signed with MECH (shown); the chain verifies
# -x509_strict, the CRL verifies with openssl crl -verify.
mx_issue() {
	_a=$1; _m=$2
	[ -f "$T/inter.csr" ] || openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$T/inter.key" -subj "/CN=Factory 1 CA/O=Example/C=DE" \
		-out "$T/inter.csr" 2>/dev/null || bail "openssl req"
	_t0=$(_mods_ms)
	check "$NAME: intermediate sign with root $_a" mx_run "$KC" intermediate sign \
		--module "$MODULE" --token "$TOKEN_LABEL" --label "root-$_a" \
		--issuer "$T/root-$_a.pem" --csr "$T/inter.csr" --days 365 \
		--out "$T/inter-$_a.pem" --yes --pin-file "$PIN_FILE" --state "$T/st-$_a"
	cp "$T/.out" "$T/inter-$_a.out"
	diag "$NAME: intermediate sign $_a: $(( $(_mods_ms) - _t0 )) ms"
	check "$NAME: intermediate $_a: signed with $_m (shown)" grep -q "signs with $_m;" "$T/inter-$_a.out"
	check "$NAME: intermediate $_a: chain verifies -x509_strict" \
		openssl verify -x509_strict -CAfile "$T/root-$_a.pem" "$T/inter-$_a.pem"
	check "$NAME: verification sign with root $_a" mx_run "$KC" verification sign \
		--module "$MODULE" --token "$TOKEN_LABEL" --label "root-$_a" \
		--issuer "$T/root-$_a.pem" --code "A1B2C3$NAME" --out "$T/verif-$_a.pem" \
		--pin-file "$PIN_FILE" --state "$T/st-$_a"
	cp "$T/.out" "$T/verif-$_a.out"
	check "$NAME: verification $_a: signed with $_m (shown)" grep -q "signs with $_m;" "$T/verif-$_a.out"
	check "$NAME: verification $_a: verifies -x509_strict" \
		openssl verify -x509_strict -CAfile "$T/root-$_a.pem" "$T/verif-$_a.pem"
	check "$NAME: crl with root $_a (revoking the intermediate)" mx_run "$KC" crl \
		--module "$MODULE" --token "$TOKEN_LABEL" --label "root-$_a" \
		--issuer "$T/root-$_a.pem" --revoke "$T/inter-$_a.pem" --reason superseded \
		--out "$T/root-$_a.crl" --pin-file "$PIN_FILE" --state "$T/st-$_a"
	cp "$T/.out" "$T/crl-$_a.out"
	check "$NAME: crl $_a: signed with $_m (shown)" grep -q "signs with $_m;" "$T/crl-$_a.out"
	check "$NAME: crl $_a: openssl crl -verify" sh -c \
		'openssl crl -in "$1" -CAfile "$2" -verify -noout 2>&1 | grep -q "verify OK"' \
		- "$T/root-$_a.crl" "$T/root-$_a.pem"
	check "$NAME: crl $_a: lists the intermediate" sh -c \
		'openssl crl -in "$1" -noout -text | grep -qi "$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)"' \
		- "$T/root-$_a.crl" "$T/inter-$_a.pem"
}

# mx_ceremony ALG MECH: keyceremony run ceremony/root-ca.yaml --batch
# (algorithm ALG) in $T/cer; the root and its first CRL verify; the
# transcript records which mechanism signed and where the public key came
# from.
mx_ceremony() {
	_a=$1; _m=$2
	mkdir -p "$T/cer/media"
	sed "s/^\(    algorithm: \)ec-p384 /\1$_a /" "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" \
		> "$T/cer/root-ca.yaml"
	check "$NAME: ceremony file uses $_a" grep -q "algorithm: $_a " "$T/cer/root-ca.yaml"
	_t0=$(_mods_ms)
	check "$NAME: run root-ca.yaml --batch ($_a)" mx_in_cer "$KC" run root-ca.yaml \
		--batch --module "$MODULE" --token "$TOKEN_LABEL" --pin-file "$PIN_FILE" \
		--state S --media media
	diag "$NAME: run root-ca.yaml ($_a): $(( $(_mods_ms) - _t0 )) ms"
	check "$NAME: ceremony root verifies -x509_strict" \
		openssl verify -x509_strict -CAfile "$T/cer/S/root.pem" "$T/cer/S/root.pem"
	check "$NAME: ceremony CRL verifies" sh -c \
		'openssl crl -in "$1" -CAfile "$2" -verify -noout 2>&1 | grep -q "verify OK"' \
		- "$T/cer/S/root-0001.crl" "$T/cer/S/root.pem"
	_tr=$(ls "$T"/cer/S/transcripts/root-ca-*.log 2>/dev/null | head -1)
	check "$NAME: transcript: both signing steps record mechanism=$_m" \
		test "$(grep -c " step=.*mechanism=$_m public-key=\"the public key object (CKA_VERIFY=" "$_tr")" -eq 2
	check "$NAME: transcript verifies" "$KC" transcript verify "$_tr"
	mx_p11 -O --type privkey --label root-2026 > "$T/cer.O" 2>&1
	check "$NAME: ceremony key: pkcs11-tool -O: sensitive, never extractable, sign only" sh -c \
		'grep -Eq "^ *Access: +sensitive, always sensitive, never extractable, local$" "$1" &&
		 grep -Eq "^ *Usage: +sign$" "$1"' - "$T/cer.O"
}

#!/bin/sh
# Hostile CSRs (tests/hostile/csr/MANIFEST) through the real commands:
# `factorysign sign` and `keyceremony intermediate sign` (root key in
# SoftHSM). Each refused input: exit status 1 (not 0, not a crash), a
# one-line message naming the file and matching the expected reason, no
# output file. Accepted inputs (PEM with CRLF, without a final newline,
# the legacy nRF91 encoding): the certificate is written and verifies.
# Plus a 100 MB file, made here (sparse), never committed.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
H=$KC_TOP_SRCDIR/tests/hostile/csr
fs_setup
softhsm_setup test
S="$T/state"
"$KC" root create --token test --pin-file "$T/pin" --state "$S" --label root \
	--algorithm ec-p384 --subject "/CN=Hostile Test Root/O=Example" \
	--days 3650 --out "$T/kcroot.pem" >"$T/root.out" 2>&1 \
	|| { cat "$T/root.out"; bail "keyceremony root create failed"; }
truncate -s 100M "$T/huge-100M.csr" || bail "truncate"
printf 'huge-100M.csr\trefuse\ttoo large\n' > "$T/extra"

# refused PROG DIR FILE REGEX OUTCHECK CMD...: exit 1, message, nothing out.
refused() {
	_prog=$1 _dir=$2 _f=$3 _re=$4 _out=$5; shift 5
	"$@" >"$T/.o" 2>&1
	_rc=$?
	_msg=$(grep -E "^$_prog: " "$T/.o" | tail -1)
	_reason=$(printf '%s' "$_msg" | sed "s|$_dir/$_f||g; s|$_f||g")
	if [ "$_rc" -ne 1 ]; then
		not_ok "$_prog refuses $_f (exit $_rc, want 1)"; sed 's/^/#   /' "$T/.o"
	elif ! printf '%s' "$_msg" | grep -qF "$_f"; then
		not_ok "$_prog refuses $_f (message does not name the file)"; sed 's/^/#   /' "$T/.o"
	elif ! printf '%s' "$_reason" | grep -Eq -- "$_re"; then
		not_ok "$_prog refuses $_f (message does not match /$_re/)"; sed 's/^/#   /' "$T/.o"
	elif ! $_out; then
		not_ok "$_prog refuses $_f (an output was written)"
	else
		ok "$_prog refuses $_f: ${_reason#"$_prog": }"
	fi
}

n=0
cat "$H/MANIFEST" "$T/extra" | while IFS='	' read -r f outcome re; do
	case $f in '#'*|'') continue ;; esac
	n=$((n + 1))
	dir=$H; [ "$f" = huge-100M.csr ] && dir=$T
	out=$T/fs-out/$n; mkdir -p "$out"
	kcout=$T/kc-out/$n.pem; mkdir -p "$T/kc-out"
	case $outcome in
	accept)
		check "factorysign accepts $f" "$FS" sign --dir "$T/D" --csr "$dir/$f" \
			--reissue --out-dir "$out" --pass-file "$PASS"
		# the same CSR in another encoding is a rerun (issue 14 item
		# 10): its certificate stays where the ledger has it
		live=$(sqlite3 "$T/D/ledger.sqlite" "SELECT cert_path FROM certs WHERE \
			device_id = 'hostile-dev-01' AND status = 'issued'")
		check "  ... and the chain verifies" openssl verify -x509_strict \
			-purpose sslclient -CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
			"$live"
		# one register each: the accepted CSRs share one subject
		check "keyceremony intermediate sign accepts $f" "$KC" intermediate sign \
			--token test --pin-file "$T/pin" --state "$S-$f" --label root \
			--issuer "$T/kcroot.pem" --csr "$dir/$f" --days 30 --yes --out "$kcout"
		check "  ... and it verifies" openssl verify -x509_strict \
			-CAfile "$T/kcroot.pem" "$kcout"
		;;
	refuse|refuse-cmd)
		refused factorysign "$dir" "$f" "$re" "nothing_in $out" \
			"$FS" sign --dir "$T/D" --csr "$dir/$f" --reissue --out-dir "$out" \
			--pass-file "$PASS"
		refused keyceremony "$dir" "$f" "$re" "test ! -e $kcout" \
			"$KC" intermediate sign --token test --pin-file "$T/pin" --state "$S" \
			--label root --issuer "$T/kcroot.pem" --csr "$dir/$f" --days 30 \
			--yes --out "$kcout"
		;;
	*) not_ok "MANIFEST: unknown outcome '$outcome' for $f" ;;
	esac
	# The TAP counter lives in this subshell: hand it to the parent.
	echo "$_tap_n $_tap_fail" > "$T/.count"
done
read -r _tap_n _tap_fail < "$T/.count"
check "no leftover temporary files in the factory outputs" \
	sh -c "! find '$T/fs-out' '$T/kc-out' -name '.*' -type f | grep -q ."
done_testing

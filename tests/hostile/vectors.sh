#!/bin/sh
# An independent hostile corpus through every X.509 intake: the x509/
# files of pyca/cryptography's test vectors (Debian's package
# python3-cryptography-vectors, made by others for other parsers), listed
# and re-signed by tests/hostile/vectors.py (see there for which files and
# why the re-signed variants).
#
#   CSRs          factorysign sign, factorysign batch (all in one),
#                 keyceremony intermediate sign (root key in SoftHSM)
#   certificates  factorysign install --cert, install --root,
#                 factorysign crl --revoke CERT
#   CRLs          factorysign crl --root-crl
#
# Every run: exit 0 with an output that openssl (and GnuTLS certtool)
# verify, or a non-zero exit (not a signal) with exactly one line on
# standard error that names the file; on a refusal no output file, the
# factory directory (files and ledger rows) or keyceremony's state
# unchanged. Sanitizer reports would be extra lines.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
VEC=${KC_VECTORS_DIR:-/usr/lib/python3/dist-packages/cryptography_vectors/x509}
[ -d "$VEC/requests" ] && [ -d "$VEC/custom" ] ||
	bail "$VEC missing: apt-get install python3-cryptography-vectors (scripts/install-deps installs it)"
fs_setup
# this test opens the factory a few hundred times: a key that unlocks in
# a millisecond (the parameters are read from the key file)
( umask 077; cp "$PASS" "$T/.pass-out"
  openssl pkcs8 -topk8 -in "$T/D/intermediate.key" -passin "file:$PASS" \
	-scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1 -v2 aes-256-cbc \
	-passout "file:$T/.pass-out" -out "$T/k1" 2>/dev/null &&
  mv "$T/k1" "$T/D/intermediate.key" &&
  openssl pkey -in "$T/D/intermediate.key" -passin "file:$PASS" \
	-out "$T/inter.key" ) || bail "re-encrypting the factory key"
# one device in the ledger already, as in a factory
mkcsr seed-01
"$FS" sign --dir "$T/D" --csr "$T/csr/seed-01.csr" --out-dir "$T/out" \
	--pass-file "$PASS" >/dev/null || bail "factorysign sign seed-01"
mv "$T/D" "$T/D0"
softhsm_setup test
"$KC" root create --token test --pin-file "$T/pin" --state "$T/S0" \
	--label root --algorithm ec-p384 --subject "/CN=Vectors Test Root/O=Example" \
	--days 3650 --out "$T/kcroot.pem" >"$T/root.out" 2>&1 ||
	{ cat "$T/root.out"; bail "keyceremony root create failed"; }
mkdir -p "$T/vec" "$T/o"
python3 "$KC_TOP_SRCDIR/tests/hostile/vectors.py" "$VEC" "$T/vec" \
	"$T/root.key" "$T/root.pem" "$T/inter.key" "$T/D0/intermediate.pem" \
	>"$T/vec.out" 2>&1 || { cat "$T/vec.out"; bail "vectors.py failed"; }
diag "corpus: $(cat "$T/vec.out")"

# snap DIR: what a refusal must leave as it was: every file there (the
# ledger's database and any -wal with it; SQLite's -shm aside), its size
# and modification time (a file written again is a change too)
snap() { find "$1" -type f ! -name '*-shm' -printf '%P %s %T@\n' | LC_ALL=C sort; }
# cpu WHAT: the CPU time so far, for the log (this shell's user and
# system time, then its children's)
cpu() { times > "$T/.times"; diag "CPU time after $1: $(tr '\n' ' ' < "$T/.times")"; }
# fresh NAME FROM: $T/NAME, a copy of $T/FROM (times kept: the same snap)
fresh() { rm -rf "${T:?}/$1"; cp -a "$T/$2" "$T/$1"; }

# run OUT ERR CMD...: runs CMD, RC its exit status
run() { _o=$1 _e=$2; shift 2; "$@" >"$_o" 2>"$_e"; RC=$?; }

# refusal FILE ERR: RC is a refusal's status and ERR one line naming
# FILE (prints why not on stdout and returns 1); the line in MSG
refusal() {
	_n=0 MSG=
	while IFS= read -r _l || [ -n "$_l" ]; do
		_n=$((_n + 1)); [ $_n -eq 1 ] && MSG=$_l
		case $_l in *Sanitizer*|*"runtime error:"*)
			echo "a sanitizer report"; return 1 ;; esac
		_l=
	done < "$2"
	if [ "$RC" -ge 126 ]; then echo "exit $RC (a signal or no exec)"; return 1; fi
	if [ "$_n" -ne 1 ]; then echo "$_n lines on stderr"; return 1; fi
	case $MSG in *"$1"*) ;; *) echo "the message does not name the file"; return 1 ;; esac
	return 0
}

# count CLASS CMD VERDICT: the figures per class and command, for the log
count() { echo "$1 $2 $3" >> "$T/counts"; }

# judge WHAT FILE ERR CHANGED OUTDIR ACCEPTCHECK...: one test point
# for one run (RC set): refused -> refusal(), OUTDIR empty, CHANGED (a
# snapshot comparison) false; accepted -> ACCEPTCHECK passes.
judge() {
	_w=$1 _f=$2 _e=$3 _ch=$4 _od=$5; shift 5
	if [ "$RC" -eq 0 ]; then
		if grep -Eq 'Sanitizer|runtime error:' "$_e"; then
			not_ok "$_w: accepted, with a sanitizer report"; sed 's/^/#   /' "$_e"
		elif "$@" >"$T/.chk" 2>&1; then
			ok "$_w: accepted, and it verifies"
		else
			not_ok "$_w: accepted, but the result does not verify"
			sed 's/^/#   /' "$T/.chk" "$_e"
		fi
		return 0
	fi
	if ! refusal "$_f" "$_e" > "$T/.why"; then
		not_ok "$_w: refused badly: $(cat "$T/.why")"; sed 's/^/#   /' "$_e"
	elif [ -n "$_od" ] && [ -n "$(ls -A "$_od" 2>/dev/null)" ]; then
		not_ok "$_w: refused, but left $(ls -A "$_od" | head -3 | tr '\n' ' ')"
	elif [ "$_ch" = yes ]; then
		not_ok "$_w: refused, but the factory or state changed"
	else
		_m=${MSG#*"$_f"}
		ok "$_w: refused:$_m"
	fi
}

# what an accepted input must give
# sign_ok OUT: one device certificate in OUT, verifying to the root with
# openssl and certtool, and its row in the ledger of Ds (beside seed-01's)
sign_ok() {
	set -- "$1" "$(ls "$1"/*.cert.pem)"
	[ "$(printf '%s\n' "$2" | wc -l)" -eq 1 ] || { echo "not one certificate: $2"; return 1; }
	openssl verify -x509_strict -purpose sslclient -CAfile "$T/root.pem" \
		-untrusted "$T/inter.pem" "$2" || return 1
	certtool --verify --load-ca-certificate "$T/root.pem" \
		--infile "${2%.cert.pem}.chain.pem" >/dev/null || return 1
	[ "$(sqlite3 "$T/Ds/ledger.sqlite" "SELECT count(*) FROM certs WHERE kind = 'device'")" -eq 2 ]
}
# cert_ok CA CERT: CERT verifies under CA, with openssl and certtool
cert_ok() {
	openssl verify -x509_strict -CAfile "$1" "$2" &&
		certtool --verify --load-ca-certificate "$1" --infile "$2" >/dev/null
}
# rootcrl_ok OUT: D/root.crl is the root's and OUT's CRL the intermediate's
# (openssl and certtool), and openssl's whole-chain check of a device
# (seed-01, revoked by neither) takes crls.pem
rootcrl_ok() {
	openssl crl -in "$T/Dc/root.crl" -CAfile "$T/root.pem" -noout 2>&1 | grep -q 'verify OK' &&
	openssl crl -in "$1/intermediate.crl" -CAfile "$T/inter.pem" -noout 2>&1 | grep -q 'verify OK' &&
	[ -s "$1/crls.pem" ] &&
	certtool --verify-crl --load-ca-certificate "$T/root.pem" \
		--infile "$T/Dc/root.crl" >/dev/null &&
	openssl verify -crl_check_all -CRLfile "$1/crls.pem" -CAfile "$T/root.pem" \
		-untrusted "$T/inter.pem" "$T/out/seed-01.cert.pem"
}

# ---- CSRs: factorysign sign, keyceremony intermediate sign ----
cpu setup
snap "$T/D0" > "$T/D0.snap"
snap "$T/S0" > "$T/S0.snap"
mkdir -p "$T/batch"
n=0
grep -E '^csr(-rs)?	' "$T/vec/MANIFEST" > "$T/csrs"
while IFS='	' read -r cls name path; do
	n=$((n + 1))
	cp "$path" "$T/batch/$name"
	fresh Ds D0; out=$T/o/sign$n; mkdir -p "$out"
	run "$T/.out" "$T/.err" "$FS" sign --dir "$T/Ds" --csr "$path" \
		--out-dir "$out" --pass-file "$PASS"
	ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Ds" | cmp -s - "$T/D0.snap" && ch=yes
	[ "$RC" -eq 0 ] && count "$cls" sign accepted || { count "$cls" sign refused; echo "$name" >> "$T/sign-refused"; }
	judge "sign $cls $name" "$path" "$T/.err" $ch "$out" \
		sign_ok "$out"

	fresh Sk S0; kout=$T/o/kc$n.pem
	run "$T/.out" "$T/.err" "$KC" intermediate sign --token test \
		--pin-file "$T/pin" --state "$T/Sk" --label root \
		--issuer "$T/kcroot.pem" --csr "$path" --days 30 --yes --out "$kout"
	ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Sk" | cmp -s - "$T/S0.snap" && ch=yes
	[ "$RC" -eq 0 ] && count "$cls" intermediate-sign accepted || count "$cls" intermediate-sign refused
	[ "$RC" -ne 0 ] && [ -e "$kout" ] && ch=yes
	judge "intermediate sign $cls $name" "$path" "$T/.err" $ch "" \
		cert_ok "$T/kcroot.pem" "$kout"
done < "$T/csrs"

cpu "the CSRs one by one"
# ---- the same CSRs in one factorysign batch ----
fresh Db D0; mkdir -p "$T/o/batch"
run "$T/batch.out" "$T/batch.err" "$FS" batch --dir "$T/Db" \
	--csr-dir "$T/batch" --out-dir "$T/o/batch" --pass-file "$PASS"
summary=$(grep -E '^batch .*: [0-9]+ issued, [0-9]+ already issued, [0-9]+ repaired, [0-9]+ failed, [0-9]+ files' "$T/batch.out")
set -- $(printf '%s' "$summary" | sed -E 's/.*: ([0-9]+) issued, ([0-9]+) already issued, ([0-9]+) repaired, ([0-9]+) failed, ([0-9]+) files.*/\1 \2 \3 \4 \5/')
if [ "$RC" -lt 126 ] && [ $# -eq 5 ] && [ $(($1 + $2 + $3 + $4)) -eq "$5" ] &&
   [ "$5" -eq "$n" ]; then
	ok "batch of $n: exit $RC, $summary"
else
	not_ok "batch of $n: exit $RC, summary '$summary'"; sed 's/^/#   /' "$T/batch.out" "$T/batch.err"
fi
issued=${1:-0} failed=${4:-0}
bad=$(grep -Ev "^factorysign: skipped: $T/batch/[^/]+: |^factorysign: [^/]*: requested extensions ignored" "$T/batch.err")
if [ -z "$bad" ]; then
	ok "batch: every line on stderr is a file's refusal or a warning"
else
	not_ok "batch: other lines on stderr"; printf '%s\n' "$bad" | sed 's/^/#   /'
fi
sed -n "s|^factorysign: skipped: $T/batch/\([^/:]*\): .*|\1|p" "$T/batch.err" |
	LC_ALL=C sort > "$T/batch-skipped"
check "batch: one refusal line for each failed file, none twice" sh -c \
	'test "$(wc -l < "$1")" -eq "$2" && test -z "$(uniq -d "$1")"' - "$T/batch-skipped" "$failed"
# a batch refuses what sign refuses, and refuses more only as a second
# CSR for an ID issued earlier in the batch
grep -F 'earlier in this batch' "$T/batch.err" |
	sed -n "s|^factorysign: skipped: $T/batch/\([^/:]*\): .*|\1|p" | LC_ALL=C sort > "$T/batch-dup"
LC_ALL=C sort "$T/sign-refused" > "$T/sign-refused.s"
check "batch refuses exactly what sign refuses (and second CSRs for one ID)" sh -c \
	'LC_ALL=C comm -23 "$1" "$2" | LC_ALL=C comm -23 - "$3" | grep . && exit 1
	 LC_ALL=C comm -13 "$1" "$2" | grep . && exit 1; exit 0' - \
	"$T/batch-skipped" "$T/sign-refused.s" "$T/batch-dup"
check "batch: the ledger holds the $issued issued, each chain verifies" sh -c '
	set -e
	test "$(sqlite3 "$1/Db/ledger.sqlite" "SELECT count(*) FROM certs WHERE kind = '"'device'"'")" -eq $(($2 + 1))
	test "$(ls "$1"/o/batch/*.cert.pem | wc -l)" -eq "$2"
	for c in "$1"/o/batch/*.chain.pem; do
		openssl verify -x509_strict -purpose sslclient -CAfile "$1/root.pem" -untrusted "$1/inter.pem" "$c" >/dev/null
		certtool --verify --load-ca-certificate "$1/root.pem" --infile "$c" >/dev/null
	done
	! find "$1/o/batch" -name ".*" -type f | grep -q .' - "$T" "$issued"

cpu "the batch"
# ---- certificates: install --cert, install --root, crl --revoke ----
fresh Di D0
fresh Dc D0
n=0
grep -E '^cert(-ca|-dev)?	' "$T/vec/MANIFEST" > "$T/certs"
while IFS='	' read -r cls name path; do
	n=$((n + 1))
	if [ "$cls" != cert-dev ]; then
		run "$T/.out" "$T/.err" "$FS" install --dir "$T/Di" --cert "$path" --root "$T/root.pem"
		ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Di" | cmp -s - "$T/D0.snap" && ch=yes
		[ "$RC" -eq 0 ] && count "$cls" install-cert accepted || count "$cls" install-cert refused
		judge "install --cert $cls $name" "$path" "$T/.err" $ch "" \
			cert_ok "$T/root.pem" "$path"
		[ "$RC" -eq 0 ] && fresh Di D0
	fi
	if [ "$cls" = cert ]; then
		run "$T/.out" "$T/.err" "$FS" install --dir "$T/Di" --cert "$T/inter.pem" --root "$path"
		ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Di" | cmp -s - "$T/D0.snap" && ch=yes
		[ "$RC" -eq 0 ] && count "$cls" install-root accepted || count "$cls" install-root refused
		judge "install --root $cls $name" "$path" "$T/.err" $ch "" \
			openssl verify -x509_strict -CAfile "$path" "$T/inter.pem"
		[ "$RC" -eq 0 ] && fresh Di D0
	fi
	if [ "$cls" != cert-ca ]; then
		out=$T/o/crl$n; mkdir -p "$out"
		run "$T/.out" "$T/.err" "$FS" crl --dir "$T/Dc" --pass-file "$PASS" \
			--revoke "$path" --out "$out/intermediate.crl"
		ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Dc" | cmp -s - "$T/D0.snap" && ch=yes
		[ "$RC" -eq 0 ] && count "$cls" crl-revoke accepted || count "$cls" crl-revoke refused
		judge "crl --revoke $cls $name" "$path" "$T/.err" $ch "$out" false
		[ "$RC" -eq 0 ] && fresh Dc D0
	fi
done < "$T/certs"

cpu "the certificates"
# ---- CRLs: crl --root-crl ----
grep -E '^crl(-root)?	' "$T/vec/MANIFEST" > "$T/crls"
while IFS='	' read -r cls name path; do
	n=$((n + 1))
	out=$T/o/crl$n; mkdir -p "$out"
	run "$T/.out" "$T/.err" "$FS" crl --dir "$T/Dc" --pass-file "$PASS" \
		--root-crl "$path" --out "$out/intermediate.crl"
	ch=no; [ "$RC" -ne 0 ] && ! snap "$T/Dc" | cmp -s - "$T/D0.snap" && ch=yes
	[ "$RC" -eq 0 ] && count "$cls" root-crl accepted || count "$cls" root-crl refused
	judge "crl --root-crl $cls $name" "$path" "$T/.err" $ch "$out" \
		rootcrl_ok "$out"
	[ "$RC" -eq 0 ] && fresh Dc D0
done < "$T/crls"

cpu total
# the figures, for the log
sort "$T/counts" | uniq -c | while read -r c cls cmd what; do
	diag "$cls $cmd: $c $what"
done
done_testing

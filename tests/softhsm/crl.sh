#!/bin/sh
# keyceremony crl: CRL v2 signed in SoftHSM, verified by openssl; revoked
# intermediates rejected by openssl verify -crl_check; entries accumulate;
# CRL numbers increase; bad --revoke refused with nothing written.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd $T"
S="$T/state"
common="--token test --pin-file $T/pin --state $S"
"$KC" root create $common --label root --algorithm ec-p384 \
	--subject "/CN=Test Root CA/O=Example" --days 3650 --out root.pem >root.out 2>&1 \
	|| { cat root.out; bail "root create failed"; }
for i in 1 2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout inter$i.key -subj "/CN=Factory $i CA" -out inter$i.csr 2>/dev/null
	"$KC" intermediate sign $common --label root --issuer root.pem \
		--csr inter$i.csr --days 365 --yes --out inter$i.pem >/dev/null 2>&1 \
		|| bail "intermediate $i"
done
crlnum() { openssl crl -in "$1" -noout -crlnumber | sed 's/.*=0x//; s/.*=//'; }
ncrl() { "$KC" register list --state "$S" 2>/dev/null | grep -c ' crl  '; }

check "crl without --revoke (empty list)" \
	"$KC" crl $common --label root --issuer root.pem --out c1.crl
check "openssl crl -verify accepts it" sh -c \
	"openssl crl -in c1.crl -CAfile root.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "it is a v2 CRL with no entries" sh -c \
	"openssl crl -in c1.crl -noout -text | grep -q 'Version 2' && openssl crl -in c1.crl -noout -text | grep -q 'No Revoked Certificates'"
[ "$(crlnum c1.crl)" = "01" ] || [ "$(crlnum c1.crl)" = "1" ] && ok "first CRL number is 1" || not_ok "CRL number $(crlnum c1.crl)"
root_ski=$(openssl x509 -in root.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
check "AKI = the root's SKI" sh -c \
	"openssl crl -in c1.crl -noout -text | grep -A1 'Authority Key Identifier' | tr -d ' ' | grep -q '$root_ski'"
check "thisUpdate and nextUpdate (365 days by default)" sh -c \
	"openssl crl -in c1.crl -noout -nextupdate | grep -q \"\$(date -u -d '+365 days' '+%b %e')\""
check "both intermediates pass -crl_check with it" \
	openssl verify -x509_strict -crl_check -CAfile root.pem -CRLfile c1.crl inter1.pem inter2.pem

"$KC" crl $common --label root --issuer root.pem --revoke inter1.pem \
	--reason keyCompromise --out c2.crl > c2.out 2>&1
check "crl --revoke inter1.pem --reason keyCompromise" grep -q "CRL number 2 written to c2.crl" c2.out
s1=$(openssl x509 -in inter1.pem -noout -serial | cut -d= -f2)
check "the CRL lists inter1's serial with the reason" sh -c \
	"openssl crl -in c2.crl -noout -text | grep -A4 'Serial Number: $s1' | grep -q 'Key Compromise'"
check_fails "openssl verify -crl_check rejects the revoked intermediate" "certificate revoked" \
	openssl verify -x509_strict -crl_check -CAfile root.pem -CRLfile c2.crl inter1.pem
check "the other intermediate still verifies" \
	openssl verify -x509_strict -crl_check -CAfile root.pem -CRLfile c2.crl inter2.pem
check "openssl crl -verify accepts the second CRL" sh -c \
	"openssl crl -in c2.crl -CAfile root.pem -noout -verify 2>&1 | grep -q 'verify OK'"

s2=$(openssl x509 -in inter2.pem -noout -serial | cut -d= -f2)
check "crl --revoke HEXSERIAL --reason superseded" \
	"$KC" crl $common --label root --issuer root.pem --revoke "$s2" --reason superseded --out c3.crl
check "re-issue without --revoke" "$KC" crl $common --label root --issuer root.pem --days 30 --out c4.crl
check "entries accumulate: both serials in the re-issued CRL" sh -c \
	"openssl crl -in c4.crl -noout -text | grep -q 'Serial Number: $s1' && openssl crl -in c4.crl -noout -text | grep -q 'Serial Number: $s2'"
check_fails "inter2 rejected with the re-issued CRL" "certificate revoked" \
	openssl verify -crl_check -CAfile root.pem -CRLfile c4.crl inter2.pem
n1=$(printf '%d' 0x$(crlnum c1.crl)); n2=$(printf '%d' 0x$(crlnum c2.crl))
n3=$(printf '%d' 0x$(crlnum c3.crl)); n4=$(printf '%d' 0x$(crlnum c4.crl))
[ "$n1" -lt "$n2" ] && [ "$n2" -lt "$n3" ] && [ "$n3" -lt "$n4" ] && [ "$n4" -eq 4 ] \
	&& ok "CRL numbers increase: $n1 $n2 $n3 $n4" || not_ok "CRL numbers $n1 $n2 $n3 $n4"
"$KC" register list --state "$S" > reg.out 2>&1
check "register shows inter1 revoked for keyCompromise" grep -q "reason keyCompromise" reg.out
check "register shows four CRLs" sh -c "[ \$(grep -c 'CRL #' reg.out) -eq 4 ]"

# --- bad input --------------------------------------------------------------
before=$(ncrl)
refused() {
	_n=$1; _re=$2; shift 2
	rm -f bad.crl
	check_fails "$_n" "$_re" "$KC" crl $common --label root --issuer root.pem --out bad.crl "$@"
	[ ! -e bad.crl ] && ok "$_n: no output file" || not_ok "$_n: bad.crl written"
	[ "$(ncrl)" -eq "$before" ] && ok "$_n: no CRL recorded" || not_ok "$_n: register changed"
}
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=Stranger" -days 30 -out stranger.pem 2>/dev/null
refused "--revoke a certificate this root did not issue" "stranger.pem: this certificate was not issued by the root" \
	--revoke stranger.pem
refused "--revoke an unknown serial" "serial 1234abcd is not in the register" --revoke 1234ABCD
refused "--revoke an already revoked certificate" "already revoked" --revoke inter1.pem
refused "--revoke neither a file nor a serial" "no such file, and not a hexadecimal serial" --revoke no-such.pem
refused "--revoke the root itself" "root certificate itself" --revoke root.pem
refused "unknown --reason" "unknown revocation reason 'unspecified'" --revoke inter2.pem --reason unspecified
refused "--reason without --revoke" "--reason goes with --revoke" --reason superseded
refused "--days past the root's end" "latest allowed end" --days 5000
"$KC" root create $common --label other --algorithm ec-p256 \
	--subject "/CN=Other Root" --days 3650 --out other.pem >/dev/null 2>&1 || bail "other root"
refused "wrong --issuer" "other.pem: this certificate's key is not the key 'root'" --issuer other.pem
echo keep > exists.crl
check_fails "output exists" "exists.crl already exists" \
	"$KC" crl $common --label root --issuer root.pem --out exists.crl
check "existing output untouched" grep -qx keep exists.crl
check "a valid CRL after the refusals continues the numbering (5)" sh -c \
	"'$KC' crl $common --label root --issuer root.pem --out c5.crl | grep -q 'CRL number 5 '"
check_fails "register list without a register" "no register at $T/nowhere/register.sqlite" \
	"$KC" register list --state "$T/nowhere"
[ ! -e "$T/nowhere" ] && ok "register list creates nothing" || not_ok "register list created $T/nowhere"
done_testing

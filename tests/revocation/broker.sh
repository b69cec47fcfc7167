#!/bin/sh
# What relying parties enforce (issue 15): a root in SoftHSM (keyceremony),
# two factories under it, the root's CRL by keyceremony crl and the
# intermediates' by factorysign crl. mosquitto 2.0 on 127.0.0.1 with
# crlfile = the root CRL + both intermediate CRLs: a device revoked in its
# intermediate's CRL is refused, the others connect (CONNACK); with the root
# CRL alone every device is refused. Once the root revokes an intermediate,
# openssl verify -crl_check_all and GnuTLS certtool refuse the devices under
# it, mosquitto does not (it checks the leaf's issuer's CRL only:
# docs/revocation.md), until the factory revokes them in its own CRL.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/revocation/setup.sh"
softhsm_setup test
cd "$T" || bail "cd $T"
( umask 077; printf 'correct horse battery\n' > "$PASS" )
kc="--token test --pin-file $T/pin --state $T/state"
"$KC" root create $kc --label root --algorithm ec-p256 --subject "/CN=Broker Test Root/O=Example" \
	--days 3650 --out root.pem > root.out 2>&1 || { cat root.out; bail "root create"; }
for n in 1 2; do
	"$FS" init --dir "D$n" --subject "/CN=Factory $n/O=Example" --algorithm ec-p256 \
		--pass-file "$PASS" >/dev/null || bail "init D$n"
	"$KC" intermediate sign $kc --label root --issuer root.pem --csr "D$n/intermediate.csr" \
		--days 730 --yes --out "inter$n.pem" >/dev/null 2>&1 || bail "intermediate $n"
	"$FS" install --dir "D$n" --cert "inter$n.pem" --root root.pem >/dev/null || bail "install D$n"
	fs_fast_key "$T/D$n"
	mkdir "pub$n"
done
printf 'good-1\nstolen-1\n' > ids1; printf 'd2-dev\n' > ids2
"$FS" issue --dir D1 --ids ids1 --plain-keys --out-dir out1 --pass-file "$PASS" >/dev/null || bail "issue D1"
"$FS" issue --dir D2 --ids ids2 --plain-keys --out-dir out2 --pass-file "$PASS" >/dev/null || bail "issue D2"
mkdir rootpub
"$KC" crl $kc --label root --issuer root.pem --out rootpub/root-1.crl >/dev/null 2>&1 || bail "root CRL 1"

check "factorysign crl D1 --revoke stolen-1 with the root's CRL" sh -c \
	"'$FS' crl --dir D1 --pass-file '$PASS' --revoke stolen-1 --reason keyCompromise --root-crl rootpub/root-1.crl --out pub1/intermediate.crl > f1.out"
check "factorysign crl D2 (empty)" sh -c \
	"'$FS' crl --dir D2 --pass-file '$PASS' --root-crl rootpub/root-1.crl --out pub2/intermediate.crl > f2.out"
cat pub1/crls.pem pub2/intermediate.crl > all.pem
vfy() { _n=$1; shift; openssl verify -crl_check_all -CAfile root.pem -untrusted "inter$_n.pem" -CRLfile "$@"; }
check "openssl -crl_check_all: good-1 valid with D1's crls.pem" vfy 1 pub1/crls.pem out1/good-1.cert.pem
check_fails "openssl -crl_check_all: stolen-1 revoked" "certificate revoked" vfy 1 pub1/crls.pem out1/stolen-1.cert.pem
check "openssl -crl_check_all: d2-dev valid with D2's crls.pem" vfy 2 pub2/crls.pem out2/d2-dev.cert.pem
check "GnuTLS: good-1 valid" certtool --verify --load-ca-certificate root.pem --load-crl pub1/crls.pem --infile out1/good-1.chain.pem
check_fails "GnuTLS: stolen-1 revoked" "revoked" \
	certtool --verify --load-ca-certificate root.pem --load-crl pub1/crls.pem --infile out1/stolen-1.chain.pem

broker_start "$T/root.pem" "$T/all.pem"
mqtt_pub good-1 out1; rc=$?
check "mosquitto (root + both intermediate CRLs): good-1 connects (CONNACK 0)" sh -c \
	"[ $rc -eq 0 ] && grep -q 'received CONNACK (0)' pub-good-1.out"
mqtt_pub stolen-1 out1; rc=$?
check "mosquitto: stolen-1 refused" sh -c "[ $rc -ne 0 ] && ! grep -q 'received CONNACK' pub-stolen-1.out"
check "  ... by the TLS verification" grep -q "certificate verify failed" m.log
mqtt_pub d2-dev out2
check "mosquitto: d2-dev (the other factory) connects" grep -q 'received CONNACK (0)' pub-d2-dev.out
broker_stop

broker_start "$T/root.pem" "$T/rootpub/root-1.crl"
mqtt_pub good-1 out1; rc=$?
check "mosquitto with the root CRL alone: even good-1 is refused (no CRL for its issuer)" sh -c \
	"[ $rc -ne 0 ] && ! grep -q 'received CONNACK' pub-good-1.out"
broker_stop

# --- the root revokes intermediate 2 -------------------------------------------
"$KC" crl $kc --label root --issuer root.pem --revoke inter2.pem --reason keyCompromise \
	--out rootpub/root-2.crl >/dev/null 2>&1 || bail "root CRL 2"
"$FS" crl --dir D2 --pass-file "$PASS" --root-crl rootpub/root-2.crl --out pub2/intermediate.crl > f3.out 2> f3.err
check "factorysign crl D2 with the root CRL that revokes it: warned" \
	grep -q "the root's CRL number 2 revokes this intermediate" f3.err
check_fails "openssl -crl_check_all: d2-dev under the revoked intermediate refused" "certificate revoked" \
	vfy 2 pub2/crls.pem out2/d2-dev.cert.pem
check_fails "GnuTLS: d2-dev under the revoked intermediate refused" "revoked" \
	certtool --verify --load-ca-certificate root.pem --load-crl pub2/crls.pem --infile out2/d2-dev.chain.pem
"$FS" crl --dir D1 --pass-file "$PASS" --root-crl rootpub/root-2.crl --out pub1/intermediate.crl >/dev/null 2>&1 || bail "D1 CRL"
check "openssl -crl_check_all: good-1 (intermediate 1) still valid" vfy 1 pub1/crls.pem out1/good-1.cert.pem
cat pub1/crls.pem pub2/intermediate.crl > all.pem
broker_start "$T/root.pem" "$T/all.pem"
mqtt_pub d2-dev out2
check "mosquitto does NOT enforce the root's revocation: d2-dev still connects" \
	grep -q 'received CONNACK (0)' pub-d2-dev.out
broker_stop
"$FS" crl --dir D2 --pass-file "$PASS" --revoke d2-dev --reason cessationOfOperation \
	--out pub2/intermediate.crl > f4.out 2>&1 || { cat f4.out; bail "D2 revokes"; }
cat pub1/crls.pem pub2/intermediate.crl > all.pem
broker_start "$T/root.pem" "$T/all.pem"
mqtt_pub d2-dev out2; rc=$?
check "  ... until D2 revokes its devices in its own CRL: refused" sh -c \
	"[ $rc -ne 0 ] && ! grep -q 'received CONNACK' pub-d2-dev.out"
mqtt_pub good-1 out1
check "  ... good-1 connects still" grep -q 'received CONNACK (0)' pub-good-1.out
broker_stop
check "  ... and D2's revocation-actions.txt disables d2-dev at Azure" grep -qx \
	"az iot hub device-identity update --hub-name <HUB-NAME> --device-id d2-dev --status disabled" pub2/*revocation-actions.txt
done_testing

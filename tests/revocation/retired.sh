#!/bin/sh
# factorysign crl --intermediate SERIAL: the CRL of an intermediate a rekey
# retired to D/previous/SERIAL/ (its devices are still in the field), signed
# with its retired key (its own passphrase). Its devices only (a device of
# the other intermediate refused naming the one that issued it, both ways),
# CRL numbers per issuer in the ledger and on disk (a higher one on disk
# respected for the retired one), archives named per intermediate
# (D/crl/intermediate-SERIAL-N.crl: the new intermediate's first CRL no
# longer collides with the old one's), crls.pem = the root's CRL + this
# CRL + every other valid intermediate's newest (what a broker's crlfile
# needs), the revocation actions beside each CRL. Checked with openssl
# verify -crl_check (the leaf's issuer only, as mosquitto) and
# -crl_check_all, and GnuTLS certtool --verify, over both chains.
# factorysign status: each intermediate's last CRL (number, nextUpdate,
# --crl-warn-days) and the pending rows. Hostile: an unknown or malformed
# serial, D/previous/SERIAL a symbolic link, a retired directory with its
# key or certificate missing or garbled, the wrong passphrase, --out the
# other intermediate's CRL: one line, nothing written, ledger unchanged;
# the active intermediate's serial as --intermediate works as the default.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/revocation/setup.sh"
fs_setup	# $T/root.pem (+ root.key), D with its intermediate inter.pem
cp inter.pem old.pem
ser() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
dser() { ser "out/$1.cert.pem"; }
OLD=$(ser old.pem)
PASS_OLD=$PASS
PASS_NEW=$T/pass2
( umask 077; printf 'another passphrase\n' > "$PASS_NEW" )
printf 'dev-a\ndev-b\ndev-c\n' > ids
"$FS" issue --dir D --ids ids --plain-keys --out-dir out --pass-file "$PASS_OLD" >/dev/null || bail "issue old"
mkdir pub
root_crl root1.crl
"$FS" crl --dir D --pass-file "$PASS_OLD" --root-crl root1.crl --out pub/old.crl >/dev/null 2>&1 || bail "first CRL"
check "before the rekey: the CRL archived under the intermediate's serial" \
	cmp pub/old.crl "D/crl/intermediate-$OLD-1.crl"

# --- the rekey: the new key under its own passphrase --------------------------
"$FS" init --dir D --rekey --subject "/CN=Factory Test 2/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS_NEW" >/dev/null || bail "rekey"
PASS=$PASS_NEW fs_fast_key D/rekey
openssl x509 -req -in D/rekey/intermediate.csr -CA root.pem -CAkey root.key \
	-CAcreateserial -days 1000 -extfile ca.cnf -extensions inter -out new.pem \
	>/dev/null 2>&1 || bail "sign new"
"$FS" install --dir D --cert new.pem --root root.pem >/dev/null || bail "install new"
NEW=$(ser new.pem)
check "the old key retired to D/previous/$OLD" test -f "D/previous/$OLD/intermediate.key"
printf 'dev-n1\ndev-n2\n' > ids2
"$FS" issue --dir D --ids ids2 --plain-keys --out-dir out --pass-file "$PASS_NEW" >/dev/null || bail "issue new"

cur() { "$FS" crl --dir D --pass-file "$PASS_NEW" "$@"; }
old() { "$FS" crl --dir D --intermediate "$OLD" --pass-file "$PASS_OLD" "$@"; }
ncrl() { grep -c 'BEGIN X509 CRL' "$1"; }
num() { openssl crl -in "$1" -noout -crlnumber | sed 's/.*=//'; }
# leaf's issuer CRL only (as mosquitto), then every link
v1() { openssl verify -crl_check -CAfile root.pem -untrusted "$1" -CRLfile pub/crls.pem "out/$2.cert.pem"; }
va() { openssl verify -crl_check_all -CAfile root.pem -untrusted "$1" -CRLfile pub/crls.pem "out/$2.cert.pem"; }
gnu() { certtool --verify --load-ca-certificate root.pem --load-crl pub/crls.pem --infile "out/$1.chain.pem"; }
lc() { ledger_counts D; }
per_issuer() {	# "SKI:max ..." of the ledger's CRLs, by issuer
	python3 - D/ledger.sqlite <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(" ".join("%s:%d" % r for r in db.execute("select issuer, max(number) from crls group by issuer order by issuer")))
EOF
}
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f; }

# --- the active intermediate's first CRL: its own number 1, its own name ------
cur --out pub/intermediate.crl > n1.out 2> n1.err
check "the new intermediate's first CRL: number 1 (numbers per issuer)" grep -q "^pub/intermediate.crl: CRL number 1, 0 revoked" n1.out
check "  ... archived as intermediate-$NEW-1.crl beside the old one's (no collision)" sh -c \
	"cmp pub/intermediate.crl D/crl/intermediate-$NEW-1.crl && test -f D/crl/intermediate-$OLD-1.crl"
check "  ... crls.pem: the root's CRL, this CRL, the retired intermediate's newest" sh -c \
	"[ \$(grep -c 'BEGIN X509 CRL' pub/crls.pem) -eq 3 ] && openssl crl -in pub/crls.pem -noout -issuer | grep -q 'Test Root'"
awk '/BEGIN X509 CRL/{n++} {print > ("part" n ".pem")}' pub/crls.pem
check "  ... in that order: the new intermediate's, then the old one's" sh -c \
	"cmp -s part2.pem pub/intermediate.crl && cmp -s part3.pem pub/old.crl"
check "  ... no warning" test ! -s n1.err

# --- the retired intermediate's CRL: revoke one of its devices ----------------
old --revoke dev-b --reason keyCompromise --out pub/old.crl > o1.out 2> o1.err
check "--intermediate $OLD --revoke dev-b: its CRL number 2, 1 revoked" grep -q "^pub/old.crl: CRL number 2, 1 revoked" o1.out
check "  ... says which intermediate signed" grep -q "signed by intermediate $OLD" o1.out
check "  ... no warning" test ! -s o1.err
check "  ... signed by the retired intermediate" sh -c \
	"openssl crl -in pub/old.crl -CAfile old.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "  ... its issuer and AKI are the old intermediate's" sh -c \
	"openssl crl -in pub/old.crl -noout -text > o1.txt && grep -q 'Issuer: CN *= *Factory Test, O' o1.txt && \
	 grep -A1 'Authority Key Identifier' o1.txt | tr -d ' :' | tr A-F a-f | grep -q $(ski old.pem)"
check "  ... lists dev-b with keyCompromise" sh -c \
	"grep -A5 'Serial Number: $(dser dev-b | tr a-f A-F)' o1.txt | grep -q 'Key Compromise'"
check "  ... archived as intermediate-$OLD-2.crl" cmp pub/old.crl "D/crl/intermediate-$OLD-2.crl"
per_issuer | tr ' ' '\n' > pi.txt
check "  ... the ledger: CRL numbers per issuer (old 2, new 1)" sh -c \
	"grep -qx '$(ski old.pem):2' pi.txt && grep -qx '$(ski new.pem):1' pi.txt"
check "  ... crls.pem: root, the old intermediate's CRL 2, the new one's CRL 1" sh -c \
	"[ \$(grep -c 'BEGIN X509 CRL' pub/crls.pem) -eq 3 ] && openssl crl -in pub/crls.pem -noout -crlnumber | head -1 | grep -q 01"
rm -f part*.pem
awk '/BEGIN X509 CRL/{n++} {print > ("part" n ".pem")}' pub/crls.pem
check "  ... in that order" sh -c "cmp -s part2.pem pub/old.crl && cmp -s part3.pem pub/intermediate.crl"
check "  ... the active intermediate's CRL untouched" cmp pub/intermediate.crl "D/crl/intermediate-$NEW-1.crl"
A=pub/old.revocation-actions.txt
check "  ... revocation actions beside it, for that CRL" sh -c \
	"grep -qx '# CRL file: old.crl' $A && grep -qx '# CRL number: 2' $A && grep -q 'dev-b' $A"
check "  ... naming the retired intermediate as the issuer" grep -q 'Factory Test' "$A"
check "  ... and not the new one" sh -c "! grep -q 'Factory Test 2' $A"
check "  ... no actions file for the active intermediate's CRL" test ! -e pub/intermediate.revocation-actions.txt

# both chains, leaf's issuer CRL only (mosquitto's check) and every link
check "openssl -crl_check: dev-a (old chain) valid" v1 old.pem dev-a
check_fails "openssl -crl_check: dev-b (old chain) revoked" "certificate revoked" v1 old.pem dev-b
check "openssl -crl_check: dev-n1 (new chain) valid" v1 new.pem dev-n1
check "openssl -crl_check_all: dev-c (old chain) valid" va old.pem dev-c
check_fails "openssl -crl_check_all: dev-b revoked" "certificate revoked" va old.pem dev-b
check "openssl -crl_check_all: dev-n2 (new chain) valid" va new.pem dev-n2
check "GnuTLS certtool --verify: dev-a valid" gnu dev-a
check_fails "GnuTLS certtool --verify: dev-b revoked" "revoked" gnu dev-b
check "GnuTLS certtool --verify: dev-n1 valid" gnu dev-n1
check_fails "control: without the old intermediate's CRL, openssl -crl_check refuses its devices" \
	"unable to get certificate CRL" openssl verify -crl_check -CAfile root.pem -untrusted old.pem \
	-CRLfile pub/intermediate.crl out/dev-a.cert.pem

# --- the active serial as --intermediate: the default -------------------------
cur --intermediate "$NEW" --revoke dev-n2 --out pub/intermediate.crl > n2.out 2> n2.err
check "--intermediate $NEW (the active one): number 2 of the new intermediate" \
	grep -q "^pub/intermediate.crl: CRL number 2, 1 revoked" n2.out
check "  ... signed by the new intermediate" sh -c \
	"openssl crl -in pub/intermediate.crl -CAfile new.pem -noout -verify 2>&1 | grep -q 'verify OK'"
check "  ... 0x and upper case accepted as the serial" sh -c \
	"'$FS' crl --dir D --intermediate 0x$(echo "$NEW" | tr a-f A-F) --pass-file '$PASS_NEW' --out pub/intermediate.crl | grep -q 'CRL number 3'"
check_fails "  ... openssl -crl_check refuses dev-n2" "certificate revoked" v1 new.pem dev-n2
check "  ... dev-a still valid (the old CRL kept in crls.pem)" v1 old.pem dev-a

# --- refusals: one line, nothing written, the ledger unchanged -----------------
refused() {	# DESCRIPTION PATTERN CMD...
	_rd=$1 _rp=$2; shift 2
	snapshot D pub > "$T/snap.before"; _l=$(lc)
	check_fails "$_rd" "^factorysign: $_rp" "$@"
	check "  ... one line" test "$(wc -l < "$T/.out")" -eq 1
	snapshot D pub > "$T/snap.after"
	check "  ... nothing written, the ledger unchanged" sh -c \
		"cmp -s '$T/snap.before' '$T/snap.after' && [ \"\$1\" = '$_l' ]" sh "$(lc)"
}
refused "a device of the active intermediate given to the retired one's CRL" \
	"--revoke dev-n1: serial $(dser dev-n1) was issued by intermediate $NEW \\(the active one\\), not by intermediate $OLD whose CRL this is.*--intermediate $NEW" \
	old --revoke dev-n1 --out pub/old.crl
refused "a device of the retired intermediate given to the active one's CRL" \
	"--revoke dev-a: serial $(dser dev-a) was issued by intermediate $OLD \\(retired, .*D/previous/$OLD/intermediate.pem\\), not by intermediate $NEW.*--intermediate $OLD" \
	cur --revoke dev-a --out pub/intermediate.crl
refused "  ... by its certificate file too" \
	"--revoke out/dev-c.cert.pem: was issued by intermediate $OLD \\(retired" \
	cur --revoke out/dev-c.cert.pem --out pub/intermediate.crl
refused "  ... by serial too" \
	"--revoke $(dser dev-c): serial $(dser dev-c) was issued by intermediate $OLD" \
	cur --revoke "$(dser dev-c)" --out pub/intermediate.crl
refused "an unknown serial" \
	"--intermediate deadbeef: no intermediate with this serial in D \\(the active one is $NEW; retired in D/previous: $OLD\\)" \
	"$FS" crl --dir D --intermediate deadbeef --pass-file "$PASS_OLD" --out pub/x.crl
refused "not a serial" "--intermediate ../x: not a serial" \
	"$FS" crl --dir D --intermediate ../x --pass-file "$PASS_OLD" --out pub/x.crl
refused "the retired key's CRL over the active one's file" \
	"pub/intermediate.crl exists and is not a CRL of the intermediate in D \\(serial $OLD; .*a name of its own" \
	old --out pub/intermediate.crl
refused "the wrong passphrase for the retired key" \
	"D/previous/$OLD/intermediate.key: wrong passphrase" \
	"$FS" crl --dir D --intermediate "$OLD" --pass-file "$PASS_NEW" --out pub/old.crl

mv "D/previous/$OLD" "$T/olddir"
ln -s "$T/olddir" "D/previous/$OLD"
refused "D/previous/$OLD a symbolic link" "--intermediate $OLD: D/previous/$OLD is a symbolic link; refusing to follow it" \
	old --out pub/old.crl
rm "D/previous/$OLD"
mv "$T/olddir" "D/previous/$OLD"
mv D/previous "$T/prevdir"
ln -s "$T/prevdir" D/previous
refused "D/previous itself a symbolic link" "--intermediate $OLD: D/previous is a symbolic link; refusing to follow it" \
	old --out pub/old.crl
rm D/previous
mv "$T/prevdir" D/previous

mv "D/previous/$OLD/intermediate.key" k.save
refused "the retired key missing" "--intermediate $OLD: D/previous/$OLD/intermediate.key is missing" \
	old --out pub/old.crl
printf -- '-----BEGIN ENCRYPTED PRIVATE KEY-----\nnot base64 at all\n-----END ENCRYPTED PRIVATE KEY-----\n' > "D/previous/$OLD/intermediate.key"
chmod 600 "D/previous/$OLD/intermediate.key"
refused "the retired key garbled" "D/previous/$OLD/intermediate.key: " old --out pub/old.crl
cp D/intermediate.key "D/previous/$OLD/intermediate.key"
refused "another key in its place (the active one's)" \
	"D/previous/$OLD/intermediate.pem does not belong to D/previous/$OLD/intermediate.key|D/previous/$OLD/intermediate.key: wrong passphrase" \
	old --out pub/old.crl
mv k.save "D/previous/$OLD/intermediate.key"

mv "D/previous/$OLD/intermediate.pem" c.save
refused "the retired certificate missing" "--intermediate $OLD: D/previous/$OLD/intermediate.pem: missing" \
	old --out pub/old.crl
printf 'garbage\n' > "D/previous/$OLD/intermediate.pem"
refused "the retired certificate garbled" "--intermediate $OLD: D/previous/$OLD/intermediate.pem: " \
	old --out pub/old.crl
cp new.pem "D/previous/$OLD/intermediate.pem"
refused "another intermediate's certificate in its place" \
	"--intermediate $OLD: D/previous/$OLD/intermediate.pem is the certificate of serial $NEW, not $OLD" \
	old --out pub/old.crl
mv c.save "D/previous/$OLD/intermediate.pem"
old --out pub/old.crl > o3.out 2>&1 || true
check "restored: the retired intermediate's CRL again (number 3, 1 revoked)" grep -q "CRL number 3, 1 revoked" o3.out

# --- the on-disk check for the retired intermediate ----------------------------
# a CRL of the old intermediate numbered 0x10 beside --out (another
# station's, signed with the same key): the next takes 17
: > oldca.index
echo 10 > oldca.crlnumber
cat > oldca.cnf <<EOF
[ca]
default_ca=c
[c]
database=$T/oldca.index
crlnumber=$T/oldca.crlnumber
default_md=sha256
default_crl_days=5
crl_extensions=crlext
[crlext]
authorityKeyIdentifier=keyid
EOF
openssl ca -gencrl -config oldca.cnf -keyfile "D/previous/$OLD/intermediate.key" -passin "file:$PASS_OLD" \
	-cert old.pem -out pub/other-station.crl >/dev/null 2>&1 || bail "openssl old CRL"
old --revoke dev-b --out pub/old.crl > o4.out 2> o4.err
check "a higher CRL of the retired intermediate on disk (16): the next is 17" grep -q "CRL number 17, 1 revoked" o4.out
check "  ... warned" grep -q "pub/other-station.crl is CRL number 16, above the ledger's last" o4.err
cur --out pub/intermediate.crl > n4.out 2>&1
check "  ... the active intermediate's numbering untouched by it (4)" grep -q "CRL number 4, 1 revoked" n4.out
rm pub/other-station.crl

# --- factorysign status: the CRLs of both intermediates, pending rows ----------
"$FS" status --dir D > s1.out; s1=$?
check "status: exit 0 (7-day CRLs, due within 2 days by default)" test "$s1" -eq 0
nu=$(date -u -d '+7 days' +%Y-%m-%d)
check "  ... the active intermediate's last CRL: number 4, next update in 7 days" \
	grep -Eq "^  ok +CRL +$nu +[67] days  number 4 of the active intermediate $NEW" s1.out
check "  ... the retired intermediate's last CRL: number 17" \
	grep -Eq "^  ok +CRL +$nu +[67] days  number 17 of the retired intermediate $OLD" s1.out
"$FS" status --dir D --crl-warn-days 10 > s2.out; s2=$?
check "status --crl-warn-days 10: exit 1, both CRLs due" sh -c \
	"[ $s2 -eq 1 ] && [ \$(grep -c '^  DUE     CRL' s2.out) -eq 2 ]"
"$FS" status --dir D --json > s3.json
check "status --json: crls with number, next_update, status per intermediate" \
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c={x['intermediate']: x for x in d['crls']}; \
assert c[sys.argv[2]]['number'] == 4 and c[sys.argv[2]]['kind'] == 'intermediate', c; \
assert c[sys.argv[3]]['number'] == 17 and c[sys.argv[3]]['kind'] == 'retired' and c[sys.argv[3]]['status'] == 'ok', c; \
assert d['crl_warn_days'] == 2 and d['devices']['pending'] == 0, d" s3.json "$NEW" "$OLD"
# a line station's row not yet confirmed
python3 -c "import sqlite3; db=sqlite3.connect('D/ledger.sqlite'); db.execute(\"update certs set status='pending' where device_id='dev-n1'\"); db.commit()"
"$FS" status --dir D > s4.out
check "status: a pending row counted as pending, not live" sh -c \
	"grep -q '^  pending devices       1 pending: recorded by a line station' s4.out && grep -q '4 live' s4.out"
check "status --json: devices.pending 1" sh -c \
	"'$FS' status --dir D --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"devices\"][\"pending\"] == 1'"
check_fails "status --crl-warn-days 400: refused" "crl-warn-days|1 to 366|days" "$FS" status --dir D --crl-warn-days 400
# --- renewals: a replaced certificate of the same key; a rekey with no CRL yet
# D2: S1 renewed as S2 (the same key; D2/previous/S1 holds the certificate
# only), then a rekey retires S2 with the key (D2/previous/S2)
"$FS" init --dir D2 --subject "/CN=Factory Two/O=Example" --algorithm ec-p256 \
	--pass-file "$PASS_OLD" >/dev/null || bail "init D2"
fs_fast_key D2
for n in 1 2; do
	openssl x509 -req -in D2/intermediate.csr -CA root.pem -CAkey root.key \
		-CAcreateserial -days 1000 -extfile ca.cnf -extensions inter -out "d2-$n.pem" \
		>/dev/null 2>&1 || bail "sign D2 $n"
	"$FS" install --dir D2 --cert "d2-$n.pem" --root root.pem >/dev/null || bail "install D2 $n"
done
S1=$(ser d2-1.pem) S2=$(ser d2-2.pem)
printf 'two-a\n' > ids3
"$FS" issue --dir D2 --ids ids3 --plain-keys --out-dir out --pass-file "$PASS_OLD" >/dev/null || bail "issue D2"
"$FS" crl --dir D2 --intermediate "$S1" --pass-file "$PASS_OLD" --out pub/d2.crl > r1.out 2> r1.err
check "--intermediate of a certificate replaced by a renewal: the active intermediate's CRL" sh -c \
	"grep -q 'CRL number 1, 0 revoked' r1.out && grep -q 'signed by intermediate $S2' r1.out && \
	 grep -q 'intermediate $S1 was replaced by a renewal of the same key' r1.err"
check "  ... signed by the renewal" sh -c "openssl crl -in pub/d2.crl -CAfile d2-2.pem -noout -verify 2>&1 | grep -q 'verify OK'"
"$FS" init --dir D2 --rekey --subject "/CN=Factory Two B/O=Example" --algorithm ec-p256 \
	--pass-file "$PASS_NEW" >/dev/null || bail "rekey D2"
openssl x509 -req -in D2/rekey/intermediate.csr -CA root.pem -CAkey root.key \
	-CAcreateserial -days 1000 -extfile ca.cnf -extensions inter -out d2-3.pem \
	>/dev/null 2>&1 || bail "sign D2 3"
"$FS" install --dir D2 --cert d2-3.pem --root root.pem >/dev/null || bail "install D2 3"
S3=$(ser d2-3.pem)
"$FS" status --dir D2 > r2.out
check "status: the new intermediate has no CRL yet: named with the command" \
	grep -q "^  -       CRL           none recorded   of the active intermediate $S3: factorysign crl --dir D2 --out" r2.out
check "  ... the retired one's CRL listed once (its renewed copy shares the key)" sh -c \
	"[ \$(grep -c 'of the retired intermediate' r2.out) -eq 1 ] && grep -q 'number 1 of the retired intermediate $S2' r2.out"
"$FS" crl --dir D2 --pass-file "$PASS_NEW" --root-crl root1.crl --out pub/d2b.crl > r3.out 2> r3.err
check "the new intermediate's first CRL: crls.pem also holds the retired one's" sh -c \
	"grep -q 'CRL number 1, 0 revoked' r3.out && [ \$(grep -c 'BEGIN X509 CRL' pub/crls.pem) -eq 3 ] && test ! -s r3.err"
"$FS" crl --dir D2 --intermediate "$S1" --pass-file "$PASS_OLD" --revoke two-a --out pub/d2.crl > r4.out 2> r4.err
check "--intermediate of the renewed-away certificate of a retired key: signed by the one kept with the key" sh -c \
	"grep -q 'CRL number 2, 1 revoked' r4.out && grep -q 'signed by intermediate $S2' r4.out && \
	 grep -q 'intermediate $S1 was renewed as $S2' r4.err"
check "  ... openssl -crl_check: two-a revoked under its chain" sh -c \
	"! openssl verify -crl_check -CAfile root.pem -untrusted d2-1.pem -CRLfile pub/crls.pem out/two-a.cert.pem"
rm -f D/crl/intermediate-*.crl pub/*.crl
"$FS" crl --dir D --pass-file "$PASS_NEW" --root-crl root1.crl --out pub/intermediate.crl > w1.out 2> w1.err
check "the retired intermediate without a CRL on disk: crls.pem warns, naming the command" \
	grep -q "warning: crls.pem holds no CRL of intermediate $OLD .*factorysign crl --dir D --intermediate $OLD --out" w1.err

done_testing

#!/bin/sh
# factorysign crl (issue 15 items 1 and 2, the factory side): the
# intermediate's CRL v2 (AKI, CRL number, nextUpdate <= --days, default 7),
# an empty one when nothing is revoked; devices revoked by ID, serial and
# certificate file, marked in the ledger; entries accumulate; numbers
# monotonic against the ledger and the newest CRL on disk (a higher one
# respected, one revoking what the ledger does not refused); crls.pem =
# root CRL + intermediate CRL, checked with openssl verify -crl_check_all
# and GnuTLS certtool --verify; revocation-actions.txt line by line; a
# corpus of hostile input refused with one line and nothing written.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/revocation/setup.sh"
fs_setup	# $T/root.pem (+ root.key), D with its intermediate inter.pem
printf 'dev-a\ndev-b\ndev-c\ndev-d\ndev-e\n' > ids
"$FS" issue --dir D --ids ids --plain-keys --out-dir out --pass-file "$PASS" >/dev/null || bail issue
mkdir pub
crl() { "$FS" crl --dir D --pass-file "$PASS" "$@"; }
num() { openssl crl -in "$1" -noout -crlnumber | sed 's/.*=//'; }
ser() { openssl x509 -in "out/$1.cert.pem" -noout -serial | cut -d= -f2 | tr A-F a-f; }
vfy() { openssl verify -crl_check_all -CAfile root.pem -untrusted inter.pem -CRLfile pub/crls.pem "$@"; }
gnu() { certtool --verify --load-ca-certificate root.pem --load-crl pub/crls.pem --infile "out/$1.chain.pem"; }

# --- an empty CRL; no root CRL yet: warned, no crls.pem ----------------------
crl --out pub/intermediate.crl > c1.out 2> c1.err
check "an empty CRL" grep -q "^pub/intermediate.crl: CRL number 1, 0 revoked, next update $(date -u -d '+7 days' +%Y-%m-%d)" c1.out
check "  ... no root CRL: warned, crls.pem not written" sh -c \
	"grep -q 'no root CRL (--root-crl or D/root.crl): crls.pem not written' c1.err && [ ! -e pub/crls.pem ]"
check "  ... no revocation-actions.txt for an empty CRL" sh -c "! ls pub/*revocation-actions.txt"
check "  ... openssl: signed by the intermediate" sh -c \
	"openssl crl -in pub/intermediate.crl -CAfile inter.pem -noout -verify 2>&1 | grep -q 'verify OK'"
openssl crl -in pub/intermediate.crl -noout -text > c1.txt
check "  ... v2, issuer the intermediate, no revoked certificates" sh -c \
	"grep -q 'Version 2' c1.txt && grep -q 'Issuer: CN *= *Factory Test, O *= *Example' c1.txt && grep -q 'No Revoked Certificates' c1.txt"
iski=$(openssl x509 -in inter.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
check "  ... AKI = the intermediate's SKI" sh -c "grep -A1 'Authority Key Identifier' c1.txt | tr -d ' ' | grep -q '$iski'"
check "  ... nextUpdate 7 days on" grep -q "Next Update: $(date -u -d '+7 days' '+%b %e')" c1.txt
check "  ... archived in D/crl under the intermediate's serial" cmp pub/intermediate.crl \
	"D/crl/intermediate-$(openssl x509 -in inter.pem -noout -serial | cut -d= -f2 | tr A-F a-f)-1.crl"
check "  ... the ledger has it: 0 revoked, 1 CRL" test "$(ledger_counts D)" = "0 1"

# --- the root's CRL: --root-crl, then D/root.crl ----------------------------
root_crl root1.crl
crl --out pub/intermediate.crl --root-crl root1.crl > c2.out 2> c2.err
check "--root-crl: CRL number 2" grep -q "CRL number 2, 0 revoked" c2.out
check "  ... crls.pem written: root CRL then this CRL" sh -c \
	"grep -q 'pub/crls.pem: the root.s CRL (number 1' c2.out && [ \$(grep -c 'BEGIN X509 CRL' pub/crls.pem) -eq 2 ] && \
	 openssl crl -in pub/crls.pem -noout -issuer | grep -q 'Test Root'"
check "  ... kept as D/root.crl" test -f D/root.crl
check "  ... no warning" test ! -s c2.err
for d in dev-a dev-b dev-c dev-d dev-e; do
	check "openssl -crl_check_all: $d valid with both CRLs" vfy "out/$d.cert.pem"
done
check "GnuTLS certtool --verify: dev-a valid with both CRLs" gnu dev-a
check_fails "openssl -crl_check_all with the intermediate CRL alone fails (no root CRL)" "unable to get certificate CRL" \
	openssl verify -crl_check_all -CAfile root.pem -untrusted inter.pem -CRLfile pub/intermediate.crl out/dev-a.cert.pem

# --- revoke by ID ------------------------------------------------------------
crl --revoke dev-b --reason keyCompromise --out pub/intermediate.crl > c3.out 2> c3.err
check "--revoke dev-b (ID) --reason keyCompromise: number 3, 1 revoked" grep -q "CRL number 3, 1 revoked" c3.out
check "  ... named, with its serial" grep -q "revoked: dev-b (serial $(ser dev-b), keyCompromise)" c3.out
check "  ... D/root.crl used for crls.pem without --root-crl" grep -q "pub/crls.pem: the root.s CRL (number 1" c3.out
check "  ... the CRL lists it with the reason" sh -c \
	"openssl crl -in pub/intermediate.crl -noout -text | grep -A5 'Serial Number: $(ser dev-b | tr a-f A-F)' | grep -q 'Key Compromise'"
check_fails "  ... openssl -crl_check_all refuses dev-b" "certificate revoked" vfy out/dev-b.cert.pem
check "  ... dev-a still passes" vfy out/dev-a.cert.pem
check_fails "  ... GnuTLS refuses dev-b" "revoked" gnu dev-b
check "  ... GnuTLS accepts dev-c" gnu dev-c
check "  ... the ledger: 1 revoked, 3 CRLs" test "$(ledger_counts D)" = "1 3"

# revocation-actions.txt, line by line
# its name is kc_revact_path()'s (kc/core/revactions.h), beside the CRL
A=$(ls pub/*revocation-actions.txt 2>/dev/null | head -1)
check "revocation-actions.txt written beside the CRL" test -f "${A:-none}"
check "  ... printed too" sh -c "sed -n '/what to run at the cloud services after a revocation\$/,\$p' c3.out | cmp - $A"
check "  ... its first line" sh -c "head -1 $A | grep -q '^# .*: what to run at the cloud services after a revocation\$'"
check "  ... the header names the CRL, its number and SHA-256" sh -c \
	"grep -qx '# CRL file: intermediate.crl' $A && grep -qx '# CRL number: 3' $A && \
	 grep -qx \"# CRL SHA-256: \$(sha256sum pub/intermediate.crl | cut -c1-64)\" $A && grep -qx '# Written by: factorysign crl' $A"
check "  ... one device" grep -qx '# Revoked certificates: 1 (0 CA, 1 device, 0 other)' $A
check "  ... the disabled individual enrollment for dev-b's certificate" grep -qx \
	"az iot dps enrollment create --dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> --enrollment-id dev-b --attestation-type x509 --certificate-path $T/out/dev-b.cert.pem --provisioning-status disabled" $A
check "  ... the device disabled in IoT Hub" grep -qx \
	"az iot hub device-identity update --hub-name <HUB-NAME> --device-id dev-b --status disabled" $A
check "  ... the nRF Cloud device to remove" grep -qx \
	'curl -X DELETE -H "Authorization: Bearer $NRF_CLOUD_API_KEY" https://api.nrfcloud.com/v1/devices/dev-b' $A
check "  ... its reason and serial in the notes" sh -c \
	"grep -q '^#   revoked: .*, reason keyCompromise\$' $A && grep -qx '#   serial:     $(ser dev-b)' $A"
check "  ... nothing about the others" sh -c "! grep -E 'dev-(a|c|d|e)' $A"
check "  ... every command line is az or curl" sh -c "! grep -v '^#' $A | grep -v '^\$' | grep -Ev '^(az iot |curl -X DELETE )'"

# --- by serial, by certificate file, an ID in another case -------------------
crl --revoke "$(ser dev-c | tr a-f A-F)" --revoke out/dev-d.cert.pem --revoke DEV-E \
	--reason superseded --out pub/intermediate.crl > c4.out 2> c4.err
check "--revoke SERIAL --revoke CERT --revoke DEV-E: number 4, 4 revoked" grep -q "CRL number 4, 4 revoked" c4.out
for d in dev-c dev-d dev-e; do
	check "  ... $d named, superseded" grep -q "revoked: $d (serial $(ser $d), superseded)" c4.out
	check_fails "  ... openssl refuses $d" "certificate revoked" vfy "out/$d.cert.pem"
done
check_fails "  ... dev-b stays revoked (entries accumulate)" "certificate revoked" vfy out/dev-b.cert.pem
check "  ... dev-a still valid" vfy out/dev-a.cert.pem
check "  ... actions cumulative: 4 devices" grep -qx '# Revoked certificates: 4 (0 CA, 4 device, 0 other)' $A
check "  ... dev-d's enrollment: its certificate file as issued" grep -q -- "--enrollment-id dev-d --attestation-type x509 --certificate-path $T/out/dev-d.cert.pem " $A
crl --revoke dev-b --out pub/intermediate.crl > c5.out 2>&1
check "revoking dev-b again: kept as it was, number 5" sh -c \
	"grep -q 'CRL number 5, 4 revoked' c5.out && grep -q 'dev-b (serial $(ser dev-b), keyCompromise) - already revoked before' c5.out"
crl --out pub/intermediate.crl --days 30 > c6.out 2>&1
check "a rerun without --revoke: number 6, the 4 kept" grep -q "CRL number 6, 4 revoked, next update $(date -u -d '+30 days' +%Y-%m-%d)" c6.out
check "  ... --days 30: nextUpdate 30 days on" sh -c \
	"openssl crl -in pub/intermediate.crl -noout -nextupdate | grep -q \"\$(date -u -d '+30 days' '+%b %e')\""
check "  ... the actions file stays, not printed" sh -c \
	"grep -q 'revocation-actions.txt: the cloud actions for the 4 revoked (printed when --revoke is given)' c6.out && ! grep -q '^az ' c6.out"
check "  ... --json" sh -c "'$FS' crl --dir D --pass-file '$PASS' --out pub/intermediate.crl --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d[\"schema\"] == 1 and d[\"next_update\"].endswith(\" UTC\"), d
assert d[\"number\"] == 7 and d[\"revoked_count\"] == 4 and d[\"root_crl_number\"] == 1, d
assert d[\"crls\"] == \"pub/crls.pem\" and d[\"revoked\"] == [], d'"

# --- a CRL on disk with a higher number is respected -------------------------
# the intermediate's key, decrypted, signs a CRL number 0x20 with openssl
openssl pkey -in D/intermediate.key -passin "file:$PASS" -out inter.key 2>/dev/null || bail "inter key"
mkca() {	# mkca OUT NUMBER [SERIAL...]: a CRL of the intermediate
	_o=$1; _n=$2; shift 2; : > ia.index
	for _s in "$@"; do printf 'R\t301201000000Z\t261130000000Z\t%s\tunknown\t/CN=x\n' "$_s" >> ia.index; done
	echo "$_n" > ia.crlnumber
	sed -e "s|$T/rootca.index|$T/ia.index|; s|$T/rootca.crlnumber|$T/ia.crlnumber|" "$T/rootca.cnf" > ia.cnf
	openssl ca -gencrl -config ia.cnf -keyfile inter.key -cert inter.pem -out "$_o" >/dev/null 2>&1 || bail "mkca"
}
all="$(ser dev-b | tr a-f A-F) $(ser dev-c | tr a-f A-F) $(ser dev-d | tr a-f A-F) $(ser dev-e | tr a-f A-F)"
# shellcheck disable=SC2086
mkca pub/other-station.crl 20 $all
crl --out pub/intermediate.crl > c8.out 2> c8.err
check "a CRL number 0x20 beside --out: the next is 33" grep -q "CRL number 33, 4 revoked" c8.out
check "  ... said so" grep -q "other-station.crl is CRL number 32, above the ledger's last (7)" c8.err
crl --out pub/intermediate.crl > c9.out 2>&1
check "  ... then 34" grep -q "CRL number 34" c9.out
before=$(snapshot pub D/crl; ledger_counts D)
# shellcheck disable=SC2086
mkca D/crl/zz-future.crl 40 $all 0A0B0C
check_fails "a CRL on disk revoking a serial the ledger does not: refused" \
	"zz-future.crl \(CRL number 64\) revokes serial 0a0b0c, but the ledger of D does not: the ledger was rolled back" \
	crl --out pub/intermediate.crl
rm D/crl/zz-future.crl
after=$(snapshot pub D/crl; ledger_counts D)
check "  ... nothing written, ledger unchanged" test "$before" = "$after"

# --- the root CRL is checked too ---------------------------------------------
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key \
	-subj "/CN=Stranger CA" -days 30 -addext "keyUsage=critical,keyCertSign,cRLSign" -out stranger.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=dev-b -out sdev.csr 2>/dev/null
openssl x509 -req -in sdev.csr -CA stranger.pem -CAkey stranger.key -CAcreateserial -days 30 -out stranger-dev-b.pem 2>/dev/null
sed -e "s|$T/rootca.index|$T/s.index|; s|$T/rootca.crlnumber|$T/s.crlnumber|" "$T/rootca.cnf" > s.cnf
: > s.index; echo 05 > s.crlnumber
openssl ca -gencrl -config s.cnf -keyfile stranger.key -cert stranger.pem -out stranger.crl >/dev/null 2>&1 || bail "stranger CRL"
root_crl root0.crl	# number 2; installed by hand as D/root.crl
cp root0.crl D/root.crl
echo 01 > "$T/rootca.crlnumber"; root_crl root-old.crl
echo 03 > "$T/rootca.crlnumber"; root_crl root3.crl
cp D/root.crl root-installed.crl
cp out/dev-a.cert.pem dev-a-copy.pem
printf 'not a certificate\n' > junk.pem
ln -s out/dev-a.cert.pem link.pem
mkfifo fifo.pem
ln -s /etc/passwd pub/link.crl
echo keep > pub/notes.crl

# hostile corpus: each refused with one line, nothing written
python3 - > corpus <<'EOF'
cases = [
    # (name, regex, args...)
    ("unknown device ID", "--revoke dev-z: no live device with this ID and no certificate with this serial in the ledger of D", "--revoke", "dev-z"),
    ("unknown serial", "--revoke 1234abcd: no live device", "--revoke", "1234abcd"),
    ("serial 0", "--revoke 0: no live device", "--revoke", "0"),
    ("empty --revoke", "no live device", "--revoke", ""),
    ("an ID with a space", "no live device", "--revoke", "dev a"),
    ("an ID with an escape", "no live device", "--revoke", "dev-\x1b[31mb"),
    ("an ID with a newline", "no live device", "--revoke", "dev-b\nx"),
    ("an ID with a bidi control", "no live device", "--revoke", "dev-\u202eb"),
    ("a shell word", "no live device", "--revoke", "dev-b;rm"),
    ("an ID of 300 characters", "no live device", "--revoke", "d" * 300),
    ("a serial of 41 hex digits", "no live device", "--revoke", "1" * 41),
    ("a missing file", "nowhere.pem", "--revoke", "nowhere.pem"),
    ("a path that is not there", "no/such", "--revoke", "no/such"),
    ("a file that is not a certificate", "junk.pem", "--revoke", "junk.pem"),
    ("a symbolic link as --revoke", "link.pem.*symbolic link", "--revoke", "link.pem"),
    ("a FIFO as --revoke", "fifo.pem.*FIFO", "--revoke", "fifo.pem"),
    ("a certificate of another CA", "stranger-dev-b.pem: this certificate was not issued by the intermediate in D \\(its issuer is /CN=Stranger CA\\)", "--revoke", "stranger-dev-b.pem"),
    ("the intermediate itself", "inter.pem: that is the intermediate itself", "--revoke", "inter.pem"),
    ("the root", "root.pem: this certificate was not issued by the intermediate", "--revoke", "root.pem"),
    ("one bad among good ones", "dev-z: no live device", "--revoke", "dev-a", "--revoke", "dev-z"),
    ("unknown --reason", "unknown revocation reason 'bogus'", "--revoke", "dev-a", "--reason", "bogus"),
    ("--reason unspecified", "unknown revocation reason 'unspecified'", "--revoke", "dev-a", "--reason", "unspecified"),
    ("--reason cACompromise for a device", "cACompromise is for a CA", "--revoke", "dev-a", "--reason", "cACompromise"),
    ("--reason without --revoke", "--reason goes with --revoke", "--reason", "keyCompromise"),
    ("--days 0", "--days", "--days", "0"),
    ("--days 367", "--days", "--days", "367"),
    ("--days abc", "--days", "--days", "abc"),
    ("--root-crl of another CA", "stranger.crl is not a CRL of the root in D/root.pem", "--root-crl", "stranger.crl"),
    ("--root-crl not a CRL", "junk.pem: not a CRL", "--root-crl", "junk.pem"),
    ("--root-crl a symbolic link", "symbolic link", "--root-crl", "link.pem"),
    ("--root-crl older than D/root.crl", "root-old.crl is the root's CRL number 1, older than D/root.crl \\(number 2\\)", "--root-crl", "root-old.crl"),
    ("--root-crl the intermediate's CRL", "is not a CRL of the root", "--root-crl", "pub/intermediate.crl"),
]
outs = [
    ("--out a symbolic link", "pub/link.crl is a symbolic link; refusing to replace it", "pub/link.crl"),
    ("--out a file that is not a CRL", "pub/notes.crl exists and is not a CRL of the intermediate in D", "pub/notes.crl"),
    ("--out a certificate", "exists and is not a CRL of the intermediate", "dev-a-copy.pem"),
    ("--out the root's CRL", "exists and is not a CRL of the intermediate", "root-installed.crl"),
    ("--out in a missing directory", "nodir: the directory of --out is not writable", "nodir/i.crl"),
    ("--out named crls.pem", "that name is kept for another file", "pub/crls.pem"),
    ("--out named revocation-actions.txt", "that name is kept for another file", "pub/revocation-actions.txt"),
    ("--out named X.revocation-actions.txt", "that name is kept for another file", "pub/i.revocation-actions.txt"),
    ("--out a directory", "pub/sub", "pub/sub"),
    ("--out the ledger", "exists and is not a CRL", "D/ledger.sqlite"),
    ("--out the intermediate's key", "exists and is not a CRL", "D/intermediate.key"),
]
import sys
def emit(name, rx, args):
    sys.stdout.buffer.write(b"\0".join(x.encode() for x in [name, rx] + list(args)) + b"\0\n")
for c in cases:
    emit(c[0], c[1], ["--out", "pub/intermediate.crl"] + list(c[2:]))
for name, rx, out in outs:
    emit(name, rx, ["--revoke", "dev-a", "--out", out])
EOF
mkdir pub/sub
before=$(snapshot pub D out; ledger_counts D)
n=0
python3 - "$FS" "$PASS" corpus <<'EOF' > corpus.tap
import subprocess, sys, re
fs, pw, path = sys.argv[1:4]
for line in open(path, "rb").read().split(b"\0\n"):
    if not line:
        continue
    f = [x.decode() for x in line.split(b"\0")]
    name, rx, args = f[0], f[1], f[2:]
    p = subprocess.run([fs, "crl", "--dir", "D", "--pass-file", pw] + args,
                       capture_output=True)
    err = p.stderr.decode(errors="replace")
    lines = [l for l in err.splitlines() if not l.startswith("usage:") and not l.startswith("  ")]
    ok = (p.returncode != 0 and re.search(rx, err) is not None and p.stdout == b""
          and not any(ord(c) < 32 and c not in "\n" or c in "\x1b\u202e" for c in err))
    one = len([l for l in err.splitlines() if l.startswith("factorysign")]) == 1
    print("%s %s%s" % ("ok" if ok and one else "not ok", name,
          "" if ok and one else " # rc=%d stderr=%r" % (p.returncode, err)))
EOF
while IFS= read -r l; do
	case $l in "ok "*) ok "hostile: ${l#ok }" ;; *) not_ok "hostile: ${l#not ok }" ;; esac
	n=$((n + 1))
done < corpus.tap
check "the corpus ran ($n cases)" test "$n" -ge 40
after=$(snapshot pub D out; ledger_counts D)
check "  ... nothing written anywhere, ledger unchanged" test "$before" = "$after"
check "  ... the planted files untouched" sh -c "grep -qx keep pub/notes.crl && [ -L pub/link.crl ]"
check_fails "a wrong passphrase" "passphrase" sh -c \
	"printf 'wrong\n' > wrong.pass; chmod 600 wrong.pass; '$FS' crl --dir D --pass-file wrong.pass --revoke dev-a --out pub/intermediate.crl"
after2=$(snapshot pub D out; ledger_counts D)
check "  ... nothing written" test "$before" = "$after2"
rm pub/crls.pem; ln -s /etc/passwd pub/crls.pem
check_fails "crls.pem a symbolic link: refused" "pub/crls.pem is a symbolic link; refusing to replace it" crl --out pub/intermediate.crl
rm pub/crls.pem "$A"; ln -s /etc/passwd "$A"
check_fails "revocation-actions.txt a symbolic link: refused" "revocation-actions.txt is a symbolic link" crl --out pub/intermediate.crl
rm "$A"
check "  ... /etc/passwd untouched" sh -c "head -1 /etc/passwd | grep -q '^root:'"

# --- after all that: the next CRL continues, with a newer root CRL -----------
crl --revoke dev-a --out pub/intermediate.crl --root-crl root3.crl > c10.out 2>&1
check "after the refusals: number 35, 5 revoked, root CRL number 3" sh -c \
	"grep -q 'CRL number 35, 5 revoked' c10.out && grep -q 'root.s CRL (number 3' c10.out"
check "  ... D/root.crl replaced by the newer one" cmp D/root.crl root3.crl
check_fails "  ... dev-a refused now" "certificate revoked" vfy out/dev-a.cert.pem
check "  ... the ledger: 5 revoked" test "$(ledger_counts D | cut -d' ' -f1)" = 5
done_testing

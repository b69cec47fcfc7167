#!/bin/sh
# The root's revocation actions (issue 15 item 2): keyceremony crl --revoke
# writes NAME.revocation-actions.txt beside --out NAME.crl and prints it
# (nothing with --quiet, its path and SHA-256 with --json); its lines for
# one and for two revoked intermediates, the thumbprints as openssl
# computes them; a CRL that revokes nothing has none; a subject with shell
# and quoting characters stays in the notes, escaped, and CSR subjects
# with controls or a foreign certificate are refused with nothing written;
# the ceremony's revoke step records its SHA-256 in the transcript and the
# export puts it on the medium, refusing it once it differs by a byte
# from what the CRL and the state directory regenerate.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup test
cd "$T" || bail "cd $T"
S="$T/state"
common="--token test --pin-file $T/pin --state $S"
"$KC" root create $common --label root --algorithm ec-p256 \
	--subject "/CN=Test Root CA/O=Example" --days 3650 --out root.pem >root.out 2>&1 \
	|| { cat root.out; bail "root create failed"; }
# inter2's subject holds what a shell or a line-oriented reader would
# act on, printable all the same (kc_name_check lets it through)
subj2='/CN=Factory 2 $(touch pwned) `id`; rm -rf ~ | "x" '"'y'"' <z>/O=Ex\\ample'
i=0
for s in "/CN=Factory 1 CA/O=Example" "$subj2"; do
	i=$((i + 1))
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout /dev/null -subj "$s" -out inter$i.csr 2>/dev/null || bail "req $i"
	"$KC" intermediate sign $common --label root --issuer root.pem \
		--csr inter$i.csr --days 365 --yes --out inter$i.pem >sign$i.out 2>&1 \
		|| { cat sign$i.out; bail "intermediate $i"; }
done
fp() { openssl x509 -in "$1" -noout -fingerprint -"$2" | sed 's/.*=//; s/://g'; }
ser() { openssl x509 -in "$1" -noout -serial | sed 's/.*=//' | tr A-F a-f; }

check "a CRL that revokes nothing" "$KC" crl $common --label root --issuer root.pem --out c1.crl
check "  ... has no revocation actions" test ! -e c1.revocation-actions.txt

"$KC" crl $common --label root --issuer root.pem --revoke inter1.pem \
	--reason keyCompromise --out c2.crl >c2.out 2>c2.err
check "crl --revoke inter1.pem" grep -q "CRL number 2 written to c2.crl" c2.out
A=c2.revocation-actions.txt
check "c2.revocation-actions.txt beside c2.crl" test -f $A
check "  ... mode 0644" test "$(stat -c %a $A)" = 644
check "  ... printed whole after the summary" sh -c \
	"sed -n '/^revocation actions written to c2.revocation-actions.txt (SHA-256 /,\$p' c2.out | tail -n +3 | cmp -s - $A"
sha=$(sha256sum c2.crl | cut -c1-64)
python3 - "$A" "$sha" "$(ser inter1.pem)" "$(fp inter1.pem sha256)" "$(fp inter1.pem sha1)" <<'PY' > lines1.out 2>&1
import sys
path, crlsha, serial, s256, s1 = sys.argv[1:]
L = open(path, encoding='utf-8').read().split('\n')
assert L[-1] == '', 'ends with a line end'
L = L[:-1]
want_head = [
 "# Revocation actions: what to run at the cloud services after a revocation",
 "# Azure DPS, Azure IoT Hub and nRF Cloud do not read CRLs: a certificate",
 "# revoked in the CRL below is still accepted there until these steps are done.",
 "# Source: Microsoft, \"How to disenroll or revoke a device from Azure IoT Hub",
 "# Device Provisioning Service\": https://learn.microsoft.com/en-us/azure/iot-dps/how-to-revoke-device-access-portal",
]
assert L[:5] == want_head, L[:5]
i = L.index("# Written by: keyceremony crl")
assert L[i+1].startswith("# Written at: ") and L[i+1].endswith(" UTC (the CRL's thisUpdate)"), L[i+1]
assert L[i+2:i+8] == ["# CRL file: c2.crl", "# CRL number: 2", "# CRL SHA-256: " + crlsha,
 "# CRL issuer: /CN=Test Root CA/O=Example",
 "# Revoked certificates: 1 (1 CA, 0 device, 0 other)", ""], L[i+2:i+8]
j = i + 8
assert L[j] == "## 1 of 1: CA (intermediate) certificate " + serial, L[j]
assert L[j+1] == "#   subject:    /CN=Factory 1 CA/O=Example", L[j+1]
assert L[j+2] == "#   issuer:     /CN=Test Root CA/O=Example"
assert L[j+3] == "#   serial:     " + serial
assert L[j+4].startswith("#   not after:  ")
assert L[j+5].startswith("#   revoked:    ") and L[j+5].endswith(", reason keyCompromise"), L[j+5]
assert L[j+6] == "#   SHA-256 thumbprint: " + s256, L[j+6]
assert L[j+7] == "#   SHA-1 thumbprint:   " + s1 + ' (what az shows as "thumbprint")', L[j+7]
cmds = [l for l in L if l and not l.startswith('#')]
assert cmds == [
 "az iot dps enrollment-group update --dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> --enrollment-id <ENROLLMENT-GROUP-ID> --provisioning-status disabled",
 "az iot dps certificate list --dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP>",
 "az iot dps certificate delete --dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> --certificate-name <CA-CERTIFICATE-NAME> --etag <ETAG>",
 "az iot dps enrollment-group registration list --dps-name <DPS-NAME> --resource-group <RESOURCE-GROUP> --group-id <ENROLLMENT-GROUP-ID>",
 "az iot hub device-identity update --hub-name <HUB-NAME> --device-id <DEVICE-ID> --status disabled",
 "az iot hub certificate delete --hub-name <HUB-NAME> --resource-group <RESOURCE-GROUP> --name <CA-CERTIFICATE-NAME> --etag <ETAG>",
], cmds
assert L[-1] == "# end of the revocation actions of c2.crl", L[-1]
for n, l in enumerate(L, 1):
    assert all(c == ' ' or (c.isprintable() and ord(c) < 0x7f) for c in l), (n, l)
PY
check "one intermediate: the file line by line" sh -c "[ \$? -eq 0 ] || true; test ! -s lines1.out"
[ -s lines1.out ] && sed 's/^/#   /' lines1.out
cp $A c2.saved

"$KC" crl $common --label root --issuer root.pem --revoke inter2.pem \
	--reason superseded --out c3.crl >c3.out 2>c3.err
check "crl --revoke inter2.pem (the second)" grep -q "CRL number 3 written to c3.crl" c3.out
B=c3.revocation-actions.txt
check "c2's revocation actions are left as they were" cmp -s $A c2.saved
python3 - "$B" "$(sha256sum c3.crl | cut -c1-64)" "$(ser inter1.pem)" "$(ser inter2.pem)" \
	"$(fp inter2.pem sha256)" "$(fp inter2.pem sha1)" <<'PY' > lines2.out 2>&1
import sys
path, crlsha, s1, s2, f256, f1 = sys.argv[1:]
t = open(path, encoding='utf-8').read()
L = t.split('\n')[:-1]
assert "# CRL number: 3" in L and "# CRL SHA-256: " + crlsha in L
assert "# Revoked certificates: 2 (2 CA, 0 device, 0 other)" in L
# in the CRL's order (by serial), both with their reasons
heads = [l for l in L if l.startswith('## ')]
want = sorted([(int(s1, 16), s1, 'keyCompromise'), (int(s2, 16), s2, 'superseded')])
# serials compared as numbers: openssl's and the file's spelling of a serial
# with a leading zero nibble differ
assert [h.rsplit(' ', 1)[0] for h in heads] == \
    ["## %d of 2: CA (intermediate) certificate" % (k + 1) for k in range(2)] and \
    [int(h.rsplit(' ', 1)[1], 16) for h in heads] == [w[0] for w in want], heads
for k, w in enumerate(want):
    j = L.index(heads[k])
    assert L[j+5].endswith(', reason ' + w[2]), L[j+5]
j = L.index([h for h in heads if int(h.rsplit(' ', 1)[1], 16) == int(s2, 16)][0])
# the hostile subject: one note line, escaped backslash, nothing else
assert L[j+1] == '#   subject:    /CN=Factory 2 $(touch pwned) `id`; rm -rf ~ | "x" \'y\' <z>/O=Ex\\\\\\\\ample', L[j+1]
assert L[j+6] == "#   SHA-256 thumbprint: " + f256 and L[j+7].startswith("#   SHA-1 thumbprint:   " + f1)
cmds = [l for l in L if l and not l.startswith('#')]
assert len(cmds) == 12 and all(c.startswith('az iot ') for c in cmds), cmds
for c in cmds:
    assert not any(x in c for x in '$`;|\'\\()~'), c
assert sum(1 for l in L if 'pwned' in l) == 1
PY
check "two intermediates: both, in order, the hostile subject a note" test ! -s lines2.out
[ -s lines2.out ] && sed 's/^/#   /' lines2.out
check "  ... and no command ran" test ! -e pwned

# --quiet and --json
check "re-issue --quiet" "$KC" crl $common --label root --issuer root.pem --quiet --out c4.crl
check "  ... prints nothing" sh -c "'$KC' crl $common --label root --issuer root.pem --quiet --out c5.crl 2>&1 | wc -c | grep -qx 0"
check "  ... writes the revocation actions" test -s c5.revocation-actions.txt
"$KC" crl $common --label root --issuer root.pem --json --out c6.crl >c6.json 2>c6.err
check "--json names the revocation actions by path and SHA-256" python3 -c "
import json, hashlib, sys
d = json.load(open('c6.json'))
ra = d['revocation_actions']
assert ra['path'] == 'c6.revocation-actions.txt', ra
assert ra['sha256'] == hashlib.sha256(open(ra['path'], 'rb').read()).hexdigest()
assert d['number'] == 6 and d['revoked'] == 2 and d['crl'] == 'c6.crl'
"
mkdir e
check "--json of a CRL without actions: null" sh -c \
	"'$KC' crl --token test --pin-file '$T/pin' --state '$T/s2' --label root --issuer root.pem --json --out e/e.crl | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"revocation_actions\"] is None'"

# hostile input refused, nothing written
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=Stranger" -days 30 -out stranger.pem 2>/dev/null
check_fails "--revoke a certificate the root did not issue" "not issued by the root" \
	"$KC" crl $common --label root --issuer root.pem --revoke stranger.pem --out bad.crl
check "  ... no CRL, no revocation actions" sh -c "test ! -e bad.crl && test ! -e bad.revocation-actions.txt"
python3 - <<'PY'
import subprocess
bad = ["/CN=a\nb", "/CN=a\rb", "/CN=a\x1b[2Jb", "/CN=a\u202eb", "/CN=a\u0085b", "/CN=a\x7fb", "/CN=a\u200bb"]
for k, s in enumerate(bad):
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "/dev/null", "-utf8", "-subj", s, "-out", "hostile%d.csr" % k],
        check=True, stderr=subprocess.DEVNULL)
PY
for k in 0 1 2 3 4 5 6; do
	check_fails "CSR subject with a control ($k): refused" "subject|control|character|U\\+" \
		"$KC" intermediate sign $common --label root --issuer root.pem \
		--csr hostile$k.csr --days 365 --yes --out hostile$k.pem
	check "  ... nothing signed ($k)" test ! -e hostile$k.pem
done

# --- the ceremony: revoke step, transcript, export --------------------------
mkdir cer && cd cer || bail "cd cer"
cp "$T/pin" pin
softhsm2-util --init-token --free --label keyceremony-demo --pin 123456 --so-pin 12345678 >/dev/null \
	|| bail "init token"
demo_site demo.site
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
runc() {
	"$KC" run "$1" --site demo.site --batch --role officer=Olga \
		--role witness=Wim > run.out 2>&1
}
runc "$CER/root-ca.yaml" || bail "root-ca: $(cat run.out)"
check "root-ca (CRL 1 revokes nothing): no revocation actions" sh -c "! ls state/*.revocation-actions.txt 2>/dev/null"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout /dev/null \
	-subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" \
	-out state/intermediate.csr 2>/dev/null || bail "openssl req"
runc "$CER/sign-intermediate.yaml" || bail "sign-intermediate: $(cat run.out)"
check "revoke-intermediate.yaml runs" runc "$CER/revoke-intermediate.yaml"
R=state/root-0002.revocation-actions.txt
check "the revoke step wrote $R" test -s $R
check "  ... for the intermediate" grep -q "^## 1 of 1: CA (intermediate) certificate $(ser state/intermediate.pem)\$" $R
check "  ... the export put it on the medium" cmp -s $R media/root-0002.revocation-actions.txt
check "  ... listed in SHA256SUMS" sh -c "cd media && grep -q ' root-0002.revocation-actions.txt\$' SHA256SUMS && sha256sum -c --strict SHA256SUMS >/dev/null"
rsha=$(sha256sum $R | cut -c1-64)
check "the transcript's revoke step records its SHA-256" \
	grep -q "root-0002.revocation-actions.txt:$rsha" state/transcripts/revoke-intermediate-*.log
check "  ... and the transcript verifies" sh -c \
	"'$KC' transcript verify state/transcripts/revoke-intermediate-*.log >/dev/null"
mkdir m2 m3 m4 m5
check "export of the state as it is: accepted" "$KC" export --state state --to m2
check "  ... the revocation actions on it, byte for byte" cmp -s $R m2/root-0002.revocation-actions.txt
cp $R real.txt
# tampered: a command turned back on, a line added, a control, a byte
python3 - "$R" <<'PY'
import sys
p = sys.argv[1]
t = open(p, 'rb').read()
open('t1', 'wb').write(t.replace(b'--provisioning-status disabled', b'--provisioning-status enabled'))
open('t2', 'wb').write(t.replace(b'\n# end of', b'\naz iot dps enrollment-group delete --dps-name x --enrollment-id y\n# end of'))
open('t3', 'wb').write(t.replace(b'#   subject:', b'#   subject:\x1b[2J'))
open('t4', 'wb').write(t[:-2] + bytes([t[-2] ^ 1]) + b'\n')
open('t5', 'wb').write(t.replace(b'# CRL number: 2', b'# CRL number: 1'))
open('t6', 'wb').write(t + b'# one more note\n')
PY
for k in 1 2 3 4 5 6; do
	cp t$k $R
	why="is not what keyceremony writes for the CRL root-0002.crl \(number [12]\)"
	[ $k -eq 3 ] && why="not a revocation-actions.txt \(line [0-9]+: "
	check_fails "export refuses a tampered revocation actions file ($k)" \
		"state/root-0002.revocation-actions.txt: $why.*refusing to export anything" \
		"$KC" export --state state --to m3
	check "  ... nothing on the medium ($k)" sh -c "test -z \"\$(ls -A m3)\""
done
cp t1 state/other.revocation-actions.txt; cp real.txt $R
check_fails "export refuses a copy under another name that names no CRL of its own" \
	"other.revocation-actions.txt" "$KC" export --state state --to m4
rm state/other.revocation-actions.txt
ln -s ../real.txt state/link.revocation-actions.txt
check_fails "export refuses a link" "link" "$KC" export --state state --to m4
rm state/link.revocation-actions.txt
check "export of the real one again: accepted" "$KC" export --state state --to m5
check "  ... byte for byte" cmp -s real.txt m5/root-0002.revocation-actions.txt
done_testing

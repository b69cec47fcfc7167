#!/bin/sh
# keyceremony report (issue 16 item 2, 5): the four shipped ceremonies run
# on a fresh SoftHSM token; the report of each transcript holds every
# record, each certificate and CRL (matched by SHA-256 from the state
# directory), the preflight results, the module and token, the final
# digest (hex, PGP words, a QR code that decodes to it), the REHEARSAL
# watermark on every page and a signature line per role; A4 and letter;
# fonts embedded; --format text; the export step writes the same report
# to the medium, in SHA256SUMS. Refused: a transcript changed anywhere
# (each record, one byte), truncated or with a line dropped; a state file
# whose SHA-256 is not the recorded one; an --out that exists, is a
# symlink or a dangling symlink. Hostile values in a transcript that
# verifies (control characters, bidi, invisible characters, bad UTF-8,
# pango markup, 600 lines) reach the page escaped and literal.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/paper/paper-lib.sh"
softhsm_setup keyceremony-demo
run_four "$T/w"
ALL="root-ca sign-intermediate dps-proof-of-possession revoke-intermediate"

# every record and value of transcript TR in the text of PDF (page
# furniture between two lines of a value taken out first)
records_in() {
	python3 - "$1" "$2" <<'EOPY'
import re, subprocess, sys
tr, pdf = sys.argv[1], sys.argv[2]
txt = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True,
                     text=True).stdout
flat = re.sub(r"[ \n\f]", "", txt)
flat = re.sub(r"(finaldigest|ceremonyfileSHA-256)[0-9a-f]{8}\.\.\.[0-9a-f]{8}"
              r"(REHEARSAL)?Ceremony(report|script):.*?page\d+of\d+", "", flat)
def dec(v):
    if not v.startswith('"'):
        return v
    v, out, i = v[1:-1], bytearray(), 0
    while i < len(v):
        if v[i] == "\\":
            c = v[i + 1]
            if c == "x":
                out.append(int(v[i + 2:i + 4], 16)); i += 4; continue
            out += {"n": b"\n"}.get(c, c.encode()); i += 2; continue
        out += v[i].encode(); i += 1
    return out.decode()
tok = re.compile(r'([a-z0-9-]+)=("(?:[^"\\]|\\.)*"|[^ ]*)')
bad = 0
for line in open(tr, encoding="utf-8"):
    if line.startswith("#"):
        continue
    f = line.rstrip("\n").split(" ", 5)
    want = ["Record" + f[1] + f[3] + f[4]]
    for k, v in tok.findall(f[5] if len(f) > 5 else ""):
        want.append(k + re.sub(r"[ \n]", "", dec(v)))
    for w in want:
        if w not in flat:
            print("missing:", w[:120]); bad += 1
sys.exit(1 if bad else 0)
EOPY
}

for c in $ALL; do
	tr=$(transcript "$c")
	out=$(case $c in root-ca) echo root.out;; sign-intermediate) echo inter.out;;
		dps-proof-of-possession) echo dps.out;; *) echo revoke.out;; esac)
	d=$(digest "$out")
	check "$c: report of the verified transcript" "$KC" report "$tr" --state state --out "$c.pdf"
	cp "$T/.out" wrote.out
	check "$c: says what it wrote" grep -q "wrote \"$c.pdf\" (PDF, A4, [0-9]* pages" wrote.out
	diag "$c report: $(pages "$c.pdf") pages, $(wc -c < "$c.pdf") bytes"
	check "$c: A4 page size" test "$(pagesize "$c.pdf")" = 595x842
	check "$c: every font embedded" fonts_embedded "$c.pdf"
	check "$c: every record, every value" records_in "$tr" "$c.pdf"
	check "$c: the final digest as hex" has "$c.pdf" "Final digest $d"
	words=$("$KC" transcript verify "$tr" --digest "$d" | sed -n 's/.*PGP words: *//p' | head -1)
	check "$c: the final digest as PGP words" has "$c.pdf" "PGP words $words"
	qrs "$c.pdf" 1 > qr.txt
	check "$c: the QR code on page 1 decodes to the final digest, exactly" grep -qx "$d" qr.txt
	qrs "$c.pdf" > qr.txt
	sha=$(sha256sum "$CER/$c.yaml" | cut -c1-64)
	check "$c: every QR code is the digest or the ceremony file's SHA-256" \
		sh -c "grep -vx -e '$d' -e '$sha' qr.txt | grep -q . && exit 1; grep -qx '$d' qr.txt"
	check "$c: the ceremony file's SHA-256" has "$c.pdf" "Ceremony file SHA-256 $sha"
	check "$c: REHEARSAL watermark on each of its pages" test \
		"$(flat "$c.pdf" | grep -o 'REHEARSALCeremonyreport' | wc -l)" = "$(pages "$c.pdf")"
	check "$c: module and token recorded" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has $c.pdf 'module-sha256 $(sha256sum "$(readlink -f "$MODULE")" | cut -c1-64)' &&
		 has $c.pdf 'token-model SoftHSM v2' && has $c.pdf 'module $MODULE'"
	check "$c: preflight results" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; for k in network clock token media files; do flat $c.pdf | grep -q \"Preflightresults.*\$k\\(passed\\|warned\\)\" || exit 1; done"
	check "$c: a signature line for each role and the auditor" sh -c \
		"flat() { pdftotext -raw \"\$1\" - | tr -d ' \n\f'; }; t=\$(flat $c.pdf);
		 echo \"\$t\" | grep -q 'SecurityofficerSecurityofficer\\|Securityofficerofficer,recordedasAlice' &&
		 echo \"\$t\" | grep -q 'Witnesswitness,recordedasBob' &&
		 test \$(echo \"\$t\" | grep -o 'NameInitialsSignature' | wc -l) -eq 3"
done

# the export step wrote the report of the closed transcript to the medium
for c in $ALL; do
	tr=$(transcript "$c")
	m=media/$(basename "$tr" .log)-report.pdf
	check "$c: the export step wrote $(basename "$m") to the medium" test -s "$m"
	check "$c: ... it is in SHA256SUMS" grep -q "  $(basename "$m")\$" media/SHA256SUMS
	pdftotext -raw "$m" m.txt; pdftotext -raw "$c.pdf" c.txt
	check "$c: ... the same text as keyceremony report of that transcript" cmp m.txt c.txt
	qrs "$m" 1 > qr.txt
	check "$c: ... its QR code is the final digest the run printed" grep -qx \
		"$(digest "$(case $c in root-ca) echo root.out;; sign-intermediate) echo inter.out;;
		dps-proof-of-possession) echo dps.out;; *) echo revoke.out;; esac)")" qr.txt
	check "$c: ... fonts embedded" fonts_embedded "$m"
done
check "SHA256SUMS on the medium checks, reports included" sh -c "cd media && sha256sum -c --strict SHA256SUMS"
check "no report on the medium but the four" test "$(ls media/*-report.pdf | wc -l)" -eq 4
check "the medium holds no private key block" sh -c "! grep -l PRIVATE media/*"

# each certificate and CRL issued, with the values of the run
cert_in() {	# cert_in PDF FILE
	_s=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2 | tr A-F a-f)
	_f=$(openssl x509 -in "$2" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
	_a=$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)
	_b=$(openssl x509 -in "$2" -noout -startdate | cut -d= -f2)
	_sub=$(openssl x509 -in "$2" -noout -subject -nameopt compat | sed 's/^subject=//')
	_iss=$(openssl x509 -in "$2" -noout -issuer -nameopt compat | sed 's/^issuer=//')
	_t=$(flat "$1" | tr A-Z a-z)
	for _v in "$_s" "$_f" "$(echo "not after$_a" | tr -d ' ' | tr A-Z a-z)" \
		"$(echo "not before$_b" | tr -d ' ' | tr A-Z a-z)" \
		"$(echo "subject$_sub" | tr -d ' ' | tr A-Z a-z)" "$(echo "issuer$_iss" | tr -d ' ' | tr A-Z a-z)" \
		"x509v3basicconstraintsca:true" "x509v3keyusage"; do
		echo "$_t" | grep -qF -- "$_v" || { echo "missing $_v"; return 1; }
	done
}
check "root-ca: the root certificate (subject, issuer, serial, validity, extensions, fingerprint)" \
	cert_in root-ca.pdf state/root.pem
check "root-ca: its key" has root-ca.pdf "key ec-p384"
check "sign-intermediate: the intermediate certificate" cert_in sign-intermediate.pdf state/intermediate.pem
check "sign-intermediate: its subject from the CSR" has sign-intermediate.pdf \
	"subject /CN=Example Factory 1 Intermediate CA/O=Example Fleet Ltd/C=DE"
check "sign-intermediate: its key" has sign-intermediate.pdf "key ec-p256"
check "dps: the verification certificate, CN = the code" has dps-proof-of-possession.pdf "subject /CN=5C7E0A1B2C3D4E5F"
check "root-ca: the first CRL, number 1, nothing revoked" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has root-ca.pdf 'CRL root-0001.crl' && has root-ca.pdf 'CRL number 1' && has root-ca.pdf 'revoked 0 certificate(s)'"
iser=$(openssl x509 -in state/intermediate.pem -noout -serial | cut -d= -f2)
check "revoke: the new CRL, number 2, revokes the intermediate's serial" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has revoke-intermediate.pdf 'CRL number 2' && has revoke-intermediate.pdf 'revoked serial $iser'"
check "revoke: the CRL's next update as written" has revoke-intermediate.pdf \
	"next update $(openssl crl -in state/root-0002.crl -noout -nextupdate | cut -d= -f2)"

# letter, text
tr=$(transcript root-ca)
check "--paper letter" "$KC" report "$tr" --state state --paper letter --out letter.pdf
check "letter page size 612x792" test "$(pagesize letter.pdf)" = 612x792
check "letter: fonts embedded" fonts_embedded letter.pdf
check "--format text" "$KC" report "$tr" --state state --format text --out report.txt
d=$(digest root.out)
check "text: the final digest grouped" grep -q "^    $(echo "$d" | cut -c1-32 | sed 's/\(.\{8\}\)/\1 /g;s/ $//')\$" report.txt
check "text: every record" sh -c "test \$(grep -c '^Record: ' report.txt) = \$(grep -c '^KC1 ' '$tr')"
check "text: REHEARSAL" grep -q '^\*\*\* REHEARSAL' report.txt
check "text: the root certificate's fingerprint" grep -qi \
	"$(openssl x509 -in state/root.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | cut -c1-8)" report.txt
check "text: plain text only (UTF-8, no control character but newline)" python3 -c "
import sys; d=open('report.txt','rb').read(); d.decode('utf-8')
sys.exit(any(b < 32 and b != 10 for b in d) or b'\x7f' in d)"

# refusals: a transcript changed anywhere
n=$(grep -c '^KC1 ' "$tr")
i=1
while [ "$i" -le "$n" ]; do
	python3 - "$tr" "$i" <<'EOPY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
k = int(sys.argv[2]) + 1          # two comment lines first
l = bytearray(lines[k]); p = len(l) // 2 + 3
l[p] = ord("0") if l[p] != ord("0") else ord("1")
lines[k] = bytes(l)
open("t.log", "wb").write(b"\n".join(lines))
EOPY
	if [ "$i" -lt "$n" ]; then
		check_fails "record $i of $n changed (one byte): refused, naming the file and line" \
			"^keyceremony: t\.log:[0-9]+: " "$KC" report t.log --state state --out bad.pdf
	else	# the last record: nothing chains after it; the paper digest tells
		check_fails "the last record changed (one byte): refused against the paper digest" \
			"^keyceremony: t\.log: its final digest [0-9a-f]{64} is not the one written on paper \($d\)" \
			"$KC" report t.log --state state --digest "$d" --out bad.pdf
	fi
	[ "$(wc -l < "$T/.out")" -eq 1 ] && ok "  ... in one line" || not_ok "  ... in one line"
	[ ! -e bad.pdf ] && ok "  ... nothing written" || not_ok "  ... bad.pdf written"
	i=$((i + 1))
done
check "--digest as written (hex, grouped)" "$KC" report "$tr" --state state \
	--digest "$(echo "$d" | sed 's/\(.\{8\}\)/\1 /g')" --out paper1.pdf
check "  ... the report says it was compared" has paper1.pdf "the final digest is the one written on paper"
words=$("$KC" transcript verify "$tr" --digest "$d" | sed -n 's/.*PGP words: *//p' | head -1)
check "--digest as PGP words" "$KC" report "$tr" --digest "$words" --out paper2.pdf
check_fails "--digest not a digest" "--digest: neither 64 hex digits nor 32 PGP words" \
	"$KC" report "$tr" --digest "12 34" --out bad.pdf
check_fails "--digest of another ceremony" "its final digest .* is not the one written on paper" \
	"$KC" report "$tr" --digest "$(digest inter.out)" --out bad.pdf
head -n -1 "$tr" > t.log
check_fails "the end record dropped: refused" "t\.log.*(end|unfinished|truncated)" \
	"$KC" report t.log --out bad.pdf
sed '5d' "$tr" > t.log
check_fails "a record dropped: refused" "t\.log:[0-9]+: " "$KC" report t.log --out bad.pdf
check "nothing written for any refused transcript" test ! -e bad.pdf
check "the original still reports (positive pair)" "$KC" report "$tr" --out ok2.pdf

# refusals: a state file that is not the recorded one
cp -r state st2
openssl x509 -in state/intermediate.pem -outform PEM > st2/root.pem
check_fails "a root.pem that is not the recorded one: refused" \
	"st2/root\.pem: its SHA-256 [0-9a-f]{64} is not the one the transcript records" \
	"$KC" report "$tr" --state st2 --out bad.pdf
check "  ... nothing written" test ! -e bad.pdf
ln -sf ../state/root.pem st2/root.pem 2>/dev/null || { rm -f st2/root.pem; ln -s ../state/root.pem st2/root.pem; }
check_fails "a root.pem that is a symlink: refused" "st2/root\.pem.*symbolic link" \
	"$KC" report "$tr" --state st2 --out bad.pdf
rm -f st2/root.pem
check_fails "a missing root.pem: refused" "st2/root\.pem" "$KC" report "$tr" --state st2 --out bad.pdf
check "  ... nothing written" test ! -e bad.pdf

# refusals: the output
echo keep > exists.pdf
check_fails "--out exists: refused" "exists\.pdf.*exists" "$KC" report "$tr" --out exists.pdf
check "  ... left as it was" grep -qx keep exists.pdf
ln -s victim.pdf link.pdf
check_fails "--out a dangling symlink: refused" "link\.pdf.*exists" "$KC" report "$tr" --out link.pdf
check "  ... its target not created" test ! -e victim.pdf
ln -s exists.pdf link2.pdf
check_fails "--out a symlink to a file: refused" "link2\.pdf.*exists" "$KC" report "$tr" --out link2.pdf
check "  ... the file it names unchanged" grep -qx keep exists.pdf
check_fails "--out in a missing directory: refused" "nodir" "$KC" report "$tr" --out nodir/r.pdf
check_fails "--out a reserved name: refused" "SHA256SUMS" "$KC" report "$tr" --out SHA256SUMS
check_fails "no --out: usage" "--out FILE is required" "$KC" report "$tr"
check_fails "--paper a3: usage" "--paper a3: a4 or letter" "$KC" report "$tr" --paper a3 --out x.pdf
check_fails "--site is not for report" "--site is for script" "$KC" report "$tr" --site demo.site --out x.pdf
check_fails "a missing transcript" "nosuch\.log" "$KC" report nosuch.log --out x.pdf
check "nothing written by the refusals" sh -c "test ! -e x.pdf && test ! -e nodir"

# hostile values in a transcript that verifies: the chain recomputed over
# a begin record whose title, and added fields, hold what an attacker
# would like to see drawn as layout or control
python3 - "$tr" <<'EOPY'
import hashlib, sys
src = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l]
def esc(b):	# the writer's spelling of a value of raw bytes
    if b and all(0x20 < c < 0x7f and c not in b'"\\' for c in b):
        return b
    out = b'"'
    for c in b:
        if c in b'"\\': out += b"\\" + bytes([c])
        elif c == 10: out += b"\\n"
        elif 0x20 <= c < 0x7f: out += bytes([c])
        else: out += b"\\x%02x" % c
    return out + b'"'
bad = [bytes([c]) for c in list(range(1, 10)) + list(range(11, 32)) + [127]]
bad += [b"\xc2" + bytes([c]) for c in range(0x80, 0xa0)]
bad += [chr(c).encode() for c in list(range(0x202a, 0x202f)) + list(range(0x2066, 0x206a))
        + [0x200b, 0x200e, 0x200f, 0x2028, 0xfeff, 0x061c]]
bad += [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80"]
markup = [b"<b>BOLD</b>", b"<span foreground='white'>HIDDEN</span>", b"&amp;&lt;",
          b"<markup>", b"</span>", b"%s%n"]
fields = [(b"hostile-%d" % i, b"X" + v + b"Y") for i, v in enumerate(bad)]
fields += [(b"markup-%d" % i, v) for i, v in enumerate(markup)]
fields += [(b"long", b"L" * 6000), (b"lines", b"\n".join(b"line %d" % i for i in range(600)))]
out, prev = [], b"0" * 64
for n, l in enumerate(src):
    if l.startswith(b"#"):
        out.append(l); continue
    head, rest = l.split(b" ", 5)[:5], l.split(b" ", 5)[5]
    if head[4] == b"begin":
        t0 = rest.index(b"title=")
        t1 = rest.index(b" file=")
        rest = (rest[:t0] + b"title=" + esc(b"Root \xe2\x80\xae<b>gro</b>\x1b[31m") + rest[t1:] +
                b"".join(b" " + k + b"=" + esc(v) for k, v in fields))
    head[2] = prev
    line = b" ".join(head) + b" " + rest
    prev = hashlib.sha256(line).hexdigest().encode()
    out.append(line)
open("hostile.log", "wb").write(b"\n".join(out) + b"\n")
EOPY
check "the hostile transcript verifies (the attacker recomputed the chain)" "$KC" transcript verify hostile.log
check "report of it" "$KC" report hostile.log --out hostile.pdf
check "  ... as text too" "$KC" report hostile.log --format text --out hostile.txt
pdftotext -raw hostile.pdf hostile.pdf.txt
for f in hostile.pdf.txt hostile.txt; do
	check "$f: no raw control, bidi, invisible character or bad UTF-8 on the page" python3 -c "
import sys, unicodedata
d = open('$f', 'rb').read().replace(b'\f', b'')
s = d.decode('utf-8')
sys.exit(any((ord(c) < 32 and c != '\n') or 0x7f <= ord(c) < 0xa0 or unicodedata.category(c) in ('Cf', 'Zl', 'Zp', 'Cs') for c in s))"
	check "$f: pango markup literal" sh -c "grep -qF '<b>BOLD</b>' $f && grep -qF \"<span foreground='white'>HIDDEN</span>\" $f && grep -qF '&amp;&lt;' $f && grep -qF '<markup>' $f"
	check "$f: the escapes shown (ESC, U+202E, a bad byte)" sh -c \
		"grep -qF 'X\\x1bY' $f && grep -qiF 'u{202e}' $f && grep -qiF 'X\\xffY' $f"
	check "$f: the title, escaped" grep -qF '<b>gro</b>' "$f"
done
check "600 lines of one value: all on the pages" test "$(grep -Eo 'line [0-9]+$' hostile.pdf.txt | sort -u | wc -l)" -eq 600
check "hostile report: fonts embedded" fonts_embedded hostile.pdf
done_testing

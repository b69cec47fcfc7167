#!/bin/sh
# keyceremony script (issue 16 items 1, 3, 5): for the four shipped
# ceremony files, the printed script holds the title page (name, title,
# the file's SHA-256 as grouped hex, PGP words and a QR code that decodes
# to exactly that SHA-256, the site's token, a date line, REHEARSAL for
# the rehearsal site), every role with name, initials and signature, the
# preflight checklist, every step with the very lines `run FILE --check`
# prints for it (item 3), the inputs' SHA-256 once imported, the typed
# confirmation word, boxes for the observed values and initials, and the
# closing page. A4 and letter; fonts embedded; --format text. Hostile
# titles (bidi, invisible characters, pango markup) are shown escaped and
# literal; control characters refused as at load; --out that exists or
# is a symlink refused.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/paper/paper-lib.sh"
softhsm_setup keyceremony-demo
run_four "$T/w"
ALL="root-ca sign-intermediate dps-proof-of-possession revoke-intermediate"

# review_in CEREMONY PDF: each step's lines of run --check are in the PDF
# (flattened, page furniture between lines taken out)
review_in() {
	"$KC" run "$CER/$1.yaml" --check > review.txt || return 1
	python3 - review.txt "$2" <<'EOPY'
import re, subprocess, sys
rv, pdf = sys.argv[1], sys.argv[2]
flat = re.sub(r"[ \n\f]", "", subprocess.run(["pdftotext", "-raw", pdf, "-"],
              capture_output=True, text=True).stdout)
flat = re.sub(r"ceremonyfileSHA-256[0-9a-f]{8}\.\.\.[0-9a-f]{8}(REHEARSAL)?"
              r"Ceremonyscript:.*?page\d+of\d+", "", flat)
steps, cur = [], None
for l in open(rv, encoding="utf-8"):
    m = re.match(r"^  (\d+)/(\d+) (\S+): (.*)$", l)
    if m:
        cur = [m.group(0)]; steps.append(cur); continue
    if cur is not None and l.startswith("      "):
        cur.append(l.rstrip("\n"))
    elif cur is not None and l.strip() == "":
        cur = None
bad = 0
for s in steps:
    m = re.match(r"^  (\d+)/(\d+) (\S+): (.*)$", s[0])
    want = ["Step" + m.group(1) + "/" + m.group(2) + m.group(3) + ":" +
            re.sub(" ", "", m.group(4))]
    body = "".join(re.sub(" ", "", l) for l in s[1:])
    want.append(body)
    for w in want:
        if w not in flat:
            print("missing:", w[:200]); bad += 1
print(len(steps), "steps")
sys.exit(1 if bad or not steps else 0)
EOPY
}

for c in $ALL; do
	f=$CER/$c.yaml
	sha=$(sha256sum "$f" | cut -c1-64)
	check "$c: script" "$KC" script "$f" --site demo.site --out "$c.pdf"
	cp "$T/.out" wrote.out
	check "$c: says what it wrote" grep -q "wrote \"$c.pdf\" (PDF, A4, [0-9]* pages" wrote.out
	diag "$c script: $(pages "$c.pdf") pages, $(wc -c < "$c.pdf") bytes"
	check "$c: A4" test "$(pagesize "$c.pdf")" = 595x842
	check "$c: every font embedded" fonts_embedded "$c.pdf"
	qrs "$c.pdf" > "$T/qr.txt"
	check "$c: its one QR code decodes to exactly the file's SHA-256" sh -c \
		"test \"\$(cat \"$T/qr.txt\")\" = '$sha'"
	check "$c: the SHA-256 grouped" has "$c.pdf" "Ceremony file SHA-256 $(echo "$sha" | sed 's/\(.\{8\}\)/\1 /g')"
	words=$(sed -n 's/.*file-sha256-words="\([^"]*\)".*/\1/p' "$(transcript "$c")")
	check "$c: the SHA-256's PGP words (as the transcript records them)" has "$c.pdf" "PGP words $words"
	name=$(sed -n 's/^name: //p' "$f"); title=$(sed -n 's/^title: //p' "$f")
	check "$c: name and title" sh -c ". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has $c.pdf 'Ceremony $name' && has $c.pdf 'Title $title'"
	check "$c: the site's token, serial/model boxes, date line" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has $c.pdf 'Token label keyceremony-demo' && has $c.pdf 'Token serial' &&
		 has $c.pdf 'Manufacturer / model' && has $c.pdf 'Date and place'"
	check "$c: REHEARSAL (rehearsal site), watermark on every page" test \
		"$(flat "$c.pdf" | grep -o 'REHEARSALCeremonyscript' | wc -l)" = "$(pages "$c.pdf")"
	check "$c: roles with duty, name, initials, signature" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has $c.pdf 'Security officer officer: enters the PIN' &&
		 has $c.pdf 'Witness witness:' && test \$(flat $c.pdf | grep -o 'NameInitialsSignature' | wc -l) -eq 5"
	check "$c: the preflight checklist" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; for k in network clock token media outputs; do flat $c.pdf | grep -q \"Preflightchecklist.*\$k\" || exit 1; done"
	check "$c: every step with the lines of run --check (item 3)" review_in "$c" "$c.pdf"
	check "$c: the closing page: digest boxes, time, signatures" sh -c \
		". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has $c.pdf 'Final digest (hex)' && has $c.pdf 'Final digest (PGP words)' &&
		 has $c.pdf 'Time of the end (UTC)' && flat $c.pdf | grep -q 'Signatures.*Auditor'"
	check "$c: --format text" "$KC" script "$f" --site demo.site --format text --out "$c.txt"
	check "$c: text: each step's lines of run --check, verbatim" sh -c \
		"'$KC' run '$f' --check | sed -n 's/^      //p' | while IFS= read -r l; do grep -qxF -- \"\$l\" $c.txt || { echo \"missing: \$l\"; exit 1; }; done"
	check "$c: text: the SHA-256 grouped, REHEARSAL" sh -c \
		"grep -qF '$(echo "$sha" | cut -c1-32 | sed 's/\(.\{8\}\)/\1 /g;s/ $//')' $c.txt && grep -q '^\*\*\* REHEARSAL' $c.txt"
done
check "root-ca: confirmation GENERATE; observed serial and fingerprint boxes; initials" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has root-ca.pdf 'Confirmation type GENERATE' && has root-ca.pdf 'Observed serial' &&
	 has root-ca.pdf 'Observed SHA-256 fingerprint' && has root-ca.pdf 'Initials Security officer (performs)' && has root-ca.pdf 'Initials Witness (witnesses)'"
check "root-ca: export step: confirmation EXPORT, files box" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has root-ca.pdf 'Confirmation type EXPORT' && has root-ca.pdf 'Files on the medium'"
check "revoke: CRL number and SHA-256 boxes, SIGN" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has revoke-intermediate.pdf 'Observed CRL number' && has revoke-intermediate.pdf 'Confirmation type SIGN'"
csr=$(sha256sum state/intermediate.csr | cut -c1-64)
check "sign-intermediate: the imported CSR with its SHA-256" has sign-intermediate.pdf \
	"CSR intermediate.csr (in the state directory now): $(echo "$csr" | sed 's/\(.\{8\}\)/\1 /g')"
check "sign-intermediate: the issuer certificate with its SHA-256" has sign-intermediate.pdf \
	"issuer certificate root.pem (in the state directory now): $(sha256sum state/root.pem | cut -c1-64)"
mv state state.away
rm -f si2.pdf
check "inputs not imported yet: a box for their SHA-256" "$KC" script "$CER/sign-intermediate.yaml" --site demo.site --out si2.pdf
check "  ... shown" has si2.pdf "CSR intermediate.csr: SHA-256 (when imported)"
mv state.away state

# without a site, letter
check "no --site, --paper letter" "$KC" script "$CER/root-ca.yaml" --paper letter --out letter.pdf
check "letter page size 612x792" test "$(pagesize letter.pdf)" = 612x792
check "letter: fonts embedded" fonts_embedded letter.pdf
check "no site: a box for the token label" has letter.pdf "Token label no site profile given: write the token label in"
check "no site: no REHEARSAL" sh -c "! pdftotext letter.pdf - | grep -q REHEARSAL"
check "letter: its QR code is the file's SHA-256" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; test \"\$(qrs letter.pdf)\" = '$(sha256sum "$CER/root-ca.yaml" | cut -c1-64)'"
printf 'keyceremony-site: 1\nname: hq\nproduction: true\ntoken:\n  label: hsm-1\n  serial: 0123456789abcdef\nstate: state\nmedia: media\n' > prod.site
check "a production site" "$KC" script "$CER/root-ca.yaml" --site prod.site --out prod.pdf
check "  ... its token label and serial, no REHEARSAL" sh -c \
	". '$KC_TOP_SRCDIR/tests/paper/paper-lib.sh'; has prod.pdf 'Token label hsm-1' && has prod.pdf 'Token serial 0123456789abcdef' &&
	 ! pdftotext prod.pdf - | grep -q REHEARSAL"

# refusals
check_fails "a missing ceremony file" "nosuch\.yaml" "$KC" script nosuch.yaml --out x.pdf
sed 's/^keyceremony: 1/keyceremony: 9/' "$CER/root-ca.yaml" > bad.yaml
check_fails "a broken ceremony file: one line naming it" "^keyceremony: bad\.yaml:[0-9]+: " "$KC" script bad.yaml --out x.pdf
[ "$(wc -l < "$T/.out")" -eq 1 ] && ok "  ... one line" || not_ok "  ... one line"
echo 'keyceremony-site: 7' > bad.site
check_fails "a broken site profile" "bad\.site" "$KC" script "$CER/root-ca.yaml" --site bad.site --out x.pdf
echo keep > exists.pdf
check_fails "--out exists" "exists\.pdf.*exists" "$KC" script "$CER/root-ca.yaml" --out exists.pdf
check "  ... unchanged" grep -qx keep exists.pdf
ln -s victim.pdf link.pdf
check_fails "--out a dangling symlink" "link\.pdf.*exists" "$KC" script "$CER/root-ca.yaml" --out link.pdf
check "  ... its target not created" test ! -e victim.pdf
check_fails "--state is not for script" "--state is for report" "$KC" script "$CER/root-ca.yaml" --state state --out x.pdf
check_fails "--format ps" "--format ps: pdf or text" "$KC" script "$CER/root-ca.yaml" --format ps --out x.pdf
check_fails "--paper A5" "--paper A5: a4 or letter" "$KC" script "$CER/root-ca.yaml" --paper A5 --out x.pdf
check "nothing written by the refusals" test ! -e x.pdf

# hostile titles: a corpus of bidi, invisible and markup strings the file's
# rules let through, in the ceremony title, a role's duty and a step title
python3 - "$CER/root-ca.yaml" <<'EOPY'
import json, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
bidi = [chr(c) for c in list(range(0x202a, 0x202f)) + list(range(0x2066, 0x206a))
        + [0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2060, 0xfeff, 0x061c, 0x00ad]]
markup = ["<b>BOLD</b>", "<span foreground='white'>HIDDEN</span>", "&amp;&lt;&#x41;",
          "<markup><i>", "</span></b>", "%s%n%x"]
for i, s in enumerate(bidi + markup):
    h = t.replace("title: Create the offline root CA", "title: " + json.dumps("T" + s + "Z"))
    h = re.sub(r"(?m)^    duty: (enters the PIN.*)$", lambda m: "    duty: " +
               json.dumps("D" + s + "E " + m.group(1)), h, count=1)
    open("hostile-%02d.yaml" % i, "w", encoding="utf-8").write(h)
open("hostile-esc.yaml", "w", encoding="utf-8").write(
    t.replace("title: Create the offline root CA", 'title: "Root \\e]0;pwned\\a"'))
EOPY
for h in hostile-[0-9]*.yaml; do
	b=${h%.yaml}
	check "$b: valid, scripted" sh -c "'$KC' script $h --out $b.pdf && '$KC' script $h --format text --out $b.txt"
	pdftotext -raw "$b.pdf" "$b.pdf.txt"
	for f in "$b.pdf.txt" "$b.txt"; do
		check "$f: no raw bidi, invisible or control character" python3 -c "
import sys, unicodedata
s = open('$f', 'rb').read().replace(b'\f', b'').decode('utf-8')
sys.exit(any((ord(c) < 32 and c != '\n') or 0x7f <= ord(c) < 0xa0 or unicodedata.category(c) in ('Cf', 'Zl', 'Zp') for c in s))"
	done
done
check "markup in titles is literal (PDF)" sh -c "grep -qF 'T<b>BOLD</b>Z' hostile-18.pdf.txt && grep -qF \"T<span foreground='white'>HIDDEN</span>Z\" hostile-19.pdf.txt &&
	grep -qF 'T&amp;&lt;&#x41;Z' hostile-20.pdf.txt && grep -qF 'D<markup><i>E' hostile-21.pdf.txt && grep -qF 'D</span></b>E' hostile-22.txt"
check "bidi shown as its escape (PDF and text)" sh -c "grep -qiF 'T\\u{202e}Z' hostile-04.pdf.txt && grep -qiF 'D\\u{202e}E' hostile-04.txt"
check "keyceremony links the renderer, factorysign never" sh -c \
	"ldd '$KC_TOP_BUILDDIR/keyceremony' | grep -q libpangocairo && ! ldd '$KC_TOP_BUILDDIR/factorysign' | grep -Eq 'cairo|pango|qrencode|fontconfig'"
check_fails "an escape sequence in a title: refused as at load" "^keyceremony: hostile-esc\.yaml:[0-9]+: " \
	"$KC" script hostile-esc.yaml --out esc.pdf
check "  ... nothing written" test ! -e esc.pdf
done_testing

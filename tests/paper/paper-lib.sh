# tests/paper/paper-lib.sh: helpers of the paper trail tests (sourced after
# tests/lib.sh). The four shipped ceremonies run on a fresh SoftHSM token in
# the rehearsal site's layout, as ./quickstart runs them.

CER=$KC_TOP_SRCDIR/ceremony

# flat PDF: the text of PDF in drawing order, without spaces or line
# breaks (values wrapped across lines compare whole).
flat() { pdftotext -raw "$1" - | tr -d ' \n\f'; }
# has PDF VALUE: VALUE (spaces ignored) is in the PDF's text.
has() { _v=$(printf '%s' "$2" | tr -d ' \n'); flat "$1" | grep -qF -- "$_v"; }
# pages PDF / pagesize PDF
pages() { pdfinfo "$1" | sed -n 's/^Pages: *//p'; }
pagesize() { pdfinfo "$1" | sed -n 's/^Page size: *\([0-9.]*\) x \([0-9.]*\) pts.*/\1x\2/p'; }
# qrs PDF [PAGE]: every QR code of the PDF (or of PAGE), one a line.
# (The pages as PGM, the same grey pixels as PNG without the PNG encoder,
# which took 0.3 s a page, ~35 times what rendering does.)
qrs() {
	rm -rf qr.d; mkdir qr.d
	if [ -n "${2:-}" ]; then pdftoppm -r 150 -gray -f "$2" -l "$2" "$1" qr.d/p
	else pdftoppm -r 150 -gray "$1" qr.d/p; fi
	for _p in qr.d/*.pgm; do zbarimg -q --raw "$_p" 2>/dev/null; done
	true
}
# fonts_embedded PDF: every font of the PDF is embedded, and there is one.
fonts_embedded() {
	pdffonts "$1" | awk 'NR > 2 { n++; if ($(NF-4) != "yes") bad++ }
		END { exit !(n > 0 && bad == 0) }'
}

# run_four DIR: in DIR (created), the four shipped ceremonies in order on
# the token keyceremony-demo (softhsm_setup keyceremony-demo first), site
# demo.site, with named roles. Bails when one fails.
run_four() {
	mkdir -p "$1" && cd "$1" || bail "cd $1"
	cp "$T/pin" pin && chmod 600 pin
	demo_site demo.site
	mkdir -p media
	_roles="--role officer=Alice --role witness=Bob"
	"$KC" run "$CER/root-ca.yaml" --site demo.site --batch $_roles > root.out 2>&1 ||
		bail "root-ca: $(cat root.out)"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout factory.key -subj "/CN=Example Factory 1 Intermediate CA/O=Example Fleet Ltd/C=DE" \
		-out media/intermediate.csr 2>/dev/null || bail "openssl req"
	"$KC" import --from media --state state intermediate.csr > import.out 2>&1 ||
		bail "import: $(cat import.out)"
	"$KC" run "$CER/sign-intermediate.yaml" --site demo.site --batch $_roles > inter.out 2>&1 ||
		bail "sign-intermediate: $(cat inter.out)"
	printf '5C7E0A1B2C3D4E5F\n' > media/dps-verification.code
	"$KC" import --from media --state state dps-verification.code > import2.out 2>&1 ||
		bail "import code: $(cat import2.out)"
	"$KC" run "$CER/dps-proof-of-possession.yaml" --site demo.site --batch $_roles > dps.out 2>&1 ||
		bail "dps: $(cat dps.out)"
	"$KC" run "$CER/revoke-intermediate.yaml" --site demo.site --batch $_roles > revoke.out 2>&1 ||
		bail "revoke: $(cat revoke.out)"
}
# transcript NAME: the transcript of the ceremony NAME in ./state.
transcript() { ls state/transcripts/"$1"-*.log | head -1; }
# digest OUT: the final digest a run printed (64 hex digits).
digest() { sed -n '/^Final digest/,/^PGP words/p' "$1" | grep -v ':$' | tr -d ' \n' | grep -Eo '^[0-9a-f]{64}'; }

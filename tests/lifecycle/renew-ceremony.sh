#!/bin/sh
# Renewal in a ceremony file (issue 15 item 3): an intermediate-sign step
# with `renew: FILE` renews that intermediate as `intermediate sign
# --renew` does. The shipped sign-intermediate.yaml with the renew line
# added: run --check names the certificate renewed and the renewal's
# rules; the --batch run signs it (same SKI and subject, recorded as a
# renewal of the old serial, in the transcript's inputs). Refused: renew
# naming a file without a certificate's extension (parse), a missing
# renew input (preflight), renew naming the root (the step fails, nothing
# written).
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
run() { "$KC" run "$@" --site demo.site --batch --role officer=Olga \
	--role witness=Wim; }
run "$CER/root-ca.yaml" > run.out 2>&1 || bail "root-ca: $(cat run.out)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout inter.key -subj "/CN=Example Fleet Factory CA 2026/O=Example Fleet Ltd/C=DE" \
	-out state/intermediate.csr 2>/dev/null || bail "openssl req"
run "$CER/sign-intermediate.yaml" > run.out 2>&1 || bail "sign: $(cat run.out)"
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | sed 1d | tr -d ' '; }
ser() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr A-F a-f; }
OLD=$(ser state/intermediate.pem)

# the shipped file, renewing its own output
mkyaml() { # RENEW OUTPUT FILE
	sed -e "s|^    csr: intermediate.csr.*|    csr: intermediate.csr\n    renew: $1|" \
	    -e "s|^    output: intermediate.pem|    output: $2|" \
	    -e 's|^name: sign-intermediate|name: renew-intermediate|' \
	    "$CER/sign-intermediate.yaml" > "$3"
}
mkyaml intermediate.pem renewed.pem renew.yaml
check "the file with renew: parses (run --check)" \
	"$KC" run renew.yaml --check --site demo.site
cp "$T/.out" check.out
check "  ... the review names the certificate renewed" \
	grep -q "renews.*intermediate.pem" check.out
check "  ... and the renewal's rules" grep -q "renewal: the CSR must carry the key" check.out
check "the renewal ceremony runs (--batch)" run renew.yaml
check "  ... the renewal verifies under the root, same SKI and subject" sh -c \
	"openssl verify -x509_strict -CAfile state/root.pem state/renewed.pem >/dev/null &&
	test '$(ski state/intermediate.pem)' = \"\$(openssl x509 -in state/renewed.pem \
	-noout -ext subjectKeyIdentifier | sed 1d | tr -d ' ')\" &&
	test \"\$(openssl x509 -in state/renewed.pem -noout -subject)\" = \
	\"\$(openssl x509 -in state/intermediate.pem -noout -subject)\""
check "  ... recorded as a renewal of the old serial" sh -c \
	"'$KC' register list --state state | grep -q 'renewal of serial $OLD'"
tr=$(ls state/transcripts/renew-intermediate-*.log)
check "  ... the transcript lists the renewed certificate among the inputs" \
	grep -q "intermediate.pem" "$tr"
check "  ... and verifies" "$KC" transcript verify "$tr"

# refusals
sed 's|^    renew: intermediate.pem|    renew: notes.txt|' renew.yaml > bad-ext.yaml
check_fails "renew: a file without a certificate's extension" \
	"renew: notes.txt.*a certificate is read from a file whose name ends in" \
	"$KC" run bad-ext.yaml --check --site demo.site
mkyaml missing.pem r2.pem missing.yaml
check_fails "renew: a missing input (preflight)" "missing.pem" run missing.yaml
check "  ... nothing written" test ! -e state/r2.pem
mkyaml root.pem r3.pem root.yaml
check_fails "renew: the root (the step fails)" "root.pem: a self-signed \(root\) certificate" \
	run root.yaml
check "  ... nothing written" test ! -e state/r3.pem
done_testing

#!/bin/sh
# Issue 14, items 5 and 4, through the real TUI on SoftHSM.
# 5: a signature is confirmed ONCE: one box with the subject, the key
#    (algorithm, size, SubjectPublicKeyInfo SHA-256), the validity, the
#    CSR's SHA-256 and what the CSR asked for that is ignored; SIGN typed
#    once signs.
# 4: Esc at the EXPORT step after SIGN asks first (n goes back to the
#    question); y ends the ceremony ABORTED, and the End screen then offers
#    to export the certificate the aborted ceremony made. The runbook's
#    recovery (docs/runbook.md, "After an aborted ceremony") is followed as
#    written: transcript verify, the rerun's preflight refuses the existing
#    output, and `keyceremony export --state --to` exports what was left.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$KC_TOP_SRCDIR/tests/fixtures/tui/intermediate.yaml" "$T/"
mkdir -p "$T/rstate" "$T/rmedia" "$T/state" "$T/media"
check "root made with run --batch" "$KC" run "$T/root.yaml" --batch --module "$MODULE" \
	--token root --pin-file "$T/pin" --state "$T/rstate" --media "$T/rmedia" --network warn
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/factory.key" \
	-subj "/CN=Example Factory CA 1/O=Example GmbH/C=DE" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:3" \
	-addext "subjectAltName=DNS:factory.example" -out "$T/factory.csr" 2>/dev/null
cp "$T/rstate/root.pem" "$T/factory.csr" "$T/state/"
csr_sha=$(sha256sum "$T/factory.csr" | cut -c1-64)
spki_sha=$(openssl req -in "$T/factory.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
one() { echo "$1" | sed 's/\(........\)/\1 /g; s/ $//'; }
site_file "$T/site.yaml" root

tui_start "$KC tui intermediate.yaml --site site.yaml --role officer=Oscar --role witness=Wendy > stdout.txt"
wait_for "Ceremony files in"; keys Enter
wait_for "Who is in the room?"; keys Enter
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
expect "step 1 shown" "Step 1 of 2: intermediate-sign" 20
keys Enter
expect "the one confirmation" "will sign this intermediate CA" 20
capture sign-p1
keys PageDown
wait_for "lines 11-" 10 >/dev/null
capture sign-p15
keys PageDown
expect "  ... read to the end, it asks for SIGN" "Type SIGN and press Enter" 20
capture sign-p2
cat "$T/sign-p1.txt" "$T/sign-p15.txt" "$T/sign-p2.txt" | tr -s ' ' > "$T/sign-all.txt"
check "  ... is the certificate to be issued (not 'subject: as in the CSR')" \
	grep -q "will sign this intermediate CA" "$T/sign-all.txt"
check "  ... names the step" grep -q "Step 1 of 2: Sign the factory intermediate CA" "$T/sign-all.txt"
check "  ... shows the subject" grep -q 'subject (from the CSR): "/CN=Example Factory CA 1/O=Example GmbH/C=DE"' "$T/sign-all.txt"
check "  ... the key's algorithm and size" grep -q "key ec-p384 (384 bits, from the CSR)" "$T/sign-all.txt"
check "  ... the key's SPKI SHA-256 (= openssl pkey -pubin -outform DER | sha256sum)" \
	grep -Fq "$(one "$spki_sha")" "$T/sign-all.txt"
check "  ... the validity" grep -Eq "validity [0-9-]+ [0-9:]+ UTC to [0-9-]+ [0-9:]+ UTC" "$T/sign-all.txt"
check "  ... the CSR's SHA-256 in the one form" grep -Fq "$(one "$csr_sha" | cut -d' ' -f1-4)" "$T/sign-p1.txt"
check "  ... the ignored requests (pathlen:3, subjectAltName)" sh -c \
	"grep -q IGNORED '$T/sign-all.txt' && grep -q 'pathlen:3' '$T/sign-all.txt' && grep -q 'subjectAltName' '$T/sign-all.txt'"
type_text SIGN; keys Enter
expect "SIGN typed once signs" "done; press Enter to go on" 60
check "the certificate is written" test -s "$T/state/factory-ca.pem"
check_fails "  ... no second SIGN was asked (one confirmation record in the transcript)" "^1$" \
	sh -c "grep -c 'step=sign-factory' \"\$(ls -t '$T'/state/transcripts/*.log | head -1)\"; false"
tr=$(ls -t "$T"/state/transcripts/*.log | head -1)
check "  ... the step's record says who confirmed it" grep -q 'step=sign-factory .*confirm="confirmed by officer (Oscar)' "$tr"

# item 4: Esc at EXPORT asks; n goes back to the question
keys Enter
expect "export step" "Step 2 of 2: export"
keys Enter
expect "EXPORT is asked" "Type EXPORT and press Enter" 20
keys Escape
expect "Esc asks first" "Decline this step? The ceremony stops"
keys n
expect "n: back to the question" "Type EXPORT and press Enter" 10
check "  ... nothing declined yet" sh -c "! grep -q 'result=declined' '$tr'"
keys Escape
expect "Esc again asks" "Decline this step?"
keys y
expect "y declines" "step declined" 20
keys Enter
expect "the ceremony ends ABORTED" "CEREMONY ABORTED" 20
expect "  ... and the End screen offers to export the certificate it made" "e export to the media" 10
capture end-aborted
check "  ... saying that a step wrote outputs" sh -c "tr -d '\n' < '$T/end-aborted.txt' | tr -s ' ' | grep -q '1 step wrote outputs before the ceremony stopped: press e'"
keys e
expect "the export asks for EXPORT" "Type EXPORT and press Enter"
type_text EXPORT; keys Enter
expect "exported from the End screen" "SHA256SUMS written" 20
keys q
[ "$(wait_exit 10)" = 1 ] && ok "an aborted ceremony exits 1" || not_ok "an aborted ceremony exits 1"
check "the medium has the certificate" cmp "$T/media/factory-ca.pem" "$T/state/factory-ca.pem"
check "  ... and the aborted transcript" cmp "$T/media/$(basename "$tr")" "$tr"
check "  ... SHA256SUMS checks" sh -c "cd '$T/media' && sha256sum -c --strict SHA256SUMS"

# the runbook's recovery, as written (docs/runbook.md)
digest=$(sed -n 's/^final digest //p' "$T/stdout.txt")
check "recovery 1: transcript verify with the digest written down" "$KC" transcript verify "$tr" --digest "$digest"
check "  ... says ABORTED" sh -c "'$KC' transcript verify '$tr' --digest '$digest' | grep -q ABORTED"
check_fails "recovery 2: run the same ceremony again: preflight refuses the existing output" \
	"output .*factory-ca.pem exists already" \
	"$KC" run "$T/intermediate.yaml" --batch --module "$MODULE" --token root --pin-file "$T/pin" \
	--state "$T/state" --media "$T/media" --network warn
check "  ... and nothing more was signed" sh -c "[ \$(ls '$T'/state/transcripts/*.log | wc -l) -ge 1 ] && cmp '$T/media/factory-ca.pem' '$T/state/factory-ca.pem'"
mkdir "$T/media2"
check "recovery 3: left the End screen without exporting: keyceremony export" \
	"$KC" export --state "$T/state" --to "$T/media2"
check "  ... the medium has the certificate" cmp "$T/media2/factory-ca.pem" "$T/state/factory-ca.pem"
check "  ... and SHA256SUMS checks" sh -c "cd '$T/media2' && sha256sum -c --strict SHA256SUMS"

# positive pair: a completed ceremony's End offers no second export
done_testing

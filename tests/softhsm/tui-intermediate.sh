#!/bin/sh
# A sign-intermediate ceremony through the TUI on SoftHSM: the CSR is shown
# with its SHA-256 (the one hash form and PGP words) before a typed SIGN, the
# new certificate's fingerprint and the final digest are on screen, and the
# certificate has the same profile as the one `keyceremony run --batch`
# signs from the same CSR and ceremony file.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$KC_TOP_SRCDIR/tests/fixtures/tui/intermediate.yaml" "$T/"
mkdir -p "$T/rstate" "$T/rmedia" "$T/state" "$T/media" "$T/bstate" "$T/bmedia"
check "root made with run --batch" "$KC" run "$T/root.yaml" --batch --module "$MODULE" \
	--token root --pin-file "$T/pin" --state "$T/rstate" --media "$T/rmedia" --network warn
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/factory.key" \
	-subj "/CN=Example Factory CA 1/O=Example GmbH/C=DE" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:3" -out "$T/factory.csr" 2>/dev/null
for d in state bstate; do cp "$T/rstate/root.pem" "$T/factory.csr" "$T/$d/"; done
csr_sha=$(sha256sum "$T/factory.csr" | cut -c1-64)
site_file "$T/site.yaml" root

tui_start "$KC tui intermediate.yaml --site site.yaml > stdout.txt"
expect "home lists the ceremony" "Sign the factory intermediate CA"
keys Enter
tui_roles "Oscar Officer" "Wendy Witness"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
expect "step 1 shown" "Step 1 of 2: intermediate-sign" 20
keys Enter
# one confirmation per signature (issue 14 item 5): the certificate to be
# issued, then SIGN typed once
expect "the certificate to be issued is shown" "will sign this intermediate CA" 20
expect "... and must be read to the end" "Read it all first: PgDn shows the rest."
capture confirm-sign
type_text SIGN; keys Enter
sleep 0.5
if [ ! -e "$T/state/factory-ca.pem" ] && screen | grep -q "Read it all first: PgDn shows the rest."; then
	ok "SIGN before reading it all is not taken"; else not_ok "SIGN before reading it all is not taken"; fi
keys PageDown
wait_for "lines 11-" 10 >/dev/null
capture confirm-sign-mid
keys PageDown
expect "the end of the text" "Type SIGN and press Enter"
capture confirm-sign-end
g1=$(hash_form "$csr_sha" | cut -d' ' -f1-4)
if grep -Fq "$g1" "$T/confirm-sign.txt"; then ok "the CSR's SHA-256 is shown in the one hash form, on page 1"
else not_ok "the CSR's SHA-256 is shown in the one hash form, on page 1"; diag "want $g1"; fi
cat "$T/confirm-sign.txt" "$T/confirm-sign-mid.txt" "$T/confirm-sign-end.txt" > "$T/confirm-all.txt"
grep -q "IGNORED" "$T/confirm-all.txt" && grep -q "pathlen:3" "$T/confirm-all.txt" && grep -q "pathLen 0" "$T/confirm-all.txt" \
	&& ok "requested (pathlen:3, ignored) vs issued (pathLen 0) is shown" || not_ok "requested vs issued is shown"
keys BSpace BSpace BSpace BSpace
type_text SIGN; keys Enter
expect "signed" "done; press Enter to go on" 60
capture operation-signed
check "the certificate is written" test -s "$T/state/factory-ca.pem"
fp=$(fp_groups "$T/state/factory-ca.pem")
expect "the screen shows the new fingerprint" "$(echo "$fp" | cut -d' ' -f1-4)"
check "openssl verify -x509_strict against the root" openssl verify -x509_strict \
	-CAfile "$T/state/root.pem" "$T/state/factory-ca.pem"
check "certtool --verify-chain" sh -c "cat '$T/state/factory-ca.pem' '$T/state/root.pem' | certtool --verify-chain"
keys Enter
expect "export step" "Step 2 of 2: export"
tui_step EXPORT && ok "exported" || not_ok "exported"
keys Enter
expect "end screen" "CEREMONY COMPLETED (REHEARSAL)" 20
capture end-intermediate
keys q
[ "$(wait_exit 10)" = 0 ] && ok "exit 0" || not_ok "exit 0"
digest=$(sed -n 's/^final digest //p' "$T/stdout.txt")
row1=$(hash_form "$digest" | cut -d' ' -f1-4 | sed 's/ /   /g')
grep -Fq "$row1" "$T/end-intermediate.txt" && ok "the End screen shows the final digest" || not_ok "the End screen shows the final digest"
tr=$(ls -t "$T"/state/transcripts/*.log | head -1)
check "transcript verify with the digest" "$KC" transcript verify "$tr" --digest "$digest"
check "the media has the certificate" cmp "$T/media/factory-ca.pem" "$T/state/factory-ca.pem"

# a ceremony without an export step: End offers the export (typed EXPORT)
# (a name of its own: the first intermediate from this CSR is still valid)
sed -e '/^  - id: export/,$d' -e 's/factory-ca.pem/factory-ca-2.pem/' \
	-e 's|^    csr: factory.csr.*|&\n    subject: /CN=Example Factory CA 2/O=Example GmbH/C=DE|' \
	"$T/intermediate.yaml" > "$T/sign-only.yaml"
tui_start "$KC tui sign-only.yaml --site site.yaml --role officer=Oscar --role witness=Wendy"
wait_for "Ceremony files in"; keys Enter
wait_for "Who is in the room?"; keys Enter
tui_preflight && ok "second ceremony: preflight" || not_ok "second ceremony: preflight"
keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
wait_for "Step 1 of 1" 20
tui_step SIGN && ok "second ceremony: signed" || not_ok "second ceremony: signed"
keys Enter
expect "End offers the export" "e export to the media" 20
keys e
expect "the export asks for EXPORT" "Type EXPORT and press Enter"
type_text EXPORT; keys Enter
expect "exported from the End screen" "SHA256SUMS written" 20
keys q
[ "$(wait_exit 10)" = 0 ] && ok "second ceremony exits 0" || not_ok "second ceremony exits 0"
check "the media has the second certificate" cmp "$T/media/factory-ca-2.pem" "$T/state/factory-ca-2.pem"
check "SHA256SUMS on the media checks" sh -c "cd '$T/media' && sha256sum -c --strict SHA256SUMS"

check "the same ceremony with run --batch" "$KC" run "$T/intermediate.yaml" --batch --module "$MODULE" \
	--token root --pin-file "$T/pin" --state "$T/bstate" --media "$T/bmedia" --network warn
cert_profile "$T/state/factory-ca.pem" > "$T/p-tui"
cert_profile "$T/bstate/factory-ca.pem" > "$T/p-batch"
if [ -s "$T/p-tui" ] && cmp -s "$T/p-tui" "$T/p-batch"; then ok "TUI and batch certificates have the same profile"
else not_ok "TUI and batch certificates have the same profile"; diff "$T/p-tui" "$T/p-batch" | sed 's/^/# /'; fi
grep -q "pathlen:0" "$T/p-tui" && ok "the profile says pathlen:0 (the ceremony's, not the CSR's 3)" || not_ok "pathlen:0 issued"
done_testing

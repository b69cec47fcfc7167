#!/bin/sh
# Issue 14 item 6: `keyceremony run FILE --check` validates a ceremony file
# ALONE (no site profile, token, PIN or state directory: the runbook's
# preparation step, taken from docs/runbook.md and run as written) and
# prints what each step will issue: subject, key label and algorithm,
# signing key, validity window, extensions, inputs, outputs. The text is
# deterministic (same bytes every run, whatever the time zone, locale or
# environment) and checked against the values of every ceremony file
# shipped in ceremony/, and byte for byte against a golden text for a test
# ceremony. A broken file is still refused with file:line; a given site
# profile is still validated; hostile titles are shown escaped; nothing is
# created and no token module is loaded.
. "$KC_TOP_SRCDIR/tests/lib.sh"

RUNBOOK=$KC_TOP_SRCDIR/docs/runbook.md
mkdir "$T/prep" && cd "$T/prep" || bail "cd"
# no token anywhere: a module load would fail loudly
export KEYCEREMONY_MODULE=/nonexistent/module.so SOFTHSM2_CONF=/nonexistent/softhsm2.conf

# the runbook's preparation command, as written
RB=$(awk '/^       keyceremony run .* --check/ { sub(/^ +/, ""); print; exit }' "$RUNBOOK")
case $RB in "keyceremony run root-ca.yaml --check > root-ca-review.txt") ok "runbook preparation command: $RB" ;;
	*) not_ok "runbook preparation command found: '$RB'" ;; esac
cp "$KC_TOP_SRCDIR/ceremony/root-ca.yaml" .
check "runbook: $RB (no site, no token, no state)" sh -c "\"\$KC\" ${RB#keyceremony }"
# the one hash form (kc_hash_show): lower-case hex in groups of eight
hform() { sha256sum "$1" | cut -c1-64 | sed 's/\(........\)/\1 /g; s/ $//'; }
grep -q "^root-ca.yaml: ceremony 'root-ca' is valid: 2 roles, 3 steps (SHA-256 $(hform root-ca.yaml))$" root-ca-review.txt &&
	ok "the review ends with the validity line and the file's SHA-256" || not_ok "validity line"
grep -q "^  SHA-256 $(hform root-ca.yaml)$" root-ca-review.txt && ok "the SHA-256 to record is at the top" ||
	not_ok "SHA-256 line"
[ "$(ls)" = "$(printf 'root-ca-review.txt\nroot-ca.yaml')" ] && ok "nothing else created (no state, no transcript)" ||
	not_ok "created: $(ls | tr '\n' ' ')"

# the README's row, as written (from the source tree's top directory)
RM=$(sed -n 's/^| what a ceremony file will issue.* | `\(keyceremony run [^`]*--check\)` |$/\1/p' "$KC_TOP_SRCDIR/README.md")
[ "$RM" = "keyceremony run ceremony/root-ca.yaml --check" ] && ok "README row: $RM" || not_ok "README row found: '$RM'"
check "README: $RM (in the source tree, no site)" sh -c "cd '$KC_TOP_SRCDIR' && \"\$KC\" ${RM#keyceremony }"
grep -q "^ceremony/root-ca.yaml: ceremony 'root-ca' is valid" "$T/.out" && ok "README command: valid" || not_ok "README command output"

# every shipped ceremony file: alone, its values in the text, twice the same
n=0
for f in "$KC_TOP_SRCDIR"/ceremony/*.yaml; do
	b=$(basename "$f" .yaml)
	if ! "$KC" run "$f" --check > "$b.1" 2> "$b.err"; then
		not_ok "$b: --check alone"; sed 's/^/#   /' "$b.err"; continue
	fi
	[ -s "$b.err" ] && { not_ok "$b: nothing on stderr"; sed 's/^/#   /' "$b.err"; }
	TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 env -u HOME "$KC" run "$f" --check > "$b.2" 2>&1
	( cd / && TZ=UTC "$KC" run "$f" --check ) > "$b.3" 2>&1
	cmp -s "$b.1" "$b.2" && cmp -s "$b.1" "$b.3" || { not_ok "$b: deterministic"; diff "$b.1" "$b.2" | sed 's/^/#   /'; }
	# the values of the file (uncommented) are in the text
	miss=""
	vals() { sed -n "s/^ *$1: *\\([^#]*[^# ]\\).*/\\1/p" "$f"; }
	for v in $(vals key-label); do grep -q "new key: label $v, algorithm " "$b.1" || miss="$miss key-label:$v"; done
	for v in $(vals algorithm); do grep -q "algorithm $v, generated inside the token" "$b.1" || miss="$miss algorithm:$v"; done
	for v in $(vals issuer-key); do grep -q "signed by: key $v in the token" "$b.1" || miss="$miss issuer-key:$v"; done
	for v in $(vals days); do grep -q "notAfter = notBefore + $v days" "$b.1" || miss="$miss days:$v"; done
	for v in $(vals next-update-days); do grep -q "nextUpdate = thisUpdate + $v days" "$b.1" || miss="$miss next-update-days:$v"; done
	for v in $(vals path-len); do grep -q "basicConstraints: critical, CA:TRUE, pathlen:$v" "$b.1" || miss="$miss path-len:$v"; done
	for v in $(vals output); do grep -q "output: $v (in the state directory" "$b.1" || miss="$miss output:$v"; done
	vals subject > "$b.subjects"
	while read -r v; do grep -qF "subject: $v" "$b.1" || miss="$miss subject:$v"; done < "$b.subjects"
	grep -q "^  SHA-256 $(hform "$f")$" "$b.1" || miss="$miss sha256"
	steps=$(grep -c '^  - id:' "$f"); roles=$(sed -n '/^roles:/,/^steps:/p' "$f" | grep -c '^  - id:')
	grep -q "^Steps ($((steps - roles))), " "$b.1" || miss="$miss steps"
	grep -q "extensions" "$b.1" || miss="$miss extensions"
	if [ -z "$miss" ]; then n=$((n + 1)); else not_ok "$b: the text shows the file's values (missing:$miss)"; fi
done
[ "$n" -ge 4 ] && ok "$n shipped ceremony files: checked alone, deterministic, every value shown" || not_ok "only $n shipped files"
grep -q "keyUsage: critical, keyCertSign, cRLSign, digitalSignature" root-ca.1 &&
	grep -q "extendedKeyUsage: clientAuth" dps-proof-of-possession.1 &&
	grep -q "revokes: intermediate.pem" revoke-intermediate.1 && grep -q "with reason keyCompromise" revoke-intermediate.1 &&
	grep -q "signed by: key root-2026 in the token (ec-p384, made by step create-root above), signature with SHA-384" root-ca.1 &&
	ok "extensions, revocations and the signing key as the profile writes them" || not_ok "profile details"

# the golden text of a test ceremony, byte for byte (docs: keyceremony(1) --check)
cat > review.yaml <<'EOC'
keyceremony: 1
name: review-test
title: Review text test
description: A root, its CRL, an intermediate, a DPS certificate.
roles:
  - id: officer
    title: Security officer
    duty: confirms each step
  - id: witness
    title: Witness
steps:
  - id: root
    title: Make the root
    action: root-create
    role: officer
    witness: witness
    key-label: root-rsa
    algorithm: rsa-3072
    subject: /CN=Review Root/O=Example/C=DE
    days: 3650
    output: root.pem
  - id: sub
    title: Sign the intermediate
    action: intermediate-sign
    role: officer
    witness: witness
    issuer-key: root-rsa
    issuer-cert: root.pem
    csr: sub.csr
    subject: /CN=Review Sub/O=Example/C=DE
    days: 365
    path-len: 1
    output: sub.pem
  - id: dps
    title: DPS proof
    action: verification-sign
    role: officer
    issuer-key: other-key
    issuer-cert: root.pem
    code: ABC123
    days: 1
    output: dps.pem
  - id: crl
    title: Revoke the intermediate
    action: crl-issue
    role: officer
    witness: witness
    issuer-key: root-rsa
    issuer-cert: root.pem
    revoke: sub.pem
    reason: superseded
    next-update-days: 7
    output: root-1.crl
EOC
cat > review.expected <<'EOG'
Ceremony review-test: Review text test
  file review.yaml
  SHA-256 02250c1f c9b8fb45 b687ecdb df12aa5e 507f2623 c64cfe39 1406b8ed 20cfd17a
  (write the SHA-256 on the paper record: the transcript records the SHA-256 of the file that runs)

Description:
  A root, its CRL, an intermediate, a DPS certificate.

Roles (2):
  officer: Security officer - confirms each step
  witness: Witness

Steps (4), what each will do and issue:

  1/4 root: Make the root
      action: root-create (line 12), performed by officer, witnessed by witness
      issues: a self-signed root CA certificate (profile root)
      new key: label root-rsa, algorithm rsa-3072, generated inside the token: sign-only, sensitive, never extractable
      subject: /CN=Review Root/O=Example/C=DE
      issuer: the same (self-signed)
      signature: with the new key, SHA-256
      serial: 127 random bits from the token
      validity: notBefore = the moment of signing (UTC, the clock confirmed at preflight), notAfter = notBefore + 3650 days (10.0 years)
      extensions (the profile decides; a CSR's requests are ignored):
        basicConstraints: critical, CA:TRUE
        keyUsage: critical, keyCertSign, cRLSign, digitalSignature
        subjectKeyIdentifier: SHA-1 of the subject's public key
        authorityKeyIdentifier: keyid, the same as the subjectKeyIdentifier (self-signed)
      output: root.pem (in the state directory; must not exist yet)

  2/4 sub: Sign the intermediate
      action: intermediate-sign (line 22), performed by officer, witnessed by witness
      issues: an intermediate CA certificate (profile intermediate)
      CSR: sub.csr (must be in the state directory: imported from the medium or kept from an earlier ceremony)
      subject: /CN=Review Sub/O=Example/C=DE (replaces the CSR's subject)
      subject key: the CSR's key (its signature is checked; EC P-256, P-384 or RSA of at least 2048 bits; not the root's key)
      signed by: key root-rsa in the token (rsa-3072, made by step root above), signature with SHA-256
      issuer certificate: root.pem (written by step root above)
      serial: 127 random bits from the token, never used before by this issuer (register)
      validity: notBefore = the moment of signing (UTC), notAfter = notBefore + 365 days (1.0 years); refused if that is after the issuer certificate's notAfter
      extensions (the profile decides; a CSR's requests are ignored):
        basicConstraints: critical, CA:TRUE, pathlen:1
        keyUsage: critical, keyCertSign, cRLSign, digitalSignature
        subjectKeyIdentifier: SHA-1 of the subject's public key
        authorityKeyIdentifier: keyid of the issuer certificate's subjectKeyIdentifier
      output: sub.pem (in the state directory; must not exist yet)

  3/4 dps: DPS proof
      action: verification-sign (line 34), performed by officer, no witness named
      issues: an Azure DPS proof-of-possession (verification) certificate (profile verification)
      subject: /CN=ABC123 (the verification code)
      subject key: a throwaway EC P-256 key made in memory and freed at once (DPS checks only the signature)
      signed by: key other-key in the token, which must be the key of the issuer certificate (checked before signing); SHA-384 for a P-384 or RSA-4096 key, SHA-256 otherwise
      issuer certificate: root.pem (written by step root above)
      serial: 127 random bits from the token
      validity: notBefore = the moment of signing (UTC), notAfter = notBefore + 1 day; refused if that is after the issuer certificate's notAfter
      extensions (the profile decides; a CSR's requests are ignored):
        basicConstraints: critical, CA:FALSE
        keyUsage: critical, digitalSignature
        extendedKeyUsage: clientAuth
        subjectKeyIdentifier: SHA-1 of the subject's public key
        authorityKeyIdentifier: keyid of the issuer certificate's subjectKeyIdentifier
      output: dps.pem (in the state directory; must not exist yet)

  4/4 crl: Revoke the intermediate
      action: crl-issue (line 43), performed by officer, witnessed by witness
      issues: a CRL (version 2) of the issuer
      signed by: key root-rsa in the token (rsa-3072, made by step root above), signature with SHA-256
      issuer certificate: root.pem (written by step root above)
      revokes: sub.pem (written by step sub above)
        with reason superseded (its serial and subject are shown on the day)
      lists: that certificate and every certificate of this issuer the register records as revoked
      validity: thisUpdate = the moment of signing (UTC), nextUpdate = thisUpdate + 7 days
      extensions: cRLNumber (the register's next number), authorityKeyIdentifier (keyid of the issuer certificate); each entry: revocation date, reasonCode
      output: root-1.crl (in the state directory; must not exist yet)

No export step: export the outputs afterwards (keyceremony export, or e on the End screen).

Checked: the file alone (format, keys, names, subjects, algorithms, validity, paths). Not checked here: the site, the token, the state directory and its inputs (preflight does that on the day).

review.yaml: ceremony 'review-test' is valid: 2 roles, 4 steps (SHA-256 02250c1f c9b8fb45 b687ecdb df12aa5e 507f2623 c64cfe39 1406b8ed 20cfd17a)
EOG
"$KC" run review.yaml --check > review.out 2>&1
if cmp -s review.expected review.out; then ok "golden review text"; else not_ok "golden review text"; diff review.expected review.out | sed 's/^/#   /'; fi
# the golden ceremony really does what the text says: the profile's own
# extensions (kc_profile_extensions is what kc_cert_build uses) are
# covered by the certificates of tests/softhsm; here the values it names
grep -q "basicConstraints: critical, CA:TRUE, pathlen:1" review.out && grep -q "subject: /CN=ABC123 (the verification code)" review.out &&
	grep -q "notAfter = notBefore + 1 day;" review.out && grep -q "^No export step" review.out &&
	ok "path length, DPS subject, one day, no export step" || not_ok "golden details"

# a site profile given with --check is still validated; a missing one refused
demo_site_file() { printf 'keyceremony-site: 1\nname: t\ntoken:\n  label: x\nstate: s\nmedia: m\n' > "$1"; }
demo_site_file good.site
check "--check with a site profile validates both" "$KC" run root-ca.yaml --check --site good.site
grep -q "Site profile \"good.site\": valid" "$T/.out" && ok "the site is reported valid" || not_ok "site line"
printf 'keyceremony-site: 1\nname: t\nbogus: 1\n' > bad.site
check_fails "--check with a broken site profile is refused" "bad.site:3: .*bogus" "$KC" run root-ca.yaml --check --site bad.site
check_fails "--check with a missing site profile is refused" "nosuch.site" "$KC" run root-ca.yaml --check --site nosuch.site

# broken ceremony files: refused with file:line, nothing printed as valid
sed 's/days: 7300 /days: 0 /' root-ca.yaml > bad-days.yaml
check_fails "--check alone refuses a bad validity with file:line" "bad-days.yaml:[0-9]+: .*days" "$KC" run bad-days.yaml --check
sed 's/^    algorithm: ec-p384 /    algorithm: dsa-1024 /' root-ca.yaml > bad-alg.yaml
check_fails "--check alone refuses a bad algorithm" "bad-alg.yaml:[0-9]+: algorithm 'dsa-1024' cannot make a root key" "$KC" run bad-alg.yaml --check
sed 's/^    subject: .*/    subject: \/XX=nope/' root-ca.yaml > bad-subject.yaml
check_fails "--check alone refuses a bad subject" "bad-subject.yaml:[0-9]+: invalid subject" "$KC" run bad-subject.yaml --check
grep -q "is valid" "$T/.out" && not_ok "a refused file is not called valid" || ok "a refused file is not called valid"
check_fails "--check of a missing file" "nosuch.yaml" "$KC" run nosuch.yaml --check
# without --check the site is still needed
check_fails "a real run still needs a site or a token" "no token label: give --site or --token" "$KC" run root-ca.yaml --batch

# hostile titles and descriptions: bidi and invisible characters pass the
# file's rules and are shown escaped; control characters are refused
python3 - <<'EOPY'
t = open("root-ca.yaml", encoding="utf-8").read()
h = t.replace("title: Create the offline root CA", "title: \"Root \u202e\u2066AC\u2069 red\u200b\ufeff\"")
h = h.replace("    duty: enters the PIN", "    duty: \u202eenters the PIN")
open("hostile.yaml", "w", encoding="utf-8").write(h)
open("hostile-esc.yaml", "w", encoding="utf-8").write(t.replace("    title: Security officer", "    title: \"Officer \x1b]0;pwned\x07\""))
EOPY
check "bidi and invisible characters in titles: the file is valid" "$KC" run hostile.yaml --check
"$KC" run hostile.yaml --check > hostile.out 2>&1
grep -q '^Ceremony root-ca: Root .*AC.* red' hostile.out && ok "the hostile title is shown" || not_ok "hostile title shown"
check_fails "an escape sequence in a role title is refused" "hostile-esc.yaml:[0-9]+: not valid YAML: control characters are not allowed" \
	"$KC" run hostile-esc.yaml --check
cat "$T/.out" >> hostile.out
if python3 -c "import sys; d=open('hostile.out','rb').read(); sys.exit(any(b in d for b in (b'\x1b', b'\x07', '\u202e'.encode(), '\u2066'.encode(), '\u2069'.encode(), '\u200b'.encode(), '\ufeff'.encode())))"; then
	ok "no raw escape, bidi or invisible character reaches the terminal"
else not_ok "raw control characters in the --check output"; sed 's/^/#   /' hostile.out; fi
done_testing

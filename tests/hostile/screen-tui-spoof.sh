#!/bin/sh
# The SIGN dialog cannot be given a fake CSR hash (issue 12, item 3): a CSR
# whose subject ends in the SHA-256 of the legitimate CSR
# (ST=CSR SHA-256 <hash>) is shown with its OWN hash first, as the only
# hash block (the one hash form, PGP words) on page 1; the subject's text only
# quoted inside the labelled subject line, never drawn as a hash.
# Declining signs nothing. The same through `keyceremony run` on a
# terminal. Positive pair: the legitimate CSR's dialog shows its hash the
# same way.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$KC_TOP_SRCDIR/tests/fixtures/tui/intermediate.yaml" "$T/"
mkdir -p "$T/rstate" "$T/rmedia" "$T/state" "$T/media"
check "root made with run --batch" "$KC" run "$T/root.yaml" --batch --module "$MODULE" \
	--token root --pin-file "$T/pin" --state "$T/rstate" --media "$T/rmedia" --network warn
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/good.key" \
	-subj "/CN=Example Factory CA 1/O=Example GmbH/C=DE" -out "$T/good.csr" 2>/dev/null
good=$(sha256sum "$T/good.csr" | cut -c1-64)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/evil.key" \
	-subj "/CN=Evil Factory CA/ST=CSR SHA-256 $good" -out "$T/evil.csr" 2>/dev/null
evil=$(sha256sum "$T/evil.csr" | cut -c1-64)
site_file "$T/site.yaml" root
# the one form of a hash (kc_hash_show): lower-case groups of eight; the
# first of the block's two lines
groups() { echo "$1" | sed 's/\(........\)/\1 /g' | cut -d' ' -f1-4; }

# sign_dialog CSR NAME: runs the ceremony in the TUI up to the SIGN
# question of the operation; keeps page 1 in $T/NAME-p1.txt and the rest
# (after PgDn) in $T/NAME-p2.txt, then declines with Esc.
sign_dialog() {
	rm -rf "$T/state" "$T/media"; mkdir -p "$T/state" "$T/media"
	cp "$T/rstate/root.pem" "$T/state/"; cp "$1" "$T/state/factory.csr"
	tui_start "$KC tui intermediate.yaml --site site.yaml --role officer=Oscar --role witness=Wendy > stdout-$2.txt"
	wait_for "Ceremony files in" || return 1; keys Enter
	wait_for "Who is in the room?" || return 1; keys Enter
	tui_preflight || return 1
	keys Enter
	wait_for "The officer types the user PIN" || return 1; type_text 123456; keys Enter
	wait_for "Step 1 of 2: intermediate-sign" 20 || return 1
	keys Enter
	# one confirmation (issue 14 item 5): the certificate to be issued
	wait_for "will sign this intermediate CA" 20 || return 1
	screen > "$T/$2-p1.txt"
	keys PageDown; wait_for "lines 11-" 10 || return 1
	keys PageDown
	wait_for "Type SIGN and press Enter" 20 || return 1
	screen > "$T/$2-p2.txt"
	keys Escape
	wait_for "Decline this step?" 10 || return 1
	keys y
	return 0
}

sign_dialog "$T/evil.csr" evil && ok "the spoofing CSR reaches the SIGN dialog" || not_ok "the spoofing CSR reaches the SIGN dialog"
g_evil=$(groups "$evil"); g_good=$(groups "$good")
check "page 1 shows the CSR's real SHA-256 (the one hash form)" grep -Fq "$g_evil" "$T/evil-p1.txt"
if cat "$T/evil-p1.txt" "$T/evil-p2.txt" | grep -Fq "$g_good"; then
	not_ok "the legitimate CSR's hash is never drawn as a hash block"
else ok "the legitimate CSR's hash is never drawn as a hash block"; fi
l_hash=$(grep -nF "$g_evil" "$T/evil-p1.txt" | head -1 | cut -d: -f1)
l_subj=$(cat "$T/evil-p1.txt" "$T/evil-p2.txt" | grep -n 'subject (from the CSR): "' | head -1 | cut -d: -f1)
if [ -n "$l_hash" ] && [ -n "$l_subj" ] && [ "$l_hash" -lt "$l_subj" ]; then ok "the real hash comes before the subject"
else not_ok "the real hash comes before the subject ($l_hash, $l_subj)"; fi
check "the subject is quoted and labelled" sh -c "cat '$T/evil-p1.txt' '$T/evil-p2.txt' | grep -q 'subject (from the CSR): \"/CN=Evil Factory CA/ST=CSR SHA-256'"
check "the spoofed value shows only as text" sh -c "cat '$T/evil-p1.txt' '$T/evil-p2.txt' | tr -d ' |\n' | grep -q '$good'"
expect "declined: nothing was signed" "not confirmed; nothing was signed" 20
check "nothing was signed" test ! -e "$T/state/factory-ca.pem"

sign_dialog "$T/good.csr" good && ok "positive: the legitimate CSR reaches the SIGN dialog" || not_ok "positive: the legitimate CSR reaches the SIGN dialog"
check "positive: page 1 shows its SHA-256 (the one hash form)" grep -Fq "$g_good" "$T/good-p1.txt"
check "positive: its subject is quoted and labelled" sh -c "cat '$T/good-p1.txt' '$T/good-p2.txt' | grep -q 'subject (from the CSR): \"/CN=Example Factory CA 1'"
# the same CSR through `keyceremony run` on a terminal: the CSR's own hash
# (and its PGP words) printed first, from the step's field; declined
rm -rf "$T/state" "$T/media"; mkdir -p "$T/state" "$T/media"
cp "$T/rstate/root.pem" "$T/state/"; cp "$T/evil.csr" "$T/state/factory.csr"
tui_start "$KC run intermediate.yaml --site site.yaml --role officer=Oscar --role witness=Wendy --pin-file '$T/pin' 2> run.err > run.out"
answered=0; i=0
while [ "$i" -lt 300 ] && [ ! -s "$T/tui.rc" ]; do
	c=$(screen | grep -c '\[y/N\]')
	if [ "$c" -gt "$answered" ]; then
		answered=$c
		if grep -q "will sign this intermediate CA" "$T/run.err"; then type_text n; else type_text y; fi
		keys Enter
	fi
	sleep 0.1; i=$((i + 1))
done
[ "$(wait_exit 20)" != 0 ] && ok "run: declined, the run fails" || not_ok "run: declined, the run fails"
check "run: nothing was signed" test ! -e "$T/state/factory-ca.pem"
l_hash=$(grep -n "^  $(echo "$evil" | sed 's/\(........\)/\1 /g; s/ $//')\$" "$T/run.err" | head -1 | cut -d: -f1)
l_text=$(grep -n "will sign this intermediate CA" "$T/run.err" | head -1 | cut -d: -f1)
if [ -n "$l_hash" ] && [ -n "$l_text" ] && [ "$l_hash" -lt "$l_text" ]; then ok "run: the CSR's real SHA-256 comes first"
else not_ok "run: the CSR's real SHA-256 comes first ($l_hash, $l_text)"; sed 's/^/#   /' "$T/run.err"; fi
check "run: the hash is labelled as computed from the file" grep -q "^CSR SHA-256 (of the CSR file's bytes, computed by keyceremony):" "$T/run.err"
check "run: its PGP words follow" grep -q "^  PGP words: " "$T/run.err"
check "run: the legitimate hash only inside the quoted subject" sh -c "! grep -q '^ *$good\$' '$T/run.err' && grep -q 'subject (from the CSR): \"/CN=Evil Factory CA/ST=CSR SHA-256 $good\"' '$T/run.err'"
check "run: stderr and stdout are clean" python3 "$KC_TOP_SRCDIR/tests/hostile/screen-corpus.py" check "$T/run.err" "$T/run.out"

# bidi and invisible characters in a ceremony file's titles (YAML takes
# them; they are not signed): every screen shows them escaped
mkdir -p "$T/bidi"
printf '%s\n' 'keyceremony: 1' 'name: bidi' \
	"title: $(printf 'Root \342\200\256AC 1 \342\201\246x\342\201\251')" \
	'roles:' '  - id: officer' "    title: $(printf 'Officer\342\200\213 one')" \
	'steps:' '  - id: root' "    title: $(printf 'Make \357\273\277the root')" \
	'    action: root-create' '    role: officer' '    key-label: root-bidi' \
	'    algorithm: ec-p384' '    subject: /CN=Bidi Root/O=Example GmbH/C=DE' \
	'    days: 7300' '    output: root.pem' > "$T/bidi/bidi.yaml"
tui_start "$KC tui --ceremony-dir '$T/bidi' --site site.yaml"
expect "Home lists the ceremony with U+202E escaped" 'Root \u{202E}AC 1 \u{2066}x\u{2069}'
capture bidi-home
keys Enter
expect "the roles screen shows U+200B escaped" 'Officer\u{200B} one'
capture bidi-roles
keys C-c
for f in bidi-home bidi-roles; do
	check "screen $f is clean" python3 "$KC_TOP_SRCDIR/tests/hostile/screen-corpus.py" check "$T/$f.txt"
done

for f in evil-p1 evil-p2 good-p1 good-p2; do
	check "screen $f is clean" python3 "$KC_TOP_SRCDIR/tests/hostile/screen-corpus.py" check "$T/$f.txt"
done
done_testing

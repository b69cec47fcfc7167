#!/bin/sh
# The TUI's End screen shows the final digest as a QR code too (issue 16
# item 4): r on the End screen draws it in half blocks at 80x24; the
# screen captured from tmux, rendered module by module (a drawn block is
# light, as on a light-on-dark terminal), decodes with zbarimg to exactly
# the digest of the transcript; r goes back to hex and words; without a
# UTF-8 locale r says so instead of drawing escapes. The TUI's
# export step wrote the ceremony report to the medium (kc_engine_set_report).
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
mkdir -p "$T/state" "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
site_file "$T/site.yaml" root

tui_start "LANG=C.UTF-8 $KC tui root.yaml --site site.yaml > stdout.txt"
wait_for "Ceremony files in"; keys Enter
tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
wait_for "Step 1 of 2" 20
tui_step GENERATE && ok "root key generated" || not_ok "root key generated"
keys Enter
wait_for "Step 2 of 2: export"
tui_step EXPORT && ok "exported" || not_ok "exported"
keys Enter
expect "end screen" "CEREMONY COMPLETED (REHEARSAL)" 20
expect "the End screen offers the QR code" "r QR code"
keys r
expect "r: the QR code screen" "scan: the final digest in hex" 10
screen > "$T/qr-screen.txt"

# render: one module per column, two per line (U+2580 upper, U+2584 lower,
# U+2588 both light; space dark), 8 pixels a module, as a PGM
python3 - "$T/qr-screen.txt" "$T/qr.pgm" <<'EOPY'
import sys
rows = []
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    top = [c in "\u2580\u2588" for c in line]
    bot = [c in "\u2584\u2588" for c in line]
    rows += [top, bot]
w = max(len(r) for r in rows)
S = 8
out = bytearray()
for r in rows:
    line = bytearray()
    for x in range(w):
        line += (b"\xff" if x < len(r) and r[x] else b"\x00") * S
    out += bytes(line) * S
open(sys.argv[2], "wb").write(b"P5\n%d %d\n255\n" % (w * S, len(rows) * S) + out)
EOPY
zbarimg -q --raw "$T/qr.pgm" > "$T/qr.txt" 2>/dev/null
keys r
expect "r again: back to the digest and the words" "The same as PGP words:" 10
keys q
[ "$(wait_exit 10)" = 0 ] && ok "a completed ceremony exits 0" || not_ok "a completed ceremony exits 0"
tr=$(ls "$T"/state/transcripts/*.log | head -1)
d=$("$KC" transcript verify "$tr" | grep -Eo '([0-9a-f]{8} ){7}[0-9a-f]{8}' | tail -1 | tr -d ' ')
check "the transcript's digest is known" sh -c "echo '$d' | grep -Eq '^[0-9a-f]{64}$'"
check "the QR code on the screen decodes to exactly the final digest" test "$(cat "$T/qr.txt")" = "$d"
check "the QR code fits the 80x24 screen (19 lines of blocks)" test \
	"$(grep -c '[▀▄█]' "$T/qr-screen.txt")" -eq 19
check "the QR code screen shows nothing but blocks, spaces and our words" python3 -c "
import sys, unicodedata
s = open('$T/qr-screen.txt', encoding='utf-8').read()
sys.exit(any(unicodedata.category(c) in ('Cc', 'Cf') and c != '\n' for c in s))"
check "the TUI's export wrote the ceremony report to the medium" sh -c "ls '$T'/media/*-report.pdf"
m=$(ls "$T"/media/*-report.pdf | head -1)
check "  ... in SHA256SUMS, which checks" sh -c "cd '$T/media' && grep -q -- '-report.pdf\$' SHA256SUMS && sha256sum -c --strict SHA256SUMS"
pdftoppm -r 150 -gray -f 1 -l 1 "$m" "$T/rep" && zbarimg -q --raw "$T"/rep*.pgm > "$T/rq.txt" 2>/dev/null
check "  ... its QR code is the final digest too" grep -qx "$d" "$T/rq.txt"

# the pair: a terminal that is not UTF-8 (no LANG) gets a message, never
# bytes of half blocks drawn as escapes
softhsm2-util --init-token --free --label root2 --pin 123456 --so-pin 12345678 >/dev/null || bail "token root2"
mkdir -p "$T/state2" "$T/media2"
sed "s|$T/state|$T/state2|; s|$T/media|$T/media2|; s|label: root|label: root2|" "$T/site.yaml" > "$T/site2.yaml"
tui_start "env -u LANG -u LC_ALL -u LC_CTYPE $KC tui root.yaml --site site2.yaml > stdout2.txt"
wait_for "Ceremony files in"; keys Enter
tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
tui_preflight >/dev/null; keys Enter
wait_for "The officer types the user PIN"; type_text 123456; keys Enter
wait_for "Step 1 of 2" 20
tui_step GENERATE >/dev/null; keys Enter
wait_for "Step 2 of 2: export"; tui_step EXPORT >/dev/null; keys Enter
expect "C locale: end screen" "CEREMONY COMPLETED (REHEARSAL)" 20
keys r
expect "C locale: r says the QR code needs a UTF-8 terminal" "The QR code needs a UTF-8 terminal" 10
if screen | grep -q '~V\|\\x'; then not_ok "C locale: no escaped block bytes"; else ok "C locale: no escaped block bytes"; fi
keys q
[ "$(wait_exit 10)" = 0 ] && ok "C locale: exits 0" || not_ok "C locale: exits 0"
done_testing

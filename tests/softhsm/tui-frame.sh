#!/bin/sh
# The TUI's frame: refuses a terminal below 80x24 with a clear message;
# Ctrl-C asks before leaving and the terminal modes are the same afterwards
# (stty -a inside the pane); a resize in the middle is survived; works with
# TERM=vt100; SIGTERM restores the terminal; no terminal is a clear error.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
mkdir -p "$T/state" "$T/media" "$T/cer"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/cer/"
ARGS="--ceremony-dir $T/cer --module $MODULE --token root --state $T/state --media $T/media"

# below 80x24: a clear message, exit 1, terminal left alone
TUI_COLS=79 TUI_ROWS=24 tui_start "stty -a > before; $KC tui $ARGS; rc=\$?; stty -a > after; exit \$rc"
[ "$(wait_exit 10)" = 1 ] && ok "79x24 exits 1" || not_ok "79x24 exits 1"
expect "79x24 is refused with the size" "the terminal is 79x24; the ceremony screens"
expect "... and says what is needed" "need at least 80x24"
cmp -s "$T/before" "$T/after" && ok "stty unchanged after the refusal" || not_ok "stty unchanged after the refusal"
TUI_COLS=100 TUI_ROWS=23 tui_start "$KC tui $ARGS"
[ "$(wait_exit 10)" = 1 ] && ok "100x23 exits 1" || not_ok "100x23 exits 1"
expect "100x23 is refused" "the terminal is 100x23"

# the layering: only the drawing and input modules include curses
inc=$(grep -rl --include='*.[ch]' '^#include <n\{0,1\}curses' "$KC_TOP_SRCDIR"/src "$KC_TOP_SRCDIR"/include | sed 's|.*/src/||' | sort | tr '\n' ' ')
[ "$inc" = "ceremony/tui/draw.c ceremony/tui/input.c " ] && ok "only draw.c and input.c include curses" || not_ok "only draw.c and input.c include curses (found: $inc)"

# SIGHUP (the console closed) restores the terminal too
tui_start "stty -a > before3; sh -c 'echo \$\$ > pid3; exec $KC tui $ARGS'; rc=\$?; stty -a > after3; exit \$rc"
expect "started for SIGHUP" "Ceremony files in"
kill -HUP "$(cat "$T/pid3")"
rc=$(wait_exit 10)
[ "$rc" != timeout ] && [ "$rc" != 0 ] && ok "SIGHUP ends it (status $rc)" || not_ok "SIGHUP ends it (status $rc)"
cmp -s "$T/before3" "$T/after3" && ok "stty -a identical after SIGHUP" || not_ok "stty -a identical after SIGHUP"

# bad command lines and site profiles: one line naming what is wrong,
# before the screen starts
check_fails "a missing site profile is named" "nosuch.site" "$KC" tui --site "$T/nosuch.site"
printf 'keyceremony-site: 1\nname: x\nbogus: 1\n' > "$T/bad.site"
check_fails "a bad site profile names file and line" "bad.site:3:" "$KC" tui --site "$T/bad.site"
"$KC" tui --network sometimes >/dev/null 2>&1; [ $? -eq 2 ] && ok "--network other than warn/refuse exits 2" || not_ok "--network other than warn/refuse exits 2"
check_fails "--network says what it takes" "not warn or refuse" "$KC" tui --network sometimes
check_fails "--role needs ROLE=NAME" "is not ROLE=NAME" "$KC" tui --role officer
check_fails "one ceremony file only" "unexpected argument 'b.yaml'" "$KC" tui a.yaml b.yaml
"$KC" tui --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok "an unknown option exits 2" || not_ok "an unknown option exits 2"
[ -z "$(ls "$T/state")" ] && ok "nothing written by refused command lines" || not_ok "nothing written by refused command lines"

# no terminal at all
check_fails "no terminal: a clear error" "need a terminal.*run --batch" sh -c "$KC tui $ARGS < /dev/null"

# Home, then Ctrl-C: asked first; n goes on; y leaves; stty is unchanged
rm -f "$T/before" "$T/after"
tui_start "stty -a > before; $KC tui $ARGS; rc=\$?; stty -a > after; exit \$rc"
expect "home shows the ceremony file" "root.yaml"
expect "home shows the token" "* root"
expect "home shows the state directory" "state $T/state"
capture home
keys C-c
expect "Ctrl-C asks first" "Leave keyceremony?"
keys n
sleep 0.3
if screen | grep -q "Leave keyceremony?"; then not_ok "n keeps the program running"; else ok "n keeps the program running"; fi
expect "still on Home after n" "Ceremony files in"

# a resize in the middle: too small says so and waits; back to 80x24 redraws
tmx resize-window -t kc -x 60 -y 20
expect "a small window says so" "Enlarge it to at least 80x24"
type_text "x"
tmx resize-window -t kc -x 80 -y 24
expect "back to 80x24: Home again" "Ceremony files in"
keys Down Down
expect "keys still work after the resize" "Up/Down choose"

keys C-c
expect "Ctrl-C asks again" "Leave keyceremony?"
keys y
[ "$(wait_exit 10)" = 1 ] && ok "leaving with Ctrl-C exits 1" || not_ok "leaving with Ctrl-C exits 1"
cmp -s "$T/before" "$T/after" && ok "stty -a identical before and after Ctrl-C" \
	|| { not_ok "stty -a identical before and after Ctrl-C"; diff "$T/before" "$T/after" | sed 's/^/# /'; }

# TERM=vt100, monochrome
tui_start "TERM=vt100 $KC tui $ARGS"
expect "TERM=vt100 draws Home" "Ceremony files in"
keys Enter
expect "TERM=vt100 goes on to Roles" "Who is in the room?"
keys C-c
expect "Ctrl-C on Roles asks" "Leave keyceremony?"
keys y
[ "$(wait_exit 10)" = 1 ] && ok "vt100 run left with Ctrl-C" || not_ok "vt100 run left with Ctrl-C"

# `keyceremony` with no arguments starts the screens too
mkdir -p "$T/noarg/ceremony"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/noarg/ceremony/"
tui_start "cd noarg && KEYCEREMONY_MODULE=$MODULE $KC"
expect "no arguments: Home" "Ceremony files in ceremony"
expect "no arguments: the ceremony in ./ceremony" "root.yaml"
keys Enter
expect "no token or directories: a clear refusal" "no token label: give --site or --token"
keys C-c; wait_for "Leave keyceremony?"; keys y
[ "$(wait_exit 10)" = 1 ] && ok "left" || not_ok "left"

# SIGTERM: the terminal is restored too
tui_start "stty -a > before2; sh -c 'echo \$\$ > pid; exec $KC tui $ARGS'; rc=\$?; stty -a > after2; exit \$rc"
expect "started for SIGTERM" "Ceremony files in"
kill -TERM "$(cat "$T/pid")"
rc=$(wait_exit 10)
[ "$rc" != timeout ] && [ "$rc" != 0 ] && ok "SIGTERM ends it (status $rc)" || not_ok "SIGTERM ends it (status $rc)"
cmp -s "$T/before2" "$T/after2" && ok "stty -a identical after SIGTERM" || not_ok "stty -a identical after SIGTERM"
done_testing

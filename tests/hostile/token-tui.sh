#!/bin/sh
# Issue 12 item 9 on the TUI's preflight screen: once the checks pass, the
# token check is selected and shows the module file's real path, size and
# SHA-256, the library, the token's manufacturer, model, serial and
# versions, and the environment (LD_PRELOAD ...), the rest after PgDn. A
# production token (the shim reporting a real HSM) with LD_PRELOAD fails
# the check on the screen, saying why; the same token without it passes;
# a rehearsal token with LD_PRELOAD passes and says it is allowed only for
# the rehearsal.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
shim_setup
# Under `make memcheck` valgrind sets LD_PRELOAD: run the program itself.
KCRAW=$KC_TOP_BUILDDIR/keyceremony
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"
export ASAN_OPTIONS
unset LD_PRELOAD LD_AUDIT
PRE=$(for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
	[ -f "$d/libz.so.1" ] && { echo "$d/libz.so.1"; break; }; done)
[ -n "$PRE" ] || bail "libz.so.1 not found (a harmless library to preload)"
mkdir -p "$T/state" "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
site_file "$T/site.yaml" root
real=$(readlink -f "$MODULE")
sha=$(sha256sum "$real" | cut -c1-64)
size=$(stat -c %s "$real")

# to_preflight: from the home screen through the roles to the checks.
to_preflight() {
	expect "$1: home" "Root CA key generation (TUI test)" || return 1
	keys Enter
	tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
	keys Enter
}
tui_start "$KCRAW tui root.yaml --site site.yaml > stdout.txt"
to_preflight "SoftHSM"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
capture pf1
check "the token check is selected and shows the module's real path and size" \
	sh -c "tr -d '\n' < '$T/pf1.txt' | tr -s ' ' | grep -q 'module file: $real, $size bytes'"
check "  ... the token's label, serial, manufacturer and model" sh -c \
	"tr -d '\n' < '$T/pf1.txt' | tr -s ' ' | grep -Eq \"token 'root' serial [0-9a-f]+ in slot [0-9]+: SoftHSM project SoftHSM v2\""
check "  ... the token's versions and PIN length" grep -Eq "token hardware [0-9.]+, firmware [0-9.]+; PIN length 4 to 255 bytes" "$T/pf1.txt"
keys PageDown
wait_for "SHA-256 of the module file:" 10 >/dev/null
capture pf2a
# the file's SHA-256 block on the Preflight screen (issue 14) leaves the
# module's SHA-256 one PgDn further down
check "  ... and its SHA-256 (= sha256sum, the one hash form) on a line of its own" \
	sh -c "cat '$T/pf1.txt' '$T/pf2a.txt' | grep -q '^     $(echo "$sha" | sed 's/\(........\)/\1 /g; s/ $//')\$'"
keys PageDown
expect "PgDn shows the rest of the detail" "mechanisms:"
capture pf2
check "  ... the library (C_GetInfo)" grep -q 'library: "SoftHSM" "Implementation of PKCS11" version' "$T/pf2.txt"
check "  ... the environment" grep -q "environment: LD_PRELOAD unset, LD_AUDIT unset" "$T/pf2.txt"
keys PageUp
expect "PgUp back to the top" "module file:"
keys C-c
wait_exit 10 >/dev/null

# A production token with LD_PRELOAD: the check fails on the screen.
tui_start "env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 LD_PRELOAD='$PRE' $KCRAW tui root.yaml --site site.yaml --module '$SHIM' > stdout.txt"
to_preflight "production with LD_PRELOAD"
keys Enter
wait_for "Is the date and time above correct" && { type_text YES; keys Enter; }
expect "the token check fails" "check 'Token present with the expected label, serial and"
capture pf3
check "  ... the reason is on the screen" grep -q "LD_PRELOAD is set: foreign code would run beside" "$T/pf3.txt"
check "  ... with the manufacturer the token reports" sh -c "tr -d '\n' < '$T/pf3.txt' | tr -s ' ' | grep -q 'Acme HSM Ltd HSM-9000'"
check "  ... the [FAILED] badge" grep -q "\[FAILED\] *Token present" "$T/pf3.txt"
keys Enter
expect "  ... Enter does not go on" "a check failed: the ceremony cannot go on"
keys C-c
wait_exit 10 >/dev/null
check "  ... no login happened" test ! -e "$T/shim.logins"

tui_start "env KC_SHIM_MANUFACTURER='Acme HSM Ltd' KC_SHIM_MODEL=HSM-9000 $KCRAW tui root.yaml --site site.yaml --module '$SHIM' > stdout.txt"
to_preflight "production without LD_PRELOAD"
tui_preflight && ok "  ... the same token without LD_PRELOAD: preflight passed" || not_ok "  ... the same token without LD_PRELOAD: preflight passed"
capture pf4
check "  ... no REHEARSAL on the screen" sh -c "! grep -q REHEARSAL '$T/pf4.txt'"
keys C-c
wait_exit 10 >/dev/null

tui_start "env LD_PRELOAD='$PRE' $KCRAW tui root.yaml --site site.yaml > stdout.txt"
to_preflight "rehearsal with LD_PRELOAD"
tui_preflight && ok "a rehearsal token with LD_PRELOAD: preflight passed" || not_ok "a rehearsal token with LD_PRELOAD: preflight passed"
capture pf5
check "  ... and says that it is allowed only for the rehearsal" grep -q "LD_PRELOAD is set: allowed only because this is a" "$T/pf5.txt"
keys PageDown; keys PageDown	# the end (PgDn stops at the last line)
expect "  ... PgDn: the environment" "mechanisms:"
capture pf6
check "  ... the screen shows LD_PRELOAD and its value" sh -c "tr -d '\n' < '$T/pf6.txt' | tr -s ' ' | grep -q 'LD_PRELOAD=\"$PRE\"'"
keys C-c
wait_exit 10 >/dev/null
done_testing

# tests/tui-lib.sh: driving the TUI in tmux for the shell tests. Source it
# after tests/lib.sh. Each test gets a private tmux server (-S, its socket
# in $T) with one 80x24 window; the screen is read with capture-pane and
# every wait is bounded.
command -v tmux >/dev/null || bail "tmux missing: install tmux (./quickstart does)"
_tui_n=0
TMUX_SOCK="$T/tmux-0"
unset TMUX
# the server's socket lives in the test's directory: nothing is left in
# /tmp/tmux-UID after the test
tmx() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
_tui_cleanup() { tmx kill-server >/dev/null 2>&1; _tap_cleanup; }
trap _tui_cleanup EXIT

# tui_start CMD: runs the shell command CMD in a fresh 80x24 pane; its exit
# status lands in $T/tui.rc and the pane stays for reading.
tui_start() {
	rm -f "$T/tui.rc"
	tmx kill-server >/dev/null 2>&1
	rm -f "$TMUX_SOCK"
	_tui_n=$((_tui_n + 1)); TMUX_SOCK="$T/tmux-$_tui_n"
	tmx new-session -d -x "${TUI_COLS:-80}" -y "${TUI_ROWS:-24}" -s kc \
		"cd '$T' && ( $1 ); echo \$? > '$T/tui.rc'; exec sleep 600"
	tmx set-option -t kc status off >/dev/null
	tmx resize-window -t kc -x "${TUI_COLS:-80}" -y "${TUI_ROWS:-24}" >/dev/null 2>&1
}
screen() { tmx capture-pane -p -t kc; }
# keys: tmux key names (Enter, Tab, Escape, C-c, BSpace ...)
keys() { tmx send-keys -t kc "$@"; }
# type TEXT: literal text
type_text() { tmx send-keys -t kc -l "$1"; }

# wait_for TEXT [SECONDS]: polls the screen until it shows TEXT (fixed
# string); on timeout prints the screen as a diagnostic and fails.
wait_for() {
	_w=$1; _limit=$(( ${2:-60} * 10 )); _i=0
	while [ "$_i" -lt "$_limit" ]; do
		if screen | grep -Fq -- "$_w"; then return 0; fi
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# timed out waiting for: $_w"; screen | sed 's/^/#   |/'
	return 1
}
# expect DESCRIPTION TEXT [SECONDS]: a test point for wait_for.
expect() { if wait_for "$2" "${3:-60}"; then ok "$1"; else not_ok "$1"; fi; }
# wait_exit [SECONDS]: waits for the program to end; prints its status.
wait_exit() {
	_limit=$(( ${1:-10} * 10 )); _i=0
	while [ ! -s "$T/tui.rc" ] && [ "$_i" -lt "$_limit" ]; do sleep 0.1; _i=$((_i + 1)); done
	cat "$T/tui.rc" 2>/dev/null || echo timeout
}
# capture NAME: keeps the current screen in $T/NAME.txt (for the runbook).
capture() { screen > "$T/$1.txt"; [ -n "${KC_CAPTURE_DIR:-}" ] && cp "$T/$1.txt" "$KC_CAPTURE_DIR/"; return 0; }

# site_file PATH LABEL: a site profile for the tests (the test machine has
# a network interface up and no removable media: warn, not refuse).
site_file() {
	cat > "$1" <<SITE
keyceremony-site: 1
name: test
module: $MODULE
token:
  label: $2
state: $T/state
media: $T/media
network: warn
removable-media: warn
SITE
}

# tui_roles NAME...: fills the Roles screen, one name per role.
tui_roles() {
	wait_for "Who is in the room?" || return 1
	for _n in "$@"; do type_text "$_n"; keys Enter; done
}

# tui_preflight: runs the checks, confirms the clock (typed YES) and any
# other question, until they all passed.
tui_preflight() {
	wait_for "Preflight checks" || return 1
	keys Enter
	_i=0
	while [ "$_i" -lt 900 ]; do
		_s=$(screen)
		case $_s in
		*"press Enter to log in"*) return 0 ;;
		*"Type YES"*) type_text YES; keys Enter; sleep 0.3 ;;
		*"failed: fix it"*) echo "# preflight failed:"; screen | sed 's/^/#   |/'; return 1 ;;
		esac
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# preflight did not finish"; screen | sed 's/^/#   |/'
	return 1
}

# cert_profile PEM: what a certificate says apart from its serial, key,
# dates, signature and key identifiers (for comparing two runs).
cert_profile() {
	openssl x509 -in "$1" -noout -text -certopt no_serial,no_pubkey,no_sigdump,no_validity |
	awk '/Subject Key Identifier|Authority Key Identifier/ { print; getline; next } { print }'
}
# hash_form HEX: a SHA-256 in the one form every screen and command shows
# (kc_hash_show: lower-case hex in groups of eight, one space between).
hash_form() { echo "$1" | tr -d ': ' | tr A-F a-f | sed 's/\(........\)/\1 /g; s/ $//'; }
# fp_groups PEM: the SHA-256 fingerprint as the screens show it (two rows
# of four groups of eight hex digits, printed here on one line).
fp_groups() {
	hash_form "$(openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//')"
}
# tui_step WORD: on an Operation screen, starts the step, reads every
# question to the end (PgDn) and types WORD, until the step is done.
tui_step() {
	keys Enter
	_i=0
	while [ "$_i" -lt 1800 ]; do
		_s=$(screen)
		case $_s in
		*"done; press Enter to go on"*) return 0 ;;
		*"step declined"*|*"failed: press Enter"*) screen | sed 's/^/#   |/'; return 1 ;;
		*"Read it all first"*) keys PageDown; sleep 0.2 ;;
		*"Type $1 and press Enter"*) type_text "$1"; keys Enter; sleep 0.5 ;;
		esac
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# step did not finish"; screen | sed 's/^/#   |/'
	return 1
}

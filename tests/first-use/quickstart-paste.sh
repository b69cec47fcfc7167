#!/bin/sh
# Issue 14 items 3 and 7: what ./quickstart prints can be pasted.
# The quickstart runs with its output piped (as tests/softhsm/quickstart.sh
# runs it, against this build). Then:
#  - every "$ " line is a complete command (pipes, quotes, redirections
#    kept): pasted in order into one new shell in a fresh directory, after
#    nothing but what those lines themselves set up, each one succeeds and
#    the story happens again (root, intermediate, DPS, devices, broker,
#    revocation);
#  - the output keeps the order things happened in (a ceremony's progress
#    lines between its step headers; nothing before the command line);
#  - the ceremonies' digests are shown whole (no header cut by tail);
#  - the closing hints work pasted in the demo directory: ". ./env.sh"
#    exports SOFTHSM2_CONF and puts this build on PATH, `token list` shows
#    the demo token, `register list` and `transcript verify` work; the TUI
#    hint opens the source tree's ceremony files (an uninstalled build) and
#    the root ceremony's preflight passes on tui.site (fresh token and state);
#  - on a terminal (a pty) a ceremony prints each step once.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
# tui_quit: Ctrl-C, yes to the question, q on the End screen, until it exits
tui_quit() {
	keys C-c
	_i=0
	while [ "$_i" -lt 100 ] && [ ! -s "$T/tui.rc" ]; do
		case $(screen) in
		*"Leave keyceremony?"*|*"Abort the ceremony?"*) keys y ;;
		*"q leave"*) keys q ;;
		esac
		sleep 0.2; _i=$((_i + 1))
	done
}
D=$T/demo
chmod 711 "$T"   # the broker drops to the mosquitto user, which must reach $D/broker
unset SOFTHSM2_CONF KEYCEREMONY_MODULE
if KC_PREBUILT=$KC_TOP_BUILDDIR "$KC_TOP_SRCDIR/quickstart" "$D" 2>&1 | cat > "$T/qs.log"; then :; fi
if grep -q "^Remove the demo with: rm -rf $D\$" "$T/qs.log"; then ok "quickstart (piped) runs to the end"
else not_ok "quickstart (piped) runs to the end"; tail -30 "$T/qs.log" | sed 's/^/#   /'; fi

# the printed commands, in order
grep '^\$ ' "$T/qs.log" | sed 's/^\$ //' > "$T/cmds"
n=$(wc -l < "$T/cmds")
[ "$n" -ge 60 ] && ok "$n commands printed" || not_ok "only $n commands printed"
grep -q "^keyceremony run .*root-ca.yaml .* 2>&1 | tee root-ceremony.out$" "$T/cmds" &&
	grep -q "sign-intermediate.yaml .* 2>&1 | tee intermediate-ceremony.out | sed -n '/^Steps:/,\$p'$" "$T/cmds" &&
	ok "the printed ceremony commands keep their pipes" || not_ok "pipes printed"
grep -qxF "(cd media && sha256sum -c SHA256SUMS)" "$T/cmds" &&
	grep -qF -- "--subject '/CN=Example Factory 1 Intermediate CA/O=Example Fleet Ltd/C=DE'" "$T/cmds" &&
	ok "quotes are printed as they are run" || not_ok "quotes printed"
if grep -q "^keyceremony run .*| *tail" "$T/cmds"; then not_ok "no ceremony output cut by tail"; else ok "no ceremony output cut by tail"; fi
# each ceremony's digest block is shown whole
nd=$(grep -c "^Final digest (witnesses write it on paper):$" "$T/qs.log")
nt=$(grep -Ec "^Transcript: state/transcripts/.*\([0-9]+ records, completed\)$" "$T/qs.log")
[ "$nd" -eq 4 ] && [ "$nt" -eq 4 ] && ok "the 4 ceremonies' digests are shown with their header" ||
	not_ok "digest headers: $nd, transcripts: $nt"

# order: the root ceremony's progress lines come between its step headers,
# after the command line
awk '/^\$ keyceremony run .*root-ca.yaml --site/ { c = NR }
	/^  1\/3 create-root:/ { s1 = NR } /generating ec-p384 key/ { g = NR }
	/SHA-256 fingerprint/ && !f { f = NR } /^  2\/3 first-crl:/ { s2 = NR }
	END { exit !(c && c < s1 && s1 < g && g < f && f < s2) }' "$T/qs.log" &&
	ok "output in the order it happened (command, step, progress, fingerprint, next step)" ||
	{ not_ok "output order"; grep -n "create-root\|generating\|fingerprint\|first-crl" "$T/qs.log" | head | sed 's/^/#   /'; }
if grep -q "^keyceremony: step [0-9]" "$T/qs.log"; then not_ok "each step is printed once"; else ok "each step is printed once"; fi

# every printed line, pasted in order into one new shell in a fresh
# directory: each succeeds
mkdir "$T/replay" && chmod 711 "$T/replay"
# the replay's PostgreSQL server (step 11b) is stopped by a printed line;
# should that line not run, it is stopped here
_replay_pg_stop() {
	[ -f "$T/replay/pg/data/postmaster.pid" ] || return 0
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	( cd / && if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$PGBIN/pg_ctl" -D "$T/replay/pg/data" -w -m immediate stop
	  else "$PGBIN/pg_ctl" -D "$T/replay/pg/data" -w -m immediate stop; fi ) >/dev/null 2>&1
}
trap '_replay_pg_stop; _tui_cleanup' EXIT
awk '{ printf "{ %s\n} </dev/null || echo \"FAILED %d: %s\" >&3\n", $0, NR, $0 }' "$T/cmds" > "$T/replay.sh"
( cd "$T/replay" && env -u SOFTHSM2_CONF PATH="$PATH" sh "$T/replay.sh" 3> "$T/replay.fail" > "$T/replay.log" 2>&1 )
if [ ! -s "$T/replay.fail" ]; then ok "all $n printed commands succeed pasted into a new shell in an empty directory"
else not_ok "printed commands that fail when pasted"; sed 's/^/#   /' "$T/replay.fail"; tail -20 "$T/replay.log" | sed 's/^/#   /'; fi
check "replay: the root verifies" openssl verify -x509_strict -CAfile "$T/replay/media/root.pem" "$T/replay/media/root.pem"
check "replay: the device chain verifies" openssl verify -x509_strict -purpose sslclient -CAfile "$T/replay/media/root.pem" \
	-untrusted "$T/replay/media/intermediate.pem" "$T/replay/devices/out/sensor-0001.cert.pem"
check "replay: the medium's checksums" sh -c "cd '$T/replay/media' && sha256sum -c --quiet SHA256SUMS"
check "replay: the transcript verifies against the digest the replay printed" sh -c \
	"cd '$T/replay' && . ./env.sh && keyceremony transcript verify media/root-ca-*.log --digest \$(sed -n '/^Final digest/,/^PGP words/p' root-ceremony.out | grep -v ':\$' | tr -d ' \\n')"
grep -q "certificate revoked" "$T/replay.log" && ok "replay: the revoked intermediate is rejected" || not_ok "replay: revocation"
grep -q "$T/replay/softhsm/softhsm2.conf" "$T/replay/env.sh" && ok "the replay's env.sh names its own directory" ||
	not_ok "env.sh of the replay"
check "replay: the simulated nRF91's stored chain verifies" openssl verify -x509_strict -CAfile "$T/replay/media/root.pem" \
	-untrusted "$T/replay/media/intermediate.pem" "$T/replay/line/stored-chain.pem"
check "replay: its own PostgreSQL server, both stations' rows, then stopped" sh -c \
	"grep -qx 'ledger = postgresql://kc@/ledger?host=$T/replay/pg' '$T/replay/factory/ledger.conf' && grep -qx 'line-2|sensor-0102|issued' '$T/replay.log' && ! test -e '$T/replay/pg/data/postmaster.pid'"

# the closing hints, pasted in the demo directory
sed -n '/^Every command above ran exactly as printed/,/^Remove the demo/p' "$T/qs.log" | sed -n 's/^  \(cd .*\|keyceremony .*\)$/\1/p' > "$T/hints"
[ "$(wc -l < "$T/hints")" -eq 5 ] && ok "5 commands suggested at the end" || { not_ok "hints"; cat "$T/hints" | sed 's/^/#   /'; }
CDLINE=$(sed -n 1p "$T/hints")
for h in "keyceremony token list" "keyceremony register list --state state" "keyceremony transcript verify media/root-ca-*.log"; do
	grep -qxF "$h" "$T/hints" || not_ok "hint '$h' printed"
	check "pasted: $CDLINE; $h" sh -c "cd / && env -u SOFTHSM2_CONF sh -c '$CDLINE && $h'"
done
( cd / && env -u SOFTHSM2_CONF sh -c "$CDLINE && keyceremony token list" ) > "$T/tl.out" 2>&1
grep -q "label:        keyceremony-demo" "$T/tl.out" && grep -q "label:        keyceremony-tui" "$T/tl.out" &&
	ok "token list in the demo directory shows the demo tokens (SOFTHSM2_CONF exported)" ||
	{ not_ok "token list shows the demo tokens"; sed 's/^/#   /' "$T/tl.out"; }
TUI=$(grep '^keyceremony tui' "$T/hints")
[ "$TUI" = "keyceremony tui --site tui.site" ] && ok "the TUI hint: $TUI" || not_ok "TUI hint '$TUI'"

# the TUI hint on a terminal: the source tree's ceremony files (this build
# is not installed), and the root ceremony's preflight passes
# (a window wide enough for any checkout path: Home shows the whole path;
# at 80 columns a long one keeps its end, checked below)
SRCCER="$(cd "$KC_TOP_SRCDIR" && pwd -P)/ceremony"
TUI_COLS=400
tui_start "env -u SOFTHSM2_CONF sh -c '$CDLINE && $TUI'"
expect "Home: ceremony files of the source tree" "Ceremony files in $SRCCER"
if screen | grep -q "(none"; then not_ok "Home lists ceremony files"; else ok "Home lists ceremony files"; fi
# move the choice to root-ca.yaml: Down while it is above, Up while it is
# below (the list is sorted), one key at a time, waiting (up to 30 s on a
# loaded machine: each move redraws the token list) for the choice to move
chosen() { screen | sed -n 's/^ *> \([A-Za-z0-9._-]*\.yaml\).*/\1/p' | head -n 1; }
i=0
while [ "$i" -lt 20 ]; do
	i=$((i + 1))
	cur=$(chosen)
	[ "$cur" = root-ca.yaml ] && break
	if [ -n "$cur" ] && [ "$(printf '%s\n%s\n' "$cur" root-ca.yaml | LC_ALL=C sort | head -n 1)" = root-ca.yaml ]; then
		keys Up
	else
		keys Down
	fi
	j=0
	while [ "$j" -lt 300 ] && [ "$(chosen)" = "$cur" ]; do sleep 0.1; j=$((j + 1)); done
done
expect "root-ca.yaml chosen" "> root-ca.yaml" 5
keys Enter
tui_roles "Alice Officer" "Bob Witness"
tui_preflight && ok "the root ceremony's preflight passes on tui.site (no output exists, fresh token)" ||
	not_ok "preflight on tui.site"
tui_quit

# an uninstalled build finds the source tree's ceremonies; a copy of the
# binary outside the build tree looks where the prefix installs them
mkdir "$T/empty"
tui_start "cd '$T/empty' && '$KC' tui"
expect "from the build tree: the source tree's ceremony files" "Ceremony files in $SRCCER"
tui_quit
# 80 columns, a path longer than the line: its end is shown after "..."
mkdir -p "$T/a-directory-name-long-enough-to-overflow-an-eighty-column-line/ceremony"
cp "$KC_TOP_SRCDIR"/ceremony/root-ca.yaml "$T/a-directory-name-long-enough-to-overflow-an-eighty-column-line/ceremony/"
LONGDIR=$(cd "$T/a-directory-name-long-enough-to-overflow-an-eighty-column-line/ceremony" && pwd -P)
TUI_COLS=80
tui_start "cd '$T/empty' && '$KC' tui --ceremony-dir '$LONGDIR'"
expect "80 columns: a long ceremony directory is shortened at its start" "Ceremony files in ..."
expect "80 columns: ... and keeps its end" "eighty-column-line/ceremony"
tui_quit
TUI_COLS=400
if [ -z "${KC_WRAPPER:-}" ]; then
	cp "$KC" "$T/empty/kc-copy"
	tui_start "cd '$T/empty' && ./kc-copy tui"
	wait_for "Ceremony files in" 10
	if screen | grep -q "Ceremony files in $SRCCER"; then
		not_ok "a binary outside the build tree does not look in the source tree"
	else ok "a binary outside the build tree does not look in the source tree"; fi
	tui_quit
fi

# on a terminal: each step once (a ceremony on the TUI's token, under a pty)
( cd "$D" && . ./env.sh && script -qec "keyceremony run '$KC_TOP_SRCDIR/ceremony/root-ca.yaml' --site tui.site --batch --role officer=A --role witness=B" /dev/null ) > "$T/pty.out" 2>&1 < /dev/null
tr -d '\r' < "$T/pty.out" > "$T/pty.txt"
grep -q "completed" "$T/pty.txt" && ok "the ceremony ran on a pty" || { not_ok "ceremony on a pty"; tail -20 "$T/pty.txt" | sed 's/^/#   /'; }
for s in "1/3 create-root" "2/3 first-crl" "3/3 export"; do
	c=$(grep -c "$s" "$T/pty.txt")
	[ "$c" -eq 1 ] && ok "on a terminal '$s' is printed once" || not_ok "on a terminal '$s' is printed $c times"
done
done_testing

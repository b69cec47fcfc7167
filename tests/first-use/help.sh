#!/bin/sh
# Issue 14 item 19: every command and subcommand answers -h and --help with
# its usage and options on stdout, exit 0, nothing on stderr, nothing
# else done (no module loaded, no file written); the groups (token, root,
# quorum, ...) list their subcommands; "keyceremony help [CMD [SUB]]" too.
# The commands are read from "keyceremony --help" itself; every option a
# command's help shows is in keyceremony(1). Negative controls: a bad
# option or an unknown group word is a usage error (exit 2, stdout empty,
# the word named without its value).
. "$KC_TOP_SRCDIR/tests/lib.sh"

man=$KC_TOP_SRCDIR/docs/keyceremony.1
cd "$T" || bail "cd"
# no module: --help must not need one
KEYCEREMONY_MODULE=$T/no-such-module.so; export KEYCEREMONY_MODULE

# helpful ARGS...: exit 0, usage on stdout, stderr empty, nothing written
helpful() {
	"$KC" "$@" > "$T/out" 2> "$T/err" < /dev/null
	_st=$?
	[ $_st -eq 0 ] && [ -s "$T/out" ] && [ ! -s "$T/err" ] &&
		grep -q '^usage: keyceremony' "$T/out" &&
		[ "$(ls "$T/work" | wc -l)" -eq 0 ]
}
mkdir "$T/work"

for a in --help -h help; do
	( cd "$T/work" && helpful "$a" ) && grep -q '^commands:' "$T/out" &&
		ok "keyceremony $a: the command list, exit 0" ||
		not_ok "keyceremony $a: exit $_st or no list ($(head -c 200 "$T/err"))"
done
"$KC" --help > "$T/top" 2>&1

# the commands, as the top-level help lists them
sed -n '/^commands:/,/^$/p' "$T/top" | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}.*/\1\2/p' |
	sed 's/ --.*//; s/ [A-Z].*//' | sort -u > "$T/cmds"
[ "$(wc -l < "$T/cmds")" -ge 20 ] && ok "$(wc -l < "$T/cmds") commands listed by --help" ||
	not_ok "only $(wc -l < "$T/cmds") commands in --help"
for c in "token list" "token init" "token keys" "token probe" "root create" \
    "tui" "quorum split" "quorum combine" "intermediate sign" "cross sign" \
    "verification sign" "crl" "register list" "status" "run" \
    "transcript verify" "export" "import" "script" "report"; do
	grep -qxF "$c" "$T/cmds" || not_ok "'$c' missing from --help"
done

while read -r c; do
	# shellcheck disable=SC2086
	if ( cd "$T/work" && helpful $c --help ) &&
	    grep -q "^usage: keyceremony $c" "$T/out"; then
		ok "$c --help: usage on stdout, exit 0"
	else
		not_ok "$c --help: exit $_st: $(head -c 300 "$T/err")"
		continue
	fi
	cp "$T/out" "$T/long"
	# shellcheck disable=SC2086
	( cd "$T/work" && helpful $c -h ) && cmp -s "$T/out" "$T/long" &&
		ok "$c -h: the same text" || not_ok "$c -h: exit $_st or other text"
	# shellcheck disable=SC2086
	( cd "$T/work" && helpful help $c ) && cmp -s "$T/out" "$T/long" &&
		ok "help $c: the same text" || not_ok "help $c: exit $_st or other text"
	opts=$(grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' "$T/long" |
		sed 's/^[^-]*//' | sort -u)
	[ -n "$opts" ] || { not_ok "$c --help lists no option"; continue; }
	missing=""
	for o in $opts; do
		grep -Eq "Fl -${o#--}([ ,.;:)=]|\$)" "$man" || missing="$missing $o"
	done
	[ -z "$missing" ] && ok "$c: every option in its --help is in keyceremony(1)" ||
		not_ok "$c: not in keyceremony(1):$missing"
done < "$T/cmds"

# the groups list their subcommands
for g in $(grep ' ' "$T/cmds" | cut -d' ' -f1 | sort -u); do
	for a in --help -h help; do
		if ( cd "$T/work" && helpful "$g" "$a" ); then
			bad=""
			for s in $(grep "^$g " "$T/cmds" | cut -d' ' -f2); do
				grep -q "^  $g $s" "$T/out" || bad="$bad $s"
			done
			[ -z "$bad" ] && ok "$g $a: lists its subcommands" ||
				not_ok "$g $a: missing:$bad"
		else
			not_ok "$g $a: exit $_st ($(head -c 200 "$T/err"))"
		fi
	done
	( cd "$T/work" && helpful help "$g" ) && grep -q "^  $g " "$T/out" &&
		ok "help $g: lists its subcommands" || not_ok "help $g: exit $_st"
done

# --help wins over the other options and does nothing: no PIN file read,
# no module loaded, no output file written
( cd "$T/work" && helpful root create --token t --label k --subject /CN=x \
	--days 30 --out root.pem --pin-file nowhere --help ) &&
	[ ! -e "$T/work/root.pem" ] && ok "root create ... --help: help only, nothing made" ||
	not_ok "root create ... --help: exit $_st"

# negative controls: usage errors, exit 2, nothing on stdout, no value
V=Zq7x654321Wk
usage_err() {
	"$KC" "$@" > "$T/out" 2> "$T/err" < /dev/null
	_st=$?
	[ $_st -eq 2 ] && [ ! -s "$T/out" ] && grep -q 'usage:' "$T/err" &&
		! grep -q "$V" "$T/err"
}
usage_err token list --bogus && grep -q "token list: unknown option '--bogus'" "$T/err" &&
	ok "token list --bogus: named, exit 2" || not_ok "token list --bogus: exit $_st"
usage_err token list "--help=$V" && grep -q "unknown option '--help\.\.\.'" "$T/err" &&
	ok "--help=VALUE: an unknown option, value not shown" || not_ok "--help=VALUE: exit $_st"
usage_err token list --hel && ok "--hel is not --help (exit 2)" || not_ok "--hel: exit $_st"
usage_err token nosuch && grep -q "unknown 'token' command 'nosuch'" "$T/err" &&
	ok "token nosuch: unknown subcommand, exit 2" || not_ok "token nosuch: exit $_st"
usage_err help nosuch && grep -q "no command 'nosuch'" "$T/err" &&
	ok "help nosuch: exit 2" || not_ok "help nosuch: exit $_st"
usage_err "--x=$V" && grep -q "unknown command '--x\.\.\.'" "$T/err" &&
	ok "an option before the command: named without its value" ||
	not_ok "--x=VALUE before the command: exit $_st"
"$KC" status --bogus > "$T/out" 2> "$T/err"; st=$?
[ $st -eq 3 ] && [ ! -s "$T/out" ] && ok "status --bogus: exit 3 (cannot tell), as before" ||
	not_ok "status --bogus: exit $st"
"$KC" status --help > "$T/out" 2> "$T/err"; st=$?
[ $st -eq 0 ] && grep -q 'exit status: 0 nothing due' "$T/out" &&
	ok "status --help: exit 0 with the exit codes" || not_ok "status --help: exit $st"
done_testing

#!/bin/sh
# Issue 14 item 19, factory side: every factorysign command and subcommand
# answers -h and --help with its usage and options on stdout, exit 0,
# nothing on stderr, nothing else done (no passphrase asked, no factory
# directory or output file made); "factorysign ledger --help" lists the
# ledger's subcommands; "factorysign help CMD [SUB]" prints the same text.
# The commands are read from "factorysign --help" itself, and every option
# a command's help shows is in factorysign(1). Negative controls: usage
# errors exit 2 (status: 3) with stdout empty and no value repeated.
. "$KC_TOP_SRCDIR/tests/lib.sh"

man=$KC_TOP_SRCDIR/docs/factorysign.1
cd "$T" || bail "cd"
mkdir "$T/work"

# helpful ARGS...: exit 0, usage on stdout, stderr empty, nothing written
helpful() {
	( cd "$T/work" && "$FS" "$@" > "$T/out" 2> "$T/err" < /dev/null )
	_st=$?
	[ $_st -eq 0 ] && [ -s "$T/out" ] && [ ! -s "$T/err" ] &&
		grep -q '^usage: factorysign' "$T/out" &&
		[ "$(ls -A "$T/work" | wc -l)" -eq 0 ]
}

for a in --help -h help; do
	helpful "$a" && grep -q '^commands:' "$T/out" &&
		ok "factorysign $a: the command list, exit 0" ||
		not_ok "factorysign $a: exit $_st or no list ($(head -c 200 "$T/err"))"
done
"$FS" --help > "$T/top" 2>&1

# the commands, as the top-level help lists them
sed -n '/^commands:/,/^$/p' "$T/top" |
	sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}.*/\1\2/p' |
	sed 's/ --.*//; s/ [A-Z].*//' | sort -u > "$T/cmds"
for c in init install sign batch issue verification check keygen attest \
    "ledger export" "ledger verify" status; do
	grep -qxF "$c" "$T/cmds" || not_ok "'$c' missing from --help"
done
[ "$(wc -l < "$T/cmds")" -ge 12 ] && ok "$(wc -l < "$T/cmds") commands listed by --help" ||
	not_ok "only $(wc -l < "$T/cmds") commands in --help"

while read -r c; do
	# shellcheck disable=SC2086
	if helpful $c --help && grep -q "^usage: factorysign $c" "$T/out"; then
		ok "$c --help: usage on stdout, exit 0"
	else
		not_ok "$c --help: exit $_st: $(head -c 300 "$T/err")"
		continue
	fi
	cp "$T/out" "$T/long"
	# described: a line per option with its help text, not one usage line
	[ "$(grep -c '^  --[a-z]' "$T/long")" -ge 2 ] &&
		ok "$c --help: its options described, one a line" ||
		not_ok "$c --help: options not described"
	# shellcheck disable=SC2086
	helpful $c -h && cmp -s "$T/out" "$T/long" &&
		ok "$c -h: the same text" || not_ok "$c -h: exit $_st or other text"
	# shellcheck disable=SC2086
	helpful help $c && cmp -s "$T/out" "$T/long" &&
		ok "help $c: the same text" || not_ok "help $c: exit $_st or other text"
	opts=$(grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' "$T/long" |
		sed 's/^[^-]*//' | sort -u)
	missing=""
	for o in $opts; do
		grep -Eq "Fl -${o#--}([ ,.;:)=]|\$)" "$man" || missing="$missing $o"
	done
	[ -z "$missing" ] && ok "$c: every option in its --help is in factorysign(1)" ||
		not_ok "$c: not in factorysign(1):$missing"
done < "$T/cmds"

# the ledger group lists its subcommands
for a in --help -h help; do
	if helpful ledger "$a" && grep -q '^  ledger export' "$T/out" &&
	    grep -q '^  ledger verify' "$T/out"; then
		ok "ledger $a: lists export and verify, exit 0"
	else
		not_ok "ledger $a: exit $_st ($(head -c 200 "$T/err"))"
	fi
done

# --help wins over every other option and does nothing: no passphrase file
# read, no directory made, no output
helpful sign --dir D --csr nowhere.csr --out-dir out --pass-file nowhere \
	--format pem,c --help && [ ! -e "$T/work/out" ] &&
	ok "sign ... --help: help only, nothing made" || not_ok "sign ... --help: exit $_st"
helpful issue --count 3 --prefix dev- --out-dir out --plain-keys -h &&
	[ ! -e "$T/work/out" ] && ok "issue ... -h: help only, no key made" ||
	not_ok "issue ... -h: exit $_st"
helpful init --subject /CN=x --algorithm ec-p256 --help && [ ! -e "$T/work/factory" ] &&
	ok "init ... --help: no key, no directory" || not_ok "init ... --help: exit $_st"

# negative controls: usage errors, exit 2, nothing on stdout, no value
V=Zq7x654321Wk
usage_err() {
	( cd "$T/work" && "$FS" "$@" > "$T/out" 2> "$T/err" < /dev/null )
	_st=$?
	[ $_st -eq 2 ] && [ ! -s "$T/out" ] && grep -q '^usage: factorysign' "$T/err" &&
		! grep -q "$V" "$T/err" && [ "$(ls -A "$T/work" | wc -l)" -eq 0 ]
}
usage_err sign --bogus && grep -q "sign: unknown option '--bogus'" "$T/err" &&
	ok "sign --bogus: named, exit 2, the usage line" || not_ok "sign --bogus: exit $_st"
usage_err sign "--help=$V" && grep -q "unknown option '--help\.\.\.'" "$T/err" &&
	ok "--help=VALUE: an unknown option, value not shown" || not_ok "--help=VALUE: exit $_st"
usage_err sign -x && grep -q "unknown option '-x'" "$T/err" &&
	ok "sign -x: no short options but -h" || not_ok "sign -x: exit $_st"
usage_err sign --hel && ok "--hel is not --help (exit 2)" || not_ok "--hel: exit $_st"
usage_err sign --csr c.csr && grep -q "sign: --out-dir is required" "$T/err" &&
	ok "sign without --out-dir: required, exit 2" || not_ok "sign without --out-dir: exit $_st"
usage_err check --cert c.pem --key k.pem --root r.pem extra &&
	grep -q "check: unexpected argument 'extra'" "$T/err" &&
	ok "check with an operand: unexpected argument, exit 2" || not_ok "check operand: exit $_st"
usage_err batch --csr-dir in --out-dir out --days && grep -q "option '--days' needs a value" "$T/err" &&
	ok "--days without its value: exit 2" || not_ok "--days without value: exit $_st"
usage_err ledger nosuch && grep -q "unknown 'ledger' command 'nosuch'" "$T/err" &&
	ok "ledger nosuch: unknown subcommand, exit 2" || not_ok "ledger nosuch: exit $_st"
usage_err ledger export --format=csv "--dir$V" && grep -q "unknown option '--dir\.\.\.'" "$T/err" &&
	ok "ledger export --dirVALUE: named without the value" || not_ok "--dirVALUE: exit $_st"
# value checks keep their messages
( cd "$T/work" && "$FS" sign --csr c.csr --out-dir out --days 0 > "$T/out" 2> "$T/err" ); st=$?
[ $st -eq 2 ] && [ ! -s "$T/out" ] && [ ! -e "$T/work/out" ] &&
	grep -q -- "--days '0': expected a number from 1 to 10958" "$T/err" &&
	ok "--days 0: the value check's message, exit 2" || not_ok "--days 0: exit $st"
( cd "$T/work" && "$FS" status --bogus > "$T/out" 2> "$T/err" ); st=$?
[ $st -eq 3 ] && [ ! -s "$T/out" ] && grep -q "status: unknown option '--bogus'" "$T/err" &&
	ok "status --bogus: exit 3 (cannot tell), as before" || not_ok "status --bogus: exit $st"
helpful status --help && grep -q 'exit status: 0 nothing due' "$T/out" &&
	ok "status --help: exit 0 with the exit codes" || not_ok "status --help: exit $_st"
done_testing

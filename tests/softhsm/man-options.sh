#!/bin/sh
# Both programs' man pages and their commands agree, read from the
# programs themselves (every command's --help, tests/help-options.py), not
# from the sources:
#  - every option some command's --help shows is documented in the
#    program's man page (as "Fl -name" in the mdoc source), command by
#    command, subcommands included;
#  - every "Fl -name" of the man page is an option of some command, or a
#    name the page gives as an example of what the argv-secret screen
#    refuses (then the program must refuse it), or a configure option.
# Works with the option table's generated help and with an older one-line
# usage (only --NAME tokens are read).
. "$KC_TOP_SRCDIR/tests/lib.sh"

# configure's options that the man pages mention (installation notes)
not_program="--prefix"

# documented NAME MAN: "Fl -NAME" in the mdoc source
documented() {
	grep -Eq "Fl -${1#--}([ ,.;:)=]|\$)" "$2"
}

# read_help PROG: $T/opts (CMD<TAB>--OPT), $T/cmds, $T/real
read_help() {
	python3 "$KC_TOP_SRCDIR/tests/help-options.py" "$1" > "$T/opts" 2> "$T/err"
	_st=$?
	cut -f1 "$T/opts" | sort -u > "$T/cmds"
	cut -f2 "$T/opts" | grep . | sort -u > "$T/real"
	return $_st
}

# missing_in CMD MAN: the options of CMD (from $T/opts) MAN lacks
missing_in() {
	for o in $(awk -F'\t' -v c="$1" '$1 == c && $2 != "" { print $2 }' "$T/opts"); do
		documented "$o" "$2" || printf ' %s' "$o"
	done
}

# stale_in PROG MAN: the options MAN names that no command of PROG has
# and PROG does not refuse as a secret (examples of the screen)
stale_in() {
	grep -oE 'Fl -[a-z][a-z0-9-]*' "$2" | sed 's/^Fl -/--/' | sort -u |
	while read -r o; do
		grep -qxF -- "$o" "$T/real" && continue
		case " $not_program " in *" $o "*) continue ;; esac
		"$1" "$o=Zq7x9" > "$T/o" 2>&1 < /dev/null
		if [ $? -eq 2 ] && grep -q 'looks like a secret option' "$T/o" &&
		    ! grep -q Zq7x9 "$T/o"; then
			continue
		fi
		printf ' %s' "$o"
	done
}

check_man() {
	prog=$1; man=$2; name=$(basename "$prog")
	[ -x "$prog" ] || { not_ok "$name built"; return; }
	[ -f "$man" ] || { not_ok "$man exists"; return; }
	if read_help "$prog"; then ok "$name: every command's --help exits 0 with text"
	else not_ok "$name: --help failed: $(cat "$T/err")"; fi
	[ "$(wc -l < "$T/cmds")" -ge 10 ] && ok "$name: $(wc -l < "$T/cmds") commands read from --help" ||
		not_ok "$name: only $(wc -l < "$T/cmds") commands in --help"
	while read -r c; do
		missing=$(missing_in "$c" "$man")
		if [ -z "$missing" ]; then ok "$name $c: options documented"
		else not_ok "$name $c: missing from $(basename "$man"):$missing"; fi
	done < "$T/cmds"
	n=$(grep -oE 'Fl -[a-z][a-z0-9-]*' "$man" | sort -u | wc -l)
	stale=$(stale_in "$prog" "$man")
	[ "$n" -gt 20 ] && [ -z "$stale" ] &&
		ok "$name: the $n options $(basename "$man") names all exist (or are refused secrets)" ||
		not_ok "$name: $(basename "$man") names options no command has:$stale"
}

check_man "$KC" "$KC_TOP_SRCDIR/docs/keyceremony.1"
check_man "$FS" "$KC_TOP_SRCDIR/docs/factorysign.1"

# negative controls: a doctored page, an option gone and one misspelt
read_help "$KC"
sed 's/Fl -warn-days/Fl -warn-dayz/g' "$KC_TOP_SRCDIR/docs/keyceremony.1" > "$T/bad.1"
missing_in status "$T/bad.1" | grep -q -- ' --warn-days\( \|$\)' &&
	ok "a command option the page lacks is named (--warn-days)" ||
	not_ok "a missing option went unnoticed"
stale_in "$KC" "$T/bad.1" | grep -q -- ' --warn-dayz\( \|$\)' &&
	ok "a page option no command has is named (--warn-dayz)" ||
	not_ok "a stale option went unnoticed"
done_testing

#!/bin/sh
# Every option that a command's --help shows must be in the man page.
. "$KC_TOP_SRCDIR/tests/lib.sh"

# check_man PROG MANPAGE: for each command of PROG, every --option its
# --help prints appears as "Fl option" in the mdoc source.
check_man() {
	prog=$1; man=$2
	[ -x "$prog" ] || { not_ok "$(basename "$prog") built"; return; }
	"$prog" --help > "$T/cmds" 2>&1
	sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\}.*/\1\2/p' "$T/cmds" |
	sed 's/ --.*//; s/ [A-Z].*//' | sort -u > "$T/cmdnames"
	while read -r c; do
		# shellcheck disable=SC2086
		"$prog" $c --help > "$T/help" 2>&1
		missing=""
		for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$T/help" | sort -u); do
			grep -Eq "^\.(It |Op |Oo |)[^\"]*Fl -?${o#--}( |$)|Fl -?${o#--}( |$)" "$man" || missing="$missing $o"
		done
		if [ -z "$missing" ]; then ok "$(basename "$prog") $c: options documented"
		else not_ok "$(basename "$prog") $c: missing from $(basename "$man"):$missing"; fi
	done < "$T/cmdnames"
}
check_man "$KC" "$KC_TOP_SRCDIR/docs/keyceremony.1"
[ -x "$FS" ] && check_man "$FS" "$KC_TOP_SRCDIR/docs/factorysign.1"
done_testing

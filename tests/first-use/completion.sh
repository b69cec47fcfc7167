#!/bin/sh
# Issue 14 item 20: bash completion for keyceremony and factorysign
# (contrib/bash-completion/keyceremony), which asks the programs for their
# commands and options (--help), so it follows the option tables. The
# script is sourced in bash, COMP_WORDS/COMP_CWORD set as bash would for a
# TAB, the completion function called and COMPREPLY checked: commands,
# subcommands, options by prefix, every command's options exactly as its
# --help lists them, file names for an option's value. Negative controls:
# an unknown command or an option a command does not have completes to
# nothing, a secret-looking prefix only to the real file option, and
# completing runs nothing but --help (no file made). Then "make install
# DESTDIR=..." puts the script in the bash-completion directory with
# factorysign linked to it, and "make uninstall" removes both.
. "$KC_TOP_SRCDIR/tests/lib.sh"

comp=$KC_TOP_SRCDIR/contrib/bash-completion/keyceremony
bash=$(command -v bash) || bail "no bash"
mkdir "$T/bin" "$T/work"
ln -s "$KC" "$T/bin/keyceremony"
ln -s "$FS" "$T/bin/factorysign"
cd "$T/work" || bail "cd"
: > "$T/work/device.csr"
: > "$T/work/devices.txt"

# c WORD...: what TAB after the last word offers (space separated, sorted)
c() {
	PATH=$T/bin:$PATH KEYCEREMONY_MODULE=$T/no-module.so "$bash" -c '
		. "$0" || exit 9
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_kc_complete
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
		"$comp" "$@" 2> "$T/comp.err"
}
# is WANT WORD...: TAB after WORD... offers exactly WANT
is() {
	_want=$1; shift
	_got=$(c "$@")
	[ "$_got" = "$_want" ] && ok "'$*<TAB>': $_want" ||
		not_ok "'$*<TAB>': got '$_got', want '$_want'"
}
# has WANT WORD...: the offer includes every word of WANT
has() {
	_want=$1; shift
	_got=" $(c "$@") "
	_miss=""
	for w in $_want; do
		case $_got in *" $w "*) ;; *) _miss="$_miss $w" ;; esac
	done
	[ -z "$_miss" ] && ok "'$*<TAB>' offers $_want" ||
		not_ok "'$*<TAB>': missing$_miss in '$_got'"
}

"$bash" -c '. "$0" && complete -p keyceremony factorysign' "$comp" > "$T/cp" 2>&1
check "sourcing registers one function for both programs" \
	sh -c "grep -q -- '-F _kc_complete keyceremony' '$T/cp' && grep -q -- '-F _kc_complete factorysign' '$T/cp'"

# the cases of the issue
is "sign" factorysign si
is "--days --dir" factorysign sign --d
has "list init keys probe" keyceremony token ""
is "--reason --revoke" keyceremony crl --re
# commands and subcommands
is "status" factorysign stat
has "export verify --help" factorysign ledger ""
is "export" factorysign ledger e
is "--json" factorysign check --j
is "--backfill" factorysign ledger verify --b
has "init install sign batch issue verification check keygen attest ledger status" factorysign ""
has "token root quorum crl status run transcript export import" keyceremony ""
has "verify" keyceremony transcript ""
# an option's value: the files of the directory
has "device.csr devices.txt" factorysign sign --csr ""
is "device.csr devices.txt" factorysign sign --csr dev
# negative controls
is "" factorysign nosuch --d
is "" factorysign sign --j
is "" factorysign sign --zzz
is "--pass-file" factorysign sign --pa
is "" factorysign ledger nosuch --d
check "completing made no file and left no error" \
	sh -c "test \"\$(ls -A '$T/work')\" = \"device.csr
devices.txt\" && test ! -s '$T/comp.err'"

# every command's options as its --help lists them: what TAB offers after
# "CMD --" is among the --NAME words help-options.py reads from that help,
# and every one of those is offered unless the help only mentions it in a
# sentence (an option of another command: "quorum split --out-dir")
for p in "$KC" "$FS"; do
	name=$(basename "$p")
	python3 "$KC_TOP_SRCDIR/tests/help-options.py" "$p" > "$T/opts.$name" ||
		bail "help-options.py $name"
	cut -f1 "$T/opts.$name" | sort -u > "$T/cmds.$name"
	n=0; bad=""
	while read -r cmd; do
		# shellcheck disable=SC2086
		got=$(c "$name" $cmd --)
		# shellcheck disable=SC2086
		"$p" $cmd --help > "$T/h" 2>/dev/null
		why=$(python3 - "$T/opts.$name" "$cmd" "$T/h" "$got" <<'EOF'
import re, sys
rows, cmd, helpf, got = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split())
h = {l.split("\t")[1] for l in open(rows).read().splitlines() if l.split("\t")[0] == cmd and l.split("\t")[1]}
h.add("--help")
text = open(helpf).read()
listed = set(re.findall(r"^  (--[a-z][a-z0-9-]*)", text, re.M))
out = []
if not got <= h: out.append("offered, not in its help: %s" % sorted(got - h))
miss = {o for o in h - got if o in listed or re.search(r"(^|\[|\s)" + re.escape(o) + r"\b", text.splitlines()[0])}
if miss: out.append("listed, not offered: %s" % sorted(miss))
if len(got) < 1: out.append("nothing offered")
print("; ".join(out))
EOF
)
		[ -z "$why" ] || bad="$bad [$cmd: $why]"
		n=$((n + 1))
	done < "$T/cmds.$name"
	[ -z "$bad" ] && ok "$name: the options of all $n commands, as their --help lists them" ||
		not_ok "$name:$bad"
done

# (make check runs this test: the make below must not take its jobserver
# descriptors, which are not inherited, from MAKEFLAGS)
# installed where bash-completion loads it, factorysign linked to it
inst=$T/inst
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$KC_TOP_BUILDDIR" install DESTDIR="$inst" > "$T/install.out" 2>&1
check "make install DESTDIR=... succeeds" test $? -eq 0
f=$(find "$inst" -path '*/bash-completion/completions/keyceremony' -type f)
check "the script is in .../bash-completion/completions ($f)" test -n "$f"
check "  ... the same script" cmp -s "$f" "$comp"
d=$(dirname "$f")
check "  ... factorysign a symbolic link to it" sh -c "test -L '$d/factorysign' && test \"\$(readlink '$d/factorysign')\" = keyceremony"
check "  ... under the configured prefix (DESTDIR honoured)" sh -c "case '$f' in '$inst'/*/share/bash-completion/completions/keyceremony) exit 0;; esac; exit 1"
PATH=$T/bin:$PATH "$bash" -c '. "$0"; COMP_WORDS=(factorysign si); COMP_CWORD=1; _kc_complete; test "${COMPREPLY[*]}" = sign' "$d/factorysign"
check "  ... the installed file completes as the source does" test $? -eq 0
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$KC_TOP_BUILDDIR" uninstall DESTDIR="$inst" > "$T/uninstall.out" 2>&1
check "make uninstall removes both" sh -c "test ! -e '$f' && test ! -L '$d/factorysign'"
done_testing

#!/bin/sh
# Issue 12, item 10: a secret on the command line is never echoed. getopt
# accepts abbreviations, so "--pi 654321" used to be taken as
# "--pin-file 654321" and the PIN came back in "cannot open 654321". Every
# prefix of every secret-looking option name, in every spelling (separate
# value, "=value", value glued on, upper case), before and after the command
# word, in both programs, must exit 2 without one byte of the value on the
# terminal. getopt's own messages ("unrecognized option '--x=VALUE'") are
# off: bad options are named without their value, in every command.
# Positive controls: every real option of both programs (read from every
# command's --help, tests/help-options.py) spelled in full passes the
# screen, and the full-spelled file options still work.
. "$KC_TOP_SRCDIR/tests/lib.sh"

V=Zq7x654321Wk			# the "secret": must never appear in any output
gen=$T/gen.py
cat > "$gen" <<'EOF'
import re, sys, os, subprocess
mode = sys.argv[1]
top = os.environ["KC_TOP_SRCDIR"]

def real_options(progs=("KC", "FS")):
    # every option some command's --help shows (read from the programs,
    # as the screen reads their option tables)
    real = set()
    for prog in progs:
        out = subprocess.run([sys.executable, top + "/tests/help-options.py",
                              os.environ[prog]], stdout=subprocess.PIPE,
                             check=True)
        for line in out.stdout.decode().splitlines():
            o = line.split("\t")[1]
            if o:
                real.add(o[2:])
    return real
if mode == "prefixes":
    # every prefix of these names is refused
    words = ("pin pins so-pin sopin user-pin pass passin passphrase password "
             "passwd pw pwd secret pfx-pass pfx-password p12-pass key-pass "
             "key-passphrase share puk pin-file so-pin-file pass-file "
             "pfx-pass-file key-pass-file share-file pins-file pinfile "
             "passfile secret-file puk-file").split()
    # these are refused from the first prefix that holds a stem on
    stemmed = ("new-pin old-pin token-pin user-password mypassword "
               "admin-pass card-pin hsm-secret my-share root-pwd").split()
    stems = "pin pass pwd secret share puk".split()
    real = real_options()
    out = set()
    for w in words:
        for i in range(1, len(w) + 1):
            if w[:i] not in real:
                out.add(w[:i])
    for w in stemmed:
        for i in range(1, len(w) + 1):
            if w[:i] not in real and any(st in w[:i] for st in stems):
                out.add(w[:i])
    print("\n".join(sorted(out)))
elif mode == "real":
    # "PROG option": each program's own options
    for prog in ("KC", "FS"):
        for o in sorted(real_options((prog,))):
            print(prog, o)
EOF
python3 "$gen" prefixes > "$T/prefixes" || bail "generator failed"
python3 "$gen" real > "$T/real" || bail "generator failed"
[ "$(wc -l < "$T/prefixes")" -gt 120 ] && ok "corpus: $(wc -l < "$T/prefixes") secret-looking names" ||
	not_ok "corpus too small"
[ "$(wc -l < "$T/real")" -gt 60 ] && ok "corpus: $(wc -l < "$T/real") real options" ||
	not_ok "real option tables not found"

# refused PROG ARGS...: exit status 2, the screen's message, no V anywhere
refused() {
	"$@" > "$T/o" 2>&1 < /dev/null
	_st=$?
	[ $_st -eq 2 ] && grep -q 'looks like a secret option' "$T/o" &&
		! grep -q "$V" "$T/o" && ! grep -qi "${V#Zq7x}" "$T/o"
}
# noecho PROG ARGS...: exit 2 (or $WANT: status's usage error is 3), no V
noecho() {
	"$@" > "$T/o" 2>&1 < /dev/null
	_st=$?
	[ $_st -eq "${WANT:-2}" ] && ! grep -q "$V" "$T/o" && ! grep -q "${V#Zq7x}" "$T/o"
}

for prog in KC FS; do
	eval "P=\$$prog"
	[ $prog = KC ] && cmd="quorum split" || cmd="sign"
	while read -r p; do
		up=$(printf '%s' "$p" | tr a-z A-Z)
		bad=""
		for form in sep eq glue up before; do
			case $form in
			sep)    set -- $cmd "--$p" "$V" ;;
			eq)     set -- $cmd "--$p=$V" ;;
			glue)   [ ${#p} -ge 2 ] || continue	# "--pZq..": see below
				set -- $cmd "--$p$V" ;;
			up)     set -- $cmd "--$up" "$V" ;;
			before) set -- "--$p=$V" $cmd ;;
			esac
			refused $P "$@" || { bad="$bad $form"; sed 's/^/#   /' "$T/o"; }
		done
		[ -z "$bad" ] && ok "$prog --$p: refused, value not echoed" ||
			not_ok "$prog --$p: echoed or not refused ($bad)"
	done < "$T/prefixes"
done

# a one-letter name with the value glued on ("--pZq...") is not refused by
# the screen (it could be any option) but is named only as "--p..."
check_fails "a glued one-letter name is shown without the value" \
	"unknown option '--p\.\.\.'" $KC export "--p$V"

# positive: every real option of a program spelled in full passes its
# screen (the command word is unknown, so nothing runs: only the screen is
# tested)
bad=""
while read -r prog o; do
	eval "P=\$$prog"
	$P no-such-command "--$o" x > "$T/o" 2>&1
	grep -q 'looks like a secret option' "$T/o" && bad="$bad $prog:--$o"
	$P no-such-command "--$o=x" > "$T/o" 2>&1
	grep -q 'looks like a secret option' "$T/o" && bad="$bad $prog:--$o="
done < "$T/real"
[ -z "$bad" ] && ok "every real option spelled in full passes the screen" ||
	not_ok "real options refused:$bad"

# the screen knows the options of its own program's tables only: a
# secret-looking option of the other program is refused
for a in "KC --key-pass-file" "KC --pass-file" "KC --pfx-pass-file" \
    "FS --so-pin-file" "FS --pin-file" "FS --share-file" "FS --shares"; do
	set -- $a
	eval "P=\$$1"
	refused $P no-such-command "$2=$V" &&
		ok "$1 $2 (the other program's option): refused, value not shown" ||
		not_ok "$1 $2=VALUE: passed the screen or echoed"
done

# a value after "--" is an argument, not an option: not screened
$KC no-such-command -- --pin "$V" > "$T/o" 2>&1
grep -q 'looks like a secret option' "$T/o" && not_ok "'--' ends the screen" ||
	ok "'--' ends the screen"

# bad options in every command are named without their value
# (every command each program's --help lists, subcommands included)
for prog in KC FS; do
	eval "P=\$$prog"
	python3 "$KC_TOP_SRCDIR/tests/help-options.py" "$P" | cut -f1 | sort -u |
		tr ' ' _ > "$T/cmds-$prog" || not_ok "$prog: a command's --help failed"
done
cmds_kc=$(cat "$T/cmds-KC")
cmds_fs=$(cat "$T/cmds-FS")
[ "$(echo "$cmds_kc" | wc -l)" -ge 20 ] && [ "$(echo "$cmds_fs" | wc -l)" -ge 10 ] &&
	ok "commands read from --help: $(echo $cmds_kc $cmds_fs | wc -w)" ||
	not_ok "too few commands read from --help"
for prog in KC FS; do
	eval "P=\$$prog"; [ $prog = KC ] && cl=$cmds_kc || cl=$cmds_fs
	for c in $cl; do
		c=$(echo "$c" | tr _ ' ')
		bad=""
		# shellcheck disable=SC2086
		for a in "--zzz=$V" "--zzz$V" "--zzz9$V" "--yes=$V" "--help=$V" \
		    "-x$V" "--ZZZ$V" "--p$V" "--s$V" "--k$V" "--u$V" \
		    "--new-p$V" "--o-$V"; do
			WANT=2; [ "$c" = status ] && WANT=3
			noecho $P $c "$a" || { bad="$bad $a"; sed 's/^/#   /' "$T/o"; }
		done
		[ -z "$bad" ] && ok "$prog $c: bad options named without the value" ||
			not_ok "$prog $c: value echoed or wrong status:$bad"
	done
done
check_fails "unknown option is named" "unknown option '--zzz\.\.\.'" $KC export "--zzz=$V"
check_fails "factorysign names it too" "unknown option '--zzz\.\.\.'" $FS sign "--zzz=$V"

# positive controls: the full-spelled file options work
( umask 077; printf '%s\n' 123456 > "$T/pin" )
check "quorum split --pin-file (full spelling) works" \
	$KC quorum split --threshold 2 --shares 2 --pin-file "$T/pin"
check "quorum split --pin-file=F (full spelling) works" \
	$KC quorum split --threshold=2 --shares=2 --pin-file="$T/pin"
( umask 077; printf '%s\n' 'correct horse battery' > "$T/pass" )
check "factorysign init --pass-file (full spelling) works" \
	$FS init --dir "$T/fd" --subject "/CN=argv test factory" --algorithm ec-p256 \
	--pass-file "$T/pass"
check_fails "an abbreviated --pass-f is refused even with a real file" \
	"looks like a secret option" \
	$FS init --dir "$T/fd2" --subject "/CN=x" --algorithm ec-p256 --pass-f "$T/pass"
[ ! -e "$T/fd2" ] && ok "... and nothing was created" || not_ok "... and nothing was created"
done_testing

#!/bin/sh
# Issue 14, items 1 and 8: the ceremony file's SHA-256 (the one hash form
# and its PGP words) on Home and Preflight and in the transcript's first
# record, so that the witnesses compare it with the paper record before
# the key is made; Home says a missing state directory will be created
# (not an error) and wraps long messages at 80 columns with their hint;
# a terminal too small is told to use a SMALLER console font.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/tui-lib.sh"
softhsm_setup root
mkdir -p "$T/media"
cp "$KC_TOP_SRCDIR/tests/fixtures/tui/root.yaml" "$T/"
site_file "$T/site.yaml" root
sha=$(sha256sum "$T/root.yaml" | cut -c1-64)
# the one form: lower-case hex, groups of eight, one space between
shown=$(echo "$sha" | sed 's/\(........\)/\1 /g; s/ $//')

# the state directory does not exist yet ($T/state): Home says it will be
# created; the media directory names a missing medium: its hint is shown
sed -i "s|^media: .*|media: $T/no-such-medium-directory-with-a-long-name/media8|" "$T/site.yaml"
tui_start "$KC tui root.yaml --site site.yaml > stdout.txt"
expect "home lists the ceremony" "Root CA key generation (TUI test)"
capture home
check "Home shows the file's SHA-256 in the one form" grep -Fq "$shown" "$T/home.txt"
check "  ... labelled for the paper record" grep -q "SHA-256 of root.yaml (compare it with the paper record)" "$T/home.txt"
check "a missing state directory: will be created, not an error" \
	sh -c "tr -d '\n' < '$T/home.txt' | tr -s ' ' | grep -q 'does not exist yet: it will be created when the ceremony starts (not an error)'"
check "  ... and no 'No such file' for it" sh -c "! grep -q 'state .*No such file' '$T/home.txt'"
check "the media message keeps its hint at 80 columns" \
	sh -c "tr -d '\n' < '$T/home.txt' | tr -s ' ' | grep -q 'insert and mount the medium'"
check "no line of Home is wider than 80 columns" sh -c "! awk 'length > 80' '$T/home.txt' | grep -q ."
keys C-c; wait_for "Leave keyceremony?"; keys y
wait_exit 10 >/dev/null

# the same on Preflight, with the PGP words before the checks run
site_file "$T/site.yaml" root
tui_start "$KC tui root.yaml --site site.yaml > stdout.txt"
wait_for "Root CA key generation (TUI test)"
keys Enter
tui_roles "Alice Admin" "Oscar Officer" "Wendy Witness"
expect "preflight screen" "Preflight checks"
expect "  ... the file's PGP words below, before the checks" "compare its SHA-256 with the paper record"
capture preflight-before
check "Preflight shows the file's SHA-256 in the one form" grep -Fq "SHA-256 $shown" "$T/preflight-before.txt"
tui_preflight && ok "preflight passed" || not_ok "preflight passed"
capture preflight-after
check "  ... still shown once the checks passed" grep -Fq "SHA-256 $shown" "$T/preflight-after.txt"
keys C-c; wait_for "Abort the ceremony?"; keys y
wait_for "CEREMONY ABORTED" 20; keys q
wait_exit 10 >/dev/null
tr=$(ls -t "$T"/state/transcripts/*.log | head -1)
first=$(grep -m1 '^KC1 ' "$tr")
check "the transcript's first record is begin" sh -c "echo '$first' | grep -q ' begin '"
check "  ... with file-sha256" sh -c "echo '$first' | grep -q 'file-sha256=$sha'"
words=$(echo "$first" | sed -n 's/.*file-sha256-words="\([^"]*\)".*/\1/p')
check "  ... and file-sha256-words, 32 PGP words" sh -c "[ \$(echo '$words' | wc -w) = 32 ]"
w1=$(echo "$words" | cut -d' ' -f1-4)
check "  ... the words Preflight shows before the checks" sh -c \
	"tr '\n' ' ' < '$T/preflight-before.txt' | tr -s ' ' | grep -Fq '$w1'"
check "the transcript still verifies" "$KC" transcript verify "$tr"

# too small: the advice is a SMALLER console font (more rows and columns)
TUI_COLS=70 tui_start "$KC tui root.yaml --site site.yaml 2> err.txt"
[ "$(wait_exit 10)" != 0 ] && ok "a 70x24 terminal is refused" || not_ok "a 70x24 terminal is refused"
check "  ... use a smaller console font" grep -q "smaller console font" "$T/err.txt"
check "  ... never a larger one" sh -c "! grep -q 'larger console font' '$T/err.txt'"
done_testing

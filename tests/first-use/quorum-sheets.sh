#!/bin/sh
# Issue 14 item 2: `quorum combine --share-file` reads the sheets that
# `quorum split --out-dir` writes (the whole printed sheet, not a share line
# grepped out of it), and `--out-dir shares/` creates the directory (0700)
# when its parent exists. The runbook's split and check commands are taken
# from docs/runbook.md and run as written. A generated corpus of sheets,
# edited as people do (CRLF, a name written in, blank lines, lower case) is
# accepted; hostile and malformed files (two shares, altered headings, NUL,
# too large, links, FIFOs, devices, readable by others...) are refused with
# one line naming the file, never the share, and nothing is written.
. "$KC_TOP_SRCDIR/tests/lib.sh"

RUNBOOK=$KC_TOP_SRCDIR/docs/runbook.md
mkdir "$T/work" && cd "$T/work" || bail "cd"
( umask 077; printf 'pin-of-the-quorum-7731\n' > pin )

# runbook_cmd WORDS: the indented command of docs/runbook.md that starts
# with "keyceremony WORDS", continuation lines joined, program = $KC.
runbook_cmd() {
	awk -v w="keyceremony $1" '
		{ t = $0; sub(/^ +/, "", t) }
		go { cmd = cmd " " t }
		!go && /^    / && index(t, w) == 1 { go = 1; cmd = t }
		go && cmd !~ /\\$/ { print cmd; exit }
		go { sub(/ *\\$/, "", cmd) }' "$RUNBOOK" | sed 's/^keyceremony /"$KC" /'
}
SPLIT=$(runbook_cmd "quorum split")
COMBINE=$(runbook_cmd "quorum combine --share-file")
case $SPLIT in *"--out-dir shares/"*) ok "the runbook's split command: $SPLIT" ;; *) not_ok "runbook split command found: '$SPLIT'" ;; esac
case $COMBINE in *"share-1-of-3.txt"*) ok "the runbook's check command: $COMBINE" ;; *) not_ok "runbook combine command found: '$COMBINE'" ;; esac

# the runbook's split, as written: shares/ does not exist yet
check "runbook: quorum split --out-dir shares/ (a missing directory)" sh -c "$SPLIT"
grep -q "created the share directory shares/ (mode 0700)" "$T/.out" && ok "split says it created shares/ (0700)" ||
	{ not_ok "split says it created the directory"; sed 's/^/#   /' "$T/.out"; }
[ "$(stat -c %a shares)" = 700 ] && ok "shares/ is 0700" || not_ok "shares/ mode $(stat -c %a shares)"
[ "$(ls shares | tr '\n' ' ')" = "share-1-of-3.txt share-2-of-3.txt share-3-of-3.txt " ] &&
	[ "$(stat -c %a shares/share-2-of-3.txt)" = 600 ] && ok "three sheets, 0600" || not_ok "three sheets: $(ls -l shares)"
grep -q "^keyceremony PIN share 1 of 3 " shares/share-1-of-3.txt && grep -q "^custodian: " shares/share-1-of-3.txt &&
	ok "the files are the whole printed sheet" || not_ok "sheet layout"
if grep -rq "pin-of-the-quorum" shares; then not_ok "no sheet holds the PIN"; else ok "no sheet holds the PIN"; fi

# the runbook's check, as written, on the sheets as written
check "runbook: quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-3-of-3.txt" sh -c "$COMBINE"
grep -q "combine to a PIN" "$T/.out" && ok "the sheets combine" || not_ok "combine output"
# the README's row, as written (its optional --out left out)
RC=$(sed -n 's/^| check (or rebuild) the PIN from K share sheets | `\(keyceremony quorum combine [^`]*\) \[--out F\]` |$/\1/p' "$KC_TOP_SRCDIR/README.md")
case $RC in "keyceremony quorum combine --share-file shares/share-1-of-3.txt --share-file shares/share-3-of-3.txt") ok "README row: $RC" ;;
	*) not_ok "README combine row found: '$RC'" ;; esac
check "README: $RC" sh -c "\"\$KC\" ${RC#keyceremony }"
# the issue's exact command line, from inside the directory
( cd shares && "$KC" quorum combine --share-file share-1-of-3.txt --share-file share-3-of-3.txt --out ../rebuilt ) >"$T/.out" 2>&1 &&
	cmp -s pin rebuilt && ok "issue command: sheets 1 and 3 rebuild the PIN" ||
	{ not_ok "issue command rebuilds the PIN"; sed 's/^/#   /' "$T/.out"; }
check "sheets 2 and 1 combine too" "$KC" quorum combine --share-file shares/share-2-of-3.txt --share-file shares/share-1-of-3.txt

# the sheets printed on stdout, saved by hand into files: also read
"$KC" quorum split --threshold 2 --shares 3 --pin-file pin --label root > printed 2>/dev/null
( umask 077; awk '/^-----/ { n++; next } { print > ("printed-" n+1) }' printed )
check "sheets saved from the terminal combine" "$KC" quorum combine --share-file printed-3 --share-file printed-1

# --out-dir refusals: nothing is created, and nothing is read first
check_fails "a missing parent is refused" "--out-dir nope/shares does not exist and cannot be created: its parent directory nope does not exist" \
	"$KC" quorum split --threshold 2 --shares 3 --pin-file pin --out-dir nope/shares
[ ! -e nope ] && ok "nothing created for a missing parent" || not_ok "something created for a missing parent"
: > afile
check_fails "a file as --out-dir is refused" "--out-dir afile is a file, not a directory" \
	"$KC" quorum split --threshold 2 --shares 3 --pin-file pin --out-dir afile
ln -s shares alink
check_fails "a symbolic link as --out-dir is refused" "--out-dir alink is a symbolic link, not a directory" \
	"$KC" quorum split --threshold 2 --shares 3 --pin-file pin --out-dir alink
mkdir existing
check "an existing directory is used as it is" "$KC" quorum split --threshold 2 --shares 2 --pin-file pin --out-dir existing
if grep -q "created the share directory" "$T/.out"; then not_ok "no 'created' for an existing directory"; else ok "no 'created' for an existing directory"; fi
check_fails "existing sheets are not overwritten" "share-1-of-3.txt" \
	"$KC" quorum split --threshold 2 --shares 3 --pin-file pin --out-dir shares/

# a corpus of sheets as people keep them (accepted) and hostile ones
# (refused), generated from the real sheets
mkdir corpus && chmod 700 corpus
python3 - shares corpus <<'EOF' || bail "corpus generator"
import os, sys
src, out = sys.argv[1], sys.argv[2]
s1 = open(os.path.join(src, "share-1-of-3.txt")).read()
s2 = open(os.path.join(src, "share-2-of-3.txt")).read()
s3 = open(os.path.join(src, "share-3-of-3.txt")).read()
line = [l for l in s2.splitlines() if l.startswith("    0")][0].strip()
line3 = [l for l in s3.splitlines() if l.startswith("    0")][0].strip()
def w(name, data, mode=0o600):
    p = os.path.join(out, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(p, mode)
good = {
    "crlf": s2.replace("\n", "\r\n"),
    "name-written-in": s2.replace("custodian: ______________________________", "custodian: Alexandra Marie Schmidt"),
    "name-on-own-line": s2.replace("custodian: ______________________________\n", "custodian:\nAlexandra Marie Schmidt\n"),
    "no-indent": s2.replace("    " + line, line),
    "tab-indent": s2.replace("    " + line, "\t" + line + "  "),
    "blank-lines": "\n\n" + s2.replace("\n", "\n\n") + "\n\n",
    "lower-case": s2.replace(line, line.lower()),
    "spaces-for-dashes": s2.replace(line, line.replace("-", " ")),
    "share-only": line + "\n",
    "share-only-no-newline": line,
    "no-heading": "\n".join(l for l in s2.splitlines() if not l.startswith("keyceremony")) + "\n",
    "notes-added": s2 + "\nSealed in bag 4471 on 2026-11-30, see log.\n",
    "utf8-notes": s2 + "Verwahrt: Schließfach 12 — geprüft\n",
}
bad = {
    "empty": ("", "no share in this file"),
    "heading-only": (s2.splitlines()[0] + "\n", "no share in this file"),
    "closing-only": ("Keep this sheet sealed.\n", "no share in this file"),
    "two-sheets": (s2 + s3, "two share headings|both look like a share"),
    "two-shares": (line + "\n" + line3 + "\n", "lines 1 and 2 both look like a share"),
    "share-twice": (s2 + "\n    " + line + "\n", "both look like a share"),
    "split-line": (s2.replace(line, line[:70] + "\n    " + line[70:]), "both look like a share|a group is missing"),
    "heading-says-1": (s2.replace("share 2 of 3", "share 1 of 3", 1), "the sheet's heading says share 1 .* but its share is share 2"),
    "heading-other-set": (s2.replace(s2.split("set ")[1][:6], "ABCDEF", 1), "heading says share 2 of set ABCDEF"),
    "heading-damaged": (s2.replace("any 2 of 3", "any two of 3", 1), ":1: the heading of the share sheet is damaged"),
    "heading-k-n-disagree": (s2.replace("any 2 of 3", "any 2 of 4", 1), ":1: the heading of the share sheet is damaged"),
    "mistyped": (s2.replace(line, line[:10] + ("7" if line[10] != "7" else "8") + line[11:]), "share does not check out"),
    "group-missing": (s2.replace(line, line[:5] + line[10:]), "a group is missing"),
    "group-doubled": (s2.replace(line, line[:5] + line), "too long|a group is missing or doubled"),
    "nul-byte": (s2.replace("custodian", "cust\0odian").encode(), "holds a NUL byte"),
    "nul-in-share": ((s2[:s2.index(line) + 20] + "\0" + s2[s2.index(line) + 20:]).encode(), "holds a NUL byte"),
    "too-large": (s2 + "#" * 9000, "file too large"),
    "long-share-line": ("0" * 4000 + "\n", "too long"),
    "escape-in-share": (s2.replace(line, line[:20] + "\x1b[2J" + line[20:]), "no share in this file"),
    "bidi-in-share": (s2.replace(line, line[:20] + "\u202e" + line[20:]), "no share in this file"),
    "binary": (bytes(range(1, 256)) * 4, "no share in this file"),
    "latin1-garbage": ("Sch\xf6n\n".encode("latin-1") + b"\xff\xfe", "no share in this file"),
}
for n, d in good.items():
    w("good-" + n, d)
for n, (d, msg) in bad.items():
    w("bad-" + n, d)
    open(os.path.join(out, "bad-" + n + ".msg"), "w").write(msg)
EOF
# file kinds
ln -s ../shares/share-2-of-3.txt corpus/bad-symlink; echo "is a symbolic link" > corpus/bad-symlink.msg
mkfifo corpus/bad-fifo; echo "is a FIFO" > corpus/bad-fifo.msg
mkdir corpus/bad-directory; echo "is a directory|not a regular file" > corpus/bad-directory.msg
cp shares/share-2-of-3.txt corpus/bad-readable; chmod 644 corpus/bad-readable
echo "accessible by group or others \(mode 644\)" > corpus/bad-readable.msg
cp shares/share-2-of-3.txt corpus/bad-group-writable; chmod 620 corpus/bad-group-writable
echo "accessible by group or others \(mode 620\)" > corpus/bad-group-writable.msg
ln -s /dev/null corpus/bad-devnull-link; echo "is a symbolic link" > corpus/bad-devnull-link.msg
ln corpus/good-crlf corpus/good-hardlink 2>/dev/null || cp corpus/good-crlf corpus/good-hardlink

# the text of every share, for "never quoted" (any 9 characters of it)
shares_text=$(grep -h '^    0' shares/*.txt | tr -d ' ')
leaks() {
	for s in $shares_text; do
		for o in 0 15 40 100; do
			grep -qiF -- "$(printf %s "$s" | cut -c$((o + 1))-$((o + 9)))" "$1" && return 0
		done
	done
	return 1
}
ngood=0
for f in corpus/good-*; do
	n=${f#corpus/}
	if "$KC" quorum combine --share-file "$f" --share-file shares/share-1-of-3.txt --out "out-$n" >"$T/.out" 2>&1 &&
		cmp -s pin "out-$n"; then ngood=$((ngood + 1)); else not_ok "$n is read"; sed 's/^/#   /' "$T/.out"; fi
done
[ "$ngood" -ge 14 ] && ok "$ngood sheets as people keep them rebuild the PIN" || not_ok "only $ngood good sheets read"
nbad=0
for f in corpus/bad-*; do
	case $f in *.msg) continue ;; esac
	n=${f#corpus/}
	msg=$(cat "$f.msg")
	timeout 20 "$KC" quorum combine --share-file shares/share-1-of-3.txt --share-file "$f" --out "out-$n" >"$T/.out" 2>&1 </dev/null
	rc=$?
	lines=$(wc -l < "$T/.out")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 2 ] && sed -n 2p "$T/.out" | grep -Eq -- "$f.*($msg)" &&
		[ ! -e "out-$n" ] && ! leaks "$T/.out"; then
		nbad=$((nbad + 1))
	else
		not_ok "$n refused (rc $rc, /$msg/, one line naming the file, nothing written, share not quoted)"
		sed 's/^/#   /' "$T/.out"
	fi
done
[ "$nbad" -ge 28 ] && ok "$nbad hostile or malformed files refused with one line naming the file" ||
	not_ok "only $nbad hostile files refused"
# the accepted share's one line of progress, then the refusal: the
# first line of every refusal above was the accepted sheet 1
grep -q "share 1 of 3 (set .*) accepted" "$T/.out" && ok "the good sheet before a refused one is still accepted" ||
	not_ok "progress line"

# no share text anywhere in the work directory outside the sheets
if grep -rqF --exclude-dir=shares --exclude-dir=corpus --exclude='printed*' \
	-e "$(printf '%s\n' $shares_text | head -1 | cut -c1-14)" .; then not_ok "no share text outside the sheets"; else ok "no share text outside the sheets"; fi
done_testing

#!/bin/sh
# Issue 14 item 15: a missing --out-dir is created (0755) when its parent
# exists, and the command says so; a missing parent, a file in the way, a
# dangling link or a bad option before it create nothing. For sign, batch,
# issue and keygen.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
umask 022
mkcsr dev-0001
mkdir in && cp csr/dev-0001.csr in/
mkcsr dev-0002
printf 'dev-i1\n' > ids
# the output of the last check, kept (check writes the next one there)
said() { cp "$T/.out" "$T/said"; check "$1" grep -q -- "$2" "$T/said"; }

check "sign into a missing out-dir" "$FS" sign --dir D --csr csr/dev-0001.csr --out-dir new1 --pass-file "$PASS"
said "  ... said so, with the mode" "^factorysign: created the output directory new1 (mode 0755)$"
check "  ... the directory is 0755 and holds the chain" sh -c "[ \$(stat -c %a new1) = 755 ] && [ -f new1/dev-0001.chain.pem ]"
check "sign again into it: no 'created' line" "$FS" sign --dir D --csr csr/dev-0002.csr --out-dir new1 --pass-file "$PASS"
cp "$T/.out" "$T/said"
check "  ... silent about the directory" sh -c "! grep -q 'created the output directory' '$T/said'"
check "batch into a missing out-dir" "$FS" batch --dir D --csr-dir in --out-dir new2 --pass-file "$PASS"
said "  ... said so" "created the output directory new2"
check "issue into a missing out-dir" "$FS" issue --dir D --ids ids --out-dir new3 --plain-keys --pass-file "$PASS"
said "  ... said so" "created the output directory new3"
check "  ... the key inside" test -f new3/dev-i1.key.pem

# refusals: nothing created
check_fails "a missing parent: refused, naming it" \
	"--out-dir nope/deeper does not exist and cannot be created: No such file or directory \\(its parent directory must exist" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir nope/deeper --pass-file "$PASS"
check "  ... nothing created" test ! -e nope
: > afile
check_fails "a file in the way: not a directory" "afile: not a directory" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir afile --pass-file "$PASS"
ln -s "$T/gone" dangling
check_fails "a dangling symbolic link: refused" "dangling.*cannot be created: File exists" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir dangling --pass-file "$PASS"
check "  ... its target not created" test ! -e "$T/gone"
check_fails "a bad option: refused before the directory is made" "--format at needs --sec-tag" \
	"$FS" sign --dir D --csr csr/dev-0001.csr --format at --out-dir new4 --pass-file "$PASS"
check "  ... nothing created" test ! -e new4
check_fails "issue --format c without --plain-keys: nothing created" "plain-keys" \
	"$FS" issue --dir D --ids ids --format c --out-dir new5 --key-pass-file "$PASS" --pass-file "$PASS"
check "  ... nothing created" test ! -e new5
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
	check_fails "a read-only parent: refused" "ro/out does not exist and cannot be created: Permission denied" \
		"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir ro/out --pass-file "$PASS"
else
	ok "a read-only parent: (root may write anywhere)"
fi
check "--out-dir with a trailing slash is created too" "$FS" sign --dir D --csr csr/dev-0002.csr --out-dir new6/ --reissue --pass-file "$PASS"
said "  ... said so" "created the output directory new6/"
done_testing

#!/bin/sh
# Issue 12 item 9: the PKCS#11 module is not trusted blindly.
#  - A module file writable by group or others, or owned by a user other
#    than root and the caller, or a directory on its real path (symbolic
#    links resolved) writable by group or others (sticky /tmp-like ones
#    too) or owned by another user, is refused before it is loaded, with a
#    message naming the file or directory, its mode or owner, and what to
#    do; whether it came from --module, KEYCEREMONY_MODULE or the site
#    profile. The shim module counts its loads: a refused one never ran.
#  - What was loaded is shown and recorded: the real path, size and
#    SHA-256 of the module file, C_GetInfo, the token's manufacturer,
#    model, serial, hardware and firmware versions, and LD_PRELOAD,
#    LD_AUDIT, LD_LIBRARY_PATH, OPENSSL_CONF, OPENSSL_MODULES,
#    OPENSSL_ENGINES and SOFTHSM2_CONF, set or not (values escaped), in the
#    preflight output and in the transcript's token check record, before
#    any key work.
#  - LD_PRELOAD (or LD_AUDIT) set: refused for a production token (the shim
#    reporting a real HSM's manufacturer), accepted and recorded for a
#    rehearsal (SoftHSM) token.
# Every refusal is paired with the same case made right, which passes.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "cd"
shim_setup
CER=$KC_TOP_SRCDIR/ceremony
# The environment is what these tests are about: under `make memcheck`
# valgrind sets LD_PRELOAD itself, so run the programs directly.
KCRAW=$KC_TOP_BUILDDIR/keyceremony
# ASan wants to be first in the library list; a preloaded library is the
# point here.
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"
export ASAN_OPTIONS
unset LD_PRELOAD LD_AUDIT LD_LIBRARY_PATH OPENSSL_CONF OPENSSL_MODULES OPENSSL_ENGINES
PRE=$(for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
	[ -f "$d/libz.so.1" ] && { echo "$d/libz.so.1"; break; }; done)
[ -n "$PRE" ] || bail "libz.so.1 not found (a harmless library to preload)"
loaded() { cat "$T/shim.loaded" 2>/dev/null || echo 0; }
logins() { cat "$T/shim.logins" 2>/dev/null || echo 0; }
# list MODULE: token list, its output kept in $T/list.out.
list() {
	rm -f "$T/shim.loaded"
	"$KCRAW" token list --module "$1" > "$T/list.out" 2>&1; _rc=$?
	cat "$T/list.out"; return $_rc
}
# refused DESC PATTERN MODULE: token list refuses MODULE, naming the reason,
# and the module was never loaded (no slot listed, no C_GetFunctionList).
refused() {
	check_fails "$1" "$2" list "$3"
	check "  ... no slot listed, the module never ran, one line" sh -c \
		"! grep -q '^slot' '$T/list.out' && test ! -e '$T/shim.loaded' && test \$(grep -c . '$T/list.out') = 1"
}
accepted() {
	check "$1" list "$2"
	check "  ... it was loaded and lists the token" grep -q "label: *keyceremony-demo" "$T/list.out"
}
# cer LABEL: root-ca.yaml with key label LABEL (one token serves every run).
cer() { sed "s/: root-2026 /: $1 /" "$CER/root-ca.yaml" > "$T/cer-$1.yaml"; echo "$T/cer-$1.yaml"; }
nkeys() { p11 --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Private Key Object'; }
sum() { sha256sum "$1" | cut -c1-64; }
# the same as people are shown it (the one hash form: groups of eight)
sumf() { sum "$1" | sed 's/\(........\)/\1 /g; s/ $//'; }

# --- the module file itself ------------------------------------------------
M=$SAFE/m1
mkdir "$M" && chmod 755 "$M"
cp "$SHIM" "$M/p11.so" && chmod 755 "$M/p11.so"
accepted "a module of mode 0755 owned by us, in 0755 directories: accepted" "$M/p11.so"
check "  ... token list shows its real path, size and SHA-256 (= sha256sum)" sh -c \
	"grep -q '^  file: *$M/p11.so, $(stat -c %s "$M/p11.so") bytes\$' '$T/list.out' &&
	 grep -q '^  SHA-256: *$(sumf "$M/p11.so")\$' '$T/list.out'"
check "  ... and C_GetInfo (SoftHSM's library description and version)" \
	grep -Eq '^  library: +"SoftHSM" "Implementation of PKCS11" version [0-9]+\.[0-9]+ \(Cryptoki 2\.[0-9]+\)$' "$T/list.out"
check "  ... the token's versions and PIN length" sh -c \
	"grep -Eq '^  versions: +hardware [0-9.]+, firmware [0-9.]+\$' '$T/list.out' &&
	 grep -q '^  PIN length: *4 to 255 bytes\$' '$T/list.out'"
check "  ... and the environment (SOFTHSM2_CONF set, LD_PRELOAD not)" sh -c \
	"grep -q '^  environment: *SOFTHSM2_CONF=\"$SOFTHSM2_CONF\"\$' '$T/list.out' &&
	 grep -q '^  environment: *LD_PRELOAD unset\$' '$T/list.out'"
# Mode bits: every group/other write combination, with and without the
# other bits (generated), refused; the same file at 0755/0555/0700 accepted.
for mode in 0775 0757 0777 0766 0722 0620 0602 0664 0646 2775 4757 0770; do
	chmod "$mode" "$M/p11.so"
	case $mode in
	?[0-7][2367][2367]) who="group and others";;
	?[0-7][2367]?) who="group";;
	*) who="others";;
	esac
	refused "module file mode $mode: refused" \
		"PKCS#11 module $M/p11\\.so is writable by $who \\(mode $mode\\).*chmod go-w" "$M/p11.so"
done
for mode in 0755 0555 0700 0500; do
	chmod "$mode" "$M/p11.so"
	accepted "module file mode $mode: accepted" "$M/p11.so"
done
chmod 755 "$M/p11.so"
chown nobody "$M/p11.so"
refused "module file owned by nobody: refused" \
	"PKCS#11 module $M/p11\\.so is owned by uid $(id -u nobody), not by root or you.*chown root" "$M/p11.so"
chown nobody:nogroup "$M/p11.so"; chmod 700 "$M/p11.so"
refused "  ... even with mode 0700" "is owned by uid $(id -u nobody)" "$M/p11.so"
chown "$(id -u):$(id -g)" "$M/p11.so"; chmod 755 "$M/p11.so"
chgrp nogroup "$M/p11.so"
accepted "module file of another group, not group-writable: accepted" "$M/p11.so"
chgrp "$(id -g)" "$M/p11.so"

# --- directories on its path ------------------------------------------------
for mode in 0775 0757 0777 1777 3777 0773 1733; do
	chmod "0$mode" "$M"	# five digits: GNU chmod keeps a directory's setgid otherwise
	case $mode in
	1*|3*) extra="sticky like /tmp: a module must not live there";;
	*) extra="chmod go-w that directory";;
	esac
	refused "directory of the module at mode $mode: refused" \
		"PKCS#11 module $M/p11\\.so: directory $M is writable by .*\\(mode $mode.*$extra" "$M/p11.so"
done
chmod 00755 "$M"
accepted "  ... back at 0755: accepted" "$M/p11.so"
chown nobody "$M"
refused "directory owned by nobody: refused" \
	"directory $M is owned by uid $(id -u nobody), not by root or you" "$M/p11.so"
chown "$(id -u)" "$M"
# A directory higher up.
mkdir -p "$SAFE/up/a/b" && cp "$SHIM" "$SAFE/up/a/b/p11.so" && chmod -R 755 "$SAFE/up"
accepted "a module three directories down: accepted" "$SAFE/up/a/b/p11.so"
chmod 777 "$SAFE/up"
refused "  ... with a directory two levels up writable by all: refused, naming it" \
	"directory $SAFE/up is writable by group and others \\(mode 0777" "$SAFE/up/a/b/p11.so"
chmod 755 "$SAFE/up"
# Under /tmp, /dev/shm: sticky and world-writable.
cp "$SHIM" "$T/p11.so"; chmod 755 "$T/p11.so"
refused "a module in the test's temp dir (under /tmp): refused" \
	"directory /tmp is writable by group and others \\(mode 1777, sticky like /tmp" "$T/p11.so"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/kc-mod.XXXXXX); chmod 755 "$shm"; cp "$SHIM" "$shm/p11.so"
	refused "a module under /dev/shm: refused" "directory /dev/shm is writable" "$shm/p11.so"
	rm -rf "$shm"
fi

# --- the whole matrix: file mode x directory mode x file owner x directory
# owner (generated, 80 cases), the verdict and the reason computed here.
nob=$(id -u nobody)
X=$SAFE/mx/d
mkdir -p "$X" && chmod 755 "$SAFE/mx"
cp "$SHIM" "$X/p11.so"
ok_n=0; bad_n=0; wrong=""
for fm in 0755 0775 0757 0700; do
for dm in 0755 0775 0757 01777 0700; do
for fo in me nobody; do
for do_ in me nobody; do
	chown "$( [ $fo = me ] && id -u || echo "$nob")" "$X/p11.so"; chmod "$fm" "$X/p11.so"
	chown "$( [ $do_ = me ] && id -u || echo "$nob")" "$X"; chmod "0$dm" "$X"
	if [ $do_ = nobody ]; then want="directory $X is owned by uid $nob"
	elif [ $(( dm & 022 )) -ne 0 ]; then want="directory $X is writable by"
	elif [ $fo = nobody ]; then want="p11\.so is owned by uid $nob"
	elif [ $(( fm & 022 )) -ne 0 ]; then want="p11\.so is writable by"
	else want=""; fi
	rm -f "$T/shim.loaded"
	if "$KCRAW" token list --module "$X/p11.so" > "$T/mx.out" 2>&1; then
		if [ -n "$want" ]; then wrong="$wrong [$fm $dm $fo $do_: accepted]"; else ok_n=$((ok_n + 1)); fi
	elif [ -n "$want" ] && grep -Eq "$want" "$T/mx.out" && [ ! -e "$T/shim.loaded" ]; then
		bad_n=$((bad_n + 1))
	else
		wrong="$wrong [$fm $dm $fo $do_: $(head -c 200 "$T/mx.out")]"
	fi
done; done; done; done
chown "$(id -u)" "$X" "$X/p11.so"; chmod 755 "$X" "$X/p11.so"
check "matrix of 80 file/directory modes and owners: each verdict and reason as computed" \
	sh -c "test -z '$(echo "$wrong" | tr -d "'")' && test $ok_n = 4 && test $bad_n = 76" || diag "wrong:$wrong ok=$ok_n refused=$bad_n"
cd "$X" || bail "cd $X"
check "a relative module path (./p11.so) in a safe directory: accepted" "$KCRAW" token list --module ./p11.so
cd "$T" || bail "cd"

# A module whose name holds controls: the refusal is one escaped line.
evil=$(printf '%s/\033[2J\302\233fake\nkeyceremony: all good\342\200\256.so' "$T")
cp "$SHIM" "$evil"
check_fails "a module named with ESC, CSI, a newline and U+202E, under /tmp: refused" \
	"directory /tmp is writable" list "$evil"
check "  ... one line, no raw control or bidi character on the terminal" sh -c \
	"test \$(wc -l < '$T/list.out') = 1 && ! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/list.out' &&
	 ! LC_ALL=C grep -q \"\$(printf '\\342\\200\\256')\" '$T/list.out' && grep -q 'x1b\\[2J' '$T/list.out'"
cp "$SHIM" "$M/$(printf 'odd\033name.so')"
accepted "  ... the same name in a safe directory: accepted" "$M/$(printf 'odd\033name.so')"
check "  ... its path is shown escaped" sh -c "grep -q 'odd\\\\x1bname.so' '$T/list.out' && ! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/list.out'"

# --- symbolic links: the real path is checked -------------------------------
ln -s "$M/p11.so" "$T/link.so"
accepted "a link in /tmp to a module in a safe directory: accepted (the target is what is loaded)" "$T/link.so"
check "  ... the real path is shown" grep -q "^  file: *$M/p11.so," "$T/list.out"
mkdir "$SAFE/open"; chmod 777 "$SAFE/open"; cp "$SHIM" "$SAFE/open/p11.so"; chmod 755 "$SAFE/open/p11.so"
ln -s "$SAFE/open/p11.so" "$M/to-open.so"
refused "a link in a safe directory to a module in a writable one: refused, naming the target directory" \
	"PKCS#11 module $M/to-open\\.so: directory $SAFE/open is writable by group and others" "$M/to-open.so"
ln -s "$SAFE/open" "$M/dirlink"
refused "a path through a linked directory that is writable: refused" \
	"directory $SAFE/open is writable" "$M/dirlink/p11.so"
chmod 755 "$SAFE/open"
accepted "  ... the same once the target directory is 0755: accepted" "$M/dirlink/p11.so"
ln -s "$T" "$M/tmplink"
refused "a linked directory that is under /tmp: refused" "directory /tmp is writable" "$M/tmplink/p11.so"
ln -s "$M/loop" "$M/loop"
check_fails "a symbolic link loop: refused" "PKCS#11 module $M/loop: .*(Too many levels|symbolic links)" list "$M/loop"
accepted "a path with // and /./ in it: accepted" "$M//./p11.so"

# --- every way of naming the module -----------------------------------------
chmod 777 "$SAFE/open"
rm -f "$T/shim.loaded"
check_fails "KEYCEREMONY_MODULE naming a module in a writable directory: refused" \
	"PKCS#11 module $SAFE/open/p11\\.so: directory $SAFE/open is writable" \
	env KEYCEREMONY_MODULE="$SAFE/open/p11.so" "$KCRAW" token list
check "  ... never loaded" test "$(loaded)" = 0
check "KEYCEREMONY_MODULE naming the safe one: accepted" \
	env KEYCEREMONY_MODULE="$M/p11.so" "$KCRAW" token list
# root create through the subcommands
( umask 077; printf '123456\n' > pin )
check_fails "root create with a refused module: refused, no key made" "directory $SAFE/open is writable" \
	"$KCRAW" root create --module "$SAFE/open/p11.so" --token keyceremony-demo --pin-file pin \
	--state st0 --label r0 --algorithm ec-p256 --subject /CN=x --days 30 --out r0.pem
check "  ... no certificate, no key" sh -c "test ! -e r0.pem && ! pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -q 'label: *r0'"
# the site profile, through a ceremony run
mkdir media
site() {
	cat > "$1" <<EOS
keyceremony-site: 1
name: $2
module: $3
token:
  label: keyceremony-demo
pin-file: pin
state: $4
media: media
network: warn
removable-media: warn
EOS
}
site bad.site rehearsal "$SAFE/open/p11.so" S-bad
check_fails "run with the site profile's module in a writable directory: preflight fails" \
	"preflight check 'token' failed: PKCS#11 module $SAFE/open/p11\\.so: directory $SAFE/open is writable" \
	"$KCRAW" run "$(cer k0)" --site bad.site --batch
check "  ... nothing made" test ! -e S-bad/root.pem
tr=$(ls S-bad/transcripts/*.log 2>/dev/null | head -1)
check "  ... the transcript records the failed token check and the environment" sh -c \
	"grep -q 'check check=token result=failed' '$tr' && grep -q 'env-ld-preload=unset' '$tr' &&
	 grep -q 'env-softhsm2-conf=\"set $SOFTHSM2_CONF\"' '$tr'"
check "  ... and no login" sh -c "! grep -q ' login ' '$tr'"
check "  ... the aborted transcript verifies" "$KCRAW" transcript verify "$tr"
chmod 755 "$SAFE/open"

# --- what a ceremony records about the module, the token, the environment ---
site good.site rehearsal "$M/p11.so" S1
"$KCRAW" run "$(cer k1)" --site good.site --batch > run1.out 2>&1
check "a rehearsal run through the safe module completes" test -s S1/root.pem
tr=$(ls S1/transcripts/root-ca-*.log)
rec=$(grep ' check check=token ' "$tr")
check "the token check record comes before the login and any step" sh -c \
	"awk '/ check check=token /{c=NR} / login /{l=NR} / step /{if(!s)s=NR} END{exit !(c && c<l && l<s)}' '$tr'"
chk() { check "$1" sh -c "grep ' check check=token ' '$tr' | grep -q -- \"\$0\"" "$2"; }
chk "  ... module real path" "module-path=$M/p11.so "
chk "  ... module SHA-256 (= sha256sum of the file)" "module-sha256=$(sum "$M/p11.so") "
chk "  ... module size" "module-size=$(stat -c %s "$M/p11.so") "
chk "  ... library (C_GetInfo)" 'library="SoftHSM / Implementation of PKCS11 / [0-9.]* / Cryptoki 2\.[0-9]*"'
chk "  ... token manufacturer" 'token-manufacturer="SoftHSM project"'
chk "  ... token model" 'token-model="SoftHSM v2"'
serial=$(p11 -L 2>/dev/null | sed -n '/keyceremony-demo/,/serial/s/.*serial num *: *//p' | head -1)
chk "  ... token serial (= pkcs11-tool's)" "token-serial=$serial "
chk "  ... token hardware and firmware versions" 'token-hardware=[0-9.]* token-firmware=[0-9.]* '
chk "  ... PIN length" 'pin-length=4-255 '
chk "  ... LD_PRELOAD unset" 'env-ld-preload=unset '
chk "  ... OPENSSL_CONF unset" 'env-openssl-conf=unset '
chk "  ... OPENSSL_MODULES unset" 'env-openssl-modules=unset '
chk "  ... SOFTHSM2_CONF and its value" "env-softhsm2-conf=\"set $SOFTHSM2_CONF\""
check "the run's preflight output shows the module file, size and SHA-256" sh -c \
	"grep -q '^      module file: $M/p11.so, $(stat -c %s "$M/p11.so") bytes\$' run1.out &&
	 grep -A1 '^      SHA-256 of the module file:\$' run1.out | grep -q '^        $(sumf "$M/p11.so")\$'"
check "  ... the library, the token's versions and PIN length" sh -c \
	"grep -q 'library: \"SoftHSM\" \"Implementation of PKCS11\" version' run1.out &&
	 grep -Eq 'token hardware [0-9.]+, firmware [0-9.]+; PIN length 4 to 255 bytes' run1.out"
check "  ... and the environment" grep -q "environment: LD_PRELOAD unset, LD_AUDIT unset, LD_LIBRARY_PATH unset, OPENSSL_CONF unset, OPENSSL_MODULES unset, OPENSSL_ENGINES unset, SOFTHSM2_CONF=\"$SOFTHSM2_CONF\"" run1.out
check "the transcript verifies" "$KCRAW" transcript verify "$tr"

# Environment values are escaped on the screen and in the transcript.
esc=$(printf 'x\033[2J\302\233y\342\200\256z\nw')
mkdir media2
site esc.site rehearsal "$M/p11.so" S2
sed -i 's/^media: media$/media: media2/' esc.site
env OPENSSL_MODULES="$esc" OPENSSL_CONF=/nonexistent/openssl.cnf \
	"$KCRAW" run "$(cer k2)" --site esc.site --batch > run2.out 2>&1
check "control characters in an environment value: the run completes" test -s S2/root.pem
check "  ... no ESC, CSI or bidi byte reached the terminal" sh -c \
	"! LC_ALL=C grep -q \"\$(printf '\\033')\" run2.out && ! LC_ALL=C grep -q \"\$(printf '\\302\\233')\" run2.out &&
	 ! LC_ALL=C grep -q \"\$(printf '\\342\\200\\256')\" run2.out"
check "  ... the value is shown escaped" grep -q 'OPENSSL_MODULES="x\\x1b\[2J\\x9by\\u{202E}z\\x0aw"' run2.out
check "  ... OPENSSL_CONF recorded as set, with its value" \
	grep -q 'env-openssl-conf="set /nonexistent/openssl.cnf"' S2/transcripts/root-ca-*.log
check "  ... the transcript holds no raw ESC" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" S2/transcripts/*.log"

# --- LD_PRELOAD ---------------------------------------------------------------
# A production token: the shim reports a real HSM's manufacturer and model.
prod() { ( export KC_SHIM_MANUFACTURER="Acme HSM Ltd" KC_SHIM_MODEL="HSM-9000"; "$@" ); }
keys() { "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin; }
rm -f "$T/shim.logins"
check "a production token without LD_PRELOAD: token keys works" prod keys
check "  ... one C_Login" test "$(logins)" = 1
check_fails "a production token with LD_PRELOAD: refused before the login" \
	"LD_PRELOAD is set: code that is neither the module nor keyceremony would run .*token 'keyceremony-demo' \\(Acme HSM Ltd HSM-9000\\), which is not a rehearsal token; refusing it" \
	prod env LD_PRELOAD="$PRE" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check "  ... no C_Login" test "$(logins)" = 1
check_fails "a production token with LD_AUDIT: refused too" "LD_AUDIT is set" \
	prod env LD_AUDIT="$PRE" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check "  ... no C_Login" test "$(logins)" = 1
check_fails "root create on a production token with LD_PRELOAD: refused, no key" "LD_PRELOAD is set" \
	prod env LD_PRELOAD="$PRE" "$KCRAW" root create --module "$M/p11.so" --token keyceremony-demo \
	--pin-file pin --state st1 --label r1 --algorithm ec-p256 --subject /CN=x --days 30 --out r1.pem
check "  ... no certificate, no key, no login" sh -c "test ! -e r1.pem && test \"\$(cat '$T/shim.logins')\" = 1 &&
	! pkcs11-tool --module '$MODULE' --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -q 'label: *r1'"
check "a rehearsal token (SoftHSM) with LD_PRELOAD: token keys works" \
	env LD_PRELOAD="$PRE" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check "  ... token list shows LD_PRELOAD and its value" sh -c \
	"env LD_PRELOAD='$PRE' '$KCRAW' token list --module '$M/p11.so' | grep -q '^  environment: *LD_PRELOAD=\"$PRE\"\$'"
# /etc/ld.so.preload does what LD_PRELOAD does, for every program: tested
# in a private mount namespace with a tmpfs over /etc (the host's /etc is
# untouched), holding only the linker cache and the preload list.
cp /etc/ld.so.cache "$T/ld.so.cache" 2>/dev/null || : > "$T/ld.so.cache"
# withpreload CONTENT CMD...: CMD with /etc/ld.so.preload holding CONTENT.
withpreload() {
	_c=$1; shift
	unshare -m sh -c 'mount -t tmpfs -o mode=0755 kc-etc /etc && cp "$0" /etc/ld.so.cache &&
		printf "%s" "$1" > /etc/ld.so.preload && shift 2 && exec "$@"' "$T/ld.so.cache" "$_c" -- "$@"
}
l1=$(logins)
check_fails "/etc/ld.so.preload naming a library, production token: refused before the login" \
	"/etc/ld.so.preload names a library: code that is neither the module nor keyceremony .*not a rehearsal token" \
	prod withpreload "$PRE
" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check "  ... no C_Login" test "$(logins)" = "$l1"
check "/etc/ld.so.preload with only blank lines, production token: accepted" \
	prod withpreload "
   
" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check_fails "/etc/ld.so.preload with a '#' line (the linker has no comments): refused" \
	"/etc/ld.so.preload names a library" \
	prod withpreload "# $PRE
" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
check "/etc/ld.so.preload naming a library, rehearsal token: accepted" \
	withpreload "$PRE" "$KCRAW" token keys --token keyceremony-demo --module "$M/p11.so" --pin-file pin
# Through a ceremony run: the token check fails for production.
site prod.site production "$M/p11.so" S3
sed -i 's/^media: media$/media: media3/' prod.site; mkdir media3
n0=$(nkeys); l0=$(logins); cer k3 >/dev/null
prod env LD_PRELOAD="$PRE" "$KCRAW" run "$T/cer-k3.yaml" --site prod.site --batch > run3.out 2>&1
check "run on a production token with LD_PRELOAD: exit 1" test $? = 1
check "  ... preflight's token check failed, saying why" \
	grep -q "preflight check 'token' failed: LD_PRELOAD is set: foreign code would run beside the PIN" run3.out
check "  ... the check shows LD_PRELOAD and its value" grep -q "LD_PRELOAD=\"$PRE\"" run3.out
check "  ... nothing made, no login" sh -c "test ! -e S3/root.pem && test \"\$(cat '$T/shim.logins')\" = $l0"
check "  ... no new key in the token" test "$(nkeys)" = "$n0"
tr=$(ls S3/transcripts/*.log)
check "  ... the transcript records the refusal and the variable" sh -c \
	"grep -q 'check check=token result=failed rehearsal=no' '$tr' && grep -q 'env-ld-preload=\"set $PRE\"' '$tr' &&
	 grep -q 'token-manufacturer=\"Acme HSM Ltd\"' '$tr'"
check "  ... it verifies" "$KCRAW" transcript verify "$tr"
prod "$KCRAW" run "$T/cer-k3.yaml" --site prod.site --batch > run4.out 2>&1
check "  ... the same production run without LD_PRELOAD completes" test -s S3/root.pem
check "  ... recorded as not a rehearsal, LD_PRELOAD unset" sh -c \
	"grep -h ' check check=token ' S3/transcripts/root-ca-*.log | grep -q 'result=passed rehearsal=no .*env-ld-preload=unset'"
# The rehearsal run with LD_PRELOAD: accepted, shown and recorded.
site reh.site rehearsal "$M/p11.so" S4
sed -i 's/^media: media$/media: media4/' reh.site; mkdir media4
env LD_PRELOAD="$PRE" "$KCRAW" run "$(cer k5)" --site reh.site --batch > run5.out 2>&1
check "run on a rehearsal token with LD_PRELOAD completes" test -s S4/root.pem
check "  ... the preflight says it is allowed only for the rehearsal" \
	grep -q "LD_PRELOAD is set: allowed only because this is a rehearsal token" run5.out
tr=$(ls S4/transcripts/root-ca-*.log)
check "  ... the transcript records LD_PRELOAD and its value" \
	grep -q "check check=token result=passed rehearsal=yes .*env-ld-preload=\"set $PRE\"" "$tr"
check "no PIN on any output, transcript or medium" sh -c "! grep -rlw 123456 run*.out S*/transcripts media*"
done_testing

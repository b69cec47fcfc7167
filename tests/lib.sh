# tests/lib.sh: TAP helpers and per-test SoftHSM tokens for the shell tests.
# Source it first thing:  . "$KC_TOP_SRCDIR/tests/lib.sh"
#
# Every test gets its own temp dir ($T), removed at exit unless the test
# failed (then it is kept and its path printed). SoftHSM is REQUIRED: when
# the module or softhsm2-util is missing the test fails, never skips.

set -u
: "${KC_TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KC_TOP_BUILDDIR:=$KC_TOP_SRCDIR}"
: "${KC:=$KC_TOP_BUILDDIR/keyceremony}"
: "${FS:=$KC_TOP_BUILDDIR/factorysign}"
: "${KC_SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export KC FS KC_TOP_SRCDIR KC_TOP_BUILDDIR

# KC_WRAPPER (e.g. "valgrind --leak-check=full ..." from `make memcheck`):
# when set, $KC and $FS become small scripts that run the real programs
# under it, so that tests keep calling "$KC" unchanged.
# The wrappers live outside $T (mode 700) so that tests may run the
# programs as another user; they hold no secret.
_kc_wrap() {
	_w=$_kc_wrapdir/$(basename "$1")
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$KC_WRAPPER" "$1" > "$_w"
	chmod 755 "$_w"
	echo "$_w"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/kc-test.XXXXXX")
chmod 700 "$T"
_tap_n=0
_tap_fail=0
_tap_cleanup() {
	if [ "$_tap_fail" -eq 0 ]; then rm -rf "$T"; else echo "# kept $T"; fi
	[ -z "${_kc_wrapdir:-}" ] || rm -rf "$_kc_wrapdir"
	[ -z "${SAFE:-}" ] || rm -rf "$SAFE"
}
trap _tap_cleanup EXIT
if [ -n "${KC_WRAPPER:-}" ]; then
	_kc_wrapdir=$(mktemp -d "${TMPDIR:-/tmp}/kc-wrap.XXXXXX")
	chmod 755 "$_kc_wrapdir"
	KC=$(_kc_wrap "$KC"); FS=$(_kc_wrap "$FS")
fi

ok()     { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1)); echo "not ok $_tap_n - $*"; }
diag()   { echo "# $*"; }
# check DESCRIPTION CMD...: a test point passing when CMD exits 0.
check()  { _d=$1; shift; if "$@" >"$T/.out" 2>&1; then ok "$_d"; else not_ok "$_d"; sed 's/^/#   /' "$T/.out"; fi; }
# check_fails DESCRIPTION PATTERN CMD...: CMD must exit non-zero with a
# message matching PATTERN (grep -E) on stderr or stdout.
check_fails() {
	_d=$1; _p=$2; shift 2
	if "$@" >"$T/.out" 2>&1; then
		not_ok "$_d (exit 0)"; sed 's/^/#   /' "$T/.out"
	elif grep -Eq -- "$_p" "$T/.out"; then
		ok "$_d"
	else
		not_ok "$_d (message does not match /$_p/)"; sed 's/^/#   /' "$T/.out"
	fi
}
# Prints the plan; call last.
done_testing() { echo "1..$_tap_n"; [ "$_tap_fail" -eq 0 ]; }
bail() { echo "Bail out! $*"; exit 1; }

# softhsm_setup [LABEL]: a fresh SoftHSM configuration and token store in
# $T/softhsm, one initialised token LABEL (default "test") with user PIN in
# $T/pin (0600) and SO PIN in $T/sopin. Exports SOFTHSM2_CONF, MODULE.
softhsm_setup() {
	_label=${1:-test}
	[ -f "$KC_SOFTHSM_MODULE" ] || bail "SoftHSM module $KC_SOFTHSM_MODULE missing: install softhsm2 (./check does)"
	command -v softhsm2-util >/dev/null || bail "softhsm2-util missing: install softhsm2"
	mkdir -p "$T/softhsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
		"$T/softhsm/tokens" > "$T/softhsm/softhsm2.conf"
	export SOFTHSM2_CONF="$T/softhsm/softhsm2.conf"
	MODULE=$KC_SOFTHSM_MODULE
	export MODULE KEYCEREMONY_MODULE="$MODULE"
	( umask 077; printf '123456\n' > "$T/pin"; printf '12345678\n' > "$T/sopin" )
	softhsm2-util --init-token --free --label "$_label" --pin 123456 --so-pin 12345678 >/dev/null \
		|| bail "softhsm2-util --init-token failed"
}

# demo_site FILE: the site profile of the shipped ceremonies' rehearsal
# (token keyceremony-demo on $MODULE; pin, state/ and media/ relative to
# the directory the ceremonies run in).
demo_site() {
	cat > "$1" <<EOS
keyceremony-site: 1
name: rehearsal
module: $MODULE
token:
  label: keyceremony-demo
pin-file: pin
state: state
media: media
network: warn
EOS
}

# demo_token PIN: a SoftHSM token 'keyceremony-demo' whose user PIN is PIN
# (in ./pin, 0600) and the rehearsal site profile demo.site for it, in the
# current directory. For tests that look for the PIN's bytes afterwards:
# choose a PIN that cannot appear by chance.
demo_token() {
	softhsm_setup unused
	( umask 077; printf '%s\n' "$1" > pin )
	softhsm2-util --init-token --free --label keyceremony-demo --pin "$1" --so-pin 12345678 >/dev/null \
		|| bail "softhsm2-util --init-token"
	demo_site demo.site
}

# p11 ARGS...: pkcs11-tool on the test module, logged in with the test PIN.
p11() { pkcs11-tool --module "$MODULE" "$@"; }

# _kc_dir_safe DIR: every directory from DIR up to / is owned by root or
# this user and not writable by group or others (what keyceremony demands
# of the directories that hold a PKCS#11 module).
_kc_dir_safe() {
	_p=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	_me=$(id -u)
	while :; do
		_s=$(stat -c '%u %a' "$_p") || return 1
		_u=${_s% *}; _m=${_s#* }
		[ "$_u" = 0 ] || [ "$_u" = "$_me" ] || return 1
		[ $(( 0$_m & 022 )) -eq 0 ] || return 1
		[ "$_p" = / ] && return 0
		_p=$(dirname "$_p")
	done
}
# safe_dir: sets SAFE to a fresh directory (removed at exit) on such a path,
# for a module a test wants accepted: keyceremony refuses modules under
# /tmp, where $T is. Tries the build tree, then $HOME, then /run.
safe_dir() {
	[ -n "${SAFE:-}" ] && return 0
	for _b in "$KC_TOP_BUILDDIR/tests" "${HOME:-/nonexistent}" /run; do
		if [ -d "$_b" ] && [ -w "$_b" ] && _kc_dir_safe "$_b"; then
			SAFE=$(mktemp -d "$_b/.kc-safe.XXXXXX") || continue
			chmod 755 "$SAFE"
			return 0
		fi
	done
	bail "no directory on a path only root or $(id -un) can write (build tree, HOME, /run)"
}
# shim_setup: SHIM, a copy of tests/faults/p11shim.so (the PKCS#11 shim in
# front of SoftHSM) in $SAFE; KC_SHIM_MODULE and KC_SHIM_STATE exported.
shim_setup() {
	[ -f "$KC_TOP_BUILDDIR/tests/faults/p11shim.so" ] || bail "tests/faults/p11shim.so missing (make check builds it)"
	safe_dir
	SHIM=$SAFE/p11shim.so
	cp "$KC_TOP_BUILDDIR/tests/faults/p11shim.so" "$SHIM" && chmod 755 "$SHIM" || bail "cp p11shim.so"
	export KC_SHIM_MODULE="$MODULE" KC_SHIM_STATE="$T/shim"
}

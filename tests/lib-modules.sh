# tests/lib-modules.sh: per-test tokens of the other PKCS#11 modules Debian
# ships (issue 13), for shell tests.  Source it right after tests/lib.sh:
#   . "$KC_TOP_SRCDIR/tests/lib.sh"
#   . "$KC_TOP_SRCDIR/tests/lib-modules.sh"
#
# Each *_setup makes a real, private token whose daemons run from the
# test's temp dir $T and are stopped at exit (before lib.sh removes $T).
# Nothing outside $T is written on the host, no TCP port is opened, no host
# D-Bus/systemd is used.  A missing package makes the test fail (Bail out!),
# never skip: scripts/install-deps installs them.
#
#   tpm2_setup LABEL   tpm2-pkcs11 on swtpm (UNIX socket in $T) behind a
#                      tpm2-abrmd on a private dbus-daemon in $T; token made
#                      with tpm2_ptool.  KC_TPM2_DIRECT=1: no abrmd/dbus,
#                      TCTI swtpm:path=... straight to the swtpm and the token
#                      made with C_InitToken (tpm2_ptool cannot work without
#                      a resource manager: "out of memory for object
#                      contexts").  The environment (TPM2_PKCS11_TCTI, ...)
#                      is exported, so every later command may use it
#                      directly, no wrapper needed.
#   ock_setup LABEL    openCryptoki soft token (slot 3) with pkcsslotd, in a
#                      private mount+IPC namespace (see mods_run).
#   p11kit_setup LABEL p11-kit-proxy.so in front of a SoftHSM token
#                      (softhsm_setup), the proxy's module list replaced in
#                      that namespace by one file naming SoftHSM.
#   mods_run CMD...    runs CMD inside that namespace (cwd kept): every
#                      command that uses the ock or p11kit MODULE must.
#
# After each setup: MODULE (exported, also KEYCEREMONY_MODULE), TOKEN_LABEL,
# PIN_FILE, SOPIN_FILE (0600, one line each) and the per-module
# TPM2_MODULE/TPM2_PIN_FILE, OCK_MODULE/OCK_PIN_FILE, P11KIT_MODULE/... so a
# test can use several modules.  PINs: user 123456, SO 12345678 (within
# openCryptoki's 4-8 characters).  Setup time is printed as a diag line.

: "${KC_TPM2_MODULE:=/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so}"
: "${KC_OCK_MODULE:=/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so}"
: "${KC_P11KIT_PROXY:=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so}"
KC_MODS_USER_PIN=123456
KC_MODS_SO_PIN=12345678

_mods_pids=""        # processes we started, killed at exit (last first)
_mods_ns=""          # pid of the namespace holder (mods_run)

# _mods_cleanup: TERM every process we started, wait (bounded) for it to go,
# then KILL what is left.  Runs from the EXIT trap before lib.sh's cleanup.
_mods_cleanup() {
	for _p in $_mods_pids; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $_mods_pids; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 100 ]; do
			sleep 0.05; _i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	_mods_pids=""; _mods_ns=""
}
trap '_mods_cleanup; _tap_cleanup' EXIT
trap 'exit 143' HUP INT TERM
_mods_started() { _mods_pids="$1 $_mods_pids"; }

# _mods_need WHAT PACKAGE: WHAT (a command name or an absolute file) must
# exist, else the test fails naming the package.
_mods_need() {
	case $1 in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac || bail "$1 missing: install Debian package $2 (scripts/install-deps)"
}

# _mods_wait WHAT CMD...: polls CMD (every 50 ms, at most 20 s) until it
# succeeds; bails naming WHAT and printing the log $_mods_log when it does
# not, or as soon as the process last started (WHAT's) has died.
_mods_wait() {
	_w=$1; shift; _i=0; _wp=${_mods_pids%% *}
	until "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		_why=""
		kill -0 "$_wp" 2>/dev/null || _why="$_w exited"
		[ "$_i" -gt 400 ] && _why="$_w did not come up in 20 s"
		if [ -n "$_why" ]; then
			[ -n "${_mods_log:-}" ] && [ -f "$_mods_log" ] && sed 's/^/#   /' "$_mods_log"
			bail "$_why"
		fi
		sleep 0.05
	done
}

_mods_ms() { date +%s%3N; }

# _mods_pins DIR: DIR/pin and DIR/sopin (0600), PIN_FILE/SOPIN_FILE.
_mods_pins() {
	( umask 077; printf '%s\n' "$KC_MODS_USER_PIN" > "$1/pin"; printf '%s\n' "$KC_MODS_SO_PIN" > "$1/sopin" )
	PIN_FILE=$1/pin; SOPIN_FILE=$1/sopin
}

# _mods_module M LABEL: exports MODULE and KEYCEREMONY_MODULE, TOKEN_LABEL.
_mods_module() {
	MODULE=$1; TOKEN_LABEL=$2
	export MODULE KEYCEREMONY_MODULE="$1"
}

# ---------------------------------------------------------------- tpm2 --

# tpm2_setup LABEL: see the header.  Sets TPM2_DIR, TPM2_MODULE,
# TPM2_PIN_FILE, TPM2_SOPIN_FILE; exports TPM2_PKCS11_STORE,
# TPM2_PKCS11_TCTI, TPM2TOOLS_TCTI (and DBUS_SESSION_BUS_ADDRESS).
tpm2_setup() {
	_l=${1:-test}; _t0=$(_mods_ms)
	_mods_need "$KC_TPM2_MODULE" libtpm2-pkcs11-1
	_mods_need swtpm swtpm
	_mods_need pkcs11-tool opensc
	_mods_need /usr/lib/x86_64-linux-gnu/libtss2-tcti-swtpm.so.0 libtss2-tcti-swtpm0
	[ -n "${TPM2_DIR:-}" ] && bail "tpm2_setup: one TPM per test"
	TPM2_DIR=$T/tpm2
	mkdir -p "$TPM2_DIR/state" "$TPM2_DIR/store" && chmod 700 "$TPM2_DIR" || bail "mkdir $TPM2_DIR"
	# swtpm 0.7 on a UNIX socket (libtss2-tcti-swtpm 3.2 takes path=): no
	# port, nothing to collide with in parallel tests.  The TCTI finds the
	# control channel at the socket's path + ".ctrl".  A fresh state dir
	# is a fresh TPM (manufactured on first start).
	_mods_log=$TPM2_DIR/swtpm.log
	swtpm socket --tpm2 --tpmstate dir="$TPM2_DIR/state" \
		--server type=unixio,path="$TPM2_DIR/swtpm.sock" \
		--ctrl type=unixio,path="$TPM2_DIR/swtpm.sock.ctrl" \
		--flags not-need-init,startup-clear \
		--log file="$TPM2_DIR/swtpm.log" </dev/null >>"$TPM2_DIR/swtpm.log" 2>&1 &
	_mods_started $!
	_mods_wait swtpm test -S "$TPM2_DIR/swtpm.sock"
	_tcti="swtpm:path=$TPM2_DIR/swtpm.sock"
	export TPM2_PKCS11_STORE="$TPM2_DIR/store"
	if [ "${KC_TPM2_DIRECT:-0}" = 1 ]; then
		export TPM2_PKCS11_TCTI="$_tcti" TPM2TOOLS_TCTI="$_tcti"
	else
		_mods_need tpm2-abrmd tpm2-abrmd
		_mods_need dbus-daemon dbus-daemon
		_mods_need dbus-send dbus-bin
		_mods_need /usr/lib/x86_64-linux-gnu/libtss2-tcti-tabrmd.so.0 libtss2-tcti-tabrmd0
		_mods_need tpm2_ptool libtpm2-pkcs11-tools
		# A private session bus: tpm2-abrmd only talks D-Bus.
		cat > "$TPM2_DIR/bus.conf" <<EOB
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$TPM2_DIR/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOB
		_mods_log=$TPM2_DIR/dbus.log
		dbus-daemon --nofork --nopidfile --config-file="$TPM2_DIR/bus.conf" </dev/null >"$_mods_log" 2>&1 &
		_mods_started $!
		_mods_wait dbus-daemon test -S "$TPM2_DIR/bus.sock"
		export DBUS_SESSION_BUS_ADDRESS="unix:path=$TPM2_DIR/bus.sock"
		_mods_log=$TPM2_DIR/abrmd.log
		tpm2-abrmd --session --allow-root --flush-all --tcti="$_tcti" </dev/null >"$_mods_log" 2>&1 &
		_mods_started $!
		_tcti="tabrmd:bus_name=com.intel.tss2.Tabrmd,bus_type=session"
		export TPM2_PKCS11_TCTI="$_tcti" TPM2TOOLS_TCTI="$_tcti"
		_mods_wait tpm2-abrmd dbus-send --session --print-reply --dest=com.intel.tss2.Tabrmd \
			/com/intel/tss2/Tabrmd/Tcti org.freedesktop.DBus.Peer.Ping
	fi
	_mods_pins "$TPM2_DIR"
	TPM2_PIN_FILE=$PIN_FILE; TPM2_SOPIN_FILE=$SOPIN_FILE; TPM2_MODULE=$KC_TPM2_MODULE
	_mods_log=$TPM2_DIR/init.log
	if [ "${KC_TPM2_DIRECT:-0}" = 1 ]; then
		{ pkcs11-tool --module "$TPM2_MODULE" --init-token --slot-index 0 --label "$_l" \
			--so-pin "$KC_MODS_SO_PIN" &&
		  pkcs11-tool --module "$TPM2_MODULE" --init-pin --token-label "$_l" --login \
			--login-type so --so-pin "$KC_MODS_SO_PIN" --new-pin "$KC_MODS_USER_PIN"; } \
			>"$_mods_log" 2>&1 || { sed 's/^/#   /' "$_mods_log"; bail "tpm2 C_InitToken failed"; }
	else
		{ tpm2_ptool init --path="$TPM2_PKCS11_STORE" &&
		  tpm2_ptool addtoken --pid=1 --label="$_l" --sopin="$KC_MODS_SO_PIN" \
			--userpin="$KC_MODS_USER_PIN" --path="$TPM2_PKCS11_STORE"; } \
			>"$_mods_log" 2>&1 || { sed 's/^/#   /' "$_mods_log"; bail "tpm2_ptool failed"; }
	fi
	_mods_module "$TPM2_MODULE" "$_l"
	diag "tpm2_setup $_l: $(( $(_mods_ms) - _t0 )) ms (TCTI $TPM2_PKCS11_TCTI)"
}

# ------------------------------------------------------- the namespace --

# _mods_ns_start: a holder process in a new mount+IPC namespace (private
# propagation: nothing mounted there reaches the host).  It exits by itself
# when this shell dies (tail --pid), and is killed at exit.
_mods_ns_start() {
	[ -n "$_mods_ns" ] && return 0
	_mods_need unshare util-linux
	_mods_need nsenter util-linux
	unshare --mount --ipc --propagation private -- tail --pid=$$ -f /dev/null </dev/null >/dev/null 2>&1 &
	_mods_ns=$!
	_mods_started "$_mods_ns"
	_mods_wait "namespace" _mods_ns_ready
}
_mods_ns_ready() {
	[ "$(readlink "/proc/$_mods_ns/ns/mnt")" != "$(readlink /proc/$$/ns/mnt)" ]
}

# mods_run CMD...: CMD in the namespace, in the current directory, with the
# current environment.
mods_run() {
	[ -n "$_mods_ns" ] || bail "mods_run: no ock_setup/p11kit_setup yet"
	nsenter --target "$_mods_ns" --mount --ipc --wd="$PWD" -- "$@"
}
# ock_run, p11kit_run: the same (one namespace serves both).
ock_run() { mods_run "$@"; }
p11kit_run() { mods_run "$@"; }

# _mods_bind SRC DST: bind mount inside the namespace.
_mods_bind() { mods_run mount --bind "$1" "$2" || bail "mount --bind $1 $2 in the namespace"; }

# ---------------------------------------------------------- openCryptoki --

# ock_setup LABEL: openCryptoki 3.8's soft token in slot 3, pkcsslotd
# running in the namespace.  Its fixed paths are bind mounts of $T/ock/*:
# /etc/opencryptoki, /var/lib/opencryptoki, /run (pkcsslotd.pid/.socket,
# /var/run and /var/lock are links into it), /var/log (the library makes
# /var/log/opencryptoki), /dev/shm; SysV shared memory is in the IPC
# namespace.  Sets OCK_DIR, OCK_MODULE, OCK_PIN_FILE, OCK_SOPIN_FILE,
# OCK_SLOT=3.
ock_setup() {
	_l=${1:-test}; _t0=$(_mods_ms)
	_mods_need "$KC_OCK_MODULE" opencryptoki
	_mods_need pkcsslotd opencryptoki
	_mods_need pkcsconf opencryptoki
	_mods_need pkcs11-tool opensc
	getent group pkcs11 >/dev/null || bail "group pkcs11 missing: reinstall opencryptoki"
	[ -n "${OCK_DIR:-}" ] && bail "ock_setup: one openCryptoki per test"
	OCK_DIR=$T/ock; OCK_SLOT=3
	mkdir -p "$OCK_DIR/etc" "$OCK_DIR/lib/swtok/TOK_OBJ" "$OCK_DIR/run/lock/opencryptoki/swtok" \
		"$OCK_DIR/log/opencryptoki" "$OCK_DIR/shm" || bail "mkdir $OCK_DIR"
	chgrp -R pkcs11 "$OCK_DIR/lib" "$OCK_DIR/run/lock/opencryptoki" "$OCK_DIR/log/opencryptoki" &&
	chmod -R 0770 "$OCK_DIR/lib" "$OCK_DIR/run/lock/opencryptoki" "$OCK_DIR/log/opencryptoki" &&
	chmod 1777 "$OCK_DIR/shm" "$OCK_DIR/run/lock" && chmod 755 "$OCK_DIR" "$OCK_DIR/run" "$OCK_DIR/log" ||
		bail "chmod $OCK_DIR"
	printf 'version opencryptoki-3.1\n\nslot %s\n{\nstdll = libpkcs11_sw.so\n}\n' "$OCK_SLOT" \
		> "$OCK_DIR/etc/opencryptoki.conf"
	_mods_ns_start
	_mods_bind "$OCK_DIR/etc" /etc/opencryptoki
	_mods_bind "$OCK_DIR/lib" /var/lib/opencryptoki
	_mods_bind "$OCK_DIR/run" /run
	_mods_bind "$OCK_DIR/log" /var/log
	_mods_bind "$OCK_DIR/shm" /dev/shm
	_mods_log=$OCK_DIR/pkcsslotd.log
	# nsenter itself in the background (not the mods_run function, whose
	# subshell would be what $! names): it execs pkcsslotd in place.
	nsenter --target "$_mods_ns" --mount --ipc -- pkcsslotd -f </dev/null >"$_mods_log" 2>&1 &
	_mods_started $!
	_mods_wait pkcsslotd test -S "$OCK_DIR/run/pkcsslotd.socket"
	_mods_pins "$OCK_DIR"
	OCK_PIN_FILE=$PIN_FILE; OCK_SOPIN_FILE=$SOPIN_FILE; OCK_MODULE=$KC_OCK_MODULE
	# The soft token ships with SO PIN 87654321; C_InitPIN leaves the user
	# PIN flagged "to be changed", so it is set once more.
	_mods_log=$OCK_DIR/init.log
	{ printf '%s\n' "$_l" | mods_run pkcsconf -c "$OCK_SLOT" -I -S 87654321 &&
	  mods_run pkcsconf -c "$OCK_SLOT" -P -S 87654321 -n "$KC_MODS_SO_PIN" &&
	  mods_run pkcsconf -c "$OCK_SLOT" -u -S "$KC_MODS_SO_PIN" -n 87654321 &&
	  mods_run pkcsconf -c "$OCK_SLOT" -p -U 87654321 -n "$KC_MODS_USER_PIN"; } \
		>"$_mods_log" 2>&1 || { sed 's/^/#   /' "$_mods_log"; bail "pkcsconf failed"; }
	_mods_module "$OCK_MODULE" "$_l"
	diag "ock_setup $_l: $(( $(_mods_ms) - _t0 )) ms"
}

# ------------------------------------------------------------- p11-kit --

# p11kit_setup LABEL: softhsm_setup LABEL, then p11-kit-proxy.so as MODULE.
# p11-kit run as root reads no user config (~/.config/pkcs11 is ignored) and
# the host's /usr/share/p11-kit/modules names opensc, p11-kit-trust, SoftHSM
# and tpm2-pkcs11 (whose default TCTI probes 127.0.0.1:2321): in the
# namespace both module directories and /etc/pkcs11 are replaced by
# $T/p11kit/ holding one softhsm.module.  SOFTHSM2_CONF stays exported.
p11kit_setup() {
	_l=${1:-test}; _t0=$(_mods_ms)
	_mods_need "$KC_P11KIT_PROXY" p11-kit-modules
	_mods_need pkcs11-tool opensc
	[ -n "${P11KIT_DIR:-}" ] && bail "p11kit_setup: once per test"
	softhsm_setup "$_l"
	P11KIT_DIR=$T/p11kit
	mkdir -p "$P11KIT_DIR/modules" "$P11KIT_DIR/empty" || bail "mkdir $P11KIT_DIR"
	printf 'module: %s\ncritical: yes\n' "$KC_SOFTHSM_MODULE" > "$P11KIT_DIR/modules/softhsm2.module"
	_mods_ns_start
	_mods_bind "$P11KIT_DIR/modules" /usr/share/p11-kit/modules
	# /etc/pkcs11 (pkcs11.conf, modules/) is absent on Debian by default;
	# when a host has it, hide it too.
	[ -d /etc/pkcs11 ] && _mods_bind "$P11KIT_DIR/empty" /etc/pkcs11
	P11KIT_PIN_FILE=$T/pin; P11KIT_SOPIN_FILE=$T/sopin; PIN_FILE=$T/pin; SOPIN_FILE=$T/sopin
	P11KIT_MODULE=$KC_P11KIT_PROXY
	_mods_module "$P11KIT_MODULE" "$_l"
	diag "p11kit_setup $_l: $(( $(_mods_ms) - _t0 )) ms"
}

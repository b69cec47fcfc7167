#!/bin/sh
# Both programs turn core dumps off before anything else: while each waits
# for a secret typed on the terminal (keyceremony: a quorum share;
# factorysign: the passphrase of a new key), its RLIMIT_CORE is 0 and it is
# not dumpable (PR_SET_DUMPABLE 0: /proc/PID files then belong to root even
# though the program runs as an unprivileged user). A control process of
# the same user shows the opposite, so the checks can fail.
. "$KC_TOP_SRCDIR/tests/lib.sh"
[ "$(id -u)" = 0 ] || bail "needs root (to run the programs as another user)"
command -v script >/dev/null && command -v setpriv >/dev/null || bail "script/setpriv missing (util-linux)"
chmod 755 "$T"
mkdir -m 777 "$T/run"
cd "$T/run" || bail "cd"

# waiting_pid WORD: the process whose command line holds WORD and whose
# working directory is $T/run.
waiting_pid() {
	for _i in $(seq 40); do
		for _p in $(ls /proc | grep -E '^[0-9]+$'); do
			[ "$(readlink "/proc/$_p/cwd" 2>/dev/null)" = "$T/run" ] || continue
			[ "$(stat -c %u "/proc/$_p" 2>/dev/null)" = 65534 ] || continue
			if tr '\0' ' ' < "/proc/$_p/cmdline" 2>/dev/null | grep -q -- "$1"; then
				echo "$_p"; return 0
			fi
		done
		sleep 0.25
	done
	return 1
}

# probe NAME WORD DUMPABLE CMD...: CMD as uid 65534 on a terminal.
probe() {
	_name=$1 _word=$2 _want=$3; shift 3
	(sleep 30 | script -qc "setpriv --reuid=65534 --regid=65534 --clear-groups $*" /dev/null >/dev/null 2>&1 &)
	if ! pid=$(waiting_pid "$_word"); then
		not_ok "$_name: did not start"; return
	fi
	if [ "$_want" = no ]; then
		check "$_name: RLIMIT_CORE soft limit is 0" \
			sh -c "grep '^Max core file size' /proc/$pid/limits | awk '{ exit \$5 != 0 }'"
		check "$_name: not dumpable (its /proc files belong to root)" \
			test "$(stat -c %U /proc/$pid/status)" = root
	else
		check "$_name (control): dumpable, /proc files its own" \
			test "$(stat -c %U /proc/$pid/status)" != root
	fi
	kill "$pid" 2>/dev/null
}

probe "a plain process" "sleep 29" yes sleep 29
probe keyceremony "quorum" no "$KC" quorum combine
probe factorysign "init" no "$FS" init --dir "$T/run/D" --subject /CN=core-test --algorithm ec-p256
check "no core file anywhere in the test directory" sh -c "! find '$T' -name 'core*' | grep -q ."
done_testing

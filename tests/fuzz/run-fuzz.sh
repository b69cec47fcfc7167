#!/bin/sh
# run-fuzz.sh SECONDS FUZZDIR TARGET...: runs each libFuzzer target
# tests/fuzz/fuzz_<target> (in the current build directory) for SECONDS of
# wall time, starting from the committed seeds FUZZDIR/corpus/<target> plus
# what earlier runs in this build directory found (fuzz-work/<target>), and
# prints per target: executions, CPU seconds, crashes. Crash inputs are kept
# in fuzz-artifacts/<target>/; copy each to FUZZDIR/regressions/<target>/
# once the bug is fixed. Exit status 1 when any target crashed.
set -u
secs=$1; fuzzdir=$2; shift 2
status=0
summary=""
# The file-based targets write each input to $TMPDIR: keep it in memory.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm; export TMPDIR
fi
for t in "$@"; do
	bin=tests/fuzz/fuzz_$t
	work=fuzz-work/$t
	art=fuzz-artifacts/$t
	log=fuzz-work/$t.log
	mkdir -p "$work" "$art"
	before=$(ls "$art" | wc -l)
	echo "fuzz: $t: $secs s ..."
	# Leaks are bugs too; -timeout catches hangs, -rss_limit_mb blow-ups.
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$work.cpu" "$bin" \
			-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$art/" \
			"$work" "$fuzzdir/corpus/$t" >"$log" 2>&1
		rc=$?
		cpu=$(awk 'NR == 1 { printf "%.1f", $1 + $2 }' "$work.cpu" 2>/dev/null)
	else
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$art/" \
			"$work" "$fuzzdir/corpus/$t" >"$log" 2>&1
		rc=$?
		cpu="n/a"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	[ -n "$runs" ] || runs="?"
	crashes=$(( $(ls "$art" | wc -l) - before ))
	if [ "$rc" -ne 0 ]; then
		status=1
		[ "$crashes" -eq 0 ] && crashes=1
		echo "fuzz: $t: FAILED (exit $rc); input in $art/, log $log:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5
	fi
	corpus=$(ls "$work" | wc -l)
	summary="$summary$(printf '%-10s %12s %8s %8s %8s' "$t" "$runs" "$cpu" "$crashes" "$corpus")
"
done
echo "fuzz: target       executions    cpu-s  crashes   corpus"
printf '%s' "$summary" | sed 's/^/fuzz: /'
exit $status

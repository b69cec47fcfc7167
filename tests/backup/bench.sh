#!/bin/sh
# tests/backup/bench.sh: `make bench-backup` (issue 17's closing note; not
# part of make check, no timing is asserted anywhere). On SoftHSM and on
# p11-kit-proxy in front of SoftHSM, BENCH_REPS (default 3) times each:
#   ceremony   keyceremony run root-ca-with-backup.yaml --batch (the whole
#              ceremony: preflight, backup-capable root key, root, CRL,
#              export with the report)
#   create     keyceremony backup create (2 of 3, sheets to a directory)
#   restore    keyceremony backup restore into a second token
#   restore-c  keyceremony run restore-root.yaml --batch into a third token
# and prints min / median / max in milliseconds per item and module.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/lib-modules.sh"
REPS=${BENCH_REPS:-3}
CER=$KC_TOP_SRCDIR/ceremony
cd "$T" || bail "cd $T"
ms() { date +%s%N | cut -c1-13; }
# timed NAME CMD...: CMD (under $RUN), its milliseconds appended to NAME.ms
timed() { _n=$1; shift; _t0=$(ms)
	$RUN "$@" >>bench.out 2>&1 || { tail -20 bench.out; bail "$_n failed: $*"; }
	echo $(( $(ms) - _t0 )) >>"$MOD-$_n.ms"; }
site() {	# site FILE TOKEN STATE MEDIA
	printf 'keyceremony-site: 1\nname: bench\nmodule: %s\ntoken:\n  label: %s\npin-file: %s\nstate: %s\nmedia: %s\nnetwork: warn\n' \
		"$MODULE" "$2" "$T/pin" "$3" "$4" >"$1"; }
round() {	# round: REPS rounds on $MODULE (tokens $MOD-a, -b, -c)
	for tk in b c; do
		softhsm2-util --init-token --free --label "$MOD-$tk" --pin 123456 --so-pin 12345678 >/dev/null || bail "init $MOD-$tk"
	done
	i=0
	while [ $i -lt "$REPS" ]; do
		i=$((i + 1)); d=$MOD-$i; lab=root-$MOD-$i
		mkdir -p "$d/media" "$d/bk" "$d/shares" "$d/smedia" "$d/sstate"
		sed -e "s/root-2026/$lab/g" "$CER/root-ca-with-backup.yaml" >"$d/orig.yaml"
		sed -e "s/root-2026/$lab/g" "$CER/restore-root.yaml" >"$d/restore.yaml"
		site "$d/a.site" "$MOD-a" "$d/state" "$d/media"
		site "$d/c.site" "$MOD-c" "$d/sstate" "$d/smedia"
		timed ceremony "$KC" run "$d/orig.yaml" --site "$d/a.site" --batch --role officer=O --role witness=W
		timed create "$KC" backup create --module "$MODULE" --token "$MOD-a" --label "$lab" --out-dir "$d/bk" \
			--threshold 2 --custodians 3 --share-dir "$d/shares" --issuer "$d/state/root.pem" \
			--pin-file "$T/pin" --so-pin-file "$T/sopin"
		timed restore "$KC" backup restore --module "$MODULE" --token "$MOD-b" --from "$d/bk" --pin-file "$T/pin" \
			--share-file "$d/shares/share-1-of-3.txt" --share-file "$d/shares/share-3-of-3.txt"
		cp "$d/state/root.pem" "$d/sstate/root.pem"
		timed restore-c "$KC" run "$d/restore.yaml" --site "$d/c.site" --batch --backup-medium "$d/bk" \
			--share-file "$d/shares/share-2-of-3.txt" --share-file "$d/shares/share-3-of-3.txt" \
			--role officer=O --role custodian=C --role witness=W
	done
}
report() {
	for it in ceremony create restore restore-c; do
		sort -n "$MOD-$it.ms" | awk -v m="$MOD" -v it="$it" '{ v[NR] = $1 }
			END { printf "# %-8s %-10s min %6d  median %6d  max %6d ms  (%d runs)\n", m, it, v[1], v[int((NR + 1) / 2)], v[NR], NR }'
	done
}

softhsm_setup softhsm-a
MOD=softhsm RUN=""
round
report | tee -a summary.txt
p11kit_setup p11kit-a
MOD=p11kit RUN=mods_run
round
report | tee -a summary.txt
echo "# SoftHSM $(softhsm2-util --version 2>/dev/null), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
ok "bench done"
done_testing

#!/bin/sh
# tests/factory/bench.sh: `make bench`. Measures, in one run on this
# machine: openssl speed ecdsap256 (sign/s, verify/s), the per-device limit
# 1/(1/sign + 1/verify) (each device costs one CSR verification and one
# signature), factorysign's certs/s (a) in memory and (b) end to end
# (`factorysign batch`: default outputs and the ledger), each as a ratio to
# the limit, the peak RSS of the batch at BENCH_N and BENCH_BIG CSRs, a
# shell loop of `openssl x509 -req` over 200 CSRs, and the batch rate with
# the SQLite ledger and with a PostgreSQL one (issue 19: a server of this
# run, tests/ledger/pg.sh), BENCH_PG_RUNS (3) runs each, alternating, on
# fresh copies of the factory: the ratio per run and of the means.
set -eu
N=${BENCH_N:-20000}
BIG=${BENCH_BIG:-200000}
B="$KC_TOP_BUILDDIR"
W=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
TIME=/usr/bin/time
[ -x $TIME ] || { echo "bench: /usr/bin/time missing (apt-get install time)"; exit 1; }

( umask 077; printf 'bench passphrase\n' > pass )
printf '[inter]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > ca.cnf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout root.key -out root.pem -days 3650 \
	-subj "/CN=Bench Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
factory() {	# factory DIR: a P-256 intermediate, installed
	"$FS" init --dir "$1" --subject "/CN=Bench Factory" --algorithm ec-p256 --pass-file pass >/dev/null
	openssl x509 -req -in "$1/intermediate.csr" -CA root.pem -CAkey root.key -CAcreateserial -days 1000 \
		-extfile ca.cnf -extensions inter -out "$1/inter.pem" >/dev/null 2>&1
	"$FS" install --dir "$1" --cert "$1/inter.pem" --root root.pem >/dev/null
}
factory D
# copies for the ledger comparison, made before D has a ledger
PGRUNS=${BENCH_PG_RUNS:-3}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PGBIN/initdb" ] || PGRUNS=0
for i in $(seq 1 "$PGRUNS"); do cp -a D "DS$i"; cp -a D "DP$i"; done

echo "bench: generating $N P-256 CSRs (one key each)..."
mkdir in out
"$B/tests/factory/gencsr" in "$N" dev-

echo "bench: openssl speed ecdsap256..."
openssl speed -seconds 3 ecdsap256 2>/dev/null > speed.txt
sign=$(awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}' speed.txt)
verify=$(awk '/256 bits ecdsa \(nistp256\)/ {print $NF}' speed.txt)
limit=$(awk -v s="$sign" -v v="$verify" 'BEGIN {printf "%.0f", 1 / (1 / s + 1 / v)}')

echo "bench: (a) in memory..."
"$B/tests/factory/bench" D pass in "$N" > inmem.txt
inmem=$(awk '{print $4}' inmem.txt); inmem_cpu=$(awk '{print $6}' inmem.txt)

echo "bench: the file system alone: $N x 3 files + syncfs, no crypto..."
mkdir fsb
isz=$(wc -c < D/intermediate.pem); rsz=$(wc -c < D/root.pem)
sync
"$B/tests/factory/fsbench" fsb "$N" 750 $((750 + isz)) $((750 + isz + rsz)) > fs.txt
fsrate=$(awk '{print $4}' fs.txt)

echo "bench: (b) factorysign batch, $N CSRs, default outputs + ledger..."
sync
$TIME -f "%e %M %U %S" -o time.txt "$FS" batch --dir D --csr-dir in --out-dir out --pass-file pass --quiet > batch.txt
e2e_s=$(cut -d' ' -f1 time.txt); rss=$(cut -d' ' -f2 time.txt)
issued=$(sed -n 's/.*: \([0-9]*\) issued.*/\1/p' batch.txt)
e2e=$(awk -v n="$issued" -v t="$e2e_s" 'BEGIN {printf "%.0f", n / t}')
e2e_cpu=$(awk -v n="$issued" -v u="$(cut -d' ' -f3 time.txt)" -v s="$(cut -d' ' -f4 time.txt)" 'BEGIN {printf "%.0f", n / (u + s)}')
[ "$issued" = "$N" ] || { echo "bench: batch issued $issued of $N"; cat batch.txt; exit 1; }

pgline="  PostgreSQL ledger              not measured (no PostgreSQL server installed)"
if [ "$PGRUNS" -gt 0 ]; then
	echo "bench: the ledger: SQLite and PostgreSQL (a server of this run, Unix socket), $PGRUNS runs each, $N CSRs..."
	bail() { echo "bench: $*"; exit 1; }
	_tap_cleanup() { rm -rf "$W"; }
	T=$W
	. "$KC_TOP_SRCDIR/tests/ledger/pg.sh"
	pg_setup
	rates=""
	for i in $(seq 1 "$PGRUNS"); do
		# a database of its own per run, as each SQLite run has its file
		$PSQL "postgresql://kc@/postgres?host=$PGT" -c "CREATE DATABASE bench$i" ||
			{ echo "bench: createdb"; exit 1; }
		( umask 077; printf 'ledger = postgresql://kc@/bench%s?host=%s\nstation = bench\n' \
			"$i" "$PGT" > "DP$i/ledger.conf" )
		for b in S P; do
			sync
			$TIME -f "%e" -o "t$b$i.txt" "$FS" batch --dir "D$b$i" --csr-dir in --out-dir "o$b$i" \
				--pass-file pass --quiet > "b$b$i.txt"
			grep -q ": $N issued" "b$b$i.txt" || { echo "bench: run $b$i:"; cat "b$b$i.txt"; exit 1; }
		done
		rs=$(awk -v n="$N" -v t="$(cat "tS$i.txt")" 'BEGIN {printf "%.0f", n / t}')
		rp=$(awk -v n="$N" -v t="$(cat "tP$i.txt")" 'BEGIN {printf "%.0f", n / t}')
		rates="$rates $rs/$rp"
	done
	pg_stop
	pgline=$(echo "$rates" | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "/"); s += a[1]; p += a[2];
		r = r sprintf(" %.2f", a[2] / a[1]) }
		printf "  ledger, %d runs of %d: SQLite %.0f certs/s, PostgreSQL %.0f certs/s (mean); ratio per run%s, of the means %.2f   target >= 0.80",
			NF, '"$N"', s / NF, p / NF, r, p / s }')
fi

echo "bench: openssl x509 -req shell loop, 200 CSRs..."
mkdir loop
openssl ec -in D/intermediate.key -passin file:pass -out loop/ca.key 2>/dev/null
t0=$(date +%s.%N)
for c in $(ls in | head -200); do
	openssl x509 -req -in "in/$c" -CA D/intermediate.pem -CAkey loop/ca.key -set_serial 0x$(openssl rand -hex 8) \
		-days 365 -out "loop/$c.pem" 2>/dev/null
done
t1=$(date +%s.%N)
loop=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", 200 / (b - a)}')

rss_big=-; e2e_big=-
if [ "$BIG" -gt 0 ]; then
	echo "bench: memory at $BIG CSRs (generating, then a fresh factory)..."
	# nothing is deleted before this run: on ext4 without a journal,
	# inodes freed in the last minutes make creating new ones slower
	mkdir in2 out2
	"$B/tests/factory/gencsr" in2 "$BIG" big-
	factory D2
	sync
	$TIME -f "%e %M" -o time2.txt "$FS" batch --dir D2 --csr-dir in2 --out-dir out2 --pass-file pass --quiet > batch2.txt
	rss_big=$(cut -d' ' -f2 time2.txt)
	e2e_big=$(awk -v t="$(cut -d' ' -f1 time2.txt)" -v n="$BIG" 'BEGIN {printf "%.0f", n / t}')
fi

ratio() { awk -v a="$1" -v l="$limit" 'BEGIN {printf "%.2f", a / l}'; }
cat <<REPORT

factorysign bench ($(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version | cut -d' ' -f1-2))
files in $(df -P "$W" | awk 'NR == 2 {print $6}') ($(stat -f -c %T "$W")). openssl speed counts CPU time of one thread; the
batch signs in one thread while a second one creates the files, so its wall rate is bounded by the
slower of the signer and the file system, and its CPU time includes the kernel's file work.
  openssl speed ecdsap256        sign $sign/s   verify $verify/s
  per-device limit               $limit/s   (1/(1/sign + 1/verify))
  (a) in memory, $N CSRs      $inmem certs/s wall (ratio $(ratio "$inmem")), $inmem_cpu per CPU-second (ratio $(ratio "$inmem_cpu"))   target >= 0.60
  (b) batch end to end, $N    $e2e certs/s wall (ratio $(ratio "$e2e")), $e2e_cpu per CPU-second (ratio $(ratio "$e2e_cpu"))   target >= 0.35
      the file system alone      $fsrate devices/s (3 new files each, one rename, one syncfs; no crypto, no ledger)
      peak RSS                   $rss KiB
  batch at $BIG CSRs          ${e2e_big} certs/s, peak RSS ${rss_big} KiB (flat memory: compare with $rss KiB)
  openssl x509 -req shell loop   $loop certs/s (200 CSRs)
$pgline
REPORT

#!/bin/sh
# factorysign provision --watch (issue 20): 100 simulated nRF91 devices in
# a row on one port, each "unplugged" after AT+CFUN=1 and the next one
# "plugged in" (a new pty behind the same link); the station provisions
# each, one result line per device, until interrupted (SIGINT: a summary,
# exit 0). Every device holds a chain that the ledger records as its live
# certificate, with the SHA-256 the modem lists.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
. "$KC_TOP_SRCDIR/tests/line/lib-line.sh"
fs_setup >/dev/null
N=100

sim_start --devices "$N" --history "$T/history"
W0=$(date +%s.%N)
"$FS" provision --dir "$T/D" --port "$PORT" --sec-tag 16 --pass-file "$PASS" \
	--out-dir "$T/out" --timeout 2 --watch > "$T/watch.out" 2> "$T/watch.err" &
ST=$!
# bounded wait on a condition: the N-th device finished
i=0
while [ "$(wc -l < "$T/history" 2>/dev/null || echo 0)" -lt "$N" ]; do
	i=$((i + 1))
	if [ "$i" -gt 6000 ] || ! kill -0 "$ST" 2>/dev/null; then
		diag "stopped waiting after $i rounds"; break
	fi
	sleep 0.1
done
W1=$(date +%s.%N)
kill -INT "$ST"
wait "$ST"; rc=$?
check "--watch: exit 0 after SIGINT" test "$rc" = 0
check "--watch: $N result lines, all provisioned" test \
	"$(grep -c '^provisioned ' "$T/watch.out")" = "$N"
check "--watch: no failed line" sh -c "! grep -q '^failed' '$T/watch.out'"
check "--watch: no warning (every reply read before the unplug)" sh -c \
	"! grep -q 'warning' '$T/watch.err'"
check "--watch: the summary" grep -q "provision: $N devices, $N provisioned, 0 failed" "$T/watch.err"
check "--watch: $N live rows" test "$(ledger_rows | grep -c '^issued ')" = "$N"
# every device: its stored chain's SHA-256 is what it lists, its
# certificate the live row of its UUID, the files in OUT
check "--watch: every device holds its live certificate" python3 - \
	"$T/history" "$T/D/ledger.sqlite" "$T/out" <<'PY'
import hashlib, json, sqlite3, sys, os
from cryptography import x509
db = sqlite3.connect(sys.argv[2])
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    u = r["uuid"]
    uid = "%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])
    text = r["stored"]["16,1"]
    assert hashlib.sha256(text.encode()).hexdigest().upper() == r["creds"]["16,1"]
    cert = x509.load_pem_x509_certificate(text.encode())
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    assert cn == uid, (cn, uid)
    row = db.execute("select serial from certs where device_id=? and status='issued'", (uid,)).fetchone()
    assert row and int(row[0], 16) == cert.serial_number, uid
    assert os.path.exists(os.path.join(sys.argv[3], uid + ".cert.pem"))
    n += 1
assert n == int(os.environ.get("N", "100")), n
PY
# a sample verified by openssl: the first and the last device
for id in $(head -n 1 "$T/watch.out" | awk '{print $2}') \
    $(tail -n 2 "$T/watch.out" | grep '^provisioned' | awk '{print $2}'); do
	check "--watch: $id's chain verifies to the root" openssl verify \
		-CAfile "$T/root.pem" -untrusted "$T/inter.pem" "$T/out/$id.cert.pem"
done
sed -n 's/.* in \([0-9.]*\) s .*/\1/p' "$T/watch.out" |
	awk '{s+=$1} END{if (NR) printf "# --watch: %d devices, %.3f s each (station), %.0f a minute\n", NR, s/NR, 60*NR/s}'
awk -v a="$W0" -v b="$W1" -v n="$N" 'BEGIN{printf "# --watch: wall clock %.1f s for %d devices (unplug and replug included), %.0f a minute\n", b-a, n, 60*n/(b-a)}'
# the time of each step, mean over the devices (the result lines)
sed -n 's/^provisioned .*(\(.*\))$/\1/p' "$T/watch.out" | tr ',' '\n' |
	awk '{t[$1]+=$2; n[$1]++; if (!($1 in o)) o[$1]=++k} END{for (s in o) l[o[s]]=s;
	printf "# --watch: per step (ms):"; for (i=1; i<=k; i++) printf " %s %.1f", l[i], 1000*t[l[i]]/n[l[i]]; printf "\n"}'
check "--watch: no pending row left" test "$(ledger_rows | grep -c '^pending ')" = 0
done_testing

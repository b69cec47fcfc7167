#!/bin/sh
# factorysign batch: bad files reported and skipped, a summary, exit 1 when
# any failed; a rerun completes without duplicates; kill -9 in the middle
# of a batch leaves a consistent ledger (every recorded certificate on
# disk, no serial twice) and the rerun completes it.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
GENCSR="$KC_TOP_BUILDDIR/tests/factory/gencsr"
fs_setup

"$GENCSR" csr 20 dev- || bail gencsr
# bad ones among them
printf 'not a csr\n' > csr/readme.txt
cp root.pem csr/a-certificate.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout keys/ca.key -subj "/CN=ca-dev" \
	-addext "basicConstraints=critical,CA:TRUE" -out csr/ca.csr >/dev/null 2>&1
openssl req -new -key keys/ca.key -subj "/CN=dev-000003" -out csr/dup.csr >/dev/null 2>&1
openssl req -new -key keys/ca.key -subj "/CN=bad name" -out csr/badcn.csr >/dev/null 2>&1

"$FS" batch --dir D --csr-dir csr --out-dir out --pass-file "$PASS" > "$T/b1.out" 2> "$T/b1.err"
rc=$?
check "batch with bad files exits 1" test "$rc" = 1
check "summary: 20 issued, 5 failed" grep -q "20 issued, 0 already issued, 0 repaired, 5 failed, 25 files" "$T/b1.out"
check "the non-CSR file is reported by name" grep -q "readme.txt: not a" "$T/b1.err"
check "the certificate is reported" grep -q "a-certificate.pem: .*not a" "$T/b1.err"
check "CA:TRUE is reported" grep -q "ca.csr: .*CA:TRUE" "$T/b1.err"
check "the duplicate ID is reported" grep -Eq "(dup|dev-000003).csr: .*dev-000003.*issued earlier in this batch" "$T/b1.err"
check "the bad CN is reported" grep -q "badcn.csr: .*registration ID" "$T/b1.err"
check "20 x 3 files written" test "$(ls out | wc -l)" = 60
ok_chains=0
for c in out/*.cert.pem; do
	openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted inter.pem "$c" >/dev/null 2>&1 && ok_chains=$((ok_chains + 1))
done
check "all 20 chains verify" test "$ok_chains" = 20
check "ledger verify" "$FS" ledger verify --dir D

"$FS" batch --dir D --csr-dir csr --out-dir out --pass-file "$PASS" > "$T/b2.out" 2>&1
check "rerun: nothing new, 20 already issued" grep -q "0 issued, 20 already issued, 0 repaired, 5 failed" "$T/b2.out"
check "rerun: still 20 live rows" test "$("$FS" ledger export --dir D --format csv | tail -n +2 | wc -l)" = 20

# files of a device lost: a rerun rewrites them from the ledger (no new
# signature); --reissue issues again only an ID whose CSR (key) is new
loser=$(sed -n "s/^factorysign: skipped: \(csr\/[a-z0-9-]*\.csr\): device ID 'dev-000003'.*/\1/p" "$T/b1.err")
rm out/dev-000007.* "$loser"	# the duplicate that lost (directory order)
"$FS" batch --dir D --csr-dir csr --out-dir out --pass-file "$PASS" > "$T/b2r.out" 2>&1
check "lost files: the rerun rewrites them from the ledger" grep -q "0 issued, 19 already issued, 1 repaired, 4 failed" "$T/b2r.out"
check "  ... nothing superseded" sh -c "! '$FS' ledger export --dir D --format csv --all | grep -q 'superseded'"
c7=csr/dev-000007.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
	-subj "/CN=dev-000007" -out "$c7" >/dev/null 2>&1	# the device got a new key
"$FS" batch --dir D --csr-dir csr --out-dir out --reissue --pass-file "$PASS" > "$T/b3.out" 2>&1
check "batch --reissue issues the new key's CSR (and only it)" grep -q "1 issued, 19 already issued, 0 repaired, 4 failed" "$T/b3.out"
check "  ... ledger verify" "$FS" ledger verify --dir D
check "  ... still 20 live rows" test "$("$FS" ledger export --dir D --format csv | tail -n +2 | wc -l)" = 20
check "  ... the earlier one is superseded" sh -c "'$FS' ledger export --dir D --format csv --all | grep '^\"dev-000007\",' | grep -q ',\"superseded\"\$'"

# on a terminal: a progress line (carriage returns), the summary at the end
mkdir tin tout
"$GENCSR" tin 5 tty- || bail gencsr
script -qec "'$FS' batch --dir D --csr-dir tin --out-dir tout --pass-file '$PASS'" /dev/null > "$T/tty.out" 2>&1
check "on a terminal: a progress line" sh -c "tr '\\r' '\\n' < '$T/tty.out' | grep -Eq '[0-9]+ files: [0-9]+ issued, 0 already issued, 0 repaired, 0 failed'"
check "  ... and the summary" grep -q "5 issued, 0 already issued, 0 repaired, 0 failed, 5 files" "$T/tty.out"
check "  ... no per-device lines" sh -c "! grep -q 'tty-000001: serial' '$T/tty.out'"

# a file that is not ours in OUT is never overwritten
mkdir in2 out2
"$GENCSR" in2 1 mine- || bail gencsr
echo "precious" > out2/mine-000001.cert.pem
check_fails "an existing foreign output file is refused" "mine-000001.cert.pem already exists" \
	"$FS" batch --dir D --csr-dir in2 --out-dir out2 --pass-file "$PASS"
check "  ... and left alone" grep -qx precious out2/mine-000001.cert.pem

# two CSRs of one device ID (different keys) in one batch: the second is
# refused even with --reissue (which key is the device's cannot be told)
mkdir in3 out3
for k in 1 2; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "keys/twin$k.key" \
		-subj "/CN=twin-1" -out "in3/twin-$k.csr" >/dev/null 2>&1
done
"$FS" batch --dir D --csr-dir in3 --out-dir out3 --reissue --pass-file "$PASS" > "$T/b4.out" 2> "$T/b4.err"
check "one device ID twice in a batch, --reissue: 1 issued, 1 failed" \
	grep -q "1 issued, 0 already issued, 0 repaired, 1 failed, 2 files" "$T/b4.out"
check "  ... the second CSR is named with the reason" \
	grep -Eq "in3/twin-[12].csr: device ID 'twin-1' was issued earlier in this batch" "$T/b4.err"
check "  ... one row for the ID, nothing superseded" sh -c \
	"test \"\$('$FS' ledger export --dir D --format csv --all | grep -c '^\"twin-1\",')\" = 1"
check "  ... the certificate is the first CSR's key" sh -c '
	w=$(sed -n "s/.*in3\/twin-\([12]\)\.csr: device ID.*/\1/p" "$1")
	k=$((3 - w))
	[ "$(openssl x509 -in out3/twin-1.cert.pem -noout -pubkey)" = "$(openssl pkey -in keys/twin$k.key -pubout)" ]' \
	sh "$T/b4.err"

# issue without a terminal and without --key-pass-file: a clear usage error
check_fails "issue: encrypted keys need a passphrase source" "key-pass-file" \
	setsid "$FS" issue --dir D --count 1 --prefix q- --out-dir out2 --pass-file "$PASS"

# crash safety: kill -9 twice in the middle of a batch, then complete it
N=1500
mkdir big bout
"$GENCSR" big $N k- || bail gencsr
"$FS" init --dir D2 --subject "/CN=Factory Crash/O=Example" --algorithm ec-p256 --pass-file "$PASS" >/dev/null
openssl x509 -req -in D2/intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1000 \
	-extfile ca.cnf -extensions inter -out inter2.pem >/dev/null 2>&1
"$FS" install --dir D2 --cert inter2.pem --root root.pem >/dev/null || bail install
fs_fast_key "$T/D2"	# the kill rounds below time out waiting for files
killed=0
for round in 1 2; do
	before=$(ls bout | wc -l)
	"$FS" batch --dir D2 --csr-dir big --out-dir bout --commit-every 37 --pass-file "$PASS" --quiet >/dev/null 2>&1 &
	pid=$!
	# wait until it has written a few hundred more files (at most 60 s)
	i=0
	while [ $i -lt 600 ] && [ "$(ls bout | wc -l)" -lt $((before + 600)) ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
	wait $pid 2>/dev/null
	"$FS" ledger verify --dir D2 > "$T/v$round.out" 2>&1
	check "after kill -9 #$round: every recorded certificate is on disk" test $? = 0
	live=$(sqlite3 D2/ledger.sqlite "select count(*) from certs where status='issued'")
	dist=$(sqlite3 D2/ledger.sqlite "select count(distinct device_id) from certs where status='issued'")
	check "after kill -9 #$round: one live row per device ($live)" test "$live" = "$dist"
done
check "the batch was killed mid-run at least once" test "$killed" -ge 1
"$FS" batch --dir D2 --csr-dir big --out-dir bout --pass-file "$PASS" --quiet > "$T/final.out" 2>&1
check "rerun completes with exit 0" test $? = 0
check "rerun removed the temporary files of the killed runs" sh -c "! ls bout | grep -q tmp-"
diag "$(cat "$T/final.out")"
check "ledger: $N live device certificates" test "$(sqlite3 D2/ledger.sqlite "select count(*) from certs where status='issued'")" = $N
check "ledger: no serial twice" test "$(sqlite3 D2/ledger.sqlite "select count(distinct serial) from certs")" = "$(sqlite3 D2/ledger.sqlite "select count(*) from certs")"
check "ledger verify after the rerun" "$FS" ledger verify --dir D2
check "  ... from another directory too (absolute paths)" sh -c "cd / && '$FS' ledger verify --dir '$T/D2'"
check "3 files per device, nothing else" test "$(ls bout | wc -l)" = $((3 * N))
python3 "$KC_TOP_SRCDIR/tests/factory/serials.py" bout/*.cert.pem | sort > "$T/serials"	# one process, not 1500 openssl
check "no serial repeats among the certificate files" test "$(sort -u "$T/serials" | wc -l)" = $N
check "every file's certificate is the recorded one" sh -c "'$FS' ledger export --dir D2 --format csv | tail -n +2 | cut -d, -f2 | tr -d '\"' | tr a-f A-F | sed 's/^/serial=/' | sort | cmp -s - '$T/serials'"
bad=0
for c in bout/k-000001.cert.pem bout/k-000750.cert.pem bout/k-001500.cert.pem; do
	openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted inter2.pem "$c" >/dev/null 2>&1 || bad=1
done
check "sample chains verify" test $bad = 0
done_testing

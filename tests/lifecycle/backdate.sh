#!/bin/sh
# Validity policy (issue 15 item 7): a device certificate's notBefore is
# set back one hour by default (--backdate SECONDS on sign, batch, issue
# and keygen; 0 turns it off; at most 86400), so a relying party whose
# clock is slow still accepts a fresh device; never before the
# intermediate's notBefore (an intermediate younger than the margin clamps
# it). notAfter stays signing time + days. Times are read from the
# certificates and bracketed by `date` before and after signing. (The
# slow relying party trusts the 2-day-old intermediate with -partial_chain:
# the test root itself is minutes old.)
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup		# D: its intermediate's notBefore is now (openssl x509 -req)
epoch() { date -u -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
# factory NAME STARTDATE: a factory whose intermediate starts at STARTDATE
factory() {
	"$FS" init --dir "$T/$1" --subject "/CN=Factory $1/O=Example" --algorithm ec-p256 \
		--pass-file "$PASS" >/dev/null || bail "init $1"
	backdated "$T/$1/intermediate.csr" "$T/root.pem" "$T/root.key" "$T/$1.pem" inter \
		-startdate "$2" -enddate "$(date -u -d '+900 days' +%Y%m%d%H%M%SZ)"
	"$FS" install --dir "$T/$1" --cert "$T/$1.pem" --root "$T/root.pem" >/dev/null ||
		bail "install $1"
	fs_fast_key "$T/$1"
}
old=$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)
factory OLD "$old"
[ "$(epoch OLD.pem startdate)" -eq "$(date -u -d "$(echo "$old" | sed 's/^\(....\)\(..\)\(..\)\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6 UTC/')" +%s)" ] ||
	bail "openssl ca did not take -startdate $old"
young=$(date -u -d '-10 minutes' +%Y%m%d%H%M%SZ)
factory YOUNG "$young"
ynb=$(epoch YOUNG.pem startdate)
for i in 1 2 3 4 5 6 7 8; do mkcsr dev-$i; done

# within LO HI (seconds of backdate): the cert's notBefore is in
# [t0 - HI, t1 - LO] where t0/t1 bracket the signing
sign() {	# sign DIR ID [opts...]
	_d=$1; _id=$2; shift 2
	t0=$(date +%s)
	"$FS" sign --dir "$_d" --csr "csr/$_id.csr" --out-dir "out-$_id" --pass-file "$PASS" "$@" \
		> "$T/sign.out" 2>&1
	_rc=$?; t1=$(date +%s); return $_rc
}
mkdir out-dev-1 out-dev-2 out-dev-3 out-dev-4 out-dev-5 out-dev-6
sign OLD dev-1 || bail "sign: $(cat sign.out)"
nb=$(epoch out-dev-1/dev-1.cert.pem startdate); na=$(epoch out-dev-1/dev-1.cert.pem enddate)
check "sign: notBefore is signing time - 3600 s (the default)" \
	test "$nb" -ge $((t0 - 3600)) -a "$nb" -le $((t1 - 3600))
check "  ... notAfter is signing time + 365 days (not shortened)" \
	test "$na" -ge $((t0 + 365 * 86400)) -a "$na" -le $((t1 + 365 * 86400))
check "  ... a relying party 30 minutes slow accepts it" \
	openssl verify -attime $((t1 - 1800)) -partial_chain -CAfile OLD.pem out-dev-1/dev-1.cert.pem
sign OLD dev-2 --backdate 0 || bail "sign --backdate 0: $(cat sign.out)"
nb=$(epoch out-dev-2/dev-2.cert.pem startdate)
check "sign --backdate 0: notBefore is the signing time" test "$nb" -ge "$t0" -a "$nb" -le "$t1"
check_fails "  ... and the slow relying party refuses that one (why the margin exists)" "not yet valid" \
	openssl verify -attime $((t1 - 1800)) -partial_chain -CAfile OLD.pem out-dev-2/dev-2.cert.pem
sign OLD dev-3 --backdate 86400 || bail "sign --backdate 86400: $(cat sign.out)"
nb=$(epoch out-dev-3/dev-3.cert.pem startdate)
check "sign --backdate 86400 (the maximum): notBefore a day back" \
	test "$nb" -ge $((t0 - 86400)) -a "$nb" -le $((t1 - 86400))
for bad in 86401 -1 abc 1e3 ""; do
	check_fails "sign --backdate '$bad' refused" "--backdate '$bad': expected a number from 0 to 86400" \
		"$FS" sign --dir OLD --csr csr/dev-4.csr --out-dir out-dev-4 --pass-file "$PASS" --backdate "$bad"
done
check "  ... nothing written" nothing_in out-dev-4

# the intermediate is 10 minutes old: clamped to its notBefore
sign YOUNG dev-4 || bail "sign young: $(cat sign.out)"
check "an intermediate 10 minutes old: the device's notBefore is the intermediate's" \
	test "$(epoch out-dev-4/dev-4.cert.pem startdate)" -eq "$ynb"
check "  ... the chain verifies now" openssl verify -x509_strict -CAfile root.pem -untrusted YOUNG.pem out-dev-4/dev-4.cert.pem
sign YOUNG dev-5 --backdate 300 || bail "sign young 300: $(cat sign.out)"
nb=$(epoch out-dev-5/dev-5.cert.pem startdate)
check "  ... --backdate 300 (inside the intermediate's life) is not clamped" \
	test "$nb" -ge $((t0 - 300)) -a "$nb" -le $((t1 - 300))
# D's intermediate starts at fs_setup time: never before it
sign D dev-6 || bail "sign D: $(cat sign.out)"
check "a fresh intermediate: notBefore never before the intermediate's" \
	test "$(epoch out-dev-6/dev-6.cert.pem startdate)" -eq "$(epoch inter.pem startdate)"

# batch, issue and keygen take the same margin
mkdir in bout iout kout
cp csr/dev-7.csr in/
t0=$(date +%s)
"$FS" batch --dir OLD --csr-dir in --out-dir bout --pass-file "$PASS" >b.out 2>&1 || bail "batch: $(cat b.out)"
t1=$(date +%s)
nb=$(epoch bout/dev-7.cert.pem startdate)
check "batch: notBefore signing time - 3600 s" test "$nb" -ge $((t0 - 3600)) -a "$nb" -le $((t1 - 3600))
rm -rf in bout; mkdir in bout; cp csr/dev-8.csr in/
t0=$(date +%s)
"$FS" batch --dir OLD --csr-dir in --out-dir bout --backdate 60 --pass-file "$PASS" >b.out 2>&1 || bail "batch 60: $(cat b.out)"
t1=$(date +%s)
nb=$(epoch bout/dev-8.cert.pem startdate)
check "batch --backdate 60" test "$nb" -ge $((t0 - 60)) -a "$nb" -le $((t1 - 60))
printf 'idev-1\n' > ids
t0=$(date +%s)
"$FS" issue --dir OLD --ids ids --plain-keys --out-dir iout --pass-file "$PASS" >i.out 2>&1 || bail "issue: $(cat i.out)"
t1=$(date +%s)
nb=$(epoch iout/idev-1.cert.pem startdate)
check "issue: notBefore signing time - 3600 s" test "$nb" -ge $((t0 - 3600)) -a "$nb" -le $((t1 - 3600))
check_fails "issue --backdate 86401 refused" "--backdate '86401'" \
	"$FS" issue --dir OLD --ids ids --plain-keys --out-dir iout --backdate 86401 --pass-file "$PASS"
check_fails "batch --backdate x refused" "--backdate 'x'" \
	"$FS" batch --dir OLD --csr-dir in --out-dir bout --backdate x --pass-file "$PASS"
check_fails "keygen --backdate -5 refused" "--backdate '-5'" \
	"$FS" keygen --dir OLD --input /dev/null --out-dir kout --backdate -5 --pass-file "$PASS"
check "  ... nothing written" nothing_in kout

done_testing

#!/bin/sh
# Issue 14 item 11: factorysign check with a complete chain and an unrelated
# --root names the real fault (the chain does not end at this root, and
# which root it does end at), not "missing intermediate". Every shape of
# certificate file (leaf, leaf+intermediate, full chain) against the right
# root, an unrelated root and a second root of the same name.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
mkcsr dev-0001
"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir out --pass-file "$PASS" >/dev/null || bail sign
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem -days 30 \
	-subj "/CN=Other Root/O=Elsewhere" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || bail "other root"
# same subject as the real root, another key: names alone do not tell
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout twin.key -out twin.pem -days 30 \
	-subj "/CN=Test Root/O=Example" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || bail "twin root"

# case: file root verdict regex (verdict ok = no problem, else the PROBLEM
# line must match and "missing intermediate" must appear only for a leaf)
run() {
	_d=$1; _c=$2; _r=$3; _v=$4; _re=${5-}
	"$FS" check --cert "$_c" --key keys/dev-0001.key --root "$_r" --id dev-0001 > "$T/c.out" 2>&1; _rc=$?
	if [ "$_v" = ok ]; then
		if [ $_rc = 0 ] && grep -q '^no problem found' "$T/c.out"; then ok "$_d"
		else not_ok "$_d (rc $_rc)"; sed 's/^/#   /' "$T/c.out"; fi
		return
	fi
	if [ $_rc = 1 ] && grep -Eq "^PROBLEM: .*$_re" "$T/c.out" &&
	   { [ "$_v" = leaf ] || ! grep -q 'missing intermediate' "$T/c.out"; }; then ok "$_d"
	else not_ok "$_d (rc $_rc)"; sed 's/^/#   /' "$T/c.out"; fi
}

run "chain + its root: no problem" out/dev-0001.chain.pem root.pem ok
run "full chain + its root: no problem" out/dev-0001.full-chain.pem root.pem ok
run "chain + unrelated root: does not end at this root, names both roots" \
	out/dev-0001.chain.pem other.pem end \
	"does not end at the root other.pem: its last certificate is issued by '/CN=Test Root/O=Example', and the root given is '/CN=Other Root/O=Elsewhere'"
check_fails "  ... the fix says no intermediate is missing" "fix: give the root that issued the intermediate.*no intermediate is missing" \
	"$FS" check --cert out/dev-0001.chain.pem --key keys/dev-0001.key --root other.pem
run "full chain + unrelated root: ends at another root" \
	out/dev-0001.full-chain.pem other.pem end \
	"does not end at the root other.pem: it ends at another root, '/CN=Test Root/O=Example', and the root given is '/CN=Other Root/O=Elsewhere'"
run "leaf only + its root: the intermediate is missing" \
	out/dev-0001.cert.pem root.pem leaf "stops before the root.*missing intermediate"
run "leaf only + unrelated root: the intermediate is missing" \
	out/dev-0001.cert.pem other.pem leaf "stops before the root.*missing intermediate"
run "chain + a root of the same name but another key: does not verify, no 'missing intermediate'" \
	out/dev-0001.chain.pem twin.pem end "does not verify to twin.pem"
# the root file is a bundle with the real root second: still verifies
cat other.pem root.pem > bundle.pem
run "chain + a bundle whose second root is the right one: no problem" out/dev-0001.chain.pem bundle.pem ok
cat other.pem twin.pem > bundle3.pem
run "chain + a bundle of unrelated roots: does not end at the first one" \
	out/dev-0001.chain.pem bundle3.pem end "does not end at the root bundle3.pem: .*the root given is '/CN=Other Root/O=Elsewhere'"
cat root.pem other.pem > bundle2.pem
run "chain + a bundle whose first root is the right one: no problem" out/dev-0001.chain.pem bundle2.pem ok
done_testing

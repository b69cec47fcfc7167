#!/bin/sh
# keyceremony run: a bad ceremony file or site profile is refused with
# file:line before anything is written or the token is touched.
. "$KC_TOP_SRCDIR/tests/lib.sh"
softhsm_setup keyceremony-demo
cd "$T" || bail "no temp dir"
mkdir media
good=$KC_TOP_SRCDIR/ceremony/root-ca.yaml
line_of() { grep -n -- "$1" "$good" | head -1 | cut -d: -f1; }
keys() { pkcs11-tool --module "$MODULE" --token-label keyceremony-demo --login --pin 123456 -O 2>/dev/null | grep -c 'Object'; }

# bad NAME LINE REGEX: runs bad.yaml, expects file:line and REGEX, exit 1,
# no state directory, no object in the token.
bad() {
	_n=$1; _l=$2; _re=$3
	"$KC" run bad.yaml --batch --module "$MODULE" --token keyceremony-demo \
		--pin-file "$T/pin" --state S --media media > out.txt 2>&1
	_rc=$?
	if [ "$_rc" -eq 1 ] && grep -Eq -- "bad.yaml:$_l: .*$_re" out.txt &&
	   [ ! -e S ] && [ "$(keys)" -eq 0 ] && [ -z "$(ls -A media)" ]; then
		ok "$_n"
	else
		not_ok "$_n (exit $_rc)"; sed 's/^/#   /' out.txt
	fi
}

l=$(line_of 'days: 7300')
sed "s/^\(    days: 7300.*\)/\1\n    colour: red/" "$good" > bad.yaml
bad "unknown key" $((l + 1)) "unknown key 'colour' in step 'create-root'"
sed "/^    days: 7300/d" "$good" > bad.yaml
bad "missing field" "$(line_of '  - id: create-root')" "missing 'days'"
sed "s|^    subject: .*|    subject: /CN=Root/C=Germany|" "$good" > bad.yaml
bad "invalid subject" "$(line_of '    subject:')" "invalid subject"
sed "s|^    output: root.pem.*|    output: ../../etc/root.pem|" "$good" > bad.yaml
bad "output path outside the state directory" "$(line_of '    output: root.pem')" "outside the state directory"
sed "s|^    output: root.pem.*|    output: /tmp/root.pem|" "$good" > bad.yaml
bad "absolute output path" "$(line_of '    output: root.pem')" "outside the state directory"
sed "s/^    days: 7300.*/    days: twenty years/" "$good" > bad.yaml
bad "wrong type" "$l" "'days' must be a whole number"
sed "s/^    key-label: .*/&\n    key-label: other/" "$good" > bad.yaml
bad "duplicate key" "$(($(line_of '    key-label:') + 1))" "duplicate key 'key-label'"
sed "s/^    algorithm: .*/    algorithm: rsa-1024/" "$good" > bad.yaml
bad "unknown algorithm" "$(line_of '    algorithm:')" "algorithm 'rsa-1024'"
sed "s/^    role: officer/    role: janitor/" "$good" > bad.yaml
bad "undeclared role" "$(line_of '    role: officer')" "role 'janitor' is not in 'roles'"
printf 'keyceremony: 1\nname: x\n  title: [broken\n' > bad.yaml
bad "not YAML" "[0-9]+" "not valid YAML"

# Site profile errors are reported the same way, before anything happens.
printf 'keyceremony-site: 1\nname: s\ntoken:\n  label: keyceremony-demo\npin-file: pin\nstate: S\nmedia: media\nnetwork: sometimes\n' > bad.site
check_fails "bad site profile value" "bad.site:8: 'network' must be 'warn' or 'refuse'" \
	"$KC" run "$good" --site bad.site --batch
printf 'keyceremony-site: 1\nname: s\ntoken:\n  label: keyceremony-demo\npin: 123456\nstate: S\nmedia: media\n' > bad.site
check_fails "a PIN in the site profile is an unknown key" "bad.site:5: unknown key 'pin'" \
	"$KC" run "$good" --site bad.site --batch
check "nothing written for the bad site profiles" test ! -e S

# A PIN file others can read is refused before the token is touched.
( umask 022; echo 123456 > loose.pin )
check_fails "PIN file with mode 0644" "loose.pin" \
	"$KC" run "$good" --batch --module "$MODULE" --token keyceremony-demo \
	--pin-file loose.pin --state S --media media
check "nothing written for the loose PIN file" test ! -e S
check_fails "--batch without a PIN file" "needs a PIN file" \
	"$KC" run "$good" --batch --module "$MODULE" --token keyceremony-demo --state S --media media
check_fails "no token, no site" "give --site or --token" "$KC" run "$good" --batch --state S --media media
check_fails "no ceremony file" "nosuch.yaml" "$KC" run nosuch.yaml --batch --token t --state S --media media
check_fails "bad --role" "--role wants ROLE=NAME" "$KC" run "$good" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S5 --media media --role officer
check_fails "unknown role" "no role 'janitor'" "$KC" run "$good" --batch --module "$MODULE" \
	--token keyceremony-demo --pin-file "$T/pin" --state S6 --media media --role janitor=Bob
check "no key made and nothing written by the refused runs" sh -c \
	"test $(keys) -eq 0 && test ! -e S5 && test ! -e S6"
check "every shipped ceremony file is valid" sh -c \
	"for f in '$KC_TOP_SRCDIR'/ceremony/*.yaml; do '$KC' run \"\$f\" --check --token t --state s --media m || exit 1; done"
done_testing

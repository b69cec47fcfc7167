#!/bin/sh
# Validity policy (issue 15 item 7): a root's validity is capped at 9,132
# days (25 years) unless the ceremony file gives 'validity-reason' beside
# 'days' on the root-create step (or root create gets --validity-reason).
# The reason is shown by run --check, recorded in the transcript, and
# refused when it is not one line of plain text. Pairs: 9132 accepted with
# no reason, 9133 refused without one, 10000 accepted with one.
. "$KC_TOP_SRCDIR/tests/lib.sh"
cd "$T" || bail "cd"
demo_token 123456
mkdir media
CER=$KC_TOP_SRCDIR/ceremony
# mk DAYS [REASON-LINE]: a copy of root-ca.yaml with that root validity
mk() {
	awk -v d="$1" -v r="${2:-}" '
		/^    days: 7300/ { print "    days: " d; if (r != "") print r; next }
		{ print }' "$CER/root-ca.yaml"
}
enddays() {	# days between the certificate's notBefore and notAfter
	python3 - "$1" <<'PY'
import subprocess, sys, datetime
def t(opt):
	s = subprocess.check_output(["openssl", "x509", "-in", sys.argv[1], "-noout", opt], text=True)
	return datetime.datetime.strptime(s.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y %Z")
print((t("-enddate") - t("-startdate")).days)
PY
}

# 9133, no reason: refused naming the file, the line and the field
mk 9133 > long.yaml
ln=$(grep -n '^    days: 9133' long.yaml | cut -d: -f1)
check_fails "run --check: days 9133 without a reason refused" \
	"long.yaml:$ln: 'days: 9133' exceeds the root validity cap of 9132 days.*validity-reason" \
	"$KC" run long.yaml --check
check_fails "run --batch: refused the same way" "long.yaml:$ln: 'days: 9133' exceeds" \
	"$KC" run long.yaml --site demo.site --batch --role officer=Olga --role witness=Wim
check "  ... nothing written (no state, no root.pem)" test ! -e state/root.pem
check "  ... no key made in the token" sh -c "! pkcs11-tool --module '$MODULE' --login --pin 123456 --list-objects 2>/dev/null | grep -q 'Private Key'"

# an empty reason is no reason; a hostile one is refused
mk 9133 '    validity-reason: ""' > empty.yaml
check_fails "an empty validity-reason is refused" "empty.yaml:[0-9]+: 'validity-reason' is empty" \
	"$KC" run empty.yaml --check
python3 - "$CER/root-ca.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read()
bad = {	# YAML escapes, decoded by the parser
	"bidi": "contract \\u202eevil",
	"c1": "contract \\x9b x",
	"zwsp": "contract\\u200bx",
	"tab": "contract\\tx",
	"esc": "contract\\e[31m",
}
for k, v in bad.items():
	y = src.replace("    days: 7300", "    days: 10000\n    validity-reason: \"%s\"" % v)
	open("bad-%s.yaml" % k, "w", encoding="utf-8").write(y)
y = src.replace("    days: 7300", "    days: 10000\n    validity-reason: " + "x" * 201)
open("bad-long.yaml", "w").write(y)
y = src.replace("next-update-days: 365", "next-update-days: 365\n    validity-reason: because")
open("bad-step.yaml", "w").write(y)
PY
for k in bidi c1 zwsp tab esc; do
	check_fails "a validity-reason with $k refused" "bad-$k.yaml:[0-9]+: 'validity-reason' must be one line of" \
		"$KC" run bad-$k.yaml --check
	check "  ... the $k character does not reach the terminal raw" sh -c "! grep -q \"\$(printf '\342\200\256')\" '$T/.out'"
done
check_fails "a validity-reason over 200 characters refused" "'validity-reason' is longer than 200" \
	"$KC" run bad-long.yaml --check
check_fails "validity-reason on a step that is not root-create is an unknown key" "validity-reason" \
	"$KC" run bad-step.yaml --check

# 9132, no reason: accepted, and no reason line printed
mk 9132 > cap.yaml
check "run --check: days 9132 (the cap) accepted with no reason" "$KC" run cap.yaml --check
cp "$T/.out" cap.out
check "  ... validity shown, no 'validity reason' line" sh -c "grep -q 'notBefore + 9132 days (25.0 years)' cap.out && ! grep -qi 'validity.reason' cap.out"

# 10000 with a reason: accepted, shown, recorded in the transcript
mk 10000 '    validity-reason: "devices in the field until 2054 (contract 4711)"' > reason.yaml
check "run --check: days 10000 with a reason accepted" "$KC" run reason.yaml --check
cp "$T/.out" reason.out
check "  ... run --check prints the reason under the step" grep -q "validity reason (past the 9132-day cap): devices in the field until 2054 (contract 4711)" reason.out
"$KC" run reason.yaml --site demo.site --batch --role officer=Olga --role witness=Wim > run.out 2>&1 ||
	bail "run reason.yaml: $(cat run.out)"
ok "run --batch: the root of 10000 days is made"
check "  ... the root is valid 10000 days" test "$(enddays state/root.pem)" -eq 10000
tr=$(ls state/transcripts/root-ca-*.log)
check "  ... the transcript's step record holds the reason" grep -q "step step=create-root .*result=ok validity-reason=\"devices in the field until 2054 (contract 4711)\"" "$tr"
check "  ... and only that step's" test "$(grep -c 'validity-reason=' "$tr")" -eq 1
check "  ... the transcript verifies" "$KC" transcript verify "$tr"

# root create on the command line
A="--token keyceremony-demo --algorithm ec-p256 --subject /CN=cli --pin-file pin"
check_fails "root create --days 9133 without --validity-reason refused" \
	"--days 9133 exceeds the root validity cap of 9132 days.*--validity-reason" \
	"$KC" root create $A --label l1 --days 9133 --out l1.pem --state st1
check "  ... nothing written" test ! -e l1.pem -a ! -e st1
check_fails "root create --validity-reason with a bidi control refused" "must be .*plain text" \
	"$KC" root create $A --label l1 --days 9133 --out l1.pem --state st1 --validity-reason "$(printf 'a\342\200\256b')"
check_fails "root create --validity-reason '' refused" "must be 1 to 200" \
	"$KC" root create $A --label l1 --days 9133 --out l1.pem --state st1 --validity-reason ""
check "  ... nothing written" test ! -e l1.pem -a ! -e st1
check "root create --days 9132 accepted" "$KC" root create $A --label l2 --days 9132 --out l2.pem --state st2
check "  ... valid 9132 days" test "$(enddays l2.pem)" -eq 9132
check "root create --days 9133 --validity-reason accepted" "$KC" root create $A --label l3 --days 9133 \
	--out l3.pem --state st3 --validity-reason "contract 4711"
cp "$T/.out" l3.out
check "  ... the reason printed" grep -q "validity *contract 4711" l3.out
check "  ... valid 9133 days" test "$(enddays l3.pem)" -eq 9133
check_fails "root create --days 10959 still refused (30 years is the hard limit)" "30 years" \
	"$KC" root create $A --label l4 --days 10959 --out l4.pem --validity-reason x

done_testing

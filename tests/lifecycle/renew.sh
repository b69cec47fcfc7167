#!/bin/sh
# Renewal (issue 15 item 3): `keyceremony intermediate sign --renew OLD`
# certifies OLD's key again with a new validity: the same subject and SKI,
# recorded in the register as a renewal of OLD's serial, so the devices
# OLD signed verify under the renewed certificate (openssl -x509_strict,
# GnuTLS certtool); keyceremony status counts the renewal, not OLD; a
# renewal of the renewal works while OLD is still valid. factorysign
# install takes the renewed certificate, keeps OLD in D/previous/SERIAL/
# (with its root) and status lists both. Refused, one line naming the
# file, nothing written: a CSR with another key, OLD from another root,
# OLD not in the register, OLD a root, OLD a device, OLD revoked, a
# --subject other than OLD's, OLD a symbolic link or missing, weak keys
# (RSA e=3, RSA-1024, P-224); factorysign install of a certificate for another
# factory's key. A new key with OLD's subject (no --renew) is still
# refused while OLD is valid.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
softhsm_setup test
cd "$T" || bail "cd"
S="$T/state"
mkroot() { # LABEL SUBJECT
	"$KC" root create --token test --pin-file "$T/pin" --state "$S" \
		--label "$1" --algorithm ec-p256 --subject "$2" --days 3650 \
		--out "$T/$1.pem" >"$T/root.out" 2>&1 ||
		{ cat "$T/root.out"; bail "root create $1"; }
}
mkroot root "/CN=Renew Root/O=Example"
mkroot other "/CN=Other Root/O=Example"
X="--token test --pin-file $T/pin --yes"
isign() { # LABEL ISSUER CSR OUT [ARGS...]
	_l=$1 _i=$2 _c=$3 _o=$4; shift 4
	"$KC" intermediate sign $X --state "${STATE:-$S}" --label "$_l" \
		--issuer "$_i" --csr "$_c" --days "${DAYS:-400}" --out "$_o" "$@"
}
ser() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr A-F a-f; }
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | sed 1d | tr -d ' '; }
spki() { openssl x509 -in "$1" -noout -pubkey; }

( umask 077; printf 'correct horse battery\n' > "$PASS" )
"$FS" init --dir "$T/D" --subject "/CN=Factory Renew/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null || bail "init"
fs_fast_key "$T/D"
isign root "$T/root.pem" "$T/D/intermediate.csr" "$T/old.pem" >/dev/null 2>&1 ||
	bail "sign old"
"$FS" install --dir "$T/D" --cert "$T/old.pem" --root "$T/root.pem" \
	>/dev/null || bail "install old"
mkdir -p "$T/csr" "$T/keys" "$T/out"
mkcsr dev-1
"$FS" sign --dir "$T/D" --csr "$T/csr/dev-1.csr" --out-dir "$T/out" \
	--pass-file "$PASS" >/dev/null || bail "sign dev-1"
DEV1=$T/out/dev-1.cert.pem
OLD=$(ser "$T/old.pem")

# --- the renewal ------------------------------------------------------------
DAYS=500
check "intermediate sign --renew old.pem with the factory's CSR" \
	isign root "$T/root.pem" "$T/D/intermediate.csr" "$T/new.pem" \
	--renew "$T/old.pem"
DAYS=
cp "$T/.out" "$T/renew.out"
check "  ... the summary says RENEWAL of OLD's serial" \
	grep -q "RENEWAL of serial $OLD" "$T/renew.out"
check "  ... and prints what it renews" grep -q "renews .*old.pem" "$T/renew.out"
NEW=$(ser "$T/new.pem")
check "  ... a new serial" test "$NEW" != "$OLD"
check "the renewal verifies under the root" \
	openssl verify -x509_strict -CAfile "$T/root.pem" "$T/new.pem"
check "  ... the same SKI as OLD" test "$(ski "$T/new.pem")" = "$(ski "$T/old.pem")"
check "  ... the same key as OLD" test "$(spki "$T/new.pem")" = "$(spki "$T/old.pem")"
check "  ... the same subject as OLD" test \
	"$(openssl x509 -in "$T/new.pem" -noout -subject)" = \
	"$(openssl x509 -in "$T/old.pem" -noout -subject)"
check "  ... a new validity (--days 500: notAfter differs)" test \
	"$(openssl x509 -in "$T/new.pem" -noout -enddate)" != \
	"$(openssl x509 -in "$T/old.pem" -noout -enddate)"
check "OLD's device verifies with the renewed intermediate (openssl)" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$T/root.pem" \
	-untrusted "$T/new.pem" "$DEV1"
cat "$DEV1" "$T/new.pem" > "$T/dev1-new-chain.pem"
check "OLD's device verifies with the renewed intermediate (GnuTLS certtool)" \
	certtool --verify --load-ca-certificate "$T/root.pem" \
	--infile "$T/dev1-new-chain.pem"
check "register list shows the renewal of OLD's serial" sh -c \
	"'$KC' register list --state '$S' | grep -q 'renewal of serial $OLD'"
"$KC" register list --state "$S" --json > "$T/reg.json"
check "register list --json: the renewal's renews is OLD's serial, OLD's is null" \
	python3 - "$T/reg.json" "$OLD" "$NEW" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {e["serial"]: e for e in d["entries"] if e["serial"]}
assert by[sys.argv[3]]["renews"] == sys.argv[2], by[sys.argv[3]]
assert by[sys.argv[2]]["renews"] is None
PY
"$KC" status --state "$S" --json --warn-days 30 > "$T/st.json"
check "keyceremony status: the renewal counts, OLD does not" \
	python3 - "$T/st.json" "$OLD" "$NEW" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
inter = [i for i in d["items"] if i["kind"] == "intermediate"]
assert [i["serial"] for i in inter] == [sys.argv[3]], inter
assert inter[0]["renews"] == sys.argv[2]
PY

# --- factorysign install of the renewal -----------------------------------
cp -r "$T/D" "$T/Dlink"; mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$T/Dlink/previous"
check_fails "install of the renewal with D/previous a symbolic link" \
	"^factorysign: .*Dlink/previous is a symbolic link" \
	"$FS" install --dir "$T/Dlink" --cert "$T/new.pem" --root "$T/root.pem"
check "  ... nothing written through it, D unchanged" sh -c "test -z \"\$(ls -A \
	'$T/elsewhere')\" && cmp -s '$T/Dlink/intermediate.pem' '$T/old.pem'"
check "factorysign install takes the renewed certificate" \
	"$FS" install --dir "$T/D" --cert "$T/new.pem" --root "$T/root.pem"
cp "$T/.out" "$T/install.out"
check "  ... and says where OLD is kept" grep -q "kept in .*previous/$OLD" "$T/install.out"
check "  ... OLD kept in D/previous/SERIAL/intermediate.pem" \
	cmp "$T/D/previous/$OLD/intermediate.pem" "$T/old.pem"
check "  ... with its root" cmp "$T/D/previous/$OLD/root.pem" "$T/D/root.pem"
check "  ... D's active certificate is the renewal" cmp "$T/D/intermediate.pem" "$T/new.pem"
check "  ... no key was copied" test ! -e "$T/D/previous/$OLD/intermediate.key"
check "install of the same certificate again keeps nothing more" \
	"$FS" install --dir "$T/D" --cert "$T/new.pem" --root "$T/root.pem"
check "  ... (one previous)" test "$(ls "$T/D/previous")" = "$OLD"
mkcsr dev-2
check "a device signed after the renewal" "$FS" sign --dir "$T/D" \
	--csr "$T/csr/dev-2.csr" --out-dir "$T/out" --pass-file "$PASS"
check "  ... verifies under the renewal" openssl verify -x509_strict \
	-CAfile "$T/root.pem" -untrusted "$T/new.pem" "$T/out/dev-2.cert.pem"
check "  ... and under OLD too (the same key and name)" openssl verify \
	-x509_strict -CAfile "$T/root.pem" -untrusted "$T/old.pem" \
	"$T/out/dev-2.cert.pem"
"$FS" status --dir "$T/D" > "$T/fst.out"; echo $? > "$T/fst.rc"
check "factorysign status lists the active and the previous intermediate" \
	sh -c "grep -q '^  ok .*intermediate.*D/intermediate.pem' '$T/fst.out' &&
	grep -q '^  retired .*intermediate.*previous/$OLD/intermediate.pem' '$T/fst.out'"
check "  ... exit 0: the previous one does not count" test "$(cat "$T/fst.rc")" = 0
"$FS" status --dir "$T/D" --json > "$T/fst.json"
check "factorysign status --json: both intermediates with their end dates" \
	python3 - "$T/fst.json" "$OLD" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = [(i["kind"], i["status"]) for i in d["items"]]
assert ("intermediate", "ok") in k and ("previous", "retired") in k, k
p = [i for i in d["items"] if i["kind"] == "previous"][0]
assert sys.argv[2] in p["file"] and p["not_after"] and p["days_left"] > 0
assert d["rekey_pending"] is None and d["exit"] == 0
PY

# the renewal of the renewal, while OLD is still valid (its line)
check "renewal of the renewal (OLD still valid: the same line, not a name clash)" \
	isign root "$T/root.pem" "$T/D/intermediate.csr" "$T/new2.pem" \
	--renew "$T/new.pem"
check "  ... verifies, same SKI" sh -c "openssl verify -x509_strict -CAfile \
	'$T/root.pem' '$T/new2.pem' >/dev/null && test '$(ski "$T/new.pem")' = \
	\"\$(openssl x509 -in '$T/new2.pem' -noout -ext subjectKeyIdentifier | sed 1d | tr -d ' ')\""

# --- refusals: one line naming the file, nothing written -------------------
refuse() { # DESCRIPTION REGEX CSR [ARGS...]
	_d=$1 _re=$2 _c=$3; shift 3
	rm -f "$T/r.pem"
	check_fails "$_d" "^keyceremony: .*$_re" isign root "$T/root.pem" \
		"$_c" "$T/r.pem" "$@"
	_n=$(grep -c "^keyceremony: " "$T/.out")
	[ "$_n" = 1 ] && ok "  ... one line" || not_ok "  ... one line ($_n)"
	check "  ... nothing written" test ! -e "$T/r.pem"
}
mkcsr stranger
openssl req -new -key "$T/keys/stranger.key" -subj "/CN=Factory Renew/O=Example" \
	-out "$T/csr/same-name.csr" 2>/dev/null || bail "req same-name"
refuse "--renew with a CSR of another key" \
	"csr/stranger.csr: the CSR's key is not the key of .*old.pem" \
	"$T/csr/stranger.csr" --renew "$T/old.pem"
refuse "--renew with another key under OLD's own subject" \
	"same-name.csr: the CSR's key is not the key of" \
	"$T/csr/same-name.csr" --renew "$T/old.pem"
refuse "without --renew, a new key with OLD's subject is still refused" \
	"already the subject of the intermediate CA serial" \
	"$T/csr/same-name.csr"
refuse "--renew OLD a root" "root.pem: a self-signed \(root\) certificate" \
	"$T/D/intermediate.csr" --renew "$T/root.pem"
refuse "--renew OLD another root's root" "other.pem: a self-signed" \
	"$T/D/intermediate.csr" --renew "$T/other.pem"
refuse "--renew OLD a device" "dev-1.cert.pem: not a CA certificate" \
	"$T/D/intermediate.csr" --renew "$DEV1"
isign other "$T/other.pem" "$T/D/intermediate.csr" "$T/foreign.pem" \
	>/dev/null 2>&1 || bail "foreign"
refuse "--renew OLD from another root" \
	"foreign.pem: not issued by the root .*root.pem" \
	"$T/D/intermediate.csr" --renew "$T/foreign.pem"
"$FS" init --dir "$T/D2" --subject "/CN=Factory Two/O=Example" \
	--algorithm ec-p256 --pass-file "$PASS" >/dev/null 2>&1 || bail "init D2"
STATE=$T/state2; isign root "$T/root.pem" "$T/D2/intermediate.csr" \
	"$T/unrecorded.pem" >/dev/null 2>&1 || bail "unrecorded"; STATE=
refuse "--renew OLD this root signed but this register lacks" \
	"unrecorded.pem: serial [0-9a-f]+ is not in the register .*state/register.sqlite" \
	"$T/D2/intermediate.csr" --renew "$T/unrecorded.pem"
STATE=$T/empty; refuse "--renew OLD with no register at all" \
	"old.pem: serial [0-9a-f]+ is not in the register \(no register in" \
	"$T/D/intermediate.csr" --renew "$T/old.pem"; STATE=
check "  ... and no register made" test ! -e "$T/empty"
refuse "--renew with a --subject other than OLD's" \
	"a renewal keeps the subject" "$T/D/intermediate.csr" \
	--renew "$T/old.pem" --subject "/CN=Factory Renamed/O=Example"
check "--renew with OLD's own subject as --subject is accepted" \
	isign root "$T/root.pem" "$T/D/intermediate.csr" "$T/new3.pem" \
	--renew "$T/old.pem" --subject "/CN=Factory Renew/O=Example"
ln -s "$T/old.pem" "$T/old-link.pem"
refuse "--renew OLD a symbolic link" "old-link.pem.*symbolic link" \
	"$T/D/intermediate.csr" --renew "$T/old-link.pem"
refuse "--renew OLD missing" "missing.pem" \
	"$T/D/intermediate.csr" --renew "$T/missing.pem"
# OLD revoked by the root
"$KC" crl --token test --pin-file "$T/pin" --state "$S" --label root \
	--issuer "$T/root.pem" --revoke "$T/new3.pem" --reason superseded \
	--days 30 --out "$T/root.crl" >/dev/null 2>&1 || bail "crl"
refuse "--renew OLD revoked" "new3.pem: serial [0-9a-f]+ was revoked on" \
	"$T/D/intermediate.csr" --renew "$T/new3.pem"

# weak keys: the key checks of every CSR apply before the renewal's
# (the key-quality corpus itself is tests/lifecycle/keyquality.sh)
weak() { # NAME REGEX OPENSSL-GENPKEY-ARGS...
	_n=$1 _re=$2; shift 2
	openssl genpkey "$@" -out "$T/keys/$_n.key" 2>/dev/null &&
	openssl req -new -key "$T/keys/$_n.key" -subj "/CN=Factory Renew/O=Example" \
		-out "$T/csr/$_n.csr" 2>/dev/null || bail "weak $_n"
	refuse "--renew with a weak key: $_n" "$_n.csr.*$_re" "$T/csr/$_n.csr" \
		--renew "$T/old.pem"
}
weak rsa-e3 "exponent" -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-pkeyopt rsa_keygen_pubexp:3
weak rsa-1024 "1024" -algorithm RSA -pkeyopt rsa_keygen_bits:1024
weak ec-p224 "." -algorithm EC -pkeyopt ec_paramgen_curve:P-224

# factorysign install: a certificate for another factory's key
STATE=$T/state2; isign root "$T/root.pem" "$T/D2/intermediate.csr" \
	"$T/d2.pem" --renew "$T/unrecorded.pem" >/dev/null 2>&1 ||
	bail "renew in state2"; STATE=
cp "$T/D/intermediate.pem" "$T/active-before.pem"
check_fails "factorysign install of a renewal for another factory's key" \
	"^factorysign: .*d2.pem: its public key is not the key of .*D" \
	"$FS" install --dir "$T/D" --cert "$T/d2.pem" --root "$T/root.pem"
check "  ... D unchanged, nothing kept" sh -c "cmp -s '$T/D/intermediate.pem' \
	'$T/active-before.pem' && test \"\$(ls '$T/D/previous')\" = '$OLD'"
check "register list: the register of the second state records its renewal too" \
	sh -c "'$KC' register list --state '$T/state2' | grep -q 'renewal of serial'"
done_testing

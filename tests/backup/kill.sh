#!/bin/sh
# Root key backup (issue 17): kill -9 during backup create and during
# backup restore, at every PKCS#11 call that matters (tests/backup/
# killshim.so kills the process at the Nth call of a function, before or
# after it reaches SoftHSM: no timing). After each: no half-written blob
# or sheet, no wrap key in either token, no private key that is not a
# complete restore (counted); the run that follows works.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/backup/lib-backup.sh"
cd "$T" || bail "cd $T"

[ -f "$KC_TOP_BUILDDIR/tests/backup/killshim.so" ] || bail "tests/backup/killshim.so missing (make check builds it)"
backup_setup ec-p384
safe_dir
KSHIM=$SAFE/killshim.so
cp "$KC_TOP_BUILDDIR/tests/backup/killshim.so" "$KSHIM" && chmod 755 "$KSHIM" || bail "cp killshim.so"
export KC_KILL_MODULE="$MODULE"
n1=$(nobj r1)

# nsecret TOKEN / npriv TOKEN: secret keys / private keys in TOKEN
nsecret() { pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O 2>/dev/null | grep -c '^Secret Key Object'; }
npriv() { pkcs11-tool --module "$MODULE" --token-label "$1" --login --pin 123456 -O 2>/dev/null | grep -c '^Private Key Object'; }

# killed AT WHEN NTH CMD...: CMD is killed by SIGKILL at that point
killed() {
	_at=$1 _when=$2 _nth=$3; shift 3
	KC_KILL_AT=$_at KC_KILL_WHEN=$_when KC_KILL_NTH=$_nth "$@" >"$T/k.out" 2>&1
	[ $? -eq 137 ]
}

# --- backup create ---------------------------------------------------------
i=0
for point in "C_Login before 1" "C_Login after 1" "C_CreateObject before 1" "C_CreateObject after 1" \
    "C_Login before 2" "C_WrapKey before 1" "C_WrapKey after 1" "C_WrapKey after 2" "C_Sign before 1" \
    "C_Sign after 1" "C_DestroyObject before 1" "C_DestroyObject after 1"; do
	i=$((i + 1)); set -- $point
	mkdir "m$i" "s$i"
	if killed "$1" "$2" "$3" "$KC" backup create --module "$KSHIM" --token r1 --label root \
	    --out-dir "m$i" --threshold 2 --custodians 3 --share-dir "s$i" --issuer root.pem \
	    --pin-file "$T/pin" --so-pin-file "$T/sopin"; then
		ok "backup create killed at $point"
	else
		not_ok "backup create killed at $point (not reached)"; sed 's/^/#   /' k.out
	fi
	[ -z "$(ls -A "m$i")" ] && ok "  ... nothing on the medium" || not_ok "  ... medium holds $(ls -A "m$i" | tr '\n' ' ')"
	[ -z "$(ls -A "s$i")" ] && ok "  ... no sheet" || not_ok "  ... sheets: $(ls -A "s$i" | tr '\n' ' ')"
	[ "$(nobj r1)" = "$n1" ] && [ "$(nsecret r1)" = 0 ] && ok "  ... r1 as it was, no wrap key left" ||
		not_ok "  ... r1: $(nobj r1) objects (was $n1), $(nsecret r1) secret keys"
done
mkdir medium shares
check "backup create through the same module, not killed, works" \
	"$KC" backup create --module "$KSHIM" --token r1 --label root --out-dir medium --threshold 2 \
	--custodians 3 --share-dir shares --issuer root.pem --pin-file "$T/pin" --so-pin-file "$T/sopin"
[ "$(nobj r1)" = "$n1" ] && [ "$(nsecret r1)" = 0 ] && ok "  ... r1 as it was" || not_ok "  ... r1 changed"

# --- backup restore ----------------------------------------------------------
restore() {
	"$KC" backup restore --module "$KSHIM" --token r2 --from medium --pin-file "$T/pin" \
		--share-file shares/share-1-of-3.txt --share-file shares/share-2-of-3.txt
}
reset_r2() {
	softhsm2-util --init-token --token r2 --label r2 --pin 123456 --so-pin 12345678 >/dev/null 2>&1 ||
		bail "re-init r2"
}
# before the unwrap: nothing may stay that is a private key, and the next
# restore works (what a killed one left before its unwrap is cleaned up)
for point in "C_Login before 1" "C_CreateObject before 1" "C_CreateObject after 1" \
    "C_CreateObject before 2" "C_CreateObject after 2" "C_CreateObject after 3" "C_UnwrapKey before 1"; do
	set -- $point
	reset_r2
	killed "$1" "$2" "$3" restore && ok "restore killed at $point" ||
		{ not_ok "restore killed at $point (not reached)"; sed 's/^/#   /' k.out; }
	[ "$(npriv r2)" = 0 ] && [ "$(nsecret r2)" = 0 ] && ok "  ... no private key and no wrap key left in r2" ||
		not_ok "  ... r2: $(npriv r2) private keys, $(nsecret r2) secret keys"
	check "  ... the next restore works" restore
	[ "$(nobj r2)" = 3 ] && [ "$(npriv r2)" = 1 ] && ok "  ... and leaves exactly the key, its public key and the record" ||
		not_ok "  ... r2 holds $(nobj r2) objects"
done
# after the unwrap: the key is complete (with its public key and record)
for point in "C_UnwrapKey after 1" "C_Sign before 1" "C_Sign after 1" "C_DestroyObject before 1"; do
	set -- $point
	reset_r2
	killed "$1" "$2" "$3" restore && ok "restore killed at $point" ||
		{ not_ok "restore killed at $point (not reached)"; sed 's/^/#   /' k.out; }
	[ "$(nobj r2)" = 3 ] && [ "$(npriv r2)" = 1 ] && [ "$(nsecret r2)" = 0 ] &&
		ok "  ... r2 holds the complete restored key (3 objects), no wrap key" ||
		not_ok "  ... r2: $(nobj r2) objects, $(npriv r2) private, $(nsecret r2) secret"
	check "  ... which passes the key policy and signs (self-test)" \
		"$KC" crl --token r2 --label root --issuer root.pem --out "crl-$1-$2.pem" --pin-file "$T/pin" \
		--state "$T/st-$1-$2"
	check_fails "  ... a second restore is refused: the label is taken" "already holds an object labelled 'root'" restore
done

done_testing

#!/bin/sh
# ./quickstart tells the whole story end to end: run it against the
# binaries of this build in a fresh directory and check what it left.
. "$KC_TOP_SRCDIR/tests/lib.sh"
D=$T/demo
chmod 711 "$T"   # the broker drops to the mosquitto user, which must reach $D/broker
if KC_PREBUILT=$KC_TOP_BUILDDIR "$KC_TOP_SRCDIR/quickstart" "$D" > "$T/qs.log" 2>&1; then
	ok "quickstart runs to the end"
else
	not_ok "quickstart runs to the end"; tail -30 "$T/qs.log" | sed 's/^/#   /'
fi
check "root verifies" openssl verify -x509_strict -CAfile "$D/media/root.pem" "$D/media/root.pem"
check "intermediate verifies" openssl verify -x509_strict -CAfile "$D/media/root.pem" "$D/media/intermediate.pem"
check "device chain verifies" openssl verify -x509_strict -purpose sslclient -CAfile "$D/media/root.pem" \
	-untrusted "$D/media/intermediate.pem" "$D/devices/out/sensor-0001.cert.pem"
check "media checksums" sh -c "cd '$D/media' && sha256sum -c --quiet SHA256SUMS"
check "the device connected to the broker with its CN as username" grep -q "u'sensor-0001'" "$D/broker/mosquitto.log"
check "the leaf-only device was refused" sh -c "grep -q 'verify failed' '$D/broker/mosquitto.log' && ! grep -q '^UNEXPECTED' '$T/qs.log'"
check "the revoked intermediate is rejected" grep -q "certificate revoked" "$T/qs.log"
# 10b: factorysign crl revokes sensor-0003; the broker with crls.pem refuses it
check "10b: the intermediate's CRL revokes sensor-0003" sh -c \
	"grep -q '^crl/intermediate.crl: CRL number 1, 1 revoked' '$T/qs.log' && grep -q 'revoked: sensor-0003 (serial [0-9a-f]*, keyCompromise)' '$T/qs.log'"
check "10b: crls.pem holds the root's CRL and the intermediate's" sh -c \
	"[ \$(grep -c 'BEGIN X509 CRL' '$D/crl/crls.pem') -eq 2 ]"
check "10b: sensor-0001 still verifies with -crl_check_all" openssl verify -crl_check_all \
	-CAfile "$D/media/root.pem" -untrusted "$D/media/intermediate.pem" -CRLfile "$D/crl/crls.pem" "$D/devices/out/sensor-0001.cert.pem"
check "10b: the broker accepted sensor-0001 and refused sensor-0003" sh -c \
	"grep -qx 'sensor-0001 accepted' '$T/qs.log' && grep -qx 'sensor-0003 refused: revoked' '$T/qs.log'"
check "10b: the cloud actions printed and written" sh -c \
	"grep -q '^az iot hub device-identity update --hub-name <HUB-NAME> --device-id sensor-0003 --status disabled\$' '$T/qs.log' && \
	 grep -q -- '--enrollment-id sensor-0003 --attestation-type x509' '$D'/crl/*revocation-actions.txt"
check "nRF91 AT script written" sh -c "ls '$D'/devices/nrf/*.at"
check "no private key material on the media" sh -c "! grep -rl 'PRIVATE KEY' '$D/media'"
# 9c: the line station on the simulated nRF91 (a pty)
check "9c: says the modem is a simulator standing in for /dev/ttyACM0" sh -c \
	"grep -q 'is a SIMULATED nRF91' '$T/qs.log' && grep -q 'standing in for a real' '$T/qs.log' && grep -q 'device on /dev/ttyACM0' '$T/qs.log'"
check "9c: provision printed its result line" grep -Eq \
	'^provisioned [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} serial [0-9a-f]+ port line/ttyACM0 in ' "$T/qs.log"
check "9c: the station made the key in the modem and wrote the chain" sh -c \
	"grep -qx 'AT%KEYGEN=16,2,0' '$D/line/modem.log' && grep -q '^AT%CMNG=0,16,1' '$D/line/modem.log' && grep -qx 'AT+CFUN=1' '$D/line/modem.log'"
check "9c: the chain the modem holds verifies to the root" openssl verify -x509_strict \
	-CAfile "$D/media/root.pem" -untrusted "$D/media/intermediate.pem" "$D/line/stored-chain.pem"
check "9c: ... and is the station's ID.chain.pem" sh -c "cmp '$D/line/stored-chain.pem' '$D'/line/out/*-*-*-*-*.chain.pem"
check "9c: the stored chain's check was shown" grep -qx 'line/stored-chain.pem: OK' "$T/qs.log"
# 11: one --json example, parsed
check "11: the ledger as JSON, parsed by python3" grep -Eqx \
	'5 live devices: sensor-0001, sensor-0003, sensor-0002, 50363154-3931-44f0-8022-121b6401627d, [0-9a-f-]{36}' "$T/qs.log"
# 11b: two stations, one PostgreSQL ledger
check "11b: not skipped" sh -c "! grep -q '^(skipped' '$T/qs.log'"
check "11b: line-1's SQLite ledger migrated and checked" grep -Eq \
	'^ledger migrate factory: 5 rows copied and checked \(SHA-256 [0-9a-f]{64}\)' "$T/qs.log"
check "11b: factory/ledger.conf names the server and line-1, mode 0600" sh -c \
	"grep -qx 'station = line-1' '$D/factory/ledger.conf' && grep -qx 'ledger = postgresql://kc@/ledger?host=$D/pg' '$D/factory/ledger.conf' && test \"\$(stat -c %a '$D/factory/ledger.conf')\" = 600"
check "11b: line-2's batch issued its two devices" grep -q \
	'^batch line-2/csr: 2 issued, 0 already issued, 0 repaired, 0 failed' "$T/qs.log"
check "11b: line-1's ID, in another case, refused at line-2, naming the station" sh -c \
	"grep -q \"device ID 'SENSOR-0001' was already issued by station line-1 at 20[0-9-]*T[0-9:]*Z (serial \" '$T/qs.log' && grep -A1 'already issued by station line-1 at' '$T/qs.log' | grep -qx 'refused, as it must be' && ! test -e '$D/line-2/out/SENSOR-0001.cert.pem'"
check "11b: one ledger, each row naming its station" sh -c \
	"grep -qx 'line-1|sensor-0001|issued' '$T/qs.log' && grep -qx 'line-2|sensor-0101|issued' '$T/qs.log' && grep -qx 'line-2|sensor-0102|issued' '$T/qs.log' && grep -qx '(7 rows)' '$T/qs.log'"
check "11b: line-2's export lists only its rows" sh -c \
	"sed -n '/--format csv --station line-2\$/,/^a station with/p' '$T/qs.log' | grep -c '^\"sensor-01' | grep -qx 2 && ! sed -n '/--format csv --station line-2\$/,/^a station with/p' '$T/qs.log' | grep -q '^\"sensor-000'"
check "11b: init --ledger wrote factory-3/ledger.conf for line-3" sh -c \
	"grep -qx 'station = line-3' '$D/factory-3/ledger.conf' && test -s '$D/factory-3/intermediate.csr'"
check "11b: the server was stopped" sh -c "grep -qx 'server stopped' '$T/qs.log' && ! test -e '$D/pg/data/postmaster.pid'"
# 12b: root key backup onto a second token
check "12b: backup created and restored" sh -c "grep -q \"^key 'root-2026' of token 'keyceremony-bk' backed up to backup-medium\" '$T/qs.log' && grep -q \"^key 'root-2026' restored into token 'keyceremony-spare'\" '$T/qs.log'"
check "12b: the backup-capable key honestly not never-extractable, the restored one not local" sh -c "grep -q 'extractable only wrapped under a trusted key, for its backup' '$T/qs.log' && grep -q 'restored from a backup: not generated in this token' '$T/qs.log'"
check "12b: no sheet on the backup medium" sh -c "test -f '$D/backup-medium/backup.wrapped' && ! ls '$D/backup-medium' | grep -q share"
# 12c, 12d: rotation to a new intermediate key, then its renewal
check "12c: the rekey installed, the old key retired in factory/previous" sh -c \
	"grep -q '^  switched factory to the new key; the old key (encrypted), CSR, certificate and root are in factory/previous/' '$T/qs.log' && test -s '$D/state/intermediate-2.pem'"
check "12c: a device signed under the new intermediate verifies" \
	openssl verify -x509_strict -CAfile "$D/media/root.pem" -untrusted "$D/state/intermediate-2.pem" "$D/devices/out-2/sensor-0004.cert.pem"
check "12c: the old intermediate's devices still verify with their own chain" \
	openssl verify -x509_strict -CAfile "$D/media/root.pem" -untrusted "$D/intermediate.pem" "$D/devices/out/sensor-0001.cert.pem"
check "12d: the renewal has the new intermediate's key and subject, a new serial" sh -c \
	"test \"\$(openssl x509 -in '$D/state/intermediate-2r.pem' -noout -pubkey -subject)\" = \"\$(openssl x509 -in '$D/state/intermediate-2.pem' -noout -pubkey -subject)\" && test \"\$(openssl x509 -in '$D/state/intermediate-2r.pem' -noout -serial)\" != \"\$(openssl x509 -in '$D/state/intermediate-2.pem' -noout -serial)\""
check "12d: a device signed before the renewal verifies under it" \
	openssl verify -x509_strict -CAfile "$D/media/root.pem" -untrusted "$D/state/intermediate-2r.pem" "$D/devices/out-2/sensor-0004.cert.pem"
check "12d: recorded as a renewal; install kept the certificate it replaced" sh -c \
	"grep -q '^  RENEWAL of serial ' '$T/qs.log' && grep -q '^  the certificate it replaces is kept in factory/previous/' '$T/qs.log'"
check "12d: the server was stopped again" sh -c "! test -e '$D/pg/data/postmaster.pid'"
done_testing

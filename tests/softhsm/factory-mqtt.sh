#!/bin/sh
# A real device connection: mosquitto on 127.0.0.1 (TLS, require_certificate,
# use_identity_as_username, cafile = the root only, server certificate from
# a separate CA). A device presenting ID.chain.pem and its key connects with
# its CN as user name; a device of another CA and a leaf-only device are
# refused.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
command -v mosquitto >/dev/null || bail "mosquitto missing (scripts/install-deps)"
command -v mosquitto_pub >/dev/null || bail "mosquitto_pub missing (mosquitto-clients)"
MOSQ=$(command -v mosquitto)
fs_setup

mkcsr dev-0001
"$FS" sign --dir D --csr csr/dev-0001.csr --out-dir out --pass-file "$PASS" >/dev/null || bail sign

# server side: its own CA, a certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srvca.key -out srvca.pem -days 30 \
	-subj "/CN=Broker Test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -subj "/CN=localhost" -out srv.csr >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > srv.ext
openssl x509 -req -in srv.csr -CA srvca.pem -CAkey srvca.key -CAcreateserial -days 30 -extfile srv.ext -out srv.pem >/dev/null 2>&1 ||
	bail "server certificate"

# another CA's device
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem -days 30 \
	-subj "/CN=Other Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" >/dev/null 2>&1
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > dev.ext
openssl x509 -req -in csr/dev-0001.csr -CA other.pem -CAkey other.key -CAcreateserial -days 30 -extfile dev.ext \
	-out other-dev.pem >/dev/null 2>&1 || bail "other device"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chmod 644 srv.key
cat > mosquitto.conf <<CONF
per_listener_settings true
listener $port 127.0.0.1
cafile $T/root.pem
certfile $T/srv.pem
keyfile $T/srv.key
require_certificate true
use_identity_as_username true
allow_anonymous false
log_type all
log_dest stdout
persistence false
user $(id -un)
CONF
"$MOSQ" -c "$T/mosquitto.conf" > "$T/mosq.log" 2>&1 &
mpid=$!
trap 'kill $mpid 2>/dev/null; _tap_cleanup' EXIT
i=0
until grep -q "Opening ipv4 listen socket on port $port" "$T/mosq.log" 2>/dev/null || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.2
kill -0 $mpid 2>/dev/null || { sed 's/^/# /' "$T/mosq.log"; bail "mosquitto did not start"; }

pub() { timeout 10 mosquitto_pub -h 127.0.0.1 -p "$port" --cafile srvca.pem -t factory/test -m hello -q 1 "$@"; }
check "device with ID.chain.pem and its key connects and publishes" pub --cert out/dev-0001.chain.pem --key keys/dev-0001.key -i client-a
check_fails "a device of another CA is refused" "." pub --cert other-dev.pem --key keys/dev-0001.key -i other
check_fails "a device presenting only its leaf is refused" "." pub --cert out/dev-0001.cert.pem --key keys/dev-0001.key -i leafonly
check "the broker is still running" kill -0 $mpid
kill $mpid; wait $mpid 2>/dev/null
# the log is complete once the broker has exited
check "the device's CN became its user name" grep -q "as client-a (.*u'dev-0001')" "$T/mosq.log"
check "the broker refused two TLS handshakes" test "$(grep -c 'certificate verify failed' "$T/mosq.log")" = 2
check "no other client got in" test "$(grep -c 'New client connected' "$T/mosq.log")" = 1
done_testing

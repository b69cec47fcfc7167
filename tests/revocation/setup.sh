# tests/revocation/setup.sh: helpers of the revocation tests, sourced after
# tests/lib.sh (and tests/factory/setup.sh for the openssl root).
#   root_crl OUT [SERIAL...]   the openssl test root's CRL ($T/root.key)
#                               revoking SERIALs (hex), 30 days
#   ledger_counts D            "REVOKED CRLS" rows in D's SQLite ledger
#   snapshot DIR...            a digest of the names, sizes, modes and
#                               contents under DIRs but the ledger's files
#                               (for "nothing written")
#   broker_start CAFILE CRLFILE  mosquitto on 127.0.0.1, a free port
#                               ($PORT): clients verified against CAFILE
#                               and CRLFILE, require_certificate; its own
#                               certificate from a broker CA of its own
#                               ($T/bca.pem); its log $T/m.log
#   broker_stop                stops it (also at exit)
#   mqtt_pub ID DIR            mosquitto_pub as device ID with DIR/ID.chain.pem
#                               and DIR/ID.key.pem; its exit status

root_crl() {
	_out=$1; shift
	: > "$T/rootca.index"
	for _s in "$@"; do
		printf 'R\t301201000000Z\t261130000000Z\t%s\tunknown\t/CN=x\n' \
			"$(echo "$_s" | tr a-f A-F)" >> "$T/rootca.index"
	done
	[ -f "$T/rootca.crlnumber" ] || echo 01 > "$T/rootca.crlnumber"
	cat > "$T/rootca.cnf" <<EOF
[ca]
default_ca=c
[c]
database=$T/rootca.index
crlnumber=$T/rootca.crlnumber
default_md=sha384
default_crl_days=30
crl_extensions=crlext
[crlext]
authorityKeyIdentifier=keyid
EOF
	openssl ca -gencrl -config "$T/rootca.cnf" -keyfile "$T/root.key" \
		-cert "$T/root.pem" -out "$_out" >/dev/null 2>&1 || bail "root CRL"
}

ledger_counts() {
	python3 - "$1/ledger.sqlite" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("select count(*) from revoked").fetchone()[0]
c = db.execute("select count(*) from crls").fetchone()[0]
print(r, c)
EOF
}

snapshot() {	# the ledger's own files excluded: an open touches -shm
	find "$@" ! -name 'ledger.sqlite*' -print0 2>/dev/null | sort -z | xargs -0 stat -c '%n %s %a %F' 2>/dev/null
	find "$@" -type f ! -name 'ledger.sqlite*' -print0 2>/dev/null | sort -z | xargs -0 cat 2>/dev/null | sha256sum
}

# the broker's certificate: CN and SAN 127.0.0.1, signed by a CA of its
# own (what the clients trust for the server; not the devices' root)
_broker_cert() {
	[ -f "$T/srv.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/bca.key" -out "$T/bca.pem" -days 30 -subj "/CN=Broker CA" \
		>/dev/null 2>&1 || bail "broker CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/srv.key" -subj /CN=127.0.0.1 -out "$T/srv.csr" 2>/dev/null \
		|| bail "broker key"
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$T/srv.ext"
	openssl x509 -req -in "$T/srv.csr" -CA "$T/bca.pem" -CAkey "$T/bca.key" \
		-CAcreateserial -days 30 -extfile "$T/srv.ext" -out "$T/srv.pem" \
		2>/dev/null || bail "broker certificate"
}

MQTT_PID=
broker_stop() {
	[ -z "$MQTT_PID" ] && return 0
	kill "$MQTT_PID" 2>/dev/null
	wait "$MQTT_PID" 2>/dev/null
	MQTT_PID=
}
trap 'broker_stop; _tap_cleanup' EXIT

broker_start() {
	command -v mosquitto >/dev/null || bail "mosquitto missing: install mosquitto and mosquitto-clients"
	_broker_cert
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > "$T/m.conf" <<EOF
listener $PORT 127.0.0.1
cafile $1
certfile $T/srv.pem
keyfile $T/srv.key
require_certificate true
crlfile $2
allow_anonymous true
user $(id -un)
EOF
	: > "$T/m.log"
	mosquitto -c "$T/m.conf" > "$T/m.log" 2>&1 &
	MQTT_PID=$!
	# ready when it says so (or gone): not a sleep standing for readiness
	python3 - "$T/m.log" "$MQTT_PID" <<'EOF' || { cat "$T/m.log"; bail "mosquitto did not start"; }
import os, sys, time
log, pid = sys.argv[1], int(sys.argv[2])
for _ in range(1000):
    if " running" in open(log).read():
        sys.exit(0)
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    time.sleep(0.01)
sys.exit(1)
EOF
}

mqtt_pub() {
	mosquitto_pub -h 127.0.0.1 -p "$PORT" --cafile "$T/bca.pem" \
		--cert "$2/$1.chain.pem" --key "$2/$1.key.pem" -i "$1" \
		-t "devices/$1" -m hello -d > "$T/pub-$1.out" 2>&1
}

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
check "nRF91 AT script written" sh -c "ls '$D'/devices/nrf/*.at"
check "no private key material on the media" sh -c "! grep -rl 'PRIVATE KEY' '$D/media'"
done_testing

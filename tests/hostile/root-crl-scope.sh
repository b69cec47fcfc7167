#!/bin/sh
# factorysign crl --root-crl refuses a root CRL that relying parties
# cannot use as the root's complete CRL (found by tests/hostile/vectors.sh:
# pyca's IDP-scoped, indirect and critical-entry-extension CRLs, re-signed
# by the root, were accepted and put into crls.pem, where openssl's chain
# check stops at them: "different CRL scope", "unhandled critical CRL
# extension"). Each refusal: exit 1, one line naming the file and why,
# nothing written, D as it was. A plain root CRL is still taken.
. "$KC_TOP_SRCDIR/tests/lib.sh"
. "$KC_TOP_SRCDIR/tests/factory/setup.sh"
fs_setup
mkcsr seed-01
"$FS" sign --dir "$T/D" --csr "$T/csr/seed-01.csr" --out-dir "$T/out" \
	--pass-file "$PASS" >/dev/null || bail "factorysign sign"
python3 - "$T" <<'PY' || bail "making the CRLs"
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ObjectIdentifier
t = sys.argv[1]
key = serialization.load_pem_private_key(open(t + "/root.key", "rb").read(), None)
root = x509.load_pem_x509_certificate(open(t + "/root.pem", "rb").read())
now = datetime.datetime.utcnow()
def crl(name, exts=(), entry=None):
    b = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
         .last_update(now - datetime.timedelta(days=1))
         .next_update(now + datetime.timedelta(days=30))
         .add_extension(x509.CRLNumber(5), critical=False))
    for e, c in exts:
        b = b.add_extension(e, critical=c)
    r = (x509.RevokedCertificateBuilder().serial_number(0x1234)
         .revocation_date(now - datetime.timedelta(days=1)))
    if entry is not None:
        r = r.add_extension(entry, critical=True)
    b = b.add_revoked_certificate(r.build())
    open(t + "/" + name + ".crl", "wb").write(
        b.sign(key, hashes.SHA384()).public_bytes(serialization.Encoding.PEM))
crl("plain")
crl("idp-users", [(x509.IssuingDistributionPoint(None, None, True, False,
    None, False, False), True)])
crl("idp-indirect", [(x509.IssuingDistributionPoint(None, None, False,
    False, None, True, False), True)])
crl("delta", [(x509.DeltaCRLIndicator(4), True)])
crl("critical-ext", [(x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4"),
    b"\x05\x00"), True)])
crl("critical-entry", entry=x509.UnrecognizedExtension(
    ObjectIdentifier("1.2.3.5"), b"\x05\x00"))
PY
snap() { find "$T/D" -type f ! -name '*-shm' -printf '%P %s %T@\n' | LC_ALL=C sort; }
snap > "$T/before"
for c in "idp-users~issuingDistributionPoint" "idp-indirect~issuingDistributionPoint" \
	 "delta~delta CRL" "critical-ext~critical extension 1.2.3.4" \
	 "critical-entry~entry 1 carries the critical extension 1.2.3.5"; do
	f=$T/${c%~*}.crl; mkdir -p "$T/o-${c%~*}"
	"$FS" crl --dir "$T/D" --pass-file "$PASS" --root-crl "$f" \
		--out "$T/o-${c%~*}/intermediate.crl" >"$T/o" 2>"$T/e"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l < "$T/e")" -eq 1 ] &&
	   grep -qF "$f: " "$T/e" && grep -qF "${c#*~}" "$T/e" &&
	   [ -z "$(ls -A "$T/o-${c%~*}")" ] && snap | cmp -s - "$T/before"; then
		ok "--root-crl ${c%~*} refused: $(cat "$T/e")"
	else
		not_ok "--root-crl ${c%~*}: exit $rc"; sed 's/^/#   /' "$T/o" "$T/e"
	fi
done
mkdir -p "$T/o-plain"
check "--root-crl plain is taken" "$FS" crl --dir "$T/D" --pass-file "$PASS" \
	--root-crl "$T/plain.crl" --out "$T/o-plain/intermediate.crl"
check "  ... and openssl's chain check takes crls.pem" openssl verify -crl_check_all \
	-CRLfile "$T/o-plain/crls.pem" -CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
	"$T/out/seed-01.cert.pem"
done_testing

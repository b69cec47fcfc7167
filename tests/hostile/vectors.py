#!/usr/bin/env python3
"""tests/hostile/vectors.py: the X.509 files of an independent corpus,
pyca/cryptography's test vectors (Debian's python3-cryptography-vectors),
listed by class for tests/hostile/vectors.sh, plus re-signed variants.

  vectors.py VECTORS_X509_DIR OUTDIR ROOT.key ROOT.pem INTER.key INTER.pem

Writes OUTDIR/MANIFEST, one line per input: CLASS<TAB>NAME<TAB>PATH.

Classes: csr (every file of requests/), cert (every certificate file of
the corpus: the top directory, custom/, custom/ca/, ed25519/, ed448/ and a
deterministic sample of PKITS_data/certs/), crl (custom/'s CRLs and a
sample of PKITS_data/crls/).  Many corpus files carry a broken signature
on purpose, or SHA-1, so a tool refuses them at the first check and never
reaches the odd extension, name or encoding they were made for.  Hence
the re-signed variants, which keep every byte of the original's body but
what a signer decides:

  csr-rs   the CSR's public key replaced by a fresh P-256 key, which
           signs it with ECDSA-SHA256 (subject, attributes, extension
           request and their encodings unchanged);
  cert-ca  issuer = the root, validity = yesterday..+30 days, key = the
           factory intermediate's, signed by the root (ECDSA-SHA384):
           what `factorysign install --cert` gets;
  cert-dev issuer = the intermediate, validity as above, own key kept,
           signed by the intermediate (ECDSA-SHA256): what `factorysign
           crl --revoke CERT` gets;
  crl-root issuer = the root, thisUpdate/nextUpdate = yesterday/+30 days
           (nextUpdate only when the original has one), a cRLNumber
           added when it has none (v2 then), signed by the root: what
           `--root-crl` gets.
An authorityKeyIdentifier in a certificate or CRL is rewritten to name
the new issuer's key (its criticality kept), so that chain building gets
past it to the rest.

A file whose body cannot be cut apart as DER (BER lengths, truncation) has
no variant; the original still goes through the tools.  Nothing random
decides which files are used; the fresh keys are random.
"""
import base64
import datetime
import os
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

# PKITS has 405 certificates and 173 CRLs: every n-th (sorted) is enough
# to see its kinds (name chaining, policies, constraints, delta CRLs).
PKITS_CERT_EVERY = 15
PKITS_CRL_EVERY = 8

ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
ECDSA_SHA384 = bytes.fromhex("300a06082a8648ce3d040303")


def tlv(b, i):
    """(tag, value start, value end) of the DER TLV at b[i]."""
    if i + 2 > len(b) or b[i] & 0x1F == 0x1F:
        raise ValueError("bad tag")
    tag, j = b[i], i + 2
    n = b[i + 1]
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise ValueError("indefinite or huge length")
        n = int.from_bytes(b[j:j + k], "big")
        j += k
    if j + n > len(b):
        raise ValueError("truncated")
    return tag, j, j + n


def children(b):
    """The raw TLVs inside the SEQUENCE b."""
    tag, s, e = tlv(b, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    out, i = [], s
    while i < e:
        t, vs, ve = tlv(b, i)
        out.append((t, b[i:ve]))
        i = ve
    return out


def enc(tag, val):
    n = len(val)
    if n < 0x80:
        h = bytes([n])
    else:
        lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        h = bytes([0x80 | len(lb)]) + lb
    return bytes([tag]) + h + val


def der_of(data):
    """The first PEM block's bytes (any label), else the file itself."""
    m = re.search(rb"-----BEGIN [^-]*-----(.*?)-----END", data, re.S)
    if m:
        body = b"".join(l for l in m.group(1).split(b"\n")
                        if b":" not in l)
        return base64.b64decode(re.sub(rb"\s", b"", body))
    return data


def utc(t):
    return enc(0x17, t.strftime("%y%m%d%H%M%SZ").encode())


def signed(tbs, alg, key, md):
    sig = key.sign(tbs, ec.ECDSA(md))
    return enc(0x30, tbs + alg + enc(0x03, b"\0" + sig))


def pem(label, der):
    b = base64.encodebytes(der).replace(b"\n", b"")
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return (b"-----BEGIN " + label + b"-----\n" + b"\n".join(lines) +
            b"\n-----END " + label + b"-----\n")


def outer_tbs(data):
    parts = children(der_of(data))
    if len(parts) != 3:
        raise ValueError("not tbs, algorithm, signature")
    return children(parts[0][1])


def resign_csr(data):
    cri = outer_tbs(data)
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    raws = [r for _, r in cri]
    if len(raws) < 3:
        raise ValueError("short CertificationRequestInfo")
    raws[2] = spki
    return pem(b"CERTIFICATE REQUEST",
               signed(enc(0x30, b"".join(raws)), ECDSA_SHA256, key,
                      hashes.SHA256()))


def validity(now):
    return (now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=30))


AKI_OID = bytes.fromhex("0603551d23")


def with_aki(exts, keyid):
    """The [3] extensions with an authorityKeyIdentifier's value replaced
    by keyid (so that a verifier finds the new issuer); others as they
    were. Unchanged when they do not parse."""
    try:
        seq = children(exts[tlv(exts, 0)[1]:])
    except ValueError:
        return exts
    out = []
    for _, e in seq:
        try:
            parts = children(e)
        except ValueError:
            parts = []
        if parts and parts[0][1] == AKI_OID:
            val = enc(0x30, enc(0x80, keyid))
            e = enc(0x30, b"".join(r for _, r in parts[:-1]) +
                    enc(0x04, val))
        out.append(e)
    return enc(0xA3, enc(0x30, b"".join(out)))


CRLNUM = enc(0x30, bytes.fromhex("0603551d14") + enc(0x04, bytes.fromhex(
    "020101")))


def with_crl_number(raws, v):
    """A TBSCertList with a cRLNumber (1) when it has none (a root's CRL
    without one is refused before anything else is looked at), made v2."""
    if raws[-1][0] == 0xA0:
        _, s, e = tlv(raws[-1], 0)
        inner = raws[-1][s:e]
        if bytes.fromhex("0603551d14") in inner:
            return raws
        _, s, e = tlv(inner, 0)
        raws[-1] = enc(0xA0, enc(0x30, inner[s:e] + CRLNUM))
    else:
        raws.append(enc(0xA0, enc(0x30, CRLNUM)))
    if v == 0:
        raws.insert(0, bytes.fromhex("020101"))
    return raws


def resign_cert(data, issuer, key, alg, md, spki, now, keyid):
    tbs = outer_tbs(data)
    raws = [r for _, r in tbs]
    v = 1 if tbs and tbs[0][0] == 0xA0 else 0
    if len(raws) < v + 6:
        raise ValueError("short TBSCertificate")
    nb, na = validity(now)
    raws[v + 1] = alg
    raws[v + 2] = issuer
    raws[v + 3] = enc(0x30, utc(nb) + utc(na))
    if spki is not None:
        raws[v + 5] = spki
    if tbs[-1][0] == 0xA3:
        raws[-1] = with_aki(raws[-1], keyid)
    return pem(b"CERTIFICATE", signed(enc(0x30, b"".join(raws)), alg, key,
                                      md))


def resign_crl(data, issuer, key, now, keyid):
    tbs = outer_tbs(data)
    raws = [r for _, r in tbs]
    v = 1 if tbs and tbs[0][0] == 0x02 else 0
    if len(raws) < v + 3:
        raise ValueError("short TBSCertList")
    tu, nu = validity(now)
    raws[v] = ECDSA_SHA384
    raws[v + 1] = issuer
    raws[v + 2] = utc(tu)
    if len(tbs) > v + 3 and tbs[v + 3][0] in (0x17, 0x18):
        raws[v + 3] = utc(nu)
    if tbs[-1][0] == 0xA0:
        raws[-1] = b"\xa0" + with_aki(raws[-1], keyid)[1:]
    raws = with_crl_number(raws, v)
    return pem(b"X509 CRL", signed(enc(0x30, b"".join(raws)), ECDSA_SHA384,
                                   key, hashes.SHA384()))


def corpus(top):
    """(class, name, path) of every file used, sorted, deterministic."""
    out = []

    def add(cls, rel):
        out.append((cls, rel.replace("/", "_"), os.path.join(top, rel)))

    for f in sorted(os.listdir(os.path.join(top, "requests"))):
        add("csr", "requests/" + f)
    for d in ("", "custom", "custom/ca", "ed25519", "ed448"):
        for f in sorted(os.listdir(os.path.join(top, d) if d else top)):
            rel = d + "/" + f if d else f
            p = os.path.join(top, rel)
            if not os.path.isfile(p) or f.endswith("_key.pem"):
                continue  # the two CA keys of custom/ca: not X.509
            add("crl" if "crl" in f else "cert", rel)
    for sub, cls, every in (("certs", "cert", PKITS_CERT_EVERY),
                            ("crls", "crl", PKITS_CRL_EVERY)):
        fs = sorted(os.listdir(os.path.join(top, "PKITS_data", sub)))
        for f in fs[::every]:
            add(cls, "PKITS_data/" + sub + "/" + f)
    return out


def main():
    top, outdir, rk, rc, ik, ic = sys.argv[1:7]
    rkey = serialization.load_pem_private_key(open(rk, "rb").read(), None)
    ikey = serialization.load_pem_private_key(open(ik, "rb").read(), None)
    root = x509.load_pem_x509_certificate(open(rc, "rb").read())
    inter = x509.load_pem_x509_certificate(open(ic, "rb").read())
    rname = root.subject.public_bytes()
    iname = inter.subject.public_bytes()
    ispki = inter.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    rski = root.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest
    iski = inter.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest
    now = datetime.datetime.utcnow().replace(microsecond=0)
    rows, skipped = [], 0
    for cls, name, path in corpus(top):
        rows.append((cls, name, path))
        data = open(path, "rb").read()
        variants = {
            "csr": [("csr-rs", lambda: resign_csr(data))],
            "cert": [("cert-ca", lambda: resign_cert(
                data, rname, rkey, ECDSA_SHA384, hashes.SHA384(), ispki,
                now, rski)),
                     ("cert-dev", lambda: resign_cert(
                         data, iname, ikey, ECDSA_SHA256, hashes.SHA256(),
                         None, now, iski))],
            "crl": [("crl-root", lambda: resign_crl(data, rname, rkey,
                                                    now, rski))],
        }[cls]
        for vcls, make in variants:
            try:
                body = make()
            except (ValueError, IndexError):
                skipped += 1
                continue
            vp = os.path.join(outdir, vcls + "." + name + ".pem")
            with open(vp, "wb") as f:
                f.write(body)
            rows.append((vcls, "rs." + name, vp))
    with open(os.path.join(outdir, "MANIFEST"), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    print("%d inputs, %d files without a variant" % (len(rows), skipped))


if __name__ == "__main__":
    main()

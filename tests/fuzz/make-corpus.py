#!/usr/bin/env python3
"""make-corpus.py: (re)generates the small seed corpora under
tests/fuzz/corpus/<target>/ with the openssl CLI. Run once by hand from the
top of the source tree when a parser's input format changes; the output is
committed, so neither the build nor the tests run this.

    python3 tests/fuzz/make-corpus.py [TARGET...]
"""
import base64
import hashlib
import os
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from encoding import b64url, cbor, cbor_head, der_len, ossl, tlv  # noqa: E402

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def genkey(tmp, name, *alg):
    path = os.path.join(tmp, name + ".key")
    if not os.path.exists(path):
        ossl("genpkey", "-quiet", "-out", path, *alg)
    return path


def csr(tmp, key, subj, exts=(), md="-sha256", fmt="PEM"):
    conf = os.path.join(tmp, "req.cnf")
    with open(conf, "w") as f:
        f.write("[req]\ndistinguished_name=dn\nreq_extensions=ext\n"
                "[dn]\n[ext]\n" + "".join(e + "\n" for e in exts))
    if not exts:
        with open(conf, "w") as f:
            f.write("[req]\ndistinguished_name=dn\n[dn]\n")
    return ossl("req", "-new", "-key", key, "-subj", subj, md, "-config",
                conf, "-outform", fmt)


def keygen_response(body, msgtype, uuid, sec_tag, selfdescribe=True,
                    wrapper=True):
    payload = cbor([msgtype, uuid, cbor(sec_tag),
                    hashlib.sha256(body).digest(), bytes(range(16))])
    if selfdescribe:
        payload = b"\xd9\xd9\xf7" + payload
    cose = cbor(("tag", 18, [cbor({1: -7}), {4: cbor(-2)}, payload,
                             bytes(64)]))
    line = b64url(body) + b"." + b64url(cose)
    return (b'%KEYGEN: "' + line + b'"\r\n') if wrapper else line + b"\n"


def tlv_split(b):
    """The TLVs in b, as (tag, value, whole) tuples."""
    out = []
    while b:
        n = b[1]
        hl = 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[2:2 + k], "big")
            hl += k
        out.append((b[0], b[hl:hl + n], b[:hl + n]))
        b = b[hl + n:]
    return out


def legacy_null(der):
    """A CSR as old nRF91 firmware writes it: ecdsa-with-SHA256 with a NULL
    parameter (the signature covers only the request info, so it holds)."""
    (_, body, _), = tlv_split(der)
    cri, alg, sig = tlv_split(body)
    alg2 = tlv(0x30, alg[1] + b"\x05\x00")
    return tlv(0x30, cri[2] + alg2 + sig[2])


def corpus_csr(tmp):
    ec256 = genkey(tmp, "ec256", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-256")
    ec384 = genkey(tmp, "ec384", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-384")
    rsa = genkey(tmp, "rsa2048", "-algorithm", "RSA", "-pkeyopt",
                 "rsa_keygen_bits:2048")
    ec192 = genkey(tmp, "ec192", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-192")
    put("csr", "ec256.pem", csr(tmp, ec256, "/CN=device-0001"))
    put("csr", "ec256.der", csr(tmp, ec256, "/CN=device-0001", fmt="DER"))
    put("csr", "ec384-o.pem", csr(tmp, ec384, "/CN=Factory 1/O=Example"))
    put("csr", "rsa2048.der", csr(tmp, rsa, "/CN=factory-intermediate",
                                  fmt="DER"))
    put("csr", "ec192.der", csr(tmp, ec192, "/CN=weak", fmt="DER"))
    put("csr", "ec256-exts.der", csr(tmp, ec256, "/CN=dev-2/OU=line 3", (
        "basicConstraints=critical,CA:TRUE,pathlen:1",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=clientAuth,serverAuth",
        "subjectAltName=DNS:a.example,IP:10.0.0.1,email:x@example.org",
        "1.2.3.4.5=critical,ASN1:UTF8String:unknown",
    ), fmt="DER"))
    put("csr", "ec256-sha1.der", csr(tmp, ec256, "/CN=dev-3", md="-sha1",
                                     fmt="DER"))
    pem = csr(tmp, ec256, "/CN=crlf")
    put("csr", "ec256-crlf.pem", pem.replace(b"\n", b"\r\n"))
    put("csr", "ec256-nonl.pem", pem.rstrip(b"\n"))
    put("csr", "two.pem", pem + pem)
    cert = ossl("req", "-x509", "-new", "-key", ec256, "-subj", "/CN=cert",
                "-days", "1", "-config", os.devnull, "-outform", "DER")
    put("csr", "cert.der", cert)
    put("csr", "old-header.pem", pem.replace(b"CERTIFICATE REQUEST",
                                             b"NEW CERTIFICATE REQUEST"))
    # The legacy nRF91 form: ecdsa-with-SHA256 with a NULL parameter.
    der = csr(tmp, ec256, "/CN=50363154-3931-44f0-8022-121b6401627d",
              fmt="DER")
    put("csr", "ec256-uuid.der", der)
    put("csr", "ec256-legacy-null.der", legacy_null(der))


def corpus_keygen(tmp):
    ec256 = genkey(tmp, "ec256", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-256")
    uuid = bytes.fromhex("50363154393144f08022121b6401627d")
    der = csr(tmp, ec256, "/CN=50363154-3931-44f0-8022-121b6401627d",
              fmt="DER")
    spki = ossl("pkey", "-in", ec256, "-pubout", "-outform", "DER")
    put("keygen", "csr-wrapped.txt", keygen_response(der, 9, uuid, 17))
    put("keygen", "csr-bare.txt", keygen_response(der, 9, uuid, 2147483647,
                                                   False, False))
    put("keygen", "pubkey.txt", keygen_response(spki, 8, uuid, 16))
    put("keygen", "multi.txt", b"AT%KEYGEN=17,2,0\r\n" +
        keygen_response(der, 9, uuid, 17) + b"OK\r\n# comment\n\n" +
        keygen_response(spki, 8, uuid, 0, True, False))
    # Nordic's published test strings, when the nrf area has them.
    vec = os.path.join(TOP, "tests", "fixtures", "nrf")
    if os.path.isdir(vec):
        for n in sorted(os.listdir(vec)):
            with open(os.path.join(vec, n), "rb") as f:
                put("keygen", "vector-" + n, f.read())
    ident = cbor([1, uuid, 3, bytes(16), bytes(range(16))])
    cose = cbor(("tag", 18, [cbor({1: -7}), {4: cbor(-2)}, None, bytes(64)]))
    put("keygen", "attest.txt", b'%ATTESTTOKEN: "' + b64url(ident) + b"." +
        b64url(cose) + b'"\n')


CEREMONY_GOOD = """\
# A rehearsal root ceremony.
keyceremony: 1
name: root-ca
title: "Root CA: key generation"
description: >
  Generates the root key in the HSM and self-signs the root.
roles:
  - id: officer
    title: Security officer
    duty: types the PIN
  - id: witness
    title: Witness
steps:
  - id: root
    title: Make the root
    action: root-create
    role: officer
    witness: witness
    key-label: root-1
    algorithm: ec-p384
    subject: /CN=Example Root CA/O=Example/C=DE
    days: 3650
    output: root.pem
  - id: inter
    title: Sign the factory intermediate
    action: intermediate-sign
    role: officer
    issuer-key: root-1
    issuer-cert: root.pem
    csr: incoming/factory.csr
    days: 730
    path-len: 0
    output: factory.pem
  - id: pop
    title: DPS proof of possession
    action: verification-sign
    role: officer
    issuer-key: root-1
    issuer-cert: root.pem
    code: 0123456789ABCDEF
    days: 2
    output: verification.pem
  - id: crl
    title: Revoke
    action: crl-issue
    role: officer
    issuer-key: root-1
    issuer-cert: root.pem
    revoke:
      - cert: factory.pem
        reason: superseded
    next-update-days: 365
    output: root.crl
  - id: export
    title: Export
    action: export
    role: officer
"""

SITE_GOOD = """\
keyceremony-site: 1
name: rehearsal
module: /usr/lib/softhsm/libsofthsm2.so
token:
  label: root
  serial: 0123456789abcdef
pin-file: pin.txt
state: ./keyceremony-state
media: ./media
network: warn
removable-media: warn
"""


def corpus_ceremony(tmp):
    put("ceremony", "full.yaml", CEREMONY_GOOD.encode())
    put("ceremony", "site.yaml", SITE_GOOD.encode())
    put("ceremony", "flow.yaml", b"{keyceremony: 1, name: t, title: T, "
        b"roles: [{id: o, title: O}], steps: [{id: e, title: E, "
        b"action: export, role: o}]}\n")
    put("ceremony", "anchors.yaml", b"keyceremony: 1\nname: &n t\n"
        b"title: *n\nroles:\n  - &r {id: o, title: O}\n"
        b"steps:\n  - {id: e, title: E, action: export, role: o}\n"
        b"---\nsecond: document\n")
    put("ceremony", "crlf-tabs.yaml",
        CEREMONY_GOOD.replace("\n", "\r\n").encode())
    put("ceremony", "duplicate-key.yaml",
        CEREMONY_GOOD.replace("name: root-ca\n",
                              "name: root-ca\nname: again\n").encode())
    # The ceremonies the project ships, when present.
    d = os.path.join(TOP, "ceremony")
    if os.path.isdir(d):
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                put("ceremony", "shipped-" + n, f.read())


def transcript(records, end=True, ceremony="root ca"):
    """A valid transcript: the hash chain of kc/transcript.h."""
    # The fixed header of kc_transcript_create(): the strict verifier
    # refuses anything else on the first two lines.
    lines = ["# keyceremony transcript, format 1 (see keyceremony(1), "
             "TRANSCRIPT).",
             "# Each record: KC1 seq prev-sha256 utc-time kind key=value...; "
             "the final digest is the SHA-256 of the last line."]
    prev = "0" * 64
    recs = [("begin", "ceremony=%s rehearsal=yes file-sha256=%s" %
             (ceremony.replace(" ", "%20"), "ab" * 32))] + records
    if end:
        recs.append(("end", "records=%d result=completed" % (len(recs) + 1)))
    for i, (kind, kv) in enumerate(recs, 1):
        line = "KC1 %d %s 2026-11-25T20:%02d:00Z %s %s" % (
            i, prev, i % 60, kind, kv)
        prev = hashlib.sha256(line.encode()).hexdigest()
        lines.append(line)
    return ("\n".join(lines) + "\n").encode(), prev


def corpus_transcript(tmp):
    recs = [("check", "id=network status=passed detail=only%20lo%20up"),
            ("check", "id=clock status=warned detail=2026-11-25T20:40:00Z"),
            ("role", "role=officer name=Alice%20Example"),
            ("step", "id=root status=done output=root.pem sha256=" +
             "cd" * 32),
            ("step", "id=export status=failed detail=ENOSPC%3d28")]
    text, digest = transcript(recs)
    put("transcript", "complete.log", text)
    put("transcript", "digest-first.log", digest.encode() + b"\n" + text)
    put("transcript", "unfinished.log", transcript(recs, end=False)[0])
    put("transcript", "minimal.log", transcript([])[0])
    t = text.split(b"\n")
    put("transcript", "swapped.log", b"\n".join(t[:4] + [t[5], t[4]] +
                                                t[6:]))
    put("transcript", "words.txt", b"aardvark adroitness absurd adviser "
        b"ACCRUE aggregate\n")


def corpus_keygenraw(tmp):
    """The keygen seeds as kc_nrf_fuzz_raw() takes them: the length of the
    first part (2 bytes, little endian), its bytes, then the COSE bytes."""
    import re
    src = os.path.join(CORPUS, "keygen")
    for n in sorted(os.listdir(src)):
        text = open(os.path.join(src, n), "rb").read()
        found = re.finditer(rb"([A-Za-z0-9_-]{40,})\.([A-Za-z0-9_-]{8,})",
                            text)
        for i, m in enumerate(found):
            try:
                parts = [base64.urlsafe_b64decode(g + b"=" * (-len(g) % 4))
                         for g in m.groups()]
            except ValueError:
                continue
            put("keygenraw", "%s-%d.bin" % (n.rsplit(".", 1)[0], i),
                len(parts[0]).to_bytes(2, "little") + parts[0] + parts[1])


TARGETS = {"csr": corpus_csr, "keygen": corpus_keygen,
           "keygenraw": corpus_keygenraw,
           "ceremony": corpus_ceremony, "transcript": corpus_transcript}


def main():
    names = sys.argv[1:] or list(TARGETS)
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            TARGETS[n](tmp)


if __name__ == "__main__":
    main()

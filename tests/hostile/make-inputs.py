#!/usr/bin/env python3
"""make-inputs.py: generates the hostile CSR inputs in tests/hostile/csr/
and their manifest tests/hostile/csr/MANIFEST (one line per file:
name, expected outcome, and for refusals an extended regular expression
the error message must match once the file name is removed from it).
Outcomes: "accept"; "refuse" (by CSR intake, kc_csr_parse, and so by
every command); "refuse-cmd" (a well-formed CSR that the commands refuse:
kc_csr_parse accepts it, the command's profile does not).

The DER is assembled here by hand (so that it can be wrong in exactly one
way); keys and signatures come from the openssl CLI. Run once from the top
of the source tree; the output is committed. The 100 MB input is made at
test time by tests/hostile/csr.sh, not here.

    python3 tests/hostile/make-inputs.py
"""
import hashlib
import os
import shutil
import subprocess
import tempfile
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from encoding import der_len, ossl, tlv  # noqa: E402

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "tests", "hostile", "csr")
CN = "hostile-dev-01"
# Reasons, in the words of CSR intake (kc_csr_parse) and of factorysign's
# own fast parser; either is a clear message.
TRUNC = "truncated|damaged|bad DER|not valid DER"
NOT_CSR = "not a CSR|not a certificate signing request"
BADSIG = "self-signature|signature does not verify|signature is malformed"


# --- DER --------------------------------------------------------------
def seq(*items):
    return tlv(0x30, b"".join(items))


def set_(*items):
    return tlv(0x31, b"".join(sorted(items)))


def integer(n):
    if n == 0:
        return tlv(0x02, b"\x00")
    b = n.to_bytes((n.bit_length() + 8) // 8, "big")
    return tlv(0x02, b)


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        body += bytes(reversed(enc))
    return tlv(0x06, body)


def bitstring(b):
    return tlv(0x03, b"\x00" + b)


def octets(b):
    return tlv(0x04, b)


NULL = b"\x05\x00"
TRUE = b"\x01\x01\xff"
OID_CN = "2.5.4.3"
OID_O = "2.5.4.10"
OID_EXTREQ = "1.2.840.113549.1.9.14"
OID_ECPUB = "1.2.840.10045.2.1"
OID_P256 = "1.2.840.10045.3.1.7"
OID_RSA = "1.2.840.113549.1.1.1"
SIGALG = {
    "ecdsa-sha256": seq(oid("1.2.840.10045.4.3.2")),
    "ecdsa-sha1": seq(oid("1.2.840.10045.4.1")),
    "rsa-sha256": seq(oid("1.2.840.113549.1.1.11"), NULL),
    "rsa-sha1": seq(oid("1.2.840.113549.1.1.5"), NULL),
    "rsa-md5": seq(oid("1.2.840.113549.1.1.4"), NULL),
    "unknown": seq(oid("1.3.6.1.4.1.99999.42")),
}
DIGEST = {"ecdsa-sha256": "-sha256", "ecdsa-sha1": "-sha1",
          "rsa-sha256": "-sha256", "rsa-sha1": "-sha1", "rsa-md5": "-md5"}


def name(*rdns):
    """rdns: (oid, tag, raw value bytes) per RDN."""
    return seq(*[set_(seq(oid(o), tlv(t, v))) for o, t, v in rdns])


def cn(value, tag=0x0c):
    return name((OID_CN, tag, value))


def ext(o, value, critical=False):
    return seq(oid(o), TRUE if critical else b"", octets(value))


def attrs(exts=None):
    if exts is None:
        return tlv(0xa0, b"")
    return tlv(0xa0, seq(oid(OID_EXTREQ), set_(seq(*exts))))


def cri(subject, spki, attributes=None, version=0):
    return seq(integer(version), subject, spki,
               attributes if attributes is not None else attrs())


class Key:
    def __init__(self, tmp, label, *genargs):
        self.path = os.path.join(tmp, label + ".pem")
        ossl("genpkey", "-quiet", "-out", self.path, *genargs)
        self.spki = ossl("pkey", "-in", self.path, "-pubout", "-outform",
                         "DER")

    def sign(self, tbs, md):
        return ossl("dgst", md, "-sign", self.path, data=tbs)


def request(info, sigalg, sig):
    return seq(info, SIGALG[sigalg], bitstring(sig))


def signed(key, info, sigalg="ecdsa-sha256"):
    return request(info, sigalg, key.sign(info, DIGEST[sigalg]))


def pem(der, label="CERTIFICATE REQUEST", eol=b"\n"):
    import base64
    b = base64.b64encode(der)
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return eol.join([b"-----BEGIN " + label.encode() + b"-----"] + lines +
                    [b"-----END " + label.encode() + b"-----"]) + eol


def rsa_spki(n, e):
    return seq(seq(oid(OID_RSA), NULL),
               bitstring(seq(integer(n), integer(e))))


def rsa_numbers(key):
    txt = subprocess.run(["openssl", "pkey", "-in", key.path, "-noout",
                          "-text"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    mod = txt.split("modulus:")[1].split("publicExponent")[0]
    return int("".join(mod.split()).replace(":", ""), 16)


def pkcs1_v15(digest_info, k):
    return b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + \
        digest_info


def main():
    cases = []   # (file, outcome, regex)

    def add(fname, data, outcome, regex=""):
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(data)
        cases.append((fname, outcome, regex))

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        ec = Key(tmp, "ec", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256")
        rsa = Key(tmp, "rsa", "-algorithm", "RSA", "-pkeyopt",
                  "rsa_keygen_bits:2048")
        rsa1k = Key(tmp, "rsa1k", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:1024")
        p192 = Key(tmp, "p192", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-192")
        good_info = cri(cn(CN.encode()), ec.spki)
        good = signed(ec, good_info)

        # --- accepted: the controls and the two PEM variants -----------
        add("ok.pem", pem(good), "accept")
        add("ok.der", good, "accept")
        add("ok-crlf.pem", pem(good, eol=b"\r\n"), "accept")
        add("ok-no-final-newline.pem", pem(good).rstrip(b"\n"), "accept")
        add("ok-crlf-no-final-newline.pem",
            pem(good, eol=b"\r\n").rstrip(b"\r\n"), "accept")
        legacy = seq(good_info, seq(oid("1.2.840.10045.4.3.2"), NULL),
                     bitstring(ec.sign(good_info, "-sha256")))
        add("ok-legacy-nrf91-null-param.der", legacy, "accept")
        rsa_ok = signed(rsa, cri(cn(CN.encode()), rsa.spki), "rsa-sha256")
        add("ok-rsa2048.der", rsa_ok, "accept")

        # --- framing: empty, truncated, lengths, trailing data ----------
        add("empty.der", b"", "refuse", "empty|neither PEM nor DER")
        add("one-byte.der", b"\x30", "refuse", TRUNC)
        add("truncated-half.der", good[:len(good) // 2], "refuse",
            TRUNC)
        add("truncated-last-byte.der", good[:-1], "refuse",
            TRUNC)
        add("truncated.pem", pem(good)[:200], "refuse",
            TRUNC)
        add("pem-no-end-line.pem", pem(good).split(b"-----END")[0],
            "refuse", TRUNC)
        add("trailing-garbage.der", good + b"garbage", "refuse",
            "after the CSR|bad DER")
        add("trailing-nul.der", good + b"\x00", "refuse",
            "after the CSR|bad DER")
        add("trailing-garbage.pem", pem(good) + b"garbage\n", "refuse",
            "after the CSR")
        add("two-csrs.pem", pem(good) + pem(good), "refuse",
            "after the CSR|one CSR")
        assert good[1] == 0x81 or good[1] < 0x80
        hl = 3 if good[1] == 0x81 else 2
        body = good[hl:]
        add("length-too-long.der", b"\x30\x81" + bytes([len(body) + 5]) +
            body, "refuse", TRUNC)
        add("length-too-short.der", b"\x30\x81" + bytes([len(body) - 5]) +
            body, "refuse", TRUNC + "|after the CSR")
        add("length-huge.der", b"\x30\x84\x7f\xff\xff\xff" + body,
            "refuse", TRUNC)
        add("length-9-octets.der", b"\x30\x89" + b"\xff" * 9 + body,
            "refuse", TRUNC)
        add("length-indefinite.der", b"\x30\x80" + body + b"\x00\x00",
            "refuse", TRUNC)
        add("length-not-minimal.der", b"\x30\x82\x00" + bytes([len(body)])
            + body, "refuse", TRUNC)
        # An inner length that overruns its parent (the subject).
        sub = cn(CN.encode())
        bad_sub = sub[:1] + bytes([sub[1] + 40]) + sub[2:]
        info = seq(integer(0), bad_sub, ec.spki, attrs())
        add("inner-length-overrun.der", request(info, "ecdsa-sha256",
            ec.sign(info, "-sha256")), "refuse", TRUNC)
        add("random-bytes.bin", hashlib.sha512(b"hostile").digest() * 8,
            "refuse", NOT_CSR)
        add("text.txt", b"hello, this is not a certificate request\n",
            "refuse", NOT_CSR)
        p = pem(good)
        i = p.index(b"\n") + 20
        add("pem-bad-base64.pem", p[:i] + b"*!*" + p[i + 3:], "refuse",
            TRUNC + "|base64")
        add("pem-nul-byte.pem", pem(good)[:100] + b"\x00" + pem(good)[100:],
            "refuse", TRUNC + "|NUL|neither PEM nor DER")
        add("pem-encrypted-header.pem", pem(good).replace(
            b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\n"
            b"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n", 1),
            "refuse", "PEM headers|base64")

        # --- not a CSR -----------------------------------------------
        cert = ossl("req", "-x509", "-new", "-key", ec.path, "-subj",
                    "/CN=not-a-csr", "-days", "1", "-config", os.devnull,
                    "-outform", "DER")
        add("certificate.der", cert, "refuse", "certificate")
        add("certificate.pem", pem(cert, "CERTIFICATE"), "refuse",
            "certificate")
        k = os.path.join(tmp, "throwaway.pem")
        ossl("genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-out", k)
        add("private-key.pem", open(k, "rb").read(), "refuse",
            "private key|PRIVATE KEY|not a certificate signing request")
        add("private-key.der", ossl("pkey", "-in", k, "-outform", "DER"),
            "refuse",
            "private key|PRIVATE KEY|not a certificate signing request")
        add("public-key.pem", pem(ec.spki, "PUBLIC KEY"), "refuse",
            "public key|PUBLIC KEY")

        # --- structure and version ----------------------------------
        info = cri(cn(CN.encode()), ec.spki, version=1)
        add("version-2.der", signed(ec, info), "refuse", "version|v1")

        # --- subjects --------------------------------------------------
        def subj_case(fname, subject, regex):
            info = cri(subject, ec.spki)
            add(fname, signed(ec, info), "refuse", regex)

        subj_case("subject-non-utf8.der", cn(b"dev-\xff\xfe-01"),
                  "damaged|UTF-8|subject cannot be decoded")
        subj_case("subject-embedded-nul.der", cn(b"dev-01\x00.evil.example"),
                  "subject|NUL|CN")
        subj_case("subject-control-char.der", cn(b"dev-01\x1b[2J"),
                  "subject|control|CN")
        subj_case("subject-newline.der", cn(b"dev-01\nCN=other"),
                  "subject|control|CN")
        subj_case("subject-cn-65-chars.der", cn(b"d" * 65), "64")
        # Parses as a CSR; the commands refuse it (no CN to use).
        info = cri(seq(), ec.spki)
        add("subject-empty.der", signed(ec, info), "refuse-cmd",
            "subject|CN")
        subj_case("subject-bmpstring-odd.der", cn(b"\x00d\x00e\x00", 0x1e),
                  "subject|CN|truncated|damaged")

        # --- keys --------------------------------------------------------
        add("rsa-1024.der", signed(rsa1k, cri(cn(CN.encode()), rsa1k.spki),
            "rsa-sha256"), "refuse", "RSA-1024|2048")
        add("ec-p192.der", signed(p192, cri(cn(CN.encode()), p192.spki)),
            "refuse", "curve|P-192|prime192")
        n = rsa_numbers(rsa)
        # e = 1: the "signature" is the padded digest itself, so the
        # self-signature really verifies; only the key policy stops it.
        info = cri(cn(CN.encode()), rsa_spki(n, 1))
        di = seq(seq(oid("2.16.840.1.101.3.4.2.1"), NULL),
                 octets(hashlib.sha256(info).digest()))
        add("rsa-exponent-1.der", request(info, "rsa-sha256",
            pkcs1_v15(di, 256)), "refuse", "exponent")
        info = cri(cn(CN.encode()), rsa_spki(n, 2))
        add("rsa-exponent-even.der", request(info, "rsa-sha256",
            pkcs1_v15(di, 256)), "refuse", "exponent")
        info = cri(cn(CN.encode()), rsa_spki(n + 1, 65537))
        add("rsa-even-modulus.der", request(info, "rsa-sha256",
            rsa.sign(info, "-sha256")), "refuse", "even modulus")
        pt = bytearray(ec.spki[-65:])
        assert pt[0] == 4
        pt[-1] ^= 1
        spki = seq(seq(oid(OID_ECPUB), oid(OID_P256)), bitstring(bytes(pt)))
        info = cri(cn(CN.encode()), spki)
        add("ec-point-not-on-curve.der", signed(ec, info), "refuse",
            "public key")
        spki = seq(seq(oid(OID_ECPUB), oid(OID_P256)), bitstring(b"\x00"))
        info = cri(cn(CN.encode()), spki)
        add("ec-point-at-infinity.der", signed(ec, info), "refuse",
            "public key|" + BADSIG)
        spki = ossl("pkey", "-in", ec.path, "-pubout", "-outform", "DER",
                    "-ec_param_enc", "explicit")
        info = cri(cn(CN.encode()), spki)
        add("ec-explicit-curve.der", signed(ec, info), "refuse",
            "explicit")
        spki = seq(seq(oid("1.3.101.112")), bitstring(b"\x11" * 32))
        info = cri(cn(CN.encode()), spki)
        add("key-ed25519.der", request(info, "unknown", b"\x00" * 64),
            "refuse", "key")

        # --- signatures -------------------------------------------------
        bad = bytearray(good)
        bad[-5] ^= 0x40
        add("signature-bad.der", bytes(bad), "refuse", BADSIG)
        swapped = seq(good_info, SIGALG["ecdsa-sha256"],
                      bitstring(ec.sign(cri(cn(b"x"), ec.spki), "-sha256")))
        add("signature-of-other-request.der", swapped, "refuse",
            BADSIG)
        info = cri(cn(CN.encode()), rsa.spki)
        add("signature-md5.der", signed(rsa, info, "rsa-md5"), "refuse",
            "MD5|signature algorithm refused")
        add("signature-sha1-rsa.der", signed(rsa, info, "rsa-sha1"),
            "refuse", "SHA-?1|signature algorithm refused")
        add("signature-sha1-ecdsa.der", signed(ec, good_info, "ecdsa-sha1"),
            "refuse", "SHA-?1|signature algorithm refused")
        add("signature-alg-mismatch.der", request(good_info, "rsa-sha256",
            ec.sign(good_info, "-sha256")), "refuse", BADSIG + "|algorithm")
        add("signature-alg-unknown.der", request(good_info, "unknown",
            ec.sign(good_info, "-sha256")), "refuse",
            BADSIG + "|algorithm")
        add("signature-empty.der", request(good_info, "ecdsa-sha256", b""),
            "refuse", BADSIG)

        # --- extension requests --------------------------------------
        def ext_case(fname, exts, regex):
            info = cri(cn(CN.encode()), ec.spki, attrs(exts))
            add(fname, signed(ec, info), "refuse", regex)

        ext_case("extensions-1000.der",
                 [ext("1.3.6.1.4.1.99999.1.%d" % i, NULL)
                  for i in range(1000)], "extensions")
        san = seq(tlv(0x82, b"a.example"))
        ext_case("extensions-duplicate.der",
                 [ext("2.5.29.17", san), ext("2.5.29.17", san)],
                 "duplicate|twice|more than once")
        ext_case("extension-unknown-critical.der",
                 [ext("1.3.6.1.4.1.99999.7", NULL, critical=True)],
                 "critical")
        ext_case("extension-bad-value.der",
                 [ext("2.5.29.15", b"\x03\x09garbage")],
                 "truncated|damaged|extension")

    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("# file\toutcome\tmessage regex (grep -E), made by "
                "tests/hostile/make-inputs.py\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    print("%d inputs in %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()

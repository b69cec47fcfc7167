#!/usr/bin/env python3
# tests/factory/serials.py FILE...: prints "serial=HEX" for the certificate
# in each PEM file, as `openssl x509 -noout -serial` does (upper-case hex of
# the magnitude), in one process instead of one openssl per file.
import base64
import sys


def der_item(b, i):
    """(tag, content start, content end) of the DER item at b[i]."""
    tag = b[i]
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def serial(der):
    _, c, _ = der_item(der, 0)          # Certificate
    _, t, _ = der_item(der, c)          # TBSCertificate
    tag, s, e = der_item(der, t)
    if tag == 0xA0:                     # [0] version
        tag, s, e = der_item(der, e)
    if tag != 0x02:
        raise ValueError("no serial INTEGER")
    v = der[s:e].lstrip(b"\0") or b"\0"
    return v.hex().upper()


for path in sys.argv[1:]:
    text = open(path).read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    print("serial=" + serial(base64.b64decode("".join(body.split()))))

#!/usr/bin/env python3
# rawcsr.py KEY.pem CN OUT.der: a P-256 CSR with any CN (even one that
# OpenSSL's own tools refuse to write, e.g. longer than 64 characters),
# built as DER here and signed with `openssl dgst`. For negative tests.
import subprocess, sys

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        h = bytes([n])
    elif n < 0x100:
        h = bytes([0x81, n])
    else:
        h = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + h + body

key, cn, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
spki = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                      check=True, capture_output=True).stdout
cn_oid = bytes([0x06, 0x03, 0x55, 0x04, 0x03])
name = tlv(0x30, tlv(0x31, tlv(0x30, cn_oid + tlv(0x0c, cn))))
cri = tlv(0x30, bytes([0x02, 0x01, 0x00]) + name + spki + bytes([0xa0, 0x00]))
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=cri,
                     check=True, capture_output=True).stdout
alg = tlv(0x30, bytes([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]))
open(out, "wb").write(tlv(0x30, cri + alg + tlv(0x03, b"\x00" + sig)))

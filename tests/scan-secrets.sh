#!/bin/sh
# scan-secrets.sh DIR...: fails (exit 1, one line per finding) when any file
# under the directories holds private key material: a PEM private key block
# of any kind (also inside C string literals or scripts), or DER anywhere in
# a file (also inside SQLite databases): PKCS#8 PrivateKeyInfo, encrypted
# PKCS#8, PKCS#12, RSAPrivateKey, ECPrivateKey. For the state, media and
# output directories of the ceremony tests: keyceremony writes only public
# artefacts there.
exec python3 - "$@" <<'PY'
import os
import re
import sys

PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
OID_PKCS7_DATA = bytes.fromhex("06092a864886f70d010701")


def tlv(b, i, end):
    """(tag, value start, value end) of the TLV at i, or None."""
    if i + 2 > end:
        return None
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        if k == 0 or k > 4 or i + k > end:
            return None
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    if i + n > end:
        return None
    return tag, i, i + n


def children(b, s, e, limit=12):
    out = []
    while s < e and len(out) < limit:
        t = tlv(b, s, e)
        if t is None:
            return None
        out.append(t)
        s = t[2]
    return out if s == e or len(out) == limit else None


def small_int(b, t, value):
    return t[0] == 0x02 and t[2] - t[1] == 1 and b[t[1]] == value


def classify(b, i):
    t = tlv(b, i, len(b))
    if t is None or t[0] != 0x30 or t[2] - t[1] < 8:
        return None
    k = children(b, t[1], t[2])
    if not k:
        return None
    tags = [c[0] for c in k]
    # PrivateKeyInfo / OneAsymmetricKey: INTEGER 0|1, AlgorithmIdentifier,
    # OCTET STRING
    if len(k) >= 3 and (small_int(b, k[0], 0) or small_int(b, k[0], 1)) \
            and tags[1] == 0x30 and tags[2] == 0x04:
        a = children(b, k[1][1], k[1][2])
        if a and a[0][0] == 0x06:
            return "PKCS#8 private key (DER)"
    # EncryptedPrivateKeyInfo: AlgorithmIdentifier (PBES2, PKCS#12 PBE),
    # OCTET STRING
    if len(k) == 2 and tags == [0x30, 0x04]:
        a = children(b, k[0][1], k[0][2])
        if a and a[0][0] == 0x06 and (
                b[a[0][1]:a[0][2]].startswith(bytes.fromhex(
                    "2a864886f70d01050d")) or          # PBES2
                b[a[0][1]:a[0][2]].startswith(bytes.fromhex(
                    "2a864886f70d010c01"))):           # PKCS#12 PBE
            return "encrypted PKCS#8 private key (DER)"
    # PFX: INTEGER 3, ContentInfo (pkcs7-data)
    if len(k) >= 2 and small_int(b, k[0], 3) and tags[1] == 0x30 and \
            b[k[1][1]:k[1][1] + len(OID_PKCS7_DATA)] == OID_PKCS7_DATA:
        return "PKCS#12 (DER)"
    # RSAPrivateKey: INTEGER 0 and eight more INTEGERs
    if len(k) >= 9 and small_int(b, k[0], 0) and \
            all(x == 0x02 for x in tags[:9]) and k[1][2] - k[1][1] >= 64:
        return "RSA private key (DER)"
    # ECPrivateKey: INTEGER 1, OCTET STRING (the scalar), [0]/[1]
    if len(k) >= 2 and small_int(b, k[0], 1) and tags[1] == 0x04 and \
            20 <= k[1][2] - k[1][1] <= 72 and \
            all(x in (0xa0, 0xa1) for x in tags[2:]):
        return "EC private key (DER)"
    return None


def scan(path):
    try:
        with open(path, "rb") as f:
            b = f.read(64 << 20)
    except OSError as e:
        return ["unreadable: %s" % e.strerror]
    found = []
    m = PEM.search(b)
    if m:
        found.append("PEM block '%s'" % m.group(0).decode().strip("-"))
    for i in range(len(b)):
        if b[i] == 0x30:
            what = classify(b, i)
            if what:
                found.append("%s at offset %d" % (what, i))
                break
    return found


bad = 0
files = 0
for top in sys.argv[1:]:
    if not os.path.isdir(top):
        print("scan-secrets: %s: not a directory" % top)
        bad += 1
        continue
    for d, _, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            files += 1
            for f in scan(p):
                print("scan-secrets: %s: %s" % (p, f))
                bad += 1
print("scan-secrets: %d files, %d findings" % (files, bad))
sys.exit(1 if bad else 0)
PY

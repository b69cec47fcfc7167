#!/usr/bin/env python3
"""ledger-check.py LEDGER OUTDIR [CSRDIR]: independent consistency check of
a factorysign ledger after a crash (kill -9) or a completed run.

Always: the SQLite file passes integrity_check; every recorded certificate
exists on disk (cert_path, relative to the current directory) and holds
exactly the DER the ledger recorded, whose SHA-256 is cert_sha256; every
output file whose SHA-256 the ledger recorded for a live device (table
files, schema version 2) is on disk with those bytes, named by the file
name mapping of kc/fnames.h (reimplemented here: stem()); no
serial appears twice, neither in the ledger nor among the certificate files
in OUTDIR; no device ID is live twice.
With CSRDIR (after a run that completed): every CSR there was issued
exactly once (one live row, no superseded rows), and OUTDIR holds nothing
else. Prints one line per problem; exit 1 when there is any.
A kill can land before the ledger exists (or before its table does): no
ledger is no rows, consistent as long as OUTDIR holds no certificate; a
run that completed (CSRDIR given) must have one."""
import base64
import glob
import hashlib
import os
import sqlite3
import sys


def first_cert_der(path):
    text = open(path, "rb").read().decode("ascii")
    b = text.index("-----BEGIN CERTIFICATE-----") + 27
    e = text.index("-----END CERTIFICATE-----", b)
    return base64.b64decode("".join(text[b:e].split()))


def der_serial(der):
    """The serial number of a DER certificate (hex), by hand."""
    def tlv(b, i):
        n = b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        return i, n
    i, _ = tlv(der, 0)          # Certificate
    i, _ = tlv(der, i)          # TBSCertificate
    if der[i] == 0xa0:          # [0] version
        j, n = tlv(der, i)
        i = j + n
    j, n = tlv(der, i)          # serialNumber
    return der[j:j + n].lstrip(b"\0").hex()


RESERVED = ({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} |
            {"%s%d" % (p, i) for p in ("COM", "LPT") for i in range(10)})


def stem(dev):
    """The file name stem of a device ID (kc/fnames.h): bytes outside
    [A-Za-z0-9._-] as %XX, a final '.' too, and the first one when the
    part before the first '.' is a reserved Windows device name."""
    b = dev.encode()
    res = dev.split(".", 1)[0].upper() in RESERVED
    out = []
    for i, c in enumerate(b):
        ch = chr(c)
        plain = c < 128 and (ch.isalnum() or ch in "._-")
        enc = not plain or (i == 0 and res) or (i == len(b) - 1 and
                                                  ch == ".")
        out.append("%%%02X" % c if enc else ch)
    return "".join(out)


def recorded_files(ledger):
    """{serial: [(suffix, sha256)]} of table files (empty without it)."""
    db = sqlite3.connect("file:%s?mode=ro" % ledger, uri=True)
    have = db.execute("SELECT count(*) FROM sqlite_master WHERE type ="
                      " 'table' AND name = 'files'").fetchone()[0]
    out = {}
    if have:
        for serial, suffix, sha in db.execute(
                "SELECT serial, suffix, sha256 FROM files"):
            out.setdefault(serial, []).append((suffix, sha))
    return out


def read_rows(ledger, bad):
    """The ledger's rows, and a note when there is no ledger (or no table
    yet): a kill before the ledger was made leaves nothing to check."""
    if not os.path.exists(ledger):
        return [], "no ledger %s" % ledger
    db = sqlite3.connect("file:%s?mode=ro" % ledger, uri=True)
    ic = db.execute("PRAGMA integrity_check").fetchone()[0]
    if ic != "ok":
        bad.append("integrity_check: %s" % ic)
    have = db.execute("SELECT count(*) FROM sqlite_master WHERE type ="
                      " 'table' AND name = 'certs'").fetchone()[0]
    if not have:
        return [], "no certs table in %s" % ledger
    return db.execute("SELECT serial, device_id, cert_sha256, kind, status,"
                      " cert_path, cert_der FROM certs").fetchall(), None


def main():
    ledger, outdir = sys.argv[1], sys.argv[2]
    csrdir = sys.argv[3] if len(sys.argv) > 3 else None
    bad = []
    rows, note = read_rows(ledger, bad)
    if note and csrdir:
        bad.append("%s after a completed run" % note)
    serials = {}
    live = {}
    recorded = recorded_files(ledger) if rows else {}
    for serial, dev, sha, kind, status, path, der in rows:
        if kind == "device" and status == "issued":
            for suffix, fsha in recorded.get(serial, []):
                p = os.path.join(os.path.dirname(path), stem(dev) + suffix)
                if not os.path.isfile(p):
                    bad.append("%s: recorded output %s is missing" %
                               (serial, p))
                elif hashlib.sha256(open(p, "rb").read()).hexdigest() != fsha:
                    bad.append("%s: %s is not the file recorded" %
                               (serial, p))
        serials[serial] = serials.get(serial, 0) + 1
        if kind == "device" and status == "issued":
            live[dev.lower()] = live.get(dev.lower(), 0) + 1
        if hashlib.sha256(der).hexdigest() != sha:
            bad.append("%s: cert_sha256 does not match the DER" % serial)
        if der_serial(der).lstrip("0") != serial.lower().lstrip("0"):
            bad.append("%s: the DER carries serial %s" % (serial,
                                                         der_serial(der)))
        if not os.path.isfile(path):
            bad.append("%s: recorded certificate %s is missing" %
                       (serial, path))
        elif first_cert_der(path) != der and status == "issued":
            bad.append("%s: %s is not the certificate recorded" %
                       (serial, path))
    bad += ["serial %s recorded %d times" % (s, n)
            for s, n in serials.items() if n > 1]
    bad += ["device %s live %d times" % (d, n)
            for d, n in live.items() if n > 1]
    files = sorted(glob.glob(os.path.join(outdir, "*.cert.pem")))
    seen = {}
    for f in files:
        s = der_serial(first_cert_der(f))
        if s in seen:
            bad.append("serial %s in both %s and %s" % (s, seen[s], f))
        seen[s] = f
    if note and files:
        bad.append("%d certificate files in %s but %s" % (len(files), outdir,
                                                         note))
    tmp = [f for f in os.listdir(outdir) if f.startswith(".")]
    if tmp and csrdir:
        bad.append("temporary files left in %s: %s" % (outdir, tmp[:3]))
    if csrdir:
        ids = sorted(os.path.basename(p)[:-4].lower()
                     for p in glob.glob(os.path.join(csrdir, "*.csr")))
        for i in ids:
            if live.get(i, 0) != 1:
                bad.append("device %s: %d live rows (want 1)" %
                           (i, live.get(i, 0)))
        dev_rows = [r for r in rows if r[3] == "device"]
        if len(dev_rows) != len(ids):
            bad.append("%d device rows for %d CSRs" % (len(dev_rows),
                                                        len(ids)))
        if len(files) != len(ids):
            bad.append("%d certificates in %s for %d CSRs" %
                       (len(files), outdir, len(ids)))
    for b in bad[:20]:
        print(b)
    print("# %d rows, %d certificate files, %d problems%s" %
          (len(rows), len(files), len(bad), " (%s)" % note if note else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

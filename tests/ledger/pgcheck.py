#!/usr/bin/env python3
"""tests/ledger/pgcheck.py: an independent checker of a PostgreSQL ledger
(issue 19), reading the server with psql (not factorysign's code) and the
output directories with plain file reads.

usage: pgcheck.py URI [--dir OUT]... [--prefix P] [--killed]

Checks, for the rows whose device ID starts with P (all without --prefix):
  - serials unique; at most one live (issued/pending) device row per
    lower(device_id);
  - every row's recorded files exist and hold the recorded SHA-256; the
    certificate file holds the DER of cert_sha256 and of cert_der;
  - for every --dir: each *.cert.pem in it (with the prefix) is the
    cert_path of a row, and the other output files of a stem belong to a
    row too (no file of an unrecorded device), and no temporary file is
    left (*.tmp-XXXXXXXXXXXXXXXX). --killed: after a kill -9, files of
    devices not recorded (and temporary files) may be left (the rerun
    replaces them); the rows must still have theirs.
Prints "ok: N rows, F files, S stations (name=count ...)" or every problem,
exit status 1.
"""
import base64
import csv
import hashlib
import io
import os
import re
import subprocess
import sys

SUFFIXES = (".cert.pem", ".chain.pem", ".full-chain.pem", ".key.pem",
            ".pfx", ".c", ".at", ".at.sha256")


def psql(uri, query):
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", uri, "-c",
         "COPY (%s) TO STDOUT WITH (FORMAT csv)" % query],
        check=True, stdout=subprocess.PIPE).stdout.decode()
    return list(csv.reader(io.StringIO(out)))


def pem_der(data):
    m = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  data, re.S)
    return base64.b64decode(b"".join(m.group(1).split())) if m else None


def main():
    args = sys.argv[1:]
    uri, dirs, prefix, killed = args[0], [], "", False
    i = 1
    while i < len(args):
        if args[i] == "--dir":
            dirs.append(os.path.realpath(args[i + 1])); i += 2
        elif args[i] == "--killed":
            killed = True; i += 1
        elif args[i] == "--prefix":
            prefix = args[i + 1]; i += 2
        else:
            sys.exit("pgcheck: unknown argument " + args[i])
    like = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    where = "device_id LIKE '%s%%'" % like.replace("'", "''")
    rows = psql(uri, "SELECT serial, device_id, status, kind, cert_path, "
                "cert_sha256, encode(sha256(cert_der), 'hex'), station FROM "
                "kc_certs WHERE " + where + " ORDER BY id")
    files = psql(uri, "SELECT f.serial, f.suffix, f.sha256 FROM kc_files f "
                 "JOIN kc_certs c USING (serial) WHERE c." + where)
    allserials = psql(uri, "SELECT count(*), count(DISTINCT serial) FROM kc_certs")
    bad = []
    if allserials[0][0] != allserials[0][1]:
        bad.append("serials not unique: %s rows, %s serials" % tuple(allserials[0]))
    live = {}
    stations = {}
    byserial = {}
    for serial, did, status, kind, path, csha, dsha, st in rows:
        byserial[serial] = (did, path, csha)
        stations[st] = stations.get(st, 0) + 1
        if kind == "device" and status in ("issued", "pending"):
            k = did.lower()
            if k in live:
                bad.append("device ID %s live twice (%s, %s)" % (did, live[k], serial))
            live[k] = serial
        if csha != dsha:
            bad.append("%s: cert_sha256 is not the stored DER's" % serial)
    recorded_paths = set()
    nfiles = 0
    perserial = {}
    for serial, suffix, sha in files:
        perserial.setdefault(serial, []).append((suffix, sha))
    for serial, (did, path, csha) in byserial.items():
        if not path.endswith(".cert.pem"):
            bad.append("%s: cert_path %s" % (serial, path)); continue
        stem = path[:-len(".cert.pem")]
        recorded_paths.add(path)
        fl = perserial.get(serial, [])
        if not fl:
            bad.append("%s (%s): no recorded files" % (serial, did))
        for suffix, sha in fl:
            p = stem + suffix
            recorded_paths.add(p)
            try:
                with open(p, "rb") as fh:
                    data = fh.read()
            except OSError as e:
                bad.append("%s (%s): %s: %s" % (serial, did, p, e.strerror)); continue
            nfiles += 1
            if hashlib.sha256(data).hexdigest() != sha:
                bad.append("%s (%s): %s does not hold its recorded SHA-256" % (serial, did, p))
            if suffix == ".cert.pem":
                der = pem_der(data)
                if der is None or hashlib.sha256(der).hexdigest() != csha:
                    bad.append("%s (%s): %s is not the recorded certificate" % (serial, did, p))
    stem_re = re.compile(re.escape(prefix) if prefix else "")
    for d in (dirs if not killed else []):
        for name in os.listdir(d):
            if re.search(r"\.tmp-[0-9a-f]{16}$", name):
                bad.append("%s/%s: a temporary file left" % (d, name)); continue
            if prefix and not name.lower().startswith(prefix.lower()):
                continue
            if not any(name.endswith(s) for s in SUFFIXES):
                continue
            p = os.path.join(d, name)
            if p not in recorded_paths:
                bad.append("%s: a file of no recorded device" % p)
    if bad:
        for b in bad[:50]:
            print("pgcheck: " + b)
        if len(bad) > 50:
            print("pgcheck: ... %d problems in all" % len(bad))
        return 1
    print("ok: %d rows, %d files, %d stations (%s)" % (
        len(rows), nfiles, len(stations),
        " ".join("%s=%d" % kv for kv in sorted(stations.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

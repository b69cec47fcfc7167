#!/usr/bin/env python3
"""scan-wrap.py WK.HEX SHEETS-DIR PATH...: exit 1 when any file under the
PATHs holds the wrap key (hex, upper-case hex, its halves, the raw bytes
and their halves) or a share line of a sheet in SHEETS-DIR (its groups,
with or without the dashes). Prints what it scanned and what it found.
Used by tests/backup/restore-ceremony.sh and transcript.sh (issue 17)."""
import os
import re
import sys

hx = open(sys.argv[1]).read().strip()
assert len(hx) == 64, hx
raw = bytes.fromhex(hx)
needles = {"wrap key hex": hx.lower().encode(), "wrap key HEX": hx.upper().encode(),
           "wrap key hex half 1": hx[:32].lower().encode(), "wrap key hex half 2": hx[32:].lower().encode(),
           "wrap key HEX half 1": hx[:32].upper().encode(), "wrap key HEX half 2": hx[32:].upper().encode(),
           "wrap key raw": raw, "wrap key raw half 1": raw[:16], "wrap key raw half 2": raw[16:]}
grp = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3,}")
for f in sorted(os.listdir(sys.argv[2])):
    for m in grp.finditer(open(os.path.join(sys.argv[2], f)).read()):
        s = m.group(0)
        needles["share line of %s" % f] = s.encode()
        needles["share line of %s without dashes" % f] = s.replace("-", "").encode()
files = []
for p in sys.argv[3:]:
    if os.path.isdir(p):
        for d, _, fs in os.walk(p):
            files += [os.path.join(d, f) for f in fs]
    else:
        files.append(p)
bad = []
for f in files:
    data = open(f, "rb").read()
    bad += ["%s: %s" % (f, what) for what, n in needles.items() if n in data]
print("# scanned %d files for %d forms of the wrap key and the shares" % (len(files), len(needles)))
for b in bad:
    print("# FOUND " + b)
sys.exit(1 if bad else 0)

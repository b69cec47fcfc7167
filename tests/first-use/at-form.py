#!/usr/bin/env python3
"""at-form.py OUT ID TAG TYPES [CA]: checks OUT/ID.at and OUT/ID.at.sha256
against the one AT%CMNG form of factorysign (issue 14 item 12):

  AT+CFUN=4\\r\\n
  AT%CMNG=0,TAG,TYPE,"<PEM, every line ending in CRLF>"\\r\\n   (TYPES in order)
  AT+CFUN=1\\r\\n

type 0 is the CA file, type 1 OUT/ID.chain.pem, type 2 OUT/ID.key.pem, each
with its LF line ends made CRLF; ID.at.sha256 is one "TAG,TYPE,<SHA-256 of
the text between the quotes, upper-case hex>" line per credential, in the
same order. Prints the first fault and exits 1."""
import hashlib
import sys


def fail(msg):
    print("at-form: " + msg)
    sys.exit(1)


def main():
    out, dev, tag, types = sys.argv[1:5]
    ca = sys.argv[5] if len(sys.argv) > 5 else None
    types = [int(t) for t in types.split(",")]
    try:
        at = open("%s/%s.at" % (out, dev), "rb").read()
    except OSError as e:
        fail("no script: %s" % e)
    try:
        sums = open("%s/%s.at.sha256" % (out, dev), "rb").read()
    except OSError as e:
        fail("no ID.at.sha256 beside the script: %s" % e)
    src = {1: "%s/%s.chain.pem" % (out, dev), 2: "%s/%s.key.pem" % (out, dev),
           0: ca}
    # split into commands: CRLF outside quotes ends one
    cmds, cur, inq = [], bytearray(), False
    i = 0
    while i < len(at):
        c = at[i:i + 1]
        if c == b'"':
            inq = not inq
        if not inq and at[i:i + 2] == b"\r\n":
            cmds.append(bytes(cur))
            cur = bytearray()
            i += 2
            continue
        if not inq and c in (b"\r", b"\n"):
            fail("a bare CR or LF outside the quotes at byte %d" % i)
        cur += c
        i += 1
    if inq:
        fail("a quote is not closed")
    if cur:
        fail("the script does not end in CRLF")
    if not cmds or cmds[0] != b"AT+CFUN=4":
        fail("the first command is %r, not AT+CFUN=4" % cmds[:1])
    if cmds[-1] != b"AT+CFUN=1":
        fail("the last command is %r, not AT+CFUN=1" % cmds[-1:])
    writes = cmds[1:-1]
    if len(writes) != len(types):
        fail("%d commands between CFUN=4 and CFUN=1, %d expected: %r" %
             (len(writes), len(types), [w[:20] for w in writes]))
    want_sums = b""
    for w, t in zip(writes, types):
        head = b'AT%%CMNG=0,%s,%d,"' % (tag.encode(), t)
        if not w.startswith(head):
            fail("command %r, expected %r" % (w[:30], head))
        if not w.endswith(b'"'):
            fail("command of type %d does not end at its closing quote" % t)
        text = w[len(head):-1]
        if not text.endswith(b"-----\r\n"):
            fail("type %d: the text does not end in '-----' CRLF before the "
                 "closing quote (%r)" % (t, text[-12:]))
        if text.replace(b"\r\n", b"").find(b"\n") >= 0 or \
                text.replace(b"\r\n", b"").find(b"\r") >= 0:
            fail("type %d: a line inside the quotes does not end in CRLF" % t)
        pem = open(src[t], "rb").read()
        if t == 0:
            # the CA file re-encoded: compare the certificates' base64
            pem = b"".join(l + b"\n" for l in pem.splitlines()
                           if l and not l.startswith(b"#"))
        if text != pem.replace(b"\n", b"\r\n"):
            fail("type %d: the text is not %s with CRLF line ends" %
                 (t, src[t]))
        want_sums += b"%s,%d,%s\n" % (tag.encode(), t, hashlib.sha256(
            text).hexdigest().upper().encode())
    if sums != want_sums:
        fail("ID.at.sha256 is %r, the SHA-256 of the texts gives %r" %
             (sums, want_sums))


main()

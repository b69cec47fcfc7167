#!/usr/bin/env python3
"""screen-corpus.py: terminal and bidi injection corpus (issue 12, items 3
and 4) and the checker of what the programs print.

  screen-corpus.py check FILE...        no control/C1/bidi/format in FILEs
  screen-corpus.py subject-arg KC DIR   --subject of intermediate sign
  screen-corpus.py csr KC DIR           CSR subjects (intermediate sign)
  screen-corpus.py attest FS DIR        CSR subjects in nRF91 %KEYGEN lines
  screen-corpus.py ceremony KC DIR      subjects/titles in ceremony files
  screen-corpus.py transcript KC DIR    forged, correctly chained transcripts
  screen-corpus.py factory FS DIR       the factory CA subject (init)
  screen-corpus.py device FS DIR        device CSR subjects, IDs, codes
  screen-corpus.py argv KC:FS DIR       hostile words on the command line
  screen-corpus.py site KC DIR          site profile values (run)
  screen-corpus.py tamper DB TABLE COLS  hostile bytes into a database
  screen-corpus.py count                how many hostile strings there are

Every mode runs the program once per hostile string, asserts that the
input is refused where it must be (exit status, a reason naming the
character) and that stdout+stderr hold no byte < 0x20 except \\n, no DEL,
no C1 control (raw or UTF-8), no bidirectional/format/invisible code point
and no invalid UTF-8. Prints one line per problem; exit 1 when any.
"""
import base64
import hashlib
import os
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from encoding import b64url, cbor, cbor_head, der_len, ossl, tlv  # noqa: E402

# ---- the corpus -----------------------------------------------------------


def corpus():
    """(name, bytes) of hostile strings, each to be refused in a subject."""
    c = []
    for b in list(range(0x00, 0x20)) + [0x7f]:
        if b == 0:
            continue  # argv and C strings cannot hold NUL (CSRs test it)
        c.append(("C0 %02x" % b, b"x" + bytes([b]) + b"y"))
    for b in range(0x80, 0xa0):
        c.append(("raw C1 %02x" % b, b"x" + bytes([b]) + b"y"))
        c.append(("UTF-8 C1 U+%04X" % b, b"x" + chr(b).encode() + b"y"))
    fmt = list(range(0x202a, 0x202f)) + list(range(0x2066, 0x206a)) + \
        list(range(0x200b, 0x2010)) + [0xfeff, 0x2028, 0x2029, 0x061c,
                                       0x00ad, 0x2060, 0x2061, 0x2064,
                                       0x180e, 0xfff9, 0xfffb, 0xfe0f,
                                       0x034f, 0x115f, 0x3164, 0x1d173]
    fmt += [0xe0001, 0xe0020, 0xe0041, 0xe007f, 0xe0100]
    for cp in fmt:
        c.append(("format U+%04X" % cp, b"CA" + chr(cp).encode() + b"1"))
    c += [
        ("overlong /", b"a\xc0\xafb"), ("overlong CSI", b"a\xc1\x9bb"),
        ("overlong 3", b"a\xe0\x80\xafb"), ("overlong 4", b"\xf0\x80\x80\xaf"),
        ("overlong NUL", b"a\xc0\x80b"),
        ("surrogate D800", b"a\xed\xa0\x80b"),
        ("surrogate DFFF", b"a\xed\xbf\xbfb"),
        ("surrogate pair", b"\xed\xa0\xbd\xed\xb2\xa9"),
        ("past 10FFFF", b"a\xf4\x90\x80\x80"), ("F5", b"a\xf5\x80\x80\x80"),
        ("FE FF", b"a\xfe\xff"), ("lone continuation", b"a\x80b"),
        ("truncated 2", b"ab\xc3"), ("truncated 3", b"ab\xe2\x80"),
        ("truncated 4", b"ab\xf0\x9f\x94"), ("truncated mid", b"a\xe2\x80b"),
        ("ESC clear", b"\x1b[2J\x1b[H"), ("ESC title", b"\x1b]0;title\x07"),
        ("ESC OSC ST", b"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
        ("ESC colour", b"ok\x1b[31mRED\x1b[0m"),
        ("ESC DCS", b"\x1bP+q544e\x1b\\"), ("ESC cursor", b"a\x1b[1A\x1b[2K"),
        ("CSI 8-bit", b"\xc2\x9b2J"), ("raw CSI", b"\x9b2J"),
        ("OSC 8-bit", b"\xc2\x9d0;t\xc2\x9c"),
        ("CR overwrite", b"Evil CA\rGood CA"), ("BS", b"Good\x08\x08\x08\x08"),
        ("newline forge", b"x\nCSR SHA-256 " + b"ab" * 32),
        ("RLO filename", "invoice\u202egpj.exe".encode()),
        ("RLO hash", ("CSR SHA-256 \u202e" + "ab" * 32).encode()),
        ("bidi isolate", "\u2067abc\u2069".encode()),
        ("zero width in CN", "Exa\u200bmple".encode()),
        ("BOM start", "\ufeffRoot".encode()),
        ("tag text", ("CA" + "".join(chr(0xe0000 + ord(x))
                                     for x in "evil")).encode()),
        ("DEL run", b"a\x7f\x7f\x7fb"), ("bell", b"\x07\x07"),
        ("tab", b"a\tb"), ("VT FF", b"a\x0b\x0cb"),
    ]
    return c


POSITIVE = [("German", "M\u00fcller GmbH".encode()),
            ("Japanese", "\u65e5\u672c\u8a8d\u8a3c\u5c40".encode()),
            ("Greek", "\u0391\u03b8\u03ae\u03bd\u03b1".encode()),
            ("quote and backslash", b"A \"quoted\" \\ name")]

# ---- the checker -------------------------------------------------------------

BAD_RANGES = [(0x80, 0x9f), (0x00ad, 0x00ad), (0x034f, 0x034f),
              (0x061c, 0x061c), (0x115f, 0x1160), (0x180b, 0x180f),
              (0x200b, 0x200f), (0x2028, 0x202e), (0x205f, 0x206f),
              (0x3164, 0x3164), (0xfe00, 0xfe0f), (0xfeff, 0xfeff),
              (0xfff0, 0xfffb), (0x1d173, 0x1d17a), (0xe0000, 0xe0fff)]


def problems(data, allow_tab=False):
    """What is wrong with data as terminal output (a list of strings)."""
    out = []
    for i, b in enumerate(data):
        if (b < 0x20 and b != 0x0a and not (allow_tab and b == 9)) or \
                b == 0x7f:
            out.append("byte 0x%02x at %d" % (b, i))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        out.append("invalid UTF-8 at %d" % e.start)
        text = data.decode("utf-8", "replace")
    for i, ch in enumerate(text):
        cp = ord(ch)
        if any(lo <= cp <= hi for lo, hi in BAD_RANGES):
            out.append("code point U+%04X at char %d" % (cp, i))
    return out[:5]


FAILS = []


def fail(what, msg, data=b""):
    FAILS.append(what)
    print("FAIL %s: %s" % (what, msg))
    if data:
        sys.stdout.write("  | " + data.decode("utf-8", "replace")
                         .encode("unicode_escape").decode()[:600] + "\n")


def run(argv, what, env=None, refused=None, reason=None, absent=()):
    """Runs argv; checks output and, when refused is set, the exit."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, env=env, timeout=60)
    both = p.stdout + p.stderr
    for pr in problems(both):
        fail(what, "output not clean: " + pr, both)
        break
    if refused is True and p.returncode == 0:
        fail(what, "accepted (exit 0)", both)
    if refused is False and p.returncode != 0:
        fail(what, "refused (exit %d)" % p.returncode, both)
    if reason is not None and p.returncode != 0 and reason not in both:
        fail(what, "no reason %r in the message" % reason.decode(), both)
    for f in absent:
        if os.path.lexists(f):
            fail(what, "%s was written" % f)
            os.unlink(f)
    return p.returncode, both


REASON = (b"control character", b"C1 control", b"bidirectional",
          b"invisible format", b"not UTF-8")


def reason_ok(both):
    return any(r in both for r in REASON)


# ---- DER helpers (CSRs made byte by byte: openssl req would refuse some) ----

OID_CN = b"\x06\x03\x55\x04\x03"
OID_O = b"\x06\x03\x55\x04\x0a"
OID_ST = b"\x06\x03\x55\x04\x08"
ECDSA_SHA256 = tlv(0x30, b"\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02")


def name(attrs):
    return tlv(0x30, b"".join(tlv(0x31, tlv(0x30, oid + tlv(tag, v)))
                              for oid, tag, v in attrs))


class Signer:
    """One P-256 key for every crafted CSR of a run: its SubjectPublicKeyInfo
    read once, signatures made in this process when python3-cryptography is
    there (scripts/install-deps installs it), else by one openssl per CSR."""

    def __init__(self, d):
        self.key = os.path.join(d, "csr-key.pem")
        if not os.path.exists(self.key):
            ossl("genpkey", "-quiet", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", self.key)
        self.spki = ossl("pkey", "-in", self.key, "-pubout", "-outform",
                         "DER")
        self.priv = None
        try:
            from cryptography.hazmat.primitives.serialization import \
                load_pem_private_key
            with open(self.key, "rb") as f:
                self.priv = load_pem_private_key(f.read(), None)
        except ImportError:
            pass

    def sign(self, data):
        if self.priv is None:
            return ossl("dgst", "-sha256", "-sign", self.key, data=data)
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))


SIGNERS = {}


def make_csr(d, attrs, out):
    if d not in SIGNERS:
        SIGNERS[d] = Signer(d)
    sg = SIGNERS[d]
    cri = tlv(0x30, b"\x02\x01\x00" + name(attrs) + sg.spki + b"\xa0\x00")
    der = tlv(0x30, cri + ECDSA_SHA256 + tlv(0x03, b"\x00" + sg.sign(cri)))
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + \
        b"\n".join(base64.encodebytes(der).split(b"\n")).rstrip(b"\n") + \
        b"\n-----END CERTIFICATE REQUEST-----\n"
    with open(out, "wb") as f:
        f.write(pem)
    return der


def bmp(b):
    """The BMPString of the text b (UTF-8, surrogate-free)."""
    return b.decode("utf-8").encode("utf-16-be")


def csr_variants(s):
    """Ways of carrying s in a CSR subject."""
    v = [("CN utf8", [(OID_CN, 0x0c, s)]),
         ("ST after a good CN", [(OID_CN, 0x0c, b"Factory CA"),
                                 (OID_ST, 0x0c, s)])]
    try:
        v.append(("O bmp", [(OID_CN, 0x0c, b"Factory CA"),
                            (OID_O, 0x1e, bmp(s))]))
    except UnicodeDecodeError:
        # T61String is read as Latin-1: only C0, DEL and C1 bytes stay
        # hostile there ("\xc0\xaf" is the printable text "\u00c0\u00af")
        v.append(("CN t61", [(OID_CN, 0x14, s)]))
    return v


def t61_hostile(s):
    return any(b < 0x20 or 0x7f <= b <= 0x9f for b in s)

# ---- modes ----------------------------------------------------------------------


def mode_subject_arg(kc, d):
    base = [kc, "intermediate", "sign", "--token", "none", "--label", "x",
            "--issuer", os.path.join(d, "root.pem"), "--csr",
            os.path.join(d, "good.csr"), "--days", "30", "--yes"]
    n = 0
    for nm, s in corpus():
        out = os.path.join(d, "out.pem")
        rc, both = run(base + ["--out", out, "--subject", b"/CN=" + s],
                       "--subject " + nm, refused=True, absent=[out])
        if rc != 0 and not reason_ok(both):
            fail("--subject " + nm, "no reason naming the character", both)
        n += 1
    return n


def mode_csr(kc, d):
    n = 0
    for nm, s in corpus() + [("NUL", b"a\x00b")]:
        for vn, attrs in csr_variants(s):
            what = "CSR %s %s" % (vn, nm)
            path = os.path.join(d, "hostile.csr")
            make_csr(d, attrs, path)
            out = os.path.join(d, "out.pem")
            hostile = vn != "CN t61" or t61_hostile(s)
            rc, both = run([kc, "intermediate", "sign", "--token", "none",
                            "--label", "x", "--issuer",
                            os.path.join(d, "root.pem"), "--csr", path,
                            "--days", "30", "--yes", "--out", out], what,
                           refused=True, absent=[out])
            if not hostile:
                n += 1
                continue
            if rc != 0 and not reason_ok(both) and b"NUL" not in both and \
                    b"not a CSR (damaged" not in both and \
                    b"not a valid string" not in both:
                fail(what, "no reason naming the character", both)
            n += 1
    return n


def keygen_line(body):
    payload = b"\xd9\xd9\xf7" + cbor([9, bytes(range(16)), cbor(16842753),
                                      hashlib.sha256(body).digest(),
                                      bytes(range(16))])
    cose = cbor(("tag", 18, [cbor({1: -7}), {4: cbor(-2)}, payload,
                             bytes(64)]))
    return b'%KEYGEN: "' + b64url(body) + b"." + b64url(cose) + b'"\r\n'


def mode_attest(fs, d):
    n = 0
    for i, (nm, s) in enumerate(corpus() + POSITIVE[:3]):
        for vn, attrs in csr_variants(s)[:2]:
            what = "attest %s %s" % (vn, nm)
            der = make_csr(d, attrs, os.path.join(d, "a.csr"))
            path = os.path.join(d, "resp.txt")
            with open(path, "wb") as f:
                f.write(keygen_line(der))
            hostile = (nm, s) not in POSITIVE
            # --json (which must print clean, refused or not) for every
            # third string, in rotation with the variants
            for extra in ([], ["--json"]) if (i + len(vn)) % 3 == 0 \
                    else ([],):
                rc, both = run([fs, "attest", "--input", path] + extra,
                               what + " " + " ".join(extra),
                               refused=hostile if not extra else None)
                if hostile and not extra and not reason_ok(both) and \
                        b"not a CSR (damaged" not in both:
                    fail(what, "no reason naming the character", both)
                if not hostile and s not in both and not extra:
                    fail(what, "a good subject is not shown unchanged",
                         both)
            n += 1
    return n


CEREMONY = b"""keyceremony: 1
name: hostile
title: %(title)s
roles:
  - id: officer
    title: Security officer
steps:
  - id: root
    title: %(steptitle)s
    action: root-create
    role: officer
    key-label: root-2026
    algorithm: ec-p384
    subject: /CN=%(cn)s/O=Example GmbH/C=DE
    days: 7300
    output: root.pem
"""


def ceremony_file(d, **kw):
    v = {"title": b"Hostile test", "steptitle": b"Make the root",
         "cn": b"Example Root"}
    v.update(kw)
    path = os.path.join(d, "c.yaml")
    with open(path, "wb") as f:
        f.write(CEREMONY % {k.encode(): x for k, x in v.items()})
    return path


def mode_ceremony(kc, d):
    n = 0
    site = os.path.join(d, "site.yaml")
    for nm, s in corpus():
        if b"\n" in s or b"\r" in s:
            continue  # a new line ends the YAML value: another test
        path = ceremony_file(d, cn=s)
        rc, both = run([kc, "run", path, "--check", "--site", site],
                       "ceremony subject " + nm, refused=True)
        if rc != 0 and not reason_ok(both) and b"invalid" not in both and \
                b"not valid YAML" not in both:
            fail("ceremony subject " + nm, "no reason", both)
        # titles are not signed: refused or shown escaped, never raw
        for key in ("title", "steptitle"):
            path = ceremony_file(d, **{key: b"T " + s})
            run([kc, "run", path, "--check", "--site", site],
                "ceremony %s %s" % (key, nm))
        n += 1
    for nm, s in POSITIVE[:3]:
        path = ceremony_file(d, cn=s)
        run([kc, "run", path, "--check", "--site", site],
            "ceremony subject " + nm, refused=False)
    return n


TR_HEADER = (b"# keyceremony transcript, format 1 (see keyceremony(1), "
             b"TRANSCRIPT).\n# Each record: KC1 seq prev-sha256 utc-time "
             b"kind key=value...; the final digest is the SHA-256 of the "
             b"last line.\n")


def tr_value(s):
    """A value as keyceremony writes it (kc/transcript.c put()), for s made
    of printable ASCII and characters that must be escaped."""
    plain = s and all(0x21 <= b < 0x7f and b not in b'"\\' for b in s)
    if plain:
        return s
    out = b'"'
    for b in s:
        if b in b'"\\':
            out += b"\\" + bytes([b])
        elif b == 0x0a:
            out += b"\\n"
        elif 0x20 <= b < 0x7f:
            out += bytes([b])
        else:
            out += b"\\x%02x" % b
    return out + b'"'


def transcript(ceremony, extra=b""):
    lines = []
    prev = "0" * 64
    recs = [b"begin ceremony=" + tr_value(ceremony) +
            b" rehearsal=yes file-sha256=" + b"ab" * 32]
    if extra:
        recs.append(b"role role=officer name=" + tr_value(extra))
    recs.append(b"end records=%d result=completed" % (len(recs) + 1))
    for i, r in enumerate(recs, 1):
        line = b"KC1 %d %s 2026-11-25T20:%02d:00Z " % (i, prev.encode(), i) + r
        prev = hashlib.sha256(line).hexdigest()
        lines.append(line)
    return TR_HEADER + b"\n".join(lines) + b"\n", prev


def mode_transcript(kc, d):
    n = 0
    for nm, s in corpus():
        data, digest = transcript(b"root " + s + b"\x1b[2Jfinal digest: " +
                                  b"0" * 64, extra=s)
        path = os.path.join(d, "forged.log")
        with open(path, "wb") as f:
            f.write(data)
        rc, both = run([kc, "transcript", "verify", path, "--digest",
                        digest], "transcript " + nm)
        # the one hash form (kc_hash_show): groups of eight hex digits
        shown = " ".join(digest[i:i + 8] for i in range(0, 64, 8))
        if rc == 0 and ("final digest: " + shown).encode() not in both:
            fail("transcript " + nm, "the real digest is not printed", both)
        lines = [x for x in both.split(b"\n")
                 if x.startswith(b"final digest:")]
        if len(lines) > 1 or (rc == 0 and len(lines) != 1):
            fail("transcript " + nm, "not one 'final digest:' line", both)
        n += 1
    # the positive pair: a plain transcript verifies, its name shown as is
    data, digest = transcript(b"root ca 2026")
    path = os.path.join(d, "good.log")
    with open(path, "wb") as f:
        f.write(data)
    rc, both = run([kc, "transcript", "verify", path, "--digest", digest],
                   "transcript good", refused=False)
    if b'"root ca 2026"' not in both:
        fail("transcript good", "ceremony name not shown quoted", both)
    return n


def mode_factory(fs, d):
    """The factory's CA subject (init --subject)."""
    n = 0
    pw = os.path.join(d, "pass")
    for nm, s in corpus():
        fd = os.path.join(d, "f-new")
        rc, both = run([fs, "init", "--dir", fd, "--subject",
                        b"/CN=Factory " + s + b"/O=Example", "--algorithm",
                        "ec-p256", "--pass-file", pw],
                       "factory init --subject " + nm, refused=True,
                       absent=[os.path.join(fd, "intermediate.key")])
        if rc != 0 and not reason_ok(both):
            fail("factory init --subject " + nm, "no reason", both)
        n += 1
    return n


def mode_device(fs, d):
    """The device side on the factory DIR/D (tests/factory/setup.sh): CSR
    subjects and --id of sign, --ids of issue, verification --code."""
    n = 0
    pw = os.path.join(d, "pass")
    fd = os.path.join(d, "D")
    for nm, s in corpus():
        out = os.path.join(d, "hout")
        os.makedirs(out, exist_ok=True)
        csr = os.path.join(d, "hdev.csr")
        make_csr(d, [(OID_CN, 0x0c, b"dev-" + s)], csr)
        rc, both = run([fs, "sign", "--dir", fd, "--csr", csr, "--out-dir",
                        out, "--pass-file", pw],
                       "device CSR CN " + nm, refused=True)
        make_csr(d, [(OID_CN, 0x0c, b"dev-0001"), (OID_O, 0x0c, s)], csr)
        rc, both = run([fs, "sign", "--dir", fd, "--csr", csr, "--out-dir",
                        out, "--pass-file", pw],
                       "device CSR O " + nm, refused=True)
        good = os.path.join(d, "csr", "dev-0001.csr")
        run([fs, "sign", "--dir", fd, "--csr", good, "--id", b"dev-" + s,
             "--out-dir", out, "--pass-file", pw], "device --id " + nm,
            refused=True)
        ids = os.path.join(d, "ids.txt")
        with open(ids, "wb") as f:
            f.write(b"dev-" + s + b"\n")
        if b"\n" not in s and b"\r" not in s:  # line ends: good IDs
            run([fs, "issue", "--dir", fd, "--ids", ids, "--out-dir", out,
                 "--pass-file", pw, "--plain-keys"],
                "device issue --ids " + nm, refused=True)
        v = os.path.join(d, "v.pem")
        run([fs, "verification", "--dir", fd, "--code", b"AB" + s,
             "--out", v, "--pass-file", pw], "verification --code " + nm,
            refused=True, absent=[v])
        left = os.listdir(out)
        if left:
            fail("device " + nm, "written: %r" % left)
            for x in left:
                os.unlink(os.path.join(out, x))
        n += 1
    return n


SITE = b"""keyceremony-site: 1
name: %(name)s
module: %(module)s
token:
  label: %(label)s
pin-file: %(pin)s
state: %(state)s
media: %(media)s
network: warn
removable-media: warn
"""


def mode_site(kc, d):
    """Site profile values (name, token label, directories): refused or
    printed escaped by run, never raw."""
    n = 0
    cer = ceremony_file(d)
    mod = os.environ.get("MODULE", "/usr/lib/softhsm/libsofthsm2.so")
    for i, (nm, s) in enumerate(corpus()):
        if b"\n" in s or b"\r" in s:
            continue
        # each string in one of the three values, in rotation: each value
        # sees every kind of string (one kind's strings are consecutive)
        for key in (("name", "label", "state")[i % 3],):
            v = {"name": b"site", "label": b"none", "module": mod.encode(),
                 "pin": os.path.join(d, "pin").encode(),
                 "state": os.path.join(d, "sstate").encode(),
                 "media": os.path.join(d, "smedia").encode()}
            v[key] = (v[key] + s) if key == "state" else b"x" + s
            path = os.path.join(d, "hsite.yaml")
            with open(path, "wb") as f:
                f.write(SITE % {k.encode(): x for k, x in v.items()})
            run([kc, "run", cer, "--site", path, "--batch"],
                "site %s %s" % (key, nm), refused=True)
        n += 1
    return n


def mode_argv(kc, d):
    """Hostile words on the command line of both programs (KC is
    "keyceremony:factorysign"): commands, option values, file names;
    every one refused and every message clean. Each hostile string goes
    through a third of the shapes, in rotation, so every shape sees every
    kind of string (the strings of one kind are consecutive in the
    corpus) and the whole corpus reaches every program."""
    k, f = kc.split(b":")
    n = 0
    for i, (nm, s) in enumerate(corpus()):
        for j, argv in enumerate(([k, s], [k, b"intermediate", s], [f, s],
                                  [k, b"intermediate", b"sign", b"--days", s],
                                  [k, b"intermediate", b"sign", b"--path-len", s,
                                   b"--days", b"3"],
                                  [k, b"run", b"x.yaml", b"--network", s],
                                  [k, b"run", s], [k, b"transcript", b"verify", s],
                                  [k, b"transcript", b"verify", b"x", b"--digest", s],
                                  [k, b"import", b"--from", s, b"--state", s],
                                  [f, b"attest", b"--input", s],
                                  [f, b"sign", b"--dir", s, b"--csr", s, b"--out-dir", s],
                                  [f, b"check", b"--cert", s, b"--key", s, b"--root", s],
                                  [k, b"crl", b"--" + s])):
            if (i + j) % 3 == 0:
                run(argv, "argv %s %r" % (nm, argv[1:3]), refused=True)
        n += 1
    return n


def tamper(db, table, cols, n=12):
    """Writes hostile strings into cols of the first n rows of table."""
    import sqlite3
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT rowid FROM %s" % table)]
    c = corpus()
    for i, rid in enumerate(ids[:n]):
        v = c[(i * 13) % len(c)][1] + b"\x1b[2J\xe2\x80\xae\xc2\x9b"
        for col in cols:
            con.execute("UPDATE %s SET %s = ? WHERE rowid = ?" % (table, col),
                        (v.decode("utf-8", "surrogateescape")
                         .encode("utf-8", "surrogateescape"), rid))
    con.commit()
    con.close()
    return len(ids[:n])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    m = sys.argv[1]
    if m == "tamper":
        print(tamper(sys.argv[2], sys.argv[3], sys.argv[4].split(",")))
        return
    if m == "count":
        print(len(corpus()))
        return
    if m == "check":
        bad = 0
        for f in sys.argv[2:]:
            with open(f, "rb") as fh:
                for pr in problems(fh.read()):
                    print("FAIL %s: %s" % (f, pr))
                    bad = 1
        sys.exit(bad)
    fn = {"subject-arg": mode_subject_arg, "csr": mode_csr,
          "attest": mode_attest, "ceremony": mode_ceremony,
          "transcript": mode_transcript, "factory": mode_factory,
          "device": mode_device, "argv": mode_argv, "site": mode_site}[m]
    n = fn(os.fsencode(sys.argv[2]), sys.argv[3])
    print("%d hostile inputs, %d problems" % (n, len(FAILS)))
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()

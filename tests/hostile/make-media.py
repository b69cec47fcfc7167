#!/usr/bin/env python3
"""make-media.py: the hostile-media corpus of tests/hostile/media.sh.

Usage: make-media.py KC GOLDEN WORK PIN SCAN OUT

GOLDEN is a state directory made by real ceremonies (root, CRL, a DPS
verification code and its certificate, transcripts, the register); WORK a
scratch directory; PIN the PIN file of the token (its bytes must never reach
a medium or the terminal); SCAN tests/scan-secrets.sh. Each case builds a
state directory and a medium under WORK/NNN, runs one keyceremony command
(export, import by scan, import by name, or run --check of a ceremony file)
and checks: exit status 1 or 2 (not 0, not a signal, no hang), the last
stderr line is "keyceremony: ..." and names the file (as keyceremony(1)
shows it, escaped), the reason matches, the medium and the state are
unchanged (a listing that follows no link and opens no FIFO), nothing with
private key material was written, and the PIN is in no new file and not on
stdout/stderr. The media of the export cases are kept and scanned for
private key material by one SCAN run at the end (one result line of its
own), not one per case. Results go to OUT, one per line: "ok<TAB>text" or
"not ok<TAB>text<TAB>detail"; the shell turns them into TAP.
"""
import hashlib
import os
import re
import shutil
import socket
import stat
import subprocess
import sys

KC, GOLDEN, WORK, PINFILE, SCAN, OUT = sys.argv[1:7]
PIN = open(PINFILE, "rb").read().strip()
ROOT = os.geteuid() == 0
OTHER_UID = 4242


def disp(name):
    """The name as kc_disp() shows it (C0/C1/DEL as \\xHH, format and
    bidi characters as \\u{XXXX})."""
    out = []
    for ch in name:
        cp = ord(ch)
        if cp < 0x20 or cp == 0x7f or 0x80 <= cp <= 0x9f:
            out.append("\\x%02x" % cp)
        elif cp in (0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029,
                    0x2060, 0xfeff) or 0x202a <= cp <= 0x202e or \
                0x2066 <= cp <= 0x2069:
            out.append("\\u{%04X}" % cp)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def rd(p):
    with open(p, "rb") as f:
        return f.read()


def wr(p, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)


def openssl(*args, data=None):
    r = subprocess.run(["openssl"] + list(args), input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       check=True)
    return r.stdout


# ---- material ----
KEYS = os.path.join(WORK, "keys")
os.makedirs(KEYS, exist_ok=True)
EC = openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:P-256")
EC8DER = openssl("pkey", "-outform", "DER", data=EC)
ECRAW = openssl("ec", "-outform", "DER", data=EC)
ECTRAD = openssl("ec", data=EC)
RSA = openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
              "rsa_keygen_bits:2048")
ENC8 = openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout",
               "pass:x", data=EC)
ectext = openssl("ec", "-text", "-noout", data=EC).decode()
m = re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:", ectext)
SCALAR = re.sub(r"[^0-9a-f]", "", m.group(1))[-64:].rjust(64, "0")
keyp = os.path.join(KEYS, "ec.pem")
wr(keyp, EC, 0o600)
CERT = rd(os.path.join(GOLDEN, "root.pem"))
CERTDER = openssl("x509", "-outform", "DER", data=CERT)
CRLS = sorted(f for f in os.listdir(GOLDEN) if f.endswith(".crl"))
CRL = rd(os.path.join(GOLDEN, CRLS[0]))
CSR = openssl("req", "-new", "-key", keyp, "-subj", "/CN=Media Test CSR")
CSRDER = openssl("req", "-outform", "DER", data=CSR)
CSR2 = openssl("req", "-new", "-key", keyp, "-subj", "/CN=Second CSR")
TRS = sorted(os.listdir(os.path.join(GOLDEN, "transcripts")))
TR = rd(os.path.join(GOLDEN, "transcripts", TRS[0]))
b64 = __import__("base64")


def pem(label, der):
    body = b64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return (b"-----BEGIN " + label + b"-----\n" + b"\n".join(lines) +
            b"\n-----END " + label + b"-----\n")


BADSIG = bytearray(CSRDER)
BADSIG[-3] ^= 0x41
JWK = b'{"kty":"EC","crv":"P-256","d":"' + \
    b64.urlsafe_b64encode(bytes.fromhex(SCALAR)).rstrip(b"=") + b'"}\n'

# ---- case building ----
CASES = []


def case(mode, target, regex, build, names=None, env=None, ceremony=None):
    """mode: export | import | importn | check. target: the name the
    message must hold (None: the message need not name a file). build(st,
    md) plants the attack."""
    CASES.append(dict(mode=mode, target=target, regex=regex, build=build,
                      names=names, env=env or {}, ceremony=ceremony))


def put(dirname, name, data, mode=0o644):
    def b(st, md):
        wr(os.path.join(st if dirname == "S" else md, name), data, mode)
    return b


def seq(*fns):
    def b(st, md):
        for f in fns:
            f(st, md)
    return b


def where(st, md, d):
    return st if d == "S" else md


def symlink(d, name, to):
    def b(st, md):
        t = to.replace("@PIN", PINFILE).replace("@STATE", st).replace(
            "@RELPIN", os.path.relpath(PINFILE, where(st, md, d)))
        os.symlink(t, os.path.join(where(st, md, d), name))
    return b


def fifo(d, name):
    return lambda st, md: os.mkfifo(os.path.join(where(st, md, d), name))


def sock(d, name):
    def b(st, md):
        s = socket.socket(socket.AF_UNIX)
        s.bind(os.path.join(where(st, md, d), name))
        s.close()
    return b


def mknod(d, name, kind, dev):
    return lambda st, md: os.mknod(os.path.join(where(st, md, d), name),
                                   kind | 0o644, dev)


def hardlink(d, name, src):
    def b(st, md):
        s = src.replace("@PIN", PINFILE).replace("@STATE", st)
        os.link(s, os.path.join(where(st, md, d), name))
    return b


def chowned(d, name, data):
    def b(st, md):
        p = os.path.join(where(st, md, d), name)
        wr(p, data)
        os.chown(p, OTHER_UID, OTHER_UID)
    return b


def mkdir(d, name):
    return lambda st, md: os.mkdir(os.path.join(where(st, md, d), name))


def sparse(d, name, size):
    def b(st, md):
        with open(os.path.join(where(st, md, d), name), "wb") as f:
            f.truncate(size)
    return b


def sums(text):
    return put("M", "SHA256SUMS", text)


def exported_medium(st, md):
    """A medium that already holds one earlier, valid export."""
    wr(os.path.join(md, "old.pem"), CERT)
    wr(os.path.join(md, "SHA256SUMS"), "%s  old.pem\n" %
       hashlib.sha256(CERT).hexdigest())


NONREG = "symbolic link|FIFO|socket|device|directory|not a regular file"

# -- 1. export: what the medium holds (links, FIFOs, devices, owners) --
for tgt, how in [("/abs", "@PIN"), ("rel", "@RELPIN"),
                 ("proc", "/proc/self/cwd/pin"), ("dangling", "/nonexistent"),
                 ("state", "@STATE/register.sqlite"), ("self", "SHA256SUMS")]:
    case("export", "SHA256SUMS", "symbolic link",
         symlink("M", "SHA256SUMS", how))
case("export", "root.pem", "symbolic link",
     symlink("M", "root.pem", "@STATE/root.pem"))
case("export", "root.pem", "symbolic link",
     symlink("M", "root.pem", "../S/root.pem"))
case("export", "notes.txt", "symbolic link",
     symlink("M", "notes.txt", "@PIN"))
case("export", "SHA256SUMS", "hard links", hardlink("M", "SHA256SUMS", "@PIN"))
case("export", "root.pem", "hard links",
     hardlink("M", "root.pem", "@STATE/root.pem"))
case("export", "backup.txt", "hard links", hardlink("M", "backup.txt", "@PIN"))
for n in ["SHA256SUMS", "root.pem", "x.csr", "x.code"]:
    case("export", n, "FIFO", fifo("M", n))
    case("export", n, "socket", sock("M", n))
case("export", "SHA256SUMS", "directory", mkdir("M", "SHA256SUMS"))
case("export", "root.pem", "directory", mkdir("M", "root.pem"))
if ROOT:
    case("export", "SHA256SUMS", "character device",
         mknod("M", "SHA256SUMS", stat.S_IFCHR, os.makedev(1, 5)))
    case("export", "zero", "character device",
         mknod("M", "zero", stat.S_IFCHR, os.makedev(1, 5)))
    case("export", "loop", "block device",
         mknod("M", "loop", stat.S_IFBLK, os.makedev(7, 200)))
    case("export", "SHA256SUMS", "owned by uid 4242",
         chowned("M", "SHA256SUMS", "%s  old.pem\n" % ("0" * 64)))
    case("export", "theirs.txt", "owned by uid 4242",
         chowned("M", "theirs.txt", "hello\n"))
for nm in ["a\nb", "\u202egnp.pem", "\x1b[2J", "x\x9bm", "tab\there",
           "\u2066iso"]:
    case("export", disp(nm), "symbolic link", symlink("M", nm, "@PIN"))

# ... in every directory of the medium, however deep
def nested(kind):
    def b(st, md):
        d = os.path.join(md, "sub", "deeper")
        os.makedirs(d)
        p = os.path.join(d, "x.csr")
        if kind == "link":
            os.symlink(PINFILE, p)
        elif kind == "fifo":
            os.mkfifo(p)
        else:
            s = socket.socket(socket.AF_UNIX)
            s.bind(p)
            s.close()
    return b


def deep(st, md):
    d = md
    for k in range(18):
        d = os.path.join(d, "d%d" % k)
    os.makedirs(d)


for kind, word in [("link", "symbolic link"), ("fifo", "FIFO"),
                   ("sock", "socket")]:
    case("export", "sub/deeper/x.csr", word, nested(kind))
    case("import", "sub/deeper/x.csr", word,
         seq(put("M", "ok.csr", CSR), nested(kind)))
case("export", "d16", "nested more than", deep)
case("import", "d16", "nested more than", seq(put("M", "ok.csr", CSR), deep))
case("export", "sub/pin.txt", "hard links", seq(mkdir("M", "sub"),
     hardlink("M", "sub/pin.txt", "@PIN")))

# -- 2. export: an existing SHA256SUMS, parsed strictly --
H = hashlib.sha256(CERT).hexdigest()
BADSUMS = [
    PIN.decode() + "\n",
    "# a comment\n",
    "%s  old.pem\n" % H.upper(),
    "%s old.pem\n" % H,
    "%s\told.pem\n" % H,
    "%s *old.pem\n" % H,
    "%s  old.pem\r\n" % H,
    "%s  old.pem" % H,
    "\n",
    "%s  old.pem\n\n" % H,
    "%s  ../pin\n" % H,
    "%s  /etc/passwd\n" % H,
    "%s  sub/old.pem\n" % H,
    "%s  .hidden\n" % H,
    "%s  SHA256SUMS\n" % H,
    "%s  register.sqlite\n" % H,
    "%s  old.pem\n%s  old.pem\n" % (H, H),
    "%s  old.pem\n" % H[:63],
    "%s0  old.pem\n" % H,
    "%s  old.pem\n" % ("g" + H[1:]),
    "%s  old.pem\n" % ("0" * 64),
    "%s  absent.pem\n" % H,
    "%s  old pem\n" % H,
    "%s  old\x1b.pem\n" % H,
    "%s  old\u202e.pem\n" % H,
    "%s  old.pem\x00\n" % H,
    "%s  %s\n" % (H, "a" * 240),
    "%s  old.pem\n%s\n" % (H, PIN.decode()),
]
for i, text in enumerate(BADSUMS):
    case("export", "SHA256SUMS", r"SHA256SUMS:[0-9]+:",
         seq(put("M", "old.pem", CERT), sums(text)))
case("export", "old.pem", "symbolic link",
     seq(symlink("M", "old.pem", "@PIN"), sums("%s  old.pem\n" % H)))
case("export", "SHA256SUMS", "too large", seq(put("M", "old.pem", CERT),
     sums(("%s  old.pem\n" % H) * 20000)))
case("export", "SHA256SUMS", r"SHA256SUMS:2:.*twice", seq(
     put("M", "old.pem", CERT), sums(("%s  old.pem\n" % H) * 2000)))
# the same strictness on a rolled-back export
case("export", "SHA256SUMS", "symbolic link",
     symlink("M", "SHA256SUMS", "@PIN"), env={"KC_TEST_MEDIA_FAIL_AFTER": "1"})
case("export", "SHA256SUMS", r"SHA256SUMS:1:",
     seq(put("M", "old.pem", CERT), sums(PIN.decode() + "\n")),
     env={"KC_TEST_MEDIA_FAIL_AFTER": "1"})
case("export", None, "rolled back", exported_medium,
     env={"KC_TEST_MEDIA_FAIL_AFTER": "1"})
case("export", None, "rolled back", exported_medium,
     env={"KC_TEST_MEDIA_FAIL_AFTER": "0"})

# -- 3. export: the state directory is a whitelist --
ONE = "after the first PEM block|holds"
case("export", "two.pem", ONE, put("S", "two.pem", CERT + CERT))
case("export", "trail.pem", ONE, put("S", "trail.pem", CERT + b"trailing\n"))
case("export", "jwk.pem", ONE, put("S", "jwk.pem", CERT + JWK))
case("export", "colon.pem", ONE, put("S", "colon.pem", CERT + b"key: " +
     b64.b64encode(EC8DER) + b"\n"))
case("export", "colonkey.pem", "holds", put("S", "colonkey.pem", CERT +
     b"-----BEGIN CERTIFICATE-----\nX: " + b64.b64encode(EC8DER) +
     b"\n-----END CERTIFICATE-----\n"))
case("export", "keycert.pem", "holds", put("S", "keycert.pem", CERT + EC))
case("export", "lead.pem", "not one PEM|holds", put("S", "lead.pem",
     b"Certificate:\n  Data: x\n" + CERT))
case("export", "hdr.pem", "header lines", put("S", "hdr.pem",
     CERT.replace(b"-----\n", b"-----\nComment: hi\n\n", 1)))
case("export", "crl2.crl", ONE, put("S", "crl2.crl", CRL + CRL))
case("export", "crlcert.crl", "not what this file may hold",
     put("S", "crlcert.crl", CERT))
case("export", "certcrl.crt", "not what this file may hold",
     put("S", "certcrl.crt", CRL))
case("export", "certcsr.csr", "not what this file may hold",
     put("S", "certcsr.csr", CERT))
case("export", "garbage.pem", "not one PEM", put("S", "garbage.pem",
     b"hello world\n"))
case("export", "empty.pem", "not one PEM", put("S", "empty.pem", b""))
case("export", "badb64.pem", "not a valid PEM", put("S", "badb64.pem",
     b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"))
case("export", "nocert.pem", "not a certificate|not canonical",
     put("S", "nocert.pem", pem(b"CERTIFICATE", b"\x30\x03\x02\x01\x01")))
case("export", "unknown.pem", "not what this file may hold",
     put("S", "unknown.pem", pem(b"X509 ATTRIBUTE CERT", CERTDER)))
case("export", "jwk.pem", "not one PEM|holds", put("S", "jwk.pem", JWK))
case("export", "tail.der", "trailing data", put("S", "tail.der",
     CERTDER + b"\x00"))
case("export", "tailkey.der", "trailing data|holds",
     put("S", "tailkey.der", CERTDER + ECRAW))
case("export", "trunc.der", "not a certificate", put("S", "trunc.der",
     CERTDER[:-10]))
longform = b"\x30\x83" + len(CERTDER[4:]).to_bytes(3, "big") + CERTDER[4:] \
    if CERTDER[1] == 0x82 else CERTDER + b"\x00"
case("export", "long.der", "not canonical|not a certificate|trailing",
     put("S", "long.der", longform))
case("export", "tailcsr.csr", "trailing|after|not|CSR",
     put("S", "tailcsr.csr", CSRDER + b"junk"))
case("export", "badsig.csr", "signature|CSR|verif",
     put("S", "badsig.csr", pem(b"CERTIFICATE REQUEST", bytes(BADSIG))))
case("export", "twocsr.csr", ONE, put("S", "twocsr.csr", CSR + CSR2))
# a certificate with a key inside its own DER (an extension)
KEYEXT = openssl("req", "-x509", "-key", keyp, "-subj", "/CN=Ext", "-days",
                 "2", "-addext", "nsComment=" +
                 b64.b64encode(EC8DER).decode())
case("export", "keyext.pem", "holds .*inside (the certificate|a PEM "
     "'CERTIFICATE' block)",
     put("S", "keyext.pem", KEYEXT))
case("export", "keyext.der", "holds",
     put("S", "keyext.der", openssl("x509", "-outform", "DER", data=KEYEXT)))
# keys disguised as everything
case("export", "ec8.der", "holds", put("S", "ec8.der", EC8DER))
case("export", "ecraw.crl", "holds", put("S", "ecraw.crl", ECRAW))
case("export", "disguised.pem", "holds", put("S", "disguised.pem",
     pem(b"CERTIFICATE", EC8DER)))
case("export", "rsa.pem", "holds", put("S", "rsa.pem", RSA))
case("export", "enc.pem", "holds", put("S", "enc.pem", ENC8))
case("export", "trad.crt", "holds", put("S", "trad.crt", ECTRAD))
case("export", "bare.pem", "holds", put("S", "bare.pem",
     b64.encodebytes(EC8DER)))
case("export", "hexkey.txt", "holds", put("S", "hexkey.txt",
     EC8DER.hex().encode() + b"\n"))
case("export", "k.code", "holds|not a verification code|too large",
     put("S", "k.code", EC8DER.hex().encode()))
case("export", "scalar.code", "no verification certificate in the register",
     put("S", "scalar.code", SCALAR + "\n"))
case("export", "scalarup.code", "no verification certificate",
     put("S", "scalarup.code", SCALAR.upper()))
case("export", "pin.code", "no verification certificate",
     put("S", "pin.code", PIN + b"\n"))
case("export", "other.code", "no verification certificate",
     put("S", "other.code", "ABCDEF0123456789\n"))
case("export", "long.code", "not a verification code",
     put("S", "long.code", "A" * 65))
case("export", "bad.code", "not a verification code",
     put("S", "bad.code", "ABC-DEF\n"))
case("export", "two.code", "not a verification code",
     put("S", "two.code", "ABC\nDEF\n"))
case("export", "empty.code", "not a verification code",
     put("S", "empty.code", ""))
# transcripts: they must verify
case("export", "root-ca.log", "not a file export knows",
     put("S", "root-ca.log", TR))
case("export", "fake.log", "does not verify|holds",
     put("S", "transcripts/fake.log", TR.split(b"\n")[0] + b"\n" +
         b64.encodebytes(EC8DER)))
case("export", "fake2.log", "does not verify|holds",
     put("S", "transcripts/fake2.log",
         b"# keyceremony transcript\n" + b64.encodebytes(EC8DER)))
case("export", "edit.log", "does not verify",
     put("S", "transcripts/edit.log", TR.replace(b"result=ok", b"result=no")
         if b"result=ok" in TR else TR + b"x\n"))
case("export", "notes.txt", "does not verify|not a transcript|holds",
     put("S", "transcripts/notes.txt", b"hi\n"))
case("export", "pin.log", "does not verify",
     put("S", "transcripts/pin.log", PIN + b"\n"))
case("export", "sparse.log", "too large",
     sparse("S", "transcripts/sparse.log", 17 * 1024 * 1024))
# unknown, reserved and odd names in the state directory
for nm in ["notes.txt", "pin", "x.pem.bak", "register-0123456789ab.txt",
           "SHA256SUMS", "ceremony.yaml", "root.p12", "x.key"]:
    case("export", nm, "not a file export knows|not a plain|holds",
         put("S", nm, b"hello\n"))
for nm in [".hidden.pem", "a\nb.pem", "\u202egnp.pem", "sp ace.pem",
           "x.tmp-1.pem", "\x1b[31m.pem"]:
    case("export", disp(nm), "not a plain file name",
         put("S", nm, CERT))
case("export", "pinlink.pem", "symbolic link",
     symlink("S", "pinlink.pem", "@PIN"))
case("export", "x.csr", "FIFO", fifo("S", "x.csr"))
case("export", "x.csr", "socket", sock("S", "x.csr"))
case("export", "pinhard.pem", "hard links",
     hardlink("S", "pinhard.pem", "@PIN"))
case("export", "sub", "directory", mkdir("S", "sub"))
case("export", "a.pem", "directory", mkdir("S", "a.pem"))
case("export", "big.pem", "too large", sparse("S", "big.pem", 2 << 20))
case("export", "t.log", "symbolic link",
     symlink("S", "transcripts/t.log", "@PIN"))


def replace_transcripts(how):
    def b(st, md):
        shutil.rmtree(os.path.join(st, "transcripts"))
        how(st, md)
    return b


case("export", "transcripts", "symbolic link", replace_transcripts(
     symlink("S", "transcripts", "/etc")))
case("export", "transcripts", "FIFO", replace_transcripts(
     fifo("S", "transcripts")))
case("export", "transcripts", "not a file export knows", replace_transcripts(
     put("S", "transcripts", TR)))
case("export", "register.sqlite", "symbolic link|not the register",
     seq(lambda st, md: os.unlink(os.path.join(st, "register.sqlite")),
         symlink("S", "register.sqlite", "@PIN")))
case("export", "cut.log", "does not verify", put("S", "transcripts/cut.log",
     TR[:len(TR) // 2]))
case("export", "dup.log", "does not verify", put("S", "transcripts/dup.log",
     TR + TR.split(b"\n")[-2] + b"\n"))
if ROOT:
    case("export", "theirs.pem", "owned by uid 4242",
         chowned("S", "theirs.pem", CERT))
    case("export", "zero.pem", "character device",
         mknod("S", "zero.pem", stat.S_IFCHR, os.makedev(1, 5)))

# -- 4. import: named files and the directory scan --
for n, how in [("x.csr", "@PIN"), ("dps-2027.code", "@PIN"),
               ("rel.csr", "@RELPIN"), ("proc.code", "/proc/self/cwd/pin"),
               ("st.csr", "@STATE/root.pem")]:
    case("importn", n, "symbolic link", symlink("M", n, how), names=[n])
    case("import", n, "symbolic link", seq(put("M", "ok.csr", CSR),
         symlink("M", n, how)))
for n in ["x.csr", "x.code"]:
    case("importn", n, "FIFO", fifo("M", n), names=[n])
    case("import", n, "FIFO", seq(put("M", "ok.csr", CSR), fifo("M", n)))
    case("importn", n, "socket", sock("M", n), names=[n])
    case("import", n, "socket", sock("M", n))
    case("importn", n, "directory", mkdir("M", n), names=[n])
    case("importn", n, "hard links", hardlink("M", n, "@PIN"), names=[n])
    case("import", n, "hard links", hardlink("M", n, "@PIN"))
case("import", "notes.txt", "symbolic link", seq(put("M", "ok.csr", CSR),
     symlink("M", "notes.txt", "@PIN")))
if ROOT:
    for n in ["x.csr", "x.code"]:
        case("importn", n, "character device",
             mknod("M", n, stat.S_IFCHR, os.makedev(1, 5)), names=[n])
        case("import", n, "character device",
             mknod("M", n, stat.S_IFCHR, os.makedev(1, 5)))
        case("importn", n, "owned by uid 4242",
             chowned("M", n, CSR if n.endswith("csr") else b"ABC\n"),
             names=[n])
    case("import", "x.csr", "owned by uid 4242", chowned("M", "x.csr", CSR))
case("importn", "huge.csr", "too large",
     sparse("M", "huge.csr", 16 << 20), names=["huge.csr"])
case("import", "huge.csr", "too large", sparse("M", "huge.csr", 16 << 20))
case("importn", "huge.code", "too large",
     sparse("M", "huge.code", 4096), names=["huge.code"])
case("importn", "t.log", "import takes CSRs", put("M", "t.log", TR),
     names=["t.log"])
for nm in ["../pin", "/etc/passwd", "sub/x.csr", ".x.csr", "a\nb.csr",
           "\u202ersc.x", "SHA256SUMS", "register.sqlite"]:
    case("importn", disp(nm), "give a file name", put("M", "dummy", b""),
         names=[nm])
case("importn", "key.csr", "holds", put("M", "key.csr", EC), names=["key.csr"])
case("import", "key.csr", "holds", put("M", "key.csr", EC8DER))
case("import", "key.pem", "holds", put("M", "key.pem", RSA))
case("import", "bare.csr", "holds", put("M", "bare.csr",
     b64.encodebytes(EC8DER)))
case("import", "garbage.csr", "garbage.csr", put("M", "garbage.csr",
     b"garbage\n"))
case("import", "cert.csr", "cert.csr", put("M", "cert.csr", CERT))
case("importn", "cert.pem", "cert.pem", put("M", "cert.pem", CERT),
     names=["cert.pem"])
case("import", "two.csr", "two.csr", put("M", "two.csr", CSR + CSR2))
case("import", "trail.csr", "trail.csr", put("M", "trail.csr",
     CSR + b"trailing junk\n"))
case("import", "tail.der", "tail.der", put("M", "tail.der",
     CSRDER + b"\x00\x00"))
case("import", "badsig.csr", "badsig.csr", put("M", "badsig.csr",
     pem(b"CERTIFICATE REQUEST", bytes(BADSIG))))
case("import", "bad.code", "not a verification code",
     put("M", "bad.code", "AB-CD\n"))
case("import", "long.code", "not a verification code",
     put("M", "long.code", "A" * 65 + "\n"))
case("importn", "ctl.code", "not a verification code",
     put("M", "ctl.code", "AB\x1bCD\n"), names=["ctl.code"])
case("import", "x.csr", "already exists in the state directory",
     seq(put("M", "x.csr", CSR), put("S", "x.csr", CSR2)))
case("import", None, "no CSR", put("M", "notes.txt", PIN))
case("importn", "x.csr", "named twice", put("M", "x.csr", CSR),
     names=["x.csr", "x.csr"])
case("importn", "y.csr", "y.csr", put("M", "x.csr", CSR),
     names=["x.csr", "y.csr"])

# -- 5. ceremony outputs: plain names with the extension of their kind --
CER = """keyceremony: 1
name: out-test
title: Output names
roles:
  - id: officer
    title: Officer
steps:
  - id: s1
    title: Root
    action: %s
    role: officer
%s    output: %s
"""
ROOTK = """    key-label: r1
    algorithm: ec-p256
    subject: /CN=Out Test Root
    days: 30
"""
CRLK = """    issuer-key: r1
    issuer-cert: root.pem
    next-update-days: 30
"""
for out in ["register.sqlite-journal", "register.sqlite", "register.sqlite-wal",
            "register.sqlite-shm", "SHA256SUMS", "transcripts",
            "register-0123.pem", "root.tmp-1.pem", "root.crl", "root.der",
            "root", "root.pem.txt", "ROOT.PEM"]:
    case("check", out, "output", None,
         ceremony=CER % ("root-create", ROOTK, out))
for out in ["root.pem", "register.sqlite-journal", "SHA256SUMS", "x.crl.pem"]:
    case("check", out, "output", None,
         ceremony=CER % ("crl-issue", CRLK, out))
for out in ["a/b.pem", "../x.pem", "/abs.pem", ".hidden.pem", "sp ace.pem"]:
    case("check", None, "output", None,
         ceremony=CER % ("root-create", ROOTK, '"%s"' % out))


# -- 6. a second attacker (issue 12 review): what the first corpus missed --
# keys the screen did not see: colon-separated hex (openssl -text style) and
# base64 split by blanks, in a CSR attribute and in a certificate comment
COLONHEX = ":".join("%02x" % c for c in EC8DER)
SPACEB64 = " ".join(b64.b64encode(EC8DER).decode()[i:i + 30]
                    for i in range(0, len(b64.b64encode(EC8DER)), 30))
for tag, val in [("colon", COLONHEX), ("spaced", SPACEB64),
                 ("colonlines", COLONHEX.replace(":", ":\n    ", 3)),
                 ("tabbed", SPACEB64.replace(" ", "\t"))]:
    cnf = os.path.join(KEYS, tag + ".cnf")
    wr(cnf, "[req]\ndistinguished_name=dn\nattributes=attr\nprompt=no\n"
       "[dn]\nCN=Attr %s\n[attr]\nunstructuredName=%s\n" %
       (tag, val.replace("\n", "")))
    acsr = openssl("req", "-new", "-key", keyp, "-config", cnf)
    acrt = openssl("req", "-x509", "-key", keyp, "-subj", "/CN=C " + tag,
                   "-days", "2", "-addext", "nsComment=" +
                   val.replace("\n", ""))
    case("export", tag + ".csr", "holds", put("S", tag + ".csr", acsr))
    case("export", tag + ".pem", "holds .*inside (the certificate|a PEM "
         "'CERTIFICATE' block)",
         put("S", tag + ".pem", acrt))
    case("export", tag + ".der", "holds", put("S", tag + ".der",
         openssl("x509", "-outform", "DER", data=acrt)))
    case("import", tag + ".csr", "holds", put("M", tag + ".csr", acsr))
    case("importn", tag + ".csr", "holds", put("M", tag + ".csr", acsr),
         names=[tag + ".csr"])
case("export", "hex.pem", "holds", put("S", "hex.pem", CERT + b"\n" +
     COLONHEX.encode() + b"\n"))
# names that one FAT medium takes for one file
case("export", "M/ROOT.PEM", "differs only in case", put("M", "ROOT.PEM",
     b"another root\n"))
case("export", "M/Root.Pem", "differs only in case", put("M", "Root.Pem",
     CERT))
case("export", "M/sha256sums", "differs only in case",
     put("M", "sha256sums", b"x\n"))
case("export", "a.csr", "differ only in case", seq(put("S", "a.csr", CSR),
     put("S", "A.CSR", CSR2)))
case("export", "OLD.PEM", r"SHA256SUMS:2:.*twice.*differ only in case",
     seq(put("M", "old.pem", CERT), put("M", "OLD.PEM", CERT),
         sums("%s  old.pem\n%s  OLD.PEM\n" % (H, H))))
case("import", "ROOT.PEM", "differs only in case", put("M", "ROOT.PEM",
     CSR))
case("importn", "Root.pem", "differs only in case", put("M", "Root.pem",
     CSR), names=["Root.pem"])
case("import", "x.csr", "differ only in case", seq(put("M", "x.csr", CSR),
     put("M", "X.CSR", CSR2)))
# what an export that was killed leaves: refused, not silently kept
case("export", "root.pem.tmp-0123456789ab", "did not finish",
     put("M", "root.pem.tmp-0123456789ab", CERT[:100]))
case("export", "SHA256SUMS.tmp-abcdef012345", "did not finish",
     seq(exported_medium, put("M", "SHA256SUMS.tmp-abcdef012345",
         "%s  old.pem\n" % H)))
case("export", ".kc-probe-Ab12Cd", "did not finish",
     put("M", ".kc-probe-Ab12Cd", b"k"))
# an old SHA256SUMS whose files cost more to hash than any medium of ours
# holds (sparse files are free to plant): refused before reading them all


def many_sparse(st, md):
    h = hashlib.sha256()
    blk = b"\0" * (1 << 20)
    for _ in range(15):
        h.update(blk)
    z = h.hexdigest()
    lines = []
    for k in range(20):
        with open(os.path.join(md, "s%02d.pem" % k), "wb") as f:
            f.truncate(15 << 20)
        lines.append("%s  s%02d.pem\n" % (z, k))
    wr(os.path.join(md, "SHA256SUMS"), "".join(lines))


case("export", "SHA256SUMS", r"SHA256SUMS:18:.*more than 256 MiB",
     many_sparse)
# ceremony inputs: read from the state directory by the extension of their
# kind (a PIN file there is a valid verification code)
VER = """    issuer-key: r1
    issuer-cert: %s
    code-file: %s
    days: 30
"""
INT = """    issuer-key: r1
    issuer-cert: root.pem
    csr: %s
    days: 30
"""
REV = """    issuer-key: r1
    issuer-cert: root.pem
    revoke: %s
    reason: superseded
    next-update-days: 30
"""
for cf in ["pin", "pin.txt", "register.sqlite", "register.sqlite-wal",
           "SHA256SUMS", "x.code.txt", "code", "share-1-of-3.txt"]:
    case("check", cf, "code-file.*ends in .code", None,
         ceremony=CER % ("verification-sign", VER % ("root.pem", cf),
                         "v.pem"))
for ic in ["pin", "root.key", "register.sqlite", "root.pem.bak"]:
    case("check", ic, "issuer-cert.*ends in", None,
         ceremony=CER % ("verification-sign", VER % (ic, "x.code"),
                         "v.pem"))
for cs in ["pin", "notes.txt", "register.sqlite-journal", "x.csr.txt",
           "factory.p10"]:
    case("check", cs, "csr.*ends in", None,
         ceremony=CER % ("intermediate-sign", INT % cs, "i.pem"))
for rv in ["pin", "register.sqlite"]:
    case("check", rv, "revoke.*ends in", None,
         ceremony=CER % ("crl-issue", REV % rv, "r.crl"))


# ---- running ----
def listing(top):
    """What is under top, without following a link or opening anything but
    a regular file."""
    res = {}
    if not os.path.lexists(top):
        return res
    for dp, dns, fns in os.walk(top):
        for n in dns + fns:
            p = os.path.join(dp, n)
            s = os.lstat(p)
            k = (stat.S_IFMT(s.st_mode), s.st_size, s.st_uid, s.st_nlink)
            if stat.S_ISREG(s.st_mode):
                k += (hashlib.sha256(rd(p)).hexdigest(),)
            elif stat.S_ISLNK(s.st_mode):
                k += (os.readlink(p),)
            res[os.path.relpath(p, top)] = k
    return res


def pin_files(top):
    out = set()
    for dp, dns, fns in os.walk(top):
        for n in fns:
            p = os.path.join(dp, n)
            if stat.S_ISREG(os.lstat(p).st_mode) and PIN in rd(p):
                out.add(os.path.relpath(p, top))
    return out


def run(c, i):
    base = os.path.join(WORK, "%03d" % i)
    st, md = os.path.join(base, "S"), os.path.join(base, "M")
    os.makedirs(base)
    shutil.copytree(GOLDEN, st, symlinks=True)
    os.makedirs(md)
    if c["build"]:
        c["build"](st, md)
    env = dict(os.environ)
    env.update(c["env"])
    if c["mode"] == "export":
        cmd = [KC, "export", "--state", st, "--to", md]
    elif c["mode"] in ("import", "importn"):
        cmd = [KC, "import", "--from", md, "--state", st] + (c["names"] or [])
    else:
        f = os.path.join(base, "c.yaml")
        wr(f, c["ceremony"])
        cmd = [KC, "run", f, "--check", "--site",
               os.path.join(os.path.dirname(PINFILE), "demo.site")]
    before_m, before_s = listing(md), listing(st)
    pins_m = pin_files(md)
    what = "%s %s%s" % (c["mode"], c["target"] or c["regex"],
                        " (%s)" % " ".join("%s=%s" % kv for kv in
                                           c["env"].items())
                        if c["env"] else "")
    what = "#%d %s" % (i, disp(what))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, cwd=os.path.dirname(PINFILE), timeout=60)
    except subprocess.TimeoutExpired:
        return "not ok", what, "hung (no answer in 60 s)"
    err = r.stderr.decode("utf-8", "replace")
    last = err.rstrip("\n").split("\n")[-1] if err.strip() else ""
    prob = []
    if r.returncode not in (1, 2):
        prob.append("exit status %d, want 1 or 2" % r.returncode)
    if not last.startswith("keyceremony: "):
        prob.append("no 'keyceremony: ' message")
    if c["target"] and c["target"] not in last:
        prob.append("message does not name %r" % c["target"])
    if not re.search(c["regex"], last):
        prob.append("message does not match /%s/" % c["regex"])
    if c["mode"] != "check" and listing(md) != before_m:
        prob.append("the medium changed")
    if listing(st) != before_s:
        prob.append("the state directory changed")
    if not pin_files(md) <= pins_m:
        prob.append("the PIN is in a new file on the medium")
    if PIN in r.stdout or PIN in r.stderr:
        prob.append("the PIN is on the terminal")
    if prob:
        return "not ok", what, "; ".join(prob) + " | " + disp(last)
    shutil.rmtree(st, ignore_errors=True)
    if c["mode"] != "export":
        shutil.rmtree(base, ignore_errors=True)
    return "ok", what + ": " + last[len("keyceremony: "):][:150], ""


def scan_media():
    """One run of scan-secrets over the media the export cases left (every
    medium of a passed case is kept until here): no key material on any."""
    media = sorted(os.path.join(WORK, d, "M") for d in os.listdir(WORK)
                   if os.path.isdir(os.path.join(WORK, d, "M")))
    sc = subprocess.run(["sh", SCAN] + media, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
    what = "scan-secrets over the %d media of the export cases" % len(media)
    if sc.returncode != 0 or not media:
        return "not ok", what, disp(sc.stdout.decode(errors="replace"))
    for m in media:
        shutil.rmtree(os.path.dirname(m), ignore_errors=True)
    return "ok", what + ": no key material", ""


with open(OUT, "w") as out:
    for i, c in enumerate(CASES, 1):
        res, what, detail = run(c, i)
        out.write("%s\t%s\t%s\n" % (res, what.replace("\t", " "),
                                    detail.replace("\t", " ")))
    res, what, detail = scan_media()
    out.write("%s\t%s\t%s\n" % (res, what, detail.replace("\t", " ")))

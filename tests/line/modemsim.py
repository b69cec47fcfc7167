#!/usr/bin/env python3
"""modemsim.py: a simulated Nordic nRF91 modem on a pseudo-terminal, for
the tests of factorysign provision (tests/line/*.sh).

It speaks the AT commands the line station uses as Nordic's AT command
reference documents them: responses end in CRLF, then OK, ERROR or (after
AT+CMEE=1) +CME ERROR: <n>.  AT%KEYGEN=<tag>,2,0 makes a fresh P-256 key
and answers %KEYGEN: "<base64url CSR>.<base64url COSE_Sign1>" in the
modem's format (COSE tag 18, protected {1: -7}, kid -2, payload in tag
55799 = [9, UUID, bstr(CBOR sec_tag), SHA-256(CSR), nonce]; see the
vectors of nRFCloud/utils in tests/fixtures/nrf).  AT%CMNG stores the text
between the quotes byte for byte and AT%CMNG=1 lists its upper-case hex
SHA-256.  The signature is filler: only Nordic could check it.

  modemsim.py --link PATH --state FILE [--model 9161|9160] [--uuid HEX32]
              [--imei 15DIGITS] [--echo] [--fault PREFIX=ACTION]...
              [--hangup-after-bytes N] [--pause-at PREFIX [--pause-count N]
              --pause-file F --resume-file F] [--log FILE]
              [--devices N --history FILE]

PATH becomes a symbolic link to the pty's slave side (removed when the
cable is "pulled").  FILE holds the modem's state as JSON (identity, key,
credentials, CFUN), written after every change, so a test can read what
the modem holds and a new simulator can go on with the same device.
Faults fire on the first command starting with PREFIX (case-sensitive),
once, or on every such command with '*' after the action:
  cme:N        +CME ERROR: N (ERROR before AT+CMEE=1)
  error        ERROR
  silent       no reply at all
  hangup       the cable is pulled: the pty closed, the link removed
  garbage      binary noise, then nothing
  delay:S      sleeps S seconds, then answers
  hostile      an answer with escape sequences, control and bidi bytes
  long         a line of 100000 bytes, no end
  flood        endless lines without a final result code
  wronghash    AT%CMNG=1: every hash reported wrong
  badsum       AT%KEYGEN: the COSE digest does not match the CSR
  cn:TEXT      AT%KEYGEN: the CSR's CN is TEXT (not the UUID)
  uuid:HEX32   AT%DEVICEUUID / AT%ATTESTTOKEN report this UUID
  online       AT+CFUN=4 answers OK but the modem stays online
  drop         AT%CMNG=0: answers OK but stores nothing
  file:PATH    the bytes of PATH as the whole reply
--devices N: after AT+CFUN=1 the device is "unplugged" and the next of N
"plugged in" (a new pty behind the same link, a new identity); each
finished device is appended to the --history file as one JSON line.
--pause-at PREFIX (the --pause-count'th such command, default the first):
the simulator creates the pause file and waits for the resume file before
it answers, so that a test can act while the station waits.
"""
import argparse
import array
import base64
import fcntl
import hashlib
import json
import os
import select
import signal
import sys
import termios
import time
import tty

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def cbor_uint(n):
    return cbor_head(0, n)


def cbor_bstr(b):
    return cbor_head(2, len(b)) + b


def cbor_array(items):
    return cbor_head(4, len(items)) + b"".join(items)


def cbor_tag(t, body):
    return cbor_head(6, t) + body


def cose_sign1(payload):
    """COSE_Sign1 as the modem makes it (payload None: detached)."""
    prot = cbor_bstr(bytes([0xa1, 0x01, 0x26]))       # {1: -7}
    unprot = bytes([0xa1, 0x04, 0x41, 0x21])          # {4: h'21'} (-2)
    pl = bytes([0xf6]) if payload is None else cbor_bstr(payload)
    sig = cbor_bstr(os.urandom(64))
    return cbor_tag(18, cbor_head(4, 4) + prot + unprot + pl + sig)


def uuid_dashed(h):
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


class Modem:
    def __init__(self, args):
        self.args = args
        self.cmee = 0
        st = {}
        if os.path.exists(args.state):
            with open(args.state) as f:
                st = json.load(f)
        self.uuid = st.get("uuid") or args.uuid or os.urandom(16).hex()
        self.imei = st.get("imei") or args.imei or \
            "35%013d" % (int.from_bytes(os.urandom(6), "big") % 10**13)
        self.creds = st.get("creds", {})
        self.cfun = st.get("cfun", 1)
        self.keys = st.get("keys", {})
        self.faults = []
        for spec in args.fault or []:
            prefix, _, action = spec.rpartition("=")
            rep = action.endswith("*")
            self.faults.append([prefix, action.rstrip("*"), rep, False])
        self.save()

    def save(self):
        tmp = self.args.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"uuid": self.uuid, "imei": self.imei,
                       "creds": self.creds, "cfun": self.cfun,
                       "keys": self.keys, "pid": os.getpid()}, f, indent=1)
        os.replace(tmp, self.args.state)

    def fault(self, cmd):
        for f in self.faults:
            if cmd.startswith(f[0]) and (f[2] or not f[3]):
                f[3] = True
                return f[1]
        return None

    def err(self, code):
        if self.cmee:
            return ["+CME ERROR: %d" % code]
        return ["ERROR"]

    def keygen(self, tag, action, subject):
        key = ec.generate_private_key(ec.SECP256R1())
        self.keys[str(tag)] = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        cn = uuid_dashed(self.uuid)
        if subject:
            for part in subject.split(","):
                k, _, v = part.partition("=")
                if k.strip() == "CN":
                    cn = v
        if action and action.startswith("cn:"):
            cn = action[3:]
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        ).add_extension(x509.KeyUsage(True, False, True, False, False,
                                      False, False, False, False),
                        critical=False).sign(key, hashes.SHA256())
        der = csr.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).digest()
        if action == "badsum":
            digest = bytes([digest[0] ^ 1]) + digest[1:]
        payload = cbor_tag(55799, cbor_array([
            cbor_uint(9), cbor_bstr(bytes.fromhex(self.uuid)),
            cbor_bstr(cbor_uint(tag)), cbor_bstr(digest),
            cbor_bstr(os.urandom(16))]))
        # a new key replaces the tag's key; the modem keeps other types
        self.creds["%d,2" % tag] = hashlib.sha256(
            self.keys[str(tag)].encode()).hexdigest().upper()
        self.save()
        return ['%%KEYGEN: "%s.%s"' % (b64u(der), b64u(cose_sign1(payload)))]

    def attesttoken(self, uuid):
        body = cbor_tag(55799, cbor_array([
            cbor_uint(1), cbor_bstr(bytes.fromhex(uuid)), cbor_uint(3),
            cbor_bstr(bytes.fromhex("1aff3acbf1a64764a2634c2646c1c654")),
            cbor_bstr(os.urandom(16))]))
        return ['%%ATTESTTOKEN: "%s.%s"' % (b64u(body),
                                            b64u(cose_sign1(None)))]

    def handle(self, cmd, action):
        """The response lines and final result of one command."""
        ok = ["OK"]
        if cmd == "AT":
            return ok
        if cmd == "AT+CMEE=1":
            self.cmee = 1
            return ok
        if cmd == "AT+CMEE=0":
            self.cmee = 0
            return ok
        if cmd == "AT+CGMR":
            return ["mfw_nrf9160_1.3.5" if self.args.model == "9160"
                    else "mfw_nrf91x1_2.0.1"] + ok
        if cmd == "AT+CGSN=1":
            return ['+CGSN: "%s"' % self.imei] + ok
        if cmd == "AT%DEVICEUUID":
            if self.args.model == "9160":
                return self.err(513) if self.cmee else ["ERROR"]
            u = action[5:] if action and action.startswith("uuid:") \
                else self.uuid
            return ["%%DEVICEUUID: %s" % u.upper()] + ok
        if cmd == "AT%ATTESTTOKEN":
            u = action[5:] if action and action.startswith("uuid:") \
                else self.uuid
            return self.attesttoken(u) + ok
        if cmd == "AT%XMODEMUUID":
            return ["%XMODEMUUID: 1aff3acb-f1a6-4764-a263-4c2646c1c654"] + ok
        if cmd.startswith("AT+CFUN="):
            v = cmd[8:]
            if v not in ("0", "1", "4"):
                return self.err(518)
            if not (v == "4" and action == "online"):
                self.cfun = int(v)
                self.save()
            return ok
        if cmd == "AT+CFUN?":
            return ["+CFUN: %d" % self.cfun] + ok
        if cmd.startswith("AT%KEYGEN="):
            parts = cmd[10:].split(",", 3)
            try:
                tag, kind, attr = int(parts[0]), parts[1], parts[2]
            except (ValueError, IndexError):
                return self.err(65536) if self.cmee else ["ERROR"]
            if kind != "2" or attr != "0":
                return self.err(514)
            if self.cfun == 1:
                return self.err(518)
            subject = parts[3].strip('"') if len(parts) > 3 else None
            return self.keygen(tag, action, subject) + ok
        if cmd.startswith("AT%CMNG="):
            return self.cmng(cmd[8:], action)
        return ["ERROR"]

    def cmng(self, rest, action):
        ok = ["OK"]
        head, q, content = rest.partition('"')
        f = head.rstrip(",").split(",")
        try:
            op = int(f[0])
            tag = int(f[1]) if len(f) > 1 and f[1] != "" else None
            typ = int(f[2]) if len(f) > 2 and f[2] != "" else None
        except ValueError:
            return self.err(65536) if self.cmee else ["ERROR"]
        if op == 1:
            out = []
            for k in sorted(self.creds, key=lambda k: [int(x) for x in
                                                       k.split(",")]):
                t, ty = k.split(",")
                if tag is not None and int(t) != tag:
                    continue
                h = self.creds[k]
                if action == "wronghash":
                    h = hashlib.sha256(h.encode()).hexdigest().upper()
                out.append('%%CMNG: %s,%s,"%s"' % (t, ty, h))
            return out + ok
        if op in (0, 3) and self.cfun == 1:
            return self.err(518)
        key = "%d,%d" % (tag, typ)
        if op == 0:
            if not q or not content.endswith('"'):
                return self.err(65536) if self.cmee else ["ERROR"]
            text = content[:-1]
            if key in self.creds:
                return self.err(519)
            if action != "drop":
                self.creds[key] = hashlib.sha256(
                    text.encode("latin-1")).hexdigest().upper()
                with open(self.args.state + ".%d.%d" % (tag, typ), "w",
                          newline="") as fp:
                    fp.write(text)
                self.save()
            return ok
        if op == 3:
            if key not in self.creds:
                return self.err(513)
            del self.creds[key]
            try:
                os.unlink(self.args.state + ".%d.%d" % (tag, typ))
            except FileNotFoundError:
                pass
            self.save()
            return ok
        return self.err(514)


class Line:
    """The pty, the reading of commands (a command ends at CR or LF
    outside double quotes: a credential's CRLFs stay in it), the faults
    that act on the line itself."""

    def __init__(self, args, modem):
        self.args, self.modem = args, modem
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_keep = slave        # held open: the station may come
        self.slave_path = os.ttyname(slave)    # and go without EIO here
        try:
            os.unlink(args.link)
        except FileNotFoundError:
            pass
        os.symlink(self.slave_path, args.link)
        self.nbytes = 0
        self.log = open(args.log, "a") if args.log else None

    def history(self):
        """One JSON line per finished device (after AT+CFUN=1)."""
        m = self.modem
        if not self.args.history:
            return
        rec = {"uuid": m.uuid, "imei": m.imei, "creds": m.creds,
               "stored": {}}
        for k in m.creds:
            p = self.args.state + "." + k.replace(",", ".")
            if os.path.exists(p):
                with open(p, newline="") as fp:
                    rec["stored"][k] = fp.read()
        with open(self.args.history, "a") as fp:
            fp.write(json.dumps(rec) + "\n")

    def replug(self):
        """With --devices: the device is unplugged and the next one plugged
        in: a new pty (opened before the old one closes, so its name
        differs), the link moved to it, a new identity."""
        m = self.modem
        if self.args.devices <= 1:
            return
        # the cable goes once the station has read the last reply: the
        # reply reaches the slave's queue (FIONREAD > 0) and is read (0);
        # at most 0.5 s (a fast reader may take it before it is seen)
        n = array.array("i", [0])
        seen = False
        for _ in range(50):
            fcntl.ioctl(self.slave_keep, termios.FIONREAD, n)
            if n[0] > 0:
                seen = True
            elif seen:
                break
            time.sleep(0.01)
        master, slave = os.openpty()
        tty.setraw(slave)
        os.close(self.master)
        os.close(self.slave_keep)
        self.master, self.slave_keep = master, slave
        self.slave_path = os.ttyname(slave)
        tmp = self.args.link + ".new"
        os.symlink(self.slave_path, tmp)
        os.replace(tmp, self.args.link)
        for k in list(m.creds):
            try:
                os.unlink(self.args.state + "." + k.replace(",", "."))
            except FileNotFoundError:
                pass
        m.uuid = os.urandom(16).hex()
        m.imei = "35%013d" % (int.from_bytes(os.urandom(6), "big") % 10**13)
        m.creds, m.keys, m.cfun, m.cmee = {}, {}, 1, 0
        m.save()
        self.args.devices -= 1

    def hangup(self):
        try:
            os.unlink(self.args.link)
        except FileNotFoundError:
            pass
        os.close(self.master)
        os.close(self.slave_keep)
        if self.log:
            self.log.write("-- hangup\n")
            self.log.close()
        sys.exit(0)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        os.write(self.master, data)

    def reply(self, lines):
        self.send("".join(l + "\r\n" for l in lines))

    def commands(self):
        buf, inq = b"", False
        while True:
            r, _, _ = select.select([self.master], [], [])
            try:
                data = os.read(self.master, 65536)
            except OSError:
                continue
            for i in range(len(data)):
                c = data[i:i + 1]
                self.nbytes += 1
                if self.args.hangup_after_bytes and \
                        self.nbytes >= self.args.hangup_after_bytes:
                    self.hangup()
                if c == b'"':
                    inq = not inq
                if c in (b"\r", b"\n") and not inq:
                    if buf.strip():
                        if self.args.echo:
                            self.send(buf + b"\r\n")
                        yield buf.strip().decode("latin-1")
                    buf = b""
                else:
                    buf += c

    def run(self):
        a = self.args
        for cmd in self.commands():
            if self.log:
                self.log.write((cmd.split('"')[0] if cmd.startswith(
                    "AT%CMNG") else cmd) + "\n")
                self.log.flush()
            if a.pause_at and cmd.startswith(a.pause_at):
                a.pause_count -= 1
            if a.pause_at and cmd.startswith(a.pause_at) and \
                    a.pause_count <= 0:
                a.pause_at = None
                open(a.pause_file, "w").close()
                while not os.path.exists(a.resume_file):
                    time.sleep(0.05)
            action = self.modem.fault(cmd)
            if action == "hangup":
                self.hangup()
            if action == "silent":
                continue
            if action and action.startswith("file:"):
                with open(action[5:], "rb") as fp:
                    self.send(fp.read())
                continue
            if action == "garbage":
                self.send(bytes(range(256)) + os.urandom(64))
                continue
            if action == "long":
                self.send(b"A" * 100000)
                continue
            if action == "flood":
                for _ in range(5000):
                    self.send(b"+CEREG: 2\r\n")
                continue
            if action == "hostile":
                self.send(b"\x1b]0;owned\x07\x1b[2J\x9b31m\xe2\x80\xae"
                          b"gnp.exe\x00\x7f+CME ERROR: \x1b[1m99\r\n")
                continue
            if action and action.startswith("delay:"):
                time.sleep(float(action[6:]))
            if action and action.startswith("cme:"):
                self.reply(self.modem.err(int(action[4:])))
                continue
            if action == "error":
                self.reply(["ERROR"])
                continue
            self.reply(self.modem.handle(cmd, action))
            if cmd == "AT+CFUN=1":
                self.history()
                self.replug()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--link", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--model", default="9161", choices=["9160", "9161"])
    p.add_argument("--uuid")
    p.add_argument("--imei")
    p.add_argument("--echo", action="store_true")
    p.add_argument("--fault", action="append")
    p.add_argument("--hangup-after-bytes", type=int, default=0)
    p.add_argument("--pause-at")
    p.add_argument("--pause-count", type=int, default=1)
    p.add_argument("--pause-file")
    p.add_argument("--resume-file")
    p.add_argument("--log")
    p.add_argument("--devices", type=int, default=1)
    p.add_argument("--history")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    modem = Modem(args)
    Line(args, modem).run()


if __name__ == "__main__":
    main()

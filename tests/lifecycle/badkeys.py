#!/usr/bin/env python3
"""badkeys.py OUTDIR: CSRs for RSA keys of crafted weakness (key quality,
issue 15 item 6), each valid (its self-signature verifies), one per line of
OUTDIR/MANIFEST: file <TAB> accept|refuse <TAB> regex of the reason.

Deterministic (fixed seeds). Made with the `cryptography` module from
chosen primes (key validation skipped: the point is to build bad keys):
  e-*        public exponents other than 65537 (3, 17, 257, 65539, 2^127-1)
  small-*    a prime factor <= 751 (2 is impossible: the modulus is odd)
             and the boundary 757 (the first prime above: accepted)
  fermat-*   |p - q| small enough for Fermat's method within 100 rounds
             (adjacent primes, 2^512, 2^514, 2^516 apart: about 1, 1, 3
             and 33 rounds) and just too far (2^517: about 130): accepted
  roca-*     both primes of the Infineon RSALib form k*M + (65537^a mod M),
             M the primorial of the primes up to 167 (refused); one prime
             of that form only (accepted: the modulus's residues are then
             not all powers of 65537)
  good-*     an ordinary key from the same generator
The keys named in KEYS are also written (NAME.key, PKCS#8, unencrypted).
"""
import os
import random
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# Also written as PKCS#8 keys (NAME.key), to be imported into a token.
KEYS = ("roca-both", "small-751", "fermat-adjacent")

SMALL = [p for p in range(2, 2000) if all(p % d for d in range(2, int(p ** .5) + 1))]


def is_prime(n, rng):
    if n < 2:
        return False
    for p in SMALL:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(12):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n, rng, e=65537):
    n |= 1
    while not (is_prime(n, rng) and (n - 1) % e != 0):
        n += 2
    return n


def rand_prime(bits, rng, e=65537):
    return next_prime(rng.getrandbits(bits) | (3 << (bits - 2)) | 1, rng, e)


def small_partner(f, rng):
    """A prime q with f*q exactly 2048 bits."""
    lo, hi = -(-(1 << 2047) // f), (1 << 2048) // f
    while True:
        q = next_prime(rng.randrange(lo, hi - (hi - lo) // 4), rng)
        if (f * q).bit_length() == 2048:
            return q


def key_of(p, q, e):
    n = p * q
    phi = (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    pub = rsa.RSAPublicNumbers(e, n)
    priv = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1),
                                 pow(q, -1, p), pub)
    try:
        # cryptography >= 39 validates the key unless told not to
        return priv.private_key(unsafe_skip_rsa_key_validation=True)
    except TypeError:
        # Debian 12's python3-cryptography 38 has no such argument
        return priv.private_key()


def csr(path, key, cn):
    req = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, hashes.SHA256()))
    with open(path, "wb") as f:
        f.write(req.public_bytes(serialization.Encoding.PEM))


def roca_prime(bits, rng):
    m = 1
    for p in SMALL:
        if p > 167:
            break
        m *= p
    while True:
        a = rng.randrange(1, 1 << 20)
        r = pow(65537, a, m)
        k = ((3 << (bits - 2)) + rng.getrandbits(bits - 2)) // m
        p = k * m + r
        if p >> (bits - 2) == 3 and (p - 1) % 65537 and is_prime(p, rng):
            return p


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20171016)
    rows = []

    def add(name, p, q, e, outcome, why):
        assert (p * q).bit_length() >= 2048, name
        key = key_of(p, q, e)
        csr(os.path.join(out, name + ".csr"), key, "lc-" + name)
        if name in KEYS:
            with open(os.path.join(out, name + ".key"), "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()))
        rows.append((name + ".csr", outcome, why))

    p, q = rand_prime(1024, rng), rand_prime(1024, rng)
    add("good-rsa2048", p, q, 65537, "accept", "")
    for e in (3, 17, 257, 65539, (1 << 127) - 1):
        pe = rand_prime(1024, rng, e)
        qe = rand_prime(1024, rng, e)
        add("e-%d" % e if e < 1 << 64 else "e-2p127-1", pe, qe, e, "refuse",
            "public exponent is %s, not 65537" %
            (e if e < 1 << 64 else "a 127-bit number"))
    for f in (3, 5, 7, 167, 751):
        big = small_partner(f, rng)
        add("small-%d" % f, f, big, 65537, "refuse",
            r"has a factor below 752 \(%d\)" % f)
    big = small_partner(757, rng)
    add("small-757", 757, big, 65537, "accept", "")
    # Fermat: (p+q)/2 - sqrt(n) ~ (p-q)^2 / (8 sqrt n) rounds.
    base = rand_prime(1024, rng)
    add("fermat-adjacent", base, next_prime(base + 2, rng), 65537, "refuse",
        "primes are too close")
    for sh, outcome in ((512, "refuse"), (514, "refuse"), (516, "refuse"),
                        (517, "accept")):
        add("fermat-2p%d" % sh, base, next_prime(base + (1 << sh), rng),
            65537, outcome, "primes are too close" if outcome == "refuse"
            else "")
    rp, rq = roca_prime(1024, rng), roca_prime(1024, rng)
    add("roca-both", rp, rq, 65537, "refuse", "ROCA fingerprint")
    add("roca-one", rp, rand_prime(1024, rng), 65537, "accept", "")
    rp3, rq3 = roca_prime(1536, rng), roca_prime(1536, rng)
    add("roca-3072", rp3, rq3, 65537, "refuse", "ROCA fingerprint")
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")


main()

"""Writes a certificate-only PFX the way .NET's X509Certificate2.Export(Pfx) does without a
password (dotnet/runtime UnixExportProvider): the cert bags in reverse order in one
pbeWithSHAAnd3-KeyTripleDES-CBC safe, an HMAC-SHA1 MAC, 2000 iterations, all keyed on the *null*
password (an empty P block in RFC 7292 Appendix B.2, not the "00 00" of the empty password).
This is what older Acmebot releases put in x5c. No .NET on these machines, so this independent
writer (Python, OpenSSL's 3DES) stands in for it; tests/tests/acmebot.rs runs it.

Usage: dotnet_pfx.py OUT.pfx CERT.der...
"""
import hashlib, hmac, os, sys
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body

def seq(*parts):
    return tlv(0x30, b"".join(parts))

def octets(b):
    return tlv(0x04, b)

def explicit0(b):
    return tlv(0xA0, b)

def integer(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))

def oid(text):
    arcs = [int(a) for a in text.split(".")]
    body = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)

def kdf(password, salt, kind, rounds, n, v=64):
    """RFC 7292 Appendix B.2 over SHA-1; password as formatted bytes (b"" = the null password)."""
    def fill(s):
        size = v * ((len(s) + v - 1) // v)
        return (s * (size // len(s) + 1))[:size] if s else b""
    i = bytearray(fill(salt) + fill(password))
    out = b""
    while True:
        a = hashlib.sha1(bytes([kind]) * v + bytes(i)).digest()
        for _ in range(rounds - 1):
            a = hashlib.sha1(a).digest()
        out += a
        if len(out) >= n:
            return out[:n]
        b = int.from_bytes((a * (v // len(a) + 1))[:v], "big")
        for j in range(0, len(i), v):
            x = (int.from_bytes(i[j:j + v], "big") + b + 1) % (1 << (8 * v))
            i[j:j + v] = x.to_bytes(v, "big")

NULL_PASSWORD = b""
ROUNDS = 2000
certs = [open(p, "rb").read() for p in sys.argv[2:]]
bags = b"".join(
    seq(oid("1.2.840.113549.1.12.10.1.3"),
        explicit0(seq(oid("1.2.840.113549.1.9.22.1"), explicit0(octets(c)))))
    for c in reversed(certs)
)
salt = os.urandom(8)
key = kdf(NULL_PASSWORD, salt, 1, ROUNDS, 24)
iv = kdf(NULL_PASSWORD, salt, 2, ROUNDS, 8)
padder = padding.PKCS7(64).padder()
plain = padder.update(seq(bags)) + padder.finalize()
encryptor = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
ciphertext = encryptor.update(plain) + encryptor.finalize()
alg = seq(oid("1.2.840.113549.1.12.1.3"), seq(octets(salt), integer(ROUNDS)))
eci = seq(oid("1.2.840.113549.1.7.1"), alg, tlv(0x80, ciphertext))
auth_safe = seq(seq(oid("1.2.840.113549.1.7.6"), explicit0(seq(integer(0), eci))))
mac_salt = os.urandom(20)
mac = hmac.new(kdf(NULL_PASSWORD, mac_salt, 3, ROUNDS, 20), auth_safe, hashlib.sha1).digest()
mac_data = seq(seq(seq(oid("1.3.14.3.2.26"), tlv(0x05, b"")), octets(mac)), octets(mac_salt), integer(ROUNDS))
pfx = seq(integer(3), seq(oid("1.2.840.113549.1.7.1"), explicit0(octets(auth_safe))), mac_data)
open(sys.argv[1], "wb").write(pfx)

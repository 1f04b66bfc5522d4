"""Encrypted key files: PKCS#8 ``EncryptedPrivateKeyInfo`` with scrypt, read back by pyca.

The file format is the standard one (RFC 5958 §3, PBES2 of RFC 8018 §6.2, scrypt as its key
derivation function per RFC 7914 §7), in PEM (``-----BEGIN ENCRYPTED PRIVATE KEY-----``)::

    EncryptedPrivateKeyInfo ::= SEQUENCE {
        encryptionAlgorithm  SEQUENCE { id-PBES2 (1.2.840.113549.1.5.13), PBES2-params SEQUENCE {
            keyDerivationFunc  SEQUENCE { id-scrypt (1.3.6.1.4.1.11591.4.11),
                                          SEQUENCE { salt OCTET STRING (16 bytes),
                                                     costParameter n, blockSize r,
                                                     parallelizationParameter p } },
            encryptionScheme   SEQUENCE { aes256-CBC (2.16.840.1.101.3.4.1.42),
                                          iv OCTET STRING (16 bytes) } } },
        encryptedData        OCTET STRING }  -- AES-256-CBC, PKCS#7 padding, of the PKCS#8 DER

pyca ``cryptography`` writes no scrypt PKCS#8 (its ``BestAvailableEncryption`` is PBKDF2 at
2,048 iterations), so :func:`encrypt_pkcs8` assembles the DER above around pyca's own scrypt
and AES; *reading* is pyca's ``load_pem_private_key`` (normative for key files), which reads
these files and the older PBKDF2 ones alike. :func:`kdf_of` reads the parameters back from a
file without the passphrase (``keys list``, ``keys rewrap`` and the tests use it).

Cost. :data:`KDF` (n = 2^17, r = 8, p = 1) needs 128 MiB and about 0.8 s to open one key file
on the machine the docs were written on (docs/keys.md gives the measurement and its command).
The test suite alone lowers it: ``OFFERLEDGER_INSECURE_TEST_KDF=1`` (set by
``tests/conftest.py``, honoured by nothing else unless someone sets it) makes new files use
:data:`TEST_KDF`. Every file states its own parameters, so any file opens whatever is set, and
``keys list`` shows a weak one; ``keys rewrap`` rewrites it with :data:`KDF`.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "DEMO_KDF",
    "KDF",
    "MIN_PBKDF2_ITERATIONS",
    "TEST_KDF",
    "TEST_KDF_ENV",
    "KdfParams",
    "KeyFileFormatError",
    "encrypt_pkcs8",
    "kdf_of",
    "read_kdf",
    "write_kdf",
]

TEST_KDF_ENV = "OFFERLEDGER_INSECURE_TEST_KDF"
MIN_PBKDF2_ITERATIONS = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256


@dataclass(frozen=True, slots=True)
class KdfParams:
    """How a key file derives its encryption key from the passphrase."""

    kdf: str  # "scrypt" | "pbkdf2" | what else the file names (dotted OID)
    n: int | None = None  # scrypt cost
    r: int | None = None  # scrypt block size
    p: int | None = None  # scrypt parallelization
    iterations: int | None = None  # PBKDF2
    prf: str | None = None  # PBKDF2's hash: "hmac-sha256", "hmac-sha1", ...
    cipher: str = "aes-256-cbc"

    def strong(self) -> bool:
        """At least scrypt n = 2^17, r = 8 (128 MiB), or PBKDF2 with 600,000 iterations."""
        if self.kdf == "scrypt":
            return (self.n or 0) * (self.r or 0) >= 2**17 * 8
        return self.kdf == "pbkdf2" and (self.iterations or 0) >= MIN_PBKDF2_ITERATIONS

    def describe(self) -> str:
        """``scrypt n=131072 r=8 p=1`` or ``pbkdf2 hmac-sha256 2048 iterations``."""
        if self.kdf == "scrypt":
            return f"scrypt n={self.n} r={self.r} p={self.p}, {self.cipher}"
        if self.kdf == "pbkdf2":
            return f"pbkdf2 {self.prf} {self.iterations} iterations, {self.cipher}"
        return f"{self.kdf}, {self.cipher}"


KDF = KdfParams("scrypt", n=2**17, r=8, p=1)
"""What new key files use: scrypt n = 2^17, r = 8, p = 1 (128 MiB, about 0.8 s per open)."""
TEST_KDF = KdfParams("scrypt", n=2**10, r=8, p=1)
"""For the test suite only (``OFFERLEDGER_INSECURE_TEST_KDF=1``): 1 MiB, a few milliseconds."""
DEMO_KDF = TEST_KDF
"""The demo's key files: its keys come from a public seed, so a costly KDF protects nothing."""


def write_kdf() -> KdfParams:
    """The parameters for a new key file: :data:`KDF`, unless the test suite lowered them."""
    return TEST_KDF if os.environ.get(TEST_KDF_ENV) == "1" else KDF


class KeyFileFormatError(ValueError):
    """The bytes are not a PEM ``EncryptedPrivateKeyInfo`` whose parameters this module reads."""


# --- DER, the little of it a PKCS#8 envelope needs ------------------------------------------

_PBES2 = "1.2.840.113549.1.5.13"
_SCRYPT = "1.3.6.1.4.1.11591.4.11"
_PBKDF2 = "1.2.840.113549.1.5.12"
_AES256_CBC = "2.16.840.1.101.3.4.1.42"
_CIPHERS = {_AES256_CBC: "aes-256-cbc", "2.16.840.1.101.3.4.1.2": "aes-128-cbc"}
_PRFS = {
    "1.2.840.113549.2.7": "hmac-sha1",
    "1.2.840.113549.2.9": "hmac-sha256",
    "1.2.840.113549.2.11": "hmac-sha512",
}
_SEQUENCE, _INTEGER, _OCTETS, _OID = 0x30, 0x02, 0x04, 0x06
_PEM_LABEL = "ENCRYPTED PRIVATE KEY"


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _seq(*parts: bytes) -> bytes:
    return _tlv(_SEQUENCE, b"".join(parts))


def _int(value: int) -> bytes:
    return _tlv(_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    out = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        out += bytes(reversed(chunk))
    return _tlv(_OID, bytes(out))


def _read(data: bytes, at: int = 0) -> tuple[int, bytes, int]:
    """(tag, contents, offset after) of the DER element at ``at``."""
    if at + 2 > len(data):
        raise KeyFileFormatError("truncated DER")
    tag, size, at = data[at], data[at + 1], at + 2
    if size & 0x80:
        count = size & 0x7F
        if not 0 < count <= 4 or at + count > len(data):
            raise KeyFileFormatError("bad DER length")
        size, at = int.from_bytes(data[at : at + count], "big"), at + count
    if at + size > len(data):
        raise KeyFileFormatError("truncated DER")
    return tag, data[at : at + size], at + size


def _items(data: bytes, tag: int = _SEQUENCE) -> list[tuple[int, bytes]]:
    """The elements inside a constructed element of type ``tag``."""
    found, body, _ = _read(data)
    if found != tag:
        raise KeyFileFormatError(f"expected DER tag {tag:#x}, found {found:#x}")
    items, at = [], 0
    while at < len(body):
        item_tag, _, end = _read(body, at)
        items.append((item_tag, body[at:end]))
        at = end
    return items


def _oid_text(element: bytes) -> str:
    tag, body, _ = _read(element)
    if tag != _OID or not body:
        raise KeyFileFormatError("expected an OBJECT IDENTIFIER")
    first = min(body[0] // 40, 2)
    arcs, value = [first, body[0] - 40 * first], 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(arc) for arc in arcs)


def _int_value(element: bytes) -> int:
    tag, body, _ = _read(element)
    if tag != _INTEGER:
        raise KeyFileFormatError("expected an INTEGER")
    return int.from_bytes(body, "big", signed=True)


# --- writing and reading the parameters ------------------------------------------------------


def encrypt_pkcs8(*, key: Ed25519PrivateKey, passphrase: bytes, kdf: KdfParams) -> bytes:
    """The PEM of ``key`` encrypted under ``passphrase`` with scrypt ``kdf`` and AES-256-CBC."""
    if kdf.kdf != "scrypt" or not (kdf.n and kdf.r and kdf.p):
        raise ValueError(f"offerledger writes scrypt key files, not {kdf.describe()}")
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
    secret = Scrypt(salt=salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    scrypt_params = _seq(_tlv(_OCTETS, salt), _int(kdf.n), _int(kdf.r), _int(kdf.p))
    algorithm = _seq(
        _oid(_PBES2),
        _seq(_seq(_oid(_SCRYPT), scrypt_params), _seq(_oid(_AES256_CBC), _tlv(_OCTETS, iv))),
    )
    der = _seq(algorithm, _tlv(_OCTETS, encrypted))
    text = base64.b64encode(der).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    pem = [f"-----BEGIN {_PEM_LABEL}-----", *lines, f"-----END {_PEM_LABEL}-----", ""]
    return "\n".join(pem).encode()


def kdf_of(pem: bytes) -> KdfParams:
    """The key derivation parameters a PEM encrypted PKCS#8 file states (no passphrase needed).

    Raises :class:`KeyFileFormatError` for anything else (an unencrypted key, garbage).
    """
    text = pem.decode("ascii", "replace")
    begin, end = f"-----BEGIN {_PEM_LABEL}-----", f"-----END {_PEM_LABEL}-----"
    if begin not in text or end not in text:
        raise KeyFileFormatError("not a PEM encrypted private key")
    body = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except binascii.Error as e:
        raise KeyFileFormatError(f"bad base64 ({e})") from None
    (_, algorithm), _data = _items(der)
    scheme, params = _items(algorithm)
    if _oid_text(scheme[1]) != _PBES2:
        return KdfParams(_oid_text(scheme[1]), cipher="(PBES1)")
    (_, kdf_alg), (_, enc_alg) = _items(params[1])
    kdf_oid, kdf_params = _items(kdf_alg)
    cipher = _CIPHERS.get(_oid_text(_items(enc_alg)[0][1]), _oid_text(_items(enc_alg)[0][1]))
    name = _oid_text(kdf_oid[1])
    fields = _items(kdf_params[1])
    if name == _SCRYPT:
        n, r, p = (_int_value(element) for _, element in fields[1:4])
        return KdfParams("scrypt", n=n, r=r, p=p, cipher=cipher)
    if name == _PBKDF2:
        iterations = _int_value(fields[1][1])
        prf = "hmac-sha1"  # the DEFAULT of PBKDF2-params
        for tag, element in fields[2:]:
            if tag == _SEQUENCE:
                oid = _oid_text(_items(element)[0][1])
                prf = _PRFS.get(oid, oid)
        return KdfParams("pbkdf2", iterations=iterations, prf=prf, cipher=cipher)
    return KdfParams(name, cipher=cipher)


def read_kdf(path: Path) -> KdfParams | None:
    """The parameters of the key file at ``path``; None if it cannot be read or parsed."""
    try:
        return kdf_of(path.read_bytes())
    except (OSError, KeyFileFormatError):
        return None

"""Ed25519 keys: generation, signing, verification, registration checks and the keystore.

pyca ``cryptography`` is normative for key generation, key files and signing. Ed25519
signatures are deterministic, so :meth:`SigningKey.sign` lets libsodium (PyNaCl) compute them —
about 25 % faster here — and ``tests/test_keys.py`` checks that pyca and libsodium produce the
same bytes for the RFC 8032 vectors and for random keys and messages.

Private keys live in encrypted PKCS#8 PEM files, mode 0600, one per key, named
``<key id>.pem`` in a keystore folder (mode 0700). The passphrase comes from
``OFFERLEDGER_KEY_PASSPHRASE`` or a terminal prompt.

Verification uses libsodium (:func:`verify_signature`, about 1.6 times as fast as pyca). The
two libraries disagree on edge cases (small-order R or A, non-canonical A; see
``tests/test_speccheck.py``), so the project's decision never depends on the library:

* :func:`check_public_key`, run when a key is registered, accepts only canonical encodings of
  points in the prime-order subgroup — no small-order point in any encoding, no small-order
  component, nothing off the curve;
* :func:`verify_signature_pyca` applies libsodium's own pre-checks (S < L, R and A not of small
  order, A canonical) before pyca's verify, so both functions have one contract.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import NewType

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from offerledger.errors import KeyFileError, KeyNotFound, PublicKeyRejected, SignatureInvalid
from offerledger.signing import _edwards

__all__ = [
    "PASSPHRASE_ENV",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "KeyId",
    "Keystore",
    "SigningKey",
    "check_public_key",
    "generate_signing_key",
    "key_id_for",
    "load_key_file",
    "passphrase_from_env_or_prompt",
    "verify_signature",
    "verify_signature_pyca",
    "write_key_file",
]

KeyId = NewType("KeyId", str)
"""Lowercase hex SHA-256 of the 32-byte raw Ed25519 public key (64 characters)."""

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
PASSPHRASE_ENV = "OFFERLEDGER_KEY_PASSPHRASE"
_MIN_PREFIX = 8


def key_id_for(*, public_key: bytes) -> KeyId:
    """The key id of a raw 32-byte Ed25519 public key: hex SHA-256 of its bytes."""
    return KeyId(hashlib.sha256(public_key).hexdigest())


class SigningKey:
    """An Ed25519 private key, loaded once and trusted afterwards.

    Never printed: ``repr`` shows the key id only.
    """

    __slots__ = ("_key_id", "_nacl_secret", "_private", "_public")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key().public_bytes_raw()
        self._key_id = key_id_for(public_key=self._public)
        # libsodium's 64-byte secret key is seed || public key.
        self._nacl_secret = private_key.private_bytes_raw() + self._public

    @classmethod
    def from_seed(cls, *, seed: bytes) -> SigningKey:
        """The key for a 32-byte RFC 8032 secret (seed); for test vectors and key files."""
        if len(seed) != 32:
            raise ValueError(f"an Ed25519 seed has 32 bytes, not {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return self._public

    @property
    def key_id(self) -> KeyId:
        """Hex SHA-256 of the public key."""
        return self._key_id

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The pyca key object (for writing the encrypted key file)."""
        return self._private

    def sign(self, *, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``, by pyca (normative for signing)."""
        return self._private.sign(message)

    def sign_libsodium(self, *, message: bytes) -> bytes:
        """The same signature computed by libsodium (tests show the two are byte-identical)."""
        return nacl.bindings.crypto_sign(message, self._nacl_secret)[:SIGNATURE_SIZE]

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self._key_id!r})"


def generate_signing_key() -> SigningKey:
    """A new random Ed25519 key (pyca, from the operating system's CSPRNG)."""
    return SigningKey(Ed25519PrivateKey.generate())


def check_public_key(*, public_key: bytes) -> None:
    """Accept only a canonical 32-byte encoding of a point of prime order; else raise.

    Refused (``PublicKeyRejected``): a wrong length; a non-canonical encoding (y >= p, or x = 0
    with the sign bit set); bytes that are not a curve point; any encoding of the eight
    small-order points; a point with a small-order component. Keys generated by any correct
    Ed25519 implementation always pass. Takes about 2 ms: run it at registration, not per event.
    """
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise PublicKeyRejected(
            f"an Ed25519 public key has {PUBLIC_KEY_SIZE} bytes, not {len(public_key)}",
            field="public_key",
        )
    if _edwards.is_small_order_encoding(public_key):
        problem: _edwards.PointProblem | None = _edwards.PointProblem.SMALL_ORDER
    else:
        problem = _edwards.point_problem(public_key)
    if problem is not None:
        raise PublicKeyRejected(
            f"public key {public_key.hex()} is refused: {problem.value}",
            field="public_key",
            hint="register a key generated by `offerledger keys create` (or any Ed25519 "
            "implementation); crafted keys are refused",
        )


def _check_sizes(public_key: bytes, signature: bytes) -> None:
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        raise SignatureInvalid(
            f"an Ed25519 signature has {SIGNATURE_SIZE} bytes and a public key "
            f"{PUBLIC_KEY_SIZE}; got {len(signature)} and {len(public_key)}"
        )


def _failed(public_key: bytes) -> SignatureInvalid:
    return SignatureInvalid(
        f"the Ed25519 signature does not verify under key {key_id_for(public_key=public_key)}"
    )


def verify_signature(*, public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify with libsodium (strict: S < L, R and A not small-order, A canonical) or raise."""
    _check_sizes(public_key, signature)
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.BadSignatureError:
        raise _failed(public_key) from None


def _passes_libsodium_prechecks(public_key: bytes, signature: bytes) -> bool:
    s = int.from_bytes(signature[32:], "little")
    return (
        s < _edwards.L
        and not _edwards.is_small_order_encoding(signature[:32])
        and _edwards.is_canonical_y(public_key)
        and not _edwards.is_small_order_encoding(public_key)
    )


def verify_signature_pyca(*, public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify with pyca under the same contract as :func:`verify_signature`, or raise."""
    _check_sizes(public_key, signature)
    if not _passes_libsodium_prechecks(public_key, signature):
        raise _failed(public_key)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        raise _failed(public_key) from None


# --- encrypted key files ------------------------------------------------------------------


def write_key_file(*, path: Path, key: SigningKey, passphrase: bytes) -> None:
    """Write ``key`` as passphrase-encrypted PKCS#8 PEM, mode 0600; never overwrite a file.

    The file appears complete or not at all: the PEM goes to a fresh temporary file (created
    with ``O_CREAT | O_EXCL``, mode 0600) which is then hard-linked to ``path`` (the link fails
    if ``path`` exists) and unlinked.
    """
    if not passphrase:
        raise KeyFileError(
            "refusing to write an unencrypted key: the passphrase is empty", path=path
        )
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temporary, path)
    except FileExistsError:
        raise KeyFileError(
            "the key file already exists; refusing to overwrite it", path=path
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot write the key file: {exc.strerror}", path=path) from exc
    finally:
        temporary.unlink(missing_ok=True)


def load_key_file(*, path: Path, passphrase: bytes) -> SigningKey:
    """Read and decrypt an Ed25519 key file written by :func:`write_key_file`, or raise.

    Refuses a file that group or others may read or write, an unencrypted file, a wrong
    passphrase, garbage and keys of another type; every error names the file.
    """
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if mode & 0o077:
                raise KeyFileError(
                    f"the key file is accessible by group or others (mode "
                    f"{stat.S_IMODE(mode):04o}); refusing to use it",
                    path=path,
                    hint=f"run: chmod 600 {path}",
                )
            data = handle.read()
    except FileNotFoundError:
        raise KeyFileError("no such key file", path=path) from None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file: {exc.strerror}", path=path) from exc
    try:
        loaded = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:  # pyca: the file is not encrypted (or needs no password)
        raise KeyFileError(
            "the key file is not encrypted; offerledger only uses passphrase-encrypted keys",
            path=path,
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            "cannot decrypt the key file: wrong passphrase, or not an encrypted PKCS#8 PEM key",
            path=path,
            hint=f"check {PASSPHRASE_ENV}",
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError(
            f"the key file holds a {type(loaded).__name__}, not an Ed25519 key", path=path
        )
    return SigningKey(loaded)


class Keystore:
    """A folder of encrypted key files, one per key, named ``<key id>.pem`` (folder mode 0700)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, key_id: KeyId) -> Path:
        """Where the key file of ``key_id`` lives (whether or not it exists)."""
        return self.folder / f"{key_id}.pem"

    def save(self, *, key: SigningKey, passphrase: bytes) -> Path:
        """Write ``key`` to its file (creating the folder, mode 0700); return the path."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=False)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KeyFileError(
                f"cannot create the keystore: {exc.strerror}", path=self.folder
            ) from exc
        path = self.path_for(key.key_id)
        write_key_file(path=path, key=key, passphrase=passphrase)
        return path

    def key_ids(self) -> list[KeyId]:
        """The key ids with a key file here, sorted; empty if the folder does not exist."""
        if not self.folder.is_dir():
            return []
        return sorted(
            KeyId(entry.stem)
            for entry in self.folder.iterdir()
            if entry.suffix == ".pem" and _is_key_id(entry.stem)
        )

    def resolve(self, key_id: str) -> KeyId:
        """The full key id for ``key_id`` or an unambiguous prefix of at least 8 hex digits."""
        wanted = key_id.lower()
        if len(wanted) < _MIN_PREFIX or not _is_hex(wanted):
            raise KeyNotFound(
                f"{key_id!r} is not a key id or a prefix of at least {_MIN_PREFIX} hex digits",
                path=self.folder,
            )
        matches = [known for known in self.key_ids() if known.startswith(wanted)]
        if not matches:
            raise KeyNotFound(
                f"no key {key_id} in this keystore",
                path=self.folder,
                hint=f"keys here: {', '.join(k[:12] for k in self.key_ids()) or 'none'}",
            )
        if len(matches) > 1:
            raise KeyNotFound(
                f"key id prefix {key_id} is ambiguous: {', '.join(matches)}",
                path=self.folder,
                hint="give more digits of the key id",
            )
        return matches[0]

    def load(self, *, key_id: str, passphrase: bytes) -> SigningKey:
        """Load the key ``key_id`` (or prefix); its file must hold exactly that key."""
        full = self.resolve(key_id)
        path = self.path_for(full)
        key = load_key_file(path=path, passphrase=passphrase)
        if key.key_id != full:
            raise KeyFileError(f"the file holds key {key.key_id}, not {full}", path=path)
        return key


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in text)


def _is_key_id(text: str) -> bool:
    return len(text) == 64 and _is_hex(text)


def passphrase_from_env_or_prompt(*, prompt: bool) -> bytes:
    """The key passphrase from ``OFFERLEDGER_KEY_PASSPHRASE``, else a terminal prompt if allowed."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env.encode("utf-8")
    if prompt and sys.stdin is not None and sys.stdin.isatty():
        entered = getpass.getpass("Key passphrase: ")
        if entered:
            return entered.encode("utf-8")
    raise KeyFileError(
        f"no key passphrase: set {PASSPHRASE_ENV}"
        + (" or run in a terminal to be prompted" if prompt else ""),
        hint=f"export {PASSPHRASE_ENV}=... (it decrypts the key files in the keystore)",
    )

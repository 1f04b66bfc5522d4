"""Ed25519 keys and signatures: generation, signing, verification, registration checks.

pyca ``cryptography`` is normative for key generation and signing. Ed25519 signatures are
deterministic, so :meth:`SigningKey.sign_libsodium` computes the same bytes with libsodium
(PyNaCl); ``tests/test_keys.py`` checks that pyca and libsodium produce the same bytes for the
RFC 8032 vectors and for random keys and messages.

Verification uses libsodium (:func:`verify_signature`, about 1.6 times as fast as pyca). The
two libraries disagree on edge cases (small-order R or A, non-canonical A; see
``tests/test_speccheck.py``), so the project's decision never depends on the library:

* :func:`check_public_key`, run when a key is registered, is libsodium's
  ``crypto_core_ed25519_is_valid_point``: only canonical encodings of points in the prime-order
  subgroup pass — no small-order point in any encoding, no small-order component, nothing off
  the curve;
* :func:`verify_signature_pyca` applies libsodium's own pre-checks (S < L, R and A not of small
  order, A canonical) before pyca's verify, so both functions have one contract.

No curve arithmetic is written here: where a check needs a point operation it calls libsodium.
"""

from __future__ import annotations

import hashlib
from typing import NewType

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from offerledger.errors import PublicKeyRejected, SignatureInvalid

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "KeyId",
    "SigningKey",
    "check_public_key",
    "generate_signing_key",
    "key_id_for",
    "rotation_message",
    "verify_signature",
    "verify_signature_pyca",
]

KeyId = NewType("KeyId", str)
"""Lowercase hex SHA-256 of the 32-byte raw Ed25519 public key (64 characters)."""

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
ROTATION_PREFIX = b"offerledger/root-rotation/v1\n"
_P = 2**255 - 19  # the field prime: an encoding's y must be below it (libsodium's is_canonical)
_L = 2**252 + 27742317777372353535851937790883648493  # the prime order: S must be below it
_IDENTITY = (1).to_bytes(32, "little")


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


# --- public-key registration checks: libsodium's --------------------------------------------


def _has_small_order(point: bytes) -> bool:
    """libsodium's arithmetic: ``point`` decodes (in any encoding) and 8·point is the identity.

    The same set as libsodium's ``ge25519_has_small_order`` list (tests/test_keys.py).
    """
    try:
        for _ in range(3):
            point = nacl.bindings.crypto_core_ed25519_add(point, point)
    except RuntimeError:  # libsodium: not a point on the curve
        return False
    return point == _IDENTITY


def _is_canonical(encoding: bytes) -> bool:
    """libsodium's ``ge25519_is_canonical``: the 255-bit y field is below p."""
    return int.from_bytes(encoding, "little") & ((1 << 255) - 1) < _P


def _why_refused(public_key: bytes) -> str:
    """Why libsodium refused ``public_key``, in words (the decision itself is libsodium's)."""
    if _has_small_order(public_key):
        return "a small-order point (order 1, 2, 4 or 8)"
    if not _is_canonical(public_key):
        return "non-canonical encoding (y >= p, or x = 0 with the sign bit set)"
    try:
        nacl.bindings.crypto_core_ed25519_add(public_key, public_key)
    except RuntimeError:
        return "not a point on the Ed25519 curve"
    return "not in the prime-order subgroup (it has a small-order component)"


def check_public_key(*, public_key: bytes) -> None:
    """Accept only a canonical 32-byte encoding of a point of prime order; else raise.

    The decision is libsodium's ``crypto_core_ed25519_is_valid_point``. Refused
    (``PublicKeyRejected``): a wrong length; a non-canonical encoding (y >= p); bytes that are
    not a curve point; any encoding of the eight small-order points; a point with a small-order
    component. Keys generated by any correct Ed25519 implementation always pass. Takes about
    0.15 ms: run it at registration, not per event.
    """
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise PublicKeyRejected(
            f"an Ed25519 public key has {PUBLIC_KEY_SIZE} bytes, not {len(public_key)}",
            field="public_key",
        )
    if nacl.bindings.crypto_core_ed25519_is_valid_point(public_key):
        return
    raise PublicKeyRejected(
        f"public key {public_key.hex()} is refused: {_why_refused(public_key)}",
        field="public_key",
        hint="register a key generated by `offerledger keys create` (or any Ed25519 "
        "implementation); crafted keys are refused",
    )


# --- signatures ------------------------------------------------------------------------------


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
    return (
        int.from_bytes(signature[32:], "little") < _L
        and not _has_small_order(signature[:32])
        and _is_canonical(public_key)
        and not _has_small_order(public_key)
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


def rotation_message(*, prev: str, old_key_id: str, new_key_id: str) -> bytes:
    """What a new root key signs to take a ledger over (``RootKeyRotated.new_root_signature``).

    ``ROTATION_PREFIX`` followed by the raw bytes of the rotation event's ``prev`` (the SHA-256
    of the keys stream's previous envelope, which pins this ledger and this point of it), the
    old root's key id and the new root's key id: 29 + 3 × 32 bytes. ValueError if one of them is
    not 64 hex digits.
    """
    parts = [bytes.fromhex(value) for value in (prev, old_key_id, new_key_id)]
    if any(len(part) != 32 for part in parts):
        raise ValueError("prev and both key ids must be 64 hex digits")
    return ROTATION_PREFIX + b"".join(parts)

"""The stored envelope: the signed body, its signature, key id and the save it belongs to.

``state`` column = RFC 8785 canonical JSON of (format version 2)::

    {"body": "<canonical JSON of header and payload>", "key_id": "<hex>",
     "save": {"log_size": L, "log_root": "<base64>", "index": i, "size": n,
              "path": ["<base64>", ...], "salt": "<base64 of 16 random bytes>"},
     "sig": "<base64 Ed25519 signature>", "v": 2}

Every signature covers one *save* (one signer's events stored together): the RFC 9162 Merkle
root of its ``n`` salted body hashes (leaf ``SHA-256(0x00 ‖ SHA-256(salt ‖ body))``, the salt 16
random bytes of the event's own, so an audit path handed out with one event confirms no guess
about another's body), *and* the head of the global log that the save
extends (``L`` events with root ``log_root`` before it), so the positions ``L + i`` its events
take in the log are signed too. Each envelope carries its index and audit path in the save, so
every event still verifies alone. :func:`signed_message` is the one function that makes the
bytes that get signed::

    "offerledger/save/v2\n" ‖ u64be(L) ‖ log_root ‖ u64be(n) ‖ save_root
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from offerledger.errors import EnvelopeUndecodable
from offerledger.events import HEADER_FIELDS, LedgerEvent, header_of
from offerledger.integrity.merkle import audit_paths, leaf_hash, merkle_root, root_from_audit_path
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, verify_signature

FORMAT_VERSION = 2
SAVE_PREFIX = b"offerledger/save/v2\n"
MAX_U64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class SaveProof:
    """Where an event sits: the log head its save extends, its index and path in the save."""

    log_size: int
    log_root: bytes
    index: int
    size: int
    path: tuple[bytes, ...]
    salt: bytes

    def save_root(self, body: bytes) -> bytes:
        """The save's Merkle root that ``body`` at :attr:`index` and :attr:`path` lead to."""
        return root_from_audit_path(
            leaf_hash=save_leaf(salt=self.salt, body=body),
            index=self.index,
            size=self.size,
            path=self.path,
        )


@dataclass(frozen=True, slots=True)
class Envelope:
    body: bytes
    key_id: str
    signature: bytes
    save: SaveProof

    def header_and_payload(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Decode the body (raises EnvelopeUndecodable on anything malformed)."""
        header, payload, _ = self.decoded()
        return header, payload

    def decoded(self) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """Header, payload and the whole decoded body (for the canonical re-encoding check)."""
        try:
            decoded = orjson.loads(self.body)
            header, payload = decoded["header"], decoded["payload"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            raise EnvelopeUndecodable(f"event body does not decode: {e}") from e
        if not isinstance(header, dict) or not isinstance(payload, dict):
            raise EnvelopeUndecodable("event body has no header and payload objects")
        return header, payload, decoded


def body_hash(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


SALT_SIZE = 16


def new_salt() -> bytes:
    """A save leaf's salt: 16 random bytes (tests that need fixed bytes replace this)."""
    return os.urandom(SALT_SIZE)


def save_leaf(*, salt: bytes, body: bytes) -> bytes:
    """An event's leaf in its save's tree: SHA-256(0x00 ‖ SHA-256(salt ‖ body))."""
    return leaf_hash(hashlib.sha256(salt + body).digest())


def envelope_hash(state: bytes) -> str:
    """The hash a successor's ``prev`` names: SHA-256 of the stored envelope, hex."""
    return hashlib.sha256(state).hexdigest()


def body_for(event: LedgerEvent, *, prev: str | None) -> bytes:
    """The canonical bytes of an event's header and payload (what gets signed)."""
    payload = event.model_dump(mode="json", exclude=set(HEADER_FIELDS))
    return canonical_json({"header": header_of(event, prev=prev), "payload": payload})


def save_message(*, log_size: int, log_root: bytes, size: int, save_root: bytes) -> bytes:
    """The bytes a save's signature covers (see the module docstring)."""
    if not (0 <= log_size <= MAX_U64 and 1 <= size <= MAX_U64):
        raise EnvelopeUndecodable(f"log size {log_size} or save size {size} is out of range")
    if len(log_root) != 32 or len(save_root) != 32:
        raise EnvelopeUndecodable("a log root or save root is not 32 bytes")
    return (
        SAVE_PREFIX + log_size.to_bytes(8, "big") + log_root + size.to_bytes(8, "big") + save_root
    )


def signed_message(*, body: bytes, save: SaveProof) -> bytes:
    """The bytes the signature of the event with ``body`` covers (raises ProofInvalid when its
    audit path does not fit the save's size)."""
    return save_message(
        log_size=save.log_size,
        log_root=save.log_root,
        size=save.size,
        save_root=save.save_root(body),
    )


def sign_bodies(
    *, bodies: Sequence[bytes], signer: SigningKey, log_size: int, log_root: bytes
) -> list[bytes]:
    """Sign one save's bodies, extending the log head (``log_size``, ``log_root``): one
    signature for all of them; returns the envelopes in order."""
    salts = [new_salt() for _ in bodies]
    leaves = [save_leaf(salt=salt, body=b) for salt, b in zip(salts, bodies, strict=True)]
    save_root = merkle_root(leaves)
    paths = audit_paths(leaves) if len(leaves) > 1 else [[]]
    message = save_message(
        log_size=log_size, log_root=log_root, size=len(leaves), save_root=save_root
    )
    sig64 = base64.b64encode(signer.sign(message=message)).decode()
    root64 = base64.b64encode(log_root).decode()
    b64: dict[bytes, str] = {}  # audit paths share most of their nodes
    out = []
    for index, (body, proof, salt) in enumerate(zip(bodies, paths, salts, strict=True)):
        path = []
        for node in proof:
            if node not in b64:
                b64[node] = base64.b64encode(node).decode()
            path.append(b64[node])
        save = {
            "log_size": log_size,
            "log_root": root64,
            "index": index,
            "size": len(leaves),
            "path": path,
            "salt": base64.b64encode(salt).decode(),
        }
        # Every key is ASCII and every value a string or a small int, the class in which
        # orjson's sorted output is RFC 8785 (tests/test_canonical.py proves it): no walk needed.
        envelope = {
            "body": body.decode(),
            "key_id": signer.key_id,
            "save": save,
            "sig": sig64,
            "v": FORMAT_VERSION,
        }
        out.append(orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS))
    return out


def envelope_bytes(envelope: Envelope) -> bytes:
    """The canonical stored form of ``envelope``: the only bytes verify accepts for it."""
    b64 = base64.b64encode
    save = envelope.save
    return orjson.dumps(
        {
            "body": envelope.body.decode(),
            "key_id": envelope.key_id,
            "save": {
                "log_size": save.log_size,
                "log_root": b64(save.log_root).decode(),
                "index": save.index,
                "size": save.size,
                "path": [b64(node).decode() for node in save.path],
                "salt": b64(save.salt).decode(),
            },
            "sig": b64(envelope.signature).decode(),
            "v": FORMAT_VERSION,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_U64:
        raise ValueError(f"{value!r} is not an integer in 0..2**64-1")
    return value


def parse_envelope(state: bytes) -> Envelope:
    """Decode a stored envelope; anything malformed raises EnvelopeUndecodable."""
    try:
        raw = orjson.loads(state)
        if set(raw) != {"body", "key_id", "save", "sig", "v"}:
            raise ValueError("unexpected envelope fields")
        if type(raw["v"]) is not int or raw["v"] != FORMAT_VERSION:
            raise ValueError(f"envelope format {raw['v']!r}, this reader knows {FORMAT_VERSION}")
        body = raw["body"].encode()
        key_id = raw["key_id"]
        signature = base64.b64decode(raw["sig"], validate=True)
        save = raw["save"]
        if set(save) != {"log_size", "log_root", "index", "size", "path", "salt"}:
            raise ValueError("unexpected save fields")
        proof = SaveProof(
            log_size=_int(save["log_size"]),
            log_root=base64.b64decode(save["log_root"], validate=True),
            index=_int(save["index"]),
            size=_int(save["size"]),
            path=tuple(base64.b64decode(h, validate=True) for h in save["path"]),
            salt=base64.b64decode(save["salt"], validate=True),
        )
        if len(proof.salt) != SALT_SIZE:
            raise ValueError(f"the save salt has {len(proof.salt)} bytes, not {SALT_SIZE}")
        if not isinstance(key_id, str):
            raise ValueError("the key id is not a string")
    except (
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        binascii.Error,
    ) as e:
        raise EnvelopeUndecodable(f"stored state is not an offerledger envelope: {e}") from e
    return Envelope(body=body, key_id=key_id, signature=signature, save=proof)


def verify_envelope(*, envelope: Envelope, public_key: bytes) -> None:
    """Verify the envelope's signature with the key it names (raise SignatureInvalid)."""
    message = signed_message(body=envelope.body, save=envelope.save)
    verify_signature(public_key=public_key, message=message, signature=envelope.signature)

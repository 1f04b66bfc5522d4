"""The stored envelope: the signed body, its signature, key id and (for a batch) its audit path.

``state`` column = RFC 8785 canonical JSON of::

    {"body": "<canonical JSON of header and payload: the bytes signed>",
     "key_id": "<hex>", "sig": "<base64 Ed25519 signature>",
     "batch": null | {"root": b64, "index": i, "size": n, "path": [b64, ...]}}

A signature covers one body, or one actor's save of several events as the RFC 9162 Merkle root
of their body hashes; every envelope then carries the root's signature, its index and audit
path, so each event still verifies alone. :func:`signed_message` is the one function that makes
the bytes that get signed, for both forms.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from offerledger.errors import EnvelopeUndecodable, SignatureInvalid
from offerledger.events import HEADER_FIELDS, LedgerEvent
from offerledger.integrity.merkle import audit_paths, leaf_hash, merkle_root, root_from_audit_path
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, verify_signature

BATCH_PREFIX = b"offerledger/batch/v1\n"


@dataclass(frozen=True, slots=True)
class BatchProof:
    root: bytes
    index: int
    size: int
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Envelope:
    body: bytes
    key_id: str
    signature: bytes
    batch: BatchProof | None

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


def envelope_hash(state: bytes) -> str:
    """The hash a successor's ``prev`` names: SHA-256 of the stored envelope, hex."""
    return hashlib.sha256(state).hexdigest()


def body_for(event: LedgerEvent, *, prev: str | None) -> bytes:
    """The canonical bytes of an event's header and payload (what gets signed)."""
    dumped = event.model_dump(mode="json")
    header = {
        "stream": dumped["originator_id"],
        "version": dumped["originator_version"],
        "topic": event.TOPIC,
        "effective": dumped["effective"],
        "recorded": dumped["recorded"],
        "actor": dumped["actor"],
        "key_id": dumped["key_id"],
        "prev": prev,
    }
    payload = {k: v for k, v in dumped.items() if k not in HEADER_FIELDS}
    return canonical_json({"header": header, "payload": payload})


def signed_message(*, body: bytes, batch: BatchProof | None) -> bytes:
    """The bytes a signature covers: the body itself, or the batch root its audit path gives."""
    if batch is None:
        return body
    root = root_from_audit_path(
        leaf_hash=leaf_hash(body_hash(body)), index=batch.index, size=batch.size, path=batch.path
    )
    if root != batch.root:
        raise SignatureInvalid("the audit path does not lead to the batch root the envelope names")
    return BATCH_PREFIX + root


def sign_bodies(*, bodies: Sequence[bytes], signer: SigningKey) -> list[bytes]:
    """Sign one save's bodies (one signature for all of them) and return the envelopes."""
    if len(bodies) == 1:
        proofs: list[BatchProof | None] = [None]
    else:
        leaves = [leaf_hash(body_hash(b)) for b in bodies]
        root = merkle_root(leaves)
        proofs = [
            BatchProof(root, i, len(leaves), tuple(path))
            for i, path in enumerate(audit_paths(leaves))
        ]
    signature = signer.sign(message=signed_message(body=bodies[0], batch=proofs[0]))
    sig64 = base64.b64encode(signature).decode()
    root64 = base64.b64encode(proofs[0].root).decode() if proofs[0] is not None else ""
    b64: dict[bytes, str] = {}  # audit paths share most of their nodes
    out = []
    for body, proof in zip(bodies, proofs, strict=True):
        batch = None
        if proof is not None:
            path = []
            for node in proof.path:
                if node not in b64:
                    b64[node] = base64.b64encode(node).decode()
                path.append(b64[node])
            batch = {"root": root64, "index": proof.index, "size": proof.size, "path": path}
        # Every key is ASCII and every value a string or a small int, the class in which
        # orjson's sorted output is RFC 8785 (tests/test_canonical.py proves it): no walk needed.
        envelope = {"body": body.decode(), "key_id": signer.key_id, "sig": sig64, "batch": batch}
        out.append(orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS))
    return out


def parse_envelope(state: bytes) -> Envelope:
    """Decode a stored envelope; anything malformed raises EnvelopeUndecodable."""
    try:
        raw = orjson.loads(state)
        body = raw["body"].encode()
        key_id = raw["key_id"]
        signature = base64.b64decode(raw["sig"], validate=True)
        batch = raw["batch"]
        proof = None
        if batch is not None:
            proof = BatchProof(
                root=base64.b64decode(batch["root"], validate=True),
                index=int(batch["index"]),
                size=int(batch["size"]),
                path=tuple(base64.b64decode(h, validate=True) for h in batch["path"]),
            )
        if not isinstance(key_id, str) or set(raw) != {"body", "key_id", "sig", "batch"}:
            raise ValueError("unexpected envelope fields")
    except (
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        binascii.Error,
    ) as e:
        raise EnvelopeUndecodable(f"stored state is not an offerledger envelope: {e}") from e
    return Envelope(body=body, key_id=key_id, signature=signature, batch=proof)


def verify_envelope(*, envelope: Envelope, public_key: bytes) -> None:
    """Verify the envelope's signature with the key it names (raise SignatureInvalid)."""
    message = signed_message(body=envelope.body, batch=envelope.batch)
    verify_signature(public_key=public_key, message=message, signature=envelope.signature)

"""The stored event and its save: the signed body, its salt and place, the save's one signature.

Format version 3. An event's ``state`` column holds only what is its own, in one fixed binary
layout (docs/format.md, "The stored state")::

    state = 0x03 ‖ u64be(s) ‖ u64be(i) ‖ salt (16 bytes) ‖ body

``s`` is the number of its save (0, 1, 2, … in log order), ``i`` its index in the save,
``salt`` 16 random bytes of its own and ``body`` the canonical JSON of header and payload (the
bytes that are signed). What every event of a save shares is stored once, in the save's row of
``offerledger_saves`` (:class:`SaveRecord`): the log head it extends (``L`` events, root
``log_root``), its size ``n``, the signature and, when ``n`` > 1, the ``n`` save leaves, so an
event verifies with its own row and its save's, and its audit path in the save comes from that
row. The signing key is the one every body's header names (``key_id``: signed, so not stored
again); a save of one event stores no leaf (its root is its one event's leaf).

Every signature covers one *save* (one signer's events stored together): the RFC 9162 Merkle
root of its ``n`` salted body hashes (leaf ``SHA-256(0x00 ‖ SHA-256(salt ‖ body))``, the salt
the event's own, so an audit path handed out with one event confirms no guess about another's
body), *and* the head of the global log that the save extends (``L`` events with root
``log_root`` before it), so the positions ``L + i`` its events take in the log are signed too.
:func:`save_message` is the one function that makes the bytes that get signed, unchanged from
format version 2::

    "offerledger/save/v2\n" ‖ u64be(L) ‖ log_root ‖ u64be(n) ‖ save_root
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from offerledger.errors import EnvelopeUndecodable
from offerledger.events import HEADER_FIELDS, LedgerEvent, header_of
from offerledger.integrity.merkle import audit_paths, leaf_hash, merkle_root, root_from_audit_path
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, verify_signature

FORMAT_VERSION = 3
SAVE_PREFIX = b"offerledger/save/v2\n"
MAX_U64 = 2**64 - 1
SALT_SIZE = 16
HEADER_SIZE = 1 + 8 + 8 + SALT_SIZE  # version, L, i, salt: the body follows
_VERSION_BYTE = bytes([FORMAT_VERSION])


@dataclass(frozen=True)
class SaveRecord:
    """One row of ``offerledger_saves``: what the events of one save share, stored once."""

    number: int  # s: the saves before it
    log_size: int  # L: the events in the log before the save (its first position)
    size: int  # n
    log_root: bytes  # RFC 9162 root of those L events
    signature: bytes  # Ed25519, over save_message(L, log_root, n, MTH(leaves))
    leaves: tuple[bytes, ...] = field(repr=False)  # the n save leaves in index order (n > 1)

    @cached_property
    def paths(self) -> Sequence[Sequence[bytes]]:
        """The RFC 9162 audit path of every index in the save (computed once per record)."""
        return audit_paths(list(self.leaves)) if self.size > 1 else [[]]

    def root(self, own_leaf: bytes) -> bytes:
        """The save root: MTH of the stored leaves, or for a save of one its one leaf."""
        return self._root if self.size > 1 else own_leaf

    @cached_property
    def _root(self) -> bytes:
        return merkle_root(list(self.leaves))

    def leaf_fits(self, index: int, own_leaf: bytes) -> bool:
        """Whether ``own_leaf`` is the stored leaf ``index`` (a save of one stores none)."""
        return self.size == 1 or self.leaves[index] == own_leaf

    def row(self) -> tuple[int, int, int, bytes, bytes, bytes]:
        """The column values as stored: (save, log_size, size, log_root, signature, leaves)."""
        return (
            self.number,
            self.log_size,
            self.size,
            self.log_root,
            self.signature,
            b"".join(self.leaves) if self.size > 1 else b"",
        )


@dataclass(frozen=True, slots=True)
class StoredState:
    """An event's own stored bytes, decoded: its save, its index in it, its salt, its body."""

    save: int
    index: int
    salt: bytes
    body: bytes


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
    """An event with everything that verifies it: its body, the key id its header names, its
    save's signature and its proof in the save (built from its state and its save's row:
    :func:`open_envelope`)."""

    body: bytes
    key_id: str
    signature: bytes
    save: SaveProof

    def header_and_payload(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Decode the body (raises EnvelopeUndecodable on anything malformed)."""
        header, payload, _ = decode_body(self.body)
        return header, payload

    def decoded(self) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """Header, payload and the whole decoded body (for the canonical re-encoding check)."""
        return decode_body(self.body)


def decode_body(body: bytes) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Header, payload and the whole decoded body (raises EnvelopeUndecodable)."""
    try:
        decoded = orjson.loads(body)
        header, payload = decoded["header"], decoded["payload"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise EnvelopeUndecodable(f"event body does not decode: {e}") from e
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise EnvelopeUndecodable("event body has no header and payload objects")
    return header, payload, decoded


def body_hash(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


def new_salt() -> bytes:
    """A save leaf's salt: 16 random bytes (tests that need fixed bytes replace this)."""
    return os.urandom(SALT_SIZE)


def save_leaf(*, salt: bytes, body: bytes) -> bytes:
    """An event's leaf in its save's tree: SHA-256(0x00 ‖ SHA-256(salt ‖ body))."""
    return leaf_hash(hashlib.sha256(salt + body).digest())


def envelope_hash(state: bytes) -> str:
    """The hash a successor's ``prev`` names: SHA-256 of the stored state, hex."""
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


def state_bytes(*, save: int, index: int, salt: bytes, body: bytes) -> bytes:
    """The one stored form of an event: 0x03 ‖ u64be(s) ‖ u64be(i) ‖ salt ‖ body."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"a salt has {SALT_SIZE} bytes, not {len(salt)}")
    return _VERSION_BYTE + save.to_bytes(8, "big") + index.to_bytes(8, "big") + salt + body


def sign_bodies(
    *,
    bodies: Sequence[bytes],
    signer: SigningKey,
    log_size: int,
    log_root: bytes,
    number: int,
) -> tuple[list[bytes], SaveRecord]:
    """Sign save ``number``'s bodies, extending the log head (``log_size``, ``log_root``):
    one signature for all of them; returns the events' states in order and the save's row."""
    salts = [new_salt() for _ in bodies]
    leaves = [save_leaf(salt=salt, body=b) for salt, b in zip(salts, bodies, strict=True)]
    message = save_message(
        log_size=log_size, log_root=log_root, size=len(leaves), save_root=merkle_root(leaves)
    )
    record = SaveRecord(
        number=number,
        log_size=log_size,
        size=len(leaves),
        log_root=log_root,
        signature=signer.sign(message=message),
        leaves=tuple(leaves) if len(leaves) > 1 else (),
    )
    head = _VERSION_BYTE + number.to_bytes(8, "big")
    states = [
        head + i.to_bytes(8, "big") + salt + body
        for i, (salt, body) in enumerate(zip(salts, bodies, strict=True))
    ]
    return states, record


def parse_state(state: bytes) -> StoredState:
    """Decode an event's stored state; anything malformed raises EnvelopeUndecodable."""
    if not isinstance(state, bytes) or len(state) < HEADER_SIZE:
        raise EnvelopeUndecodable(
            f"stored state is not an offerledger event: {len(state)} bytes, fewer than the "
            f"{HEADER_SIZE} of its fixed fields"
            if isinstance(state, bytes)
            else "stored state is not bytes"
        )
    if state[0] != FORMAT_VERSION:
        older = " (a format version 2 envelope)" if state[:1] == b"{" else ""
        raise EnvelopeUndecodable(
            f"stored state is format {state[0]}{older}; this reader knows {FORMAT_VERSION}"
        )
    return StoredState(
        save=int.from_bytes(state[1:9], "big"),
        index=int.from_bytes(state[9:17], "big"),
        salt=state[17:HEADER_SIZE],
        body=state[HEADER_SIZE:],
    )


def save_of(state: Any) -> int | None:
    """The number of the save a stored state names, or None when it is no format 3 state."""
    if isinstance(state, bytes | bytearray | memoryview) and len(state) >= HEADER_SIZE:
        raw = bytes(state[:9])
        if raw[0] == FORMAT_VERSION:
            return int.from_bytes(raw[1:9], "big")
    return None


def body_of(state: bytes) -> bytes:
    """The signed body bytes of a stored state (raises EnvelopeUndecodable)."""
    if type(state) is bytes and len(state) >= HEADER_SIZE and state[0] == FORMAT_VERSION:
        return state[HEADER_SIZE:]  # what parse_state gives, without its other fields
    return parse_state(state).body


def _u64(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_U64:
        raise EnvelopeUndecodable(f"the save's {what} is {_show(value)}, not an integer 0..2^64-1")
    return value


def _raw(value: Any, size: int | None, what: str) -> bytes:
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    if not isinstance(value, bytes):
        raise EnvelopeUndecodable(f"the save's {what} is {_show(value)}, not bytes")
    if size is not None and len(value) != size:
        raise EnvelopeUndecodable(f"the save's {what} has {len(value)} bytes, not {size}")
    return value


def _show(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | str) and len(repr(value)) < 40:
        return repr(value)
    return f"a {type(value).__name__}"


def parse_save(row: Sequence[Any]) -> SaveRecord:
    """A stored save row (save, log_size, size, log_root, signature, leaves) as the driver
    returned it; anything out of its one stored form raises EnvelopeUndecodable."""
    if len(row) != 6:
        raise EnvelopeUndecodable(f"a save row has {len(row)} columns, not 6")
    number = _u64(row[0], "number")
    log_size = _u64(row[1], "log_size")
    size = _u64(row[2], "size")
    if size < 1:
        raise EnvelopeUndecodable("the save's size is 0")
    leaves = _raw(row[5], None, "leaves")
    if len(leaves) != (32 * size if size > 1 else 0):
        raise EnvelopeUndecodable(
            f"the save's leaves hold {len(leaves)} bytes, not "
            + (f"32 for each of its {size} events" if size > 1 else "none (a save of one)")
        )
    return SaveRecord(
        number=number,
        log_size=log_size,
        size=size,
        log_root=_raw(row[3], 32, "log_root"),
        signature=_raw(row[4], 64, "signature"),
        leaves=tuple(leaves[k : k + 32] for k in range(0, len(leaves), 32)),
    )


def open_envelope(state: bytes, save: SaveRecord) -> Envelope:
    """An event's envelope from its stored state and its save's row (raises
    EnvelopeUndecodable when the state does not decode or does not fit the save)."""
    own = parse_state(state)
    if own.save != save.number:
        raise EnvelopeUndecodable(f"the event names save {own.save}, not save {save.number}")
    if own.index >= save.size:
        raise EnvelopeUndecodable(f"index {own.index} is outside its save of {save.size} events")
    key_id = decode_body(own.body)[0].get("key_id")
    if not isinstance(key_id, str):
        raise EnvelopeUndecodable("the event's header names no key id")
    return Envelope(
        body=own.body,
        key_id=key_id,
        signature=save.signature,
        save=SaveProof(
            log_size=save.log_size,
            log_root=save.log_root,
            index=own.index,
            size=save.size,
            path=tuple(save.paths[own.index]),
            salt=own.salt,
        ),
    )


def verify_envelope(*, envelope: Envelope, public_key: bytes) -> None:
    """Verify the envelope's signature with the key it names (raise SignatureInvalid)."""
    message = signed_message(body=envelope.body, save=envelope.save)
    verify_signature(public_key=public_key, message=message, signature=envelope.signature)

"""Stage 1 of verify, run in worker processes: examine each stored row on its own.

A worker reads the row's columns as the driver returned them (anything may be garbage after
tampering: a NULL, text in a BLOB column, a string that is no stream id), decodes the stored
state and the row of the save it names (read with it: :attr:`StoredRow.save`), checks the body
is canonical and names the row's stream, version and topic, rebuilds the signed bytes and
verifies the Ed25519 signature with the public key its save's key id names (once per save in
a chunk: the save's row is parsed once and its signature checked once). What it learns goes
back as a small :class:`Examined` of plain values; the main process judges keys, chains and
versions in log order (:mod:`.judge`).

Nothing here raises on stored bytes: every failure becomes a (reason, detail) pair, at most one
per reason for a row.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from offerledger.documents import CITING_FIELDS, NOT_CITING_TOPICS
from offerledger.errors import EnvelopeUndecodable, OfferLedgerError
from offerledger.events import KEYS_STREAM_NAME, records_floor, stream_id
from offerledger.integrity.merkle import leaf_hash
from offerledger.signing.canonical import canonical_matches
from offerledger.signing.envelope import (
    SaveRecord,
    StoredState,
    decode_body,
    parse_save,
    parse_state,
    save_leaf,
    save_message,
    save_of,
)
from offerledger.signing.keys import verify_signature

__all__ = [
    "KEYS_STREAM",
    "Examined",
    "KeyFact",
    "SaveFacts",
    "StoredRow",
    "SaveReader",
    "examine_chunk",
    "init_worker",
    "with_saves",
]

KEYS_STREAM = stream_id(KEYS_STREAM_NAME)
_KEYS = str(KEYS_STREAM)
UNREAD = "<unread>"  # the body names another version: its prev is not this row's link
_NOT_A_HASH = "<not a hash>"
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_KEYABLE = (str, uuid.UUID)  # the stream column types whose text examine_chunk caches


class StoredRow(NamedTuple):
    """One row as the database holds it: 0-based log position and the raw column values."""

    position: int
    stream: Any  # a UUID (PostgreSQL) or 32 hex digits (SQLite), unless tampered with
    version: Any
    topic: Any
    state: Any
    save: Any = None  # the raw row of the save the state names (None: none is stored)


class KeyFact(NamedTuple):
    """The fields of a key registration or revocation that verify needs, parsed."""

    action: str  # "KeyRegistered" | "KeyRevoked"
    named_key_id: str | None  # registered_key_id or revoked_key_id
    public_key: bytes | None
    holder: str | None
    role: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    compromised_since: datetime | None
    from_position: int | None
    malformed: str | None  # the fields that are present but do not parse, or are missing
    countersignature: bytes | None = None  # RootKeyRotated: the new root's signature


class SaveFacts(NamedTuple):
    """The save an event says it belongs to: the log head it extends and its place in it."""

    log_size: int
    log_root: bytes
    at: int  # the event's index in its save
    size: int
    signature: bytes  # the save's one signature: equal for every event of one save


class Examined(NamedTuple):
    """What a worker learned of one row (cheap to send back to the main process)."""

    position: int
    stream: str | None  # None: the originator_id column is no stream id
    version: int | None  # None: the originator_version column is no integer
    envelope_hash: str
    leaf: bytes
    key_id: str | None  # None: the envelope does not decode
    action: str
    actor: str | None
    recorded: datetime | None
    prev: str | None
    key_fact: KeyFact | None
    problems: tuple[tuple[str, str], ...]
    signature: str  # "ok" | "bad" | "no-key" | "none"
    save: SaveFacts | None = None  # None: the envelope does not decode
    cites: tuple[str, ...] = ()  # SHA-256 of the source documents the payload cites
    floor: tuple[datetime, str] | None = None  # the latest instant it records, and its field
    # CorrectionRecorded: (supersedes_version, supersedes_topic, corrected fields) as stored
    correction: tuple[int, str, tuple[tuple[str, str], ...]] | None = None


_PUBLIC_KEYS: dict[str, bytes] = {}


def init_worker(public_keys: dict[str, bytes]) -> None:
    """Give this process the public keys, by key id, that signatures may be checked with."""
    _PUBLIC_KEYS.clear()
    _PUBLIC_KEYS.update(public_keys)


SaveReader = Callable[[Iterable[int]], dict[int, tuple[Any, ...]]]
"""Reads the stored rows of the saves beginning at the given positions (missing ones absent)."""


def with_saves(rows: list[StoredRow], read: SaveReader) -> list[StoredRow]:
    """``rows`` with the raw row of the save each state names (one read for all of them); a
    save table that cannot be read leaves them without (each is then ``undecodable``)."""
    firsts = [save_of(row.state) for row in rows]
    wanted = {f for f in firsts if f is not None}
    try:
        found = read(wanted) if wanted else {}
    except Exception:  # a dropped or damaged table arrives as a driver error
        found = {}
    make = StoredRow._make
    return [
        row if f is None else make((*row[:5], found.get(f)))
        for row, f in zip(rows, firsts, strict=True)
    ]


def examine_chunk(rows: list[StoredRow]) -> tuple[list[Examined], int]:
    """Examine rows with the keys set by :func:`init_worker`; (results, signatures verified)."""
    verified: dict[tuple[str, bytes, bytes], bool] = {}
    saves: dict[int, SaveRecord | str] = {}
    streams: dict[Any, str] = {}
    return [examine_row(row, verified, saves, streams) for row in rows], len(verified)


class _Found:
    """The problems of one row: one entry per reason, details joined."""

    def __init__(self) -> None:
        self.by_reason: dict[str, str] = {}

    def add(self, reason: str, detail: str) -> None:
        known = self.by_reason.get(reason)
        self.by_reason[reason] = detail if known is None else f"{known}; {detail}"

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.by_reason.items())


def examine_row(
    row: StoredRow,
    verified: dict[tuple[str, bytes, bytes], bool],
    saves: dict[int, SaveRecord | str] | None = None,
    streams: dict[Any, str] | None = None,
) -> Examined:
    """Examine one row; ``verified`` caches signature checks (a save is verified once),
    ``saves`` the parsed save rows (or why one does not parse), by first position, and
    ``streams`` the text of each stream column value."""
    state, state_problem = _state_bytes(row.state)
    digest = hashlib.sha256(state).hexdigest()
    leaf = leaf_hash(state)
    found = _Found()
    stream, version = _columns(row, found, streams)

    examined = None
    if state_problem is not None:
        found.add("undecodable", state_problem)
    else:
        try:
            examined = _examine_envelope(
                row,
                state,
                stream,
                version,
                digest,
                leaf,
                found,
                verified,
                {} if saves is None else saves,
            )
        except Exception as e:  # garbage must never stop verify (deep nesting, ...)
            found.add("undecodable", f"the stored event cannot be examined ({type(e).__name__})")
    if examined is not None:
        return examined
    return Examined(
        row.position, stream, version, digest, leaf, None, "", None, None, UNREAD, None,
        found.items(), "none",
    )  # fmt: skip


def _examine_envelope(
    row: StoredRow,
    state: bytes,
    stream: str | None,
    version: int | None,
    digest: str,
    leaf: bytes,
    found: _Found,
    verified: dict[tuple[str, bytes, bytes], bool],
    saves: dict[int, SaveRecord | str],
) -> Examined | None:
    """The row's envelope examined; None (and ``undecodable`` found) when its state or its
    save does not decode."""
    try:
        own = parse_state(state)
        save = _save(own.save, row.save, saves)
        if own.index >= save.size:
            raise EnvelopeUndecodable(
                f"index {own.index} is outside its save of {save.size} events"
            )
        header, payload, decoded = decode_body(own.body)
    except OfferLedgerError as e:
        found.add("undecodable", str(e))
        return None
    # the state's fixed fields and the save row have one form by parsing
    if not canonical_matches(decoded, own.body):
        found.add("non-canonical", "the body does not re-canonicalize to itself")
    h_stream, h_version, topic = header.get("stream"), header.get("version"), header.get("topic")
    same_version = _is_int(h_version) and h_version == version
    if stream is None or h_stream != stream or not same_version or topic != row.topic:
        found.add(
            "body-row-mismatch",
            f"body names stream {_show(h_stream)} version {_show(h_version)} topic "
            f"{_show(topic)}; the row is {_show(stream)} v{_show(version)} {_show(row.topic)}",
        )
    raw_key_id = header.get("key_id")  # the save's key: named, and signed, in every header
    key_id = raw_key_id if isinstance(raw_key_id, str) else f"<{_show(raw_key_id)}>"
    action = topic.split(".")[1] if isinstance(topic, str) and topic.count(".") >= 2 else ""
    key_fact = None
    if action in ("KeyRegistered", "KeyRevoked", "RootKeyRotated") and stream == _KEYS:
        key_fact = key_fact_of(action, payload)
    prev: str | None = UNREAD
    if same_version:
        raw_prev = header.get("prev")
        prev = raw_prev if raw_prev is None or isinstance(raw_prev, str) else _NOT_A_HASH
    actor = header.get("actor")
    signature = _check_signature(own, save, key_id, found, verified)
    facts = SaveFacts(save.log_size, save.log_root, own.index, save.size, save.signature)
    return Examined(
        row.position,
        stream,
        version,
        digest,
        leaf,
        key_id,
        action,
        actor if isinstance(actor, str) else None,
        _time(header.get("recorded")),
        prev,
        key_fact,
        found.items(),
        signature,
        facts,
        _cites(topic, payload, own.body),
        records_floor(header.get("effective"), payload),
        _correction_of(action, payload),
    )


def _cites(topic: Any, payload: dict[str, Any], body: bytes) -> tuple[str, ...]:
    """The SHA-256 of the source documents the payload cites (what
    :func:`offerledger.documents.cited_hashes` gives).

    The walk is skipped when the body's bytes cannot hold a citing field with a string value:
    each name in ``CITING_FIELDS`` is letters, digits and ``_``, which a JSON key spells either
    literally or with a ``\\u`` escape. Without ``\\u`` in the bytes, such a key is the
    bytes ``_sha256"`` (a ``"`` inside a string is escaped, so these bytes end a key or a
    string), and when every occurrence of them is followed by ``:null`` no such key holds a
    string: the walk would find nothing.
    """
    if not isinstance(topic, str) or topic in NOT_CITING_TOPICS:
        return ()
    if b"\\u" not in body and body.count(b'_sha256"') == body.count(b'_sha256":null'):
        return ()
    found: list[str] = []
    _cited_in(payload, found)
    return tuple(found)


def _cited_in(value: Any, found: list[str]) -> None:
    """:func:`cited_hashes`'s walk (same values, same order) with a call per container only,
    not per leaf: a leaf cites nothing unless it is the string of a citing field."""
    if isinstance(value, dict):
        for key in sorted(value):
            item = value[key]
            if key in CITING_FIELDS and isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict | list | tuple):
                _cited_in(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict | list | tuple):
                _cited_in(item, found)


def _save(number: int, raw: Any, saves: dict[int, SaveRecord | str]) -> SaveRecord:
    """The parsed row of save ``number`` (parsed once per chunk); raises EnvelopeUndecodable
    when it is not stored or not in its one stored form."""
    known = saves.get(number)
    if known is None:
        if raw is None:
            known = f"save {number}, which the event names, is not stored"
        else:
            try:
                known = parse_save(raw)
                if known.number != number:
                    known = f"the row read for save {number} is save {known.number}'s"
            except OfferLedgerError as e:
                known = f"save {number}: {e}"
        saves[number] = known
    if isinstance(known, str):
        raise EnvelopeUndecodable(known)
    return known


def _correction_of(
    action: str, payload: dict[str, Any]
) -> tuple[int, str, tuple[tuple[str, str], ...]] | None:
    """What a correction says it corrects and with what, when its fields have their shapes
    (verify checks the corrected event against the superseded one's model)."""
    if action != "CorrectionRecorded":
        return None
    version, topic = payload.get("supersedes_version"), payload.get("supersedes_topic")
    corrected = payload.get("corrected", {})
    if not isinstance(version, int) or isinstance(version, bool) or not isinstance(topic, str):
        return None
    if not isinstance(corrected, dict):
        return None
    fields = tuple((str(k), v) for k, v in sorted(corrected.items()) if isinstance(v, str))
    if len(fields) != len(corrected):
        return None
    return version, topic, fields


def _check_signature(
    own: StoredState,
    save: SaveRecord,
    key_id: str,
    found: _Found,
    verified: dict[tuple[str, bytes, bytes], bool],
) -> str:
    """The save's signature over its stored leaves (checked once per save and key), and this
    event's salted body hash against its leaf there."""
    public_key = _PUBLIC_KEYS.get(key_id)
    if public_key is None:
        return "no-key"  # the judge reports unknown-key
    leaf = save_leaf(salt=own.salt, body=own.body)
    try:
        message = save_message(
            log_size=save.log_size,
            log_root=save.log_root,
            size=save.size,
            save_root=save.root(leaf),
        )
    except OfferLedgerError as e:
        found.add("bad-signature", str(e))
        return "bad"
    task = (key_id, message, save.signature)
    ok = verified.get(task)
    if ok is None:
        try:
            verify_signature(public_key=public_key, message=message, signature=save.signature)
            ok = True
        except OfferLedgerError:
            ok = False
        verified[task] = ok
    if not ok:
        found.add("bad-signature", "the save's signature does not verify over its stored events")
        return "bad"
    if not save.leaf_fits(own.index, leaf):
        found.add(
            "bad-signature",
            f"the stored salt and body do not hash to leaf {own.index} of the signed save",
        )
        return "bad"
    return "ok"


def key_fact_of(action: str, payload: dict[str, Any]) -> KeyFact:
    """Parse a key event's payload; fields that do not parse are named in ``malformed``."""
    bad: list[str] = []

    def text(name: str) -> str | None:
        value = payload.get(name)
        if not isinstance(value, str):
            bad.append(name)
            return None
        return value

    def when(name: str, *, required: bool) -> datetime | None:
        value = payload.get(name)
        parsed = _time(value)
        if parsed is None and (required or value is not None):
            bad.append(name)
        return parsed

    if action in ("KeyRegistered", "RootKeyRotated"):
        rotation = action == "RootKeyRotated"
        named = text("new_root_key_id" if rotation else "registered_key_id")
        public_key = hex32(payload.get("public_key"))
        if public_key is None:
            bad.append("public_key")
        holder, role = text("holder"), "root" if rotation else text("role")
        valid_from = when("valid_from", required=True)
        valid_until = None if rotation else when("valid_until", required=False)
        countersignature = _hex_bytes(payload.get("new_root_signature"), 64)
        if rotation and countersignature is None:
            bad.append("new_root_signature")
        return KeyFact(
            action,
            named,
            public_key,
            holder,
            role,
            valid_from,
            valid_until,
            None,
            None,
            ", ".join(bad) or None,
            countersignature if rotation else None,
        )
    named = text("revoked_key_id")
    compromised = when("compromised_since", required=False)
    position = payload.get("from_position")
    if position is not None and not (_is_int(position) and position >= 0):
        bad.append("from_position")
        position = None
    return KeyFact(
        action, named, None, None, None, None, None, compromised, position, ", ".join(bad) or None
    )


def _columns(
    row: StoredRow, found: _Found, streams: dict[Any, str] | None = None
) -> tuple[str | None, int | None]:
    """The row's stream id as text and its version (None, and ``undecodable`` found, when a
    column holds something else); ``streams`` caches the text of each stream column seen."""
    raw = row.stream
    stream = streams.get(raw) if streams is not None and type(raw) in _KEYABLE else None
    if stream is None:
        if isinstance(raw, uuid.UUID):
            stream = str(raw)
        elif isinstance(raw, str) and _HEX_ID.fullmatch(raw):  # as the recorder writes it
            # 32 lower-case hex digits: what uuid.UUID(raw).hex == raw accepts; str() of it is
            # the same digits grouped 8-4-4-4-12
            stream = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        if stream is not None and streams is not None and type(raw) in _KEYABLE:
            streams[raw] = stream
    if stream is None:
        found.add("undecodable", f"the originator_id column holds {_show(row.stream)}")
    version = row.version if _is_int(row.version) else None
    if version is None:
        found.add("undecodable", f"the originator_version column holds {_show(row.version)}")
    return stream, version


def _state_bytes(value: Any) -> tuple[bytes, str | None]:
    """The stored bytes (what the Merkle leaf and ``prev`` hash), and why they are not a BLOB."""
    if isinstance(value, bytes):
        return value, None
    if isinstance(value, bytearray | memoryview):
        return bytes(value), None
    if isinstance(value, str):
        try:  # the bytes as stored (a SQLite TEXT value that is not UTF-8 is surrogate-escaped)
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogatepass")
        return raw, "the state column holds text, not bytes"
    if value is None:
        return b"", "the state column is NULL"
    return repr(value).encode(), f"the state column holds {type(value).__name__}, not bytes"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def hex32(value: Any) -> bytes | None:
    return _hex_bytes(value, 32)


def _hex_bytes(value: Any, size: int) -> bytes | None:
    if not isinstance(value, str) or len(value) != 2 * size:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == size else None


def _show(value: Any) -> str:
    """A short, safe rendering of a value read from a tampered row (never a deep repr)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if _is_int(value):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"{len(value)} bytes"
    return f"a {type(value).__name__}"

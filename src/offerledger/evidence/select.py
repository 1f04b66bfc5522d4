"""What goes into an evidence bundle, read from the ledger: events as stored, the key events
that decide their keys, the source documents they cite, and one employee's entries.

Selection, for one offer (and with ``employee``, one employee):

* the offer's stream and the streams of its filings, whole;
* every employee stream of the offer, or with ``employee`` only that employee's, whole;
* from the keys stream: the root key's registration (version 1), every root rotation (the
  chain of roots the checkpoint's signer descends from) and every registration and revocation
  of a key that signed a selected event;

each event as stored (the ``state`` bytes and its row's stream, version and topic) at its log
position, up to the tree size the bundle's checkpoint vouches for. Reads go stream by stream
through the persisted log index (``position_of``), never through the whole log, except one
pass over the roster events that names the offer's employees.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from offerledger.commitments import LIST_FIELDS
from offerledger.disclosure import EntryProof, prove_entry
from offerledger.errors import DisclosureInvalid, StorageError
from offerledger.events import (
    CommittedList,
    EligibleGrantsRegistered,
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    RootKeyRotated,
)
from offerledger.ledger import Ledger
from offerledger.store import KEYS_STREAM

__all__ = [
    "Employee",
    "Row",
    "cited_documents",
    "list_field",
    "offer_employees",
    "prove_entries",
    "select_rows",
]


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event: its log position, row columns and envelope, and the event decoded."""

    position: int
    stream: uuid.UUID
    version: int
    topic: str
    state: bytes
    event: LedgerEvent


@dataclass(frozen=True, slots=True)
class Employee:
    """An employee of the offer as the roster events name them."""

    employee_id: str
    name: str
    stream: uuid.UUID


def offer_employees(ledger: Ledger, offer_id: uuid.UUID) -> dict[str, Employee]:
    """Every employee with eligible grants registered in the offer, by employee id (one pass
    over the roster events, by topic)."""
    found: dict[str, Employee] = {}
    for event in ledger.events(EligibleGrantsRegistered.TOPIC):
        if isinstance(event, EligibleGrantsRegistered) and event.offer_id == offer_id:
            found[event.employee_id] = Employee(
                event.employee_id, event.employee_name, event.originator_id
            )
    return found


def _stream_rows(ledger: Ledger, stream: uuid.UUID, size: int) -> Iterator[Row]:
    for stored in ledger.rows(stream):
        position = ledger.position_of(stream, stored.version)
        if position is None:
            raise StorageError(
                f"stream {stream} version {stored.version} is not in the log index",
                hint="run 'offerledger verify'",
            )
        if position < size:
            yield Row(position, stream, stored.version, stored.topic, stored.state, stored.event())


def select_rows(
    ledger: Ledger, *, offer_id: uuid.UUID, employee_streams: Iterable[uuid.UUID], size: int
) -> list[Row]:
    """The selected events (see the module docstring), in log order."""
    streams = [offer_id, *(f.originator_id for f in ledger.filings(offer_id))]
    rows: list[Row] = []
    for stream in dict.fromkeys([*streams, *employee_streams]):
        rows += _stream_rows(ledger, stream, size)
    signers = {r.event.key_id for r in rows}
    keys = _stream_rows(ledger, KEYS_STREAM, size)  # the root key (version 1) signs key events
    rows += [
        r
        for r in keys
        if r.version == 1 or isinstance(r.event, RootKeyRotated) or _names_key(r.event, signers)
    ]
    return sorted(rows, key=lambda r: r.position)


def _names_key(event: LedgerEvent, key_ids: set[str]) -> bool:
    if isinstance(event, KeyRegistered):
        return event.registered_key_id in key_ids
    return isinstance(event, KeyRevoked) and event.revoked_key_id in key_ids


def list_field(event: LedgerEvent) -> dict[str, CommittedList]:
    """The payload field of ``event`` that holds a committed list, if any: {name: list}."""
    name = LIST_FIELDS.get(event.action, ("", ""))[0]
    value = getattr(event, name, None) if name else None
    return {name: value} if isinstance(value, CommittedList) else {}


def cited_documents(event: LedgerEvent) -> set[str]:
    """The SHA-256 names of the source documents an event cites: every payload field named
    ``*sha256`` (nested too) holding 64 hex digits, committed lists' documents included."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key.endswith("sha256") and isinstance(value, str) and len(value) == 64:
            found.add(value)

    walk(event.payload())
    return found


def prove_entries(ledger: Ledger, row: Row, employee: str) -> list[tuple[str, EntryProof]]:
    """``employee``'s entries of each committed list ``row``'s event carries, with their audit
    paths: (payload field, proof). DisclosureInvalid when a list's document is not stored."""
    out = []
    for name, committed in list_field(row.event).items():
        document = ledger.document(committed.document_sha256)
        if document is None:
            raise DisclosureInvalid(
                f"the {committed.kind} list of the event at position {row.position} is not "
                "stored in this ledger",
                document_sha256=committed.document_sha256,
                hint="run 'offerledger verify'",
            )
        proofs = prove_entry(committed, document.content, lambda f: f["employee_id"] == employee)
        out += [(name, proof) for proof in proofs]
    return out
